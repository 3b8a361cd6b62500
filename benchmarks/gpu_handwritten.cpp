// GPU benchmark driver (benchmarks/gpu_passes.py): hand-written Kokkos baselines for the device
// triad, the 3-D 7-point Jacobi and the 2-D hdiff, and a timed driver that calls hpcir's
// generated C++ API (hpcir_gpu_bench.hpp, every pipeline variant one function) on the same
// device-resident views. Everything stays on the device between launches; each launch is timed
// in C++ with a fence, the variants rotating their order every round.
#include "hpcir_gpu_bench.hpp"
#include "handwritten_functors.hpp"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace gpu_bench {

namespace G = ::hpcir_gpu_bench;
using Exec = G::exec_space;
using Mem = G::device_space;
// The target's preferred layout (LayoutLeft on GPUs, Kokkos' default there and what hpcir's
// layout-free GPU entries take; LayoutRight when the driver itself is checked on a host target).
using Layout = GPU_BENCH_LAYOUT;
using V1 = Kokkos::View<double*, Layout, Mem>;
using V2 = Kokkos::View<double**, Layout, Mem>;
using V3 = Kokkos::View<double***, Layout, Mem>;

using Triad = hw_functors::Triad<V1>;
using Jacobi = hw_functors::Jacobi<V3>;
using Hdiff = hw_functors::Hdiff<V2>;

struct Fill1 {  // deterministic, non-trivial values (no host copies)
  V1 x;
  double f;
  KOKKOS_INLINE_FUNCTION void operator()(const int64_t i) const { x(i) = 0.5 + 0.25 * hpcir::kmath::sin(f * i); }
};

template <class V>
V1 flat(const V& v) { return V1(v.data(), v.span()); }

template <class V>
void fill(const V& v, double f) {
  Kokkos::parallel_for("fill", Kokkos::RangePolicy<Exec>(0, v.span()), Fill1{flat(v), f});
}

struct AbsDiff {
  V1 a, b;
  KOKKOS_INLINE_FUNCTION void operator()(const int64_t i, double& m) const {
    const double d = a(i) > b(i) ? a(i) - b(i) : b(i) - a(i);
    if (d > m) m = d;
  }
};

template <class V>
double max_abs_diff(const V& a, const V& b) {
  double m = 0.0;
  Kokkos::parallel_reduce("diff", Kokkos::RangePolicy<Exec>(0, a.span()), AbsDiff{flat(a), flat(b)},
                          Kokkos::Max<double>(m));
  return m;
}

template <class F>
double timed(F&& launch) {
  Kokkos::fence();
  Kokkos::Timer t;
  launch();
  Kokkos::fence();
  return t.seconds();
}

}  // namespace gpu_bench

// Variant names, in the order of gpu_bench_run's seconds; separated by '\n'.
extern "C" const char* gpu_bench_variants(void) { return GPU_BENCH_VARIANT_NAMES; }

// seconds[r * GPU_BENCH_NUM_VARIANTS + k]: variant k in round r (`rounds` rounds after `warmup`
// discarded ones). maxdiff[k]: max |generated - hand-written| of variant k's output (0 for the
// hand-written ones and the triad). Returns 0, or 1 with the reason in err.
extern "C" int gpu_bench_run(int64_t triad_n, int jacobi_n, int hdiff_n, int warmup, int rounds, double* seconds,
                             double* maxdiff, char* err, int errlen) {
  using namespace gpu_bench;
  try {
    const double c0 = 0.4, c1 = 0.1, s = 3.0;
    V1 a("a", triad_n), b("b", triad_n), c("c", triad_n);
    const int64_t n3 = jacobi_n, n2 = hdiff_n;
    V3 u3("u3", n3, n3, n3), out3("out3", n3, n3, n3), ref3("ref3", n3, n3, n3);
    V2 u2("u2", n2, n2), coeff("coeff", n2, n2), out2("out2", n2, n2), ref2("ref2", n2, n2);
    fill(b, 1e-3), fill(c, 2e-3), fill(u3, 3e-3), fill(u2, 4e-3), fill(coeff, 5e-3);
    const Kokkos::MDRangePolicy<Exec, Kokkos::Rank<3>> jpol({1, 1, 1}, {n3 - 1, n3 - 1, n3 - 1});
    const Kokkos::MDRangePolicy<Exec, Kokkos::Rank<2>> hpol({2, 2}, {n2 - 2, n2 - 2});
    // The hand-written results are the references of the generated variants.
    Kokkos::parallel_for("hw_jacobi", jpol, Jacobi{u3, ref3, c0, c1});
    Kokkos::parallel_for("hw_hdiff", hpol, Hdiff{u2, coeff, ref2});
    Kokkos::fence();
    const int nv = GPU_BENCH_NUM_VARIANTS;
    auto run = [&](int k) -> double {
      switch (k) {
        case 0: return timed([&] { Kokkos::parallel_for("hw_triad", Kokkos::RangePolicy<Exec>(0, triad_n), Triad{a, b, c, s}); });
        case 1: return timed([&] { Kokkos::parallel_for("hw_jacobi", jpol, Jacobi{u3, out3, c0, c1}); });
        case 2: return timed([&] { Kokkos::parallel_for("hw_hdiff", hpol, Hdiff{u2, coeff, out2}); });
        GPU_BENCH_GENERATED_CASES
        default: return 0.0;
      }
    };
    for (int k = 0; k < nv; ++k) {  // correctness first: every generated variant vs hand-written
      Kokkos::deep_copy(out3, 0.0);
      Kokkos::deep_copy(out2, 0.0);
      run(k);
      maxdiff[k] = GPU_BENCH_IS_JACOBI(k) ? max_abs_diff(out3, ref3) : GPU_BENCH_IS_HDIFF(k) ? max_abs_diff(out2, ref2) : 0.0;
    }
    for (int r = 0; r < warmup + rounds; ++r)
      for (int j = 0; j < nv; ++j) {
        const int k = (r + j) % nv;
        const double t = run(k);
        if (r >= warmup) seconds[(r - warmup) * nv + k] = t;
      }
    return 0;
  } catch (const std::exception& ex) {
    std::snprintf(err, errlen, "%s", ex.what());
    return 1;
  }
}
