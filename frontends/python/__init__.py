"""The Python kernel frontend: @hpcir.kernel functions to L2 (scf/memref) and L3 (kokkos) IR."""
