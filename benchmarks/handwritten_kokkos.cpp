// Hand-written Kokkos baselines for benchmarks/spine.py and passes.py: what a Kokkos programmer
// would write for the STREAM triad (a functor over a RangePolicy), the 3-D 7-point Jacobi and the
// 2-D hdiff (functors over default MDRangePolicy<Rank<3>> / <Rank<2>>), plus C++-side timers.
// Built by spine_handwritten.py with the exact compiler, flags and Kokkos install of hpcir's own
// module builds, and loaded into the same process, so both run on the one Kokkos instance with
// the same OpenMP threads.
#include <Kokkos_Core.hpp>

#include "handwritten_functors.hpp"

#include <cstdint>
#include <cstdio>

namespace {

using exec_space = Kokkos::OpenMP;
// The views wrap numpy's memory (no copies): every variant reads and writes the same pages.
using View1 = Kokkos::View<double*, Kokkos::LayoutRight, Kokkos::HostSpace,
                           Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
using View2 = Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace,
                           Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
using View3 = Kokkos::View<double***, Kokkos::LayoutRight, Kokkos::HostSpace,
                           Kokkos::MemoryTraits<Kokkos::Unmanaged>>;

using Triad = hw_functors::Triad<View1>;
template <class I>
using Jacobi = hw_functors::Jacobi<View3, I>;
using Hdiff = hw_functors::Hdiff<View2>;

struct Touch {  // the smallest useful kernel: measures Kokkos' own launch + fence cost
  View1 x;
  KOKKOS_INLINE_FUNCTION void operator()(const int64_t i) const { x(i) = 1.0; }
};

void triad_launch(const Triad& f, int64_t n) {
  Kokkos::parallel_for("hw_triad", Kokkos::RangePolicy<exec_space>(0, n), f);
  Kokkos::fence();
}

template <class I>
void jacobi_launch(const Jacobi<I>& f, int n0, int n1, int n2) {
  Kokkos::parallel_for("hw_jacobi",
                       Kokkos::MDRangePolicy<exec_space, Kokkos::Rank<3>>({1, 1, 1},
                                                                          {n0 - 1, n1 - 1, n2 - 1}),
                       f);
  Kokkos::fence();
}

void hdiff_launch(const Hdiff& f, int n0, int n1) {  // interior [2, n-2): lap at ±1 reads u at ±2
  Kokkos::parallel_for("hw_hdiff",
                       Kokkos::MDRangePolicy<exec_space, Kokkos::Rank<2>>({2, 2}, {n0 - 2, n1 - 2}), f);
  Kokkos::fence();
}

template <class F>
void timed(int reps, double* seconds, F&& launch) {
  Kokkos::Timer timer;
  for (int r = 0; r < reps; ++r) {
    timer.reset();
    launch();
    seconds[r] = timer.seconds();
  }
}

}  // namespace

// Initializes Kokkos unless an hpcir module already did (returns 1 if this call did, else 0).
extern "C" int hw_initialize(int num_threads) {
  if (Kokkos::is_initialized()) return 0;
#if KOKKOS_VERSION >= 30700
  Kokkos::InitializationSettings settings;
  if (num_threads > 0) settings.set_num_threads(num_threads);
  settings.set_disable_warnings(true);
  Kokkos::initialize(settings);
#else
  Kokkos::InitArguments args;
  args.num_threads = num_threads > 0 ? num_threads : -1;
  args.disable_warnings = true;
  Kokkos::initialize(args);
#endif
  return 1;
}

extern "C" void hw_finalize(void) {
  if (Kokkos::is_initialized()) Kokkos::finalize();
}

// Threads of the OpenMP execution space every variant runs on.
extern "C" int hw_concurrency(void) { return exec_space().concurrency(); }

extern "C" int hw_kokkos_version(void) { return KOKKOS_VERSION; }

extern "C" const char* hw_compiler(void) { return __VERSION__; }

// One launch + fence per call (the ctypes path); `hw_*_timed` time `reps` launches in C++.
extern "C" void hw_triad(double* a, double* b, double* c, int64_t n, double s) {
  triad_launch(Triad{View1(a, n), View1(b, n), View1(c, n), s}, n);
}

extern "C" void hw_triad_timed(double* a, double* b, double* c, int64_t n, double s, int reps,
                               double* seconds) {
  const Triad f{View1(a, n), View1(b, n), View1(c, n), s};
  timed(reps, seconds, [&] { triad_launch(f, n); });
}

extern "C" void hw_jacobi(double* u, double* out, int n0, int n1, int n2, double c0, double c1) {
  jacobi_launch(Jacobi<int64_t>{View3(u, n0, n1, n2), View3(out, n0, n1, n2), c0, c1}, n0, n1, n2);
}

extern "C" void hw_jacobi_timed(double* u, double* out, int n0, int n1, int n2, double c0,
                                double c1, int reps, double* seconds) {
  const Jacobi<int64_t> f{View3(u, n0, n1, n2), View3(out, n0, n1, n2), c0, c1};
  timed(reps, seconds, [&] { jacobi_launch(f, n0, n1, n2); });
}

extern "C" void hw_jacobi_int_timed(double* u, double* out, int n0, int n1, int n2, double c0,
                                    double c1, int reps, double* seconds) {
  const Jacobi<int> f{View3(u, n0, n1, n2), View3(out, n0, n1, n2), c0, c1};
  timed(reps, seconds, [&] { jacobi_launch(f, n0, n1, n2); });
}

extern "C" void hw_hdiff(double* u, double* coeff, double* out, int n0, int n1) {
  hdiff_launch(Hdiff{View2(u, n0, n1), View2(coeff, n0, n1), View2(out, n0, n1)}, n0, n1);
}

extern "C" void hw_hdiff_timed(double* u, double* coeff, double* out, int n0, int n1, int reps,
                               double* seconds) {
  const Hdiff f{View2(u, n0, n1), View2(coeff, n0, n1), View2(out, n0, n1)};
  timed(reps, seconds, [&] { hdiff_launch(f, n0, n1); });
}

extern "C" void hw_touch(double* x, int64_t n) {
  Kokkos::parallel_for("hw_touch", Kokkos::RangePolicy<exec_space>(0, n), Touch{View1(x, n)});
  Kokkos::fence();
}

extern "C" void hw_touch_timed(double* x, int64_t n, int reps, double* seconds) {
  const Touch f{View1(x, n)};
  timed(reps, seconds, [&] {
    Kokkos::parallel_for("hw_touch", Kokkos::RangePolicy<exec_space>(0, n), f);
    Kokkos::fence();
  });
}

// Times an hpcir generated entry `int hpcir_NAME(void** args, void* results, char*, int)` called
// from C++ with prepared arguments: hpcir's in-C++ cost (view wrapping + launch + fence) without
// any Python. Returns the first non-zero status, else 0.
using hpcir_entry = int (*)(void**, void*, char*, int);

extern "C" int hw_entry_timed(void* entry, void** args, void* results, int reps,
                              double* seconds) {
  auto fn = reinterpret_cast<hpcir_entry>(entry);
  char err[512] = {0};
  int status = 0;
  timed(reps, seconds, [&] {
    int s = fn(args, results, err, static_cast<int>(sizeof err));
    if (s != 0 && status == 0) {
      status = s;
      std::fprintf(stderr, "hpcir entry failed: %s\n", err);
    }
  });
  return status;
}
