"""Reference models written twice, in PyTorch and in JAX, sharing one set of numpy parameters."""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from jax import lax


def _rng(seed):
    return np.random.default_rng(seed)


# ---- MLP -----------------------------------------------------------------------------------------
class TorchMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(16, 32), nn.Linear(32, 32), nn.Linear(32, 4)

    def forward(self, x):
        return self.fc3(torch.relu(self.fc2(F.gelu(self.fc1(x)))))


def jax_mlp(x, w1, b1, w2, b2, w3, b3):
    h = jax.nn.gelu(x @ w1.T + b1, approximate=False)
    h = jax.nn.relu(h @ w2.T + b2)
    return h @ w3.T + b3


def mlp_case(dtype):
    m = TorchMLP().to(torch.float64 if dtype == np.float64 else torch.float32).eval()
    params = [p.detach().numpy() for p in (m.fc1.weight, m.fc1.bias, m.fc2.weight, m.fc2.bias, m.fc3.weight, m.fc3.bias)]
    x = _rng(1).standard_normal((8, 16)).astype(dtype)
    return m, jax_mlp, [x], params


# ---- conv + batch norm + pooling -------------------------------------------------------------------
class TorchConvBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=2)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        y = F.max_pool2d(torch.relu(self.bn(self.conv(x))), 2)
        return F.avg_pool2d(y, 2).flatten(1)


def jax_conv_block(x, w, b, gamma, beta, mean, var):
    y = lax.conv_general_dilated(x, w, (2, 2), ((1, 1), (1, 1)), feature_group_count=2,
                                 precision=lax.Precision.HIGHEST) + b[None, :, None, None]
    y = (y - mean[None, :, None, None]) / jnp.sqrt(var[None, :, None, None] + 1e-5) * gamma[None, :, None, None] \
        + beta[None, :, None, None]
    y = jax.nn.relu(y)
    y = lax.reduce_window(y, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
    y = lax.reduce_window(y, 0.0, lax.add, (1, 1, 2, 2), (1, 1, 2, 2), "VALID") / 4.0
    return y.reshape(y.shape[0], -1)


def conv_case(dtype):
    m = TorchConvBlock().to(torch.float64 if dtype == np.float64 else torch.float32).eval()
    with torch.no_grad():
        m.bn.running_mean.uniform_(-0.5, 0.5)
        m.bn.running_var.uniform_(0.5, 2.0)
        m.bn.weight.uniform_(0.5, 1.5)
        m.bn.bias.uniform_(-0.5, 0.5)
    params = [t.detach().numpy() for t in (m.conv.weight, m.conv.bias, m.bn.weight, m.bn.bias,
                                           m.bn.running_mean, m.bn.running_var)]
    x = _rng(2).standard_normal((2, 4, 16, 16)).astype(dtype)
    return m, jax_conv_block, [x], params


# ---- attention block ----------------------------------------------------------------------------------
class TorchAttention(nn.Module):
    def __init__(self, d=8):
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.ln = nn.LayerNorm(d)
        self.ff = nn.Linear(d, d)
        self.d = d

    def forward(self, x):
        q, k, v = self.q(x), self.k(x), self.v(x)
        att = torch.softmax(torch.bmm(q, k.transpose(1, 2)) / math.sqrt(self.d), dim=-1)
        h = self.ln(x + self.o(torch.bmm(att, v)))
        return h + F.gelu(self.ff(h))


def jax_attention(x, wq, bq, wk, bk, wv, bv, wo, bo, g, beta, wf, bf):
    q, k, v = x @ wq.T + bq, x @ wk.T + bk, x @ wv.T + bv
    att = jax.nn.softmax(jnp.einsum("bqd,bkd->bqk", q, k) / math.sqrt(x.shape[-1]), axis=-1)
    h = x + jnp.einsum("bqk,bkd->bqd", att, v) @ wo.T + bo
    mu = h.mean(-1, keepdims=True)
    var = ((h - mu) ** 2).mean(-1, keepdims=True)
    h = (h - mu) / jnp.sqrt(var + 1e-5) * g + beta
    return h + jax.nn.gelu(h @ wf.T + bf, approximate=False)


def attention_case(dtype):
    m = TorchAttention().to(torch.float64 if dtype == np.float64 else torch.float32).eval()
    with torch.no_grad():
        m.ln.weight.uniform_(0.5, 1.5)
        m.ln.bias.uniform_(-0.5, 0.5)
    mods = (m.q, m.k, m.v, m.o)
    params = [t.detach().numpy() for l in mods for t in (l.weight, l.bias)]
    params += [t.detach().numpy() for t in (m.ln.weight, m.ln.bias, m.ff.weight, m.ff.bias)]
    x = _rng(3).standard_normal((2, 5, 8)).astype(dtype)
    return m, jax_attention, [x], params


# ---- stencil written with slicing --------------------------------------------------------------------
class TorchStencil(nn.Module):
    def forward(self, u):
        lap = u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2] - 4.0 * u[1:-1, 1:-1]
        return u + 0.1 * F.pad(lap, (1, 1, 1, 1))


def jax_stencil(u):
    lap = u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2] - 4.0 * u[1:-1, 1:-1]
    return u + 0.1 * jnp.pad(lap, 1)


def stencil_case(dtype):
    return TorchStencil(), jax_stencil, [_rng(4).standard_normal((10, 12)).astype(dtype)], []


# ---- FFT convolution ------------------------------------------------------------------------------------
class TorchFFTConv(nn.Module):
    def forward(self, x, k):
        return torch.fft.irfft2(torch.fft.rfft2(x) * torch.fft.rfft2(k), s=x.shape[-2:])


def jax_fft_conv(x, k):
    return jnp.fft.irfft2(jnp.fft.rfft2(x) * jnp.fft.rfft2(k), s=x.shape[-2:])


def fft_case(dtype):
    r = _rng(5)
    return TorchFFTConv(), jax_fft_conv, [r.standard_normal((3, 8, 6)).astype(dtype),
                                          r.standard_normal((3, 8, 6)).astype(dtype)], []


MODEL_CASES = {"mlp": mlp_case, "conv_bn_pool": conv_case, "attention": attention_case,
               "stencil": stencil_case, "fft_conv": fft_case}
