"""A progress line on stderr for slow steps (JIT builds): "compiling resnet18 for cpu ... 12 s".

Nothing is printed for a step that ends within `delay` seconds, nor when stderr is not a terminal
(logs and test runs stay clean). HPCIR_PROGRESS=1 prints even to a file or pipe (one line per
update), HPCIR_PROGRESS=0 never prints.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


def progress_enabled(stream: TextIO) -> bool:
    """Whether progress lines go to `stream`: HPCIR_PROGRESS decides, else whether it is a terminal."""
    setting = os.environ.get("HPCIR_PROGRESS", "").strip().lower()
    if setting in ("0", "false", "off", "no"):
        return False
    if setting in ("1", "true", "on", "yes"):
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def progress(what: str, delay: float = 3.0, every: float = 3.0, stream: TextIO | None = None) -> Iterator[None]:
    """Report `what ... N s` on stderr while the body runs longer than `delay` s, every `every` s."""
    out = stream if stream is not None else sys.stderr
    if not progress_enabled(out):
        yield
        return
    tty = _isatty(out)
    start = time.monotonic()
    done = threading.Event()
    shown = threading.Event()

    def report() -> None:
        # A daemon thread: it only sleeps and prints, so it never holds up the build or the exit.
        wait = delay
        while not done.wait(wait):
            line = f"{what} ... {time.monotonic() - start:.0f} s"
            out.write(("\r" + line) if tty else line + "\n")
            out.flush()
            shown.set()
            wait = every

    thread = threading.Thread(target=report, name="hpcir-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        if shown.is_set():
            line = f"{what} ... done in {time.monotonic() - start:.0f} s"
            out.write(("\r" + line + "\n") if tty else line + "\n")
            out.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
