"""The bounds-checking debug mode (issue 15, item 1): with hpcir.config(check_bounds=True) or
HPCIR_CHECK_BOUNDS=1, every view index is checked in the kernel; the first one outside its view
is an IndexError naming the line after the launch, and nothing outside the arrays is written."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import hpcir
from hpcir.core.errors import KernelIndexError


@hpcir.kernel
def scatter(i: int, idx: hpcir.View1D[int], y: hpcir.View1D[float]):
    y[idx[i]] = 1.0


@hpcir.kernel
def gather2(i: int, j: int, a: hpcir.View2D[float], out: hpcir.View2D[float]):
    out[i, j] = a[i, 2 * j]


@pytest.fixture
def checking():
    hpcir.config(check_bounds=True)
    yield
    hpcir.config(check_bounds=False)


@pytest.mark.parametrize("target", ["serial", "cpu"])
def test_a_computed_index_outside_the_view_is_an_index_error(checking, target):
    buf = np.zeros(8)
    y = buf[:5]
    with pytest.raises(IndexError) as e:  # KernelIndexError is an IndexError and an HpcirError
        hpcir.parallel_for(3, scatter, idx=np.array([0, 6, 2]), y=y, target=target)
    assert isinstance(e.value, KernelIndexError)
    msg = str(e.value)
    assert msg.startswith(f"{__file__}:") and "`y[idx[i]]` is outside dimension 0 of `y`" in msg
    assert "raised by the launch at" in e.value.hint
    assert not buf[5:].any()  # nothing was written past the view
    hpcir.parallel_for(3, scatter, idx=np.array([0, 4, 2]), y=y, target=target)  # in range: runs
    np.testing.assert_array_equal(y, [1, 0, 1, 0, 1])


def test_mdrange_and_the_mode_is_part_of_the_compiled_kernel(checking):
    a, out = np.arange(12.0).reshape(3, 4), np.zeros((3, 3))
    with pytest.raises(KernelIndexError, match=r"`a\[i, 2 \* j\]` is outside dimension 1"):
        hpcir.parallel_for(hpcir.MDRangePolicy([0, 0], [3, 3]), gather2, a=a, out=out, target="serial")
    hpcir.config(check_bounds=False)  # the unchecked kernel is another compiled module
    out2 = np.zeros((3, 2))
    hpcir.parallel_for(hpcir.MDRangePolicy([0, 0], [3, 2]), gather2, a=a, out=out2, target="serial")
    np.testing.assert_array_equal(out2, a[:, ::2][:, :2])


def test_the_environment_variable_turns_it_on(tmp_path):
    script = tmp_path / "k.py"
    script.write_text(textwrap.dedent("""
        import numpy as np, hpcir
        @hpcir.kernel
        def scatter(i: int, idx: hpcir.View1D[int], y: hpcir.View1D[float]):
            y[idx[i]] = 1.0
        assert hpcir.config()["check_bounds"]
        try:
            hpcir.parallel_for(2, scatter, idx=np.array([0, 9]), y=np.zeros(4), target="serial")
        except IndexError as e:
            print("caught", e)
    """))
    env = dict(os.environ, HPCIR_CHECK_BOUNDS="1")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "caught" in proc.stdout and "outside dimension 0 of `y`" in proc.stdout
