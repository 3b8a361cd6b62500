"""Graph programs on Kokkos targets: the Python callable around a compiled graph entry.

Lowering is not done here: the graph L1 -> L2 steps are registered passes (graph-lift-constants,
graph-reshapes-to-copies, graph-bufferize, graph-results-to-out-params) that the driver
(`hpcir.graph_dispatch`) runs before the shared L2 -> L3 pipeline, the Kokkos C++ emitter and the
build. What is left is runtime glue: the built entry takes `(inputs..., weights..., lifted
constants..., outputs...)` as views, and `graph_callable` makes it callable like the original
function (numpy / CPU torch arrays in, numpy arrays out, weights and constants bound).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from hpcir.dialects.graph_program import GraphProgram
from hpcir.dialects.graph_types import np_dtype


def graph_callable(entry: Callable[..., Any], prog: GraphProgram, target: str, constants: Sequence[np.ndarray],
                   bind_weights: bool = True) -> Callable[..., Any]:
    """Wrap a compiled host-program entry of prog: allocate its output views, bind weights and constants."""
    f = prog.func
    out_specs = [(tuple(r.get_shape()), np_dtype(r.get_element_type())) for r in f.function_type.outputs.data]
    weights = [_contiguous(prog.weights[n]) for n in prog.weight_names] if bind_weights else []
    consts = [_contiguous(c) for c in constants]

    def run(*inputs):
        arrays = [_contiguous(_to_numpy(a)) for a in inputs] + weights + consts
        outs = [np.empty(s, dtype=d) for s, d in out_specs]
        entry(*arrays, *outs)
        return outs[0] if prog.single_output and len(outs) == 1 else tuple(outs)

    run.__name__ = prog.name
    run.__doc__ = f"{prog.name} compiled for Kokkos target {target!r} (inputs: {', '.join(prog.input_names)})."
    return run


def _contiguous(a) -> np.ndarray:
    # not np.ascontiguousarray: it turns 0-d arrays (loop counters, scalar carries) into 1-d ones
    return np.asarray(a, order="C")


def _to_numpy(a) -> np.ndarray:
    if hasattr(a, "detach"):  # torch tensor
        return a.detach().cpu().numpy()
    return np.asarray(a)
