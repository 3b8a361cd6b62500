// Hand-written Kokkos equivalents of the PyKokkos example kernels that
// benchmarks/pykokkos_side_by_side.py runs through hpcir.pykokkos: ParRes nstream
// (A += B + scalar * C) and the kokkos-tutorials team-policy y^T A x (one team per row, a
// TeamThreadRange reduction over its columns). BabelStream's triad is handwritten_kokkos.cpp's.
// Built with hpcir's own compiler, flags and Kokkos install, and loaded into the same process.
#include <Kokkos_Core.hpp>

#include <cstdint>

namespace {

using exec_space = Kokkos::OpenMP;
using View1 = Kokkos::View<double*, Kokkos::LayoutRight, Kokkos::HostSpace,
                           Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
using ConstView1 = Kokkos::View<const double*, Kokkos::LayoutRight, Kokkos::HostSpace,
                                Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
using ConstView2 = Kokkos::View<const double**, Kokkos::LayoutRight, Kokkos::HostSpace,
                                Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
using team_policy = Kokkos::TeamPolicy<exec_space>;
using member_type = team_policy::member_type;

struct Nstream {
  View1 a;
  ConstView1 b, c;
  double scalar;
  KOKKOS_INLINE_FUNCTION void operator()(const int64_t i) const { a(i) += b(i) + scalar * c(i); }
};

struct YAx {  // update += y(j) * sum_i A(j, i) x(i), one team per row j
  ConstView1 y, x;
  ConstView2 A;
  KOKKOS_INLINE_FUNCTION void operator()(const member_type& team, double& update) const {
    const int64_t j = team.league_rank();
    double row = 0.0;
    Kokkos::parallel_reduce(
        Kokkos::TeamThreadRange(team, A.extent(1)),
        [&](const int64_t i, double& inner) { inner += A(j, i) * x(i); }, row);
    Kokkos::single(Kokkos::PerTeam(team), [&]() { update += y(j) * row; });
  }
};

}  // namespace

extern "C" void hw_nstream(double* a, const double* b, const double* c, int64_t n, double scalar) {
  Kokkos::parallel_for("hw_nstream", Kokkos::RangePolicy<exec_space>(0, n),
                       Nstream{View1(a, n), ConstView1(b, n), ConstView1(c, n), scalar});
  Kokkos::fence();
}

extern "C" double hw_yAx(const double* y, const double* A, const double* x, int64_t rows,
                         int64_t cols) {
  double result = 0.0;
  Kokkos::parallel_reduce("hw_yAx", team_policy(rows, Kokkos::AUTO),
                          YAx{ConstView1(y, rows), ConstView1(x, cols), ConstView2(A, rows, cols)},
                          result);
  return result;
}
