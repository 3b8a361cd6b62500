#!/usr/bin/env bash
# Installs what CI needs to compile-check (not run) the CUDA and HIP code hpcir emits, and
# builds the matching Kokkos installs into hpcir's cache. Idempotent: a second run only checks.
#   hipcc:  Debian's hipcc 5.2 (about 78 MB download, 34 packages incl. clang/llvm 15; ~20 s)
#   CUDA:   uses the nvcc already on the PATH (none is installed here if it is missing)
# Kokkos: OpenMP+Serial (~20 s), CUDA 13 sm_90 with a stand-in libcuda (~65 s), HIP gfx908
# (~40 s) on 2 cores; each is built once into $HPCIR_CACHE_DIR (default ~/.cache/hpcir).
set -euo pipefail

PYTHON="${PYTHON:-python}"
log() { echo "setup_gpu_toolchains: $*"; }

if ! command -v hipcc >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing hipcc (Debian package)"
    start=$SECONDS
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hipcc >/dev/null
    log "hipcc installed in $((SECONDS - start)) s"
  else
    log "hipcc missing and cannot apt-get install it (not root or no apt): HIP checks will be skipped"
  fi
fi

"$PYTHON" -m hpcir kokkos install --backend openmp

if command -v nvcc >/dev/null 2>&1; then
  "$PYTHON" -m hpcir kokkos install --backend cuda
else
  log "nvcc not on the PATH: CUDA compile checks will be skipped"
fi

if command -v hipcc >/dev/null 2>&1; then
  "$PYTHON" -m hpcir kokkos install --backend hip
fi
