"""JAX control-flow programs (lax.scan / cond / switch / while_loop / fori_loop) and input generators,
shared by tests/graph/test_control_flow.py. Every case is run against JAX itself."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jax import lax

T, D, H = 6, 3, 4  # steps, input width, hidden width


def cumsum_scan(xs):
    """A cumulative sum over the rows: the carry and the stacked partial sums."""
    total, partial = lax.scan(lambda c, row: (c + row, c + row), jnp.zeros(xs.shape[1:]), xs)
    return partial, total


def rnn_scan(xs, w, u):
    """An Elman RNN: h = tanh(h @ w + x @ u) per step, stacking h and its sum."""
    def step(h, x):
        h = jnp.tanh(h @ w + x @ u)
        return h, (h, jnp.sum(h))
    return lax.scan(step, jnp.zeros(w.shape[0]), xs)


def reverse_scan(xs):
    """A reversed scan (unroll is a schedule hint: same result)."""
    return lax.scan(lambda c, row: (c * 0.5 + row, jnp.max(c) + row), jnp.ones(xs.shape[1:]), xs,
                    reverse=True, unroll=2)


def cond_on_data(x):
    """lax.cond on a runtime predicate computed from the data."""
    return lax.cond(jnp.sum(x) > 0, lambda v: v * 2.0 + 1.0, lambda v: jnp.sin(v) - 1.0, x)


def switch_on_input(x, k):
    """lax.switch on an integer input (clamped into range, as JAX does)."""
    return lax.switch(k, [lambda v: v + 1.0, lambda v: v * v, lambda v: jnp.exp(-v)], x)


def while_halving(x):
    """lax.while_loop with a data-dependent trip count: halve x until its squared norm < 1e-3."""
    def body(c):
        v, n = c
        return v * 0.5, n + 1
    return lax.while_loop(lambda c: jnp.sum(c[0] * c[0]) > 1e-3, body, (x, jnp.int32(0)))


def fori_indexed(xs):
    """lax.fori_loop with static bounds (a scan) reading xs[i] at the traced counter."""
    xs = jnp.asarray(xs)  # numpy arrays cannot be indexed by a traced counter
    return lax.fori_loop(0, xs.shape[0], lambda i, a: a * 0.5 + xs[i] * xs[i - 1], jnp.zeros(xs.shape[1:]))


def fori_traced_bound(x, n):
    """lax.fori_loop with a traced trip count (a while loop) writing row i of an output."""
    def body(i, acc):
        return lax.dynamic_update_index_in_dim(acc, x * i.astype(x.dtype), i, 0)
    return lax.fori_loop(0, n, body, jnp.zeros((T, x.shape[0]), x.dtype))


def update_rows(xs):
    """A loop carrying an input and updating rows of it (the caller's array must stay unchanged)."""
    xs = jnp.asarray(xs)
    return lax.fori_loop(0, 3, lambda i, y: lax.dynamic_update_index_in_dim(y, y[i] + y[i + 1], i, 0), xs)


def nested(x, xs):
    """Control flow inside control flow: a cond and a scan in a fori_loop body."""
    xs = jnp.asarray(xs)
    def body(i, a):
        a = lax.cond(i % 2 == 0, lambda v: v + jnp.sum(xs[i]), lambda v: v * 0.9, a)
        s, _ = lax.scan(lambda c, row: (c + row * a, None), jnp.zeros_like(a), xs)
        return a + 0.1 * s
    return lax.fori_loop(0, 3, body, x)


def everything(xs, w, u, x, k, n):
    """All the cases in one program: one Kokkos build covers them."""
    return (cumsum_scan(xs), rnn_scan(xs, w, u), reverse_scan(xs), cond_on_data(x), switch_on_input(x, k),
            while_halving(x), fori_indexed(xs), fori_traced_bound(x, n), nested(x, xs), update_rows(xs))


def inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One random draw of every input (values, branch index and trip count vary between draws)."""
    return {"xs": rng.normal(size=(T, D)), "w": 0.5 * rng.normal(size=(H, H)), "u": rng.normal(size=(D, H)),
            "x": rng.normal(size=D) * rng.uniform(0.1, 10.0), "k": np.asarray(rng.integers(-1, 4), np.int32),
            "n": np.asarray(rng.integers(0, T + 1), np.int32)}


# case -> (argument names, the scf ops its L1 must contain)
CASES = {
    cumsum_scan: (("xs",), ("scf.for", "tensor.insert_slice", "tensor.extract_slice")),
    rnn_scan: (("xs", "w", "u"), ("scf.for",)),
    reverse_scan: (("xs",), ("scf.for", "arith.subi")),
    cond_on_data: (("x",), ("scf.if",)),
    switch_on_input: (("x", "k"), ("scf.if",)),
    while_halving: (("x",), ("scf.while", "scf.condition")),
    fori_indexed: (("xs",), ("scf.for",)),
    fori_traced_bound: (("x", "n"), ("scf.while",)),
    nested: (("x", "xs"), ("scf.for", "scf.if")),
    update_rows: (("xs",), ("scf.for", "tensor.insert_slice")),
}
