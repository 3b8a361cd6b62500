"""Kernels on the jax and torch targets: the calling convention (pure JAX, in-place Torch), the
generated source, JAX transformations (jit, vmap, grad), torch.compile, and the located errors
for what array code cannot express (racing writes, an atomic's returned value, team policies)."""
from __future__ import annotations

import numpy as np
import pytest

import hpcir
from hpcir.backends.kernel_array_emitter import NotArrayExpressible

jax = pytest.importorskip("jax")
torch = pytest.importorskip("torch")
jnp = jax.numpy

N = 33


@hpcir.kernel
def axpy(i: int, a: float, x: hpcir.View1D[float], y: hpcir.View1D[float]):
    y[i] = a * x[i] + y[i]


@hpcir.kernel
def dot(i: int, acc: hpcir.Acc[float], x: hpcir.View1D[float], y: hpcir.View1D[float]):
    acc += x[i] * y[i]


@hpcir.kernel
def two_outputs(i: int, j: int, a: hpcir.View2D[float], s: hpcir.View2D[float], t: hpcir.View2D[float]):
    s[i, j] = a[i, j] + 1.0
    t[i, j] = a[i, j] * 2.0


@hpcir.kernel
def sum_and_write(i: int, acc: hpcir.Acc[float], x: hpcir.View1D[float], y: hpcir.View1D[float]):
    y[i] = 2.0 * x[i]
    acc += x[i]


@hpcir.kernel
def smooth(i: int, x: hpcir.View1D[float], y: hpcir.View1D[float]):
    s = 0.0
    for k in range(3):
        s += x[i + k] * (k + 1)
    if s > 0.0:
        y[i] = s
    else:
        y[i] = -0.5 * s


@hpcir.kernel
def racing(i: int, x: hpcir.View1D[float], y: hpcir.View1D[float]):
    y[0] = x[i]


@hpcir.kernel
def neighbour_read(i: int, x: hpcir.View1D[float], y: hpcir.View1D[float]):
    y[i + 1] = y[i] + x[i]


@hpcir.kernel
def data_index(i: int, p: hpcir.View1D[int], x: hpcir.View1D[float], y: hpcir.View1D[float]):
    y[p[i]] = x[i]


@hpcir.kernel
def ticket(i: int, c: hpcir.View1D[int], slot: hpcir.View1D[int]):
    slot[i] = hpcir.atomic_fetch_add(c, [0], 1)


@hpcir.kernel
def rowsum(team: hpcir.TeamMember, a: hpcir.View2D[float], out: hpcir.View1D[float]):
    row = team.league_rank()

    def inner(j, s):
        s += a[row, j]

    total = hpcir.parallel_reduce(hpcir.TeamThreadRange(team, a.extent(1)), inner)

    def write():
        out[row] = total

    hpcir.single(hpcir.PerTeam(team), write)


def _x(n=N, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, n)


def test_jax_is_pure_and_returns_written_views():
    x, y = _x(), _x(seed=1)
    y0 = y.copy()
    out = hpcir.compile(axpy, target="jax")(N, a=2.0, x=x, y=y)
    np.testing.assert_allclose(np.asarray(out), 2.0 * x + y0, rtol=1e-15)
    np.testing.assert_array_equal(y, y0)  # the input is not changed
    assert out.dtype == jnp.float64


def test_jax_several_outputs_in_signature_order_and_reduction_first():
    a = np.random.default_rng(2).uniform(size=(5, 7))
    s, t = hpcir.compile(two_outputs, target="jax")(hpcir.MDRangePolicy([0, 0], [5, 7]), a=a, s=np.zeros((5, 7)),
                                                    t=np.zeros((5, 7)))
    np.testing.assert_allclose(np.asarray(s), a + 1.0)
    np.testing.assert_allclose(np.asarray(t), 2.0 * a)
    x = _x()
    total, y = hpcir.compile(sum_and_write, target="jax")(N, x=x, y=np.zeros(N))
    np.testing.assert_allclose(float(total), x.sum(), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(y), 2 * x)


def test_torch_writes_in_place_and_returns_the_views():
    x, y = torch.from_numpy(_x()), torch.from_numpy(_x(seed=1))
    y0, ptr = y.clone(), y.data_ptr()
    out = hpcir.compile(axpy, target="torch")(N, a=2.0, x=x, y=y)
    assert out is y and y.data_ptr() == ptr
    torch.testing.assert_close(y, 2.0 * x + y0)
    ynp = _x(seed=3)
    before = ynp.copy()
    hpcir.compile(axpy, target="torch")(hpcir.RangePolicy(2, N), a=1.0, x=_x(), y=ynp)  # numpy: in place too
    np.testing.assert_allclose(ynp[2:], _x()[2:] + before[2:])
    np.testing.assert_array_equal(ynp[:2], before[:2])


def test_lower_prints_the_generated_source():
    src = hpcir.lower(axpy, target="jax")
    assert "def axpy(begin, end, a, x, y):" in src and "y.at[begin:end].set(" in src
    tsrc = hpcir.lower(smooth, target="torch")
    assert "import torch" in tsrc and "torch.where" in tsrc
    compile(src, "<jax>", "exec")
    compile(tsrc, "<torch>", "exec")


def test_jit_vmap_and_grad():
    f, d = hpcir.compile(axpy, target="jax"), hpcir.compile(dot, target="jax")
    with jax.enable_x64(True):
        x, y = jnp.asarray(_x()), jnp.asarray(_x(seed=1))
        np.testing.assert_allclose(jax.jit(lambda x, y: f(N, a=2.0, x=x, y=y) * 2)(x, y), 2 * (2 * x + y))
        xs = jnp.stack([x, 2 * x, -x])
        np.testing.assert_allclose(jax.vmap(lambda xr: f(N, a=2.0, x=xr, y=y))(xs), 2 * xs + y[None, :])
        np.testing.assert_allclose(jax.grad(lambda x: d(N, x=x, y=y))(x), y)  # d(x.y)/dx = y
        np.testing.assert_allclose(jax.grad(lambda a: jnp.sum(f(N, a=a, x=x, y=y)))(2.0), jnp.sum(x))
        s = hpcir.compile(smooth, target="jax")
        g = jax.grad(lambda x: jnp.sum(s(N - 2, x=x, y=jnp.zeros(N))))(x)
        eps, e = 1e-6, np.zeros(N)
        base = float(jnp.sum(s(N - 2, x=x, y=jnp.zeros(N))))
        for k in (0, 5, 17):
            e[:] = 0
            e[k] = eps
            fd = (float(jnp.sum(s(N - 2, x=x + e, y=jnp.zeros(N)))) - base) / eps
            assert abs(fd - float(g[k])) < 1e-4


def test_torch_compile():
    ft = hpcir.compile(smooth, target="torch")
    x = torch.from_numpy(_x())
    want = ft(N - 2, x=x, y=torch.zeros(N, dtype=torch.float64)).clone()
    compiled = torch.compile(lambda x, y: ft(N - 2, x=x, y=y) * 1.0)
    got = compiled(x, torch.zeros(N, dtype=torch.float64))
    torch.testing.assert_close(got, want)


def test_array_code_matches_the_kokkos_build():
    x = _x()
    y = np.zeros(N)
    hpcir.parallel_for(N - 2, smooth, x=x, y=y, target="serial")
    yj = hpcir.compile(smooth, target="jax")(N - 2, x=x, y=np.zeros(N))
    yt = np.zeros(N)
    hpcir.compile(smooth, target="torch")(N - 2, x=x, y=yt)
    np.testing.assert_allclose(np.asarray(yj), y, rtol=1e-14)
    np.testing.assert_allclose(yt, y, rtol=1e-14)


@pytest.mark.parametrize("target", ["jax", "torch"])
@pytest.mark.parametrize("kern, args, why, line", [
    (racing, dict(x=np.zeros(N), y=np.zeros(N)), "several iterations store to one element of `y`", "y[0] = x[i]"),
    (data_index, dict(p=np.arange(N), x=np.zeros(N), y=np.zeros(N)), "cannot prove", "y[p[i]] = x[i]"),
    (neighbour_read, dict(x=np.zeros(N), y=np.zeros(N + 1)), "read elements of `y` that other iterations write",
     "y[i + 1] = y[i] + x[i]"),
    (ticket, dict(c=np.zeros(1, np.int64), slot=np.zeros(N, np.int64)), "the value an atomic returns", "atomic"),
])
def test_unexpressible_kernels_get_a_located_error_before_running(target, kern, args, why, line):
    import linecache
    before = {k: v.copy() for k, v in args.items()}
    with pytest.raises(NotArrayExpressible, match="not expressible as array code") as err:
        hpcir.compile(kern, target=target)(N, **args)
    assert why in err.value.message
    loc = err.value.loc
    assert loc is not None and loc.filename == __file__
    assert line in linecache.getline(loc.filename, loc.line)
    assert err.value.hint
    for k, v in args.items():
        np.testing.assert_array_equal(v, before[k])  # nothing ran


@hpcir.kernel
def triangle(team: hpcir.TeamMember, a: hpcir.View2D[float], out: hpcir.View1D[float]):
    row = team.league_rank()

    def inner(j, s):
        s += a[row, j]

    total = hpcir.parallel_reduce(hpcir.TeamThreadRange(team, row + 1), inner)

    def write():
        out[row] = total

    hpcir.single(hpcir.PerTeam(team), write)


@pytest.mark.parametrize("target", ["jax", "torch"])
def test_team_kernels_become_batched_reductions(target):
    a = np.random.default_rng(4).uniform(size=(6, 5))
    out = np.zeros(6)
    res = hpcir.compile(rowsum, target=target)(hpcir.TeamPolicy(6, hpcir.AUTO), a=a, out=out)
    got = np.asarray(res) if target == "jax" else out
    np.testing.assert_allclose(got, a.sum(axis=1), rtol=1e-14)
    src = hpcir.compile(rowsum, target=target).source(hpcir.TeamPolicy(6, hpcir.AUTO), a=a, out=out)
    assert ("axis=1, keepdims=True" in src) or ("dim=1, keepdim=True" in src)


@pytest.mark.parametrize("target", ["jax", "torch"])
def test_team_ranges_that_differ_between_teams_are_refused(target):
    with pytest.raises(NotArrayExpressible, match="nested range whose bounds differ between teams") as err:
        hpcir.compile(triangle, target=target)(hpcir.TeamPolicy(4, hpcir.AUTO), a=np.zeros((4, 4)), out=np.zeros(4))
    assert err.value.loc is not None and err.value.loc.filename == __file__


def test_parallel_for_on_an_array_target_points_to_compile():
    with pytest.raises(hpcir.HpcirError, match=r"hpcir.compile\(kernel, target='jax'\)"):
        hpcir.parallel_for(N, axpy, a=1.0, x=np.zeros(N), y=np.zeros(N), target="jax")


def test_zero_divisor_raises_like_the_kokkos_build():
    from hpcir.core.errors import KernelZeroDivisionError

    @hpcir.kernel
    def idiv(i: int, c: hpcir.View1D[int], y: hpcir.View1D[int]):
        y[i] = 100 // c[i]

    c = np.array([1, 2, 0, 4])
    for target in ("jax", "torch"):
        with pytest.raises(KernelZeroDivisionError) as err:
            hpcir.compile(idiv, target=target)(4, c=c, y=np.zeros(4, np.int64))
        assert err.value.loc is not None and err.value.loc.filename == __file__
    out = hpcir.compile(idiv, target="jax")(4, c=np.array([1, 2, -3, 4]), y=np.zeros(4, np.int64))
    np.testing.assert_array_equal(np.asarray(out), [100, 50, -34, 25])


@hpcir.kernel
def swap_in_place(i: int, y: hpcir.View1D[float], z: hpcir.View1D[float]):
    old = y[i]
    y[i] = 0.0
    z[i] = old + y[i]


@pytest.mark.parametrize("target", ["jax", "torch"])
def test_a_loaded_value_is_not_changed_by_a_later_store(target):
    y0 = _x()
    y, z = y0.copy(), np.zeros(N)
    out = hpcir.compile(swap_in_place, target=target)(N, y=y, z=z)
    yz = [np.asarray(o) for o in out] if target == "jax" else [y, z]
    np.testing.assert_array_equal(yz[0], np.zeros(N))
    np.testing.assert_array_equal(yz[1], y0)


KERNELS_FILE = '''
import hpcir


@hpcir.kernel
def axpy(i: int, a: float, x: hpcir.View1D[float], y: hpcir.View1D[float]):
    y[i] = a * x[i] + y[i]


@hpcir.kernel
def dot(i: int, acc: hpcir.Acc[float], x: hpcir.View1D[float], y: hpcir.View1D[float]):
    acc += x[i] * y[i]
'''


@pytest.mark.parametrize("target", ["jax", "torch"])
def test_cli_lower_writes_one_python_module(tmp_path, target):
    import importlib.util
    import subprocess
    import sys
    src = tmp_path / "kernels.py"
    src.write_text(KERNELS_FILE)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "hpcir", "lower", str(src), f"--target={target}", "-o", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert (out / "kernels.py").is_file() and "axpy, dot" in proc.stdout
    spec = importlib.util.spec_from_file_location(f"gen_{target}", out / "kernels.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    x, y = np.arange(4.0), np.ones(4)
    if target == "torch":
        yt = torch.from_numpy(y)
        mod.axpy(0, 4, 2.0, torch.from_numpy(x), yt)
        np.testing.assert_allclose(y, 2 * x + 1)
        assert float(mod.dot(0, 4, torch.from_numpy(x), torch.from_numpy(x))) == 14.0
    else:
        with jax.enable_x64(True):
            np.testing.assert_allclose(np.asarray(mod.axpy(0, 4, 2.0, x, y)), 2 * x + 1)
            assert float(mod.dot(0, 4, x, x)) == 14.0


@hpcir.kernel
def offset_sum(i: int, acc: hpcir.Acc[float], x: hpcir.View1D[float]):
    acc += 0.0 + x[i]  # the user's own `0.0 +` stays; the accumulator's identity does not


def test_sum_contribution_without_the_accumulators_identity():
    """A sum's body `acc += e` contributes e itself: no `0.0 + e` per element (Inductor keeps that add)."""
    for target in ("jax", "torch"):
        src = hpcir.lower(dot, target=target)
        assert "(0.0 + " not in src and "sum(" in src, src
        assert "(0.0 + x" in hpcir.lower(offset_sum, target=target)
    x = np.random.rand(N)
    assert float(hpcir.compile(offset_sum, target="torch")(N, x=torch.from_numpy(x))) == pytest.approx(x.sum())
