"""Per-thread local arrays and team scratch (issue 11, item 3): generated differential cases, the C++
they become, bounds checking, the scratch limit, the located errors of bad input, and the
cuda / hip compile check of the cases in local_scratch_cases.py."""
from __future__ import annotations

import numpy as np
import pytest

import hpcir
import hpcir.pykokkos as pk
from hpcir.core.errors import HpcirError, KernelIndexError, KernelSyntaxError, KernelTypeError, ScratchSizeError

HERE = __file__
SRC = open(HERE).read().splitlines()


def where(marker: str, text: str) -> tuple[int, int]:
    """1-based line and column of `text` on the line ending with `marker`."""
    for n, line in enumerate(SRC, 1):
        if line.rstrip().endswith(marker):
            return n, line.index(text) + 1
    raise AssertionError(marker)


def check(err: HpcirError, marker: str, text: str, words: str) -> None:
    line, col = where(marker, text)
    msg = str(err)
    assert msg.startswith(f"{HERE}:{line}:{col}: error:"), msg
    assert "^" in msg, msg
    assert words in msg, msg
    assert err.hint, msg


# ---------------------------------------------------------------------------- generated cases
def make_window(width: int):
    """A moving maximum over `width` neighbours kept in a local array of a closure-constant size."""
    @hpcir.kernel
    def window_max(i: int, x: hpcir.View1D[float], y: hpcir.View1D[float]):
        buf = hpcir.local(float, width)
        for k in range(width):
            buf[k] = x[i + k]
        m = buf[0]
        for k in range(1, width):
            m = max(m, buf[k])
        y[i] = m
    return window_max


@pytest.mark.parametrize("target", ["serial", "cpu"])
@pytest.mark.parametrize("width,n,seed", [(1, 10, 0), (3, 57, 1), (7, 200, 2), (16, 33, 3)])
def test_local_array_sizes_from_closure_constants(width, n, seed, target):
    x = np.random.default_rng(seed).normal(size=n + width - 1)
    y = np.zeros(n)
    hpcir.parallel_for(n, make_window(width), x=x, y=y, target=target)
    ref = np.lib.stride_tricks.sliding_window_view(x, width).max(axis=1)
    np.testing.assert_array_equal(y, ref)


@hpcir.kernel
def block_sums(team: hpcir.TeamMember, a: hpcir.View2D[float], out: hpcir.View2D[float], rows: int):
    # A 2-D scratch block of one team (level 1): a slab of rows staged, then column sums by its threads.
    blk = team.scratch(float, (rows, a.extent(1)), level=1)
    r0 = team.league_rank() * rows

    def load(j: int):
        for r in range(rows):
            blk[r, j] = a[r0 + r, j]

    hpcir.parallel_for(hpcir.TeamThreadRange(team, a.extent(1)), load)
    team.team_barrier()

    def colsum(j: int):
        s = 0.0
        for r in range(rows):
            s += blk[r, j]
        out[team.league_rank(), j] = s

    hpcir.parallel_for(hpcir.TeamThreadRange(team, a.extent(1)), colsum)


@pytest.mark.parametrize("target", ["serial", "cpu"])
@pytest.mark.parametrize("teams,rows,cols,seed", [(1, 3, 5, 0), (4, 2, 17, 1), (9, 5, 8, 2)])
def test_scratch_sized_at_the_launch(teams, rows, cols, seed, target):
    a = np.random.default_rng(seed).normal(size=(teams * rows, cols))
    out = np.zeros((teams, cols))
    hpcir.parallel_for(hpcir.TeamPolicy(teams, hpcir.AUTO), block_sums, a=a, out=out, rows=rows, target=target)
    np.testing.assert_allclose(out, a.reshape(teams, rows, cols).sum(axis=1), rtol=1e-12, atol=1e-12)


@pk.workunit
def pk_team_max(team_member: pk.TeamMember, x: pk.View1D[pk.double], out: pk.View1D[pk.double], m: int):
    scratch: pk.ScratchView1D[pk.double] = pk.ScratchView1D(team_member.team_scratch(0), m)
    base: int = team_member.league_rank() * m

    def load(j: int):
        scratch[j] = x[base + j]

    pk.parallel_for(pk.TeamThreadRange(team_member, m), load)
    team_member.team_barrier()

    def vmax(j: int, acc: pk.Acc[pk.double]):
        acc = max(acc, scratch[j])

    best: float = pk.parallel_reduce(pk.TeamThreadRange(team_member, m), vmax, reducer="max")

    def store():
        out[team_member.league_rank()] = best

    pk.single(pk.PerTeam(team_member), store)


def test_pykokkos_scratch_program():
    """PyKokkos' program shape: shmem_size and set_scratch_size on the host, ScratchView1D in the workunit."""
    m, teams = 24, 6
    x = np.random.default_rng(5).normal(size=m * teams)
    out = pk.View([teams], pk.double)
    policy = pk.TeamPolicy(pk.OpenMP, teams, pk.AUTO)
    assert pk.ScratchView1D.shmem_size(m) == 8 * m
    assert policy.set_scratch_size(0, pk.PerTeam(pk.ScratchView1D.shmem_size(m))) is policy
    pk.parallel_for(policy, pk_team_max, x=x, out=out, m=m)
    np.testing.assert_array_equal(out, x.reshape(teams, m).max(axis=1))


# ---------------------------------------------------------------------------- generated C++
def _cpp(case_name: str) -> str:
    from hpcir.api import build_module, emit_cpp, lower_to_l3
    from local_scratch_cases import scratch_cases
    from test_kernel_ir import spec_for
    case = next(c for c in scratch_cases() if c.name == case_name)
    return emit_cpp(lower_to_l3(build_module([spec_for(case, "cpu")], "cpu"), "cpu"), "cpu", "m")["m.cpp"]


def test_cpp_local_arrays_are_c_arrays_and_scratch_views_unmanaged():
    body = _cpp("local_matmul").split("struct local_matmul")[1].split("\n};")[0]
    assert "double m[3][3] = {};" in body and "double p[3][3] = {};" in body  # the zero fill, in C++
    assert "m[r][c] = a(i, r * 3 + c);" in body and "p[r][c] += m[r][k] * m[c][k];" in body
    assert "Kokkos::View" not in body and "_data" not in body  # no view over the stack array
    cpp = _cpp("scratch_matvec")
    assert "Kokkos::View<double*, Kokkos::LayoutRight, scratch_space, Kokkos::MemoryUnmanaged>" in cpp
    assert "xs(team.team_scratch(0), xs_extent);" in cpp
    assert "hpcir::check_scratch(" in cpp and "set_scratch_size(0, Kokkos::PerTeam(" in cpp


# ---------------------------------------------------------------------------- run-time checks
@hpcir.kernel
def gather_local(i: int, idx: hpcir.View1D[int], y: hpcir.View1D[float]):
    t = [1.0, 2.0, 3.0, 4.0]
    y[i] = t[idx[i]]  # E-dyn-index


def test_dynamic_local_index_is_checked_like_a_view():
    hpcir.config(check_bounds=True)
    try:
        y = np.zeros(3)
        with pytest.raises(KernelIndexError) as e:
            hpcir.parallel_for(3, gather_local, idx=np.array([0, 4, 2]), y=y, target="serial")
        line, _ = where("# E-dyn-index", "t[")
        assert str(e.value).startswith(f"{HERE}:{line}:") and "outside dimension 0 of `t`" in str(e.value)
        hpcir.parallel_for(3, gather_local, idx=np.array([3, 1, 0]), y=y, target="serial")
        np.testing.assert_array_equal(y, [4.0, 2.0, 1.0])
    finally:
        hpcir.config(check_bounds=False)


@hpcir.kernel
def stage_all(team: hpcir.TeamMember, x: hpcir.View1D[float], y: hpcir.View1D[float]):
    s = team.scratch(float, x.extent(0))  # E-too-big

    def copy(j: int):
        s[j] = x[j]
        y[j] = s[j]

    hpcir.parallel_for(hpcir.TeamThreadRange(team, x.extent(0)), copy)


@pytest.mark.parametrize("target", ["serial", "cpu"])
def test_scratch_over_the_limit_is_a_located_error_before_the_launch(target):
    y = np.zeros(100_000)
    with pytest.raises(ScratchSizeError) as e:  # 800 kB of level-0 scratch: above 32 KiB on the host spaces
        hpcir.parallel_for(hpcir.TeamPolicy(1, 1), stage_all, x=np.ones(100_000), y=y, target=target)
    check(e.value, "# E-too-big", "team.scratch", "bytes of level-0 team scratch per team, more than this "
          "execution space's limit of")
    assert "800" in e.value.message and "level=1" in e.value.hint
    assert not y.any()  # nothing ran
    small = np.arange(100.0)
    y = np.zeros(100)
    hpcir.parallel_for(hpcir.TeamPolicy(1, 1), stage_all, x=small, y=y, target=target)
    np.testing.assert_array_equal(y, small)


# ---------------------------------------------------------------------------- bad input
@pytest.fixture
def no_build(monkeypatch):
    import hpcir.api as api

    def fail(*a, **k):
        raise AssertionError("a build was attempted after bad input")

    monkeypatch.setattr(api, "build_library", fail)


def test_local_array_with_a_non_constant_size(no_build):
    @hpcir.kernel
    def k(i: int, n: int, x: hpcir.View1D[float]):
        t = hpcir.local(float, n)  # E-nonconst
        x[i] = t[0]

    with pytest.raises(KernelTypeError) as e:
        hpcir.parallel_for(4, k, n=4, x=np.zeros(4), target="serial")
    check(e.value, "# E-nonconst", "n)", "is not a compile-time constant")
    assert "team.scratch" in e.value.hint


def test_repeated_list_with_a_non_constant_size(no_build):
    @hpcir.kernel
    def k(i: int, x: hpcir.View1D[float]):
        t = [0.0] * x.extent(0)  # E-nonconst-list
        x[i] = t[0]

    with pytest.raises(KernelTypeError) as e:
        hpcir.parallel_for(4, k, x=np.zeros(4), target="serial")
    check(e.value, "# E-nonconst-list", "x.extent(0)", "is not a compile-time constant")


@pytest.mark.parametrize("size", ["0", "-3"])
def test_local_array_with_a_non_positive_size(no_build, tmp_path, size):
    import importlib.util
    src = tmp_path / f"k{size.strip('-')}.py"
    src.write_text("import hpcir\n@hpcir.kernel\ndef k(i: int, x: hpcir.View1D[float]):\n"
                   f"    t = hpcir.local(float, {size})\n    x[i] = 1.0\n")
    spec = importlib.util.spec_from_file_location(src.stem, src)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    with pytest.raises(KernelTypeError) as e:
        hpcir.lower(mod.k)
    assert str(e.value).startswith(f"{src}:4:28: error: a local array needs a positive size, got {int(size)}")


def test_constant_index_outside_a_local_array(no_build):
    @hpcir.kernel
    def k(i: int, x: hpcir.View1D[float]):
        t = hpcir.local(float, (2, 3))
        t[1, 3] = 1.0  # E-const-index
        x[i] = t[0, 0]

    with pytest.raises(KernelTypeError) as e:
        hpcir.lower(k)
    check(e.value, "# E-const-index", "3]", "index 3 is outside the local array `t` of shape (2, 3) in dimension 1")


def test_local_array_too_large_for_a_thread(no_build):
    @hpcir.kernel
    def k(i: int, x: hpcir.View1D[float]):
        t = hpcir.local(float, (100, 100))  # E-huge
        x[i] = t[0, 0]

    with pytest.raises(KernelTypeError) as e:
        hpcir.lower(k)
    check(e.value, "# E-huge", "hpcir.local", "too large for a thread's stack")


def test_scratch_outside_a_team_kernel(no_build):
    @pk.workunit
    def k(i: int, x: pk.View1D[pk.double]):
        s: pk.ScratchView1D[pk.double] = pk.ScratchView1D(team.team_scratch(0), 8)  # E-not-team  # noqa: F821
        x[i] = s[0]

    with pytest.raises(KernelSyntaxError) as e:
        hpcir.parallel_for(4, k, x=np.zeros(4), target="serial")
    check(e.value, "# E-not-team  # noqa: F821", "pk.ScratchView1D(", "is only available in a team kernel")
    assert "TeamPolicy" in e.value.hint


def test_scratch_inside_a_nested_range(no_build):
    @hpcir.kernel
    def k(team: hpcir.TeamMember, x: hpcir.View1D[float]):
        def body(j: int):
            s = team.scratch(float, 4)  # E-nested
            s[0] = 1.0
            x[j] = s[0]

        hpcir.parallel_for(hpcir.TeamThreadRange(team, x.extent(0)), body)

    with pytest.raises(KernelSyntaxError) as e:
        hpcir.parallel_for(hpcir.TeamPolicy(2, 1), k, x=np.zeros(4), target="serial")
    check(e.value, "# E-nested", "team.scratch", "must be called in the team kernel's own body")


def test_scratch_size_from_inside_the_team(no_build):
    @hpcir.kernel
    def k(team: hpcir.TeamMember, x: hpcir.View1D[float]):
        n = team.league_rank() + 1
        s = team.scratch(float, n)  # E-inner-size
        s[0] = 1.0

    with pytest.raises(KernelTypeError) as e:
        hpcir.parallel_for(hpcir.TeamPolicy(2, 1), k, x=np.zeros(4), target="serial")
    check(e.value, "# E-inner-size", "n)", "uses `n`, a value computed inside the team")


@pytest.mark.parametrize("size", ["0", "-1"])
def test_scratch_with_a_non_positive_constant_size(no_build, size):
    n = int(size)

    @hpcir.kernel
    def k(team: hpcir.TeamMember, x: hpcir.View1D[float]):
        s = team.scratch(float, n)  # E-neg-scratch
        s[0] = 1.0

    with pytest.raises(KernelTypeError) as e:
        hpcir.parallel_for(hpcir.TeamPolicy(2, 1), k, x=np.zeros(4), target="serial")
    check(e.value, "# E-neg-scratch", "n)", f"a scratch view needs a positive size, got {n}")


def test_scratch_level_must_be_0_or_1(no_build):
    @hpcir.kernel
    def k(team: hpcir.TeamMember, x: hpcir.View1D[float]):
        s = team.scratch(float, 4, level=2)  # E-level
        s[0] = 1.0

    with pytest.raises(KernelTypeError) as e:
        hpcir.parallel_for(hpcir.TeamPolicy(2, 1), k, x=np.zeros(4), target="serial")
    check(e.value, "# E-level", "2)", "the scratch level must be the constant 0 or 1")


def test_atomics_on_a_local_array_and_unassigned_allocations(no_build):
    @hpcir.kernel
    def k(i: int, x: hpcir.View1D[float]):
        t = hpcir.local(float, 4)
        hpcir.atomic_add(t, [0], 1.0)  # E-atomic
        x[i] = t[0]

    with pytest.raises(KernelTypeError) as e:
        hpcir.lower(k)
    check(e.value, "# E-atomic", "t, [0]", "on a local array")

    @hpcir.kernel
    def k2(i: int, x: hpcir.View1D[float]):
        x[i] = hpcir.local(float, 4)[0]  # E-unassigned

    with pytest.raises(KernelSyntaxError) as e:
        hpcir.lower(k2)
    check(e.value, "# E-unassigned", "hpcir.local", "must be assigned to a name")


def test_set_scratch_size_rejects_negative_bytes():
    from hpcir.core.errors import PolicyError
    with pytest.raises(PolicyError):
        pk.TeamPolicy(2, pk.AUTO).set_scratch_size(0, pk.PerTeam(-8))
    with pytest.raises(PolicyError):
        pk.TeamPolicy(2, pk.AUTO).set_scratch_size(3, pk.PerTeam(8))


# ---------------------------------------------------------------------------- GPU compile check
@pytest.mark.slow
@pytest.mark.parametrize("target", ["cuda", "hip"])
def test_local_and_scratch_cases_compile_for_gpu(target: str):
    from hpcir.api import build_module, emit_cpp, lower_to_l3
    from hpcir.backends.build import compile_only
    from hpcir.backends.toolchain.kokkos_install import find_kokkos
    from hpcir.core.errors import KokkosNotFoundError
    from hpcir.core.targets import get_target
    from local_scratch_cases import scratch_cases
    from test_kernel_ir import spec_for
    try:
        install = find_kokkos(target)
    except KokkosNotFoundError as err:
        pytest.skip(f"no Kokkos {target} install: {err.message.splitlines()[0]}")
    module = lower_to_l3(build_module([spec_for(c, target) for c in scratch_cases()], target), target)
    sources = emit_cpp(module, target, f"scratch_{target}")
    cpp = sources[f"scratch_{target}.cpp"]
    assert "double t[9] = {};" in cpp and "hpcir::check_scratch(" in cpp
    compile_only(sources, get_target(target), install)


# ---------------------------------------------------------------------------- local arrays elsewhere
@hpcir.kernel
def dot3(u: hpcir.View1D[float], v: hpcir.View1D[float]) -> float:
    return u[0] * v[0] + u[1] * v[1] + u[2] * v[2]


@hpcir.kernel
def cross_norms(team: hpcir.TeamMember, a: hpcir.View2D[float], out: hpcir.View2D[float]):
    # Local arrays in a nested range body, passed to a device function, and made inside an `if`.
    row = team.league_rank()

    def body(j: int):
        u = hpcir.local(float, 3)
        w = [a[row, 3 * j], a[row, 3 * j + 1], a[row, 3 * j + 2]]
        for k in range(3):
            u[k] = a[row, 3 * j + (k + 1) % 3]
        out[row, j] = dot3(u, w)
        if j == 0:
            z = [1.0] * 2
            out[row, j] += z[1]

    hpcir.parallel_for(hpcir.TeamThreadRange(team, a.extent(1) // 3), body)


@pytest.mark.parametrize("target", ["serial", "cpu"])
def test_local_arrays_in_team_ranges_and_device_functions(target):
    a = np.random.default_rng(7).normal(size=(5, 12))
    out = np.zeros((5, 4))
    hpcir.parallel_for(hpcir.TeamPolicy(5, hpcir.AUTO), cross_norms, a=a, out=out, target=target)
    v = a.reshape(5, 4, 3)
    ref = (v * np.roll(v, -1, axis=2)).sum(axis=2)
    ref[:, 0] += 1.0
    np.testing.assert_allclose(out, ref, rtol=1e-13, atol=1e-13)


# ---------------------------------------------------------------------------- property tests
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

_sort_kernel = None
_tree_kernel = None


def _kernels():
    global _sort_kernel, _tree_kernel
    if _sort_kernel is None:
        from local_scratch_cases import local_sort, scratch_tree_sum
        _sort_kernel, _tree_kernel = hpcir.kernel(local_sort), hpcir.kernel(scratch_tree_sum)
    return _sort_kernel, _tree_kernel


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 40).flatmap(lambda rows: st.lists(
    st.floats(allow_nan=False, width=64) | st.sampled_from([0.0, -0.0, 1.0, 1.0, -1.0]),
    min_size=rows * 9, max_size=rows * 9)))
def test_local_sort_property(values):
    from local_scratch_cases import SORT_N
    x = np.array(values, dtype=np.float64).reshape(-1, SORT_N)
    y = np.zeros_like(x)
    hpcir.parallel_for(len(x), _kernels()[0], x=x, y=y, target="serial")
    np.testing.assert_array_equal(y, np.sort(x, axis=1))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 6), st.integers(1, 9), st.integers(0, 2**32 - 1))
def test_scratch_tree_sum_property(log_blk, teams, seed):
    blk = 2 ** log_blk  # the scratch size changes from launch to launch: one compiled kernel
    x = np.random.default_rng(seed).normal(size=teams * blk)
    out = np.zeros(teams)
    hpcir.parallel_for(hpcir.TeamPolicy(teams, hpcir.AUTO), _kernels()[1], x=x, out=out, blk=blk, target="cpu")
    np.testing.assert_allclose(out, x.reshape(teams, blk).sum(axis=1), rtol=1e-12, atol=1e-12)


@hpcir.kernel
def fresh_each_time(i: int, x: hpcir.View1D[float], y: hpcir.View2D[float]):
    for r in range(3):
        t = hpcir.local(float, 4)  # fresh zeros in every iteration, as in Python
        for k in range(r + 1):
            t[k] += x[i] + k
        s = 0.0
        for k in range(4):
            s += t[k]
        y[i, r] = s


@pytest.mark.parametrize("target", ["serial", "cpu"])
def test_a_local_array_made_in_a_loop_is_zeroed_every_time(target):
    x = np.arange(5.0)
    y = np.zeros((5, 3))
    hpcir.parallel_for(5, fresh_each_time, x=x, y=y, target=target)
    ref = np.stack([[sum(xi + k for k in range(r + 1)) for r in range(3)] for xi in x])
    np.testing.assert_array_equal(y, ref)
    cpp = hpcir.lower(fresh_each_time)
    assert "double t[4];" in cpp and "t[i_" in cpp  # the fill stays a loop inside the loop


@hpcir.kernel
def shift_through_scratch(team: hpcir.TeamMember, x: hpcir.View1D[float], y: hpcir.View1D[float]):
    s = team.scratch(float, x.extent(0))

    def load(j: int):
        s[j] = x[j]

    hpcir.parallel_for(hpcir.TeamThreadRange(team, x.extent(0)), load)
    team.team_barrier()

    def store(j: int):
        y[j] = s[j + 1]  # E-scratch-index

    hpcir.parallel_for(hpcir.TeamThreadRange(team, y.extent(0)), store)


def test_scratch_indices_are_checked_in_the_debug_mode():
    hpcir.config(check_bounds=True)
    try:
        x = np.arange(6.0)
        with pytest.raises(KernelIndexError) as e:
            hpcir.parallel_for(hpcir.TeamPolicy(1, hpcir.AUTO), shift_through_scratch, x=x, y=np.zeros(6),
                               target="cpu")
        line, _ = where("# E-scratch-index", "s[")
        assert str(e.value).startswith(f"{HERE}:{line}:") and "outside dimension 0 of `s`" in str(e.value)
        y = np.zeros(5)
        hpcir.parallel_for(hpcir.TeamPolicy(1, hpcir.AUTO), shift_through_scratch, x=x, y=y, target="cpu")
        np.testing.assert_array_equal(y, x[1:])
    finally:
        hpcir.config(check_bounds=False)
