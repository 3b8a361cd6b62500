// The MDFT hot kernels in Kokkos: one F + dF/dxi of the HNC functional (Tier A scalar solvent or
// Tier B with orientations), on Views allocated once; FFTW on the host, cuFFT / hipFFT on GPUs.
#pragma once

#include <Kokkos_Complex.hpp>
#include <Kokkos_Core.hpp>

#include <cstdint>
#include <vector>

#include "mdft_capi.h"

namespace mdft {

using ExecSpace = Kokkos::DefaultExecutionSpace;
using MemSpace = ExecSpace::memory_space;
using complex = Kokkos::complex<double>;

// Fields: (no, nx, ny, nz) flattened to (orientation, point) or (theta, phi, psi, point).
using Field = Kokkos::View<double*, MemSpace>;
using ConstField = Kokkos::View<const double*, MemSpace, Kokkos::MemoryUnmanaged>;
using OutField = Kokkos::View<double*, MemSpace, Kokkos::MemoryUnmanaged>;
using Weights = Kokkos::View<const double*, MemSpace>;
// Projections: (projection, point), each row one 3-D grid (what the batched FFTs need).
using Proj = Kokkos::View<complex**, Kokkos::LayoutRight, MemSpace>;
using Spectrum = Kokkos::View<complex*, MemSpace>;
using Table = Kokkos::View<double**, Kokkos::LayoutRight, MemSpace>;
using Index = Kokkos::View<int64_t*, MemSpace>;
// Per-k tables indexed (k, ...) in the space's default layout: one k's row contiguous on a CPU
// core, consecutive k coalesced across GPU threads.
using KTable = Kokkos::View<double**, MemSpace>;
using KTableC = Kokkos::View<complex**, MemSpace>;
using ScratchC = Kokkos::View<complex*, ExecSpace::scratch_memory_space, Kokkos::MemoryUnmanaged>;

class FftPlans;

// One functional's tables and work buffers; the kernels below read and write them.
class Mdft {
 public:
  explicit Mdft(const mdft_tables& t);
  ~Mdft();
  Mdft(const Mdft&) = delete;
  Mdft& operator=(const Mdft&) = delete;

  void set_xi(const double* xi, double* grad);   // host arrays; views of them on the host
  double run(int kernel);                        // one kernel of the chain; its energy term or 0
  double evaluate(const double* xi, double* grad);

  double ideal_ext();
  void delta_rho();
  void scalar_convolve();
  void angle_to_proj();
  void fft3_batched();
  void kspace_contract();
  void ifft3_batched();
  void proj_to_angle();
  double excess();

 private:
  static bool host_accessible();   // Views of the caller's host arrays can be used as they are
  bool tier_b_;
  int64_t no_, nspace_, size_, ntheta_, nphi_, npsi_, nhalf_, nproj_, mmax_, nslot_, nout_;
  int64_t nx_, ny_, nz_, nfp_, ngp_;
  double rho0_, kt_, dv_;
  Field vext_, drho_, gamma_, xi_dev_, grad_dev_;
  Weights weights_;
  ConstField xi_;
  OutField grad_;
  double* grad_host_ = nullptr;
  Kokkos::View<double*, MemSpace> ck_;   // Tier A, divided by N (the inverse FFT's scaling)
  Spectrum hk_;                          // Tier A r2c spectrum
  Spectrum spec_;                        // (theta, phi, psi bin, point) angular spectrum
  Proj proj_, projk_, tmp_;
  Table fwd_, bwd_;                      // bwd_ carries the inverse 3-D FFT's 1/N
  Index iphi_, ipsi_, fsrc_, src_, order_, offset_, outidx_;
  Kokkos::View<double*, MemSpace> fsign_;
  Kokkos::View<complex**, Kokkos::LayoutRight, MemSpace> mix_, mix_h_;
  KTable dk_;
  KTableC phase_, coef_;
  FftPlans* fft_ = nullptr;
};

}  // namespace mdft
