"""The report of `hpcir mdft compare`: report.json, report.md (tables) and PNG plots."""
from __future__ import annotations

import ast
import io
import json
import os
import platform
import re
import tokenize
from pathlib import Path

from .backends import BACKENDS
from .backends.base import KERNELS_A, KERNELS_B
from .config import Config

HERE = Path(__file__).resolve().parent

# Each approach's kernel source: the files a developer of that approach writes and maintains.
APPROACH_FILES = {
    "numpy": ["kernels.py", "backends/numpy_backend.py"],
    "jax": ["backends/jax_backend.py", "backends/plan.py"],
    "torch": ["backends/torch_backend.py", "backends/plan.py"],
    "hpcir (all hpcir-* backends)": ["hpcir_kernels.py", "backends/hpcir_backend.py", "backends/plan.py"],
    "kokkos-cpp": ["kokkos_cpp/mdft_kernels.cpp", "kokkos_cpp/mdft_kernels.hpp", "kokkos_cpp/mdft_capi.h",
                   "backends/plan.py"],
}


def python_loc(text: str) -> int:
    """Non-blank lines that are neither comments nor docstrings."""
    code = set()
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                            tokenize.ENDMARKER):
            code.update(range(tok.start[0], tok.end[0] + 1))
    for node in ast.walk(ast.parse(text)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            code.difference_update(range(body[0].lineno, body[0].end_lineno + 1))
    return len(code)


def cpp_loc(text: str) -> int:
    """Non-blank lines of C/C++ outside // and /* */ comments."""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return sum(1 for ln in text.splitlines() if ln.split("//")[0].strip())


def lines_of_code() -> dict[str, dict]:
    """Per approach: lines of code and the files counted, or why there is no source yet."""
    out = {}
    for approach, files in APPROACH_FILES.items():
        paths = [HERE / f for f in files]
        have = [p for p in paths if p.exists()]
        if not have:
            out[approach] = {"lines": None, "files": files, "status": "not written yet"}
            continue
        count = sum(python_loc(p.read_text()) if p.suffix == ".py" else cpp_loc(p.read_text()) for p in have)
        out[approach] = {"lines": count, "files": [str(p.relative_to(HERE)) for p in have], "status": "ok"}
    return out


def machine(threads: int | None = None) -> dict:
    """The machine, threads, load and library versions the numbers were taken with."""
    import numpy
    import scipy

    from . import kernels
    cpu = platform.processor()
    try:
        for ln in Path("/proc/cpuinfo").read_text().splitlines():
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {"python": platform.python_version(), "numpy": numpy.__version__, "scipy": scipy.__version__}
    n = threads or kernels.WORKERS
    threads = {"per backend (NumPy/SciPy FFT workers, OMP/MKL/OpenBLAS, XLA Eigen pool)": n}
    # distribution metadata, not imports: the report process need not load torch or jax
    from importlib.metadata import PackageNotFoundError, version
    for dist in ("jax", "jaxlib", "torch", "matplotlib", "hpcir"):
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:
            versions[dist] = "not installed"
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(), "load_average": load,
            "threads": threads, "versions": versions}


def build(cfg: Config, runs: list[dict], order: list[str], ctable: str, repeats: int, threads: int | None = None) -> dict:
    """The report.json dict."""
    return {"config": cfg.source, "box": list(cfg.box), "ctable": ctable, "repeats": repeats, "threads": threads,
            "backends": order, "machine": machine(threads), "runs": runs, "lines_of_code": lines_of_code(),
            "unavailable": {name: BACKENDS[name].unavailable() for name in order if BACKENDS[name].unavailable()}}


def _f(x, fmt: str = ".4f", none: str = "–") -> str:
    return none if x is None else format(x, fmt)


def _short(status: str) -> str:
    """A table cell: `ok`, or `skipped` / `failed` pointing at the list with the reason."""
    return status if status == "ok" else status.split(":")[0] + " (reason below)"


def _speedup(run: dict, ref: dict | None, key: str) -> str:
    if ref is None or run.get(key) is None or not ref.get(key):
        return "–"
    return f"{ref[key] / run[key]:.2f}×"


def markdown(rep: dict) -> str:
    """report.md: machine, then the tables of issue 13."""
    m = rep["machine"]
    out = [f"# MDFT backend comparison — `{rep['config']}`", "",
           f"Machine: {m['cpu']}, {m['cores']} cores, {m['platform']}; load average at the end "
           f"{', '.join(f'{x:.2f}' for x in m['load_average'] or [])}.",
           "Threads: " + ", ".join(f"{k} {v}" for k, v in m["threads"].items()) + ".",
           "Versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + ".",
           f"c-table: {rep['ctable']} (Tier B runs); timings are medians of {rep['repeats']} calls; "
           "speed-ups are against numpy on the same case.", ""]
    runs = rep["runs"]
    refs = {(r["nodes"], r["mmax"]): r for r in runs if r["backend"] == "numpy" and r["status"] == "ok"}
    ok = [r for r in runs if r["status"] == "ok"]
    out += ["## Time per evaluation and per minimisation", "",
            "| backend | nodes | mmax | s per F+dF | speed-up | minimisation s | speed-up | evaluations | iterations | F_min kJ/mol | status |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        ref = refs.get((r["nodes"], r["mmax"]))
        out.append(f"| {r['backend']} | {r['nodes']}³ | {r['mmax']} | {_f(r['seconds_per_eval'])} | "
                   f"{_speedup(r, ref, 'seconds_per_eval')} | {_f(r['minimisation_seconds'], '.2f')} | "
                   f"{_speedup(r, ref, 'minimisation_seconds')} | {_f(r['evaluations'], 'd')} | "
                   f"{_f(r.get('iterations'), 'd')} | {_f(r['free_energy'], '.8f')} | {_short(r['status'])} |")
    names = KERNELS_B if any(r["mmax"] for r in ok) else KERNELS_A
    allnames = list(dict.fromkeys(list(KERNELS_B) + list(KERNELS_A)))
    used = [n for n in allnames if any(n in r["kernel_seconds"] for r in ok)] or list(names)
    out += ["", "## Per-kernel times (s, median; each kernel synchronised and timed on its own)", "",
            "| backend | nodes | mmax | " + " | ".join(used) + " |", "|---|---|---|" + "---|" * len(used)]
    for r in ok:
        out.append(f"| {r['backend']} | {r['nodes']}³ | {r['mmax']} | "
                   + " | ".join(_f(r["kernel_seconds"].get(n), ".5f") for n in used) + " |")
    out += ["", "## Agreement with numpy (fp64)", "",
            "Required: F and dF/dxi at the fixed xi (the initial guess) to 1e-10 relative; F_min to 1e-8 "
            "relative with the number of iterations within ±2.", "",
            "| backend | nodes | mmax | F rel. error (fixed xi) | dF/dxi rel. error (max-norm) | F_min rel. error | iterations − numpy's |",
            "|---|---|---|---|---|---|---|"]
    for r in ok:
        out.append(f"| {r['backend']} | {r['nodes']}³ | {r['mmax']} | {_f(r.get('free_energy_rel_error'), '.1e')} | "
                   f"{_f(r.get('grad_rel_error'), '.1e')} | {_f(r.get('free_energy_min_rel_error'), '.1e')} | "
                   f"{_f(r.get('iterations_delta'), '+d')} |")
    out += ["", "## Build / JIT time and peak memory", "",
            "Build: backend construction plus the first F+dF (JIT tracing and compilation included). "
            "Peak memory: the run's own process (setup, tables and minimisation), max RSS.", "",
            "| backend | nodes | mmax | build s | setup s (shared NumPy setup) | peak memory MiB |", "|---|---|---|---|---|---|"]
    for r in ok:
        out.append(f"| {r['backend']} | {r['nodes']}³ | {r['mmax']} | {_f(r['build_seconds'], '.2f')} | "
                   f"{_f(r.get('setup_seconds'), '.2f')} | {_f(r['peak_memory_bytes'] and r['peak_memory_bytes'] / 2**20, '.0f')} |")
    out += ["", "## Lines of code per approach (non-blank, non-comment, no docstrings)", "",
            "| approach | lines | files |", "|---|---|---|"]
    for name, loc in rep["lines_of_code"].items():
        out.append(f"| {name} | {loc['lines'] if loc['lines'] is not None else loc['status']} | "
                   f"{', '.join(loc['files'])} |")
    missing = dict.fromkeys((r["backend"], r["status"]) for r in runs if r["status"] != "ok")
    if missing:
        out += ["", "## Runs that did not run or did not agree", ""]
        out += [f"- `{name}`: {status}" for name, status in missing]
    out += ["", "## Plots", ""]
    out += [f"![{p}]({p})" for p in rep.get("plots", [])] or [rep.get("plots_note", "none")]
    return "\n".join(out) + "\n"


def plots(rep: dict, outdir: Path) -> tuple[list[str], str]:
    """time_per_eval.png and kernels.png; ([], why) without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return [], "plots not written: matplotlib is not installed (pip install 'hpcir[mdft]')"
    ok = [r for r in rep["runs"] if r["status"] == "ok"]
    if not ok:
        return [], "plots not written: no run succeeded"
    fig, ax = plt.subplots(figsize=(6, 4))
    for backend in dict.fromkeys(r["backend"] for r in ok):
        for mmax in sorted({r["mmax"] for r in ok}):
            pts = sorted((r["nodes"], r["seconds_per_eval"]) for r in ok if r["backend"] == backend and r["mmax"] == mmax)
            if pts:
                ax.plot(*zip(*pts), marker="o", label=f"{backend}, mmax {mmax}")
    ax.set_xlabel("grid nodes per axis")
    ax.set_ylabel("s per F + dF/dxi (median)")
    ax.set_yscale("log")
    ax.legend(fontsize=7)
    ax.set_title("MDFT: time per evaluation")
    fig.tight_layout()
    fig.savefig(outdir / "time_per_eval.png", dpi=100)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(7, 4))
    labels = [f"{r['backend']}\n{r['nodes']}³ m{r['mmax']}" for r in ok]
    names = list(dict.fromkeys(n for r in ok for n in r["kernel_seconds"]))
    bottom = [0.0] * len(ok)
    for name in names:
        vals = [r["kernel_seconds"].get(name, 0.0) for r in ok]
        ax.bar(labels, vals, bottom=bottom, label=name)
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax.set_ylabel("s (median per kernel)")
    ax.set_title("MDFT: per-kernel breakdown")
    ax.tick_params(axis="x", labelsize=6)
    ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(outdir / "kernels.png", dpi=100)
    plt.close(fig)
    return ["time_per_eval.png", "kernels.png"], ""


def write(rep: dict, outdir: Path) -> None:
    """report.json, the plots and report.md into `outdir`."""
    rep["plots"], note = plots(rep, outdir)
    if note:
        rep["plots_note"] = note
    (outdir / "report.json").write_text(json.dumps(rep, indent=1))
    (outdir / "report.md").write_text(markdown(rep))
