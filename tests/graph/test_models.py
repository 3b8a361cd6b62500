"""Model-level round trips (jax->jax, torch->torch) and translations (torch->jax, jax->torch)."""
from __future__ import annotations

import jax
import numpy as np
import pytest
import torch

from hpcir.graph_api import compile, from_jax, from_torch

from .conftest import assert_close, verify_l1
from .models import MODEL_CASES

DTYPES = {"f32": np.float32, "f64": np.float64}


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("model", MODEL_CASES)
def test_model_round_trip_and_translation(model, dtype):
    tmodel, jfn, inputs, params = MODEL_CASES[model](dtype)
    tins = [torch.as_tensor(a) for a in inputs]
    with torch.no_grad():
        want_torch = tmodel(*tins)
    want_jax = jfn(*inputs, *params)
    # the two hand-written references agree, so both translations are checked against the same math
    assert_close(np.asarray(want_jax), want_torch.numpy(), f"{model}: jax reference vs torch reference")

    tprog = from_torch(tmodel, tuple(tins), name=f"{model}_t")
    verify_l1(tprog)
    assert_close(compile(tprog, target="torch")(*tins), want_torch, f"{model} torch->torch")
    assert_close(jax.jit(compile(tprog, target="jax"))(*inputs), want_torch.numpy(), f"{model} torch->jax")

    weights = tuple(range(len(inputs), len(inputs) + len(params)))
    jprog = from_jax(jfn, *inputs, *params, weights=weights, name=f"{model}_j")
    verify_l1(jprog)
    assert_close(jax.jit(compile(jprog, target="jax"))(*inputs), want_jax, f"{model} jax->jax")
    assert_close(compile(jprog, target="torch")(*tins), np.asarray(want_jax), f"{model} jax->torch")
