"""Matrix-vector product y = A x with hierarchical parallelism (Kokkos TeamPolicy).

One team per row: the league has `rows` teams (`team.league_rank()` is the row), the threads of a
team split the row's dot product with a nested parallel_reduce over TeamThreadRange, and one thread
per team writes the result (`single(PerTeam(team), ...)`). A team kernel with an accumulator is a
reduction over the whole league: `sum_of_rows` adds one value per team (here sum(A @ x)). Both are
compared with NumPy's A @ x.

    python examples/team_matvec.py
"""
import numpy as np

import hpcir


@hpcir.kernel
def matvec(team: hpcir.TeamMember, a: hpcir.View2D[float], x: hpcir.View1D[float], y: hpcir.View1D[float]):
    row = team.league_rank()

    def dot(j: int, s: hpcir.Acc[float]):
        s += a[row, j] * x[j]

    total = hpcir.parallel_reduce(hpcir.TeamThreadRange(team, a.extent(1)), dot)

    def store():
        y[row] = total

    hpcir.single(hpcir.PerTeam(team), store)


@hpcir.kernel
def sum_of_rows(team: hpcir.TeamMember, acc: hpcir.Acc[float], a: hpcir.View2D[float], x: hpcir.View1D[float]):
    row = team.league_rank()

    def dot(j: int, s: hpcir.Acc[float]):
        s += a[row, j] * x[j]

    total = hpcir.parallel_reduce(hpcir.TeamThreadRange(team, a.extent(1)), dot)
    if team.team_rank() == 0:  # one contribution per team
        acc += total


def main() -> int:
    rng = np.random.default_rng(2)
    rows, cols = 300, 257
    a = rng.normal(size=(rows, cols))
    x = rng.normal(size=cols)
    y = np.zeros(rows)

    hpcir.parallel_for(hpcir.TeamPolicy(rows, hpcir.AUTO), matvec, a=a, x=x, y=y)
    s = hpcir.parallel_reduce(hpcir.TeamPolicy(rows, hpcir.AUTO), sum_of_rows, a=a, x=x)

    ref = a @ x
    err = float(np.abs(y - ref).max())
    ok = err < 1e-10 and abs(s - ref.sum()) < 1e-8
    print(f"team_matvec: {rows}x{cols} on {hpcir.default_target()} with TeamPolicy({rows}, AUTO): "
          f"max |y - A@x| = {err:.1e}, sum(y) = {s:.6f} (numpy {ref.sum():.6f}) -> {'OK' if ok else 'MISMATCH'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
