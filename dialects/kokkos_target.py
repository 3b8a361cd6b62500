"""The target a module is lowered for, carried in the IR as `kokkos.target = "<name>"` on builtin.module.

`kokkos-set-target{target=...}` stamps it once; every later pass and emitter reads it here. A
module without it has not been given a target: passes that need one refuse it rather than guess.
"""
from __future__ import annotations

from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.ir import Operation

from hpcir.core.errors import HpcirError
from hpcir.core.targets import TARGETS, Target, get_target

from .kokkos_discardable import TARGET

TARGET_ATTR = TARGET  # declared, with its verification, in kokkos_discardable


def _module_of(op: Operation) -> ModuleOp:
    """The outermost builtin.module around op (op itself when it is one)."""
    top = op
    while (parent := top.parent_op()) is not None:
        top = parent
    if not isinstance(top, ModuleOp):
        raise HpcirError(f"{op.name} is not inside a builtin.module: its target is unknown")
    return top


def stamped_target(op: Operation) -> Target | None:
    """The target stamped on op's module, or None when it has none."""
    attr = _module_of(op).attributes.get(TARGET_ATTR)
    if attr is None:
        return None
    if not isinstance(attr, StringAttr) or attr.data not in TARGETS:
        raise HpcirError(f"{TARGET_ATTR} = {attr} names no target",
                         hint=f"use one of: {', '.join(TARGETS)}")
    return TARGETS[attr.data]


def module_target(op: Operation, pass_name: str) -> Target:
    """The target stamped on op's module; a clear error naming `pass_name` when there is none."""
    target = stamped_target(op)
    if target is None:
        raise HpcirError(f"pass {pass_name!r} needs a target and the module carries none",
                         hint="run `kokkos-set-target{target=cpu|serial|cuda|hip}` first (hpcir lower and the "
                              "Python API do), or add `attributes {kokkos.target = \"cpu\"}` to the module")
    return target


def set_module_target(module: ModuleOp, name: str) -> Target:
    """Stamp the target on a module; refuses to change a target already stamped."""
    target = get_target(name)
    current = stamped_target(module)
    if current is not None and current.name != target.name:
        raise HpcirError(f"the module is already lowered for target {current.name!r}, not {target.name!r}",
                         hint="lower the target-neutral IR (hpcir lower --stage=L2 without a target pass) again")
    module.attributes[TARGET_ATTR] = StringAttr(target.name)
    return target


__all__ = ["TARGET_ATTR", "module_target", "set_module_target", "stamped_target"]
