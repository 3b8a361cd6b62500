"""PyKokkos' `pykokkos.linalg`: dense linear algebra on views, as hpcir kernels."""
from hpcir.pykokkos.linalg.l3_blas import dgemm

__all__ = ["dgemm"]
