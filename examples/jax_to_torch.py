"""A JAX function emitted as PyTorch code and run by torch, compared with JAX.

hpcir.from_jax traces the function on example arguments (jax.make_jaxpr) into hpcir's L1 MLIR;
`weights=(1, 2, 3, 4)` marks those argument positions as weights. hpcir.compile(prog,
target="torch") generates a Python module of torch calls and returns a torch.nn.Module holding the
weights as buffers, called with the remaining inputs. hpcir.lower(prog, target="torch") shows the
generated source. The program is specialised to the example arguments' shapes and dtypes.

The hpcir.export line declares the same function for the command line:

    python examples/jax_to_torch.py                                 # needs the graph extra
    hpcir lower examples/jax_to_torch.py --target=torch -o out      # writes out/block.py (+ weights)
"""
import jax
import jax.numpy as jnp
import numpy as np
import torch

import hpcir

jax.config.update("jax_enable_x64", True)  # float64 in JAX, to compare with torch at 1e-12


def block(x, w1, b1, w2, b2):
    """A residual MLP block with layer normalisation."""
    h = jax.nn.gelu(x @ w1 + b1)
    y = x + h @ w2 + b2
    mu = jnp.mean(y, axis=-1, keepdims=True)
    var = jnp.mean((y - mu) ** 2, axis=-1, keepdims=True)
    return (y - mu) / jnp.sqrt(var + 1e-5)


rng = np.random.default_rng(3)
x = rng.normal(size=(8, 16))
w1, b1 = rng.normal(size=(16, 32)) / 4, rng.normal(size=32) / 10
w2, b2 = rng.normal(size=(32, 16)) / 6, rng.normal(size=16) / 10

hpcir.export(block, (x, w1, b1, w2, b2), weights=(1, 2, 3, 4))  # for `hpcir lower` (see above)


def main() -> int:
    prog = hpcir.from_jax(block, x, w1, b1, w2, b2, weights=(1, 2, 3, 4))
    module = hpcir.compile(prog, target="torch")  # a torch.nn.Module; the weights are its buffers
    got = module(torch.as_tensor(x))
    want = np.asarray(jax.jit(block)(x, w1, b1, w2, b2))
    err = float(np.abs(got.numpy() - want).max())
    source = hpcir.lower(prog, target="torch")

    ok = isinstance(module, torch.nn.Module) and isinstance(got, torch.Tensor) and err < 1e-12 \
        and "import torch" in source and len(list(module.buffers())) == 4
    print(f"jax_to_torch: {prog.name}{tuple(x.shape)} as a torch.nn.Module ({len(source.splitlines())} lines "
          f"of generated torch code, {len(list(module.buffers()))} weight buffers): max |torch - jax| = "
          f"{err:.1e} -> {'OK' if ok else 'MISMATCH'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
