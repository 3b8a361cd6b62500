"""Prefix sums with hpcir.parallel_scan, and a stream compaction built on one.

A scan kernel takes (index, accumulator, final flag, arguments...). Kokkos may call it twice per
index: the accumulator arrives holding the sum of everything before i (the exclusive prefix), and
`final` is True on the pass whose values are to be stored. Writing after `acc += ...` gives the
inclusive scan, writing before it the exclusive one. parallel_scan returns the grand total.

The compaction keeps the positive entries of x in order: an exclusive scan of the 0/1 flags gives
each kept entry its output position, and its total is the output length.

    python examples/prefix_sum.py
"""
import numpy as np

import hpcir


@hpcir.kernel
def inclusive(i: int, acc: hpcir.Acc[float], final: bool, x: hpcir.View1D[float], out: hpcir.View1D[float]):
    acc += x[i]
    if final:
        out[i] = acc


@hpcir.kernel
def exclusive_count(i: int, acc: hpcir.Acc[int], final: bool, x: hpcir.View1D[float],
                    pos: hpcir.View1D[int]):
    if final:
        pos[i] = acc
    if x[i] > 0.0:
        acc += 1


@hpcir.kernel
def scatter(i: int, x: hpcir.View1D[float], pos: hpcir.View1D[int], out: hpcir.View1D[float]):
    if x[i] > 0.0:
        out[pos[i]] = x[i]


def main() -> int:
    rng = np.random.default_rng(1)
    n = 100_000
    x = rng.normal(size=n)

    csum = np.zeros(n)
    total = hpcir.parallel_scan(n, inclusive, x=x, out=csum)

    pos = np.zeros(n, dtype=np.int64)
    kept = hpcir.parallel_scan(n, exclusive_count, x=x, pos=pos)
    packed = np.zeros(kept)
    hpcir.parallel_for(n, scatter, x=x, pos=pos, out=packed)

    ok = (np.allclose(csum, np.cumsum(x), rtol=1e-9, atol=1e-9) and abs(total - x.sum()) < 1e-8
          and isinstance(kept, int) and np.array_equal(packed, x[x > 0.0]))
    print(f"prefix_sum: n = {n} on {hpcir.default_target()}: inclusive scan total {total:.6f} "
          f"(numpy {x.sum():.6f}), compaction kept {kept} of {n} (numpy {(x > 0).sum()}) -> "
          f"{'OK' if ok else 'MISMATCH'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
