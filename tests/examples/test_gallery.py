"""The examples gallery (examples/*.py, listed in examples/README.md) runs and checks its own results:
each script exits 0 and prints one line ending in OK. The JAX / PyTorch ones are skipped, with the
reason, where the graph extra is not installed."""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
NOT_EXAMPLES = {"regenerate_cxx.py"}  # a maintenance script (examples/cxx/), not a gallery entry

# The Python packages each graph example imports beyond hpcir's own dependencies.
NEEDS = {"torch_model_to_kokkos.py": ("torch",), "jax_to_torch.py": ("jax", "torch")}
GALLERY = sorted(p.name for p in EXAMPLES.glob("*.py") if p.name not in NOT_EXAMPLES)


def _missing(modules: tuple[str, ...]) -> list[str]:
    return [m for m in modules if importlib.util.find_spec(m) is None]


def _skip_without(modules: tuple[str, ...]) -> None:
    missing = _missing(modules)
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (the graph extra): pip install -e '.[graph]'")


def _run(args: list[str], timeout: int = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_PROC_BIND="false")  # two test workers share the cores
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=timeout)


def test_the_gallery_is_what_the_readme_lists():
    readme = (EXAMPLES / "README.md").read_text()
    listed = sorted(set(re.findall(r"\[`(\w+\.py)`\]", readme)))
    assert listed == GALLERY, f"examples/README.md lists {listed}, examples/ holds {GALLERY}"
    for want in ("heat_equation.py", "histogram_atomics.py", "prefix_sum.py", "team_matvec.py",
                 "stencil_laplace.py", "torch_model_to_kokkos.py", "jax_to_torch.py", "axpy_dot.py"):
        assert want in GALLERY


@pytest.mark.parametrize("script", GALLERY)
def test_example_runs_and_checks_its_result(script: str):
    _skip_without(NEEDS.get(script, ()))
    proc = _run([str(EXAMPLES / script)])
    out = proc.stdout.strip()
    assert proc.returncode == 0, f"{script} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert out and out.splitlines()[-1].endswith("OK"), f"{script} printed no OK line:\n{proc.stdout}\n{proc.stderr}"


def test_jax_to_torch_export_lowers_from_the_command_line(tmp_path: Path):
    """The hpcir.export line of examples/jax_to_torch.py: `hpcir lower --target=torch` writes a module
    that, with the weights it stores beside itself, computes what the example checks."""
    _skip_without(NEEDS["jax_to_torch.py"])
    out = tmp_path / "out"
    proc = _run(["-m", "hpcir", "lower", str(EXAMPLES / "jax_to_torch.py"), "--target=torch", "-o", str(out)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    spec = importlib.util.spec_from_file_location("hpcir_gallery_block", out / "block.py")
    generated = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generated)
    import torch
    rng = np.random.default_rng(3)  # the example's arguments, made the way it makes them
    x = rng.normal(size=(8, 16))
    w1, b1 = rng.normal(size=(16, 32)) / 4, rng.normal(size=32) / 10
    w2, b2 = rng.normal(size=(32, 16)) / 6, rng.normal(size=16) / 10
    weights = generated.load_weights()
    for w, want in zip(weights, (w1, b1, w2, b2)):
        np.testing.assert_array_equal(w.numpy(), want)
    got = generated.block(torch.as_tensor(x), *weights).numpy()
    pre = x @ w1 + b1  # jax.nn.gelu (tanh form), then the residual layer norm, in NumPy
    h = 0.5 * pre * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (pre + 0.044715 * pre**3)))
    y = x + h @ w2 + b2
    want = (y - y.mean(-1, keepdims=True)) / np.sqrt(y.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
