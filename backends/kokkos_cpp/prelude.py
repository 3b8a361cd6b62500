"""The C++ prelude every generated module starts with: ABI struct, view wrapping, math, errors."""
from __future__ import annotations


# Kept as a Python string (not a .hpp file) so that a non-editable install carries it.
# Everything is guarded so that several generated headers can be included in one C++ program.
PRELUDE = r"""
#ifndef HPCIR_PRELUDE_V1
#define HPCIR_PRELUDE_V1
#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cmath>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

// The JIT ABI (docs/IR.md): one of these per view argument, strides counted in elements.
struct hpcir_view {
  void* data;
  int64_t rank;
  int64_t extents[8];
  int64_t strides[8];
};

namespace hpcir {

// Math functions: Kokkos 3.4-3.6 have them in Kokkos::Experimental, 3.7+ in Kokkos (the
// Experimental names were removed in 4.0). std:: functions are not callable on CUDA devices.
#if KOKKOS_VERSION >= 30700
namespace kmath = ::Kokkos;
#else
namespace kmath = ::Kokkos::Experimental;
#endif

// Functions missing from Kokkos 3.4's math set, written with ones it has (or the global C
// functions, which CUDA and HIP declare __host__ __device__).
template <class T> KOKKOS_INLINE_FUNCTION T round(T x) {
  T t = kmath::trunc(x);  // half away from zero, exact since x - t is exact
  if (kmath::fabs(x - t) >= T(0.5)) t += (x > T(0) ? T(1) : T(-1));
  return t;
}
template <class T> KOKKOS_INLINE_FUNCTION T roundeven(T x) { return kmath::nearbyint(x); }
template <class T> KOKKOS_INLINE_FUNCTION T rsqrt(T x) { return T(1) / kmath::sqrt(x); }
template <class T> KOKKOS_INLINE_FUNCTION bool signbit(T x) { return x < T(0) || (x == T(0) && T(1) / x < T(0)); }
template <class T> KOKKOS_INLINE_FUNCTION T copysign(T x, T y) {
  T a = kmath::fabs(x);
  return signbit(y) ? -a : a;
}
KOKKOS_INLINE_FUNCTION double fma(double a, double b, double c) { return ::fma(a, b, c); }
KOKKOS_INLINE_FUNCTION float fma(float a, float b, float c) { return ::fmaf(a, b, c); }

// arith.maximumf / minimumf: NaN-propagating, -0 < +0 (IEEE 754-2019 maximum/minimum).
template <class T> KOKKOS_INLINE_FUNCTION T maximumf(T a, T b) {
  if (a != a) return a;
  if (b != b) return b;
  if (a == b) return signbit(a) ? b : a;
  return a > b ? a : b;
}
template <class T> KOKKOS_INLINE_FUNCTION T minimumf(T a, T b) {
  if (a != a) return a;
  if (b != b) return b;
  if (a == b) return signbit(a) ? a : b;
  return a < b ? a : b;
}

// Integer helpers with MLIR semantics.
template <class T> struct unsigned_of { using type = typename std::make_unsigned<T>::type; };
template <> struct unsigned_of<bool> { using type = bool; };
template <class T> KOKKOS_INLINE_FUNCTION typename unsigned_of<T>::type u(T x) {
  return static_cast<typename unsigned_of<T>::type>(x);
}
template <class T> KOKKOS_INLINE_FUNCTION T floordiv(T a, T b) {
  T q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
template <class T> KOKKOS_INLINE_FUNCTION T ceildiv(T a, T b) {
  T q = a / b;
  return (a % b != 0 && ((a < 0) == (b < 0))) ? q + 1 : q;
}
template <class T> KOKKOS_INLINE_FUNCTION T ceildivu(T a, T b) {
  auto ua = u(a), ub = u(b);
  return static_cast<T>(ua / ub + (ua % ub != 0 ? 1 : 0));
}
template <class T> KOKKOS_INLINE_FUNCTION T absi(T a) { return a < 0 ? static_cast<T>(-a) : a; }
template <class T, class I> KOKKOS_INLINE_FUNCTION T fpowi(T x, I n) {
  bool neg = n < 0;
  auto e = neg ? -static_cast<int64_t>(n) : static_cast<int64_t>(n);
  T r = T(1);
  while (e) { if (e & 1) r *= x; x *= x; e >>= 1; }
  return neg ? T(1) / r : r;
}
template <class T> KOKKOS_INLINE_FUNCTION T ipowi(T x, T n) {
  if (n < 0) return x == 1 ? T(1) : (x == -1 ? ((n & 1) ? T(-1) : T(1)) : T(0));
  T r = 1;
  while (n) { if (n & 1) r *= x; x *= x; n >>= 1; }
  return r;
}
template <class T> KOKKOS_INLINE_FUNCTION T ctpop(T x) {
  auto v = u(x); T c = 0;
  while (v) { c += static_cast<T>(v & 1u); v >>= 1; }
  return c;
}
template <class T> KOKKOS_INLINE_FUNCTION T ctlz(T x) {
  auto v = u(x); T n = 0;
  for (int b = int(sizeof(T) * 8) - 1; b >= 0 && !((v >> b) & 1u); --b) ++n;
  return n;
}
template <class T> KOKKOS_INLINE_FUNCTION T cttz(T x) {
  auto v = u(x); T n = 0;
  for (int b = 0; b < int(sizeof(T) * 8) && !((v >> b) & 1u); ++b) ++n;
  return n;
}
template <class To, class From> KOKKOS_INLINE_FUNCTION To bit_cast(From x) {
  static_assert(sizeof(To) == sizeof(From), "bitcast between types of different widths");
  To r;
  memcpy(&r, &x, sizeof(To));
  return r;
}

// TeamPolicy from (league, team_size, vector_length); 0 means Kokkos::AUTO. The vector length
// is clamped to what the backend supports (1 on host backends).
// Kokkos aborts the process (even at construction) on a team size above the space's maximum:
// throw instead, so the caller gets an error. The maximum is measured with an empty functor,
// an upper bound for any kernel.
template <class Policy> struct empty_team_functor {
  KOKKOS_INLINE_FUNCTION void operator()(const typename Policy::member_type&) const {}
};

template <class Policy>
Policy team_policy(int64_t league, int64_t team_size, int64_t vector_length, const char* kernel = "team") {
  const int64_t vmax = Policy::vector_length_max();
  if (vector_length > vmax) vector_length = vmax;
  if (team_size > 0) {
    const Policy probe = vector_length > 0 ? Policy(league, Kokkos::AUTO, vector_length)
                                           : Policy(league, Kokkos::AUTO, Kokkos::AUTO);
    const int64_t max = probe.team_size_max(empty_team_functor<Policy>(), Kokkos::ParallelForTag());
    if (team_size > max)
      throw std::runtime_error(std::string("kernel ") + kernel + ": team size " + std::to_string(team_size) +
                               " exceeds this execution space's maximum of " + std::to_string(max) +
                               "; use AUTO or a team size <= " + std::to_string(max));
  }
  if (team_size <= 0 && vector_length <= 0) return Policy(league, Kokkos::AUTO, Kokkos::AUTO);
  if (team_size <= 0) return Policy(league, Kokkos::AUTO, vector_length);
  if (vector_length <= 0) return Policy(league, team_size, Kokkos::AUTO);
  return Policy(league, team_size, vector_length);
}

// +infinity without std::numeric_limits (not callable on CUDA devices without relaxed constexpr).
template <class T> KOKKOS_INLINE_FUNCTION T infinity();
template <> KOKKOS_INLINE_FUNCTION double infinity<double>() { return bit_cast<double>(int64_t(0x7ff0000000000000LL)); }
template <> KOKKOS_INLINE_FUNCTION float infinity<float>() { return bit_cast<float>(int32_t(0x7f800000)); }

// Copies a C++ exception text into the caller's buffer (always NUL-terminated).
inline void set_error(char* err, int errlen, const char* msg) {
  if (err == nullptr || errlen <= 0) return;
  std::strncpy(err, msg, static_cast<size_t>(errlen - 1));
  err[errlen - 1] = '\0';
}

// Wrapping an hpcir_view without a copy as an unmanaged View of the declared layout.
template <class L, std::size_t... I>
L make_layout(const hpcir_view& v, std::index_sequence<I...>) {
  return L(static_cast<size_t>(v.extents[I])...);
}
inline size_t stride_arg(const hpcir_view& v, std::size_t j) {
  return static_cast<size_t>(j % 2 == 0 ? v.extents[j / 2] : v.strides[j / 2]);
}
template <std::size_t... J>
Kokkos::LayoutStride make_stride_layout(const hpcir_view& v, std::index_sequence<J...>) {
  return Kokkos::LayoutStride(stride_arg(v, J)...);
}
inline void check_dense(const hpcir_view& v, int rank, bool right, const char* name) {
  int64_t expect = 1;
  for (int s = 0; s < rank; ++s) {
    int k = right ? rank - 1 - s : s;
    if (v.extents[k] > 1 && v.strides[k] != expect) {
      throw std::invalid_argument(std::string("argument '") + name + "' is not " +
                                  (right ? "C-contiguous (LayoutRight)" : "Fortran-contiguous (LayoutLeft)") +
                                  "; pass a contiguous array or declare the view with LayoutStride");
    }
    expect *= v.extents[k];
  }
}
template <class ViewT>
ViewT wrap(const hpcir_view& v, const char* name) {
  constexpr int R = static_cast<int>(ViewT::rank);
  using L = typename ViewT::array_layout;
  using P = typename ViewT::pointer_type;
  if (v.rank != R) {
    throw std::invalid_argument(std::string("argument '") + name + "' has rank " + std::to_string(v.rank) +
                                ", the kernel expects rank " + std::to_string(R));
  }
  for (int k = 0; k < R; ++k) {
    if (v.extents[k] < 0 || v.strides[k] < 0) {
      throw std::invalid_argument(std::string("argument '") + name + "' has a negative extent or stride");
    }
  }
  if constexpr (std::is_same<L, Kokkos::LayoutStride>::value) {
    return ViewT(static_cast<P>(v.data), make_stride_layout(v, std::make_index_sequence<2 * R>{}));
  } else {
    check_dense(v, R, std::is_same<L, Kokkos::LayoutRight>::value, name);
    return ViewT(static_cast<P>(v.data), make_layout<L>(v, std::make_index_sequence<R>{}));
  }
}

// Host printing with Python's str() formatting (floats: shortest round-trip repr).
inline std::string format_value(double x) {
  if (x != x) return "nan";
  if (x == HUGE_VAL) return "inf";
  if (x == -HUGE_VAL) return "-inf";
  char buf[64];
  for (int p = 1; p <= 17; ++p) {
    std::snprintf(buf, sizeof buf, "%.*g", p, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  std::string s(buf);
  // Python switches to exponent notation from 1e16 on and below 1e-4; %g from 10^p on.
  int e10 = 0;
  if (x != 0.0) e10 = static_cast<int>(std::floor(std::log10(std::fabs(x))));
  bool sci = x != 0.0 && (e10 >= 16 || e10 < -4);
  if (!sci && s.find('e') != std::string::npos) {
    std::snprintf(buf, sizeof buf, "%.1f", x);
    s = buf;
  } else if (sci && s.find('e') == std::string::npos) {
    std::snprintf(buf, sizeof buf, "%.16e", x);
    s = buf;
  }
  if (s.find('e') == std::string::npos && s.find('.') == std::string::npos) s += ".0";
  return s;
}
inline std::string format_value(float x) {
  if (x != x) return "nan";
  char buf[64];
  for (int p = 1; p <= 9; ++p) {
    std::snprintf(buf, sizeof buf, "%.*g", p, static_cast<double>(x));
    if (std::strtof(buf, nullptr) == x) break;
  }
  double d = std::strtod(buf, nullptr);
  return format_value(d);
}
inline std::string format_value(bool x) { return x ? "True" : "False"; }
inline std::string format_value(int64_t x) { return std::to_string(x); }
inline std::string format_value(int32_t x) { return std::to_string(x); }
inline std::string format_value(int16_t x) { return std::to_string(x); }
inline std::string format_value(int8_t x) { return std::to_string(static_cast<int>(x)); }
template <class T> inline std::string format_spec(const char* spec, T x) {
  char buf[128];
  std::snprintf(buf, sizeof buf, spec, x);
  return std::string(buf);
}

}  // namespace hpcir
#endif  // HPCIR_PRELUDE_V1
"""


def target_prelude(exec_space: str, device_space: str, shared_space: str) -> str:
    """Per-module aliases of the target's execution and memory spaces."""
    return "\n".join([
        f"using exec_space = {exec_space};",
        "using host_space = Kokkos::HostSpace;",
        f"using device_space = {device_space};",
        f"using shared_space = {shared_space};",
        "using scratch_space = exec_space::scratch_memory_space;",
    ])
