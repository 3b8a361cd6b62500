"""Timing statistics, interleaved measurement rounds and a description of the machine."""
from __future__ import annotations

import datetime
import os
import platform
import random
import statistics
import subprocess
import time
from pathlib import Path
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Samples:
    """Seconds measured for one variant, with the summary statistics the tables print."""

    name: str
    seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        """Median of the samples (seconds)."""
        return statistics.median(self.seconds)

    @property
    def best(self) -> float:
        """Fastest sample (seconds): the least disturbed run on a shared machine."""
        return min(self.seconds)

    @property
    def spread(self) -> float:
        """Interquartile range over the median: how noisy this variant's runs were."""
        if len(self.seconds) < 4:
            return (max(self.seconds) - min(self.seconds)) / self.median if self.median else 0.0
        q = statistics.quantiles(self.seconds, n=4)
        return (q[2] - q[0]) / self.median if self.median else 0.0

    def as_dict(self, samples: bool = True) -> dict:
        """JSON-ready summary (with every sample unless `samples` is False)."""
        d = {"median_s": self.median, "best_s": self.best, "iqr_over_median": self.spread,
             "n": len(self.seconds)}
        return d | {"samples_s": self.seconds} if samples else d


def interleaved(variants: dict[str, Callable[[], float | None]], warmup: int,
                reps: int, before: Callable[[], object] | None = None) -> dict[str, Samples]:
    """Run every variant once per round, `warmup` discarded rounds then `reps` measured ones.

    A variant returns its own time in seconds (measured inside C++) or None to be timed here
    with perf_counter. Rounds spread slow drifts of a shared machine's load over all variants
    instead of penalising whichever ran last, and each round runs the variants in a new
    (seeded) random order: a variant that always followed the same one would inherit its
    after-effects (e.g. another runtime's threads still spinning, or its caches evicted).
    `before` runs, untimed, before each variant: every variant then starts from the same state
    (e.g. OpenMP threads awake).
    """
    out = {name: Samples(name) for name in variants}
    order = list(variants.items())
    rng = random.Random(20261122)
    for r in range(warmup + reps):
        rng.shuffle(order)
        for name, fn in order:
            if before is not None:
                before()
            t0 = time.perf_counter()
            inner = fn()
            elapsed = time.perf_counter() - t0
            if r >= warmup:
                out[name].seconds.append(inner if inner is not None else elapsed)
    return out


def repeat_calls(fn: Callable[[], object], calls: int, warmup: int = 20) -> Samples:
    """Per-call time of `fn` over `calls` calls, each timed separately (for microsecond overheads)."""
    for _ in range(warmup):
        fn()
    s = Samples(getattr(fn, "__name__", "call"))
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        s.seconds.append(time.perf_counter() - t0)
    return s


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total_gib() -> float:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def load_average() -> tuple[float, float, float]:
    """The 1/5/15-minute load averages (how busy the shared machine was)."""
    try:
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3


def _lscpu_field(name: str) -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
    for line in out.splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    return ""


def machine_info() -> dict:
    """CPU model, cores, memory, OS, Python/NumPy versions, OpenMP settings and the date."""
    import numpy as np
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "l3_cache": _lscpu_field("L3 cache"),
        "memory_gib": round(_mem_total_gib(), 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", ""),
        "OMP_PROC_BIND": os.environ.get("OMP_PROC_BIND", ""),
        "OMP_PLACES": os.environ.get("OMP_PLACES", ""),
    }


def finish_run(out: dict, info: dict, json_path: "Path | None", disturbed: str) -> int:
    """Common end of a benchmark run: the load after it, and the JSON of every number if asked."""
    import json
    out["load_after"] = load_average()
    print(f"Load average after: {' '.join(f'{x:.2f}' for x in out['load_after'])} "
          f"(on {info['logical_cpus']} logical CPUs; {disturbed})")
    if json_path:
        json_path.write_text(json.dumps(out, indent=2, default=str))
    return 0
