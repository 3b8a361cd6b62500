"""hpcir.as_jax / hpcir.as_torch: Kokkos kernels inside JAX and Torch programs.

The differential suite's kernels run through both wrappers on the cpu target and are compared with
NumPy; then jit / vmap / torch.compile / torch.export, zero-copy and bad input."""
from __future__ import annotations

import copy
import shutil
import subprocess

import numpy as np
import pytest

jax = pytest.importorskip("jax")
torch = pytest.importorskip("torch")
import jax.numpy as jnp  # noqa: E402

import hpcir  # noqa: E402
from hpcir.core.errors import HpcirError  # noqa: E402

from kernel_cases import CASES, RNG_SEED, Case  # noqa: E402

# Fortran-order inputs would be made C-order by jnp / torch: the layout cases stay on plain launches.
INTEROP_CASES = [c for c in CASES if not any(getattr(v, "flags", None) is not None and not v.flags.c_contiguous
                                             for v in c.args(np.random.default_rng(RNG_SEED)).values())]


@pytest.fixture(autouse=True, scope="module")
def _x64():
    previous = bool(jax.config.jax_enable_x64)
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", previous)


def _expected(case: Case, before: dict):
    return case.reference(copy.deepcopy(before))


def _check(case: Case, results: dict, value, expected) -> None:
    if case.kind in ("reduce", "scan") and case.kind == "reduce":
        np.testing.assert_allclose(np.asarray(value), expected, rtol=case.rtol, atol=1e-12)
        return
    for name, exp in zip(case.outputs, expected):
        np.testing.assert_allclose(np.asarray(results[name]), np.asarray(exp, dtype=np.asarray(results[name]).dtype),
                                   rtol=case.rtol, atol=1e-12, err_msg=f"{case.name}: output {name}")


@pytest.mark.parametrize("case", INTEROP_CASES, ids=[c.name for c in INTEROP_CASES])
def test_as_jax_matches_numpy(case: Case):
    args = case.args(np.random.default_rng(RNG_SEED))
    expected = _expected(case, args)
    f = hpcir.as_jax(hpcir.kernel(case.fn), reducer=case.reducer, kind=case.kind)
    policy = case.policy(hpcir)
    jargs = {k: jnp.asarray(v) if isinstance(v, np.ndarray) else v for k, v in args.items()}
    names = f.outputs(policy, **jargs)
    out = f(policy, **jargs)
    outs = [out] if len(names) == 1 else list(out or ())
    results = dict(args)
    values = []
    for n, o in zip(names, outs):
        if n == "result":
            values.append(o)
        else:
            results[n] = o
    value = values[0] if len(values) == 1 else values  # several accumulators: one value each
    for k, v in args.items():  # JAX is pure: the caller's arrays are untouched
        if isinstance(v, np.ndarray):
            np.testing.assert_array_equal(v, case.args(np.random.default_rng(RNG_SEED))[k])
    _check(case, results, value, expected)


@pytest.mark.parametrize("case", INTEROP_CASES, ids=[c.name for c in INTEROP_CASES])
def test_as_torch_matches_numpy(case: Case):
    args = case.args(np.random.default_rng(RNG_SEED))
    expected = _expected(case, args)
    op = hpcir.as_torch(hpcir.kernel(case.fn), reducer=case.reducer, kind=case.kind)
    targs = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in args.items()}
    out = op(case.policy(hpcir), **targs)
    value = None
    if case.kind == "reduce":
        n_values = len(case.reducer) if isinstance(case.reducer, tuple) else 1
        outs = list(out) if isinstance(out, tuple) else [out]
        value = [v.item() for v in outs[-n_values:]]
        value = value[0] if n_values == 1 else value
    # torch writes in place, like Kokkos: the numpy arrays behind the tensors hold the results
    _check(case, args, value, expected)


@hpcir.kernel
def axpy(i, a: float, x, y):
    y[i] = a * x[i] + y[i]


@hpcir.kernel
def dot(i, acc: hpcir.Acc[float], x, y):
    acc += x[i] * y[i]


@hpcir.kernel
def scale2d(i, j, s: float, a, b):
    b[i, j] = s * a[i, j] + b[i, j]


def test_jax_under_jit_vmap_and_traced_scalar():
    x, y = np.random.rand(100), np.random.rand(100)
    f = hpcir.as_jax(axpy)
    g = jax.jit(lambda a, x, y: f(100, a=a, x=x, y=y) * 2)  # `a` traced: passed as a 0-d buffer
    np.testing.assert_allclose(g(3.0, jnp.asarray(x), jnp.asarray(y)), 2 * (3 * x + y), rtol=1e-14)
    d = hpcir.as_jax(dot)
    np.testing.assert_allclose(jax.jit(lambda x, y: d(100, x=x, y=y))(jnp.asarray(x), jnp.asarray(y)), x @ y,
                               rtol=1e-12)
    xs = np.random.rand(4, 100)
    batched = jax.vmap(lambda x: d(100, x=x, y=jnp.asarray(y)))(jnp.asarray(xs))
    np.testing.assert_allclose(batched, xs @ y, rtol=1e-12)


def test_jax_mdrange_float32():
    a = np.random.rand(7, 9).astype(np.float32)
    b = np.random.rand(7, 9).astype(np.float32)
    f = hpcir.as_jax(scale2d)
    out = jax.jit(lambda a, b: f(hpcir.MDRangePolicy([0, 0], [7, 9]), s=2.0, a=a, b=b))(a, b)
    assert out.dtype == jnp.float32
    np.testing.assert_allclose(out, 2 * a + b, rtol=1e-6)


def test_torch_in_place_compile_and_export():
    n = 64
    op = hpcir.as_torch(axpy)
    x, y = torch.rand(n, dtype=torch.float64), torch.rand(n, dtype=torch.float64)
    y0 = y.clone()
    ptr = y.data_ptr()
    assert op(n, a=2.0, x=x, y=y) is y and y.data_ptr() == ptr  # written in place, no copy
    torch.testing.assert_close(y, 2 * x + y0)

    def model(x, y):
        op(n, a=3.0, x=x, y=y)
        return y * 2

    y = y0.clone()
    out = torch.compile(model, fullgraph=True)(x, y)
    torch.testing.assert_close(out, 2 * (3 * x + y0))

    class M(torch.nn.Module):
        def forward(self, x, y):
            op(n, a=3.0, x=x, y=y)
            return y + 1

    ep = torch.export.export(M(), (x, y0.clone()))
    assert "torch.ops.hpcir.axpy_" in ep.graph_module.code
    torch.testing.assert_close(ep.module()(x, y0.clone()), 3 * x + y0 + 1)
    d = hpcir.as_torch(dot)
    assert d(n, x=x, y=x).item() == pytest.approx(float(x @ x), rel=1e-12)
    torch.testing.assert_close(torch.compile(lambda x: d(n, x=x, y=x) + 1, fullgraph=True)(x), x @ x + 1)


def test_bad_input_is_located_and_runs_nothing():
    f = hpcir.as_jax(axpy)
    x = jnp.zeros(10)
    with pytest.raises(HpcirError, match="needs argument") as err:
        f(10, a=1.0, x=x)
    assert err.value.loc is not None and err.value.loc.filename == __file__
    with pytest.raises(HpcirError, match="not a Kokkos target"):
        hpcir.as_torch(axpy, target="jax")
    g = hpcir.as_jax(axpy, target="cuda")  # accepted: it runs on the GPU's arrays, on XLA's stream
    with pytest.raises(HpcirError, match="not on the GPU") as err:
        g(10, a=1.0, x=x, y=x + 1)
    assert err.value.loc is not None and err.value.loc.filename == __file__
    t = hpcir.as_torch(axpy, target="cuda")
    with pytest.raises(HpcirError, match="is a cpu tensor") as err:
        t(5, a=1.0, x=torch.zeros(5, dtype=torch.float64), y=torch.zeros(5, dtype=torch.float64))
    assert err.value.loc is not None and err.value.loc.filename == __file__
    op = hpcir.as_torch(axpy)
    y = torch.zeros(5, dtype=torch.float64)
    with pytest.raises(HpcirError):  # the policy reads past the end of the views: refused before the launch
        op(10, a=1.0, x=torch.zeros(5, dtype=torch.float64), y=y)
    assert not y.any()


# The HIP variant (HPCIR_FFI_HIP: the same code through hip* names) builds with hipcc too; that
# check costs ~25 s more on CI's 2 cores, so it is run by hand:
#   python -c "from hpcir.backends.xla_ffi import build_handler; import jax, jaxlib; \
#              print(build_handler(jax.ffi.include_dir(), jaxlib.__version__, platform='hip'))"
@pytest.mark.parametrize("platform,compiler", [("cuda", "nvcc")])
def test_gpu_ffi_handler_compiles(tmp_path, platform, compiler):
    """The GPU variant of the handler (XLA's stream passed to the entry, device scalars, reduction
    values stored in stream order) builds against jaxlib's headers."""
    if shutil.which(compiler) is None:
        pytest.skip(f"{compiler} not on the PATH")
    from hpcir.backends.xla_ffi import compile_command, compile_env, shim_source
    src = tmp_path / "h.cpp"
    src.write_text(shim_source())
    cmd = compile_command(jax.ffi.include_dir(), src, tmp_path / "libh.so", platform=platform)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=compile_env(platform))
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_cuda_stream_entries_compile_against_kokkos_cuda():
    """The entries as_jax / as_torch call on a GPU (hpcir_NAME_stream: an instance on the caller's
    stream, kernels taking it) compile with nvcc_wrapper against the Kokkos CUDA build."""
    from hpcir.api import build_module, emit_cpp, lower_to_l3
    from hpcir.backends.build import compile_only
    from hpcir.backends.toolchain.kokkos_install import find_kokkos
    from hpcir.core.errors import KokkosNotFoundError
    from hpcir.core.targets import get_target
    from test_kernel_ir import spec_for
    try:
        install = find_kokkos("cuda")
    except KokkosNotFoundError as err:
        pytest.skip(f"no Kokkos cuda install: {err.message.splitlines()[0]}")
    cases = [c for c in CASES if c.name in ("axpy", "dot", "team_reduce")]
    sources = emit_cpp(lower_to_l3(build_module([spec_for(c, "cuda") for c in cases], "cuda"), "cuda"),
                       "cuda", "stream_cuda")
    cpp = sources["stream_cuda.cpp"]
    for c in cases:  # one stream entry per kernel, launching through the instance overload
        assert f'extern "C" int hpcir_{c.name}_stream(void* stream, ' in cpp
    compile_only(sources, get_target("cuda"), install)


# ------------------------------------------------------------------------------ gradients (adjoints)
@hpcir.kernel
def axpy_bwd(i, a: float, x, y, x_bar, y_bar):
    x_bar[i] += a * y_bar[i]  # y_bar passes through: d(y_in) = d(y_out)


@hpcir.kernel(adjoint=axpy_bwd)
def axpy_ad(i, a: float, x, y):
    y[i] = a * x[i] + y[i]


@hpcir.kernel
def wdot_bwd(i, x, y, w, x_bar, y_bar, acc_bar: float):
    x_bar[i] += acc_bar * w[i] * y[i]
    y_bar[i] += acc_bar * w[i] * x[i]


@hpcir.kernel(adjoint=wdot_bwd)
def wdot(i, acc: hpcir.Acc[float], x, y, w):
    acc += w[i] * x[i] * y[i]


def _fd_grad(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    g = np.zeros_like(x)
    for k in range(x.size):
        e = np.zeros_like(x)
        e.flat[k] = h
        g.flat[k] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def test_jax_grad_through_the_adjoint_kernel_matches_finite_differences():
    n = 12
    rng = np.random.default_rng(3)
    x, y, w = rng.random(n), rng.random(n), rng.random(n)
    f, d = hpcir.as_jax(axpy_ad), hpcir.as_jax(wdot)

    def loss(x, y):
        z = f(n, a=1.5, x=x, y=y)
        return jnp.sum(jnp.sin(z)) + d(n, x=z, y=x, w=w) ** 2

    gx, gy = jax.jit(jax.grad(loss, argnums=(0, 1)))(x, y)
    np.testing.assert_allclose(gx, _fd_grad(lambda v: float(loss(v, y)), x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gy, _fd_grad(lambda v: float(loss(x, v)), y), rtol=1e-6, atol=1e-8)


def test_torch_autograd_through_the_adjoint_kernel_passes_gradcheck():
    n = 12
    op, d = hpcir.as_torch(axpy_ad), hpcir.as_torch(wdot)
    x = torch.rand(n, dtype=torch.float64, requires_grad=True)
    y = torch.rand(n, dtype=torch.float64, requires_grad=True)
    w = torch.rand(n, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x, y: op(n, a=1.5, x=x, y=y), (x, y))
    assert torch.autograd.gradcheck(lambda x, y: d(n, x=x, y=y, w=w), (x, y))
    y0 = y.detach().clone()
    out = op(n, a=1.5, x=x, y=y)
    assert out is not y and torch.equal(y.detach(), y0)  # recorded for autograd: inputs left intact


def test_handler_build_failure_is_located(monkeypatch):
    """No C++ compiler (or a failed FFI handler build): a located HpcirError at the call, nothing run."""
    import hpcir.interop as interop
    from hpcir.backends import xla_ffi

    def no_compiler(*args):
        raise HpcirError("no C++ compiler on the PATH to build the XLA FFI handler", hint="install g++")

    monkeypatch.setattr(interop, "_JAX_REGISTERED", set())
    monkeypatch.setattr(xla_ffi, "handler_library", no_compiler)
    f = hpcir.as_jax(axpy)
    with pytest.raises(HpcirError, match="no C\\+\\+ compiler") as err:
        f(4, a=1.0, x=jnp.zeros(4), y=jnp.zeros(4))
    assert err.value.loc is not None and err.value.loc.filename == __file__


@hpcir.kernel
def axpy_any(i, a, x, y):  # `a` unannotated: its type is the argument's (float32 for np.float32)
    y[i] = a * x[i] + y[i]


def test_handler_takes_scalars_as_constants():
    """The GPU path passes scalars known at trace time as the `constants` attribute (no operand, no
    device-to-host copy): the same handler protocol, checked here on the host handler, float32 and
    int64 bit patterns included."""
    from hpcir.api import bind
    from hpcir.backends.xla_ffi import TARGET_NAME
    from hpcir.interop import _register_jax_target, _scalar_bits
    _register_jax_target("host")
    for dtype in (np.float64, np.float32):
        x, y = np.random.rand(6).astype(dtype), np.random.rand(6).astype(dtype)
        entry = bind("for", 6, axpy_any, {"a": dtype(2.5), "x": x, "y": y}, "cpu", None, None).entry
        assert entry.params[2].dtype == np.dtype(dtype).name  # `a` takes the NumPy scalar's type
        call = jax.ffi.ffi_call(TARGET_NAME, [jax.ShapeDtypeStruct((6,), dtype)], input_output_aliases={1: 0},
                                vmap_method="sequential")
        (out,) = call(jnp.asarray(x), jnp.asarray(y), entry=np.int64(entry.address), bounds=np.asarray([0, 6], np.int64),
                   roles=np.asarray([-1, 0, 2], np.int64),
                   constants=np.asarray([_scalar_bits(2.5, np.dtype(entry.params[2].dtype))], np.int64),
                   num_values=np.int64(0))
        np.testing.assert_allclose(np.asarray(out), 2.5 * x + y, rtol=1e-6)
    assert _scalar_bits(-3, np.dtype(np.int64)) == -3 and _scalar_bits(True, np.dtype(bool)) == 1
