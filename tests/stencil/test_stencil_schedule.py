"""stencil-host-schedule: host stencils run as blocks of rows with a vectorised innermost loop. Small
blocks (a tiny cache budget) give blocks with a remainder on every layout; the results must be NumPy's
bit for bit, and nothing outside the domain may change."""
from __future__ import annotations

import numpy as np
import pytest
from test_stencil_layouts import hdiff3, hdiff3_ref, strided

import hpcir
import hpcir.lowering as lowering


@pytest.fixture
def tiny_blocks(monkeypatch: pytest.MonkeyPatch):
    """A fresh hdiff3 lowered with a 1 KiB block budget (1-6 rows per block for the shapes below)."""
    full = lowering.l2_to_l3_pipeline
    monkeypatch.setattr(lowering, "l2_to_l3_pipeline", lambda t: full(t).replace(
        "stencil-host-schedule", "stencil-host-schedule{cache_kib=1}"))
    return hpcir.stencil(hdiff3.fn)


@pytest.mark.parametrize("storage", [(0, 1, 2), (2, 0, 1)], ids=["k-contiguous", "stored-kij"])
def test_tiny_blocks_match_numpy_exactly(tiny_blocks, storage: tuple[int, ...]) -> None:
    rng = np.random.default_rng(3)
    for shape in [(7, 13, 5), (9, 6, 3)]:  # one build per layout serves both shapes (runtime extents)
        u, coeff = (strided(rng, shape, storage, (1, 1, 1), (0, 0, 0))[0] for _ in range(2))
        out, out_buf = strided(rng, shape, storage, (1, 1, 1), (0, 0, 0), fill=-3.0)
        before = out_buf.copy()
        tiny_blocks(u, coeff, out)
        inner, want = hdiff3_ref(u, coeff)
        np.testing.assert_array_equal(out[inner], want)
        out[inner] = before.transpose(np.argsort(storage))[inner]
        np.testing.assert_array_equal(out_buf, before)


def test_host_cpp_has_blocks_and_a_vector_loop_gpu_untouched() -> None:
    cpu = hpcir.lower(hdiff3, target="cpu", stage="cpp")
    body = cpu[cpu.index("struct hdiff3_functor"):]
    assert "Kokkos::RangePolicy<Kokkos::OpenMP" in body and "MDRangePolicy" not in body
    simd = body.index("#pragma omp simd")
    assert body[simd:].split("\n")[1].strip().startswith("for (int64_t")
    assert "rows_per_block" in body
    cuda = hpcir.lower(hdiff3, target="cuda", stage="cpp")
    start = cuda.index("struct hdiff3_functor")
    body = cuda[start:cuda.index("}  // namespace", start)]
    assert "#pragma omp simd" not in body and "rows_per_block" not in cuda  # GPUs keep their own schedule
