"""convert-scf-to-kokkos preserves meaning: random L2 kernels vs their L3, both run by the reference interpreter.

The L3 side splits reductions into random per-thread chunks and joins them (Kokkos semantics), and
shuffles parallel_for iterations, so a wrong identity, a dropped init, a wrong join or an
index-normalisation bug shows up as a different result.
"""
from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st
from irtools import parse_mlir
from xdsl.dialects.builtin import f64

from hpcir.dialects.kokkos_interpreter import array, make_interpreter
from hpcir.dialects.upstream import verify_upstream
from hpcir.pipeline import run_pipeline

# (reducer name, element type, combiner ops text with %a %b -> %c, identity literal, built-in?)
COMBINERS = {
    "f64": [("addf", "%c = arith.addf %a, %b : f64", "0.0"), ("mulf", "%c = arith.mulf %a, %b : f64", "1.0"),
            ("maximumf", "%c = arith.maximumf %a, %b : f64", "0xFFF0000000000000"),
            ("minimumf", "%c = arith.minimumf %a, %b : f64", "0x7FF0000000000000"),
            ("maxnumf", "%c = arith.maxnumf %a, %b : f64", "0xFFF0000000000000"),
            ("sum2 (custom)", "%t = arith.addf %a, %b : f64\n %zc = arith.constant 0.0 : f64\n"
             " %c = arith.addf %t, %zc : f64", "0.0")],
    "i32": [("addi", "%c = arith.addi %a, %b : i32", "0"), ("muli", "%c = arith.muli %a, %b : i32", "1"),
            ("maxsi", "%c = arith.maxsi %a, %b : i32", "-2147483648"),
            ("minsi", "%c = arith.minsi %a, %b : i32", "2147483647"),
            ("andi", "%c = arith.andi %a, %b : i32", "-1"), ("ori", "%c = arith.ori %a, %b : i32", "0"),
            ("xori (custom)", "%c = arith.xori %a, %b : i32", "0")],
    "i64": [("addi", "%c = arith.addi %a, %b : i64", "0"), ("minsi", "%c = arith.minsi %a, %b : i64",
                                                            "9223372036854775807")],
    "i1": [("andi", "%c = arith.andi %a, %b : i1", "true"), ("ori", "%c = arith.ori %a, %b : i1", "false"),
           ("maxsi", "%c = arith.maxsi %a, %b : i1", "true"), ("minsi", "%c = arith.minsi %a, %b : i1", "false")],
}


def _const(ty: str, literal: str) -> str:
    return f"arith.constant {literal}" if ty == "i1" else f"arith.constant {literal} : {ty}"


def _contribution(ty: str, k: int) -> str:
    """Body ops computing contribution %x{k} of type ty from the loaded f64 %v."""
    if ty == "f64":
        return f"%x{k} = arith.mulf %v, %v : f64" if k % 2 else f"%x{k} = arith.addf %v, %v : f64"
    if ty == "i1":
        return f"%half{k} = arith.constant 0.5 : f64\n %x{k} = arith.cmpf ogt, %v, %half{k} : f64"
    return f"%x{k} = arith.fptosi %v : f64 to {ty}"


@st.composite
def kernels(draw):
    rank = draw(st.integers(1, 3))
    lbs = draw(st.lists(st.integers(0, 2), min_size=rank, max_size=rank))
    extents = draw(st.lists(st.integers(0, 4), min_size=rank, max_size=rank))
    steps = draw(st.lists(st.sampled_from([1, 1, 2, 3]), min_size=rank, max_size=rank))
    ubs = [lb + e for lb, e in zip(lbs, extents)]
    shape = [ub + 1 for ub in ubs]
    nred = draw(st.integers(0, 2))
    reds = []
    for _ in range(nred):
        ty = draw(st.sampled_from(sorted(COMBINERS)))
        name, ops, ident = draw(st.sampled_from(COMBINERS[ty]))
        custom = "custom" in name
        if custom or ty == "i1" or draw(st.booleans()):
            init = ident
        else:
            init = {"f64": "0.75", "i32": "3", "i64": "-7"}[ty]
        reds.append((ty, ops, init))
    inner = draw(st.booleans())
    return rank, lbs, ubs, steps, shape, reds, inner


def _l2_text(rank, lbs, ubs, steps, shape, reds, inner) -> str:
    mt = f"memref<{'x'.join(map(str, shape))}xf64, #kokkos.space<host>>"
    ivs = [f"%i{d}" for d in range(rank)]
    lines = [f"func.func @k(%A: {mt}, %O: {mt}) -> ({', '.join(t for t, _, _ in reds)}) "
             "attributes {kokkos.entry = #kokkos.entry<reduce>} {"]
    for d in range(rank):
        lines += [f"%lb{d} = arith.constant {lbs[d]} : index", f"%ub{d} = arith.constant {ubs[d]} : index",
                  f"%st{d} = arith.constant {steps[d]} : index"]
    for k, (ty, _, init) in enumerate(reds):
        lines.append(f"%init{k} = {_const(ty, init)}")
    res = f"%r:{len(reds)} = " if len(reds) > 1 else ("%r = " if reds else "")
    init_part = (f" init ({', '.join(f'%init{k}' for k in range(len(reds)))}) -> "
                 f"({', '.join(t for t, _, _ in reds)})") if reds else ""
    lines.append(f"{res}scf.parallel ({', '.join(ivs)}) = ({', '.join(f'%lb{d}' for d in range(rank))}) to "
                 f"({', '.join(f'%ub{d}' for d in range(rank))}) step ({', '.join(f'%st{d}' for d in range(rank))})"
                 f"{init_part} {{")
    lines.append(f"%v0 = memref.load %A[{', '.join(ivs)}] : {mt}")
    if inner:  # an inner parallel reduction: v = v0 + sum_j v0 * j over j in [0, 3)
        lines += ["%c0 = arith.constant 0 : index", "%c1 = arith.constant 1 : index",
                  "%c3 = arith.constant 3 : index", "%z = arith.constant 0.0 : f64",
                  "%s = scf.parallel (%j) = (%c0) to (%c3) step (%c1) init (%z) -> f64 {",
                  "%ji = arith.index_cast %j : index to i64", "%jf = arith.sitofp %ji : i64 to f64",
                  "%p = arith.mulf %v0, %jf : f64",
                  "scf.reduce(%p : f64) {", "^bb0(%a: f64, %b: f64):", "%c = arith.addf %a, %b : f64",
                  "scf.reduce.return %c : f64", "}", "}", "%v = arith.addf %v0, %s : f64"]
    else:
        lines.append("%v = arith.addf %v0, %v0 : f64")
    lines.append(f"memref.store %v, %O[{', '.join(ivs)}] : {mt}")
    for k, (ty, _, _) in enumerate(reds):
        lines.append(_contribution(ty, k))
    if reds:
        regions = [f"{{\n^bb0(%a: {ty}, %b: {ty}):\n {ops}\n scf.reduce.return %c : {ty}\n}}" for ty, ops, _ in reds]
        lines.append(f"scf.reduce({', '.join(f'%x{k}' for k in range(len(reds)))} : "
                     f"{', '.join(t for t, _, _ in reds)}) {', '.join(regions)}")
    else:
        lines.append("scf.reduce")
    lines.append("}")
    rets = [f"%r#{k}" for k in range(len(reds))] if len(reds) > 1 else (["%r"] if reds else [])
    lines.append(f"return {', '.join(rets)} : {', '.join(t for t, _, _ in reds)}" if reds else "return")
    lines.append("}")
    return "\n".join(lines)


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) or (math.isinf(a) and a == b)
    return bool(a) == bool(b) if isinstance(a, bool) or isinstance(b, bool) else a == b


@settings(max_examples=80, deadline=None)
@given(kernel=kernels(), target=st.sampled_from(["cpu", "cuda"]), seed=st.integers(0, 2**16))
def test_l3_computes_what_l2_computes(kernel, target, seed):
    rank, lbs, ubs, steps, shape, reds, inner = kernel
    text = _l2_text(*kernel)
    l2 = parse_mlir(text)
    l3 = l2.clone()
    run_pipeline(l3, f"kokkos-set-target{{target={target}}},kokkos-memory-spaces,convert-scf-to-kokkos")
    assert "scf.parallel" not in str(l3).replace("kokkos", "")
    verify_upstream(l3)
    rng = random.Random(seed)
    size = math.prod(shape)
    data = [rng.choice([rng.uniform(0.5, 1.5), rng.uniform(-20, 20)]) for _ in range(size)]
    outs = []
    for module, s in ((l2, None), (l3, seed)):
        out = array([0.0] * size, shape, f64)
        res = make_interpreter(module, seed=s).call_op("k", (array(data, shape, f64), out))
        outs.append((res, out.data))
    (r2, o2), (r3, o3) = outs
    assert len(r2) == len(r3) == len(reds)
    for a, b in zip(r2, r3):
        assert _same(a, b), (a, b, text)
    assert all(_same(x, y) for x, y in zip(o2, o3)), text
