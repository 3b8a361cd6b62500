"""The runnable code of the documentation: every ```python block of README.md and docs/*.md.

The convention (docs/index.md says it too): a block fenced as ```python is a complete program
that tests/docs/test_doc_snippets.py runs on its own, in a fresh interpreter; a block meant as a
fragment (not run) is fenced ```py, and shell commands ```sh. A block that imports torch or jax is
skipped where those packages (the graph extra) are missing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
_FENCE = re.compile(r"^```(\S*)\s*$")


@dataclass(frozen=True)
class Snippet:
    """One fenced block: where it is, its info string and its code."""

    page: Path
    line: int  # 1-based line of the opening fence
    lang: str
    code: str

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT).as_posix()}:{self.line}"

    def needs(self) -> tuple[str, ...]:
        """The optional packages the block imports (torch, jax)."""
        return tuple(m for m in ("torch", "jax") if re.search(rf"^\s*(import|from)\s+{m}\b", self.code, re.M))


def fenced_blocks(page: Path) -> list[Snippet]:
    """Every ``` fenced block of a Markdown page (top-level fences only, as this project writes them)."""
    out: list[Snippet] = []
    lines = page.read_text().splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        start, lang = i, m.group(1)
        i += 1
        body = []
        while i < len(lines) and lines[i].rstrip() != "```":
            body.append(lines[i])
            i += 1
        if i == len(lines):
            raise ValueError(f"{page}:{start + 1}: unclosed ``` block")
        out.append(Snippet(page, start + 1, lang, "\n".join(body) + "\n"))
        i += 1
    return out


def pages() -> list[Path]:
    """README.md and every page of docs/."""
    return [ROOT / "README.md"] + sorted(DOCS.glob("*.md"))


def runnable() -> list[Snippet]:
    """The ```python blocks of every page."""
    return [s for p in pages() for s in fenced_blocks(p) if s.lang == "python"]
