"""Torch emitter: L1 GraphProgram -> torch source and a torch.nn.Module (torch.compile-able)."""
from __future__ import annotations

import numpy as np

from hpcir.dialects.graph_program import GraphProgram

from .graph_emit import INLINE_CONST_MAX, Expr, Vocab
from .graph_pysrc import module_source, nested, tup

_UNARY = {
    "exp": "torch.exp", "log": "torch.log", "tanh": "torch.tanh", "sqrt": "torch.sqrt",
    "rsqrt": "torch.rsqrt", "sin": "torch.sin", "cos": "torch.cos", "tan": "torch.tan",
    "erf": "torch.erf", "log1p": "torch.log1p", "expm1": "torch.expm1", "floor": "torch.floor",
    "ceil": "torch.ceil", "round": "torch.round", "trunc": "torch.trunc", "atan": "torch.atan",
    "asin": "torch.asin", "acos": "torch.acos", "sinh": "torch.sinh", "cosh": "torch.cosh",
    "asinh": "torch.asinh", "atanh": "torch.atanh", "log2": "torch.log2", "log10": "torch.log10",
    "exp2": "torch.exp2", "abs": "torch.abs", "real": "torch.real", "imag": "torch.imag",
    "conj": "torch.conj_physical",
}
_OPS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "and": "&", "or": "|", "xor": "^"}
_REDUCE = {"sum": "torch.sum", "max": "torch.amax", "min": "torch.amin", "all": "torch.all",
           "any": "torch.any"}


class TorchVocab(Vocab):
    """torch spelling; tensors are created on `_dev`, the device of the first input."""

    target = "torch"
    imports = ("import torch", "import torch.nn.functional as F")

    def dtype(self, dt) -> str:
        dt = np.dtype(dt)
        return "torch.bool" if dt == np.bool_ else f"torch.{dt.name}"

    def prologue(self, params) -> list[str]:
        dev = f"{params[0]}.device" if params else 'torch.device("cpu")'
        return [f"_dev = {dev}"]

    def array(self, value) -> str:
        return f"torch.tensor({nested(value)}, dtype={self.dtype(value.dtype)}, device=_dev)"

    def const_ref(self, key, dt) -> str:
        return f'torch.as_tensor(_consts["{key}"], device=_dev)'

    def full(self, shape, lit, dt) -> str:
        return f"torch.full({tup(shape)}, {lit}, dtype={self.dtype(dt)}, device=_dev)"

    def arange(self, n) -> str:
        return f"torch.arange({n}, device=_dev)"

    def unary(self, kind, a: Expr, dt) -> str:
        if kind == "neg":
            return f"(-{a.text})"
        if kind == "round_away":
            return f"(torch.sign({a.text}) * torch.floor(torch.abs({a.text}) + 0.5))"
        if kind == "cbrt":
            return f"(torch.sign({a.text}) * torch.abs({a.text}) ** (1.0 / 3.0))"
        return f"{_UNARY[kind]}({a.text})"

    def binary(self, kind, a: Expr, b: Expr, dt) -> str:
        if kind in _OPS:
            return f"({a.text} {_OPS[kind]} {b.text})"
        if kind in ("max", "min"):
            if a.is_lit or b.is_lit:  # torch.maximum wants two tensors; clamp takes a scalar bound
                t, s = (b, a) if a.is_lit else (a, b)
                return f"torch.clamp({t.text}, {'min' if kind == 'max' else 'max'}={s.text})"
            return f"torch.{'maximum' if kind == 'max' else 'minimum'}({a.text}, {b.text})"
        if kind == "idiv":
            return f'torch.div({a.text}, {b.text}, rounding_mode="trunc")'
        if kind == "irem":
            return f"torch.fmod({a.text}, {b.text})"
        if kind == "pow":
            return f"torch.pow({a.text}, {b.text})"
        if kind == "atan2":
            wrap = lambda e: f"torch.tensor({e.text}, dtype={self.dtype(dt)}, device=_dev)" if e.is_lit else e.text  # noqa: E731
            return f"torch.atan2({wrap(a)}, {wrap(b)})"
        raise NotImplementedError(kind)

    def select(self, c, a, b) -> str:
        return f"torch.where({c.text}, {a.text}, {b.text})"

    def cast(self, a, dt) -> str:
        return f"{a.text}.to({self.dtype(dt)})"

    def isnan(self, a) -> str:
        return f"torch.isnan({a.text})"

    def complex(self, re, im, dt) -> str:
        if im.is_lit and im.lit == 0:
            return f"{re.text}.to({self.dtype(dt)})"
        return f"torch.complex({re.text}, {im.text})"

    def transpose(self, x, perm) -> str:
        return f"{x}.permute{tup(perm)}"

    def flip(self, x, axes) -> str:
        return f"torch.flip({x}, {tup(axes)})"

    def reshape(self, x, shape) -> str:
        return f"{x}.reshape{tup(shape)}"

    def broadcast_to(self, x, shape) -> str:
        return f"torch.broadcast_to({x}, {tup(shape)})"

    def reduce(self, kind, x, axes, dt) -> str:
        if kind == "prod":  # torch.prod reduces one dim at a time
            for a in sorted(axes, reverse=True):
                x = f"torch.prod({x}, dim={a}, dtype={self.dtype(dt)})"
            return x
        extra = f", dtype={self.dtype(dt)}" if kind == "sum" else ""
        return f"{_REDUCE[kind]}({x}, dim={tup(axes)}{extra})"

    def arg_reduce(self, kind, x, axis, dt) -> str:
        text = f"torch.arg{kind}({x}, dim={axis})"
        return text if np.dtype(dt) == np.int64 else f"{text}.to({self.dtype(dt)})"

    def einsum(self, spec, a, b) -> str:
        return f'torch.einsum("{spec}", {a}, {b})'

    def pad(self, x, lo, hi, value) -> str:
        flat = []
        for l, h in reversed(list(zip(lo, hi))):
            flat += [int(l), int(h)]
        return f"F.pad({x}, {tup(flat)}, value={value})"

    def concat(self, xs, axis) -> str:
        return f"torch.cat([{', '.join(xs)}], dim={axis})"

    def conv2d(self, x, w, strides, dilations, groups) -> str:
        return f"F.conv2d({x}, {w}, stride={tup(strides)}, dilation={tup(dilations)}, groups={groups})"

    def max_pool2d(self, x, kernel, strides, dilations) -> str:
        return f"F.max_pool2d({x}, {tup(kernel)}, {tup(strides)}, dilation={tup(dilations)})"

    def fft(self, kind, x, axes, norm, s) -> str:
        s_arg = f"s={tup(s)}, " if s is not None else ""
        return f'torch.fft.{kind}({x}, {s_arg}dim={tup(axes)}, norm="{norm}")'


    def dynamic_slice(self, x, offsets, sizes) -> str:
        return f"{x}[{_box(offsets, sizes)}]"

    def dynamic_update(self, name, x, upd, offsets, sizes, in_place) -> list[str]:
        # writes into a clone unless the loop owns x (a scan's stacked output: no copy per step)
        return [f"{name} = {x if in_place else x + '.clone()'}", f"{name}[{_box(offsets, sizes)}] = {upd}"]


def _box(offsets, sizes) -> str:
    return ", ".join(f"{o}:{o} + {s}" if not o.isdigit() else f"{o}:{int(o) + int(s)}" for o, s in zip(offsets, sizes))


def lower_torch(prog: GraphProgram, const_max: int = INLINE_CONST_MAX) -> tuple[str, dict[str, np.ndarray]]:
    """(Torch module source, its large constants)."""
    return module_source(prog, TorchVocab(), const_max)


def compile_torch(prog: GraphProgram, bind_weights: bool = True):
    """A torch.nn.Module running the program; weights are buffers unless bind_weights=False."""
    import torch

    src, consts = lower_torch(prog)
    ns: dict = {}
    exec(compile(src, f"<hpcir-torch:{prog.name}>", "exec"), ns)  # noqa: S102 - our own generated code
    ns["_consts"] = {k: torch.as_tensor(np.asarray(v)) for k, v in consts.items()}
    fn = ns[prog.name]
    names = list(prog.weight_names) if bind_weights else []

    class HpcirTorchModule(torch.nn.Module):
        """Runs the generated function; bound weights live in the module as buffers."""

        def __init__(self):
            super().__init__()
            self._wkeys = []
            for i, n in enumerate(names):
                key = f"w{i}_{n}"[:60]
                self.register_buffer(key, torch.as_tensor(np.asarray(prog.weights[n])))
                self._wkeys.append(key)

        def forward(self, *inputs):
            return fn(*inputs, *[getattr(self, k) for k in self._wkeys])

    mod = HpcirTorchModule()
    mod.__hpcir_source__ = src
    return mod
