"""Imports point one way: core <- dialects <- {frontends, passes, backends} <- driver <- mdft_case (public API).

Every import of every project module is read from its AST (function-level imports too; imports
under `if TYPE_CHECKING:` are types only and do not count), resolved to a project module, and
checked against the layer rules; the import graph must have no cycle.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Top-level folders and the import package each is installed as (setup.py's mapping).
PACKAGES = {"hpcir": "hpcir", "dialects": "hpcir.dialects", "passes": "hpcir.passes",
            "frontends": "hpcir.frontends", "backends": "hpcir.backends", "mdft_case": "hpcir.mdft_case"}
LAYERS = ("core", "dialects", "frontends", "passes", "backends", "mdft_case")
# Which layers each layer may import (besides itself).
ALLOWED = {
    "core": set(),
    "dialects": {"core"},
    "frontends": {"core", "dialects"},
    "passes": {"core", "dialects"},
    "backends": {"core", "dialects"},
    "driver": {"core", "dialects", "frontends", "passes", "backends"},
    "mdft_case": set(),  # plus the public `hpcir` package itself, below
}


def project_modules() -> dict[str, Path]:
    """Import name -> file of every module of the project."""
    mods: dict[str, Path] = {}
    for folder, package in PACKAGES.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            mods[".".join([package, *parts])] = path
    return mods


def layer(module: str) -> str:
    """The layer a module belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else "driver"


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skip


def imports_of(module: str, path: Path, mods: dict[str, Path]) -> set[str]:
    """The project modules `module` imports anywhere in its file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_nodes(tree)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            names = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in mods else prefix for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in mods and "." in name:
                name = name.rsplit(".", 1)[0]
            if name in mods and name != module:
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports."""
    mods = project_modules()
    return {m: imports_of(m, p, mods) for m, p in mods.items()}


def forbidden_edges(graph: dict[str, set[str]]) -> list[str]:
    """Every import that breaks the layer rules, as 'a -> b (layer -> layer)'."""
    bad = []
    for m, targets in sorted(graph.items()):
        lm = layer(m)
        for t in sorted(targets):
            lt = layer(t)
            if lt == lm or lt in ALLOWED[lm] or (lm == "mdft_case" and t == "hpcir"):
                continue
            bad.append(f"{m} -> {t} ({lm} -> {lt})")
    return bad


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_every_module_is_found():
    graph = import_graph()
    assert {"hpcir.core.errors", "hpcir.dialects.kokkos", "hpcir.passes.kokkos_set_target",
            "hpcir.backends.kokkos_cpp.module", "hpcir.frontends.python.entries", "hpcir.api"} <= set(graph)
    assert "hpcir.core.errors" in graph["hpcir.dialects.kokkos_target"]


def test_imports_point_one_way():
    bad = forbidden_edges(import_graph())
    assert not bad, "imports against the layer rules:\n  " + "\n  ".join(bad)


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles:\n  " + "\n  ".join(" <-> ".join(c) for c in found)


def test_the_checker_sees_a_forbidden_edge_and_a_cycle():
    """The rules bite: a backend importing a frontend, a pass importing the driver, and a cycle."""
    graph = {"hpcir.backends.x": {"hpcir.frontends.y"}, "hpcir.passes.p": {"hpcir.api"},
             "hpcir.frontends.y": set(), "hpcir.api": {"hpcir.passes.p"}}
    assert forbidden_edges(graph) == ["hpcir.backends.x -> hpcir.frontends.y (backends -> frontends)",
                                      "hpcir.passes.p -> hpcir.api (passes -> driver)"]
    assert cycles(graph) == [["hpcir.api", "hpcir.passes.p"]]


def test_cli_start_up_does_not_import_the_mdft_case():
    code = ("import sys; from hpcir.cli import build_parser; build_parser(); "
            "print(sorted(m for m in sys.modules if m.startswith('hpcir.mdft_case')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
