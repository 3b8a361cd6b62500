"""The spelling table of kernel ops in array code: one row per arith / math op, one column per library.

The kernel array emitter (kernel_array_emitter.py) looks every scalar op up here, so a new op of the
kernel language needs one row: `{a}`, `{b}` are the (already vectorised) operands, `{L}` the array
module (`jnp` or `torch`), `{T}` the result dtype (e.g. `jnp.float64`).
"""
from __future__ import annotations

# Infix operators shared by both libraries (operands broadcast lane-wise).
INFIX = {"arith.addf": "+", "arith.addi": "+", "arith.subf": "-", "arith.subi": "-", "arith.mulf": "*",
         "arith.muli": "*", "arith.divf": "/", "arith.andi": "&", "arith.ori": "|", "arith.xori": "^",
         "arith.shli": "<<", "arith.shrsi": ">>", "arith.floordivsi": "//",
         "complex.add": "+", "complex.sub": "-", "complex.mul": "*", "complex.div": "/",
         "complex.eq": "==", "complex.neq": "!="}

# Element-wise functions of one operand: op -> (jax spelling, torch spelling).
UNARY = {
    "math.sin": ("jnp.sin", "torch.sin"), "math.cos": ("jnp.cos", "torch.cos"), "math.tan": ("jnp.tan", "torch.tan"),
    "math.exp": ("jnp.exp", "torch.exp"), "math.exp2": ("jnp.exp2", "torch.exp2"),
    "math.expm1": ("jnp.expm1", "torch.expm1"), "math.log": ("jnp.log", "torch.log"),
    "math.log2": ("jnp.log2", "torch.log2"), "math.log10": ("jnp.log10", "torch.log10"),
    "math.log1p": ("jnp.log1p", "torch.log1p"), "math.sqrt": ("jnp.sqrt", "torch.sqrt"),
    "math.rsqrt": ("lax.rsqrt", "torch.rsqrt"), "math.cbrt": ("jnp.cbrt", "_torch_cbrt"),
    "math.tanh": ("jnp.tanh", "torch.tanh"), "math.sinh": ("jnp.sinh", "torch.sinh"),
    "math.cosh": ("jnp.cosh", "torch.cosh"), "math.asin": ("jnp.arcsin", "torch.asin"),
    "math.acos": ("jnp.arccos", "torch.acos"), "math.atan": ("jnp.arctan", "torch.atan"),
    "math.erf": ("lax.erf", "torch.erf"), "math.absf": ("jnp.abs", "torch.abs"), "math.absi": ("jnp.abs", "torch.abs"),
    "math.floor": ("jnp.floor", "torch.floor"), "math.ceil": ("jnp.ceil", "torch.ceil"),
    "math.trunc": ("jnp.trunc", "torch.trunc"), "math.round": ("_jax_round_away", "_torch_round_away"),
    "math.roundeven": ("jnp.round", "torch.round"),
    # complex numbers (the upstream complex dialect); torch.conj_physical: torch.conj is a lazy view
    "complex.abs": ("jnp.abs", "torch.abs"), "complex.sqrt": ("jnp.sqrt", "torch.sqrt"),
    "complex.exp": ("jnp.exp", "torch.exp"), "complex.log": ("jnp.log", "torch.log"),
    "complex.sin": ("jnp.sin", "torch.sin"), "complex.cos": ("jnp.cos", "torch.cos"),
    "complex.tan": ("jnp.tan", "torch.tan"), "complex.tanh": ("jnp.tanh", "torch.tanh"),
    "complex.conj": ("jnp.conj", "torch.conj_physical"), "complex.neg": ("jnp.negative", "torch.neg"),
    "complex.re": ("jnp.real", "torch.real"), "complex.im": ("jnp.imag", "torch.imag"),
    "complex.angle": ("jnp.angle", "torch.angle"),
}

# Element-wise functions of two operands: op -> (jax template, torch template).
BINARY = {
    "arith.maximumf": ("jnp.maximum({a}, {b})", "torch.maximum({a}, {b})"),
    "arith.minimumf": ("jnp.minimum({a}, {b})", "torch.minimum({a}, {b})"),
    "arith.maxnumf": ("jnp.fmax({a}, {b})", "torch.fmax({a}, {b})"),
    "arith.minnumf": ("jnp.fmin({a}, {b})", "torch.fmin({a}, {b})"),
    "arith.maxsi": ("jnp.maximum({a}, {b})", "torch.maximum({a}, {b})"),
    "arith.minsi": ("jnp.minimum({a}, {b})", "torch.minimum({a}, {b})"),
    # C semantics: the quotient truncates toward zero, the remainder has the dividend's sign.
    "arith.divsi": ("lax.div({a}, {b})", "torch.div({a}, {b}, rounding_mode='trunc')"),
    "arith.remsi": ("lax.rem({a}, {b})", "torch.fmod({a}, {b})"),
    "arith.ceildivsi": ("-((-{a}) // {b})", "-((-{a}) // {b})"),
    "arith.remf": ("jnp.fmod({a}, {b})", "torch.fmod({a}, {b})"),
    "math.atan2": ("jnp.arctan2({a}, {b})", "torch.atan2({a}, {b})"),
    "math.powf": ("jnp.power({a}, {b})", "torch.pow({a}, {b})"),
    "math.fpowi": ("jnp.power({a}, {b})", "torch.pow({a}, {b})"),
    "math.ipowi": ("jnp.power({a}, {b})", "torch.pow({a}, {b})"),
    "math.copysign": ("jnp.copysign({a}, {b})", "torch.copysign({a}, {b})"),
    # {R}: the parts' real dtype; both libraries want equal dtypes and shapes for the two parts
    "complex.create": ("lax.complex(*jnp.broadcast_arrays(jnp.asarray({a}, {R}), jnp.asarray({b}, {R})))",
                       "torch.complex(*torch.broadcast_tensors(torch.as_tensor({a}, dtype={R}), "
                       "torch.as_tensor({b}, dtype={R})))"),
    "complex.pow": ("jnp.power({a}, {b})", "torch.pow({a}, {b})"),
}

# arith.cmpi predicates (signed and unsigned read alike: kernels index with signed integers).
CMPI = {"eq": "==", "ne": "!=", "slt": "<", "sle": "<=", "sgt": ">", "sge": ">=", "ult": "<", "ule": "<=",
        "ugt": ">", "uge": ">="}
CMPI_ORDER = ["eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge"]
# arith.cmpf predicates by number: ordered ones are the plain operators (false on NaN), unordered
# ones negate the opposite ordered comparison. {N} is the logical-not function of the library.
CMPF = {0: "({a} != {a}) & False", 1: "({a} == {b})", 2: "({a} > {b})", 3: "({a} >= {b})", 4: "({a} < {b})",
        5: "({a} <= {b})", 6: "(({a} < {b}) | ({a} > {b}))", 7: "(({a} == {a}) & ({b} == {b}))",
        8: "{N}(({a} < {b}) | ({a} > {b}))", 9: "{N}({a} <= {b})", 10: "{N}({a} < {b})", 11: "{N}({a} >= {b})",
        12: "{N}({a} > {b})", 13: "({a} != {b})", 14: "(({a} != {a}) | ({b} != {b}))", 15: "({a} == {a}) | True"}

# Integer division and remainder (Torch traps on a zero divisor, even in lanes a mask turns off).
INT_DIVISION = {"arith.floordivsi", "arith.divsi", "arith.remsi", "arith.ceildivsi"}

# Casts: op -> how the value changes (the emitter writes `astype` / `.to`).
CASTS = {"arith.sitofp", "arith.uitofp", "arith.fptosi", "arith.fptoui", "arith.extf", "arith.truncf",
         "arith.extsi", "arith.extui", "arith.trunci", "arith.index_cast", "arith.index_castui"}

# Built-in reducers: kind -> (jax reduction, torch reduction, combine of two values as a template).
REDUCE = {
    "sum": ("jnp.sum", "torch.sum", "({a} + {b})"),
    "prod": ("jnp.prod", "torch.prod", "({a} * {b})"),
    "max": ("jnp.max", "torch.amax", "{L}.maximum({a}, {b})"),
    "min": ("jnp.min", "torch.amin", "{L}.minimum({a}, {b})"),
    "land": ("jnp.all", "torch.all", "({a} & {b})"),
    "lor": ("jnp.any", "torch.any", "({a} | {b})"),
    "band": ("_jax_reduce_and", "_torch_reduce_and", "({a} & {b})"),
    "bor": ("_jax_reduce_or", "_torch_reduce_or", "({a} | {b})"),
}

# Inclusive scans: kind -> (jax, torch) spelling over axis 0.
SCAN = {"sum": ("jnp.cumsum({x}, axis=0)", "torch.cumsum({x}, 0)"),
        "prod": ("jnp.cumprod({x}, axis=0)", "torch.cumprod({x}, 0)"),
        "max": ("lax.cummax({x}, axis=0)", "torch.cummax({x}, 0).values"),
        "min": ("lax.cummin({x}, axis=0)", "torch.cummin({x}, 0).values")}

# memref.atomic_rmw kinds (MLIR 22 AtomicRMWKind numbers, as the frontend writes them) -> scatter.
ATOMIC = {0: "add", 1: "add", 4: "max", 5: "max", 6: "max", 8: "min", 9: "min", 10: "min", 12: "mul", 13: "mul"}
# jax `.at[]` method and torch spelling of each scatter.
SCATTER = {"add": ("add", "index_put_({idx}, {v}, accumulate=True)"),
           "max": ("max", "amax"), "min": ("min", "amin"), "mul": ("multiply", "prod")}

# Helpers a generated module defines when it uses them (names above starting with `_`).
HELPERS = {
    "_jax_check": "def _jax_check(failed, message):\n    # a failed kernel check raises when values are known; "
                  "under jax.jit (tracers) it cannot\n    if not isinstance(failed, jax.core.Tracer) and bool(failed.any()):\n"
                  "        raise ZeroDivisionError(message)\n",
    "_torch_check": "def _torch_check(failed, message):\n    # a Python bool (a check on scalar arguments) keeps torch.compile's graph whole; under\n"
                    "    # torch.compile a check on lanes' values is skipped (as under jax.jit): no graph break\n"
                    "    if isinstance(failed, bool):\n        if failed:\n            raise ZeroDivisionError(message)\n"
                    "    elif not torch.compiler.is_compiling() and bool(torch.as_tensor(failed).any()):\n"
                    "        raise ZeroDivisionError(message)\n",
    "_torch_flat": "def _torch_flat(x):\n    # the row-major flat alias a linear-index gather reads (a copy only for a non-contiguous view)\n"
                   "    return x.view(-1) if x.is_contiguous() else x.reshape(-1)\n",
    "_jax_round_away": "def _jax_round_away(x):\n    return lax.round(x, lax.RoundingMethod.AWAY_FROM_ZERO)\n",
    "_torch_round_away": "def _torch_round_away(x):\n    return torch.sign(x) * torch.floor(torch.abs(x) + 0.5)\n",
    "_torch_cbrt": "def _torch_cbrt(x):\n    return torch.sign(x) * torch.abs(x) ** (1.0 / 3.0)\n",
    "_jax_reduce_and": "def _jax_reduce_and(x):\n    return lax.reduce(x, jnp.array(-1, x.dtype), lax.bitwise_and, "
                       "tuple(range(x.ndim)))\n",
    "_jax_reduce_or": "def _jax_reduce_or(x):\n    return lax.reduce(x, jnp.array(0, x.dtype), lax.bitwise_or, "
                      "tuple(range(x.ndim)))\n",
    "_torch_reduce_and": "def _torch_reduce_and(x):\n    x = x.reshape(-1)\n    out = torch.full((), -1, "
                         "dtype=x.dtype, device=x.device)\n    for bit in range(x.element_size() * 8):\n"
                         "        m = 1 << bit if bit < 63 else -(1 << 63)\n"
                         "        out = torch.where(((x & m) != 0).all(), out, out & ~m)\n    return out\n",
    "_torch_reduce_or": "def _torch_reduce_or(x):\n    x = x.reshape(-1)\n    out = torch.zeros((), "
                        "dtype=x.dtype, device=x.device)\n    for bit in range(x.element_size() * 8):\n"
                        "        m = 1 << bit if bit < 63 else -(1 << 63)\n"
                        "        out = torch.where(((x & m) != 0).any(), out | m, out)\n    return out\n",
}
