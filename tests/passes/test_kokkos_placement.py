"""kokkos-placement: view memory spaces and the fewest deep_copy/fence ops in @hpcir.program host code.

Programs are written in Python, lowered like `hpcir lower` does, placed, then checked three ways:
the printed IR (copy counts and positions), the reference interpreter (whose host mirrors are
separate zero-filled arrays, so a missing copy changes what the program prints) against the
unplaced program, and upstream MLIR verification. IR-in/IR-out tests: tests/passes/kokkos-placement/.
"""
from __future__ import annotations

import math
import random
import textwrap
from pathlib import Path
from typing import Any

import pytest
from ircheck import check
from xdsl.dialects import func, memref, scf
from xdsl.dialects.builtin import ModuleOp
from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls
from xdsl.interpreters.builtin import xtype_for_el_type
from xdsl.interpreters.shaped_array import ShapedArray
from xdsl.interpreters.utils.ptr import TypedPtr

from hpcir.dialects import kokkos as kk
from hpcir.dialects.kokkos_interpreter import KokkosFunctions, make_interpreter
from hpcir.dialects.upstream import verify_upstream
from hpcir.pipeline import available_passes, run_pipeline

KERNELS = '''
import hpcir

@hpcir.kernel
def inc(i: int, x: hpcir.View1D[float]):
    x[i] = x[i] + 1.0

@hpcir.kernel
def scale(i: int, a: float, x: hpcir.View1D[float]):
    x[i] = a * x[i]

@hpcir.kernel
def twice(i: int, x: hpcir.View1D[float], y: hpcir.View1D[float]):
    y[i] = 2.0 * x[i] + y[i]

@hpcir.kernel
def total(i: int, acc: hpcir.Acc[float], x: hpcir.View1D[float]):
    acc += x[i]
'''

# Host init -> launches inside a host loop -> host reduction and print.
PIPELINE = '''
@hpcir.program
def main():
    n = 8
    x = hpcir.View((n,), float)
    y = hpcir.View((n,), float)
    for i in range(n):
        x[i] = 1.0 * i
        y[i] = 0.5
    for t in range(3):
        hpcir.parallel_for(n, scale, a=1.5, x=x)
        hpcir.parallel_for(n, twice, x=x, y=y)
    s = 0.0
    for i in range(n):
        s += y[i]
    d = hpcir.parallel_reduce(n, total, x=y)
    print("s =", s, d, x[3])
'''


def lower(tmp_path: Path, body: str, target: str) -> ModuleOp:
    """The L3 module of KERNELS + body, as `hpcir lower --target` builds it (before placement)."""
    from hpcir.api import l2_to_l3_pipeline
    from hpcir.commands.lower import lower_file
    path = tmp_path / f"prog_{abs(hash(body)) % 10**8}.py"
    path.write_text(KERNELS + textwrap.dedent(body))
    l2, l3, _ = lower_file(path, target)
    assert l3 is not None and not host_accesses_device_memory(l3)  # the default pipeline places
    passes = l2_to_l3_pipeline(target).split(",")
    names = [p.split("{")[0] for p in passes]
    before = passes[:names.index("kokkos-placement")] if "kokkos-placement" in names else passes
    return run_pipeline(l2.clone(), ",".join(before), target=target)


def place(module: ModuleOp, target: str) -> ModuleOp:
    placed = module.clone()
    run_pipeline(placed, f"kokkos-set-target{{target={target}}},kokkos-placement")
    return placed


@register_impls
class _AllocaFunctions(InterpreterFunctions):
    """memref.alloca (the program frontend's rank-0 locals), missing from the reference interpreter."""

    @impl(memref.AllocaOp)
    def run_alloca(self, interpreter: Interpreter, op: memref.AllocaOp, args: tuple) -> tuple:
        ty = op.memref.type
        shape = [d if d >= 0 else n for d, n in zip(ty.get_shape(), list(args) + [0] * 8)]
        xtype = xtype_for_el_type(ty.element_type, interpreter.index_bitwidth)
        return (ShapedArray(TypedPtr.zeros(math.prod(shape), xtype=xtype), shape),)


def printed(module: ModuleOp) -> list[str]:
    """What the host program `main` prints when the reference interpreter runs it."""
    funcs = KokkosFunctions(seed=0)
    interp = make_interpreter(module, kokkos_functions=funcs)
    interp.register_implementations(_AllocaFunctions())
    interp.call_op("main", ())
    return funcs.printed


def host_program(module: ModuleOp) -> func.FuncOp:
    return next(f for f in module.body.block.ops if isinstance(f, func.FuncOp) and "kokkos.host_program" in f.attributes)


def first_in_program(module: ModuleOp, cls: type) -> Any:
    """The first op of type `cls` in the host program (the loop a test looks into)."""
    return next(o for o in host_program(module).walk() if isinstance(o, cls))


def copies(op) -> list[kk.DeepCopyOp]:
    return [o for o in op.walk() if isinstance(o, kk.DeepCopyOp)]


def host_accesses_device_memory(module: ModuleOp) -> list[str]:
    """Host element accesses of device-space views (what the pass must eliminate on GPU targets)."""
    bad = []
    for o in host_program(module).walk():
        if isinstance(o, memref.LoadOp | memref.StoreOp) and kk.memory_space_of(o.memref.type) == kk.MemorySpace.DEVICE:
            bad.append(str(o))
    return bad


def test_pass_is_registered():
    assert "kokkos-placement" in available_passes()


def test_gpu_pipeline_copies_once_each_way_and_nothing_inside_the_launch_loop(tmp_path):
    before = lower(tmp_path, PIPELINE, "cuda")
    assert host_accesses_device_memory(before)  # what the frontend produces on its own
    after = place(before, "cuda")
    out = str(host_program(after))
    H, D = "memref<?xf64, #kokkos.space<host>>", "memref<?xf64, #kokkos.space<device>>"
    check(out, f"""
    // CHECK:      %[[X:\\w+]] = kokkos.alloc "x"({{{{.*}}}}) : {D}
    // CHECK-NEXT: %[[XH:\\w+]] = kokkos.create_mirror_view %[[X]] : {D} -> {H}
    // CHECK:      %[[Y:\\w+]] = kokkos.alloc "y"({{{{.*}}}}) : {D}
    // CHECK-NEXT: %[[YH:\\w+]] = kokkos.create_mirror_view %[[Y]] : {D} -> {H}
    // CHECK:      memref.store {{{{.*}}}}, %[[XH]][{{{{.*}}}}] : {H}
    // CHECK:      memref.store {{{{.*}}}}, %[[YH]][{{{{.*}}}}] : {H}
    // CHECK:      kokkos.deep_copy %[[X]], %[[XH]]
    // CHECK-NEXT: kokkos.deep_copy %[[Y]], %[[YH]]
    // CHECK-NEXT: scf.for
    // CHECK-NOT:  kokkos.deep_copy
    // CHECK:      func.call @scale({{{{.*}}}}, %[[X]])
    // CHECK-NOT:  kokkos.deep_copy
    // CHECK:      func.call @twice({{{{.*}}}}, %[[X]], %[[Y]])
    // CHECK:      kokkos.deep_copy %[[YH]], %[[Y]]
    // CHECK-NEXT: scf.for
    // CHECK:      memref.load %[[YH]]
    // CHECK-NOT:  kokkos.deep_copy
    // CHECK:      func.call @total({{{{.*}}}}, %[[Y]])
    // CHECK:      kokkos.deep_copy %[[XH]], %[[X]]
    // CHECK-NEXT: memref.load %[[XH]]
    // CHECK:      kokkos.print
    """)
    assert len(copies(after)) == 4
    assert not host_accesses_device_memory(after)
    assert not [o for o in host_program(after).walk() if isinstance(o, kk.FenceOp)]
    assert printed(after) == printed(before)
    verify_upstream(after)


@pytest.mark.parametrize("target", ["cpu", "serial"])
def test_cpu_targets_copy_nothing_and_fence_before_host_reads(tmp_path, target):
    before = lower(tmp_path, PIPELINE, target)
    after = place(before, target)
    assert not copies(after)
    assert not [o for o in after.walk() if isinstance(o, kk.CreateMirrorViewOp)]
    prog = host_program(after)
    fences = [o for o in prog.walk() if isinstance(o, kk.FenceOp)]
    # One fence after the launch loop (before the host reads y); the reduction into a scalar already
    # synchronises, so x[3] needs none.
    assert len(fences) == 1 and isinstance(fences[0].next_op, scf.ForOp)
    assert printed(after) == printed(before)
    verify_upstream(after)


def test_host_only_and_device_only_views(tmp_path):
    before = lower(tmp_path, '''
    @hpcir.program
    def main():
        n = 4
        h = hpcir.View((n,), float)
        d = hpcir.View((n,), float)
        for i in range(n):
            h[i] = 2.0 * i
        hpcir.parallel_for(n, inc, x=d)
        s = hpcir.parallel_reduce(n, total, x=d)
        print(h[1] + h[3], s)
    ''', "cuda")
    after = place(before, "cuda")
    out = str(host_program(after))
    space = {a.label.data: kk.memory_space_of(a.result.type) for a in after.walk() if isinstance(a, kk.AllocOp)}
    assert space == {"h": kk.MemorySpace.HOST, "d": kk.MemorySpace.DEVICE}
    assert not copies(after) and "create_mirror_view" not in out
    assert printed(after) == printed(before) == ["8.0 4.0"]
    verify_upstream(after)


def test_loop_alternating_device_and_host_copies_once_per_iteration(tmp_path):
    before = lower(tmp_path, '''
    @hpcir.program
    def main():
        n = 4
        x = hpcir.View((n,), float)
        for t in range(3):
            hpcir.parallel_for(n, inc, x=x)
            print(x[0])
    ''', "cuda")
    after = place(before, "cuda")
    loop = first_in_program(after, scf.ForOp)
    assert len(copies(after)) == len(copies(loop)) == 1  # D->H before the print; H stays read-only
    assert printed(after) == printed(before) == ["1.0", "2.0", "3.0"]
    verify_upstream(after)


def test_host_write_inside_launch_loop_copies_both_ways_per_iteration(tmp_path):
    before = lower(tmp_path, '''
    @hpcir.program
    def main():
        n = 4
        x = hpcir.View((n,), float)
        for t in range(3):
            x[1] = x[1] + 10.0
            hpcir.parallel_for(n, inc, x=x)
        print(x[0], x[1])
    ''', "cuda")
    after = place(before, "cuda")
    loop = first_in_program(after, scf.ForOp)
    assert len(copies(loop)) == 2 and len(copies(after)) == 3
    assert printed(after) == printed(before) == ["3.0 33.0"]


def test_loop_whose_body_ends_on_the_host_refreshes_the_device_copy_on_the_back_edge(tmp_path):
    before = lower(tmp_path, '''
    @hpcir.program
    def main():
        n = 4
        x = hpcir.View((n,), float)
        hpcir.parallel_for(n, inc, x=x)
        for t in range(3):
            hpcir.parallel_for(n, inc, x=x)
            x[1] = x[1] + 10.0
        print(x[0], x[1])
    ''', "cuda")
    after = place(before, "cuda")
    loop = first_in_program(after, scf.ForOp)
    body = list(loop.body.block.ops)
    # D->H before the host write, H->D at the end of the body (the loop header expects D current).
    assert len(copies(loop)) == 2 and isinstance(body[-2], kk.DeepCopyOp)
    assert kk.memory_space_of(body[-2].dst.type) == kk.MemorySpace.DEVICE
    assert kk.memory_space_of(body[-2].src.type) == kk.MemorySpace.HOST
    assert printed(after) == printed(before) == ["4.0 34.0"]
    verify_upstream(after)


def test_while_loop_keeps_data_resident(tmp_path):
    before = lower(tmp_path, '''
    @hpcir.program
    def main():
        n = 4
        x = hpcir.View((n,), float)
        x[2] = 7.0
        t = 0
        while t < 3:
            hpcir.parallel_for(n, inc, x=x)
            t += 1
        print(x[0], x[2])
    ''', "cuda")
    after = place(before, "cuda")
    loop = first_in_program(after, scf.WhileOp)
    assert not copies(loop) and len(copies(after)) == 2
    assert printed(after) == printed(before) == ["3.0 10.0"]
    verify_upstream(after)


def test_branches_merge_with_one_copy_in_the_branch_that_lacks_it(tmp_path):
    before = lower(tmp_path, '''
    @hpcir.program
    def main():
        n = 4
        x = hpcir.View((n,), float)
        for t in range(4):
            if t % 2 == 0:
                hpcir.parallel_for(n, inc, x=x)
            else:
                x[2] = x[2] + 5.0
        print(x[0], x[2])
    ''', "cuda")
    after = place(before, "cuda")
    assert printed(after) == printed(before) == ["2.0 12.0"]
    assert not host_accesses_device_memory(after)
    verify_upstream(after)


# -- random programs: the interpreter must print the same before and after placement ---------------

def _random_program(rng: random.Random) -> str:
    views = ["x", "y", "z"]
    lines = ["@hpcir.program", "def main():", "    n = 5"]
    lines += [f"    {v} = hpcir.View((n,), float)" for v in views]

    def stmt(depth: int, indent: str, out: list[str], loopvar: str = "0") -> None:
        kind = rng.choice(["hwrite", "hread", "inc", "scale", "twice", "reduce", "loop", "if"]
                          if depth < 2 else ["hwrite", "hread", "inc", "twice", "reduce"])
        a, b = rng.sample(views, 2)
        k = rng.randrange(5)
        if kind == "hwrite":
            out.append(f"{indent}{a}[{k}] = {a}[{k}] + {rng.randint(1, 9)}.0")
        elif kind == "hread":
            out.append(f"{indent}print({a}[{k}])")
        elif kind == "inc":
            out.append(f"{indent}hpcir.parallel_for(n, inc, x={a})")
        elif kind == "scale":
            out.append(f"{indent}hpcir.parallel_for(n, scale, a=0.5, x={a})")
        elif kind == "twice":
            out.append(f"{indent}hpcir.parallel_for(n, twice, x={a}, y={b})")
        elif kind == "reduce":
            out.append(f"{indent}print(hpcir.parallel_reduce(n, total, x={a}))")
        else:
            # Fresh loop variable names: the program frontend allocates a local where it is first
            # assigned, so a name reused by a loop outside that scope would not dominate its uses.
            var = f"t{len(out)}"
            out.append(f"{indent}for {var} in range({rng.randint(1, 3)}):" if kind == "loop"
                       else f"{indent}if ({rng.randint(0, 1)} + {loopvar}) % 2 == 1:")
            inner = var if kind == "loop" else loopvar
            for _ in range(rng.randint(1, 3)):
                stmt(depth + 1, indent + "    ", out, inner)
            if kind == "if" and rng.random() < 0.5:
                out.append(f"{indent}else:")
                for _ in range(rng.randint(1, 2)):
                    stmt(depth + 1, indent + "    ", out, loopvar)

    body: list[str] = []
    for _ in range(rng.randint(3, 7)):
        stmt(0, "    ", body)
    body += [f"    print({v}[0], {v}[4])" for v in views]
    return "\n".join(lines + body)


@pytest.mark.parametrize("seed,target", [(s, "cuda") for s in range(30)] + [(s, "cpu") for s in range(5)])
def test_random_programs_print_the_same_after_placement(tmp_path, seed, target):
    rng = random.Random(seed)
    text = _random_program(rng)
    before = lower(tmp_path, text, target)
    after = place(before, target)
    assert printed(after) == printed(before), text
    assert not host_accesses_device_memory(after), text
    verify_upstream(after)


@pytest.mark.slow
def test_placed_program_compiles_for_cuda(tmp_path):
    from hpcir.api import emit_cpp
    from hpcir.backends.build import compile_only
    from hpcir.backends.toolchain.kokkos_install import KokkosNotFoundError, find_kokkos
    from hpcir.core.targets import get_target
    try:
        install = find_kokkos("cuda")
    except KokkosNotFoundError:
        pytest.skip("no Kokkos CUDA install")
    after = place(lower(tmp_path, PIPELINE, "cuda"), "cuda")
    sources = emit_cpp(after, "cuda", "placed")
    main_cpp = "\n".join(t for n, t in sources.items() if n.endswith(".cpp"))
    assert "Kokkos::create_mirror_view(" in main_cpp and main_cpp.count("Kokkos::deep_copy(") >= 4
    compile_only(sources, get_target("cuda"), install)
