"""Complex numbers in kernels (issue 11, item 1): complex64/complex128 views and scalars, arithmetic,
math and reductions compiled to Kokkos::complex and compared with NumPy on serial and cpu; NumPy's
promotion rules in the IR; the upstream complex dialect verified by MLIR; CUDA/HIP compile checks."""
from __future__ import annotations

import cmath

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hpcir
import complex_cases as cc
from hpcir.dialects.upstream import to_upstream_text, verify_upstream
from hpcir.core.errors import IRVerificationError
from hpcir.core.mlir_bridge import verify_upstream_text
from hpcir.frontends.python.signature import bind_launch
from hpcir.lowering import build_module, lower_to_l3


@pytest.mark.parametrize("target", ["serial", "cpu"])
def test_each_feature_matches_numpy(tmp_path, target):
    """Arithmetic, literals, mixed real-complex, parts, conjugate, cmath, ==/!=, scalars, ** and
    sum/prod reductions, for complex64 and complex128, 1-D and 2-D (MDRange)."""
    res = cc.run_batch(cc.FIXED, target, tmp_path, seed=11, tag=f"fixed_{target}")
    assert not res["mismatch"], (res["mismatch"], cc.kernel_source([c for c in cc.FIXED if c.name in res["mismatch"]]))
    assert len(res["agreed"]) == len(cc.FIXED)


@pytest.mark.parametrize("target", ["serial", "cpu"])
@settings(max_examples=2, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_random_complex_expressions_match_numpy(tmp_path_factory, target, seed):
    cases = cc.random_cases(seed, 30)
    res = cc.run_batch(cases, target, tmp_path_factory.mktemp("complex"), seed, f"rand_{target}_{seed}")
    assert not res["mismatch"], (seed, res["mismatch"], [c.expr.np_src for c in cases if c.name in res["mismatch"]])
    assert len(res["agreed"]) == len(cases)


def test_the_comparison_catches_a_wrong_answer(tmp_path):
    """The harness is not vacuous: a kernel whose NumPy rendering differs (the conjugate of the
    imaginary part, a float32 rounding of a complex128 value) is reported."""
    good = cc._fixed("good", "{z} * {w}", "z * w")
    conj = cc._fixed("conj", "{z} * {w}", "np.conj(z * w)")
    rounded = cc._fixed("rounded", "{z} / 3", "(z / 3).astype(np.complex64)")
    res = cc.run_batch([good, conj, rounded], "serial", tmp_path, seed=3, tag="harness")
    assert res["agreed"] == ["good"] and res["mismatch"] == ["conj", "rounded"]


@hpcir.kernel
def scale(i, z: hpcir.View1D[complex], c: complex, out: hpcir.View1D[complex]):
    out[i] = c * z[i] + abs(z[i]) * 1j


@hpcir.kernel
def energy(i, j, acc: hpcir.Acc[hpcir.complex64], z: hpcir.View2D[hpcir.complex64]):
    acc += z[i, j] * z[i, j].conjugate() + cmath.exp(z[i, j])


@pytest.mark.parametrize("target", ["serial", "cpu"])
def test_launch_api_zero_copy_and_results(target):
    """NumPy complex arrays go in as they are (the kernel writes the caller's array), a Python
    complex scalar is an argument, and a complex reduction returns a Python complex."""
    rng = np.random.default_rng(0)
    z = rng.standard_normal(50) + 1j * rng.standard_normal(50)
    out = np.zeros(50, np.complex128)
    ptr = out.__array_interface__["data"][0]
    hpcir.parallel_for(50, scale, z=z, c=0.5 - 2j, out=out, target=target)
    assert out.__array_interface__["data"][0] == ptr
    np.testing.assert_allclose(out, (0.5 - 2j) * z + np.abs(z) * 1j, rtol=1e-12)
    z2 = (rng.standard_normal((9, 13)) + 1j * rng.standard_normal((9, 13))).astype(np.complex64)
    got = hpcir.parallel_reduce(hpcir.MDRangePolicy([0, 0], [9, 13]), energy, z=z2, target=target)
    want = np.sum(z2 * np.conj(z2) + np.exp(z2), dtype=np.complex128)
    assert isinstance(got, complex)
    np.testing.assert_allclose(got, want, rtol=1e-5)


# -- IR ------------------------------------------------------------------------------------------

@hpcir.kernel
def scatter(i: int, z: hpcir.View1D[complex], k: hpcir.View1D[int], bins: hpcir.View1D[complex],
            bins64: hpcir.View1D[hpcir.complex64], old: hpcir.View1D[hpcir.complex64]):
    hpcir.atomic_add(bins, [k[i]], z[i])
    hpcir.atomic_sub(bins, [0], 0.5j)
    old[i] = hpcir.atomic_fetch_add(bins64, [i % 3], 1j * z[i])


def _scatter_args(n: int = 500) -> dict:
    rng = np.random.default_rng(5)
    return {"z": rng.standard_normal(n) + 1j * rng.standard_normal(n), "k": rng.integers(0, 4, n),
            "bins": np.zeros(4, np.complex128), "bins64": np.zeros(3, np.complex64),
            "old": np.zeros(n, np.complex64)}


@pytest.mark.parametrize("target", ["serial", "cpu"])
def test_complex_atomics_match_numpy(target):
    """atomic_add / atomic_sub / atomic_fetch_add on complex views (Kokkos::atomic_add of
    Kokkos::complex) agree with np.add.at, whatever the thread count."""
    a = _scatter_args()
    n = len(a["z"])
    hpcir.parallel_for(n, scatter, target=target, **a)
    want = np.zeros(4, np.complex128)
    np.add.at(want, a["k"], a["z"])
    want[0] -= 0.5j * n
    np.testing.assert_allclose(a["bins"], want, rtol=1e-12, atol=1e-12)
    want64 = np.zeros(3, np.complex128)
    np.add.at(want64, np.arange(n) % 3, (1j * a["z"]).astype(np.complex64))
    np.testing.assert_allclose(a["bins64"], want64, rtol=1e-4, atol=1e-4)
    assert np.count_nonzero(a["old"]) == n - 3  # each slot's first add saw 0


def _l2(src_cases: list[cc.Case], tmp_path, tag: str, target: str = "cpu"):
    """The L2 module of the cases (and of `scatter`, the atomics), views in the target's memory space."""
    from hpcir.core.targets import get_target
    from hpcir.frontends.python.types import ViewType

    mod = cc.load(src_cases, tmp_path, tag)
    space = get_target(target).memory_space
    specs = []
    for c in src_cases:
        kw = dict(cc.inputs(np.random.default_rng(0), c))
        if c.kind == "for":
            kw["out"] = np.zeros((cc.N,) * c.rank, cc.CTYPES[c.ctype][2])
        spec, _ = bind_launch(getattr(mod, c.name), c.kind, "range" if c.rank == 1 else "mdrange", c.rank, kw, None,
                              c.reducer)
        spec.param_types = {n: t.with_space(space) if isinstance(t, ViewType) else t for n, t in spec.param_types.items()}
        spec.name = c.name
        specs.append(spec)
    spec, _ = bind_launch(scatter, "for", "range", 1, _scatter_args(), None)
    spec.param_types = {n: t.with_space(space) if isinstance(t, ViewType) else t for n, t in spec.param_types.items()}
    specs.append(spec)
    return build_module(specs, target)


@pytest.mark.parametrize("target", ["cpu", "cuda", "hip"])
def test_complex_dialect_verifies_upstream(tmp_path, target):
    """The kernels' bodies use the upstream complex dialect, and MLIR 22 verifies them at L2 and L3."""
    l2 = _l2(cc.FIXED, tmp_path, f"ir_{target}", target)
    l2.verify()
    verify_upstream(l2)
    names = {op.name for op in l2.walk()}
    for op in ("add", "sub", "mul", "div", "neg", "abs", "re", "im", "create", "conj", "exp", "sqrt", "log",
               "angle", "eq", "neq", "pow", "constant"):
        assert f"complex.{op}" in names, op
    assert "kokkos.atomic_fetch_add" in names
    l3 = lower_to_l3(l2.clone(), target)
    verify_upstream(l3)
    text = to_upstream_text(l3)
    assert "kokkos.parallel_reduce" in text and "complex<f32>" in text and "complex<f64>" in text


def test_upstream_rejects_mistyped_complex_ops(tmp_path):
    """The upstream check is real: a complex.mul whose result type differs from its operands' fails."""
    text = to_upstream_text(_l2(cc.FIXED[:1], tmp_path, "ir_bad"))
    line = next(ln for ln in text.splitlines() if '"complex.mul"' in ln)
    with pytest.raises(IRVerificationError):
        verify_upstream_text(text.replace(line, line.replace("-> complex<f32>", "-> complex<f64>")))


PROMOTIONS = [  # (kernel operand types, NumPy operands) -> the complex op's element type
    ("z: hpcir.View1D[hpcir.complex64], x: hpcir.View1D[hpcir.float32]", "z[i] + x[i]", "f32"),
    ("z: hpcir.View1D[hpcir.complex64], x: hpcir.View1D[hpcir.float64]", "z[i] + x[i]", "f64"),
    ("z: hpcir.View1D[hpcir.complex64], x: hpcir.View1D[hpcir.int64]", "z[i] + x[i]", "f64"),
    ("z: hpcir.View1D[hpcir.complex64], x: hpcir.View1D[hpcir.int32]", "z[i] + x[i]", "f64"),
    ("z: hpcir.View1D[hpcir.complex64], x: hpcir.View1D[hpcir.bool_]", "z[i] + x[i]", "f32"),
    ("z: hpcir.View1D[hpcir.complex64], x: hpcir.View1D[hpcir.complex128]", "z[i] + x[i]", "f64"),
    ("z: hpcir.View1D[hpcir.complex64], x: hpcir.View1D[float]", "z[i] + 1.5", "f32"),
    ("z: hpcir.View1D[hpcir.complex64], x: hpcir.View1D[float]", "z[i] * 2", "f32"),
    ("z: hpcir.View1D[hpcir.complex64], x: hpcir.View1D[hpcir.float32]", "x[i] + 2j", "f32"),
    ("z: hpcir.View1D[hpcir.complex64], x: hpcir.View1D[hpcir.float64]", "x[i] + 2j", "f64"),
    ("z: hpcir.View1D[hpcir.complex64], x: hpcir.View1D[hpcir.int32]", "x[i] + 2j", "f64"),
]


@pytest.mark.parametrize("params, expr, elem", PROMOTIONS, ids=[f"{p.split(',')[1].split('[')[-1][:-1]}:{e}"
                                                                   for p, e, _ in PROMOTIONS])
def test_promotion_follows_numpy(tmp_path, params, expr, elem):
    """Mixed real-complex arithmetic has NumPy's result type (NEP 50: Python numbers are weak)."""
    path = tmp_path / f"promo_{abs(hash((params, expr)))}.py"
    path.write_text(f"import hpcir\n\n@hpcir.kernel\ndef k(i, {params}, out: hpcir.View1D[complex]):\n"
                    f"    out[i] = {expr}\n")
    import importlib.util
    spec_ = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(mod)
    ops = [ln for ln in hpcir.lower(mod.k, stage="L2").splitlines() if "complex.add" in ln or "complex.mul" in ln]
    assert len(ops) == 1 and ops[0].endswith(f": complex<{elem}>"), ops
    # and that is what NumPy gives for the same operands
    np_types = {"hpcir.complex64": np.complex64, "hpcir.complex128": np.complex128, "hpcir.float32": np.float32,
                "hpcir.float64": np.float64, "float": np.float64, "hpcir.int64": np.int64, "hpcir.int32": np.int32,
                "hpcir.bool_": np.bool_}
    env = {p.split(":")[0].strip(): np.ones(2, np_types[p.split("[")[-1].rstrip("]")]) for p in params.split(", ")}
    got = eval(expr.replace("[i]", ""), env)  # noqa: S307
    assert got.dtype == {"f32": np.complex64, "f64": np.complex128}[elem]


# -- GPU code ------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("target", ["cuda", "hip"])
def test_complex_kernels_compile_for_gpu(tmp_path, target):
    """The same kernels as Kokkos::complex code for CUDA and HIP, compiled (no GPU needed)."""
    from hpcir.api import emit_cpp
    from hpcir.backends.build import compile_only
    from hpcir.backends.toolchain.kokkos_install import find_kokkos
    from hpcir.core.errors import KokkosNotFoundError
    from hpcir.core.targets import get_target

    try:
        install = find_kokkos(target)
    except KokkosNotFoundError as err:
        pytest.skip(f"no Kokkos {target} install: {err.message.splitlines()[0]}")
    l2 = _l2(cc.FIXED, tmp_path, f"gpu_{target}", target)
    sources = emit_cpp(lower_to_l3(l2, target), target, f"complex_{target}")
    assert "Kokkos::Sum<hpcir::complex64>" in sources[f"complex_{target}.cpp"]
    assert "Kokkos::atomic_fetch_add(&bins64(" in sources[f"complex_{target}.cpp"]
    compile_only(sources, get_target(target), install)


def _gpu_skip(target: str):
    """Skip unless this machine runs `target` (a driver and a device)."""
    from hpcir.api import cannot_run_reason
    from hpcir.core.targets import get_target
    why = cannot_run_reason(get_target(target))
    return pytest.mark.skipif(why is not None, reason=f"{target}: {why}")


@pytest.mark.gpu
@pytest.mark.parametrize("target", [pytest.param(t, marks=_gpu_skip(t)) for t in ("cuda", "hip")])
def test_each_feature_matches_numpy_on_gpu(tmp_path, target):
    """The same cases on a GPU, from NumPy arrays (staged to the device and back)."""
    res = cc.run_batch(cc.FIXED, target, tmp_path, seed=11, tag=f"fixed_{target}")
    assert not res["mismatch"], res["mismatch"]
    assert len(res["agreed"]) == len(cc.FIXED)


def _run_as_array_code(cases, target, workdir, seed, tag):
    """Each case through hpcir.compile(target='jax' | 'torch') (vectorised array code), against NumPy."""
    mod = cc.load(cases, workdir, tag)
    rng = np.random.default_rng(seed)
    bad = []
    for c in cases:
        args = cc.inputs(rng, c)
        kwargs = dict(args)
        out = np.zeros((cc.N,) * c.rank, cc.CTYPES[c.ctype][2])
        if c.kind == "for":
            kwargs["out"] = out
        if target == "torch":
            import torch
            kwargs = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        policy = cc.N if c.rank == 1 else hpcir.MDRangePolicy([0] * c.rank, [cc.N] * c.rank)
        got = hpcir.compile(getattr(mod, c.name), target=target, kind=c.kind, reducer=c.reducer)(policy, **kwargs)
        if c.kind == "for":
            value = out if target == "torch" else np.asarray(got)  # torch writes in place; JAX returns the view
            ok = cc.close(c, value, cc.oracle(c, args))
        else:
            want, terms = cc.oracle(c, args)
            ok = cc.close(c, complex(np.asarray(got)), want, terms)
        if not ok:
            bad.append(c.name)
    return bad


@pytest.mark.parametrize("target", ["jax", "torch"])
def test_each_feature_matches_numpy_as_array_code(tmp_path, target):
    """The same complex kernels emitted as JAX / Torch code (complex64 / complex128 arrays there)."""
    pytest.importorskip(target)
    bad = _run_as_array_code(cc.FIXED, target, tmp_path, 11, f"array_{target}")
    assert not bad, (bad, cc.kernel_source([c for c in cc.FIXED if c.name in bad]))


@pytest.mark.parametrize("target", ["jax", "torch"])
def test_random_complex_expressions_match_numpy_as_array_code(tmp_path, target):
    pytest.importorskip(target)
    cases = cc.random_cases(5, 30)
    bad = _run_as_array_code(cases, target, tmp_path, 5, f"array_rand_{target}")
    assert not bad, (bad, [c.expr.np_src for c in cases if c.name in bad])
