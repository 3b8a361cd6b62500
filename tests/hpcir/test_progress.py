"""The progress line of slow builds: shown after the delay, then the total; silent when quick, when
stderr is not a terminal (unless HPCIR_PROGRESS=1) or when HPCIR_PROGRESS=0."""
from __future__ import annotations

import io
import time

from hpcir.core.progress import progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_slow_step_reports_elapsed_time_then_total(monkeypatch):
    monkeypatch.delenv("HPCIR_PROGRESS", raising=False)
    out = _Tty()
    with progress("compiling resnet18 for cpu", delay=0.05, every=0.05, stream=out):
        time.sleep(0.3)
    text = out.getvalue()
    assert text.startswith("\rcompiling resnet18 for cpu ... 0 s"), text
    assert text.count("\r") >= 3 and text.endswith("compiling resnet18 for cpu ... done in 0 s\n"), text


def test_quick_step_prints_nothing(monkeypatch):
    monkeypatch.delenv("HPCIR_PROGRESS", raising=False)
    out = _Tty()
    with progress("compiling axpy for cpu", delay=5.0, stream=out):
        pass
    assert out.getvalue() == ""


def test_not_a_terminal_is_quiet_unless_asked(monkeypatch):
    monkeypatch.delenv("HPCIR_PROGRESS", raising=False)
    out = io.StringIO()
    with progress("compiling m for cpu", delay=0.01, every=0.01, stream=out):
        time.sleep(0.1)
    assert out.getvalue() == ""
    monkeypatch.setenv("HPCIR_PROGRESS", "1")  # e.g. a CI log: whole lines, no carriage returns
    with progress("compiling m for cpu", delay=0.01, every=0.05, stream=out):
        time.sleep(0.1)
    lines = out.getvalue().splitlines()
    assert lines[0] == "compiling m for cpu ... 0 s" and lines[-1] == "compiling m for cpu ... done in 0 s"
    assert "\r" not in out.getvalue()
    monkeypatch.setenv("HPCIR_PROGRESS", "0")
    tty = _Tty()
    with progress("compiling m for cpu", delay=0.01, stream=tty):
        time.sleep(0.05)
    assert tty.getvalue() == ""
