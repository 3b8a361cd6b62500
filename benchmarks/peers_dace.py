"""DaCe side of benchmarks/peers.py: the three stencils as @dace.program (NumPy syntax), simplified
and auto-optimised for the CPU (what DaCe's docs advise for performance), on C-order NumPy arrays."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np


def versions() -> str:
    """dace's version (raises ImportError when it is not installed)."""
    import dace
    return dace.__version__


def prepare(case: Any, data: dict[str, np.ndarray], cache_dir: str
            ) -> tuple[Callable[[], None], Callable[[], np.ndarray], str]:
    """Build `case`: (timed call, output as (i, j, k), how it was optimised)."""
    import dace
    from dace.transformation.auto.auto_optimize import auto_optimize

    import peers_dace_defs as defs

    dace.config.Config.set("default_build_folder", value=cache_dir)
    program = {"hdiff2d": defs.hdiff2d, "hdiff3d": defs.hdiff3d, "jacobi": defs.jacobi}[case.key]
    sdfg = program.to_sdfg(simplify=True)
    sdfg.name = f"peers_{case.key}"
    how = "auto_optimize(CPU)"
    try:
        sdfg = auto_optimize(sdfg, dace.DeviceType.CPU)
    except Exception as err:  # noqa: BLE001 (DaCe raises many kinds): fall back, and say so in the table
        sdfg = program.to_sdfg(simplify=True)
        how = f"simplify only (auto_optimize failed: {type(err).__name__})"
    compiled = sdfg.compile()
    arrays = {k: np.ascontiguousarray(v) for k, v in data.items()}
    out = np.zeros(case.shape)
    symbols = dict(zip(("N", "M", "K"), case.shape))
    kwargs = {**arrays, "out": out, **case.scalars, **symbols}
    compiled(**kwargs)

    def call() -> None:
        compiled(**kwargs)

    return call, lambda: out, how
