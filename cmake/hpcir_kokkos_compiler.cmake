# Included before project(): the C++ compiler for the Kokkos named by Kokkos_ROOT, chosen as
# hpcir's generated CMake projects choose it. A CUDA Kokkos compiles through its own
# bin/nvcc_wrapper, a HIP one through hipcc run for AMD GPUs (cmake/hipcc-amd: hipcc targets
# NVIDIA wherever nvcc is installed too). Nothing is chosen when -DCMAKE_CXX_COMPILER or $CXX
# already names a compiler, for a host-only Kokkos, or for one found through CMAKE_PREFIX_PATH.
# Sets HPCIR_KOKKOS_GPU to CUDA, HIP or "" for the CMakeLists that includes it.
set(HPCIR_KOKKOS_GPU "")
if(DEFINED Kokkos_ROOT)
  set(_hpcir_kokkos_root "${Kokkos_ROOT}")
elseif(DEFINED ENV{Kokkos_ROOT})
  set(_hpcir_kokkos_root "$ENV{Kokkos_ROOT}")
else()
  set(_hpcir_kokkos_root "")
endif()
if(_hpcir_kokkos_root AND EXISTS "${_hpcir_kokkos_root}/include/KokkosCore_config.h")
  file(STRINGS "${_hpcir_kokkos_root}/include/KokkosCore_config.h" _hpcir_gpu_defines
       REGEX "^#define KOKKOS_ENABLE_(CUDA|HIP)$")
  if(_hpcir_gpu_defines MATCHES "KOKKOS_ENABLE_CUDA")
    set(HPCIR_KOKKOS_GPU CUDA)
  elseif(_hpcir_gpu_defines MATCHES "KOKKOS_ENABLE_HIP")
    set(HPCIR_KOKKOS_GPU HIP)
  endif()
endif()
if(NOT CMAKE_CXX_COMPILER AND NOT DEFINED ENV{CXX})
  if(HPCIR_KOKKOS_GPU STREQUAL "CUDA" AND EXISTS "${_hpcir_kokkos_root}/bin/nvcc_wrapper")
    set(CMAKE_CXX_COMPILER "${_hpcir_kokkos_root}/bin/nvcc_wrapper")
  elseif(HPCIR_KOKKOS_GPU STREQUAL "HIP")
    set(CMAKE_CXX_COMPILER "${CMAKE_CURRENT_LIST_DIR}/hipcc-amd")
  endif()
endif()
unset(_hpcir_kokkos_root)
unset(_hpcir_gpu_defines)
