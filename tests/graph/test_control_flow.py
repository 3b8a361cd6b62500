"""JAX control flow (lax.scan / cond / switch / while_loop / fori_loop) imports as scf.for / scf.if /
scf.while on tensors, verifies with upstream MLIR, and matches JAX itself on the jax, torch and cpu
targets; cuda and hip lower to C++ (cuda compile-checked with nvcc where a Kokkos CUDA install exists)."""
from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jax import lax

from hpcir.core.errors import HpcirError, UnsupportedOpError
from hpcir.dialects.upstream import verify_upstream
from hpcir.graph_api import compile, from_jax, lower
from hpcir.graph_lowering import graph_l2, graph_l3

from .conftest import assert_close, verify_l1
from .control_flow_cases import CASES, everything, inputs, nested, while_halving

ALL_ARGS = ("xs", "w", "u", "x", "k", "n")
_PROGS: dict = {}


def _prog(fn, names):
    if fn not in _PROGS:
        a = inputs(np.random.default_rng(0))
        _PROGS[fn] = from_jax(fn, *[a[n] for n in names])
    return _PROGS[fn]


def _leaves(tree) -> list[np.ndarray]:
    return [np.asarray(v.detach().numpy() if isinstance(v, torch.Tensor) else v) for v in jax.tree_util.tree_leaves(tree)]


def _assert_matches(got, want, what: str) -> None:
    g, w = _leaves(got), _leaves(want)
    assert len(g) == len(w), f"{what}: {len(g)} results, JAX gives {len(w)}"
    for i, (a, b) in enumerate(zip(g, w)):
        assert_close(a, b, f"{what}[{i}]")


@pytest.mark.parametrize("fn", list(CASES), ids=[f.__name__ for f in CASES])
def test_imports_as_scf_on_tensors_and_verifies_upstream(fn):
    names, ops = CASES[fn]
    prog = _prog(fn, names)
    verify_l1(prog)  # xDSL verifiers + upstream MLIR 22 parse and verify
    text = prog.text()
    for op in ops:
        assert op in text, f"{fn.__name__}: no {op} in\n{text}"


def test_l2_and_l3_of_all_cases_verify_upstream():
    """Upstream bufferization takes the loops to memrefs: host loops around scf.parallel launches."""
    prog = _prog(everything, ALL_ARGS)
    l2 = graph_l2(prog)
    verify_upstream(l2)
    text = _text(l2)
    assert "scf.for" in text and "scf.while" in text and "scf.if" in text and "tensor." not in text
    assert "memref.global" not in text  # constants inside loop bodies were lifted to arguments
    from hpcir.lowering import lower_to_l3
    verify_upstream(lower_to_l3(l2, "cpu"))  # the L2 -> L3 pipeline continues from the same module


def _text(module) -> str:
    import io
    from hpcir.pipeline import print_module
    buf = io.StringIO()
    print_module(module, buf)
    return buf.getvalue()


@pytest.mark.parametrize("target", ["jax", "torch"])
@pytest.mark.parametrize("fn", list(CASES), ids=[f.__name__ for f in CASES])
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1))
def test_jax_and_torch_targets_match_jax(fn, target, seed):
    names, _ = CASES[fn]
    a = inputs(np.random.default_rng(seed))
    args = [a[n] for n in names]
    compiled = _compiled(fn, names, target)
    got = compiled(*args) if target == "jax" else compiled(*[torch.as_tensor(v) for v in args])
    _assert_matches(got, _reference(fn)(*args), f"{fn.__name__} on {target} (seed {seed})")


_REFERENCES: dict = {}


def _reference(fn):
    """jax.jit(fn), traced once per case (eager JAX would retrace the loop bodies on every call)."""
    return _REFERENCES.setdefault(fn, jax.jit(fn))


_COMPILED: dict = {}


def _compiled(fn, names, target):
    key = (fn, target)
    if key not in _COMPILED:
        _COMPILED[key] = compile(_prog(fn, names), target=target)
    return _COMPILED[key]


def test_jax_target_stays_one_traced_loop_under_jit():
    src = lower(_prog(everything, ALL_ARGS), target="jax")
    for construct in ("lax.fori_loop(", "lax.cond(", "lax.while_loop(", "lax.dynamic_slice(",
                      "lax.dynamic_update_slice("):
        assert construct in src
    a = inputs(np.random.default_rng(3))
    args = [a[n] for n in ALL_ARGS]
    _assert_matches(jax.jit(_compiled(everything, ALL_ARGS, "jax"))(*args), _reference(everything)(*args),
                    "jit(everything)")


def test_kokkos_cpu_matches_jax_over_many_draws():
    """One build of all cases; the draws take both branches, several switch indices (clamped ones too)
    and different trip counts, so every region runs. The caller's arrays are never written, even where a
    loop carries an input and updates it (update_rows)."""
    f = compile(_prog(everything, ALL_ARGS), target="cpu")
    reference = _reference(everything)
    branches, indices, trips = set(), set(), set()
    for seed in range(12):
        a = inputs(np.random.default_rng(seed))
        args = [a[n] for n in ALL_ARGS]
        want = reference(*args)
        kept = [v.copy() for v in args]
        _assert_matches(f(*args), want, f"cpu, seed {seed}")
        assert all(np.array_equal(v, k) for v, k in zip(args, kept)), "an input array was written"
        branches.add(bool(np.sum(a["x"]) > 0))
        indices.add(int(a["k"]))
        trips.add(int(want[5][1]))
    assert branches == {True, False} and len(indices) >= 3 and len(trips) >= 3, (branches, indices, trips)


def gpu_case(x, xs):
    """A loop with a branch and a scan inside, and a while loop: the GPU checks' program (small: fast to compile)."""
    return nested(x, xs), while_halving(x)


_GPU_SOURCES: dict = {}


def _gpu_sources(target: str) -> dict[str, str]:
    from hpcir.lowering import emit_cpp
    if target not in _GPU_SOURCES:
        prog = _prog(gpu_case, ("x", "xs"))
        _GPU_SOURCES[target] = emit_cpp(graph_l3(prog, target), target, f"control_flow_{target}")
    return _GPU_SOURCES[target]


@pytest.mark.parametrize("target", ["cuda", "hip"])
def test_gpu_targets_lower_to_cpp(target):
    cpp = _gpu_sources(target)[f"control_flow_{target}.cpp"]
    assert f"Generated by hpcir for target '{target}'" in cpp and "Kokkos::parallel_for" in cpp
    assert "while (" in cpp and "if (" in cpp and "for (" in cpp  # the host program's control flow


@pytest.mark.slow
def test_cuda_cpp_compiles_with_nvcc():
    from hpcir.backends.build import compile_only
    from hpcir.backends.toolchain.kokkos_install import find_kokkos
    from hpcir.core.errors import KokkosNotFoundError
    from hpcir.core.targets import get_target
    try:
        install = find_kokkos("cuda")
    except KokkosNotFoundError as err:
        pytest.skip(f"no Kokkos cuda install: {err.message.splitlines()[0]}")
    compile_only(_gpu_sources("cuda"), get_target("cuda"), install)


def _line_of(fn, needle: str) -> int:
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, ln in enumerate(lines) if needle in ln)


def test_unsupported_op_in_a_loop_body_is_located_in_the_body():
    def sort_rows(xs):
        def step(c, row):
            return c + lax.sort(row), c  # sort is not supported
        return lax.scan(step, jnp.zeros(xs.shape[1:]), xs)

    with pytest.raises(UnsupportedOpError) as info:
        from_jax(sort_rows, np.ones((4, 3)))
    err = info.value
    assert "'sort'" in err.message and err.loc is not None and err.loc.filename == __file__
    assert err.loc.line == _line_of(sort_rows, "lax.sort(row)")


def test_zero_length_scan_is_refused_at_the_users_line():
    def empty_scan(xs):
        return lax.scan(lambda c, row: (c + row, c), jnp.zeros(3), xs)  # zero steps

    with pytest.raises(HpcirError) as info:
        from_jax(empty_scan, np.ones((0, 3)))
    err = info.value
    assert "zero steps" in err.message and "skip the scan" in (err.hint or "")
    assert err.loc is not None and err.loc.line == _line_of(empty_scan, "zero steps")
