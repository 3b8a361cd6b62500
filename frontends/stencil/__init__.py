"""The stencil frontend: `@hpcir.stencil` functions → xDSL `stencil` dialect → L2 loops.

- field.py: the `Field[dtype, rank]` annotation (float32/float64, 1 to 3 dimensions);
- parse.py: Python AST → one `stencil.apply` per statement (located HpcirErrors for bad input);
- lower.py: xDSL's shape inference, (optional) inlining and `convert-stencil-to-ll-mlir`, then the
  rewrite of its static sentinel shapes into an L2 entry whose domain bounds are arguments.

The JAX / Torch array code is written from the stencil level by backends/stencil_array_emitter.py;
the user-facing object lives in hpcir/stencil_api.py.
"""
