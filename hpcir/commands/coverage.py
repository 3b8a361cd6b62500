"""`hpcir coverage`: the JAX primitives and Core ATen ops the graph frontends import, and those they do not."""
from __future__ import annotations

import argparse


def jax_coverage() -> tuple[list[str], list[str]]:
    """(supported, unsupported) JAX primitive names; unsupported = jax.lax primitives we lack."""
    from hpcir.frontends.jax_frontend import supported_primitives
    supported = supported_primitives()
    try:
        from jax import lax
        known = {getattr(lax, n).name for n in dir(lax) if n.endswith("_p") and hasattr(getattr(lax, n), "name")}
    except ImportError:
        known = set()
    return supported, sorted(known - set(supported))


def torch_coverage() -> tuple[list[str], list[str]]:
    """(supported, unsupported) ATen op names; unsupported = Core ATen ops (Tag.core) we lack."""
    from hpcir.frontends.torch_frontend import supported_aten_ops
    supported = supported_aten_ops()
    try:
        import torch
    except ImportError:
        return supported, []
    packets = {s.split(".")[0] for s in supported}
    core = set()
    for name in dir(torch.ops.aten):
        try:
            packet = getattr(torch.ops.aten, name)
            overloads = packet.overloads()
        except Exception:  # not an op packet
            continue
        for ov in overloads:
            if torch.Tag.core in getattr(packet, ov).tags:
                core.add(name)
    return supported, sorted(core - packets)


def _print(title: str, supported: list[str], unsupported: list[str]) -> None:
    print(f"{title}: {len(supported)} supported")
    print("  " + ", ".join(supported))
    print(f"{title}: {len(unsupported)} not supported")
    print("  " + (", ".join(unsupported) or "(none)"))


def run(args: argparse.Namespace) -> int:
    """Print the coverage tables of the selected frontends."""
    if args.frontend in ("jax", "all"):
        _print("JAX primitives (jax.make_jaxpr)", *jax_coverage())
    if args.frontend in ("torch", "all"):
        _print("ATen ops (torch.export, Core ATen)", *torch_coverage())
    return 0


def register(subparsers) -> None:
    """Add the `coverage` subcommand."""
    p = subparsers.add_parser("coverage", help="list the JAX primitives and ATen ops the graph frontends support",
                              description="Supported and unsupported ops per graph frontend.")
    p.add_argument("--frontend", choices=("jax", "torch", "all"), default="all")
    p.set_defaults(func=run)
