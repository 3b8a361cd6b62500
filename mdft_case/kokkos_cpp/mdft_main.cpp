// The hand-written Kokkos MDFT kernels as a program: reads a problem file (the functional's tables
// and a xi, written by `python -m hpcir.mdft_case.export_problem CONFIG FILE`), prints
// F, |dF/dxi| and the time of one evaluation and of each kernel.
//
//   mdft_kokkos_main PROBLEM [--repeats N] [--threads T]
#include <Kokkos_Core.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "mdft_capi.h"

namespace {

// The problem file: "MDFTPRB1", 14 int64 sizes, 3 doubles, then the arrays in mdft_tables order.
struct Problem {
  mdft_tables t{};
  std::vector<double> vext, weights, ck, fwd, bwd, mix, fsign, phase, dk, coef, xi;
  std::vector<int64_t> iphi, ipsi, fsrc, src, dst, outidx;
};

template <class T>
void read(std::ifstream& in, std::vector<T>& out, int64_t n) {
  out.resize(n);
  in.read(reinterpret_cast<char*>(out.data()), sizeof(T) * n);
  if (!in) throw std::runtime_error("the problem file ends early");
}

Problem load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  char magic[8];
  in.read(magic, 8);
  if (!in || std::memcmp(magic, "MDFTPRB1", 8) != 0) throw std::runtime_error(path + " is not an MDFT problem file");
  Problem p;
  std::vector<int64_t> n;
  std::vector<double> x;
  read(in, n, 14);
  read(in, x, 3);
  mdft_tables& t = p.t;
  t.tier = n[0], t.no = n[1], t.nx = n[2], t.ny = n[3], t.nz = n[4], t.ntheta = n[5], t.nphi = n[6];
  t.npsi = n[7], t.nproj = n[8], t.mmax = n[9], t.nslot = n[10], t.nout = n[11], t.nentries = n[12];
  t.has_mix = n[13], t.rho0 = x[0], t.kt = x[1], t.dv = x[2];
  const int64_t S = t.nx * t.ny * t.nz, width = 2 * t.mmax + 1;
  read(in, p.vext, t.no * S);
  read(in, p.weights, t.no);
  if (t.tier == 0) {
    read(in, p.ck, t.nx * t.ny * (t.nz / 2 + 1));
  } else {
    read(in, p.fwd, t.nproj * t.ntheta);
    read(in, p.bwd, t.nproj * t.ntheta);
    read(in, p.iphi, t.nproj);
    read(in, p.ipsi, t.nproj);
    if (t.has_mix) read(in, p.mix, 2 * t.nproj * t.nproj);
    const int64_t nfp = (t.mmax + 1) * width * t.nslot;
    read(in, p.fsrc, nfp);
    read(in, p.fsign, nfp);
    read(in, p.phase, 2 * width * S);
    read(in, p.dk, (t.mmax + 1) * width * width * S);
    read(in, p.src, t.nentries);
    read(in, p.dst, t.nentries);
    read(in, p.coef, 2 * t.nentries * S);
    read(in, p.outidx, t.nproj);
  }
  read(in, p.xi, t.no * S);
  t.vext = p.vext.data(), t.weights = p.weights.data(), t.ck = p.ck.data(), t.fwd = p.fwd.data();
  t.bwd = p.bwd.data(), t.iphi = p.iphi.data(), t.ipsi = p.ipsi.data(), t.mix = t.has_mix ? p.mix.data() : nullptr;
  t.fsrc = p.fsrc.data(), t.fsign = p.fsign.data(), t.phase = p.phase.data(), t.dk = p.dk.data();
  t.src = p.src.data(), t.dst = p.dst.data(), t.coef = p.coef.data(), t.outidx = p.outidx.data();
  return p;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void check(int rc) {
  if (rc != 0) throw std::runtime_error(mdft_last_error());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PROBLEM [--repeats N] [--threads T]\n", argv[0]);
    return 2;
  }
  int repeats = 3, threads = -1;
  for (int a = 2; a + 1 < argc; a += 2) {
    if (std::string(argv[a]) == "--repeats") repeats = std::max(1, std::atoi(argv[a + 1]));
    else if (std::string(argv[a]) == "--threads") threads = std::atoi(argv[a + 1]);
  }
  int status = 0;
  try {
    check(mdft_initialize(threads));
    {
      Problem p = load(argv[1]);
      mdft_state* state = mdft_create(&p.t);
      if (!state) throw std::runtime_error(mdft_last_error());
      std::vector<double> grad(p.xi.size());
      double f = 0.0;
      check(mdft_evaluate(state, p.xi.data(), &f, grad.data()));   // warm-up
      std::vector<double> evals;
      using clock = std::chrono::steady_clock;
      for (int r = 0; r < repeats; ++r) {
        const auto t0 = clock::now();
        check(mdft_evaluate(state, p.xi.data(), &f, grad.data()));
        evals.push_back(std::chrono::duration<double>(clock::now() - t0).count());
      }
      double norm = 0.0;
      for (double g : grad) norm += g * g;
      std::printf("backend: Kokkos %s, %lld^3 grid, %lld orientations\n", mdft_backend_name(),
                  static_cast<long long>(p.t.nx), static_cast<long long>(p.t.no));
      std::printf("F = %.17g kJ/mol\n|grad F| = %.17g\n", f, std::sqrt(norm));
      std::printf("seconds per F+grad F (median of %d) = %.6f\n", repeats, median(evals));
      // each kernel of the chain on its own (in chain order, so every input is what it reads)
      const std::vector<std::pair<const char*, int>> chain = p.t.tier == 0
          ? std::vector<std::pair<const char*, int>>{{"ideal_ext", MDFT_IDEAL_EXT}, {"delta_rho", MDFT_DELTA_RHO},
                                                     {"scalar_convolve", MDFT_SCALAR_CONVOLVE}, {"excess", MDFT_EXCESS}}
          : std::vector<std::pair<const char*, int>>{
                {"ideal_ext", MDFT_IDEAL_EXT}, {"delta_rho", MDFT_DELTA_RHO}, {"angle_to_proj", MDFT_ANGLE_TO_PROJ},
                {"fft3_batched", MDFT_FFT3_BATCHED}, {"kspace_contract", MDFT_KSPACE_CONTRACT},
                {"ifft3_batched", MDFT_IFFT3_BATCHED}, {"proj_to_angle", MDFT_PROJ_TO_ANGLE}, {"excess", MDFT_EXCESS}};
      std::vector<std::vector<double>> times(chain.size());
      check(mdft_set_xi(state, p.xi.data(), grad.data()));
      for (int r = 0; r < repeats; ++r) {
        for (size_t k = 0; k < chain.size(); ++k) {
          double e = 0.0;
          const auto t0 = clock::now();
          check(mdft_run_kernel(state, chain[k].second, &e));
          times[k].push_back(std::chrono::duration<double>(clock::now() - t0).count());
        }
      }
      for (size_t k = 0; k < chain.size(); ++k) std::printf("kernel %-16s %.6f s\n", chain[k].first, median(times[k]));
      mdft_destroy(state);
    }
  } catch (const std::exception& err) {
    std::fprintf(stderr, "mdft_kokkos_main: %s\n", err.what());
    status = 1;
  }
  if (Kokkos::is_initialized()) Kokkos::finalize();
  return status;
}
