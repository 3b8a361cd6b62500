// XLA FFI handler that runs a compiled hpcir entry on XLA's buffers, without copies.
//
// One handler serves every kernel: the entry's address and the role of each argument come as
// attributes. XLA's buffers are passed to the entry as `hpcir_view`s (row-major, the layout XLA
// gives custom calls by default); a written view is the result buffer that XLA aliases to its input.
//
// Host build: the entry is `hpcir_NAME`. GPU build (HPCIR_FFI_CUDA / HPCIR_FFI_HIP): the entry is
// `hpcir_NAME_stream`, which takes XLA's stream and launches the Kokkos kernels on an execution-space
// instance built on it, so they queue behind XLA's work and nothing waits for the device (except
// for scalars XLA holds in device memory, and a reduction's value, which the host must read).
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "xla/ffi/api/ffi.h"

#if defined(HPCIR_FFI_CUDA)
#include <cuda_runtime.h>
using stream_t = cudaStream_t;
#define HPCIR_GPU_OK cudaSuccess
#define HPCIR_GPU_MEMCPY_D2H(dst, src, n, s) cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToHost, s)
#define HPCIR_GPU_SYNC(s) cudaStreamSynchronize(s)
#define HPCIR_GPU_LAST_ERROR() cudaGetLastError()
#elif defined(HPCIR_FFI_HIP)
#include <hip/hip_runtime.h>
using stream_t = hipStream_t;
#define HPCIR_GPU_OK hipSuccess
#define HPCIR_GPU_MEMCPY_D2H(dst, src, n, s) hipMemcpyAsync(dst, src, n, hipMemcpyDeviceToHost, s)
#define HPCIR_GPU_SYNC(s) hipStreamSynchronize(s)
#define HPCIR_GPU_LAST_ERROR() hipGetLastError()
#endif
#if defined(HPCIR_FFI_CUDA) || defined(HPCIR_FFI_HIP)
#define HPCIR_FFI_GPU 1
#endif

namespace ffi = xla::ffi;

namespace {

struct hpcir_view {  // docs/IR.md: the C ABI of a view argument (strides in elements)
  void* data;
  int64_t rank;
  int64_t extents[8];
  int64_t strides[8];
};

#ifdef HPCIR_FFI_GPU
using entry_fn = int (*)(void* stream, void** args, void* results, char* err, int errlen);

// A reduction value (up to 16 bytes) into XLA's result buffer, in stream order: the value travels as
// kernel arguments, so the host's copy of it may go away as soon as the launch returns.
__global__ void store_value(unsigned char* dst, uint64_t lo, uint64_t hi, int nbytes) {
  const uint64_t words[2] = {lo, hi};
  const unsigned char* src = reinterpret_cast<const unsigned char*>(words);
  for (int b = 0; b < nbytes; ++b) dst[b] = src[b];
}
#else
using entry_fn = int (*)(void** args, void* results, char* err, int errlen);
#endif

// Kokkos' host backends are not re-entrant and XLA may run custom calls from several threads.
std::mutex launch_mutex;

hpcir_view view_of(const ffi::AnyBuffer& b) {
  hpcir_view v{};
  v.data = b.untyped_data();
  auto dims = b.dimensions();
  v.rank = static_cast<int64_t>(dims.size());
  int64_t stride = 1;
  for (int64_t k = v.rank - 1; k >= 0; --k) {
    v.extents[k] = dims[k];
    v.strides[k] = stride;
    stride *= dims[k];
  }
  return v;
}

// Argument roles (attribute `roles`, one per entry argument after the policy bounds):
// 0 a view operand read only, 1 a scalar operand, 2 + r a view operand written through result r,
// -1 - s the scalar constants[s] (a value known when the call was traced: no operand, and on a GPU
// no device-to-host copy). Results after the written views hold the entry's reduction values.
constexpr int64_t kScalar = 1, kWritten = 2;  // and 0: a view read only

ffi::Error call_entry(
#ifdef HPCIR_FFI_GPU
    stream_t stream,
#endif
    ffi::RemainingArgs args, ffi::RemainingRets rets, int64_t entry, ffi::Span<const int64_t> bounds,
    ffi::Span<const int64_t> roles, ffi::Span<const int64_t> constants, int64_t num_values) {
  std::vector<int64_t> bound_values(bounds.begin(), bounds.end());
  std::vector<hpcir_view> views(roles.size());
  std::vector<uint64_t> scalars(2 * roles.size(), 0);  // 16 bytes a scalar (a complex128 fits)
  std::vector<void*> ptrs;
  ptrs.reserve(bound_values.size() + roles.size());
  for (auto& b : bound_values) ptrs.push_back(&b);
  size_t next = 0;  // the next operand
#ifdef HPCIR_FFI_GPU
  bool copied = false;
#endif
  for (size_t k = 0; k < roles.size(); ++k) {
    if (roles[k] < 0) {  // a constant: its bits, as the entry reads a scalar of its type
      const size_t s = static_cast<size_t>(-1 - roles[k]);
      if (s >= constants.size()) return ffi::Error::InvalidArgument("hpcir: a scalar constant is missing");
      scalars[2 * k] = static_cast<uint64_t>(constants[s]);
      ptrs.push_back(&scalars[2 * k]);
      continue;
    }
    if (next >= args.size()) return ffi::Error::InvalidArgument("hpcir: fewer operands than the entry's roles");
    auto arg = args.get<ffi::AnyBuffer>(next++);
    if (arg.has_error()) return arg.error();
    if (roles[k] == kScalar) {
#ifdef HPCIR_FFI_GPU
      // The entry reads scalars from host memory; XLA keeps traced ones on the device.
      if (arg->size_bytes() > 16 ||
          HPCIR_GPU_MEMCPY_D2H(&scalars[2 * k], arg->untyped_data(), arg->size_bytes(), stream) != HPCIR_GPU_OK) {
        return ffi::Error::Internal("hpcir: copying a scalar operand to the host failed");
      }
      copied = true;
      ptrs.push_back(&scalars[2 * k]);
#else
      ptrs.push_back(arg->untyped_data());
#endif
      continue;
    }
    if (roles[k] >= kWritten) {
      auto ret = rets.get<ffi::AnyBuffer>(static_cast<size_t>(roles[k] - kWritten));
      if (ret.has_error()) return ret.error();
      views[k] = view_of(**ret);  // aliased to the operand: it holds the operand's values
    } else {
      views[k] = view_of(*arg);
    }
    ptrs.push_back(&views[k]);
  }
  if (next != args.size()) return ffi::Error::InvalidArgument("hpcir: more operands than the entry's roles");
#ifdef HPCIR_FFI_GPU
  if (copied && HPCIR_GPU_SYNC(stream) != HPCIR_GPU_OK) {  // the scalars' copies, only
    return ffi::Error::Internal("hpcir: waiting for a scalar operand's copy failed");
  }
#endif
  uint64_t results[2 * 16] = {0};  // 16 bytes a result slot (a complex128 fits), 16 slots
  char err[4096] = {0};
  int status;
  {
    std::lock_guard<std::mutex> lock(launch_mutex);
#ifdef HPCIR_FFI_GPU
    status = reinterpret_cast<entry_fn>(entry)(stream, ptrs.data(), results, err, sizeof(err));
#else
    status = reinterpret_cast<entry_fn>(entry)(ptrs.data(), results, err, sizeof(err));
#endif
  }
  if (status != 0) {
    return ffi::Error::Internal(std::string("hpcir kernel failed: ") + (err[0] ? err : "status " + std::to_string(status)));
  }
  size_t first_value = rets.size() - static_cast<size_t>(num_values);
  for (int64_t r = 0; r < num_values; ++r) {
    auto ret = rets.get<ffi::AnyBuffer>(first_value + static_cast<size_t>(r));
    if (ret.has_error()) return ret.error();
    size_t nbytes = (*ret)->size_bytes();
#ifdef HPCIR_FFI_GPU
    store_value<<<1, 1, 0, stream>>>(static_cast<unsigned char*>((*ret)->untyped_data()), results[2 * r],
                                     results[2 * r + 1], static_cast<int>(nbytes));
    if (HPCIR_GPU_LAST_ERROR() != HPCIR_GPU_OK) {
      return ffi::Error::Internal("hpcir: storing a reduction value on the device failed");
    }
#else
    std::memcpy((*ret)->untyped_data(), &results[2 * r], nbytes);
#endif
  }
  return ffi::Error::Success();
}

}  // namespace

XLA_FFI_DEFINE_HANDLER_SYMBOL(HpcirEntryCall, call_entry,
                              ffi::Ffi::Bind()
#ifdef HPCIR_FFI_GPU
                                  .Ctx<ffi::PlatformStream<stream_t>>()
#endif
                                  .RemainingArgs()
                                  .RemainingRets()
                                  .Attr<int64_t>("entry")
                                  .Attr<ffi::Span<const int64_t>>("bounds")
                                  .Attr<ffi::Span<const int64_t>>("roles")
                                  .Attr<ffi::Span<const int64_t>>("constants")
                                  .Attr<int64_t>("num_values"));
