#!/usr/bin/env bash
# Builds Kokkos 4.6.01 (the test fixture in ../shared/third_party/, never shipped to users) into
# its own hpcir cache, $HPCIR_CACHE_DIR, beside the 3.4.01 the main suite uses:
#   OpenMP+Serial, shared (~30 s on 2 cores); CUDA 13 sm_90 with hpcir's CUDA 13 patches and the
#   stand-in libcuda.so (~110 s) when nvcc is on the PATH; HIP gfx90a without rocThrust (~90 s of
#   CPU; it builds with Debian's hipcc 5.2) when hipcc is there.
# Exit status 2: the fixture is missing (the caller decides whether that is fatal).
set -euo pipefail

PYTHON="${PYTHON:-python}"
SOURCE="${1:?usage: setup_kokkos4.sh KOKKOS_TARBALL}"
log() { echo "setup_kokkos4: $*"; }

if [ ! -f "$SOURCE" ]; then
  log "no Kokkos 4 source at $SOURCE"
  exit 2
fi
"$PYTHON" -m hpcir kokkos install --backend openmp --source "$SOURCE"
if command -v nvcc >/dev/null 2>&1; then
  "$PYTHON" -m hpcir kokkos install --backend cuda --source "$SOURCE"
else
  log "nvcc not on the PATH: no CUDA compile checks against Kokkos 4"
fi
if command -v hipcc >/dev/null 2>&1; then
  # A failing HIP build is reported, not fatal (the HIP checks of this pass then build 3.4.01).
  if ! "$PYTHON" -m hpcir kokkos install --backend hip --source "$SOURCE"; then
    log "Kokkos 4.6.01 does not build with this hipcc: HIP checks of this pass use 3.4.01"
  fi
fi
