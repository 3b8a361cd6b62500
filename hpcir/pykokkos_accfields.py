"""PyKokkos' value-and-location accumulators: one `acc: pk.Acc[T]` read and written through its fields
(`acc.val` / `acc.loc` for pk.MaxLoc / MinLoc, `acc.min_val` / `acc.max_val` for pk.MinMax, and also
`acc.min_loc` / `acc.max_loc` for pk.MinMaxLoc, the fields of Kokkos' ValLocScalar, MinMaxScalar and
MinMaxLocScalar) become one hpcir accumulator per field, in the order hpcir's reducers take them:

    (val, loc)                                  pk.MaxLoc -> ("maxloc", "maxloc")
    (min_val, max_val)                          pk.MinMax -> ("min", "max")
    (min_val, min_loc, max_val, max_loc)        pk.MinMaxLoc -> ("minloc", "minloc", "maxloc", "maxloc")

An accumulator also used by itself (`acc += x`) is left alone.
"""
from __future__ import annotations

import ast
import copy

LAYOUTS = (("min_val", "min_loc", "max_val", "max_loc"), ("min_val", "max_val"), ("val", "loc"))
_FIELDS = {f for layout in LAYOUTS for f in layout}


def _is_acc(annotation: ast.expr | None) -> bool:
    """`Acc[T]` or `pk.Acc[T]`."""
    if not isinstance(annotation, ast.Subscript):
        return False
    v = annotation.value
    return (isinstance(v, ast.Name) and v.id == "Acc") or (isinstance(v, ast.Attribute) and v.attr == "Acc")


def _layout(used: set[str]) -> tuple[str, ...] | None:
    """The field layout an accumulator's used fields belong to (the smallest that holds them all)."""
    return next((layout for layout in reversed(LAYOUTS) if used <= set(layout)), None)


def split_field_accumulators(tree: ast.FunctionDef) -> bool:
    """Replace each accumulator used only through its fields by one accumulator per field; True if any."""
    args = tree.args.args
    taken = {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)} | {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    changed = False
    for at in range(len(args) - 1, -1, -1):
        a = args[at]
        if not _is_acc(a.annotation):
            continue
        attrs = [node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                 and isinstance(node.value, ast.Name) and node.value.id == a.arg]
        fields = set(attrs)
        bare = sum(1 for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id == a.arg) > len(attrs)
        layout = _layout(fields) if fields and fields <= _FIELDS and not bare else None
        if layout is None:
            continue
        names = {}
        for f in layout:
            name = f"{a.arg}_{f}"
            while name in taken:
                name += "_"
            taken.add(name)
            names[f] = name
        new_args = []
        for f in layout:
            ann = copy.deepcopy(a.annotation)
            if f.endswith("loc"):  # an index: Kokkos' int64_t location
                ann.slice = ast.Name("int", ast.Load())
            new_args.append(ast.copy_location(ast.arg(names[f], ann), a))
        args[at:at + 1] = new_args
        _Fields(a.arg, names).visit(tree)
        changed = True
    if changed:
        ast.fix_missing_locations(tree)
    return changed


class _Fields(ast.NodeTransformer):
    """`acc.field` -> the field's accumulator."""

    def __init__(self, acc: str, names: dict[str, str]) -> None:
        self.acc, self.names = acc, names

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if isinstance(node.value, ast.Name) and node.value.id == self.acc:
            return ast.copy_location(ast.Name(self.names[node.attr], node.ctx), node)
        return self.generic_visit(node)
