"""User-facing errors: every one names the Python file, line and column, with a caret line."""
from __future__ import annotations

import ast
import linecache
from dataclasses import dataclass


@dataclass(frozen=True)
class SourceLocation:
    """A position in a user's Python source (1-based line, 0-based column, as in `ast`)."""

    filename: str
    line: int
    col: int = 0
    end_col: int | None = None

    @classmethod
    def of(cls, node: ast.AST, filename: str, line_offset: int = 0, col_offset: int = 0) -> "SourceLocation":
        """Location of an AST node parsed from a snippet that starts at line_offset+1, col_offset."""
        line = getattr(node, "lineno", 1) + line_offset
        col = getattr(node, "col_offset", 0) + col_offset
        end_line = getattr(node, "end_lineno", None)
        end_col = getattr(node, "end_col_offset", None)
        if end_col is not None and end_line is not None and end_line + line_offset == line:
            end_col += col_offset
        else:
            end_col = None
        return cls(filename, line, col, end_col)

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}:{self.col + 1}"

    def caret(self) -> str:
        """The offending source line with a caret (or tildes) under the construct."""
        text = linecache.getline(self.filename, self.line).rstrip("\n")
        if not text:
            return ""
        width = max(1, (self.end_col or self.col + 1) - self.col)
        return f"    {text}\n    {' ' * self.col}^{'~' * (width - 1)}"


_OWN_DIRS: tuple[str, ...] | None = None


def user_call_site(skip: int = 2) -> SourceLocation | None:
    """Location of the user's call into hpcir: the first frame outside hpcir's own folders.

    Walks the frames directly (no source reading): launches call this every time.
    """
    import itertools
    import os
    import sys
    global _OWN_DIRS
    if _OWN_DIRS is None:
        here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repo root
        _OWN_DIRS = tuple(os.path.join(here, d) + os.sep
                          for d in ("hpcir", "frontends", "backends", "passes", "dialects"))
    try:
        frame = sys._getframe(skip)
    except ValueError:
        return None
    while frame is not None:
        code = frame.f_code
        own = _IS_OWN.get(code.co_filename)
        if own is None:
            own = _IS_OWN[code.co_filename] = os.path.abspath(code.co_filename).startswith(_OWN_DIRS)
        if not own:
            key = (code, frame.f_lasti)
            loc = _SITES.get(key)
            if loc is None:  # a launch in a loop asks again and again: find its column once
                pos = next(itertools.islice(code.co_positions(), frame.f_lasti // 2, None), None)
                col = pos[2] if pos and pos[2] is not None else 0
                end = pos[3] if pos and pos[0] == pos[1] else None
                if len(_SITES) > 4096:
                    _SITES.clear()
                loc = _SITES[key] = SourceLocation(code.co_filename, frame.f_lineno, col, end)
            return loc
        frame = frame.f_back
    return None


_IS_OWN: dict[str, bool] = {}  # file name -> inside hpcir's own folders
_SITES: dict[tuple, SourceLocation] = {}  # (code object, bytecode offset) -> its location


class HpcirError(Exception):
    """Base of every user-facing hpcir error; `str()` gives file:line:col, caret and advice."""

    def __init__(self, message: str, loc: SourceLocation | None = None, hint: str | None = None):
        self.message = message
        self.loc = loc
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        head = f"{self.loc}: error: {self.message}" if self.loc else f"error: {self.message}"
        parts = [head]
        if self.loc is not None:
            caret = self.loc.caret()
            if caret:
                parts.append(caret)
        if self.hint:
            parts.append(f"  hint: {self.hint}")
        return "\n".join(parts)


class KernelSyntaxError(HpcirError):
    """A construct the kernel language does not support."""


class KernelTypeError(HpcirError):
    """A type error inside a kernel, or an argument of the wrong dtype, rank or shape."""


class ArgumentError(HpcirError):
    """A missing, extra, aliased or mistyped argument at a launch site."""


class PolicyError(HpcirError):
    """An invalid execution policy."""


class KernelCheckError(HpcirError):
    """A run-time check inside a kernel failed; raised when the launch returns, located at the kernel's
    line (the kernel went on with a defined value: docs/reliability.md)."""


class KernelZeroDivisionError(KernelCheckError, ZeroDivisionError):
    """An integer division or modulo by zero inside a kernel (`except ZeroDivisionError` catches it)."""


class KernelIndexError(KernelCheckError, IndexError):
    """A view index outside its extent, found by the bounds-checking debug mode (HPCIR_CHECK_BOUNDS)."""


class ScratchSizeError(PolicyError):
    """Team scratch larger than the execution space allows (Kokkos' scratch_size_max), found at the launch."""


# The Python exception a failed check's kind ("ZeroDivisionError", in its text) raises.
CHECK_ERRORS: dict[str, type[HpcirError]] = {"ZeroDivisionError": KernelZeroDivisionError,
                                             "IndexError": KernelIndexError, "ScratchSizeError": ScratchSizeError}


def check_error(text: str) -> HpcirError:
    """The located error of a failed kernel check from its text "FILE:LINE:COL: KIND: MESSAGE[\nhint: HINT]"."""
    import re
    m = re.fullmatch(r"(?s)(.*):(\d+):(\d+): (\w+): (.*)", text)
    if m is None:
        return KernelCheckError(text)
    filename, line, col, kind, message = m.groups()
    message, _, hint = message.partition("\nhint: ")
    return CHECK_ERRORS.get(kind, KernelCheckError)(message, SourceLocation(filename, int(line), int(col) - 1),
                                                    hint or None)


class BuildError(HpcirError):
    """The C++ compiler or CMake failed on generated code; names the first error and the kept source."""


class KokkosNotFoundError(HpcirError):
    """No usable Kokkos install could be found or built."""


class UnsupportedOpError(HpcirError):
    """A JAX primitive or ATen op the graph frontends cannot import."""


class IRVerificationError(HpcirError):
    """IR failed to verify (xDSL or upstream MLIR)."""
