"""`graph-results-to-out-params`: bufferized graph functions write their results into output views.

The Kokkos JIT ABI passes views in and returns scalars only, so a bufferized function
`func(ins) -> (memref...)` becomes `func(ins, %out0, %out1, ...) -> ()` with one trailing output
view per result (identity layout, the result's shape and element type). A result that is a plain
`memref.alloc` returned once is replaced by the output view itself (the loops write straight into
the caller's array); any other result (an argument, a buffer returned twice, a view) is copied
with `memref.copy` (= `Kokkos::deep_copy`). The function is then marked `kokkos.host_program`,
which the shared L2 -> L3 pipeline and the Kokkos C++ emitter take over. Applies to every public
function with a body that is not a kernel entry (`kokkos.entry`); the pass is target-neutral.

    func.func @f(%x: memref<4xf32>) -> memref<4xf32> {        func.func @f(%x: memref<4xf32>, %out0: memref<4xf32>)
      %b = memref.alloc() : memref<4xf32>               ->         attributes {kokkos.host_program} {
      ...writes %b...                                              ...writes %out0...
      func.return %b : memref<4xf32>                               func.return
"""
from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, FunctionType, MemRefType, ModuleOp, UnitAttr
from xdsl.passes import ModulePass

from hpcir.core.errors import HpcirError
from hpcir.dialects.kokkos_discardable import ENTRY, HOST_PROGRAM



def results_to_out_params(f: func.FuncOp) -> None:
    """Rewrite f in place: returned memrefs become trailing output views; mark it a host program."""
    fname = f.sym_name.data
    if len(f.body.blocks) != 1:
        raise HpcirError(f"graph-results-to-out-params: @{fname} has {len(f.body.blocks)} blocks, expected one",
                         hint="run it on bufferized graph functions (graph-bufferize)")
    block = f.body.block
    ret = block.last_op
    if not isinstance(ret, func.ReturnOp):
        raise HpcirError(f"graph-results-to-out-params: @{fname} does not end with func.return")
    n_in = len(block.args)
    for k, res in enumerate(list(ret.operands)):
        ty = res.type
        if not isinstance(ty, MemRefType):
            raise HpcirError(f"bufferized result {k} of {fname} is not a memref ({ty})",
                             hint="graph-results-to-out-params runs after graph-bufferize")
        out = block.insert_arg(MemRefType(ty.element_type, ty.get_shape()), len(block.args))
        out.name_hint = f"out{k}"
        owner = res.owner
        returned_once = sum(1 for u in res.uses if u.operation is ret) == 1
        if isinstance(owner, memref.AllocOp) and owner.results[0].type == out.type and returned_once:
            res.replace_all_uses_with(out)  # write the result straight into the caller's view
            owner.detach()
            owner.erase()
        else:
            block.insert_op_before(memref.CopyOp(res, out), ret)
    new_ret = func.ReturnOp()
    block.insert_op_before(new_ret, ret)
    ret.detach()
    ret.erase()
    f.function_type = FunctionType.from_lists([a.type for a in block.args], [])
    if f.arg_attrs is not None:  # keep one (empty) attribute dictionary per argument
        f.arg_attrs = ArrayAttr([*f.arg_attrs.data] + [DictionaryAttr({})] * (len(block.args) - n_in))
    if f.res_attrs is not None:
        f.res_attrs = None
    f.attributes[HOST_PROGRAM] = UnitAttr()


@dataclass(frozen=True)
class GraphResultsToOutParamsPass(ModulePass):
    """Turn the memref results of bufferized graph functions into trailing output views (host programs)."""

    name = "graph-results-to-out-params"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        called = {c.callee.root_reference.data for c in op.walk() if isinstance(c, func.CallOp)}
        for f in [o for o in op.walk() if isinstance(o, func.FuncOp)]:
            if not f.body.blocks or ENTRY in f.attributes \
                    or (f.sym_visibility is not None and f.sym_visibility.data != "public"):
                continue
            if f.sym_name.data in called and f.function_type.outputs.data:
                raise HpcirError(f"graph-results-to-out-params: @{f.sym_name.data} is called inside the module, "
                                 "so its results cannot become arguments", hint="inline the call first")
            results_to_out_params(f)
