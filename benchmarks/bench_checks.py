"""What the integer-division checks cost (issue 15 item 4): the same kernels as generated before and
after the change, built with the same compiler, flags and Kokkos, loaded into one process and timed
side by side (each C entry called from C++, rounds interleaved in a new random order each time).

    python benchmarks/bench_checks.py                    # before = --before (the commit before items 2-4)
    python benchmarks/bench_checks.py --quick --json out.json

Kernels: the spine's STREAM triad and 3-D 7-point Jacobi (no integer division: their checks cost
nothing by construction, the script also says whether their generated C++ changed at all), and a
triad that indexes with a run-time integer divisor, `c[(i // m) * m + i % m]`: two checked
divisions per element, the worst case of a memory-bound kernel.

The "before" sources come from a subprocess importing hpcir from `git archive <before>` (a folder
laid out as the editable install maps it); the build, the load and the timing use this tree's hpcir.
See benchmarks/RESULTS.md ("Run-time checks").
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

BEFORE = "4b8315d"  # the last commit before issue 15 items 2-4 (float //, %; max/min; checks)
MAPPED = ("dialects", "passes", "frontends", "backends", "mdft_case")


import hpcir  # noqa: E402  (the tree's hpcir: this one, or the "before" one in the subprocess)


def triad_divmod_fn(i: int, s: float, m: int, a: hpcir.View1D[float], b: hpcir.View1D[float],
                    c: hpcir.View1D[float]):
    a[i] = b[i] + s * c[(i // m) * m + i % m]


def _kernels(n_triad: int, n_jacobi: int):
    """(label, kernel, policy, arguments) of every benchmarked launch."""
    import numpy as np
    import spine_kernels as K
    rng = np.random.default_rng(0)
    a, b, c = np.zeros(n_triad), rng.random(n_triad), rng.random(n_triad)
    u, out = rng.random((n_jacobi,) * 3), np.zeros((n_jacobi,) * 3)
    divmod_k = hpcir.kernel(triad_divmod_fn, name="triad_divmod")
    return [("triad", K.triad, K.range_policy(n_triad), dict(s=3.0, a=a, b=b, c=c)),
            ("jacobi", K.jacobi, K.jacobi_policy(n_jacobi), dict(c0=K.JACOBI_C0, c1=K.JACOBI_C1, u=u, out=out)),
            ("triad_divmod", divmod_k, K.range_policy(n_triad), dict(s=3.0, m=1000, a=a, b=b, c=c))]


def emit_sources(suffix: str) -> dict:
    """{label: {"lib": name, "entry": name, "files": {file: text}}} of the current hpcir import."""
    from hpcir.api import build_module, emit_cpp, lower_to_l3
    from hpcir.frontends.python.policies import MDRangePolicy
    from hpcir.frontends.python.signature import bind_launch
    out = {}
    for label, kern, policy, args in _kernels(64, 8):
        shape = "mdrange" if isinstance(policy, MDRangePolicy) else "range"
        rank = policy.rank if isinstance(policy, MDRangePolicy) else 1
        spec, _ = bind_launch(kern, "for", shape, rank, args, None)
        spec.name = f"{kern.name}_for"
        lib = f"bench_{label}_{suffix}"
        sources = emit_cpp(lower_to_l3(build_module([spec], "cpu"), "cpu"), "cpu", lib)
        out[label] = {"lib": lib, "entry": spec.name, "files": dict(sources)}
    return out


def before_sources(rev: str) -> dict:
    """The sources hpcir at `rev` generates, from a subprocess importing that hpcir."""
    with tempfile.TemporaryDirectory(prefix="hpcir-before-") as tmp:
        tree, farm = Path(tmp, "tree"), Path(tmp, "farm")
        tree.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        (farm / "hpcir").mkdir(parents=True)  # the editable install's layout: hpcir.<folder> = <folder>/
        for entry in (tree / "hpcir").iterdir():
            (farm / "hpcir" / entry.name).symlink_to(entry)
        for name in MAPPED:
            (farm / "hpcir" / name).symlink_to(tree / name)
        out = Path(tmp, "sources.json")
        env = dict(os.environ, PYTHONPATH=str(farm))
        code = (f"import sys, json; sys.path.insert(0, {str(HERE)!r}); import hpcir, bench_checks as B; "
                f"assert hpcir.__file__.startswith({str(farm)!r}), hpcir.__file__; "
                f"json.dump(B.emit_sources('before'), open({str(out)!r}, 'w'))")
        subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=tmp)
        return json.loads(out.read_text())


def _functors(files: dict, lib: str) -> str:
    """The module's .cpp without its name (to compare the kernels' code across versions)."""
    return files[f"{lib}.cpp"].replace(lib, "MODULE")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--before", default=BEFORE, help=f"git revision of the 'before' code (default {BEFORE})")
    p.add_argument("--quick", action="store_true", help="triad 2^22, Jacobi 128³, 7 rounds")
    p.add_argument("--reps", type=int, default=None, help="measured rounds (default 21, quick 7)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--triad-log2", type=int, default=None, help="triad length 2^N (default 25, quick 22)")
    p.add_argument("--jacobi-n", type=int, default=None, help="Jacobi grid edge (default 256, quick 128)")
    p.add_argument("--json", type=Path, default=None)
    a = p.parse_args(argv)
    n_triad = 2 ** (a.triad_log2 or (22 if a.quick else 25))
    n_jacobi = a.jacobi_n or (128 if a.quick else 256)
    reps = a.reps or (7 if a.quick else 21)

    import numpy as np
    import spine_kernels as K
    from bench_util import interleaved, load_average, machine_info
    from spine_handwritten import HandWritten
    from hpcir.backends.build import build_shared_library
    from hpcir.backends.runtime import load_module
    from hpcir.backends.toolchain.kokkos_build import ensure_kokkos
    from hpcir.core.targets import get_target

    info = machine_info()
    load0 = load_average()
    srcs = {"before": before_sources(a.before), "after": emit_sources("after")}
    # An A/A control: the "before" sources again under another module name (another library, the
    # same code), to see what two builds of identical kernels measure apart on this machine.
    srcs["before copy"] = {k: {"lib": v["lib"] + "_copy", "entry": v["entry"],
                               "files": {f.replace(v["lib"], v["lib"] + "_copy"): t.replace(v["lib"], v["lib"] + "_copy")
                                         for f, t in v["files"].items()}} for k, v in srcs["before"].items()}
    hpcir.parallel_for(K.range_policy(1), K.touch, x=np.zeros(1))  # Kokkos up, by an hpcir module
    hw = HandWritten()
    install = ensure_kokkos("cpu")
    launches = _kernels(n_triad, n_jacobi)
    variants, same_code, checks = {}, {}, {}
    for label, kern, policy, args in launches:
        for when in ("before", "before copy", "after"):
            s = srcs[when][label]
            mod = load_module(build_shared_library(s["files"], get_target("cpu"), install, s["lib"]))
            raw = K.RawEntry(mod, s["entry"], K._bounds(policy) + list(args.values()))
            checks[(label, when)] = "check_flag" in s["files"][f"{s['lib']}.cpp"]
            out_name = "out" if label == "jacobi" else "a"
            args[out_name][...] = 0.0
            hw.entry_timed(raw)  # computes the right thing before it is timed
            want = np.zeros_like(args["u"]) if label == "jacobi" else args["b"] + 3.0 * args["c"]
            if label == "jacobi":
                K.numpy_jacobi(args["u"], want)
            if not np.allclose(args[out_name], want):
                raise SystemExit(f"{label} ({when}) computed something else")
            variants[f"{label} {when}"] = (lambda r=raw: hw.entry_timed(r)[0])
        same_code[label] = _functors(srcs["before"][label]["files"], srcs["before"][label]["lib"]) == \
            _functors(srcs["after"][label]["files"], srcs["after"][label]["lib"])
    res = interleaved(variants, a.warmup, reps, before=lambda: hw.touch(np.zeros(1)))
    load1 = load_average()

    print(f"# Run-time checks: before ({a.before}) vs after, {reps} interleaved rounds ({info['date_utc']})\n")
    print(f"- machine: {info['cpu']}, {info['logical_cpus']} logical CPUs, Kokkos threads {hw.concurrency}; "
          f"load average before {' '.join(f'{x:.2f}' for x in load0)}, after {' '.join(f'{x:.2f}' for x in load1)}")
    print(f"- sizes: triad 2^{n_triad.bit_length() - 1} doubles, Jacobi {n_jacobi}³\n")
    print("Paired: the median over rounds of (after / before) measured in the same round, which cancels the\n"
          "machine's slow drifts; A/A: the same for a second library built from the 'before' sources.\n")
    print("| kernel | checks after | same C++ | before ms (median) | after ms (median) | after / before (medians) | "
          "after / before (paired) | A/A (paired) |")
    print("|---|---|---|---|---|---|---|---|")
    rows = {}
    for label, *_ in launches:
        b, f, c = res[f"{label} before"], res[f"{label} after"], res[f"{label} before copy"]
        paired = statistics.median(x / y for x, y in zip(f.seconds, b.seconds))
        control = statistics.median(x / y for x, y in zip(c.seconds, b.seconds))
        rows[label] = {"before": b.as_dict(), "after": f.as_dict(), "before_copy": c.as_dict(),
                       "ratio_median": f.median / b.median, "ratio_paired": paired, "control_paired": control,
                       "same_cpp": same_code[label], "checks_after": checks[(label, "after")]}
        print(f"| {label} | {'yes' if checks[(label, 'after')] else 'none'} | {'yes' if same_code[label] else 'no'} | "
              f"{b.median * 1e3:.2f} | {f.median * 1e3:.2f} | {f.median / b.median:.3f} | {paired:.3f} | "
              f"{control:.3f} |")
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps({"machine": info, "load_before": load0, "load_after": load1, "reps": reps,
                                      "before": a.before, "kernels": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
