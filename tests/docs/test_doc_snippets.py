"""The documentation's code runs: every ```python block of README.md and docs/*.md (the convention is
in doc_snippets.py) is a complete program, executed on its own in a fresh interpreter, in an empty
folder, and must exit 0. Blocks check their own results with assert, so a doc whose code no longer
does what its text says fails here."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

from doc_snippets import fenced_blocks, pages, runnable

SNIPPETS = runnable()


def test_the_documentation_has_runnable_code():
    by_page = {}
    for s in SNIPPETS:
        by_page[s.page.name] = by_page.get(s.page.name, 0) + 1
    assert by_page.get("README.md", 0) >= 2, "README.md: its two code blocks must stay runnable"
    for page in ("getting-started.md", "kernels.md", "policies-and-teams.md", "reductions-and-scans.md",
                 "stencils.md", "graphs.md", "targets-and-gpus.md"):
        assert by_page.get(page, 0) >= 1, f"docs/{page} has no ```python block: nothing of it is tested"


def test_every_block_has_a_known_language():
    """```python runs; a plain ```, ```py (a fragment), ```sh, ```text, ```toml, ```mlir, ```c++ ... are shown
    only. An unknown info string is most likely a typo of `python` that would silently not be run."""
    known = {"", "python", "py", "sh", "console", "text", "toml", "json", "mlir", "c++", "cpp", "c", "cmake"}
    for page in pages():
        for s in fenced_blocks(page):
            assert s.lang in known, f"{s.id}: unknown block language {s.lang!r} (use one of {sorted(known)})"


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.id for s in SNIPPETS])
def test_snippet_runs(snippet, tmp_path):
    missing = [m for m in snippet.needs() if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{snippet.id} imports {', '.join(missing)} (the graph extra: pip install -e '.[graph]')")
    path = tmp_path / f"snippet_{snippet.line}.py"  # kernels are read from their source file
    path.write_text(snippet.code)
    env = dict(os.environ, OMP_PROC_BIND="false")
    proc = subprocess.run([sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, (f"{snippet.id} failed (exit {proc.returncode}):\n{snippet.code}\n"
                                  f"--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}")
