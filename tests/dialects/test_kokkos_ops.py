"""Round-trip (custom and generic syntax) and verifier tests of every kokkos op."""
from __future__ import annotations

import io

import pytest
from kokkos_samples import every_op_module
from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from hpcir.dialects import context
from hpcir.dialects import kokkos as kk


def _generic(op) -> str:
    out = io.StringIO()
    Printer(stream=out, print_generic_format=True).print_op(op)
    return out.getvalue()


def _parse(text: str) -> ModuleOp:
    return Parser(context(), text).parse_module()


def test_every_op_is_in_the_sample():
    names = {op.name for op in every_op_module().walk()}
    missing = {cls.name for cls in kk.Kokkos.operations} - names
    assert not missing


def test_custom_syntax_round_trips():
    module = every_op_module()
    text = str(module)
    again = _parse(text)
    again.verify()
    assert str(again) == text
    assert again.is_structurally_equivalent(module)


def test_generic_syntax_round_trips():
    module = every_op_module()
    again = _parse(_generic(module))
    again.verify()
    assert _generic(again) == _generic(module)
    assert str(again) == str(module)


@pytest.mark.parametrize("cls", list(kk.Kokkos.operations), ids=lambda c: c.name)
def test_each_op_round_trips_alone(cls):
    """Every op of the sample, printed custom and generic inside its parent, parses to the same op."""
    module = every_op_module()
    ops = [op for op in module.walk() if isinstance(op, cls)]
    assert ops
    for text in (str(module), _generic(module)):
        again = [op for op in _parse(text).walk() if isinstance(op, cls)]
        assert [str(o) for o in again] == [str(o) for o in ops]


def test_custom_syntax_is_readable():
    text = str(every_op_module())
    for snippet in ('kokkos.parallel_for "axpy" #kokkos.range on <openmp>',
                    "#kokkos.mdrange<2, iterate = left, tile = [8, 8]>",
                    "init(%", "[#kokkos.reducer<sum>]", "} join {", "#kokkos.team<scratch_bytes = 64>",
                    "kokkos.scratch_alloc", "level 1 : memref<?xf64, #kokkos.space<scratch>>",
                    'kokkos.alloc "A"', "memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>",
                    "kokkos.print \"dot = {} scan = {:.3f}\"", "kokkos.entry = #kokkos.entry<reduce>",
                    "!kokkos.team_member"):
        assert snippet in text, snippet


def test_accessors():
    module = every_op_module()
    reduce_ops = [op for op in module.walk() if isinstance(op, kk.ParallelReduceOp)]
    dot = reduce_ops[0]
    assert dot.kernel_name.data == "dot" and len(dot.indices) == 1 and len(dot.accumulators) == 1
    assert dot.lower_bounds == (dot.bounds[0],) and dot.upper_bounds == (dot.bounds[1],)
    cust = reduce_ops[1]
    assert len(cust.indices) == 2 and len(cust.lower_bounds) == 2 and cust.policy.tile_sizes == (8, 8)
    team = next(op for op in module.walk() if isinstance(op, kk.ParallelForOp) and op.kernel_name.data == "team")
    assert team.indices == () and team.member is not None and isinstance(team.member.type, kk.TeamMemberType)
    scan = next(op for op in module.walk() if isinstance(op, kk.ParallelScanOp))
    assert scan.final.type.width.data == 1


# --- verifier failures: each IR snippet is one real mistake, with the message it must produce ---

_FN = """builtin.module {{
  func.func @f(%lo: index, %hi: index, %x: f64, %i: i64, %b: i1, %v: memref<?xf64, #kokkos.space<host>>,
               %w: memref<?x?xf32, #kokkos.space<device>>) {{
{body}
    func.return
  }}
}}"""

BAD = {
    "range wants 2 bounds": (
        '"kokkos.parallel_for"(%lo) <{policy = #kokkos.range, exec_space = #kokkos.exec<default>, name = "k"}> '
        '({ ^bb0(%j: index): "kokkos.yield"() : () -> () }) : (index) -> ()',
        "takes 2 bound operands, got 1"),
    "mdrange block args": (
        'kokkos.parallel_for "k" #kokkos.mdrange<2, iterate = right> on <default>(%lo, %lo, %hi, %hi) {\n'
        '^bb0(%j: index):\n kokkos.yield\n}',
        "block arguments are (index) but the policy and results require (index, index)"),
    "mdrange rank": (
        'kokkos.parallel_for "k" #kokkos.mdrange<7, iterate = right> on <default>(%lo, %hi) {\n'
        '^bb0(%j: index):\n kokkos.yield\n}', "rank must be in [2, 6]"),
    "mdrange tile length": (
        'kokkos.parallel_for "k" #kokkos.mdrange<2, iterate = right, tile = [4]> on <default>'
        '(%lo, %lo, %hi, %hi) {\n^bb0(%j: index, %k: index):\n kokkos.yield\n}', "tile has 1 sizes but rank is 2"),
    "team body arg": (
        'kokkos.parallel_for "k" #kokkos.team<scratch_bytes = 0> on <default>(%lo, %lo, %lo) {\n'
        '^bb0(%j: index):\n kokkos.yield\n}', "require (!kokkos.team_member)"),
    "bad name": (
        'kokkos.parallel_for "my kernel" #kokkos.range on <default>(%lo, %hi) {\n^bb0(%j: index):\n kokkos.yield\n}',
        "is not a C++ identifier"),
    "for yields values": (
        'kokkos.parallel_for "k" #kokkos.range on <default>(%lo, %hi) {\n^bb0(%j: index):\n kokkos.yield %x : f64\n}',
        "yields (f64) but () is expected"),
    "reduce yield type": (
        '%r = kokkos.parallel_reduce "k" #kokkos.range on <default>(%lo, %hi) init(%x : f64) '
        '[#kokkos.reducer<sum>] {\n^bb0(%j: index, %a: f64):\n kokkos.yield %i : i64\n} -> f64',
        "yields (i64) but (f64) is expected"),
    "reducer count": (
        '%r = kokkos.parallel_reduce "k" #kokkos.range on <default>(%lo, %hi) init(%x : f64) '
        '[#kokkos.reducer<sum>, #kokkos.reducer<max>] {\n^bb0(%j: index, %a: f64):\n kokkos.yield %a : f64\n} -> f64',
        "has 1 results but 2 reducers"),
    "land on f64": (
        '%r = kokkos.parallel_reduce "k" #kokkos.range on <default>(%lo, %hi) init(%x : f64) '
        '[#kokkos.reducer<land>] {\n^bb0(%j: index, %a: f64):\n kokkos.yield %a : f64\n} -> f64',
        "reducer land needs i1 values, got f64"),
    "bor on f64": (
        '%r = kokkos.parallel_reduce "k" #kokkos.range on <default>(%lo, %hi) init(%x : f64) '
        '[#kokkos.reducer<bor>] {\n^bb0(%j: index, %a: f64):\n kokkos.yield %a : f64\n} -> f64',
        "reducer bor needs integer values"),
    "custom without join": (
        '%r = kokkos.parallel_reduce "k" #kokkos.range on <default>(%lo, %hi) init(%x : f64) '
        '[#kokkos.reducer<custom>] {\n^bb0(%j: index, %a: f64):\n kokkos.yield %a : f64\n} -> f64',
        "has a custom reducer but no join region"),
    "join without custom": (
        '%r = kokkos.parallel_reduce "k" #kokkos.range on <default>(%lo, %hi) init(%x : f64) '
        '[#kokkos.reducer<sum>] {\n^bb0(%j: index, %a: f64):\n kokkos.yield %a : f64\n} join {\n'
        '^bb0(%p: f64, %q: f64):\n kokkos.yield %p : f64\n} -> f64', "has a join region but no custom reducer"),
    "join args": (
        '%r = kokkos.parallel_reduce "k" #kokkos.range on <default>(%lo, %hi) init(%x : f64) '
        '[#kokkos.reducer<custom>] {\n^bb0(%j: index, %a: f64):\n kokkos.yield %a : f64\n} join {\n'
        '^bb0(%p: f64):\n kokkos.yield %p : f64\n} -> f64', "join block arguments are (f64)"),
    "scan needs range": (
        '%r = "kokkos.parallel_scan"(%lo, %lo, %hi, %hi, %x) <{policy = #kokkos.mdrange<2, iterate = right>, '
        'exec_space = #kokkos.exec<default>, name = "s", reducers = [#kokkos.reducer<sum>]}> ({\n'
        '^bb0(%j: index, %k: index, %a: f64, %fin: i1):\n "kokkos.yield"(%a) : (f64) -> ()\n}) '
        ': (index, index, index, index, f64) -> f64', "supports only #kokkos.range policies"),
    "scan final flag": (
        '%r = kokkos.parallel_scan "s" #kokkos.range on <default>(%lo, %hi) init(%x : f64) [#kokkos.reducer<sum>] '
        '{\n^bb0(%j: index, %a: f64):\n kokkos.yield %a : f64\n} -> f64', "require (index, f64, i1)"),
    "nested range outside team": (
        'kokkos.team_thread_range %lo(%lo, %hi) {\n^bb0(%j: index):\n kokkos.yield\n}', "team_member"),
    "team_thread_range in team_thread_range": (
        'kokkos.parallel_for "t" #kokkos.team<scratch_bytes = 0> on <default>(%lo, %lo, %lo) {\n'
        '^bb0(%m: !kokkos.team_member):\n kokkos.team_thread_range %m(%lo, %hi) {\n ^bb1(%j: index):\n'
        '  kokkos.team_thread_range %m(%lo, %hi) {\n  ^bb2(%k: index):\n   kokkos.yield\n  }\n  kokkos.yield\n }\n'
        ' kokkos.yield\n}', "cannot be nested inside 'kokkos.team_thread_range'"),
    "barrier in nested range": (
        'kokkos.parallel_for "t" #kokkos.team<scratch_bytes = 0> on <default>(%lo, %lo, %lo) {\n'
        '^bb0(%m: !kokkos.team_member):\n kokkos.team_thread_range %m(%lo, %hi) {\n ^bb1(%j: index):\n'
        '  kokkos.team_barrier %m\n  kokkos.yield\n }\n kokkos.yield\n}', "would deadlock"),
    "nested reduce reducers": (
        'kokkos.parallel_for "t" #kokkos.team<scratch_bytes = 0> on <default>(%lo, %lo, %lo) {\n'
        '^bb0(%m: !kokkos.team_member):\n %r = kokkos.team_thread_range %m(%lo, %hi) init(%x : f64) {\n'
        ' ^bb1(%j: index, %a: f64):\n  kokkos.yield %a : f64\n } -> f64\n kokkos.yield\n}',
        "has 1 results but 0 reducers"),
    "scratch space": (
        'kokkos.parallel_for "t" #kokkos.team<scratch_bytes = 0> on <default>(%lo, %lo, %lo) {\n'
        '^bb0(%m: !kokkos.team_member):\n %s = kokkos.scratch_alloc %m(%lo) level 0 : '
        'memref<?xf64, #kokkos.space<host>>\n kokkos.yield\n}', "must be in #kokkos.space<scratch>"),
    "scratch level": (
        'kokkos.parallel_for "t" #kokkos.team<scratch_bytes = 0> on <default>(%lo, %lo, %lo) {\n'
        '^bb0(%m: !kokkos.team_member):\n %s = kokkos.scratch_alloc %m(%lo) level 2 : '
        'memref<?xf64, #kokkos.space<scratch>>\n kokkos.yield\n}', "level must be 0 or 1"),
    "alloc sizes": ('%a = kokkos.alloc "A"(%lo) : memref<?x?xf64, #kokkos.space<host>>',
                    "has 2 dynamic dimensions but 1 size operands"),
    "alloc space": ('%a = kokkos.alloc "A"(%lo) : memref<?xf64>', "needs a #kokkos.space<host|device|shared>"),
    "mirror space": ('%m = kokkos.create_mirror_view %w : memref<?x?xf32, #kokkos.space<device>> -> '
                     'memref<?x?xf32, #kokkos.space<device>>', "must be in #kokkos.space<host>"),
    "mirror shape": ('%m = kokkos.create_mirror_view %w : memref<?x?xf32, #kokkos.space<device>> -> '
                     'memref<?xf32, #kokkos.space<host>>', "must have the shape"),
    "deep_copy types": ('kokkos.deep_copy %v, %w : memref<?xf64, #kokkos.space<host>>, '
                        'memref<?x?xf32, #kokkos.space<device>>', "element types differ"),
    "print holes": ('kokkos.print "x = {} {}"(%x : f64)', "format has 2 holes but 1 values"),
    "print named holes": ('kokkos.print "x = {name}"(%x : f64)', "must be positional"),
    "yield outside": ('scf.if %b {\n kokkos.yield\n}', "expects parent op"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_verifier_rejects(case):
    body, message = BAD[case]
    text = _FN.format(body="\n".join("    " + line for line in body.splitlines()))
    with pytest.raises(Exception) as info:
        _parse(text).verify()
    assert message in str(info.value), str(info.value)


def test_attribute_constructors_reject_bad_values():
    with pytest.raises(VerifyException, match="expected one of: host, device, shared, scratch"):
        kk.SpaceAttr("gpu")
    with pytest.raises(VerifyException, match="invalid kokkos.reducer"):
        kk.ReducerAttr("avg")
