"""Property: graph-fuse-elementwise + graph-hoist-invariants keep the results of random broadcast chains.

A random chain of elementwise ops on x[n, c, h, w] and broadcast operands p[c], q[c], r[h] (adds,
subtractions, products, negations, `rsqrt(p * p + 1)`, ReLU, `tanh`) is imported from JAX; the L1
after the two passes (with and without reassociation) is emitted as JAX again and run on the same
inputs as the original function. Without reassociation the results may differ only by the last
ulps of XLA's `rsqrt` / `tanh` (their vectorised forms depend on how XLA fuses the program); with it
also by float32 rounding of the reassociated sums (1e-5 of the largest value). No Kokkos build:
each example takes a fraction of a second.
"""
from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hpcir.graph_api import compile, from_jax
from hpcir.pipeline import run_pipeline

BROADCAST = {"p": (None, slice(None), None, None), "q": (None, slice(None), None, None),
             "r": (None, None, slice(None), None)}
OPS = ("add", "sub", "rsub", "mul", "neg", "relu", "tanh", "addinv")


def _apply(op: str, y, operand):
    if op == "add":
        return y + operand
    if op == "sub":
        return y - operand
    if op == "rsub":
        return operand - y
    if op == "mul":
        return y * operand
    if op == "neg":
        return -y
    if op == "relu":
        return jnp.maximum(y, 0.0)
    if op == "tanh":
        return jnp.tanh(y)
    return y + jax.lax.rsqrt(operand * operand + 1.0)  # an invariant with a square root in it


chains = st.lists(st.tuples(st.sampled_from(OPS), st.sampled_from(sorted(BROADCAST))), min_size=1, max_size=7)


def _program(chain):
    def f(x, p, q, r):
        vals = {"p": p, "q": q, "r": r}
        y = x
        for op, name in chain:
            y = _apply(op, y, vals[name][BROADCAST[name]])
        return y
    return f


def _inputs(seed: int):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((2, 3, 4, 5), np.float32), rng.standard_normal(3, np.float32),
            rng.standard_normal(3, np.float32), rng.standard_normal(4, np.float32))


def _after(prog, pipeline: str):
    return dataclasses.replace(prog, module=run_pipeline(prog.module.clone(), pipeline))


@settings(max_examples=10, deadline=None)
@given(chain=chains, seed=st.integers(0, 2 ** 16))
def test_hoisting_keeps_results(chain, seed):
    args = _inputs(seed)
    f = _program(chain)
    want = np.asarray(jax.jit(f)(*args))
    prog = from_jax(f, *args)
    keep = _after(prog, "graph-fuse-elementwise,graph-hoist-invariants{reassociate=false}")
    np.testing.assert_allclose(np.asarray(compile(keep, target="jax")(*args)), want, rtol=4e-6, atol=1e-6)
    fast = _after(prog, "graph-fuse-elementwise,graph-hoist-invariants")
    got = np.asarray(compile(fast, target="jax")(*args))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * (1 + float(np.max(np.abs(want)))))


def test_batch_norm_chain_leaves_one_multiply_add_per_element():
    """Inference batch norm after a bias: the big loop keeps only x * A + B and the ReLU."""
    args = _inputs(0)
    f = _program([("add", "p"), ("sub", "q"), ("addinv", "q"), ("mul", "p"), ("add", "q"), ("relu", "p")])
    prog = _after(from_jax(f, *args), "graph-fuse-elementwise,graph-hoist-invariants")
    gens = [g for g in prog.module.walk() if g.name == "linalg.generic"]
    big = max(gens, key=lambda g: len(g.iterator_types.data))  # (upstream fusion may add unit loops)
    assert sum(len(g.iterator_types.data) == len(big.iterator_types.data) for g in gens) == 1
    body = [op.name for op in big.body.block.ops]
    assert body.count("arith.mulf") == 1 and body.count("arith.addf") == 1 and "math.rsqrt" not in body, body
