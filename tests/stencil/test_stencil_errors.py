"""Bad stencils and bad calls: HpcirErrors that name file:line:col of the offending construct."""
from __future__ import annotations

import numpy as np
import pytest

import hpcir
from hpcir import Field
from hpcir.core.errors import ArgumentError, HpcirError, KernelSyntaxError, KernelTypeError

HERE = __file__
LINES = open(HERE).read().splitlines()


def _where(marker: str, token: str) -> str:
    """file:line:col of `token` on the line carrying `# <marker>` (columns 1-based, as errors print them)."""
    for k, line in enumerate(LINES, 1):
        if line.rstrip().endswith(f"# {marker}"):
            return f"{HERE}:{k}:{line.index(token) + 1}"
    raise AssertionError(f"marker {marker} not found")


def _raises(cls, marker: str, token: str, words: str, fn) -> HpcirError:
    with pytest.raises(cls) as info:
        fn()
    text = str(info.value)
    assert text.startswith(_where(marker, token) + ": error: "), text
    assert words in text, text
    assert "^" in text  # the caret line under the construct
    return info.value


def test_unknown_name() -> None:
    def make():
        @hpcir.stencil
        def s(u: Field[float, 2], out: Field[float, 2]):
            out[0, 0] = u[0, 0] * undefined_thing  # E1  # noqa: F821
    _raises(KernelSyntaxError, "E1  # noqa: F821", "undefined_thing", "unknown name 'undefined_thing'", make)


def test_non_constant_offset() -> None:
    def make():
        @hpcir.stencil
        def s(u: Field[float, 2], out: Field[float, 2]):
            out[0, 0] = u[u, 0]  # E2
    _raises(KernelSyntaxError, "E2", "u, 0]", "non-constant offset", make)


def test_writing_a_field_twice() -> None:
    def make():
        @hpcir.stencil
        def s(u: Field[float, 2], out: Field[float, 2]):
            out[0, 0] = u[0, 0]
            out[0, 0] = 2.0 * u[0, 0]  # E3
    err = _raises(KernelSyntaxError, "E3", "out", "written twice", make)
    assert err.hint


def test_reading_an_output_at_an_offset() -> None:
    def make():
        @hpcir.stencil
        def s(u: Field[float, 1], out: Field[float, 1], out2: Field[float, 1]):
            out[0] = u[0]
            out2[0] = out[1]  # E4
    _raises(KernelSyntaxError, "E4", "out[1]", "read at offset", make)


def test_reading_an_output_before_writing_it() -> None:
    def make():
        @hpcir.stencil
        def s(u: Field[float, 1], out: Field[float, 1]):
            out[0] = out[0] + u[0]  # E5
    _raises(KernelSyntaxError, "E5", "out[0] +", "read before it is written", make)


def test_offset_rank_mismatch() -> None:
    def make():
        @hpcir.stencil
        def s(u: Field[float, 3], out: Field[float, 3]):
            out[0, 0, 0] = u[1, 0]  # E6
    _raises(KernelTypeError, "E6", "u[1, 0]", "rank mismatch", make)


def test_field_rank_mismatch() -> None:
    def make():
        @hpcir.stencil
        def s(u: Field[float, 2],
              out: Field[float, 3]):  # E7
            out[0, 0, 0] = u[0, 0]
    _raises(KernelTypeError, "E7", "out", "rank mismatch", make)


def test_field_dtype_mismatch() -> None:
    def make():
        @hpcir.stencil
        def s(u: Field[float, 2],
              out: Field[hpcir.float32, 2]):  # E8
            out[0, 0] = u[0, 0]
    _raises(KernelTypeError, "E8", "out", "dtype mismatch", make)


def test_writing_at_an_offset() -> None:
    def make():
        @hpcir.stencil
        def s(u: Field[float, 1], out: Field[float, 1]):
            out[1] = u[0]  # E9
    _raises(KernelSyntaxError, "E9", "out[1]", "written at offset", make)


def test_unsupported_statement() -> None:
    def make():
        @hpcir.stencil
        def s(u: Field[float, 1], out: Field[float, 1]):
            for k in range(3):  # E10
                out[0] = u[0]
    _raises(KernelSyntaxError, "E10", "for", "unsupported statement", make)


def test_unknown_function() -> None:
    def make():
        @hpcir.stencil
        def s(u: Field[float, 1], out: Field[float, 1]):
            out[0] = np.arctan2(u[0], 1.0)  # E11
    _raises(KernelSyntaxError, "E11", "np.arctan2", "unsupported call", make)


def test_missing_annotation() -> None:
    def make():
        @hpcir.stencil
        def s(u, out: Field[float, 1]):  # E12
            out[0] = u[0]
    _raises(KernelTypeError, "E12", "u,", "no annotation", make)


# -- call-site errors (arguments, domains): located at the user's call -----------------------------------

@hpcir.stencil
def smooth(u: Field[float, 2], out: Field[float, 2]):
    out[0, 0] = 0.5 * u[0, 0] + 0.125 * (u[1, 0] + u[-1, 0] + u[0, 1] + u[0, -1])


def test_call_dtype_mismatch() -> None:
    u = np.zeros((5, 5), np.float32)
    with pytest.raises(ArgumentError) as info:
        smooth(u, np.zeros((5, 5)))  # C1
    text = str(info.value)
    assert text.startswith(_where("C1", "smooth(")), text
    assert "dtype mismatch" in text and "float32" in text


def test_call_rank_mismatch() -> None:
    with pytest.raises(ArgumentError) as info:
        smooth(np.zeros(5), np.zeros((5, 5)))  # C2
    assert str(info.value).startswith(_where("C2", "smooth(")) and "rank mismatch" in str(info.value)


def test_call_domain_out_of_bounds() -> None:
    with pytest.raises(ArgumentError) as info:
        smooth(np.zeros((6, 6)), np.zeros((6, 6)), domain=[(0, 5), (1, 5)])  # C3
    text = str(info.value)
    assert text.startswith(_where("C3", "smooth(")), text
    assert "'u'" in text and "[-1, 6)" in text


@pytest.mark.parametrize("bad", [[(1, 5)], [(1, 5), (1, 2, 3)], "all", [(-1, 3), (1, 3)], [slice(1, 5, 2), (1, 3)]])
def test_call_invalid_domain(bad) -> None:
    with pytest.raises(ArgumentError, match="invalid domain"):
        smooth(np.zeros((6, 6)), np.zeros((6, 6)), domain=bad)


def test_call_missing_and_unknown_arguments() -> None:
    with pytest.raises(ArgumentError, match="missing"):
        smooth(np.zeros((6, 6)))
    with pytest.raises(ArgumentError, match="no parameter"):
        smooth(np.zeros((6, 6)), out=np.zeros((6, 6)), v=1)


def test_gpu_target_cannot_run_here() -> None:
    compiled = hpcir.compile(smooth, target="cuda")
    with pytest.raises(HpcirError, match="cannot run"):
        compiled(np.zeros((6, 6)), np.zeros((6, 6)))


def test_field_annotation_errors() -> None:
    with pytest.raises(TypeError, match="1 to 3"):
        Field[float, 4]
    with pytest.raises(TypeError, match="element type"):
        Field[int, 2]
    with pytest.raises(TypeError, match="Field\\[dtype, rank\\]"):
        Field[float]
