"""hpcir stencils against GT4Py's CPU backends and DaCe, in one process, on the same input data.

    OMP_NUM_THREADS=2 python benchmarks/peers.py [--reps 10] [--cases hdiff2d,hdiff3d,jacobi]
                                                 [--peers gt4py,dace] [--cache-dir DIR] [--json FILE]

Cases (issue 16): 2-D hdiff 4096², 3-D hdiff 256x256x64 and the 7-point Jacobi 256³, fp64. Every
tool's output is checked against NumPy before any timing (the script exits non-zero on a
mismatch). Timed calls are interleaved in rounds (bench_util.interleaved); the table gives medians
and each peer's speed relative to hpcir (hpcir time / peer time: below 1, the peer is slower).
Build / JIT time is the first call (build + one run), reported apart. A peer that is not installed
or fails to build is reported with the reason. GT4Py and DaCe build into --cache-dir (a fresh
temporary folder by default, so their build times are cold); hpcir uses its own cache.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).parent))


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2, help="OMP_NUM_THREADS for every tool (default 2)")
    p.add_argument("--cases", default="hdiff2d,hdiff3d,jacobi", help="comma-separated subset")
    p.add_argument("--n2d", type=int, default=4096, help="2-D hdiff edge (default 4096)")
    p.add_argument("--n3d", default="256,256,64", help="3-D hdiff ni,nj,nk (default 256,256,64)")
    p.add_argument("--njac", type=int, default=256, help="Jacobi edge (default 256)")
    p.add_argument("--reps", type=int, default=10, help="timed rounds (default 10)")
    p.add_argument("--warmup", type=int, default=2, help="discarded rounds (default 2)")
    p.add_argument("--peers", default="gt4py,dace", help="peers to run: gt4py, dace, or none")
    p.add_argument("--gt4py-backends", default="gt:cpu_ifirst,gt:cpu_kfirst,dace:cpu")
    p.add_argument("--cache-dir", type=Path, default=None, help="GT4Py / DaCe build folder (default: fresh)")
    p.add_argument("--json", type=Path, default=None, help="also write all numbers to this file")
    return p.parse_args(argv)


def _hpcir_builds() -> int:
    """Entries in hpcir's build cache (a first call that adds one built; otherwise it loaded)."""
    from hpcir.core.cache import cache_root
    return sum(1 for _ in (cache_root() / "builds").glob("*/*"))


def _hpcir_prepare(name: str, spec: tuple, case: Any, data: dict) -> tuple[Callable[[], None], Callable, str]:
    """Compile hpcir's variant, run it once; (timed call, output as (i, j, k), layout note)."""
    import numpy as np
    import hpcir
    st, store, view = spec
    arrays = {k: store(v) for k, v in data.items()}
    out = store(np.zeros(case.shape))
    values = {**arrays, "out": out, **case.scalars}
    args = [values[p.name] for p in st.sd.params]
    before = _hpcir_builds()
    compiled = hpcir.compile(st, target="cpu")
    compiled(*args)
    note = "built" if _hpcir_builds() > before else "from hpcir's cache"
    strides = "(" + ", ".join(str(s // out.itemsize) for s in out.strides) + ")"
    return (lambda: compiled(*args)), (lambda: view(out)), f"strides {strides}; {note}"


def _short(err: BaseException) -> str:
    """One line saying why a peer could not run."""
    text = f"{type(err).__name__}: {err}".strip().splitlines()
    line = next((ln for ln in text if "error" in ln.lower()), text[0] if text else type(err).__name__)
    return line[:200]


def _run_case(case: Any, a: argparse.Namespace, peers: list[str], cache: str) -> dict:
    """Build and check every tool on `case`, then time them interleaved; the case's results."""
    import peers_cases as C
    from bench_util import interleaved
    data = case.inputs()
    want = case.reference(*data.values())
    tools: dict[str, dict] = {}
    calls: dict[str, Callable[[], None]] = {}

    def add(name: str, kind: str, prepare: Callable[[], tuple]) -> None:
        t0 = time.perf_counter()
        here = os.getcwd()
        try:
            # GT4Py builds its extensions with setuptools in the working directory, which refuses a
            # folder holding a project (as the repository root does): build in the cache folder.
            os.chdir(cache)
            call, output, note = prepare()
        except (Exception, SystemExit) as err:  # noqa: BLE001 (a peer's failure is reported, not fatal;
            # setuptools ends a failed build with SystemExit)
            if kind == "hpcir":
                raise
            tools[name] = {"kind": kind, "error": _short(err)}
            print(f"  {name}: not run ({_short(err)})", flush=True)
            if os.environ.get("PEERS_TRACEBACK"):
                traceback.print_exc()
            return
        finally:
            os.chdir(here)
        build = time.perf_counter() - t0
        case.check(name, output(), want)    # exits on a mismatch
        tools[name] = {"kind": kind, "build_s": build, "note": note}
        calls[name] = call
        print(f"  {name}: built and checked in {build:.1f} s ({note})", flush=True)

    for name, spec in C.hpcir_variants(case).items():
        add(name, "hpcir", lambda spec=spec: _hpcir_prepare(name, spec, case, data))
    if "gt4py" in peers:
        import peers_gt4py as G
        for backend in a.gt4py_backends.split(","):
            add(f"GT4Py {backend}", "gt4py",
                lambda b=backend: (lambda c, o, s: (c, o, f"storage strides {s}"))(*G.prepare(case, b, data, cache)))
    if "dace" in peers:
        import peers_dace as D
        add("DaCe", "dace", lambda: D.prepare(case, data, cache))
    samples = interleaved(calls, a.warmup, a.reps)
    for name, s in samples.items():
        tools[name] |= s.as_dict()
    return {"title": case.title, "tools": tools}


def _versions(peers: list[str]) -> dict[str, str]:
    import numpy as np
    out = {"numpy": np.__version__}
    for peer, mod in (("gt4py", "peers_gt4py"), ("dace", "peers_dace")):
        if peer in peers:
            try:
                out[peer] = __import__(mod).versions()
            except ImportError as err:
                out[peer] = f"not installed ({err})"
    return out


def _print_case(res: dict) -> None:
    tools = res["tools"]
    timed = {k: v for k, v in tools.items() if "median_s" in v}
    hp = [k for k, v in timed.items() if v["kind"] == "hpcir"]
    ref = timed[hp[0]]["median_s"] if hp else float("nan")
    best = min((timed[k]["median_s"] for k in hp), default=float("nan"))
    print(f"\n### {res['title']}\n")
    # Speeds relative to hpcir: hpcir's median over the tool's (below 1: the tool is slower than hpcir).
    print(f"| tool | median ms | best ms | build/JIT s | speed vs {hp[0] if hp else 'hpcir'} "
          f"| speed vs hpcir's best layout | layout / notes |")
    print("|---|---|---|---|---|---|---|")
    for k, v in tools.items():
        if "median_s" not in v:
            print(f"| {k} | - | - | - | - | - | not run: {v['error']} |")
            continue
        m = v["median_s"]
        print(f"| {k} | {m * 1e3:.2f} | {v['best_s'] * 1e3:.2f} | {v['build_s']:.1f} | {ref / m:.2f} "
              f"| {best / m:.2f} | {v['note']} |")
    for kind, goal in (("gt4py", 1.5), ("dace", 2.0)):
        peer = [v["median_s"] for v in timed.values() if v["kind"] == kind]
        if peer and hp:
            lead, lead_best = min(peer) / ref, min(peer) / best
            res[f"hpcir_lead_over_{kind}"] = {"same_arrays": lead, "best_layout": lead_best}
            verdict = lambda x: "met" if x >= goal else "not met"  # noqa: E731
            print(f"\nhpcir's lead over the fastest {kind} (its median / hpcir's; goal >= {goal}x): "
                  f"{lead:.2f}x with {hp[0]} ({verdict(lead)}), {lead_best:.2f}x with hpcir's best layout "
                  f"({verdict(lead_best)})")


def main(argv: list[str] | None = None) -> int:
    """Build, check and time every tool on every case; print Markdown tables (and JSON with --json)."""
    a = _args(argv)
    os.environ["OMP_NUM_THREADS"] = str(a.threads)   # before any OpenMP runtime starts
    import peers_cases as C
    from bench_util import finish_run, load_average, machine_info
    peers = [p for p in a.peers.split(",") if p and p != "none"]
    n3d = tuple(int(x) for x in a.n3d.split(","))
    all_cases = C.cases(a.n2d, n3d, a.njac)   # type: ignore[arg-type]
    info = machine_info()
    out: dict = {"machine": info, "versions": _versions(peers), "load_before": load_average(),
                 "command": " ".join([Path(sys.executable).name, *sys.argv]), "cases": {}}
    print(f"# hpcir vs GT4Py / DaCe, fp64, {a.threads} threads, {a.reps} rounds ({info['date_utc']}, "
          f"{info['cpu']}, {info['logical_cpus']} CPUs)")
    print(f"versions: {out['versions']}; load before: {' '.join(f'{x:.2f}' for x in out['load_before'])}",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="hpcir-peers-") as tmp:
        cache = str((a.cache_dir or Path(tmp)).absolute())
        Path(cache).mkdir(parents=True, exist_ok=True)
        for key in a.cases.split(","):
            case = all_cases[key]
            print(f"\n{case.title}:", flush=True)
            res = out["cases"][key] = _run_case(case, a, peers, cache)
            _print_case(res)
    print()
    return finish_run(out, info, a.json, "a load above the thread count means the timings were disturbed")


if __name__ == "__main__":
    sys.exit(main())
