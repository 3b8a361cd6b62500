"""Histogram with atomics: many iterations increment the same bin, so the update must be atomic.

`hpcir.atomic_add(view, [index], value)` is Kokkos::atomic_add; `atomic_max` / `atomic_min` keep
the extremes in one-element views, and `atomic_fetch_add` returns the value before the update
(here: each sample above the threshold claims a slot in a packed output, in some order). Checked
against np.histogram, np.max / np.min and a set comparison.

    python examples/histogram_atomics.py
"""
import numpy as np

import hpcir


@hpcir.kernel
def histogram(i: int, lo: float, width: float, x: hpcir.View1D[float], counts: hpcir.View1D[int]):
    b = int((x[i] - lo) / width)
    b = min(max(b, 0), counts.extent(0) - 1)  # the top edge belongs to the last bin, as in numpy
    hpcir.atomic_add(counts, [b], 1)


@hpcir.kernel
def extremes(i: int, x: hpcir.View1D[float], hi: hpcir.View1D[float], lo: hpcir.View1D[float]):
    hpcir.atomic_max(hi, [0], x[i])
    hpcir.atomic_min(lo, [0], x[i])


@hpcir.kernel
def select_above(i: int, t: float, x: hpcir.View1D[float], n_out: hpcir.View1D[int],
                 out: hpcir.View1D[float]):
    if x[i] > t:
        slot = hpcir.atomic_fetch_add(n_out, [0], 1)
        out[slot] = x[i]


def main() -> int:
    rng = np.random.default_rng(0)
    x = rng.normal(size=200_000)
    nbins, lo, hi = 32, float(x.min()), float(x.max())
    width = (hi - lo) / nbins

    counts = np.zeros(nbins, dtype=np.int64)
    hpcir.parallel_for(len(x), histogram, lo=lo, width=width, x=x, counts=counts)
    ref, _ = np.histogram(x, bins=nbins, range=(lo, hi))

    top, bottom = np.array([-np.inf]), np.array([np.inf])
    hpcir.parallel_for(len(x), extremes, x=x, hi=top, lo=bottom)

    n_out, out = np.zeros(1, dtype=np.int64), np.zeros(len(x))
    hpcir.parallel_for(len(x), select_above, t=2.0, x=x, n_out=n_out, out=out)
    picked = np.sort(out[:n_out[0]])  # atomics give the slots in a nondeterministic order

    ok = (np.array_equal(counts, ref) and counts.sum() == len(x) and top[0] == x.max() and bottom[0] == x.min()
          and np.array_equal(picked, np.sort(x[x > 2.0])))
    print(f"histogram_atomics: {len(x)} samples into {nbins} bins on {hpcir.default_target()}: "
          f"counts {'==' if np.array_equal(counts, ref) else '!='} np.histogram, max/min {top[0]:.4f}/"
          f"{bottom[0]:.4f}, {n_out[0]} samples > 2 selected -> {'OK' if ok else 'MISMATCH'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
