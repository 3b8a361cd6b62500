"""The IR of every test stencil: stencil level (shape inference), L2 and L3 verify with xDSL and upstream
MLIR, the L2 contract of docs/IR.md, and the cuda / hip C++ compiles (slow)."""
from __future__ import annotations

import pytest
from xdsl.dialects import func, memref, scf, stencil

import hpcir
from hpcir.api import emit_cpp
from hpcir.backends.build import compile_only
from hpcir.dialects import kokkos as kk
from hpcir.core.errors import KokkosNotFoundError
from hpcir.frontends.stencil.parse import SYMBOLIC_EXTENT
from hpcir.backends.toolchain.kokkos_install import find_kokkos
from hpcir.dialects.upstream import verify_upstream
from hpcir.stencil_api import lower_stencil
from hpcir.core.targets import get_target

from stencil_cases import CASES, hdiff, hdiff_inlined, jacobi7

STENCILS = [c.stencil for c in CASES]


def _entry(module) -> func.FuncOp:
    fns = [o for o in module.ops if isinstance(o, func.FuncOp)]
    assert len(fns) == 1
    return fns[0]


@pytest.mark.parametrize("st", STENCILS, ids=lambda s: s.name)
@pytest.mark.parametrize("target", ["cpu", "cuda"])
def test_l2_l3_verify_upstream(st, target: str) -> None:
    l2 = st.l2(target)
    l2.verify()
    verify_upstream(l2)
    l3 = st.l3(target)
    l3.verify()
    verify_upstream(l3)


@pytest.mark.parametrize("st", STENCILS, ids=lambda s: s.name)
def test_l2_entry_contract(st) -> None:
    """i64 domain bounds first, then the parameters; memrefs in #kokkos.space<host>; no sentinel left."""
    f = _entry(st.l2("cpu"))
    r = st.rank
    assert isinstance(f.attributes["kokkos.entry"], kk.EntryAttr)
    names = [a.data for a in f.attributes["kokkos.arg_names"].data]
    assert names == [f"b{d}" for d in range(r)] + [f"e{d}" for d in range(r)] + [p.name for p in st.sd.params]
    types = list(f.function_type.inputs.data)
    assert all(str(t) == "i64" for t in types[:2 * r])
    for p, t in zip(st.sd.params, types[2 * r:]):
        if p.spec is not None:
            assert str(t) == f"memref<{'?x' * r}{p.spec.dtype.mlir()}, #kokkos.space<host>>"
    text = str(f)
    assert str(SYMBOLIC_EXTENT) not in text and "memref.subview" not in text and "memref.cast" not in text
    assert all(len(p.lowerBound) == r for p in f.walk() if isinstance(p, scf.ParallelOp))


def test_one_launch_per_apply_and_inlining() -> None:
    """hdiff: four applies -> four loops at L2; kokkos-fuse (default pipeline) or xDSL's
    stencil-inlining makes it one launch at L3, without temporaries."""
    def launches(st):
        return [o for o in st.l3("cpu").walk() if isinstance(o, kk.ParallelForOp)]
    assert len([o for o in hdiff.l2().walk() if o.name == "scf.parallel"]) == 4
    assert len(launches(hdiff)) == 1
    assert not [o for o in hdiff.l3("cpu").walk() if o.name in ("memref.alloc", "kokkos.alloc")]
    assert len(launches(hdiff_inlined)) == 1
    assert not [o for o in hdiff_inlined.l2().walk() if isinstance(o, memref.AllocOp)]
    allocs = [o for o in hdiff.l2().walk() if isinstance(o, memref.AllocOp)]
    assert sorted(a.memref.name_hint for a in allocs) == ["flx", "fly", "lap"]


def test_shape_inference_extents() -> None:
    """xDSL's shape inference gives u the halo 2 of hdiff and the temporaries their own halos."""
    assert hdiff.extents["u"].lo == (-2, -2) and hdiff.extents["u"].hi == (2, 2)
    assert hdiff.extents["coeff"].lo == (0, 0) and hdiff.extents["out"].hi == (0, 0)
    assert jacobi7.extents["u"].lo == (-1, -1, -1)
    applies = {o.res[0].name_hint: o.res[0].type.bounds for o in hdiff.stencil_ir().walk()
               if isinstance(o, stencil.ApplyOp)}
    assert list(applies["lap"].lb) == [-1, -1]
    assert list(applies["flx"].lb) == [-1, 0] and list(applies["flx"].ub) == [SYMBOLIC_EXTENT, SYMBOLIC_EXTENT]


def test_lower_stages_text() -> None:
    assert "stencil.apply" in hpcir.lower(hdiff, target="cpu", stage="stencil")
    assert "scf.parallel" in hpcir.lower(hdiff, target="cpu", stage="L2")
    assert "kokkos.parallel_for" in hpcir.lower(hdiff, target="cpu", stage="L3")
    cpp = hpcir.lower(hdiff, target="cuda")
    # MDRange, or a team policy when kokkos-team-scratch stages the tile in scratch memory
    assert ("Kokkos::MDRangePolicy" in cpp or "Kokkos::TeamPolicy" in cpp) and "Kokkos::Cuda" in cpp
    for kind, lib in (("jax", "jax.jit"), ("torch", "import torch")):
        src = lower_stencil(hdiff, kind, None)
        assert lib in src and "for " not in src  # array code: shifted slices, no per-point loops
        compile(src, "<gen>", "exec")


@pytest.mark.slow
@pytest.mark.parametrize("target", ["cuda", "hip"])
def test_gpu_outputs_compile(target: str) -> None:
    try:
        install = find_kokkos(target)
    except KokkosNotFoundError as err:
        pytest.skip(f"no Kokkos {target} install: {err.message.splitlines()[0]}")
    from xdsl.dialects.builtin import ModuleOp
    from hpcir.api import lower_to_l3
    module = ModuleOp([])
    for st in STENCILS:
        for f in list(st.l2(target).ops):
            f.detach()
            module.body.block.add_op(f)
    module = lower_to_l3(module, target)
    sources = emit_cpp(module, target, f"stencils_{target}")
    text = "".join(sources.values())
    assert ("Kokkos::Cuda" if target == "cuda" else "Kokkos::Experimental::HIP") in text or "HIP" in text
    compile_only(sources, get_target(target), install)


@pytest.mark.parametrize("target", ["cuda", "hip"])
def test_tiled_gpu_functors_keep_readable_names(target: str) -> None:
    """After kokkos-team-scratch the functor still reads i, j (tile origin + local point), not v_N."""
    cpp = lower_stencil(jacobi7, target, None)
    functor = cpp.split("struct jacobi7_functor", 1)[1].split("\n};", 1)[0]
    assert "team.league_rank()" in functor  # it was tiled
    for name in ("i_origin", "i_local", "const int64_t i = i_origin + i_local;", "i_halo", "i_src", "in_domain"):
        assert name in functor, name
    assert "i_tiles" in functor and not any(f"int64_t v_{k};" in functor for k in range(20))
