"""`kokkos-set-target{target=...}`: stamp the target on a target-neutral module (the first pass of every pipeline).

Frontends emit IR that names no target (no memory or execution spaces, no iteration orders).
This pass records the user's choice once, as `kokkos.target = "<name>"` on the module; every later
pass and the emitters read it from there (`hpcir.dialects.kokkos_target`). Stamping the target a
module already carries is a no-op; stamping another one is an error.
"""
from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from hpcir.core.errors import HpcirError
from hpcir.dialects.kokkos_target import set_module_target


@dataclass(frozen=True)
class KokkosSetTargetPass(ModulePass):
    """Record the target (cpu, serial, cuda, hip, jax, torch) as the module's `kokkos.target` attribute."""

    name = "kokkos-set-target"

    target: str = ""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if not self.target:
            raise HpcirError("kokkos-set-target needs a target", hint="write kokkos-set-target{target=cuda}")
        set_module_target(op, self.target)
