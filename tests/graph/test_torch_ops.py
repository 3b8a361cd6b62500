"""Per-op differential tests: torch functions -> Core ATen -> L1 -> Torch and JAX code, vs torch itself.

All cases run in one module per dtype (one torch.export, whose decomposition step costs ~1 s);
each case is still its own test, comparing its own output.
"""
from __future__ import annotations

import jax
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from hpcir.graph_api import compile, from_torch

from .conftest import assert_all_close, verify_l1
from .op_inputs import make_inputs

S = (3, 4)
N1, N2 = [("n", S)], [("n", S), ("n", S)]
P1 = [("p", S)]
IMG = [("n", (2, 4, 6, 6))]

TORCH_CASES = [
    ("add", lambda x, y: x + y, N2), ("add_alpha", lambda x, y: torch.add(x, y, alpha=2.5), N2),
    ("sub", lambda x, y: x - y, N2), ("rsub", lambda x: 1.5 - x, N1), ("mul", lambda x, y: x * y, N2),
    ("div", lambda x, y: x / y, [("n", S), ("p", S)]),
    ("div_floor", lambda x, y: torch.div(x, y, rounding_mode="floor"), [("n", S), ("p", S)]),
    ("div_trunc", lambda x, y: torch.div(x, y, rounding_mode="trunc"), [("n", S), ("p", S)]),
    ("fmod", lambda x, y: torch.fmod(x, y), [("n", S), ("p", S)]),
    ("remainder", lambda x, y: torch.remainder(x, y), [("n", S), ("p", S)]),
    ("pow_scalar", lambda x: x ** 2, N1), ("pow_tensor", lambda x, y: x ** y, [("p", S), ("n", S)]),
    ("pow_half", lambda x: x ** 0.5, P1), ("pow_float", lambda x: x ** 1.7, P1),
    ("maximum", torch.maximum, N2), ("minimum", torch.minimum, N2), ("atan2", torch.atan2, N2),
    ("broadcast_add", lambda x, y: x + y, [("n", (3, 1)), ("n", (4,))]),
    ("eq_ne", lambda x, y: torch.stack([x == y, x != y, x == 0.5]), N2),
    ("lt_le_gt_ge", lambda x, y: torch.stack([x < y, x <= y, x > 0.1, x >= y]), N2),
    ("logical", lambda a, b: torch.logical_and(a, b) | torch.logical_xor(a, ~b) | torch.logical_or(a, b), [("b", S), ("b", S)]),
    ("logical_not", lambda a: torch.logical_not(a), [("b", S)]),
    ("exp", torch.exp, N1), ("log", torch.log, P1), ("tanh", torch.tanh, N1), ("sqrt", torch.sqrt, P1),
    ("rsqrt", torch.rsqrt, P1), ("sin", torch.sin, N1), ("cos", torch.cos, N1), ("tan", torch.tan, [("u", S)]),
    ("erf", torch.erf, N1), ("log1p", torch.log1p, P1), ("expm1", torch.expm1, N1), ("floor", torch.floor, N1),
    ("ceil", torch.ceil, N1), ("round", torch.round, N1), ("trunc", torch.trunc, N1), ("atan", torch.atan, N1),
    ("asin", torch.asin, [("u", S)]), ("acos", torch.acos, [("u", S)]), ("sinh", torch.sinh, N1),
    ("cosh", torch.cosh, N1), ("asinh", torch.asinh, N1), ("atanh", torch.atanh, [("u", S)]),
    ("log2", torch.log2, P1), ("log10", torch.log10, P1), ("exp2", torch.exp2, N1), ("neg", torch.neg, N1),
    ("abs", torch.abs, N1), ("sign", torch.sign, N1), ("reciprocal", torch.reciprocal, P1),
    ("sigmoid", torch.sigmoid, N1), ("relu", torch.relu, N1), ("hardtanh", F.hardtanh, N1),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), N1), ("elu", F.elu, N1), ("silu", F.silu, N1),
    ("gelu", F.gelu, N1), ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), N1),
    ("softplus", F.softplus, N1), ("clamp", lambda x: torch.clamp(x, -0.5, 0.7), N1),
    ("clamp_min", lambda x: torch.clamp(x, min=0.1), N1), ("isnan_isinf", lambda x: torch.isnan(x) | torch.isinf(x), N1),
    ("where", lambda x, y: torch.where(x > y, x, y), N2), ("where_scalar", lambda x: torch.where(x > 0, x, 0.0), N1),
    ("to_int", lambda x: (x * 3).to(torch.int32), N1), ("to_float", lambda i: i.to(torch.float64) * 0.5, [("i", S)]),
    ("int_arith", lambda i, j: torch.stack([i + j, i * j, i // j, i % j, torch.div(i, j, rounding_mode="trunc")]),
     [("i", S), ("j", S)]),
    ("view", lambda x: x.view(2, 6), N1), ("reshape", lambda x: x.reshape(4, 3).t(), N1),
    ("permute", lambda x: x.permute(2, 0, 1), [("n", (2, 3, 4))]), ("transpose", lambda x: x.transpose(0, 1), N1),
    ("expand", lambda x: x.expand(2, 3, 4), [("n", (3, 1))]), ("unsqueeze_squeeze", lambda x: x.unsqueeze(1).squeeze(1), N1),
    ("flatten", lambda x: x.flatten(), [("n", (2, 3, 2))]), ("slice", lambda x: x[1:, 1:4:2], N1),
    ("select", lambda x: x[1], N1), ("cat", lambda x, y: torch.cat([x, y], 1), N2),
    ("stack", lambda x, y: torch.stack([x, y], 0), N2), ("split", lambda x: torch.split(x, 3, dim=1)[1], N1),
    ("pad", lambda x: F.pad(x, (1, 2, 0, 1), value=0.25), N1), ("flip", lambda x: torch.flip(x, (0, 1)), N1),
    ("repeat", lambda x: x.repeat(2, 1), N1), ("roll", lambda x: torch.roll(x, 1, 1), N1),
    ("tril", torch.tril, N1), ("reflection_pad", lambda x: F.pad(x, (1, 1), mode="reflect"), [("n", (2, 3, 5))]),
    ("arange", lambda x: x + torch.arange(4, dtype=x.dtype), N1), ("full", lambda x: x * torch.full((3, 4), 2.0, dtype=x.dtype), N1),
    ("index", lambda x: x[torch.tensor([2, 0, 2])], N1), ("index_select", lambda x: torch.index_select(x, 1, torch.tensor([3, 0])), N1),
    ("gather", lambda x: torch.gather(x, 1, torch.tensor([[0, 1], [2, 3], [1, 1]])), N1),
    ("embedding", lambda w: F.embedding(torch.tensor([[0, 2], [3, 1]]), w), [("n", (5, 3))]),
    ("sum", lambda x: x.sum(1), N1), ("sum_all", lambda x: x.sum(), N1), ("mean", lambda x: x.mean((0, 1), keepdim=True), N1),
    ("prod", lambda x: x.prod(0), N1), ("amax", lambda x: x.amax(1), N1), ("amin", lambda x: x.amin(0), N1),
    ("max_all", lambda x: x.max(), N1), ("max_dim", lambda x: x.max(1).values + x.max(1).indices, N1),
    ("argmax", lambda x: x.argmax(1), N1), ("argmin", lambda x: x.argmin(0), N1),
    ("var", lambda x: x.var(1), N1), ("std", lambda x: x.std(0, unbiased=False), N1),
    ("any_all", lambda a: torch.stack([a.any(0), a.all(0)]), [("b", S)]),
    ("norm", lambda x: torch.linalg.vector_norm(x, dim=1), N1), ("cumsum", lambda x: x.cumsum(1), N1),
    ("logsumexp", lambda x: torch.logsumexp(x, 1), N1),
    ("mm", lambda x, y: x @ y.T, N2), ("bmm", torch.bmm, [("n", (2, 3, 4)), ("n", (2, 4, 5))]),
    ("matmul_3d", lambda x, w: x @ w, [("n", (2, 3, 4)), ("n", (4, 5))]),
    ("addmm", lambda b, x, w: torch.addmm(b, x, w, beta=0.5, alpha=2.0), [("n", (5,)), ("n", (3, 4)), ("n", (4, 5))]),
    ("einsum", lambda x, y: torch.einsum("ij,kj->ik", x, y), N2),
    ("softmax", lambda x: torch.softmax(x, -1), N1), ("log_softmax", lambda x: torch.log_softmax(x, 0), N1),
    ("conv2d", lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1), IMG + [("n", (5, 4, 3, 3)), ("n", (5,))]),
    ("conv2d_groups", lambda x, w: F.conv2d(x, w, padding=(1, 0), dilation=(1, 2), groups=2), IMG + [("n", (6, 2, 3, 2))]),
    ("conv1d", lambda x, w: F.conv1d(x, w, padding=1), [("n", (2, 3, 8)), ("n", (4, 3, 3))]),
    ("batch_norm", lambda x, m, v, w, b: F.batch_norm(x, m, v, w, b, training=False, eps=1e-3),
     IMG + [("n", (4,)), ("p", (4,)), ("n", (4,)), ("n", (4,))]),
    ("layer_norm", lambda x, w, b: F.layer_norm(x, (4,), w, b), [("n", S), ("n", (4,)), ("n", (4,))]),
    ("group_norm", lambda x: F.group_norm(x, 2), IMG),
    ("max_pool2d", lambda x: F.max_pool2d(x, 2), IMG), ("max_pool2d_pad", lambda x: F.max_pool2d(x, 3, 2, 1), IMG),
    ("avg_pool2d", lambda x: F.avg_pool2d(x, 3, 1, 1), IMG), ("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, 2), IMG),
    ("upsample_nearest", lambda x: F.interpolate(x, scale_factor=2), IMG),
    ("fft", lambda c: torch.fft.fft(c), [("c", S)]), ("ifft2", lambda c: torch.fft.ifft2(c, norm="ortho"), [("c", S)]),
    ("rfft", lambda x: torch.fft.rfft(x, norm="forward"), N1), ("irfftn", lambda c: torch.fft.irfftn(c, s=(3, 6)), [("c", S)]),
    ("complex_ops", lambda c, d: (c * d.conj() + c / (d + 2)).abs() + torch.angle(c), [("c", S), ("c", S)]),
    ("real_imag", lambda c: torch.real(c) * torch.imag(c), [("c", S)]),
]


class _Table(torch.nn.Module):
    """Runs every case on its own slice of the flat inputs."""

    def __init__(self, cases):
        super().__init__()
        self.cases = cases
        self.counts = [len(s) for _, _, s in cases]

    def forward(self, *flat):
        outs, k = [], 0
        for (_, fn, _), n in zip(self.cases, self.counts):
            outs.append(fn(*flat[k:k + n]))
            k += n
        return tuple(outs)


def _inputs(dtype):
    return [torch.as_tensor(a) for i, (_, _, specs) in enumerate(TORCH_CASES)
            for a in make_inputs(specs, dtype, seed=100 + i)]


@pytest.fixture(scope="module", params=[np.float32, np.float64], ids=["f32", "f64"])
def results(request):
    """(reference, torch->torch, torch->jax) outputs of every case for one dtype."""
    args = _inputs(request.param)
    table = _Table(TORCH_CASES)
    with torch.no_grad():
        want = table(*args)
    prog = from_torch(table, tuple(args), name="torch_op_table")
    verify_l1(prog)
    got_torch = compile(prog, target="torch")(*args)
    got_jax = jax.jit(compile(prog, target="jax"))(*[a.numpy() for a in args])
    return want, got_torch, got_jax


@pytest.mark.parametrize("index", range(len(TORCH_CASES)), ids=[c[0] for c in TORCH_CASES])
def test_torch_op(results, index):
    """Each op's output equals torch's, through both emitters."""
    want, got_torch, got_jax = results
    name = TORCH_CASES[index][0]
    assert_all_close(got_torch[index], want[index], f"{name} torch->torch")
    assert_all_close(got_jax[index], want[index], f"{name} torch->jax")


def test_torch_table_covers_eighty_aten_ops():
    """The table reaches at least 80 distinct Core ATen ops after decomposition."""
    args = _inputs(np.float64)
    ep = torch.export.export(_Table(TORCH_CASES), tuple(args)).run_decompositions()
    seen = {n.target.__name__.split(".")[0] for n in ep.graph.nodes
            if n.op == "call_function" and hasattr(n.target, "_schema")}
    from hpcir.frontends.torch_frontend import supported_aten_ops
    supported = {s.split(".")[0] for s in supported_aten_ops()}
    covered = seen & supported
    assert len(covered) >= 80, sorted(covered)
    assert not (seen - supported - {"_assert_tensor_metadata"}), sorted(seen - supported)
