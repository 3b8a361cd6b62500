"""Inputs that used to escape as raw tracebacks or reach the C++ compiler (issue 15, item 6): each is
a located HpcirError that says what to do, before anything is built; or, where the input is fine,
it works (a device function calling one defined later in the file, non-ASCII local names)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import hpcir
from hpcir.core.errors import ArgumentError, HpcirError, KernelSyntaxError


def _module(tmp_path: Path, name: str, source: str):
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod, path


@pytest.fixture
def no_build(monkeypatch):
    import hpcir.api as api
    monkeypatch.setattr(api, "build_library", lambda *a, **k: pytest.fail("built after bad input"))


def test_a_view_of_more_than_eight_dimensions(no_build):
    @hpcir.kernel
    def k(i: int, x):
        x[i, 0, 0, 0, 0, 0, 0, 0, 0] = 1.0

    with pytest.raises(ArgumentError) as e:
        hpcir.parallel_for(1, k, x=np.zeros((1,) * 9), target="serial")
    assert "9 dimensions" in str(e.value) and "at most 8" in str(e.value) and "reshape" in e.value.hint
    assert str(e.value).startswith(f"{__file__}:")
    with pytest.raises(TypeError, match="1 to 8 dimensions"):
        hpcir.View[float, 9]


def test_non_ascii_parameter_names_are_refused_at_decoration(tmp_path):
    with pytest.raises(KernelSyntaxError) as e:  # raised at decoration: nothing exists to launch
        _module(tmp_path, "na_params", "import hpcir\n\n@hpcir.kernel\ndef k(i: int, größe):\n    größe[i] = 1.0\n")
    assert "`größe` is not an ASCII name" in str(e.value) and str(e.value).startswith(f"{tmp_path}/na_params.py:4:")
    assert e.value.hint.startswith("rename")


def test_non_ascii_kernel_names_are_refused_at_decoration(tmp_path):
    with pytest.raises(KernelSyntaxError, match="`kérnel` is not an ASCII name"):
        _module(tmp_path, "na_name", "import hpcir\n\n@hpcir.kernel\ndef kérnel(i: int, x):\n    x[i] = 1.0\n")


def test_non_ascii_local_names_work(tmp_path):
    mod, _ = _module(tmp_path, "na_local", "import hpcir\n\n@hpcir.kernel\ndef k(i: int, x: hpcir.View1D[float]):\n"
                                           "    ü = 2.0 * i\n    x[i] = ü\n")
    x = np.zeros(3)
    hpcir.parallel_for(3, mod.k, x=x, target="serial")
    np.testing.assert_array_equal(x, [0.0, 2.0, 4.0])


def test_very_long_expressions_and_call_chains_are_located_errors(tmp_path, no_build):
    terms = " + ".join("x[i]" for _ in range(1500))
    deep, path = _module(tmp_path, "deep_expr", "import hpcir\n\n@hpcir.kernel\n"
                                                f"def k(i: int, x: hpcir.View1D[float], y: hpcir.View1D[float]):\n    y[i] = {terms}\n")
    with pytest.raises(KernelSyntaxError) as e:
        hpcir.parallel_for(3, deep.k, x=np.ones(3), y=np.zeros(3), target="serial")
    assert str(e.value).startswith(f"{path}:4:") and "nests too deeply" in str(e.value)
    lines = ["import hpcir", "", "@hpcir.kernel", "def f0(v: float) -> float:", "    return v + 1.0"]
    for n in range(1, 400):
        lines += ["@hpcir.kernel", f"def f{n}(v: float) -> float:", f"    return f{n - 1}(v) + 1.0"]
    lines += ["@hpcir.kernel", "def k(i: int, y: hpcir.View1D[float]):", "    y[i] = f399(0.0)"]
    chain, _ = _module(tmp_path, "deep_chain", "\n".join(lines) + "\n")
    with pytest.raises(KernelSyntaxError, match="nests too deeply"):
        hpcir.parallel_for(2, chain.k, y=np.zeros(2), target="serial")


def test_a_device_function_may_call_one_defined_later(tmp_path):
    mod, _ = _module(tmp_path, "later", "import hpcir\n\n@hpcir.kernel\ndef g(v: float) -> float:\n    return h(v) * 2.0\n\n"
                                        "@hpcir.kernel\ndef h(v: float) -> float:\n    return v + 1.0\n\n"
                                        "@hpcir.kernel\ndef k(i: int, y: hpcir.View1D[float]):\n    y[i] = g(float(i))\n")
    y = np.zeros(3)
    hpcir.parallel_for(3, mod.k, y=y, target="serial")
    np.testing.assert_array_equal(y, [2.0, 4.0, 6.0])
    assert issubclass(KernelSyntaxError, HpcirError)
