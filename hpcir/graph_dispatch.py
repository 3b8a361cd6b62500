"""Routes hpcir.compile / hpcir.lower / `hpcir lower` to the graph (JAX / PyTorch) programs when given one.

The Kokkos lowering of graph programs is composed in hpcir.graph_lowering."""
from __future__ import annotations

from pathlib import Path
from typing import Any


def is_graph(obj: Any) -> bool:
    """True for an imported JAX / PyTorch graph program."""
    try:
        from hpcir.dialects.graph_program import GraphProgram
    except ImportError:
        return False
    return isinstance(obj, GraphProgram)


def compile_graph(obj: Any, target: str) -> Any:
    """hpcir.compile for a graph program."""
    from . import graph_api
    return graph_api.compile(obj, target=target)


def lower_graph(obj: Any, target: str, stage: str | None) -> str:
    """hpcir.lower for a graph program."""
    from . import graph_api
    return graph_api.lower(obj, target=target, stage=stage)


def has_exports(path: Any) -> bool:
    """Whether a user file declares graph entry points with hpcir.export (checked without importing it)."""
    import re
    try:
        text = Path(path).read_text()
    except OSError:
        return False
    return re.search(r"\bhpcir\.export\s*\(|^from hpcir import .*\bexport\b", text, re.M) is not None


def lower_exports(path: Any, target: str, out_dir: Any, emit: str, stage: str | None, pretty: bool = False,
                  dump_after_all: bool = False) -> int:
    """`hpcir lower` for a file with hpcir.export entries (JAX / PyTorch graphs)."""
    from . import graph_api
    return int(graph_api.lower_exports(path, target, out_dir, emit, stage, dump_after_all=dump_after_all,
                                       pretty=pretty) or 0)
