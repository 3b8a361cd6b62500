"""JAX emitter: L1 GraphProgram -> jax.numpy / lax source and a jit-able, differentiable callable."""
from __future__ import annotations

import functools

import numpy as np

from hpcir.dialects.graph_program import GraphProgram

from .graph_emit import INLINE_CONST_MAX, Expr, Vocab
from .graph_pysrc import module_source, nested, tup

_UNARY = {
    "exp": "jnp.exp", "log": "jnp.log", "tanh": "jnp.tanh", "sqrt": "jnp.sqrt", "rsqrt": "lax.rsqrt",
    "sin": "jnp.sin", "cos": "jnp.cos", "tan": "jnp.tan", "erf": "lax.erf", "log1p": "jnp.log1p",
    "expm1": "jnp.expm1", "floor": "jnp.floor", "ceil": "jnp.ceil", "round": "jnp.round",
    "trunc": "jnp.trunc", "atan": "jnp.arctan", "asin": "jnp.arcsin", "acos": "jnp.arccos",
    "sinh": "jnp.sinh", "cosh": "jnp.cosh", "asinh": "jnp.arcsinh", "atanh": "jnp.arctanh",
    "log2": "jnp.log2", "log10": "jnp.log10", "exp2": "jnp.exp2", "cbrt": "jnp.cbrt",
    "abs": "jnp.abs", "real": "jnp.real", "imag": "jnp.imag", "conj": "jnp.conj",
}
_OPS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "and": "&", "or": "|", "xor": "^"}
_FUNCS = {"max": "jnp.maximum", "min": "jnp.minimum", "pow": "jnp.power", "atan2": "jnp.arctan2",
          "idiv": "lax.div", "irem": "lax.rem"}
_REDUCE = {"sum": "jnp.sum", "prod": "jnp.prod", "max": "jnp.max", "min": "jnp.min", "all": "jnp.all",
           "any": "jnp.any"}


class JaxVocab(Vocab):
    """jax.numpy / lax spelling."""

    target = "jax"
    imports = ("import jax", "import jax.numpy as jnp", "from jax import lax")

    def dtype(self, dt) -> str:
        dt = np.dtype(dt)
        return "jnp.bool_" if dt == np.bool_ else f"jnp.{dt.name}"

    def array(self, value) -> str:
        return f"jnp.asarray({nested(value)}, dtype={self.dtype(value.dtype)})"

    def const_ref(self, key, dt) -> str:
        return f'jnp.asarray(_consts["{key}"])'

    def full(self, shape, lit, dt) -> str:
        return f"jnp.full({tup(shape)}, {lit}, dtype={self.dtype(dt)})"

    def arange(self, n) -> str:
        return f"jnp.arange({n})"

    def unary(self, kind, a: Expr, dt) -> str:
        if kind == "neg":
            return f"(-{a.text})"
        if kind == "round_away":
            return f"lax.round({a.text}, lax.RoundingMethod.AWAY_FROM_ZERO)"
        return f"{_UNARY[kind]}({a.text})"

    def _typed(self, e: Expr, dt) -> str:
        return f"jnp.asarray({e.text}, dtype={self.dtype(dt)})" if e.is_lit else e.text

    def binary(self, kind, a: Expr, b: Expr, dt) -> str:
        if kind in _OPS:
            return f"({a.text} {_OPS[kind]} {b.text})"
        if kind in ("idiv", "irem"):  # lax wants arrays of one dtype
            return f"{_FUNCS[kind]}({self._typed(a, dt)}, {self._typed(b, dt)})"
        return f"{_FUNCS[kind]}({a.text}, {b.text})"

    def select(self, c, a, b) -> str:
        return f"jnp.where({c.text}, {a.text}, {b.text})"

    def cast(self, a, dt) -> str:
        return f"{a.text}.astype({self.dtype(dt)})"

    def isnan(self, a) -> str:
        return f"jnp.isnan({a.text})"

    def complex(self, re, im, dt) -> str:
        if im.is_lit and im.lit == 0:
            return f"{re.text}.astype({self.dtype(dt)})"
        return f"lax.complex({re.text}, {im.text})"

    def transpose(self, x, perm) -> str:
        return f"jnp.transpose({x}, {tup(perm)})"

    def flip(self, x, axes) -> str:
        return f"jnp.flip({x}, {tup(axes)})"

    def reshape(self, x, shape) -> str:
        return f"jnp.reshape({x}, {tup(shape)})"

    def broadcast_to(self, x, shape) -> str:
        return f"jnp.broadcast_to({x}, {tup(shape)})"

    def reduce(self, kind, x, axes, dt) -> str:
        extra = f", dtype={self.dtype(dt)}" if kind in ("sum", "prod") else ""
        return f"{_REDUCE[kind]}({x}, axis={tup(axes)}{extra})"

    def arg_reduce(self, kind, x, axis, dt) -> str:
        return f"jnp.arg{kind}({x}, axis={axis}).astype({self.dtype(dt)})"

    def einsum(self, spec, a, b) -> str:
        return f'jnp.einsum("{spec}", {a}, {b}, precision="highest")'

    def pad(self, x, lo, hi, value) -> str:
        widths = ", ".join(f"({int(l)}, {int(h)})" for l, h in zip(lo, hi))
        return f"jnp.pad({x}, ({widths},), constant_values={value})"

    def concat(self, xs, axis) -> str:
        return f"jnp.concatenate([{', '.join(xs)}], axis={axis})"

    def conv2d(self, x, w, strides, dilations, groups) -> str:
        return (f"lax.conv_general_dilated({x}, {w}, window_strides={tup(strides)}, padding=\"VALID\", "
                f"rhs_dilation={tup(dilations)}, dimension_numbers=(\"NCHW\", \"OIHW\", \"NCHW\"), "
                f"feature_group_count={groups}, precision=\"highest\")")

    def max_pool2d(self, x, kernel, strides, dilations) -> str:
        return (f"lax.reduce_window({x}, -jnp.inf, lax.max, {tup((1, 1, *kernel))}, "
                f"{tup((1, 1, *strides))}, \"VALID\", window_dilation={tup((1, 1, *dilations))})")

    def fft(self, kind, x, axes, norm, s) -> str:
        s_arg = f"s={tup(s)}, " if s is not None else ""
        return f'jnp.fft.{kind}({x}, {s_arg}axes={tup(axes)}, norm="{norm}")'


    functional_control = True

    def dynamic_slice(self, x, offsets, sizes) -> str:
        return f"lax.dynamic_slice({x}, {_starts(offsets)}, {tup(sizes)})"

    def dynamic_update(self, name, x, upd, offsets, sizes, in_place) -> list[str]:
        return [f"{name} = lax.dynamic_update_slice({x}, {upd}, {_starts(offsets)})"]


def _starts(offsets) -> str:
    # lax wants start indices of one integer type: loop counters are int64 under x64, literals follow
    return "(" + ", ".join(f"jnp.int32({o})" for o in offsets) + ",)"


def lower_jax(prog: GraphProgram, const_max: int = INLINE_CONST_MAX) -> tuple[str, dict[str, np.ndarray]]:
    """(JAX module source, its large constants)."""
    return module_source(prog, JaxVocab(), const_max)


def compile_jax(prog: GraphProgram, bind_weights: bool = True):
    """A JAX callable (jit-able, differentiable); weights are bound unless bind_weights=False."""
    import jax.numpy as jnp

    src, consts = lower_jax(prog)
    ns: dict = {}
    exec(compile(src, f"<hpcir-jax:{prog.name}>", "exec"), ns)  # noqa: S102 - our own generated code
    ns["_consts"] = {k: np.asarray(v) for k, v in consts.items()}
    fn = ns[prog.name]
    fn.__hpcir_source__ = src
    if not bind_weights or not prog.weight_names:
        return fn
    weights = [jnp.asarray(prog.weights[n]) for n in prog.weight_names]

    @functools.wraps(fn)
    def bound(*inputs):
        return fn(*inputs, *weights)

    return bound
