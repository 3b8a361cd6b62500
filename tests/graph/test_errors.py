"""Unsupported ops and non-static indexing give HpcirErrors that name the op and the user's line."""
from __future__ import annotations

import inspect

import jax.numpy as jnp
import numpy as np
import pytest
import torch
from jax import lax

from hpcir.core.errors import HpcirError, UnsupportedOpError
from hpcir.graph_api import from_jax, from_torch


def _line_of(fn, needle: str) -> int:
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, l in enumerate(lines) if needle in l)


def test_jax_unsupported_primitive_names_op_and_line():
    def f(x):
        y = x + 1.0
        return lax.sort(y)  # unsupported here

    with pytest.raises(UnsupportedOpError) as info:
        from_jax(f, np.ones(4))
    err = info.value
    assert "'sort'" in err.message
    assert err.loc is not None and err.loc.filename == __file__
    assert err.loc.line == _line_of(f, "lax.sort")
    assert "lax.sort(y)" in str(err)  # the caret line shows the source


class _Sorting(torch.nn.Module):
    def forward(self, x):
        y = x * 2.0
        return torch.sort(y).values


def test_torch_unsupported_op_names_op_and_line():
    with pytest.raises(UnsupportedOpError) as info:
        from_torch(_Sorting(), (torch.ones(4),))
    err = info.value
    assert "sort" in err.message
    assert err.loc is not None and err.loc.filename == __file__
    assert err.loc.line == _line_of(_Sorting.forward, "torch.sort")


def test_jax_gather_with_traced_indices_is_rejected():
    def f(x, i):
        return x[i]

    with pytest.raises(HpcirError, match="gather with traced"):
        from_jax(f, np.ones(5), np.array([1, 2]))


class _DynIndex(torch.nn.Module):
    def forward(self, x, i):
        return x[i]


def test_torch_index_with_input_indices_is_rejected():
    with pytest.raises(HpcirError, match="indices must be constants"):
        from_torch(_DynIndex(), (torch.ones(5), torch.tensor([1, 2])))


def test_transposed_convolution_is_rejected():
    m = torch.nn.ConvTranspose2d(2, 2, 3)
    with pytest.raises(HpcirError, match="transposed"):
        from_torch(m, (torch.ones(1, 2, 5, 5),))


def test_unsupported_dtype_is_an_hpcir_error():
    with pytest.raises(HpcirError, match="uint8"):
        from_jax(lambda x: x + 1, np.ones(3, dtype=np.uint8))


def test_data_dependent_control_flow_is_an_hpcir_error():
    class Branchy(torch.nn.Module):
        def forward(self, x):
            return x * 2 if x.sum() > 0 else x

    with pytest.raises(HpcirError, match="torch.export"):
        from_torch(Branchy(), (torch.ones(3),))


def test_jnp_where_with_one_argument_is_unsupported():
    with pytest.raises(HpcirError):
        from_jax(lambda x: jnp.nonzero(x, size=2)[0], np.ones(3))
