"""Durations and sizes as people write and read them (30m, 7d; 1.5 MB)."""
from __future__ import annotations

import re

from hpcir.core.errors import HpcirError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> float:
    """Seconds in '90s', '30m', '12h', '7d', '2w' (a bare number is days)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", text)
    if not m:
        raise HpcirError(f"cannot read the duration {text!r}", hint="write it as 30m, 12h, 7d or 2w")
    return float(m.group(1)) * _UNITS[m.group(2) or "d"]


def format_duration(seconds: float) -> str:
    """90s, 30m, 12h, 7d: the largest whole unit."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def human_bytes(n: float) -> str:
    """1.5 MB, 88.0 MB, 2.1 GB (powers of 1024)."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"
