// The hand-written Kokkos functors every benchmark compares hpcir with (what a Kokkos programmer
// writes), templated on the View types so the host (LayoutRight, unmanaged numpy memory) and the
// GPU (LayoutLeft device views) drivers share one definition.
#ifndef HPCIR_BENCH_HANDWRITTEN_FUNCTORS_HPP
#define HPCIR_BENCH_HANDWRITTEN_FUNCTORS_HPP

#include <Kokkos_Core.hpp>

#include <cstdint>

namespace hw_functors {

template <class V1>
struct Triad {
  V1 a, b, c;
  double s;
  KOKKOS_INLINE_FUNCTION void operator()(const int64_t i) const { a(i) = b(i) + s * c(i); }
};

// Index type I of the operator: int64_t (as hpcir emits) is the baseline; int, which many Kokkos
// codes use, is kept as a second variant because GCC vectorizes it worse (see RESULTS.md).
template <class V3, class I = int64_t>
struct Jacobi {
  V3 u, out;
  double c0, c1;
  KOKKOS_INLINE_FUNCTION void operator()(const I i, const I j, const I k) const {
    out(i, j, k) = c0 * u(i, j, k) + c1 * (u(i - 1, j, k) + u(i + 1, j, k) + u(i, j - 1, k) +
                                           u(i, j + 1, k) + u(i, j, k - 1) + u(i, j, k + 1));
  }
};

// The 2-D horizontal diffusion of issue 5: one functor over a default MDRangePolicy<Rank<2>>, the
// Laplacian recomputed at the five points the fluxes need instead of being stored in a temporary
// (no extra memory traffic).
template <class V2>
struct Hdiff {
  V2 u, coeff, out;
  KOKKOS_INLINE_FUNCTION double lap(const int64_t i, const int64_t j) const {
    return 4.0 * u(i, j) - (u(i + 1, j) + u(i - 1, j) + u(i, j + 1) + u(i, j - 1));
  }
  KOKKOS_INLINE_FUNCTION void operator()(const int64_t i, const int64_t j) const {
    const double l = lap(i, j);
    const double flx = lap(i + 1, j) - l, flx_m = l - lap(i - 1, j);
    const double fly = lap(i, j + 1) - l, fly_m = l - lap(i, j - 1);
    out(i, j) = u(i, j) - coeff(i, j) * (flx - flx_m + fly - fly_m);
  }
};

}  // namespace hw_functors

#endif  // HPCIR_BENCH_HANDWRITTEN_FUNCTORS_HPP
