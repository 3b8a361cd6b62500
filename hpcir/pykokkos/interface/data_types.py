"""PyKokkos' `pykokkos.interface.data_types`: the dtypes, the same objects as `pk.int32` ... .

Absolute imports only: a forwarding `pykokkos` module loads this file again under its own name.
"""
from typing import Any

from hpcir.core.errors import user_call_site
from hpcir.pykokkos import UnsupportedName
from hpcir.pykokkos_names import (DataType, DataTypeClass, double, float32, float64, int8, int16, int32, int64,
                                  real, uint8, uint16, uint32, uint64)

float = float32  # noqa: A001  (PyKokkos' float is 32-bit)
bool = DataType.bool  # noqa: A001

__all__ = ["DataType", "DataTypeClass", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float", "double", "real", "float32", "float64", "bool"]


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    why = "kernels have no complex type" if name.startswith("complex") else "hpcir.pykokkos does not provide it"
    raise UnsupportedName(f"pykokkos.interface.data_types.{name} is not supported: {why}", user_call_site(),
                          hint="use the real dtypes: pk.double, pk.float, pk.int32, ...")
