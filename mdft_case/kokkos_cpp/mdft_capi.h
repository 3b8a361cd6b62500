/* C ABI of the hand-written Kokkos MDFT kernels: what Python (ctypes) and mdft_main.cpp call.
 *
 * Every array is C-ordered, complex values interleaved (re, im) doubles. The tables are copied
 * into Kokkos Views on mdft_create; the caller may free them afterwards. Return codes: 0 ok,
 * non-zero on error (mdft_last_error() says what). */
#ifndef MDFT_CAPI_H
#define MDFT_CAPI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int64_t tier;                 /* 0: scalar solvent (Tier A), 1: orientational (Tier B) */
  int64_t no, nx, ny, nz;       /* xi has shape (no, nx, ny, nz) */
  double rho0, kt, dv;
  const double* vext;           /* (no, nx, ny, nz) */
  const double* weights;        /* (no,) angular quadrature weights */
  const double* ck;             /* Tier A: c(|k|) on the r2c grid (nx, ny, nz/2+1) */
  /* Tier B: angular grid (ntheta, nphi, npsi), nproj projections, the k-frame plan */
  int64_t ntheta, nphi, npsi, nproj, mmax, nslot, nout, nentries, has_mix;
  const double* fwd;            /* (nproj, ntheta) quadrature x Wigner d */
  const double* bwd;            /* (nproj, ntheta) Wigner d */
  const int64_t* iphi;          /* (nproj,) phi bin of each projection */
  const int64_t* ipsi;          /* (nproj,) psi bin */
  const double* mix;            /* (nproj, nproj) complex lab <- standard frame, or NULL */
  const int64_t* fsrc;          /* ((mmax+1)(2mmax+1) nslot,) source row in [f; conj f(-k); 0] */
  const double* fsign;          /* same shape, +-1 */
  const double* phase;          /* (2mmax+1, nx ny nz) complex exp(i nu' phi_k) */
  const double* dk;             /* (mmax+1, 2mmax+1, 2mmax+1, nx ny nz) d^n_{nu' chi}(theta_k) */
  const int64_t* src;           /* (nentries,) flat (n, chi, slot(nu)) of each table entry */
  const int64_t* dst;           /* (nentries,) flat (m, chi, mu/mrso) */
  const double* coef;           /* (nentries, nx ny nz) complex wn c^{mn}_{mu nu chi}(k) */
  const int64_t* outidx;        /* (nproj,) flat (m, mu'+mmax, mu/mrso) of each projection */
} mdft_tables;

typedef struct mdft_state mdft_state;

/* The kernels of one evaluation, in the order mdft_evaluate runs them. */
enum {
  MDFT_IDEAL_EXT, MDFT_DELTA_RHO, MDFT_SCALAR_CONVOLVE, MDFT_ANGLE_TO_PROJ, MDFT_FFT3_BATCHED,
  MDFT_KSPACE_CONTRACT, MDFT_IFFT3_BATCHED, MDFT_PROJ_TO_ANGLE, MDFT_EXCESS
};

/* Initialises Kokkos (once per process; threads <= 0: Kokkos' default) and FFTW's threads. */
int mdft_initialize(int threads);
mdft_state* mdft_create(const mdft_tables* tables);
void mdft_destroy(mdft_state* state);
/* F (kJ/mol) and dF/dxi at xi; xi and grad are host arrays of no*nx*ny*nz doubles. */
int mdft_evaluate(mdft_state* state, const double* xi, double* free_energy, double* grad);
/* One kernel of the chain on the state's buffers (after mdft_set_xi); energy gets its term (or 0). */
int mdft_set_xi(mdft_state* state, const double* xi, double* grad);
int mdft_run_kernel(mdft_state* state, int kernel, double* energy);
const char* mdft_last_error(void);
const char* mdft_backend_name(void);

#ifdef __cplusplus
}
#endif

#endif
