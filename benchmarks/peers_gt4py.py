"""GT4Py (gt4py.cartesian) side of benchmarks/peers.py: the three stencils in gtscript, built for one
CPU backend, on that backend's own storage (gt4py.storage), as a GT4Py user runs them."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

BACKENDS = ("gt:cpu_ifirst", "gt:cpu_kfirst", "dace:cpu")


def versions() -> str:
    """gt4py's version (raises ImportError when it is not installed)."""
    import gt4py
    return gt4py.__version__


def prepare(case: Any, backend: str, data: dict[str, np.ndarray], cache_dir: str
            ) -> tuple[Callable[[], None], Callable[[], np.ndarray], str]:
    """Build `case` for `backend`: (timed call, output as (i, j, k), storage strides in elements)."""
    import gt4py.cartesian.config as gt_config
    import gt4py.storage as gs
    from gt4py.cartesian import gtscript

    gt_config.cache_settings["root_path"] = cache_dir
    cxx = gt_config.build_settings["extra_compile_args"]["cxx"]
    # GT4Py compiles its bindings with -std=c++17; DaCe 2's runtime headers need C++20 (std::bit_cast),
    # and a later -std wins.
    cxx[:] = [f for f in cxx if f != "-std=c++20"] + (["-std=c++20"] if backend.startswith("dace") else [])
    import peers_gt4py_defs as defs
    definition = defs.jacobi if case.key == "jacobi" else defs.hdiff
    st = gtscript.stencil(backend=backend, definition=definition, name=f"peers_{case.key}_{definition.__name__}")
    flat = case.shape if len(case.shape) == 3 else (*case.shape, 1)   # GT4Py fields are 3-D: 2-D is nz = 1
    halo = case.halo if len(case.halo) == 3 else (*case.halo, 0)
    fields = {k: gs.from_array(v.reshape(flat), backend=backend, aligned_index=halo) for k, v in data.items()}
    out = gs.zeros(flat, float, backend=backend, aligned_index=halo)
    origin = halo
    domain = tuple(n - 2 * h for n, h in zip(flat, halo))
    kwargs = {**fields, "out": out, **case.scalars}
    st(**kwargs, origin=origin, domain=domain)                       # validated once
    strides = "(" + ", ".join(str(s // out.itemsize) for s in out.strides) + ")"

    def call() -> None:
        st(**kwargs, origin=origin, domain=domain, validate_args=False)

    return call, lambda: np.asarray(out).reshape(case.shape), strides
