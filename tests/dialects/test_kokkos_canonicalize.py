"""Canonicalization patterns of the kokkos dialect, run through xDSL's `canonicalize` (one test per pattern)."""
from __future__ import annotations

from xdsl.parser import Parser
from xdsl.transforms.canonicalize import CanonicalizePass

from hpcir.dialects import context
from hpcir.dialects import kokkos as kk

_V = "memref<?xf64, #kokkos.space<host>>"
_FN = """builtin.module {{
  func.func @f(%n: index, %m: index, %x: f64, %v: {v}, %w: {v}) -> (f64, f64) {{
    %c0 = arith.constant 0 : index
    %c3 = arith.constant 3 : index
    %c3b = arith.constant 3 : index
    %c5 = arith.constant 5 : index
{body}
  }}
}}"""
_STORE = f"memref.store %x, %v[%i] : {_V}"


def canonicalize(body: str):
    text = _FN.format(v=_V, body="\n".join("    " + line for line in body.strip().splitlines()))
    module = Parser(context(), text).parse_module()
    module.verify()
    CanonicalizePass().apply(context(), module)
    module.verify()
    return module


def _launches(module) -> list[str]:
    return [op.kernel_name.data for op in module.walk() if isinstance(op, kk.LAUNCH_OPS)]


def _for(name: str, lo: str, hi: str) -> str:
    return (f'kokkos.parallel_for "{name}" #kokkos.range on <default>({lo}, {hi}) {{\n'
            f'^bb0(%i: index):\n  {_STORE}\n  kokkos.yield\n}}')


def _returns(module) -> list:
    ret = next(op for op in module.walk() if op.name == "func.return")
    return list(ret.operands)


def test_empty_range_launches_are_removed():
    body = "\n".join([_for("same_value", "%n", "%n"), _for("equal_constants", "%c3", "%c3b"),
                      _for("dynamic", "%n", "%m"), _for("reversed", "%c5", "%c3"), _for("nonempty", "%c3", "%c5"),
                      "func.return %x, %x : f64, f64"])
    # begin > end stays: Kokkos rejects that range at run time, folding it away would hide the error.
    assert _launches(canonicalize(body)) == ["dynamic", "reversed", "nonempty"]


def test_empty_mdrange_and_team_launches_are_removed():
    body = f"""
kokkos.parallel_for "md_empty" #kokkos.mdrange<2, iterate = right> on <default>(%c0, %c0, %n, %c0) {{
^bb0(%i: index, %j: index):
  {_STORE}
  kokkos.yield
}}
kokkos.parallel_for "md" #kokkos.mdrange<2, iterate = right> on <default>(%c0, %c0, %n, %m) {{
^bb0(%i: index, %j: index):
  {_STORE}
  kokkos.yield
}}
kokkos.parallel_for "no_teams" #kokkos.team<scratch_bytes = 0> on <default>(%c0, %c3, %c3) {{
^bb0(%t: !kokkos.team_member):
  kokkos.team_thread_range %t(%c0, %n) {{
  ^bb1(%i: index):
    {_STORE}
    kokkos.yield
  }}
  kokkos.yield
}}
func.return %x, %x : f64, f64"""
    assert _launches(canonicalize(body)) == ["md"]


def test_empty_reductions_and_scans_become_their_init():
    body = f"""
%r = kokkos.parallel_reduce "red" #kokkos.range on <default>(%n, %n) init(%x : f64) [#kokkos.reducer<max>] {{
^bb0(%i: index, %a: f64):
  %l = memref.load %v[%i] : {_V}
  %s = arith.maximumf %a, %l : f64
  kokkos.yield %s : f64
}} -> f64
%t = kokkos.parallel_scan "scan" #kokkos.range on <default>(%c3, %c3b) init(%x : f64) [#kokkos.reducer<sum>] {{
^bb0(%i: index, %a: f64, %fin: i1):
  %l = memref.load %v[%i] : {_V}
  %s = arith.addf %a, %l : f64
  kokkos.yield %s : f64
}} -> f64
func.return %r, %t : f64, f64"""
    module = canonicalize(body)
    assert _launches(module) == []
    x = next(op for op in module.walk() if op.name == "func.func").body.block.args[2]
    assert _returns(module) == [x, x]


def test_empty_nested_ranges_are_removed():
    body = f"""
kokkos.parallel_for "team" #kokkos.team<scratch_bytes = 0> on <default>(%n, %c0, %c0) {{
^bb0(%t: !kokkos.team_member):
  kokkos.team_thread_range %t(%m, %m) {{
  ^bb1(%i: index):
    {_STORE}
    kokkos.yield
  }}
  %r = kokkos.team_vector_range %t(%c5, %c5) init(%x : f64) reducers [#kokkos.reducer<sum>] {{
  ^bb1(%i: index, %a: f64):
    %l = memref.load %v[%i] : {_V}
    %s = arith.addf %a, %l : f64
    kokkos.yield %s : f64
  }} -> f64
  %k = kokkos.league_rank %t
  memref.store %r, %w[%k] : {_V}
  kokkos.yield
}}
func.return %x, %x : f64, f64"""
    module = canonicalize(body)
    assert _launches(module) == ["team"]
    assert not [op for op in module.walk() if isinstance(op, kk.NESTED_RANGE_OPS)]
    store = next(op for op in module.walk() if op.name == "memref.store")
    assert store.value is next(op for op in module.walk() if op.name == "func.func").body.block.args[2]


def test_deep_copy_of_a_view_onto_itself_only_fences():
    body = f"""
kokkos.deep_copy %v, %v : {_V}, {_V}
kokkos.deep_copy %w, %v : {_V}, {_V}
func.return %x, %x : f64, f64"""
    module = canonicalize(body)
    copies = [op for op in module.walk() if isinstance(op, kk.DeepCopyOp)]
    assert [(c.dst.name_hint, c.src.name_hint) for c in copies] == [("w", "v")]
    assert isinstance(copies[0].prev_op, kk.FenceOp)  # Kokkos::deep_copy(v, v) is a fence


def test_repeated_fences_are_one_fence():
    body = f"""
kokkos.fence
kokkos.fence
kokkos.fence
kokkos.deep_copy %w, %v : {_V}, {_V}
kokkos.fence
func.return %x, %x : f64, f64"""
    module = canonicalize(body)
    names = [op.name for op in next(op for op in module.walk() if op.name == "func.func").body.block.ops]
    assert [n for n in names if n.startswith("kokkos.")] == ["kokkos.fence", "kokkos.deep_copy", "kokkos.fence"]
