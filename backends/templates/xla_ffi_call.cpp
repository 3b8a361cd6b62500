// XLA FFI handler that runs a compiled hpcir entry on XLA's buffers, without copies.
//
// One handler serves every kernel: the entry's address and the role of each operand come as
// attributes. XLA's buffers are passed to the entry as `hpcir_view`s (row-major, the layout XLA
// gives custom calls by default); a written view is the result buffer that XLA aliases to its input.
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "xla/ffi/api/ffi.h"

#ifdef HPCIR_FFI_CUDA
#include <cuda_runtime.h>
#endif

namespace ffi = xla::ffi;

namespace {

struct hpcir_view {  // docs/IR.md: the C ABI of a view argument (strides in elements)
  void* data;
  int64_t rank;
  int64_t extents[8];
  int64_t strides[8];
};

using entry_fn = int (*)(void** args, void* results, char* err, int errlen);

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

// Operand roles (attribute `roles`): 0 a view read only, 1 a scalar, 2 + r a view written
// through result r. Results after the written views hold the entry's reduction values.
constexpr int64_t kView = 0, kScalar = 1, kWritten = 2;

#ifdef HPCIR_FFI_CUDA
using stream_t = cudaStream_t;
#endif

ffi::Error call_entry(
#ifdef HPCIR_FFI_CUDA
    stream_t stream,
#endif
    ffi::RemainingArgs args, ffi::RemainingRets rets, int64_t entry,
    ffi::Span<const int64_t> bounds, ffi::Span<const int64_t> roles, int64_t num_values) {
  if (roles.size() != args.size()) {
    return ffi::Error::InvalidArgument("hpcir: operand count does not match the entry's roles");
  }
  std::vector<int64_t> bound_values(bounds.begin(), bounds.end());
  std::vector<hpcir_view> views(args.size());
  std::vector<uint64_t> scalars(args.size(), 0);
  std::vector<void*> ptrs;
  ptrs.reserve(bound_values.size() + args.size());
  for (auto& b : bound_values) ptrs.push_back(&b);
  for (size_t k = 0; k < args.size(); ++k) {
    auto arg = args.get<ffi::AnyBuffer>(k);
    if (arg.has_error()) return arg.error();
    if (roles[k] == kScalar) {
#ifdef HPCIR_FFI_CUDA
      // The entry reads scalars from host memory.
      if (cudaMemcpyAsync(&scalars[k], arg->untyped_data(), arg->size_bytes(), cudaMemcpyDeviceToHost,
                          stream) != cudaSuccess) {
        return ffi::Error::Internal("hpcir: copying a scalar operand to the host failed");
      }
      ptrs.push_back(&scalars[k]);
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
  uint64_t results[2 * 16] = {0};  // 16 bytes a result slot (a complex128 fits), 16 slots
  char err[4096] = {0};
  int status;
  {
    std::lock_guard<std::mutex> lock(launch_mutex);
#ifdef HPCIR_FFI_CUDA
    // Kokkos launches on its own stream: order it after the work XLA queued on `stream`.
    if (cudaStreamSynchronize(stream) != cudaSuccess) {
      return ffi::Error::Internal("hpcir: synchronising XLA's stream failed");
    }
#endif
    status = reinterpret_cast<entry_fn>(entry)(ptrs.data(), results, err, sizeof(err));
  }
  if (status != 0) {
    return ffi::Error::Internal(std::string("hpcir kernel failed: ") + (err[0] ? err : "status " + std::to_string(status)));
  }
  size_t first_value = rets.size() - static_cast<size_t>(num_values);
  for (int64_t r = 0; r < num_values; ++r) {
    auto ret = rets.get<ffi::AnyBuffer>(first_value + static_cast<size_t>(r));
    if (ret.has_error()) return ret.error();
    size_t nbytes = (*ret)->size_bytes();
#ifdef HPCIR_FFI_CUDA
    if (cudaMemcpyAsync((*ret)->untyped_data(), &results[2 * r], nbytes, cudaMemcpyHostToDevice, stream) != cudaSuccess ||
        cudaStreamSynchronize(stream) != cudaSuccess) {
      return ffi::Error::Internal("hpcir: copying a reduction value to the device failed");
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
#ifdef HPCIR_FFI_CUDA
                                  .Ctx<ffi::PlatformStream<stream_t>>()
#endif
                                  .RemainingArgs()
                                  .RemainingRets()
                                  .Attr<int64_t>("entry")
                                  .Attr<ffi::Span<const int64_t>>("bounds")
                                  .Attr<ffi::Span<const int64_t>>("roles")
                                  .Attr<int64_t>("num_values"));
