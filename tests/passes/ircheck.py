"""A small FileCheck for printed IR: CHECK, CHECK-NEXT, CHECK-NOT, CHECK-LABEL with [[VAR:re]] captures."""
from __future__ import annotations

import re


def _pattern(text: str, env: dict[str, str]) -> tuple[re.Pattern[str], list[str]]:
    """Literal text with {{regex}} holes, [[NAME:regex]] captures and [[NAME]] back-references."""
    out, names, pos = [], [], 0
    for m in re.finditer(r"\{\{(.*?)\}\}|\[\[(\w+):(.*?)\]\]|\[\[(\w+)\]\]", text):
        out.append(re.escape(text[pos:m.start()]))
        if m.group(1) is not None:
            out.append(f"(?:{m.group(1)})")
        elif m.group(2) is not None:
            out.append(f"(?P<{m.group(2)}>{m.group(3)})")
            names.append(m.group(2))
        else:
            if m.group(4) not in env:
                raise AssertionError(f"undefined check variable [[{m.group(4)}]]")
            out.append(re.escape(env[m.group(4)]))
        pos = m.end()
    out.append(re.escape(text[pos:]))
    return re.compile("".join(out)), names


def check(output: str, checks: str) -> None:
    """Assert that `output` matches the `// CHECK...:` lines of `checks`, in order (like LLVM FileCheck)."""
    lines = output.splitlines()
    env: dict[str, str] = {}
    cur = 0  # first line still available for matching
    last = -1  # line of the previous positive match
    pending_not: list[str] = []
    for raw in checks.splitlines():
        m = re.match(r"\s*//\s*CHECK(-NEXT|-NOT|-LABEL)?:\s?(.*)$", raw)
        if not m:
            continue
        kind, text = m.group(1) or "", m.group(2).strip()
        if kind == "-NOT":
            pending_not.append(text)
            continue
        pat, names = _pattern(text, env)
        if kind == "-NEXT":
            candidates = [last + 1] if last + 1 < len(lines) else []
        else:
            candidates = list(range(cur, len(lines)))
        hit = None
        for k in candidates:
            if (mm := pat.search(lines[k])) is not None:
                hit = (k, mm)
                break
        if hit is None:
            where = "\n".join(lines[max(cur, 0):][:40])
            raise AssertionError(f"CHECK{kind}: {text!r} not found after line {cur}:\n{where}")
        k, mm = hit
        for nt in pending_not:
            npat, _ = _pattern(nt, env)
            for j in range(cur, k):
                if npat.search(lines[j]):
                    raise AssertionError(f"CHECK-NOT: {nt!r} matched line {j}: {lines[j]}")
        pending_not = []
        for name in names:
            env[name] = mm.group(name)
        last, cur = k, k + 1
    for nt in pending_not:
        npat, _ = _pattern(nt, env)
        for j in range(cur, len(lines)):
            if npat.search(lines[j]):
                raise AssertionError(f"CHECK-NOT: {nt!r} matched line {j}: {lines[j]}")
