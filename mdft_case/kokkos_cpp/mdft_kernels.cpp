// The MDFT hot kernels in Kokkos (what mdft_kernels.hpp declares) and the C ABI of mdft_capi.h.
//
// One F + dF/dxi, Tier B: ideal_ext, delta_rho, angle_to_proj (2-D r2c FFT over (phi, psi) at every
// (theta, r), theta quadrature), fft3_batched, kspace_contract (a team per k-vector, the k-frame
// projections in team scratch), ifft3_batched, proj_to_angle, excess. Tier A replaces the five
// projection kernels with scalar_convolve. FFTW (threads on OpenMP) on the host, cuFFT / hipFFT
// on CUDA / HIP.
#include "mdft_kernels.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <string>

#if defined(KOKKOS_ENABLE_CUDA)
#include <cufft.h>
#define MDFT_FFT(name) cufft##name
#define MDFT_FFT_ENUM(name) CUFFT_##name
#define MDFT_FFT_BACKWARD CUFFT_INVERSE
#define MDFT_GPU_FFT 1
#elif defined(KOKKOS_ENABLE_HIP)
#include <hipfft/hipfft.h>
#define MDFT_FFT(name) hipfft##name
#define MDFT_FFT_ENUM(name) HIPFFT_##name
#define MDFT_FFT_BACKWARD HIPFFT_BACKWARD
#define MDFT_GPU_FFT 1
#else
#include <fftw3.h>
#endif

namespace mdft {

namespace {

// A host array copied into a new View of the memory space (tables are set up once).
template <class V, class T>
V to_device(const std::string& label, const T* host, size_t n0, size_t n1 = 0) {
  V dev;
  if constexpr (V::rank == 2) dev = V(label, n0, n1);
  else dev = V(label, n0);
  auto mirror = Kokkos::create_mirror_view(dev);
  std::memcpy(static_cast<void*>(mirror.data()), host, sizeof(typename V::value_type) * (n1 ? n0 * n1 : n0));
  Kokkos::deep_copy(dev, mirror);
  return dev;
}

// A (rows, nspace) row-major host table stored (k, row): see KTable.
template <class V, class T>
V k_major(const std::string& label, const T* host, int64_t rows, int64_t nspace) {
  V dev(label, nspace, rows);
  auto mirror = Kokkos::create_mirror_view(dev);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < nspace; ++k) mirror(k, r) = host[r * nspace + k];
  Kokkos::deep_copy(dev, mirror);
  return dev;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// FFT plans: made once per functional on its own buffers, executed on them every evaluation.

#if defined(MDFT_GPU_FFT)
using FftComplex = MDFT_FFT(DoubleComplex);
using FftReal = MDFT_FFT(DoubleReal);

static void check(MDFT_FFT(Result) status, const char* what) {
  if (status != MDFT_FFT_ENUM(SUCCESS)) throw std::runtime_error(std::string("GPU FFT failed: ") + what);
}

class FftPlans {
 public:
  // Tier A: one real 3-D transform; Tier B: the (phi, psi) transforms of one theta (S of them,
  // stride S) run ntheta times, and npj complex 3-D transforms.
  FftPlans(bool tier_b, int nx, int ny, int nz, int ntheta, int nphi, int npsi, int npj) : tier_b_(tier_b) {
    const int S = nx * ny * nz;
    int n3[3] = {nx, ny, nz};
    if (!tier_b) {
      check(MDFT_FFT(PlanMany)(&fwd_, 3, n3, nullptr, 1, 0, nullptr, 1, 0, MDFT_FFT_ENUM(D2Z), 1), "plan r2c");
      check(MDFT_FFT(PlanMany)(&bwd_, 3, n3, nullptr, 1, 0, nullptr, 1, 0, MDFT_FFT_ENUM(Z2D), 1), "plan c2r");
      return;
    }
    const int nhalf = npsi / 2 + 1;
    int n2[2] = {nphi, npsi}, real[2] = {nphi, npsi}, half[2] = {nphi, nhalf};
    check(MDFT_FFT(PlanMany)(&fwd_, 2, n2, real, S, 1, half, S, 1, MDFT_FFT_ENUM(D2Z), S), "plan angular r2c");
    check(MDFT_FFT(PlanMany)(&bwd_, 2, n2, half, S, 1, real, S, 1, MDFT_FFT_ENUM(Z2D), S), "plan angular c2r");
    check(MDFT_FFT(PlanMany)(&fft3_, 3, n3, nullptr, 1, S, nullptr, 1, S, MDFT_FFT_ENUM(Z2Z), npj), "plan 3-D");
    theta_ = ntheta;
    real_step_ = int64_t(nphi) * npsi * S;
    half_step_ = int64_t(nphi) * nhalf * S;
  }
  ~FftPlans() {
    MDFT_FFT(Destroy)(fwd_);
    MDFT_FFT(Destroy)(bwd_);
    if (tier_b_) MDFT_FFT(Destroy)(fft3_);
  }
  void r2c(double* in, complex* out) {
    for (int t = 0; t < (tier_b_ ? theta_ : 1); ++t)
      check(MDFT_FFT(ExecD2Z)(fwd_, reinterpret_cast<FftReal*>(in + t * real_step_),
                              reinterpret_cast<FftComplex*>(out + t * half_step_)), "r2c");
  }
  void c2r(complex* in, double* out) {
    for (int t = 0; t < (tier_b_ ? theta_ : 1); ++t)
      check(MDFT_FFT(ExecZ2D)(bwd_, reinterpret_cast<FftComplex*>(in + t * half_step_),
                              reinterpret_cast<FftReal*>(out + t * real_step_)), "c2r");
  }
  void forward3(complex* in, complex* out) {
    check(MDFT_FFT(ExecZ2Z)(fft3_, reinterpret_cast<FftComplex*>(in), reinterpret_cast<FftComplex*>(out),
                            MDFT_FFT_ENUM(FORWARD)), "3-D forward");
  }
  void backward3(complex* inout) {
    auto* p = reinterpret_cast<FftComplex*>(inout);
    check(MDFT_FFT(ExecZ2Z)(fft3_, p, p, MDFT_FFT_BACKWARD), "3-D backward");
  }

 private:
  bool tier_b_;
  MDFT_FFT(Handle) fwd_, bwd_, fft3_;
  int theta_ = 1;
  int64_t real_step_ = 0, half_step_ = 0;
};

#else  // FFTW on the host

class FftPlans {
 public:
  FftPlans(bool tier_b, int nx, int ny, int nz, int ntheta, int nphi, int npsi, int npj, double* real,
           complex* half, complex* proj, complex* projk) {
    // FFTW_MEASURE overwrites the buffers while planning: they hold no data yet
    const char* rigor = std::getenv("MDFT_FFTW_PLANNER");
    const unsigned flags = rigor && std::string(rigor) == "estimate" ? FFTW_ESTIMATE : FFTW_MEASURE;
#if defined(KOKKOS_ENABLE_OPENMP)
    fftw_plan_with_nthreads(ExecSpace().concurrency());
#endif
    auto* h = reinterpret_cast<fftw_complex*>(half);
    if (!tier_b) {
      fwd_ = fftw_plan_dft_r2c_3d(nx, ny, nz, real, h, flags);
      bwd_ = fftw_plan_dft_c2r_3d(nx, ny, nz, h, real, flags);
      return;
    }
    // (theta, phi, psi, point): a 2-D transform over (phi, psi) at every (theta, point)
    const int S = nx * ny * nz, nhalf = npsi / 2 + 1;
    fftw_iodim fdims[2] = {{nphi, npsi * S, nhalf * S}, {npsi, S, S}};
    fftw_iodim floops[2] = {{ntheta, nphi * npsi * S, nphi * nhalf * S}, {S, 1, 1}};
    fwd_ = fftw_plan_guru_dft_r2c(2, fdims, 2, floops, real, h, flags);
    fftw_iodim bdims[2] = {{nphi, nhalf * S, npsi * S}, {npsi, S, S}};
    fftw_iodim bloops[2] = {{ntheta, nphi * nhalf * S, nphi * npsi * S}, {S, 1, 1}};
    bwd_ = fftw_plan_guru_dft_c2r(2, bdims, 2, bloops, h, real, flags);
    int n3[3] = {nx, ny, nz};
    auto* p = reinterpret_cast<fftw_complex*>(proj);
    auto* pk = reinterpret_cast<fftw_complex*>(projk);
    fwd3_ = fftw_plan_many_dft(3, n3, npj, p, nullptr, 1, S, pk, nullptr, 1, S, FFTW_FORWARD, flags);
    bwd3_ = fftw_plan_many_dft(3, n3, npj, p, nullptr, 1, S, p, nullptr, 1, S, FFTW_BACKWARD, flags);
    if (!fwd3_ || !bwd3_) throw std::runtime_error("FFTW could not plan the batched 3-D transforms");
  }
  ~FftPlans() {
    for (fftw_plan p : {fwd_, bwd_, fwd3_, bwd3_})
      if (p) fftw_destroy_plan(p);
  }
  void r2c(double* in, complex* out) { fftw_execute_dft_r2c(fwd_, in, reinterpret_cast<fftw_complex*>(out)); }
  // c2r overwrites its input (the spectrum is scratch)
  void c2r(complex* in, double* out) { fftw_execute_dft_c2r(bwd_, reinterpret_cast<fftw_complex*>(in), out); }
  void forward3(complex* in, complex* out) {
    fftw_execute_dft(fwd3_, reinterpret_cast<fftw_complex*>(in), reinterpret_cast<fftw_complex*>(out));
  }
  void backward3(complex* inout) {
    auto* p = reinterpret_cast<fftw_complex*>(inout);
    fftw_execute_dft(bwd3_, p, p);
  }

 private:
  fftw_plan fwd_ = nullptr, bwd_ = nullptr, fwd3_ = nullptr, bwd3_ = nullptr;
};
#endif

// ------------------------------------------------------------------------------------------------
// The k-space contraction: a team per k-vector (k and -k together). f'^n_{chi nu} (fp) and
// g'^m_{chi mu} (gp) live in team scratch.

struct KspaceContract {
  using Team = Kokkos::TeamPolicy<ExecSpace>::member_type;
  Proj f, res;
  Index fsrc, src, order, offset, outidx;
  Kokkos::View<double*, MemSpace> fsign;
  KTable dk;
  KTableC phase, coef;
  int64_t nx, ny, nz, mmax, nslot, nout, nfp, ngp, npj;
  int level;   // of the team scratch

  KOKKOS_INLINE_FUNCTION double d(int64_t k, int64_t n, int64_t nup, int64_t chi) const {
    const int64_t width = 2 * mmax + 1;
    return dk(k, (n * width + nup) * width + chi);   // d^n_{nu' chi}(theta_k), both indices + mmax
  }

  KOKKOS_INLINE_FUNCTION void operator()(const Team& team) const {
    const int64_t k = team.league_rank();
    const int64_t width = 2 * mmax + 1;
    ScratchC fp(team.team_scratch(level), nfp), gp(team.team_scratch(level), ngp);
    const int64_t ix = k / (ny * nz), iy = (k / nz) % ny, iz = k % nz;
    const int64_t kneg = (((nx - ix) % nx) * ny + (ny - iy) % ny) * nz + (nz - iz) % nz;

    // into the k-frame: f'^n_{chi nu} = sum_nu' d^n_{nu' chi} e^{i nu' phi_k} f^n_{nu' nu}, the
    // nu < 0 half from f(-k) (the field is real)
    Kokkos::parallel_for(Kokkos::TeamThreadRange(team, nfp), [&](const int64_t q) {
      const int64_t n = q / (width * nslot), c = (q / nslot) % width, v = q % nslot;
      complex acc = 0.0;
      if (c >= mmax - n && c <= mmax + n) {
        for (int64_t jj = mmax - n; jj <= mmax + n; ++jj) {
          const int64_t at = (n * width + jj) * nslot + v;
          const int64_t row = fsrc(at);
          if (row >= 2 * npj) continue;   // no such (n, nu', nu)
          const complex val = row < npj ? f(row, k) : Kokkos::conj(f(row - npj, kneg));
          acc += (d(k, n, jj, c) * fsign(at)) * val * phase(k, jj);
        }
      }
      fp(q) = acc;
    });
    team.team_barrier();

    // g'^m_{chi mu} = sum over the table's entries of wn c^{mn}_{mu nu chi}(k) f'^n_{chi nu};
    // entries grouped by output (CSR) so that one thread owns each g'
    Kokkos::parallel_for(Kokkos::TeamThreadRange(team, ngp), [&](const int64_t g) {
      complex acc = 0.0;
      for (int64_t e = offset(g); e < offset(g + 1); ++e) acc += coef(k, order(e)) * fp(src(order(e)));
      gp(g) = acc;
    });
    team.team_barrier();

    // back to the lab frame: gamma^m_{mu' mu} = e^{-i mu' phi_k} sum_chi d^m_{mu' chi} g'^m_{chi mu}
    Kokkos::parallel_for(Kokkos::TeamThreadRange(team, npj), [&](const int64_t p) {
      const int64_t o = outidx(p);
      const int64_t m = o / (width * nout), jj = (o / nout) % width, u = o % nout;
      complex acc = 0.0;
      for (int64_t c = mmax - m; c <= mmax + m; ++c) acc += d(k, m, jj, c) * gp((m * width + c) * nout + u);
      res(p, k) = acc * Kokkos::conj(phase(k, jj));
    });
  }
};

// ------------------------------------------------------------------------------------------------

Mdft::Mdft(const mdft_tables& t)
    : tier_b_(t.tier == 1), no_(t.no), nspace_(t.nx * t.ny * t.nz), size_(t.no * t.nx * t.ny * t.nz),
      ntheta_(t.ntheta), nphi_(t.nphi), npsi_(t.npsi), nhalf_(t.npsi / 2 + 1), nproj_(t.nproj), mmax_(t.mmax),
      nslot_(t.nslot), nout_(t.nout), nx_(t.nx), ny_(t.ny), nz_(t.nz), rho0_(t.rho0), kt_(t.kt), dv_(t.dv) {
  vext_ = to_device<Field>("mdft::vext", t.vext, size_);
  weights_ = to_device<Kokkos::View<double*, MemSpace>>("mdft::weights", t.weights, no_);
  drho_ = Field("mdft::drho", size_);
  gamma_ = Field("mdft::gamma", size_);
  if (!host_accessible()) {   // xi in and dF/dxi out go through device copies
    xi_dev_ = Field("mdft::xi", size_);
    grad_dev_ = Field("mdft::grad", size_);
  }
  const int64_t S = nspace_;
  if (!tier_b_) {
    const int64_t nk = nx_ * ny_ * (nz_ / 2 + 1);
    std::vector<double> ck(t.ck, t.ck + nk);
    for (double& c : ck) c /= double(S);   // the unscaled inverse FFT's 1/N
    ck_ = to_device<Kokkos::View<double*, MemSpace>>("mdft::ck", ck.data(), nk);
    hk_ = Spectrum("mdft::hk", nk);
#if defined(MDFT_GPU_FFT)
    fft_ = new FftPlans(false, nx_, ny_, nz_, 1, 1, 1, 1);
#else
    fft_ = new FftPlans(false, nx_, ny_, nz_, 1, 1, 1, 1, drho_.data(), hk_.data(), nullptr, nullptr);
#endif
    return;
  }
  const int64_t width = 2 * mmax_ + 1;
  nfp_ = (mmax_ + 1) * width * nslot_;
  ngp_ = (mmax_ + 1) * width * nout_;
  spec_ = Spectrum("mdft::spec", ntheta_ * nphi_ * nhalf_ * S);
  proj_ = Proj("mdft::proj", nproj_, S);
  projk_ = Proj("mdft::projk", nproj_, S);
  fwd_ = to_device<Table>("mdft::fwd", t.fwd, nproj_, ntheta_);
  std::vector<double> bwd(t.bwd, t.bwd + nproj_ * ntheta_);
  for (double& b : bwd) b /= double(S);   // the unscaled inverse 3-D FFT's 1/N
  bwd_ = to_device<Table>("mdft::bwd", bwd.data(), nproj_, ntheta_);
  iphi_ = to_device<Index>("mdft::iphi", t.iphi, nproj_);
  ipsi_ = to_device<Index>("mdft::ipsi", t.ipsi, nproj_);
  if (t.has_mix) {
    using Mix = Kokkos::View<complex**, Kokkos::LayoutRight, MemSpace>;
    auto* m = reinterpret_cast<const complex*>(t.mix);
    std::vector<complex> mh(nproj_ * nproj_);
    for (int64_t p = 0; p < nproj_; ++p)
      for (int64_t q = 0; q < nproj_; ++q) mh[p * nproj_ + q] = Kokkos::conj(m[q * nproj_ + p]);
    mix_ = to_device<Mix>("mdft::mix", m, nproj_, nproj_);
    mix_h_ = to_device<Mix>("mdft::mix_h", mh.data(), nproj_, nproj_);
    tmp_ = Proj("mdft::tmp", nproj_, S);
  }
  fsrc_ = to_device<Index>("mdft::fsrc", t.fsrc, nfp_);
  fsign_ = to_device<Kokkos::View<double*, MemSpace>>("mdft::fsign", t.fsign, nfp_);
  src_ = to_device<Index>("mdft::src", t.src, t.nentries);
  outidx_ = to_device<Index>("mdft::outidx", t.outidx, nproj_);
  // the table's entries grouped by output g' (CSR): no two threads of a team write one value
  std::vector<int64_t> order(t.nentries), offset(ngp_ + 1, 0);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return t.dst[a] < t.dst[b]; });
  for (int64_t e = 0; e < t.nentries; ++e) ++offset[t.dst[e] + 1];
  std::partial_sum(offset.begin(), offset.end(), offset.begin());
  order_ = to_device<Index>("mdft::order", order.data(), order.size());
  offset_ = to_device<Index>("mdft::offset", offset.data(), offset.size());
  dk_ = k_major<KTable>("mdft::dk", t.dk, (mmax_ + 1) * width * width, S);
  phase_ = k_major<KTableC>("mdft::phase", reinterpret_cast<const complex*>(t.phase), width, S);
  coef_ = k_major<KTableC>("mdft::coef", reinterpret_cast<const complex*>(t.coef), t.nentries, S);
#if defined(MDFT_GPU_FFT)
  fft_ = new FftPlans(true, nx_, ny_, nz_, ntheta_, nphi_, npsi_, nproj_);
#else
  fft_ = new FftPlans(true, nx_, ny_, nz_, ntheta_, nphi_, npsi_, nproj_, drho_.data(), spec_.data(),
                      proj_.data(), projk_.data());
#endif
}

Mdft::~Mdft() { delete fft_; }

bool Mdft::host_accessible() {
  return Kokkos::SpaceAccessibility<Kokkos::HostSpace, MemSpace>::accessible;
}

void Mdft::set_xi(const double* xi, double* grad) {
  grad_host_ = grad;
  if (host_accessible()) {   // the caller's arrays, no copy
    xi_ = ConstField(xi, size_);
    grad_ = OutField(grad, size_);
    return;
  }
  Kokkos::deep_copy(xi_dev_, Kokkos::View<const double*, Kokkos::HostSpace, Kokkos::MemoryUnmanaged>(xi, size_));
  xi_ = ConstField(xi_dev_.data(), size_);
  grad_ = OutField(grad_dev_.data(), size_);
}

double Mdft::ideal_ext() {
  auto xi = xi_;
  auto vext = vext_;
  auto w = weights_;
  auto grad = grad_;
  const int64_t nspace = nspace_;
  const double scale = dv_ * rho0_, kt = kt_;
  double energy = 0.0;
  Kokkos::parallel_reduce("mdft::ideal_ext", Kokkos::RangePolicy<ExecSpace>(0, size_),
      KOKKOS_LAMBDA(const int64_t i, double& acc) {
        // one logarithm serves x ln x (-> 0 at x = 0) and the gradient's ln x
        const double x = xi(i) * xi(i);
        const double logx = x > 0.0 ? ::log(x) : 0.0;
        const double wi = w(i / nspace) * scale;
        acc += wi * (kt * (x * logx - x + 1.0) + x * vext(i));
        grad(i) = wi * 2.0 * xi(i) * (kt * logx + vext(i));
      }, energy);
  return energy;
}

void Mdft::delta_rho() {
  auto xi = xi_;
  auto drho = drho_;
  const double rho0 = rho0_;
  Kokkos::parallel_for("mdft::delta_rho", Kokkos::RangePolicy<ExecSpace>(0, size_),
      KOKKOS_LAMBDA(const int64_t i) { drho(i) = rho0 * (xi(i) * xi(i) - 1.0); });
}

void Mdft::scalar_convolve() {
  fft_->r2c(drho_.data(), hk_.data());
  auto hk = hk_;
  auto ck = ck_;
  Kokkos::parallel_for("mdft::scale_k", Kokkos::RangePolicy<ExecSpace>(0, hk.extent(0)),
      KOKKOS_LAMBDA(const int64_t i) { hk(i) *= ck(i); });
  ExecSpace().fence();
  fft_->c2r(hk_.data(), gamma_.data());
}

void Mdft::angle_to_proj() {
  fft_->r2c(drho_.data(), spec_.data());
  auto spec = spec_;
  auto fwd = fwd_;
  auto iphi = iphi_;
  auto ipsi = ipsi_;
  auto out = tmp_.data() ? tmp_ : proj_;
  const int64_t S = nspace_, nphi = nphi_, nhalf = nhalf_, nt = ntheta_;
  using MD = Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<2>>;
  // theta quadrature of each projection's (phi, psi) bin
  Kokkos::parallel_for("mdft::theta_quadrature", MD({0, 0}, {nproj_, S}),
      KOKKOS_LAMBDA(const int64_t p, const int64_t s) {
        complex acc = 0.0;
        for (int64_t t = 0; t < nt; ++t) acc += fwd(p, t) * spec(((t * nphi + iphi(p)) * nhalf + ipsi(p)) * S + s);
        out(p, s) = acc;
      });
  if (tmp_.data()) {   // into the lab frame
    auto mix = mix_;
    auto x = tmp_;
    auto y = proj_;
    const int64_t npj = nproj_;
    Kokkos::parallel_for("mdft::mix", MD({0, 0}, {nproj_, S}), KOKKOS_LAMBDA(const int64_t p, const int64_t s) {
      complex acc = 0.0;
      for (int64_t q = 0; q < npj; ++q) acc += mix(p, q) * x(q, s);
      y(p, s) = acc;
    });
  }
  ExecSpace().fence();
}

void Mdft::fft3_batched() { fft_->forward3(proj_.data(), projk_.data()); }

void Mdft::kspace_contract() {
  const size_t bytes = ScratchC::shmem_size(nfp_) + ScratchC::shmem_size(ngp_);
  // level 0 (on-chip on GPUs) up to its usual 32 KiB (mmax <= 5 at mrso 1 fits), level 1 beyond
  const int level = bytes <= 32768 ? 0 : 1;
  KspaceContract body{projk_, proj_, fsrc_, src_, order_, offset_, outidx_, fsign_, dk_, phase_, coef_,
                      nx_, ny_, nz_, mmax_, nslot_, nout_, nfp_, ngp_, nproj_, level};
  auto policy = Kokkos::TeamPolicy<ExecSpace>(nspace_, Kokkos::AUTO).set_scratch_size(level, Kokkos::PerTeam(bytes));
  Kokkos::parallel_for("mdft::kspace_contract", policy, body);
  ExecSpace().fence();
}

void Mdft::ifft3_batched() { fft_->backward3(proj_.data()); }   // in place; 1/N is in bwd_

void Mdft::proj_to_angle() {
  using MD = Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<2>>;
  Proj src = proj_;
  const int64_t S = nspace_, npj = nproj_, nphi = nphi_, nhalf = nhalf_;
  if (tmp_.data()) {   // back to the standard frame
    auto mix = mix_h_;
    auto x = proj_;
    auto y = tmp_;
    Kokkos::parallel_for("mdft::mix_h", MD({0, 0}, {npj, S}), KOKKOS_LAMBDA(const int64_t p, const int64_t s) {
      complex acc = 0.0;
      for (int64_t q = 0; q < npj; ++q) acc += mix(p, q) * x(q, s);
      y(p, s) = acc;
    });
    src = tmp_;
  }
  auto spec = spec_;
  auto bwd = bwd_;
  auto iphi = iphi_;
  auto ipsi = ipsi_;
  // each (theta, point) owns its (phi, psi) spectrum: zero it, add every projection to its bin
  Kokkos::parallel_for("mdft::theta_synthesis", MD({0, 0}, {ntheta_, S}),
      KOKKOS_LAMBDA(const int64_t t, const int64_t s) {
        const int64_t base = t * nphi * nhalf;
        for (int64_t b = 0; b < nphi * nhalf; ++b) spec((base + b) * S + s) = 0.0;
        for (int64_t p = 0; p < npj; ++p) spec((base + iphi(p) * nhalf + ipsi(p)) * S + s) += bwd(p, t) * src(p, s);
      });
  ExecSpace().fence();
  // unscaled c2r: numpy's irfft(ifft(.)) times nphi npsi
  fft_->c2r(spec_.data(), gamma_.data());
}

double Mdft::excess() {
  auto xi = xi_;
  auto drho = drho_;
  auto gamma = gamma_;
  auto w = weights_;
  auto grad = grad_;
  const int64_t nspace = nspace_;
  const double dv = dv_, gscale = -2.0 * kt_ * rho0_;
  double sum = 0.0;
  Kokkos::parallel_reduce("mdft::excess", Kokkos::RangePolicy<ExecSpace>(0, size_),
      KOKKOS_LAMBDA(const int64_t i, double& acc) {
        const double wi = w(i / nspace) * dv;
        acc += wi * drho(i) * gamma(i);
        grad(i) += gscale * wi * gamma(i) * xi(i);   // ideal_ext wrote its part first
      }, sum);
  if (!host_accessible())
    Kokkos::deep_copy(Kokkos::View<double*, Kokkos::HostSpace, Kokkos::MemoryUnmanaged>(grad_host_, size_),
                      grad_dev_);
  return -0.5 * kt_ * sum;
}

double Mdft::run(int kernel) {
  switch (kernel) {
    case MDFT_IDEAL_EXT: return ideal_ext();
    case MDFT_DELTA_RHO: delta_rho(); break;
    case MDFT_SCALAR_CONVOLVE: scalar_convolve(); break;
    case MDFT_ANGLE_TO_PROJ: angle_to_proj(); break;
    case MDFT_FFT3_BATCHED: fft3_batched(); break;
    case MDFT_KSPACE_CONTRACT: kspace_contract(); break;
    case MDFT_IFFT3_BATCHED: ifft3_batched(); break;
    case MDFT_PROJ_TO_ANGLE: proj_to_angle(); break;
    case MDFT_EXCESS: return excess();
    default: throw std::runtime_error("mdft_run_kernel: unknown kernel " + std::to_string(kernel));
  }
  ExecSpace().fence();
  return 0.0;
}

double Mdft::evaluate(const double* xi, double* grad) {
  set_xi(xi, grad);
  double f = ideal_ext();
  delta_rho();
  if (tier_b_) {
    angle_to_proj();
    fft3_batched();
    kspace_contract();
    ifft3_batched();
    proj_to_angle();
  } else {
    ExecSpace().fence();
    scalar_convolve();
  }
  return f + excess();
}

}  // namespace mdft

// ------------------------------------------------------------------------------------------------
// C ABI

namespace {
thread_local std::string last_error;

template <class F>
int guarded(F&& body) {
  try {
    body();
    return 0;
  } catch (const std::exception& err) {
    last_error = err.what();
  } catch (...) {
    last_error = "unknown C++ exception";
  }
  return 1;
}
}  // namespace

struct mdft_state {
  explicit mdft_state(const mdft_tables& tables) : impl(tables) {}
  mdft::Mdft impl;
};

extern "C" {

int mdft_initialize(int threads) {
  return guarded([&] {
    if (!Kokkos::is_initialized()) {
#if KOKKOS_VERSION >= 40000
      Kokkos::InitializationSettings args;
      if (threads > 0) args.set_num_threads(threads);
#else
      Kokkos::InitArguments args;
      args.num_threads = threads > 0 ? threads : -1;
#endif
      Kokkos::initialize(args);
    }
#if !defined(MDFT_GPU_FFT) && defined(KOKKOS_ENABLE_OPENMP)
    static const bool fftw_threads = fftw_init_threads() != 0;   // FFTW's threads share OpenMP's pool
    if (!fftw_threads) throw std::runtime_error("fftw_init_threads failed");
#endif
  });
}

mdft_state* mdft_create(const mdft_tables* tables) {
  mdft_state* state = nullptr;
  guarded([&] { state = new mdft_state(*tables); });
  return state;
}

void mdft_destroy(mdft_state* state) { delete state; }

int mdft_evaluate(mdft_state* state, const double* xi, double* free_energy, double* grad) {
  return guarded([&] { *free_energy = state->impl.evaluate(xi, grad); });
}

int mdft_set_xi(mdft_state* state, const double* xi, double* grad) {
  return guarded([&] { state->impl.set_xi(xi, grad); });
}

int mdft_run_kernel(mdft_state* state, int kernel, double* energy) {
  return guarded([&] { *energy = state->impl.run(kernel); });
}

const char* mdft_last_error(void) { return last_error.c_str(); }

const char* mdft_backend_name(void) { return mdft::ExecSpace::name(); }
}
