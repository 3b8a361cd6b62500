"""Stencils on any layout: C, Fortran, transposed and sliced (positive steps) arrays are computed in
place, as NumPy computes them, with no copy (the kernel reads the arrays' own memory), and the loops
run in the arrays' memory order. Property tests draw shapes, offsets and steps at random; the layouts
they can produce are kept to a few so that the test builds few libraries."""
from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hpcir
from hpcir import Field
from hpcir.backends import runtime
from hpcir.stencil_layouts import StencilLayout, choose_layout, memory_order

SENTINEL = -7.0


@hpcir.stencil
def skew(u: Field[float, 2], out: Field[float, 2]):
    out[0, 0] = u[1, 0] + 2.0 * u[-1, 0] + 3.0 * u[0, 1] + 5.0 * u[0, -2] - 4.0 * u[0, 0]


@hpcir.stencil
def hdiff3(u: Field[float, 3], coeff: Field[float, 3], out: Field[float, 3]):
    lap = 4.0 * u[0, 0, 0] - (u[1, 0, 0] + u[-1, 0, 0] + u[0, 1, 0] + u[0, -1, 0]) + u[0, 0, 1]
    flx = lap[1, 0, 0] - lap[0, 0, 0]
    fly = lap[0, 1, 0] - lap[0, 0, 0]
    out[0, 0, 0] = u[0, 0, 0] - coeff[0, 0, 0] * (flx[0, 0, 0] - flx[-1, 0, 0] + fly[0, 0, 0] - fly[0, -1, 0])


def skew_ref(u: np.ndarray) -> tuple[tuple[slice, ...], np.ndarray]:
    """NumPy on the interior [1, n0-1) x [2, n1-1)."""
    c = u[1:-1, 2:-1]
    val = u[2:, 2:-1] + 2.0 * u[:-2, 2:-1] + 3.0 * u[1:-1, 3:] + 5.0 * u[1:-1, :-3] - 4.0 * c
    return (slice(1, -1), slice(2, -1)), val


def hdiff3_ref(u: np.ndarray, coeff: np.ndarray) -> tuple[tuple[slice, ...], np.ndarray]:
    """NumPy on the interior [2, n0-2) x [2, n1-2) x [0, n2-1)."""
    lap = 4.0 * u[1:-1, 1:-1, :-1] - (u[2:, 1:-1, :-1] + u[:-2, 1:-1, :-1] + u[1:-1, 2:, :-1]
                                      + u[1:-1, :-2, :-1]) + u[1:-1, 1:-1, 1:]
    flx = lap[1:, 1:-1] - lap[:-1, 1:-1]
    fly = lap[1:-1, 1:] - lap[1:-1, :-1]
    val = u[2:-2, 2:-2, :-1] - coeff[2:-2, 2:-2, :-1] * (flx[1:] - flx[:-1] + fly[:, 1:] - fly[:, :-1])
    return (slice(2, -2), slice(2, -2), slice(0, -1)), val


def strided(rng: np.random.Generator, shape: tuple[int, ...], storage: tuple[int, ...],
            steps: tuple[int, ...], offsets: tuple[int, ...],
            fill: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(view, its buffer): a view of `shape` into a buffer whose memory holds the dimensions in order
    `storage` (outermost first), every dimension taken with a step and an offset (then with one
    element to spare at the end: dense views of dense buffers only without steps and offsets)."""
    pad = int(any(s > 1 for s in steps) or any(offsets))
    full = [offsets[d] + steps[d] * (shape[d] - 1) + 1 + pad for d in range(len(shape))]
    stored = tuple(full[d] for d in storage)
    buf = rng.random(stored) if fill is None else np.full(stored, fill)
    arr = np.transpose(buf, np.argsort(storage))
    view = arr[tuple(slice(offsets[d], offsets[d] + steps[d] * (shape[d] - 1) + 1, steps[d])
                     for d in range(len(shape)))]
    return view, buf


class NoCopies:
    """Records every array the runtime hands to a kernel and every NumPy re-layout copy during a call."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.pointers: list[int] = []
        self.copies = 0
        wrap = runtime.as_hpcir_view

        def recording(a: np.ndarray) -> object:
            self.pointers.append(a.ctypes.data)
            return wrap(a)

        def counting(fn):  # noqa: ANN001, ANN202
            def inner(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
                self.copies += 1
                return fn(*args, **kwargs)
            return inner

        monkeypatch.setattr(runtime, "as_hpcir_view", recording)
        for name in ("ascontiguousarray", "asfortranarray"):
            monkeypatch.setattr(np, name, counting(getattr(np, name)))


def check_call(stencil, ref, arrays: list[np.ndarray], out: np.ndarray, out_buf: np.ndarray,
               monkeypatch: pytest.MonkeyPatch) -> None:
    """Call the stencil; the output view matches NumPy inside the domain, nothing else in its buffer
    changed, and the kernel read every array where it lies (no copy)."""
    before = out_buf.copy()
    rec = NoCopies(monkeypatch)
    stencil(*arrays, out)
    monkeypatch.undo()
    assert rec.copies == 0
    assert rec.pointers == [a.ctypes.data for a in [*arrays, out]]
    inner, want = ref(*arrays)
    np.testing.assert_allclose(out[inner], want, rtol=1e-13, atol=1e-13)
    out[inner] = SENTINEL  # everything the stencil may write; the rest of the buffer must be untouched
    np.testing.assert_array_equal(out_buf, np.where(out_buf == SENTINEL, SENTINEL, before))
    assert np.count_nonzero(out_buf == SENTINEL) == out[inner].size + np.count_nonzero(before == SENTINEL)


_examples = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_shape2 = st.tuples(st.integers(5, 9), st.integers(6, 10))


@_examples
@given(shape=_shape2, storage=st.sampled_from([(0, 1), (1, 0)]), sliced=st.booleans(), data=st.data())
def test_2d_any_layout_in_place(monkeypatch: pytest.MonkeyPatch, shape, storage, sliced, data) -> None:
    """C, Fortran (= transposed) and sliced views of either, the fields drawn independently."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    inner_dim = storage[-1]

    def draw_view(fill: float | None) -> tuple[np.ndarray, np.ndarray]:
        steps = tuple(data.draw(st.integers(1, 3)) for _ in range(2)) if sliced else (1, 1)
        if sliced:  # a step in the contiguous dimension: a strided view, whatever the others
            steps = tuple(max(2, s) if d == inner_dim else s for d, s in enumerate(steps))
        offsets = tuple(data.draw(st.integers(0, 2)) for _ in range(2)) if sliced else (0, 0)
        return strided(rng, shape, storage, steps, offsets, fill)

    u, _ = draw_view(None)
    out, out_buf = draw_view(0.0)
    check_call(skew, skew_ref, [u], out, out_buf, monkeypatch)
    layout = skew.compile().last_layout
    assert layout.order == storage and set(layout.layouts) == ({"stride"} if sliced else {"right"})


def test_mixed_layouts_follow_the_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Fortran input and a C output: the output's order wins (stores count twice), the input is LayoutLeft."""
    rng = np.random.default_rng(1)
    u = np.asfortranarray(rng.random((8, 11)))
    out_buf = np.zeros((8, 11))
    check_call(skew, skew_ref, [u], out_buf, out_buf, monkeypatch)
    assert skew.compile().last_layout == StencilLayout((0, 1), ("left", "right"))


@_examples
@given(nk=st.integers(2, 5), data=st.data())
def test_3d_stored_kij_in_place(monkeypatch: pytest.MonkeyPatch, nk, data) -> None:
    """A 3-D field (i, j, k) stored as (k, i, j), with temporaries: the loops run k, i, j (j innermost).
    (Sliced views are LayoutStride in 3-D as in 2-D; left out here to save a build.)"""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    shape, storage = (data.draw(st.integers(5, 8)), data.draw(st.integers(5, 8)), nk), (2, 0, 1)
    u, coeff = (strided(rng, shape, storage, (1, 1, 1), (0, 0, 0))[0] for _ in range(2))
    out, out_buf = strided(rng, shape, storage, (1, 1, 1), (0, 0, 0), fill=0.0)
    check_call(hdiff3, hdiff3_ref, [u, coeff], out, out_buf, monkeypatch)
    assert hdiff3.compile().last_layout == StencilLayout(storage, ("right",) * 3)


def test_torch_cpu_tensors_are_used_in_place() -> None:
    """CPU DLPack producers (torch tensors, here a transposed one) are NumPy views of their memory."""
    torch = pytest.importorskip("torch")
    u = torch.rand(9, 8, dtype=torch.float64).T  # Fortran order
    out = torch.zeros(9, 8, dtype=torch.float64).T
    skew(u, out)
    inner, want = skew_ref(u.numpy())
    np.testing.assert_allclose(out.numpy()[inner], want, rtol=1e-13)
    assert skew.compile().last_layout == StencilLayout((1, 0), ("right", "right"))


def test_generated_loops_run_in_memory_order() -> None:
    """The C++ of the (k, i, j) build: work items walk k, each a block of i rows, j innermost as the vector
    loop (stencil-host-schedule); the views are LayoutRight."""
    layout = StencilLayout((2, 0, 1), ("right",) * 3)
    cpp = hdiff3.compile().source(layout)
    views = [line for line in cpp.splitlines() if line.startswith("using view_3d")]
    assert views and all("Kokkos::LayoutRight" in v for v in views)
    loops = re.search(r"= b2 \+ item % \w+;\n.*= b0 \+ \(item / \w+\) \* rows_per_block;\n(?:.*\n){2}"
                      r" *for \(int64_t (\w+) = \w+; \1 < \w+;.*\n *#pragma omp simd\n"
                      r" *for \(int64_t (\w+) = b1; \2 < e1;.*\n(?:.*\n)*? *out\(\w+, \1, \2\) = ", cpp)
    assert loops, cpp[cpp.index("struct hdiff3_functor"):]


def test_negative_strides_are_refused_with_the_call_site() -> None:
    u = np.random.default_rng(2).random((8, 9))[::-1]
    with pytest.raises(hpcir.HpcirError, match="negative or unaligned strides") as err:
        skew(u, np.zeros((8, 9)))
    assert err.value.loc is not None and err.value.loc.filename.endswith("test_stencil_layouts.py")


# -- the layout choice alone (no build) -------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(rank=st.integers(1, 3), data=st.data())
def test_memory_order_is_the_storage_order(rank: int, data) -> None:
    """Arrays that all store the dimensions in one order (any extents > 1, any steps) vote that order,
    and re-indexed in it, dense ones are C-contiguous."""
    storage = tuple(data.draw(st.permutations(range(rank))))
    shape = tuple(data.draw(st.integers(2, 6)) for _ in range(rank))
    n = data.draw(st.integers(1, 3))
    steps = [tuple(data.draw(st.integers(1, 3)) for _ in range(rank)) for _ in range(n)]
    rng = np.random.default_rng(0)
    arrays = [strided(rng, shape, storage, s, (0,) * rank)[0] for s in steps]
    written = [k == n - 1 for k in range(n)]
    assert memory_order(arrays, written) == storage
    layout = choose_layout(arrays, written, host=True)
    for a, s, lay in zip(arrays, steps, layout.layouts):
        assert lay == ("right" if all(x == 1 for x in s) else "stride")
        assert np.transpose(a, layout.order).flags.c_contiguous == (lay == "right")
    gpu = choose_layout(arrays, written, host=False)
    assert gpu.order == storage and set(gpu.layouts) == {"right"}


# -- hpcir.field_empty / field_zeros ----------------------------------------------------------------

@pytest.mark.parametrize("layout, target, storage", [
    ("C", None, (0, 1, 2)), ("F", None, (2, 1, 0)), ("LayoutLeft", None, (2, 1, 0)),
    ("target", "cpu", (0, 1, 2)), ("target", "serial", (0, 1, 2)), ("target", "cuda", (2, 1, 0)),
    ("target", "hip", (2, 1, 0)), ((2, 0, 1), None, (2, 0, 1))])
def test_field_allocation_layouts(layout, target, storage) -> None:
    a = hpcir.field_zeros((3, 4, 5), layout=layout, target=target)
    assert a.shape == (3, 4, 5) and a.dtype == np.float64 and not a.any()
    assert tuple(sorted(range(3), key=lambda d: -a.strides[d])) == storage  # memory order, outermost first
    assert np.transpose(a, storage).flags.c_contiguous
    e = hpcir.field_empty((6, 2), hpcir.float32, layout="F")
    assert e.dtype == np.float32 and e.flags.f_contiguous


def test_stencil_on_allocated_fields_runs_in_their_order() -> None:
    shape = (7, 6, 3)
    u, coeff, out = (hpcir.field_zeros(shape, layout=(2, 0, 1)) for _ in range(3))
    rng = np.random.default_rng(3)
    u[...], coeff[...] = rng.random(shape), rng.random(shape)
    hdiff3(u, coeff, out)
    inner, want = hdiff3_ref(u, coeff)
    np.testing.assert_allclose(out[inner], want, rtol=1e-13)
    assert hdiff3.compile().last_layout == StencilLayout((2, 0, 1), ("right",) * 3)


@pytest.mark.parametrize("layout, match", [("K", "unknown layout 'K'"), ((0, 0, 1), "not a permutation"),
                                           ((1, 0), "not a permutation")])
def test_field_allocation_errors_are_located(layout, match) -> None:
    with pytest.raises(hpcir.HpcirError, match=match) as err:
        hpcir.field_zeros((2, 3, 4), layout=layout)
    assert err.value.loc is not None and err.value.loc.filename.endswith("test_stencil_layouts.py")
