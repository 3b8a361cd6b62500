"""What the located-error tests share: where a `# E-...` marker sits in a test file, that an error
points there, and a guard that fails a test if anything is built after bad input."""
from __future__ import annotations

import pytest

from hpcir.core.errors import HpcirError


class Located:
    """The source of one test file, to find markers in and check errors against."""

    def __init__(self, path: str):
        self.path = path
        self.src = open(path).read().splitlines()

    def where(self, marker: str, text: str | None = None) -> tuple[int, int]:
        """1-based line and column of `text` (default: the marker) on the line holding `marker`."""
        for n, line in enumerate(self.src, 1):
            if marker in line and not line.lstrip().startswith(("where(", "check(")) and "marker" not in line:
                return n, line.index(text or marker) + 1
        raise AssertionError(marker)

    def check(self, err: HpcirError, marker: str, text: str | None, words: str) -> None:
        """`err` is located at `text` on the marker's line and says `words`."""
        line, col = self.where(marker, text)
        msg = str(err)
        assert msg.startswith(f"{self.path}:{line}:{col}: error:"), msg
        assert words in msg, msg


def forbid_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to build or run is a test failure: errors come first."""
    import hpcir.api as api

    def fail(*a, **k):
        raise AssertionError("a build was attempted after bad input")

    monkeypatch.setattr(api, "build_library", fail)
