"""The stencil frontend: `@hpcir.stencil` functions → xDSL `stencil` dialect → L2 loops."""
