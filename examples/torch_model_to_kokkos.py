"""A PyTorch model lowered to Kokkos C++ and run through the JIT, compared with torch's own output.

hpcir.from_torch exports the eval-mode module (torch.export, Core ATen) into hpcir's L1 MLIR; the
program is specialised to the example input's shape and dtype. hpcir.compile(prog, target="cpu")
bufferizes it, lowers it to the kokkos dialect, emits C++ and builds it (cached). The module's
parameters are weight arguments of the program: by default they are bound at compile time; with
bind_weights=False the compiled function takes them after the inputs (in prog.weight_names order),
so new weights need no rebuild.

    python examples/torch_model_to_kokkos.py      # needs the graph extra: pip install -e '.[graph]'
"""
import warnings

import numpy as np
import torch

import hpcir
import hpcir.graph_api


class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(8, 32)
        self.fc2 = torch.nn.Linear(32, 4)

    def forward(self, x):
        return torch.softmax(self.fc2(torch.tanh(self.fc1(x))), dim=-1)


def main() -> int:
    # torch.export (torch 2.13) warns about its own pytree internals; nothing to act on here.
    warnings.filterwarnings("ignore", message=".*LeafSpec.*", category=FutureWarning)
    torch.manual_seed(0)
    model = MLP().double().eval()
    x = torch.randn(16, 8, dtype=torch.float64)

    prog = hpcir.from_torch(model, (x,))
    run = hpcir.compile(prog, target="cpu")  # weights bound: run(x) -> numpy array
    got = run(x)
    want = model(x).detach().numpy()
    err = float(np.abs(got - want).max())

    # The same program with the weights as arguments: perturb them, no rebuild.
    # (hpcir.compile passes no bind_weights= to graph programs; hpcir.graph_api.compile takes it.)
    run_w = hpcir.graph_api.compile(prog, target="cpu", bind_weights=False)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(0.5)
    params = {name.replace(".", "_"): p.detach().numpy() for name, p in model.named_parameters()}
    weights = [params[n] for n in prog.weight_names]  # fc1.weight is the weight argument fc1_weight
    err_w = float(np.abs(run_w(x, *weights) - model(x).detach().numpy()).max())

    ok = got.shape == want.shape and err < 1e-12 and err_w < 1e-12
    print(f"torch_model_to_kokkos: {type(model).__name__} {tuple(x.shape)} -> {got.shape} on Kokkos cpu, "
          f"weights {prog.weight_names}: max |hpcir - torch| = {err:.1e}, with new weights {err_w:.1e} -> "
          f"{'OK' if ok else 'MISMATCH'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
