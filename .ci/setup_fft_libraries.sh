#!/usr/bin/env bash
# FFT libraries for hpcir.fft and graph programs with FFTs (idempotent): FFTW3 with its OpenMP
# variant from the distribution (Debian: libfftw3-dev), installed only where pkg-config cannot find
# it, with sudo only when not root. cuFFT for the CUDA compile checks comes from the `gpu-check`
# extra (pip install -e '.[gpu-check]': the nvidia-cufft wheel); hipFFT is not packaged for Debian 12.
set -euo pipefail

have_fftw() {
  pkg-config --exists fftw3 fftw3f 2>/dev/null &&
    { ls /usr/lib/*/libfftw3_omp.so /usr/lib64/libfftw3_omp.so /usr/lib/libfftw3_omp.so 2>/dev/null || true; } | grep -q .
}

if have_fftw; then
  echo "fft: FFTW3 $(pkg-config --modversion fftw3) found"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "fft: FFTW3 not found and no apt-get here: install FFTW3 with OpenMP (fftw-devel, spack install fftw)" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "fft: FFTW3 missing and not root (no sudo): apt-get install libfftw3-dev pkg-config" >&2
    exit 1
  fi
fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends libfftw3-dev pkg-config
have_fftw
echo "fft: FFTW3 $(pkg-config --modversion fftw3) installed"
