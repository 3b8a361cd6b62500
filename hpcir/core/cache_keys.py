"""Cache keys: a sha256 over the parts that decide a build (sources, target, compiler, flags)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path


def _canonical(part: object) -> bytes:
    """A stable byte encoding of one key part (dicts by sorted key, paths as text)."""
    if isinstance(part, bytes):
        return part
    if isinstance(part, str):
        return part.encode()
    if isinstance(part, Path):
        return str(part).encode()
    return json.dumps(part, sort_keys=True, default=str).encode()


def cache_key(*parts: object) -> str:
    """sha256 over the parts (source text, target, compiler + version, flags, Kokkos config)."""
    h = hashlib.sha256()
    for part in parts:
        data = _canonical(part)
        # Length-prefix every part so ("ab", "c") and ("a", "bc") hash differently.
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()
