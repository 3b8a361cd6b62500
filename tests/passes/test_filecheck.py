"""lit-style IR tests: every `*.mlir` file under tests/passes/ with a `RUN:` line is one test case.

Write a test as an .mlir file (anywhere under tests/passes/, e.g. tests/passes/graph/foo.mlir):

    // RUN: hpcir opt %s -p 'graph-lift-constants' | filecheck %s
    builtin.module { ...input IR... }
    // CHECK-LABEL: func.func @f
    // CHECK-SAME:    %const_w: tensor<2xf32>
    // CHECK-NOT:     arith.constant dense

Each RUN line (a trailing `\\` continues it on the next line; several RUN lines run in order) is a
pipeline of commands separated by `|`, run like a shell pipeline with `pipefail`:

- `%s` is the test file, `%S` its folder, `%t` a scratch path of the test's own;
- `hpcir ...` runs the CLI in-process (`hpcir.cli.main`), reading the previous stage's output as
  stdin; append `2>&1` to check its errors too;
- any other command (`filecheck`, the PyPI FileCheck clone of the `test` extra) runs as a process
  from the virtual environment's bin folder, fed the previous stage's output;
- `not CMD` expects CMD to fail (a non-zero exit; for hpcir, an HpcirError). A Python exception
  escaping hpcir is a crash and always fails the test, `not` or not.

CHECK syntax is LLVM FileCheck's (CHECK, -NEXT, -SAME, -NOT, -LABEL, -DAG, [[VAR:regex]], {{regex}}).
A failure names the file and RUN line and shows every stage's output.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
_RUN = re.compile(r"^\s*//\s*RUN:\s?(.*)$")
_SHOWN_LINES = 80


def run_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, command) of each RUN line of a file, continuation lines joined."""
    runs: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        m = _RUN.match(line)
        if not m:
            if pending is not None:
                raise ValueError(f"{path}:{pending[0]}: RUN line ends with '\\' but the next line is no RUN line")
            continue
        text = m.group(1).rstrip()
        start, prefix = pending if pending is not None else (no, "")
        if text.endswith("\\"):
            pending = (start, prefix + text[:-1] + " ")
        else:
            pending = None
            runs.append((start, prefix + text))
    if pending is not None:
        raise ValueError(f"{path}:{pending[0]}: the last RUN line ends with '\\'")
    return runs


def _cases() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.mlir") if any(_RUN.match(line) for line in
                                                         p.read_text(encoding="utf-8").splitlines()))


@dataclass
class Stage:
    """One command of a RUN pipeline and what it did."""

    argv: list[str]
    expect_failure: bool = False
    merge_stderr: bool = False
    returncode: int = 0
    stdout: str = ""
    stderr: str = ""
    crashed: bool = False

    def describe(self) -> str:
        head = ("not " if self.expect_failure else "") + shlex.join(self.argv) + (" 2>&1" if self.merge_stderr else "")
        return f"`{head}` -> exit {self.returncode}{' (crash)' if self.crashed else ''}"


def _split_pipeline(command: str) -> list[Stage]:
    lex = shlex.shlex(command, posix=True, punctuation_chars="|")
    lex.whitespace_split = True
    stages: list[list[str]] = [[]]
    for tok in lex:
        if tok == "|":
            stages.append([])
        elif set(tok) == {"|"}:
            raise ValueError(f"unsupported shell operator {tok!r} in RUN line")
        else:
            stages[-1].append(tok)
    out = []
    for argv in stages:
        if not argv:
            raise ValueError("empty command in RUN pipeline")
        st = Stage(argv)
        if argv[0] == "not":
            st.expect_failure, st.argv = True, argv[1:]
        if st.argv and st.argv[-1] == "2>&1":
            st.merge_stderr, st.argv = True, st.argv[:-1]
        if not st.argv:
            raise ValueError("`not` without a command in RUN pipeline")
        out.append(st)
    return out


def _run_hpcir(st: Stage, stdin: str) -> None:
    from hpcir.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                st.returncode = int(main(st.argv[1:]) or 0)
            except SystemExit as exc:  # argparse errors
                st.returncode = exc.code if isinstance(exc.code, int) else 1
            except Exception:  # noqa: BLE001 - a bug in hpcir: report it as a crash
                st.returncode, st.crashed = 1, True
                err.write(traceback.format_exc())
    finally:
        sys.stdin = old_stdin
    st.stdout, st.stderr = out.getvalue(), err.getvalue()


def _run_process(st: Stage, stdin: str) -> None:
    bindir = str(Path(sys.executable).parent)
    exe = shutil.which(st.argv[0], path=bindir + os.pathsep + os.environ.get("PATH", ""))
    if exe is None:
        hint = " (pip install -e '.[test]')" if st.argv[0] == "filecheck" else ""
        raise FileNotFoundError(f"RUN command {st.argv[0]!r} not found{hint}")
    proc = subprocess.run([exe, *st.argv[1:]], input=stdin, capture_output=True, text=True, timeout=600)
    st.returncode, st.stdout, st.stderr = proc.returncode, proc.stdout, proc.stderr


def _shown(text: str) -> str:
    lines = text.splitlines()
    if len(lines) > _SHOWN_LINES:
        lines = lines[:_SHOWN_LINES] + [f"... ({len(lines) - _SHOWN_LINES} more lines)"]
    return "\n".join("    " + line for line in lines) or "    (empty)"


def run_pipeline_line(command: str) -> tuple[bool, list[Stage]]:
    """Run one substituted RUN command; (passed, stages run)."""
    stages = _split_pipeline(command)
    data = ""
    for k, st in enumerate(stages):
        (_run_hpcir if st.argv[0] == "hpcir" else _run_process)(st, data)
        data = st.stdout + (st.stderr if st.merge_stderr else "")
        if st.crashed or (st.returncode != 0) != st.expect_failure:
            return False, stages[:k + 1]  # the stages that ran, the failing one last
    return True, stages


def _substitute(command: str, path: Path, scratch: Path) -> str:
    subs = {"%s": shlex.quote(str(path)), "%S": shlex.quote(str(path.parent)), "%t": shlex.quote(str(scratch))}
    return re.sub(r"%[sSt]", lambda m: subs[m.group(0)], command)


@pytest.mark.parametrize("path", _cases(), ids=lambda p: str(p.relative_to(ROOT)))
def test_mlir_file(path: Path, tmp_path: Path) -> None:
    runs = run_lines(path)
    for lineno, command in runs:
        ok, stages = run_pipeline_line(_substitute(command, path, tmp_path / "t"))
        if ok:
            continue
        report = [f"{path}:{lineno}: RUN: {command}"]
        for st in stages:
            report.append(f"  {st.describe()}" + (" (expected to fail)" if st.expect_failure else ""))
            if st.stderr:
                report.append("  stderr:\n" + _shown(st.stderr))
            if st.stdout or st is stages[-1]:
                report.append("  stdout:\n" + _shown(st.stdout))
        pytest.fail("\n".join(report), pytrace=False)
