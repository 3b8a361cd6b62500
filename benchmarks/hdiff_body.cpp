// hdiff: hpcir's generated functor body next to the hand-written one, each under both launch
// policies, timed in C++ in interleaved rounds (benchmarks/hdiff_body.py pastes the generated
// functor in at GENERATED_FUNCTOR and builds this through hpcir's build path). It separates
// what the kernel body costs from what the policy and the call path cost.
#include <Kokkos_Core.hpp>

#include "handwritten_functors.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace hdiff_body {

using host_space = Kokkos::HostSpace;
using View2 = Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace,
                           Kokkos::MemoryTraits<Kokkos::Unmanaged>>;

using Handwritten = hw_functors::Hdiff<View2>;  // as benchmarks/handwritten_kokkos.cpp

// GENERATED_FUNCTOR

using DefaultPolicy = Kokkos::MDRangePolicy<Kokkos::OpenMP, Kokkos::Rank<2>>;
using HpcirPolicy = Kokkos::MDRangePolicy<Kokkos::OpenMP, Kokkos::Rank<2, Kokkos::Iterate::Right, Kokkos::Iterate::Right>,
                                          Kokkos::IndexType<int64_t>>;

template <class P, class F>
double launch(const F& f, int64_t n0, int64_t n1) {
  Kokkos::Timer t;
  Kokkos::parallel_for("hdiff_body", P({2, 2}, {n0 - 2, n1 - 2}), f);
  Kokkos::fence();
  return t.seconds();
}

}  // namespace hdiff_body

namespace hdiff_body {

double run_variant(int k, const View2& u, const View2& coeff, const View2& out) {
  const int64_t n0 = u.extent(0), n1 = u.extent(1);
  switch (k) {
    case 0: return launch<DefaultPolicy>(Handwritten{u, coeff, out}, n0, n1);
    case 1: return launch<HpcirPolicy>(Handwritten{u, coeff, out}, n0, n1);
    case 2: return launch<DefaultPolicy>(hdiff_functor{u, coeff, out}, n0, n1);
    default: return launch<HpcirPolicy>(hdiff_functor{u, coeff, out}, n0, n1);
  }
}

}  // namespace hdiff_body

// Variant k (0: hand-written body / Kokkos' default policy, 1: hand-written body / hpcir's
// policy, 2: generated body / default policy, 3: generated body / hpcir's policy) once, into out.
extern "C" void hdiff_body_once(int k, const double* u, const double* coeff, double* out, int n0, int n1) {
  using namespace hdiff_body;
  run_variant(k, View2(const_cast<double*>(u), n0, n1), View2(const_cast<double*>(coeff), n0, n1),
              View2(out, n0, n1));
}

// seconds[4 * r + k]: variant k in round r. All variants write the same out array (the same
// values): with a power-of-two pitch, where an array sits relative to u and coeff in the cache
// sets changes the time by ~10 %, so separate outputs would measure their addresses. The order
// rotates each round, so what ran just before does not bias a variant either.
extern "C" void hdiff_body_run(const double* u, const double* coeff, double* out, int n0, int n1, int rounds,
                               double* seconds) {
  using namespace hdiff_body;
  const View2 U(const_cast<double*>(u), n0, n1), C(const_cast<double*>(coeff), n0, n1), O(out, n0, n1);
  for (int r = 0; r < rounds; ++r)
    for (int j = 0; j < 4; ++j) {
      const int k = (r + j) % 4;
      seconds[4 * r + k] = run_variant(k, U, C, O);
    }
}
