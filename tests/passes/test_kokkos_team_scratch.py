"""kokkos-team-scratch: MDRange stencils staged through team scratch (tile + halo) on GPU targets.

Checked by: the rewritten IR (team policy, scratch_alloc, barrier, scratch loads), the reference
interpreter against the unrewritten launch and NumPy on small grids with partial tiles, upstream
MLIR verification, a CUDA/HIP compile of the emitted C++, and (slow) a CPU JIT run of the rewritten
kernel forced onto the serial target, compared with NumPy. IR-in/IR-out tests:
tests/passes/kokkos-team-scratch/.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
from ircheck import check
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, f64

from hpcir.dialects import kokkos as kk
from hpcir.dialects.kokkos_interpreter import array, make_interpreter
from hpcir.dialects.upstream import verify_upstream
from hpcir.pipeline import available_passes, run_pipeline

SOURCE = '''
import hpcir

@hpcir.kernel
def jacobi(i: int, j: int, k: int, u: hpcir.View3D[float], v: hpcir.View3D[float]):
    v[i, j, k] = (u[i - 1, j, k] + u[i + 1, j, k] + u[i, j - 1, k] + u[i, j + 1, k]
                  + u[i, j, k - 1] + u[i, j, k + 1] - 6.0 * u[i, j, k]) * 0.1

@hpcir.kernel
def lap2(i: int, j: int, u: hpcir.View2D[float], c: hpcir.View2D[float], out: hpcir.View2D[float]):
    out[i, j] = c[i, j] * (4.0 * u[i, j] - u[i + 1, j] - u[i - 1, j] - u[i, j + 1] - u[i, j - 2])

@hpcir.kernel
def pointwise(i: int, j: int, k: int, u: hpcir.View3D[float], v: hpcir.View3D[float]):
    v[i, j, k] = 2.0 * u[i, j, k] + 1.0

@hpcir.kernel
def along_i(i: int, j: int, k: int, u: hpcir.View3D[float], v: hpcir.View3D[float]):
    v[i, j, k] = u[i - 1, j, k] + u[i + 1, j, k]

@hpcir.kernel
def inplace(i: int, j: int, k: int, u: hpcir.View3D[float], v: hpcir.View3D[float]):
    u[i, j, k] = u[i - 1, j, k] + u[i, j - 1, k] + u[i + 1, j + 1, k] + v[i, j, k]

@hpcir.kernel
def upwind(i: int, j: int, u: hpcir.View2D[float], w: hpcir.View2D[float], v: hpcir.View2D[float]):
    if w[i, j] > 0.0:
        v[i, j] = u[i, j] - u[i - 1, j] + u[i, j - 1]
    else:
        v[i, j] = u[i + 1, j] - u[i, j] + u[i, j + 1]

@hpcir.program
def main():
    n = 10
    u = hpcir.View((n, n, n), float)
    v = hpcir.View((n, n, n), float)
    a = hpcir.View((n, n), float)
    c = hpcir.View((n, n), float)
    o = hpcir.View((n, n), float)
    hpcir.parallel_for(hpcir.MDRangePolicy([1, 1, 1], [n - 1, n - 1, n - 1]), jacobi, u=u, v=v)
    hpcir.parallel_for(hpcir.MDRangePolicy([1, 2], [n - 1, n - 1]), lap2, u=a, c=c, out=o)
    hpcir.parallel_for(hpcir.MDRangePolicy([0, 0, 0], [n, n, n]), pointwise, u=u, v=v)
    hpcir.parallel_for(hpcir.MDRangePolicy([1, 0, 0], [n - 1, n, n]), along_i, u=u, v=v)
    hpcir.parallel_for(hpcir.MDRangePolicy([1, 1, 0], [n - 1, n - 1, n]), inplace, u=u, v=v)
    hpcir.parallel_for(hpcir.MDRangePolicy([1, 1], [n - 1, n - 1]), upwind, u=a, w=c, v=o)
'''


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("stencils") / "stencils.py"
    path.write_text(textwrap.dedent(SOURCE))
    return path


def lower(path: Path, target: str) -> ModuleOp:
    """The module as `hpcir lower --target` has it just before kokkos-team-scratch runs."""
    from hpcir.commands.lower import lower_file
    l2, _, _ = lower_file(path, target)
    return run_pipeline(l2.clone(), pipeline_before("kokkos-team-scratch", target), target=target)


def pipeline_before(pass_name: str, target: str) -> str:
    """The default L2 -> L3 pipeline of `target` up to (without) `pass_name`."""
    from hpcir.api import l2_to_l3_pipeline
    passes = l2_to_l3_pipeline(target).split(",")
    names = [p.split("{")[0] for p in passes]
    return ",".join(passes[:names.index(pass_name)] if pass_name in names else passes)


def staged(module: ModuleOp, options: str) -> ModuleOp:
    out = module.clone()
    opts = options.split()
    target = next(o.removeprefix("target=") for o in opts if o.startswith("target="))
    rest = " ".join(o for o in opts if not o.startswith("target="))
    run_pipeline(out, f"kokkos-set-target{{target={target}}},kokkos-team-scratch" + (f"{{{rest}}}" if rest else ""))
    return out


def entry(module: ModuleOp, name: str) -> func.FuncOp:
    return next(f for f in module.body.block.ops if isinstance(f, func.FuncOp) and f.sym_name.data == name)


def launch_policy(module: ModuleOp, name: str):
    return next(o for o in entry(module, name).walk() if isinstance(o, kk.ParallelForOp)).policy


# -- NumPy references (interior points; everything else keeps its initial value) ------------------

def ref_jacobi(u, v, lo, hi):
    v = v.copy()
    s = tuple(slice(a, b) for a, b in zip(lo, hi))
    sh = lambda d, o: tuple(slice(a + o * (k == d), b + o * (k == d)) for k, (a, b) in enumerate(zip(lo, hi)))  # noqa: E731
    v[s] = (sum(u[sh(d, -1)] + u[sh(d, 1)] for d in range(3)) - 6.0 * u[s]) * 0.1
    return v


def ref_lap2(u, c, out, lo, hi):
    out = out.copy()
    (i0, j0), (i1, j1) = lo, hi
    s = (slice(i0, i1), slice(j0, j1))
    out[s] = c[s] * (4.0 * u[s] - u[i0 + 1:i1 + 1, j0:j1] - u[i0 - 1:i1 - 1, j0:j1] - u[i0:i1, j0 + 1:j1 + 1]
                     - u[i0:i1, j0 - 2:j1 - 2])
    return out


def interp(module: ModuleOp, name: str, bounds: list[int], arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Run entry `name` in the reference interpreter; returns the arrays after the launch."""
    views = [array(a.ravel().tolist(), a.shape, f64) for a in arrays]
    make_interpreter(module, seed=1).call_op(name, (*bounds, *views))
    return [np.array(v.data, dtype=float).reshape(a.shape) for v, a in zip(views, arrays)]


def test_pass_is_registered():
    assert "kokkos-team-scratch" in available_passes()


def test_jacobi_becomes_a_team_launch_staging_tile_plus_halo(source):
    module = lower(source, "cuda")
    out = staged(module, "target=cuda")
    text = str(entry(out, "jacobi"))
    scratch = "memref<?x?x?xf64, strided<[1, ?, ?]>, #kokkos.space<scratch>>"
    # kokkos-layout's tile on cuda is [64, 4, 2]: the halo box is 66 x 6 x 4.
    check(text, f"""
    // CHECK:      %[[S0:\\w+]] = arith.constant 66 : index
    // CHECK-NEXT: %[[S1:\\w+]] = arith.constant 6 : index
    // CHECK-NEXT: %[[S2:\\w+]] = arith.constant 4 : index
    // CHECK-NEXT: %[[VOL:\\w+]] = arith.constant 1584 : index
    // CHECK:      kokkos.parallel_for "jacobi" #kokkos.team<scratch_bytes = 0> on <cuda>
    // CHECK-NEXT: ^bb0(%[[M:\\w+]]: !kokkos.team_member):
    // CHECK-NEXT:   kokkos.league_rank %[[M]]
    // CHECK:        %[[T:\\w+]] = kokkos.scratch_alloc %[[M]](%[[S0]], %[[S1]], %[[S2]]) level 0 : {scratch}
    // CHECK-NEXT:   kokkos.team_thread_range %[[M]]({{{{%\\w+}}}}, %[[VOL]])
    // CHECK:          memref.load %u[{{{{.*}}}}] : memref<?x?x?xf64, strided<[1, ?, ?]>, #kokkos.space<device>>
    // CHECK-NEXT:     memref.store {{{{.*}}}}, %[[T]][{{{{.*}}}}] : {scratch}
    // CHECK:        kokkos.team_barrier %[[M]]
    // CHECK-NEXT:   kokkos.team_thread_range %[[M]]
    // CHECK-NOT:    memref.load %u[
    // CHECK:          memref.store {{{{.*}}}}, %v[{{{{.*}}}}]
    """)
    assert text.count("memref.load %u_tile[") == 7  # all seven stencil reads come from scratch
    verify_upstream(out)


def test_launches_that_do_not_pay_are_left_unchanged(source):
    module = lower(source, "cuda")
    out = staged(module, "target=cuda")
    for name in ("pointwise", "along_i", "inplace"):
        assert str(entry(out, name)) == str(entry(module, name)), name
    # lap2: u is staged (offsets in both dims), c (one offset) is read from global memory as before.
    text = str(entry(out, "lap2"))
    assert "%u_tile = kokkos.scratch_alloc" in text and "c_tile" not in text and "memref.load %c[" in text


@pytest.mark.parametrize("target", ["cpu", "serial"])
def test_host_targets_are_unchanged_unless_forced(source, target):
    module = lower(source, target)
    assert str(staged(module, f"target={target}")) == str(module)
    forced = staged(module, f"target={target} force=true")
    assert isinstance(launch_policy(forced, "jacobi"), kk.TeamPolicyAttr)


@pytest.mark.parametrize("tile,lo,hi", [
    ("", (1, 1, 1), (5, 6, 5)),                # default tile [64, 4, 2]: partial tiles, 2 x 2 teams
    ("tile=4,3,2", (1, 1, 1), (9, 9, 9)),      # several teams, partial tiles in dims 1
    ("tile=3,3,3", (1, 2, 1), (8, 9, 7)),      # non-zero, uneven lower bounds
    ("tile=5,2,4", (2, 1, 3), (9, 9, 9)),
])
def test_jacobi_matches_interpreter_and_numpy(source, tile, lo, hi):
    module = lower(source, "cuda")
    out = staged(module, f"target=cuda {tile}".strip())
    rng = np.random.default_rng(hash((tile, lo)) % 2**32)
    shape = tuple(h + 1 for h in hi)
    u, v = rng.standard_normal(shape), rng.standard_normal(shape)
    bounds = [*lo, *hi]
    (_, before), (_, after) = interp(module, "jacobi", bounds, [u, v]), interp(out, "jacobi", bounds, [u, v])
    np.testing.assert_allclose(after, before, rtol=0, atol=0)
    np.testing.assert_allclose(after, ref_jacobi(u, v, lo, hi), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("tile,lo,hi", [("", (1, 2), (9, 9)), ("tile=3,4", (1, 2), (9, 8)), ("tile=2,5", (3, 3), (8, 9))])
def test_lap2_matches_interpreter_and_numpy(source, tile, lo, hi):
    module = lower(source, "hip")
    out = staged(module, f"target=hip {tile}".strip())
    assert isinstance(launch_policy(out, "lap2"), kk.TeamPolicyAttr)
    rng = np.random.default_rng(len(tile) + lo[0])
    u, c, o = (rng.standard_normal((10, 10)) for _ in range(3))
    bounds = [*lo, *hi]
    before, after = interp(module, "lap2", bounds, [u, c, o]), interp(out, "lap2", bounds, [u, c, o])
    np.testing.assert_array_equal(after[2], before[2])
    np.testing.assert_allclose(after[2], ref_lap2(u, c, o, lo, hi), rtol=1e-12, atol=1e-12)
    verify_upstream(out)


@pytest.mark.parametrize("tile", ["", "tile=4,3", "tile=3,7"])
def test_loads_inside_branches_are_staged_too(source, tile):
    module = lower(source, "cuda")
    out = staged(module, f"target=cuda {tile}".strip())
    assert str(entry(out, "upwind")).count("memref.load %u_tile[") == 6
    rng = np.random.default_rng(3)
    u, w, v = (rng.standard_normal((10, 10)) for _ in range(3))
    expect = v.copy()
    s, im, jm, ip, jp = (slice(1, 9), slice(1, 9)), (slice(0, 8), slice(1, 9)), (slice(1, 9), slice(0, 8)), \
        (slice(2, 10), slice(1, 9)), (slice(1, 9), slice(2, 10))
    expect[s] = np.where(w[s] > 0.0, u[s] - u[im] + u[jm], u[ip] - u[s] + u[jp])
    before, after = interp(module, "upwind", [1, 1, 9, 9], [u, w, v]), interp(out, "upwind", [1, 1, 9, 9], [u, w, v])
    np.testing.assert_array_equal(after[2], before[2])
    np.testing.assert_allclose(after[2], expect, rtol=1e-12, atol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("target", ["cuda", "hip"])
def test_emitted_gpu_code_compiles(source, target):
    from hpcir.api import emit_cpp
    from hpcir.backends.build import compile_only
    from hpcir.backends.toolchain.kokkos_install import KokkosNotFoundError, find_kokkos
    from hpcir.core.targets import get_target
    try:
        install = find_kokkos(target)
    except KokkosNotFoundError:
        pytest.skip(f"no Kokkos {target} install")
    out = staged(lower(source, target), f"target={target}")
    sources = emit_cpp(out, target, "stencils_scratch")
    text = "\n".join(sources.values())
    assert "team_scratch(0)" in text and "team_barrier()" in text and "set_scratch_size(0" in text
    compile_only(sources, get_target(target), install)


@pytest.mark.slow
def test_forced_rewrite_runs_on_the_cpu_jit_like_numpy(source):
    from hpcir.api import build_library, emit_cpp
    module = staged(lower(source, "serial"), "target=serial force=true tile=4,3,2")
    assert isinstance(launch_policy(module, "jacobi"), kk.TeamPolicyAttr)
    lib = build_library(emit_cpp(module, "serial", "stencils_forced"), "serial", "stencils_forced")
    rng = np.random.default_rng(7)
    for lo, hi in [((1, 1, 1), (9, 9, 9)), ((2, 1, 3), (8, 9, 9))]:
        u, v = rng.standard_normal((10, 10, 10)), rng.standard_normal((10, 10, 10))
        expect = ref_jacobi(u, v, lo, hi)
        lib["jacobi"](*lo, *hi, u, v)
        np.testing.assert_allclose(v, expect, rtol=1e-12, atol=1e-12)
    u, c, o = (rng.standard_normal((10, 10)) for _ in range(3))
    expect = ref_lap2(u, c, o, (1, 2), (9, 9))
    lib["lap2"](1, 2, 9, 9, u, c, o)
    np.testing.assert_allclose(o, expect, rtol=1e-12, atol=1e-12)
