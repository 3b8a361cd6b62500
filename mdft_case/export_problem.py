"""`python -m hpcir.mdft_case.export_problem CONFIG FILE`: the problem file of CONFIG's functional at its
initial xi (what mdft_kokkos_main of mdft_case/kokkos_cpp reads); prints numpy's F and |dF/dxi| there."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from .backends.base import problem_of
from .backends.kokkos_cpp_backend import write_problem
from .config import load
from .functional_orient import build_orient
from .run import build_scalar


def main(argv: list[str]) -> int:
    """Write the problem file; the numpy reference values go to stdout."""
    if len(argv) != 2:
        print(__doc__.split(":")[0].strip("` "), file=sys.stderr)
        return 2
    cfg = load(argv[0])
    func = build_scalar(cfg)[0] if cfg.mmax == 0 else build_orient(cfg)[0]
    xi = func.initial_xi()
    write_problem(Path(argv[1]), problem_of(func), xi)
    f, g = func.evaluate(xi)
    print(f"numpy: F = {f!r} kJ/mol, |grad F| = {float(np.linalg.norm(g))!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
