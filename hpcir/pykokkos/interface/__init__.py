"""PyKokkos' `pykokkos.interface`: the same names as hpcir.pykokkos (`from pykokkos.interface import View`).

Absolute imports only: a forwarding `pykokkos` module loads this file again as `pykokkos.interface`.
"""
from typing import Any

import hpcir.pykokkos as _pk


def __getattr__(name: str) -> Any:
    return getattr(_pk, name)  # a name hpcir.pykokkos lacks raises its located "not supported" error


def __dir__() -> list[str]:
    return [n for n in dir(_pk) if not n.startswith("_")]
