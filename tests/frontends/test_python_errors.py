"""Bad input is rejected with a located HpcirError before anything is compiled or run."""
from __future__ import annotations

import numpy as np
import pytest

import hpcir
import hpcir.pykokkos as pk
from hpcir.core.errors import ArgumentError, HpcirError, KernelSyntaxError, KernelTypeError, PolicyError

HERE = __file__
SRC = open(HERE).read().splitlines()


def where(marker: str, text: str | None = None) -> tuple[int, int]:
    """1-based line and column of `text` (default: the marker itself) on the line holding `marker`."""
    for n, line in enumerate(SRC, 1):
        if marker in line and not line.lstrip().startswith(("where(", "check(")) and "marker" not in line:
            return n, line.index(text or marker) + 1
    raise AssertionError(marker)


def check(err: HpcirError, marker: str, text: str | None, words: str) -> None:
    line, col = where(marker, text)
    msg = str(err)
    assert msg.startswith(f"{HERE}:{line}:{col}: error:"), msg
    assert "^" in msg.splitlines()[2] if len(msg.splitlines()) > 2 else False, msg
    assert words in msg, msg


@pytest.fixture(autouse=True)
def no_build(monkeypatch):
    """Any attempt to build or run is a test failure: errors must come first."""
    import hpcir.api as api

    def fail(*a, **k):
        raise AssertionError("a build was attempted after bad input")

    monkeypatch.setattr(api, "build_library", fail)


x1 = np.ones(8)
y1 = np.zeros(8)


def test_unsupported_statement():
    @hpcir.kernel
    def k(i: int, x: hpcir.View1D[float]):
        with open("f") as f:  # E-with
            x[i] = 1.0

    with pytest.raises(KernelSyntaxError) as e:
        hpcir.lower(k)
    check(e.value, "# E-with", "with", "not supported in kernels")


def test_retyping_local():
    @hpcir.kernel
    def k(i: int, x: hpcir.View1D[float]):
        s = 0
        s = x[i]  # E-retype
        x[i] = s

    with pytest.raises(KernelTypeError) as e:
        hpcir.lower(k)
    check(e.value, "# E-retype", "s = x[i]", "is a int64 but is assigned a float64")


def test_wrong_dtype_argument():
    @hpcir.kernel
    def k(i: int, x: hpcir.View1D[float]):
        x[i] = 1.0

    with pytest.raises(ArgumentError) as e:
        hpcir.parallel_for(8, k, x=np.ones(8, dtype=np.float32))  # E-dtype
    check(e.value, "# E-dtype", "hpcir.parallel_for", "annotated View1D[float64]")


def test_wrong_rank_argument():
    @hpcir.kernel
    def k(i: int, x: hpcir.View2D[float]):
        x[i, 0] = 1.0

    with pytest.raises(ArgumentError) as e:
        hpcir.parallel_for(8, k, x=x1)  # E-rank
    check(e.value, "# E-rank", "hpcir.parallel_for", "View2D[float64]")


def test_missing_argument():
    @hpcir.kernel
    def k(i, a, x):
        x[i] = a

    with pytest.raises(ArgumentError) as e:
        hpcir.parallel_for(8, k, x=y1)  # E-missing
    check(e.value, "# E-missing", "hpcir.parallel_for", "needs argument(s) a")


def test_unknown_argument():
    @hpcir.kernel
    def k(i, x):
        x[i] = 1.0

    with pytest.raises(ArgumentError) as e:
        pk.parallel_for(8, k, x=y1, z=3.0)  # E-extra
    check(e.value, "# E-extra", "pk.parallel_for", "has no parameter(s) z")


def test_aliased_outputs():
    @hpcir.kernel
    def k(i, x, y):
        x[i] = 1.0
        y[i] = 2.0

    a = np.zeros(8)
    with pytest.raises(ArgumentError) as e:
        hpcir.parallel_for(8, k, x=a, y=a[:])  # E-alias
    check(e.value, "# E-alias", "hpcir.parallel_for", "share memory")


def test_invalid_policy():
    @hpcir.kernel
    def k(i, x):
        x[i] = 1.0

    with pytest.raises(PolicyError) as e:
        hpcir.parallel_for(hpcir.RangePolicy(5, 2), k, x=y1)  # E-policy
    check(e.value, "# E-policy", "hpcir.RangePolicy", "before begin")


def test_wrong_index_count():
    @hpcir.kernel
    def k(i: int, x: hpcir.View2D[float]):
        x[i] = 1.0  # E-idx

    with pytest.raises(KernelTypeError) as e:
        hpcir.lower(k)
    check(e.value, "# E-idx", "x[i]", "has rank 2 but is indexed with 1")


def test_float_index():
    @hpcir.kernel
    def k(i: int, x: hpcir.View1D[float]):
        x[i * 0.5] = 1.0  # E-fidx

    with pytest.raises(KernelTypeError) as e:
        hpcir.lower(k)
    check(e.value, "# E-fidx", "i * 0.5", "must be an integer")


def test_undefined_name():
    @hpcir.kernel
    def k(i: int, x: hpcir.View1D[float]):
        x[i] = undefined_thing  # E-undef  # noqa: F821

    with pytest.raises(KernelSyntaxError) as e:
        hpcir.lower(k)
    check(e.value, "# E-undef", "undefined_thing", "is not defined")


def test_unsupported_call():
    @hpcir.kernel
    def k(i: int, x: hpcir.View1D[float]):
        x[i] = np.sum(x)  # E-call

    with pytest.raises(KernelSyntaxError) as e:
        hpcir.lower(k)
    check(e.value, "# E-call", "np.sum(x)", "cannot be called inside a kernel")


def test_float_into_int_view():
    @hpcir.kernel
    def k(i: int, x: hpcir.View1D[int], y: hpcir.View1D[float]):
        x[i] = y[i]  # E-store

    with pytest.raises(KernelTypeError) as e:
        hpcir.lower(k)
    check(e.value, "# E-store", "x[i]", "storing a float64 into a view of int64")


def test_unsupported_dtype_argument():
    @hpcir.kernel
    def k(i, x):
        x[i] = 1.0

    with pytest.raises(ArgumentError) as e:
        hpcir.parallel_for(4, k, x=np.zeros(4, dtype=np.float16))  # E-float16 (complex arrays are views now)
    check(e.value, "# E-float16", "hpcir.parallel_for", "float16")


def test_slice_in_kernel():
    @hpcir.kernel
    def k(i: int, x: hpcir.View1D[float]):
        x[i] = x[1:3]  # E-slice

    with pytest.raises(KernelSyntaxError) as e:
        hpcir.lower(k)
    check(e.value, "# E-slice", "1:3", "slices are not supported")


def test_loop_not_over_range():
    @hpcir.kernel
    def k(i: int, x: hpcir.View1D[float]):
        for v in x:  # E-forin
            x[i] = v

    with pytest.raises(KernelSyntaxError) as e:
        hpcir.lower(k)
    check(e.value, "# E-forin", "x:", "must iterate over range")


def test_return_value_from_launched_kernel():
    @hpcir.kernel
    def k(i, x):
        return x[i]  # E-retval

    with pytest.raises(KernelSyntaxError) as e:
        hpcir.parallel_for(8, k, x=x1)
    check(e.value, "# E-retval", "return", "cannot return a value")


def test_reducer_type_mismatch():
    @hpcir.kernel
    def k(i: int, acc: hpcir.Acc[float], x: hpcir.View1D[float]):  # E-land
        acc = acc and x[i] > 0

    with pytest.raises(KernelTypeError) as e:
        hpcir.parallel_reduce(8, k, x=x1, reducer="land")
    check(e.value, "# E-land", "def k", "reducer 'land' is not defined on float64")


def test_scan_needs_range():
    @hpcir.kernel
    def k(i, acc, final, x):
        acc += x[i]

    with pytest.raises(PolicyError) as e:
        hpcir.parallel_scan(hpcir.MDRangePolicy([0, 0], [2, 2]), k, x=x1)  # E-scan
    check(e.value, "# E-scan", "hpcir.parallel_scan", "needs a 1-D range")


def test_mdrange_rank_mismatch():
    @hpcir.kernel
    def k(i, j, x):
        x[i] = 1.0

    with pytest.raises(ArgumentError) as e:
        hpcir.parallel_for(hpcir.MDRangePolicy([0, 0, 0], [2, 2, 2]), k, x=x1)  # E-mdrank
    check(e.value, "# E-mdrank", "hpcir.parallel_for", "(i, j, x) are indices")


x2 = np.zeros((3, 4))


def test_several_index_parameters_need_an_mdrange():
    """`j` indexes `x[i, j]`: a 1-D launch would make it a scalar argument, silently."""
    @hpcir.kernel
    def k(i: int, j: int, x: hpcir.View2D[float]):
        x[i, j] = 1.0  # E-ij

    with pytest.raises(PolicyError) as e:
        hpcir.parallel_for(3, k, x=x2)  # E-rank1
    check(e.value, "# E-rank1", "hpcir.parallel_for", "launched with a 1-D range")
    assert "MDRangePolicy([0, 0], [n0, n1])" in str(e.value) and "x[i, j]" in str(e.value)
    line, col = where("# E-ij", "x[i, j]")
    assert f"{HERE}:{line}:{col}" in str(e.value)

    @hpcir.kernel
    def k3(i, j, k, acc, x):
        acc += x[k][j][i]  # E-kji (in any order, unannotated)

    with pytest.raises(PolicyError) as e:
        hpcir.parallel_reduce(hpcir.MDRangePolicy([0, 0], [2, 2]), k3, x=np.zeros((2, 2, 2)))  # E-rank2
    check(e.value, "# E-rank2", "hpcir.parallel_reduce", "a rank-2 MDRangePolicy")

    @hpcir.kernel(rank=2)
    def declared(i: int, j: int, x: hpcir.View1D[float]):
        x[i] = j

    with pytest.raises(PolicyError) as e:
        hpcir.parallel_for(3, declared, j=1, x=x1)  # E-declared
    check(e.value, "# E-declared", "hpcir.parallel_for", "takes 2 indices")


def test_scalar_int_parameters_are_not_indices():
    """`n` is an argument: never used as a view's second index, or passed at the launch."""
    @hpcir.kernel
    def scal(i: int, n: int, x: hpcir.View1D[float]):
        x[i] = n

    @hpcir.kernel
    def col(i: int, c: int, x: hpcir.View2D[float]):
        x[i, c] = 1.0

    assert scal.index_rank() == 1 and col.index_rank() == 2
    assert "func.func @scal(%begin: i64, %end: i64, %n: i64," in hpcir.lower(scal, stage="L2")
    from hpcir.frontends.python.signature import bind_launch
    spec, _ = bind_launch(col, "for", "range", 1, {"c": 2, "x": x2}, None)  # c passed: an argument
    assert spec.index_params == ["i"] and "c" in spec.param_types


def test_unknown_target_lists_valid_ones():
    @hpcir.kernel
    def k(i: int, x: hpcir.View1D[float]):
        x[i] = 1.0

    with pytest.raises(HpcirError, match="use one of: cpu, serial, cuda, hip") as e:
        hpcir.lower(k, target="tpu")  # E-tpu-lower
    check(e.value, "# E-tpu-lower", "hpcir.lower", "unknown target 'tpu'")
    with pytest.raises(HpcirError) as e:
        hpcir.parallel_for(8, k, x=np.zeros(8), target="tpu")  # E-tpu-launch
    check(e.value, "# E-tpu-launch", "hpcir.parallel_for", "unknown target 'tpu'")
    with pytest.raises(HpcirError) as e:
        hpcir.parallel_for(8, k, x=np.zeros(8), target="cuda")  # E-cuda-jit
    check(e.value, "# E-cuda-jit", "hpcir.parallel_for", "cannot run kernels on this machine")
    with pytest.raises(HpcirError) as e:
        pk.set_default_space("gpu")  # E-space
    check(e.value, "# E-space", "pk.set_default_space", "set_default_space needs")


def test_team_size_above_the_space_maximum(monkeypatch):
    import hpcir.api as api
    monkeypatch.undo()  # this one must build: the limit is the execution space's, known at run time

    @hpcir.kernel
    def k(team, x):
        x[team.league_rank()] = 1.0

    with pytest.raises(HpcirError) as e:
        hpcir.parallel_for(hpcir.TeamPolicy(4, 64), k, x=np.zeros(4), target="serial")  # E-teamsize
    check(e.value, "# E-teamsize", "hpcir.parallel_for", "team size 64 exceeds this execution space's maximum of 1")
    assert api is not None


def test_an_error_in_a_lambda_body_points_at_the_lambda():
    @hpcir.kernel
    def k(team: hpcir.TeamMember, y: hpcir.View1D[float]):
        row = team.league_rank()
        hpcir.parallel_for(hpcir.TeamThreadRange(team, 4),
                           lambda j: y[j] + 1.0)  # E-lambda

    with pytest.raises(HpcirError) as e:
        hpcir.parallel_for(hpcir.TeamPolicy(2, 1), k, y=np.zeros(2), target="serial")
    check(e.value, "# E-lambda", "y[j] + 1.0", "has no effect")
