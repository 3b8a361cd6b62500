"""PyKokkos' array API on views (pk.array, ufuncs, matmul, mean, var) as hpcir kernels.

Each ufunc is one small kernel per view rank, written out as source once and JIT-compiled per
dtype by hpcir like any kernel, so it runs on every target. NumPy decides only the result dtype
(its type-promotion rules), never the values.
"""
from __future__ import annotations

import linecache
import math
from typing import Any, Callable

import numpy as np

from hpcir.core.errors import HpcirError, user_call_site

from . import api
from .frontends.python.kernel import Kernel, kernel
from .frontends.python.policies import MDRangePolicy
from .frontends.python.annotations import Acc
from .frontends.python.types import I64, scalar_from_numpy
from .pykokkos_functors import MATH_NAMES

# name -> (kernel expression of the element(s) a / b, NumPy ufunc giving the result dtype)
UNARY: dict[str, tuple[str, Any]] = {
    "sqrt": ("sqrt(a)", np.sqrt), "exp": ("exp(a)", np.exp), "exp2": ("exp2(a)", np.exp2),
    "log": ("log(a)", np.log), "log2": ("log2(a)", np.log2), "log10": ("log10(a)", np.log10),
    "log1p": ("log1p(a)", np.log1p), "expm1": ("expm1(a)", np.expm1), "sin": ("sin(a)", np.sin),
    "cos": ("cos(a)", np.cos), "tan": ("tan(a)", np.tan), "sinh": ("sinh(a)", np.sinh),
    "cosh": ("cosh(a)", np.cosh), "tanh": ("tanh(a)", np.tanh), "arcsin": ("asin(a)", np.arcsin),
    "arccos": ("acos(a)", np.arccos), "arctan": ("atan(a)", np.arctan), "arcsinh": ("asinh(a)", np.arcsinh),
    "arctanh": ("atanh(a)", np.arctanh), "cbrt": ("cbrt(a)", np.cbrt), "fabs": ("fabs(a)", np.fabs),
    "floor": ("floor(a)", np.floor), "ceil": ("ceil(a)", np.ceil), "trunc": ("trunc(a)", np.trunc),
    "absolute": ("abs(a)", np.absolute), "negative": ("-a", np.negative), "positive": ("a", np.positive),
    "square": ("a * a", np.square), "reciprocal": ("1 / a", np.reciprocal),
    "sign": ("a if a != a else (1 if a > 0 else (-1 if a < 0 else 0))", np.sign),
    "logical_not": ("not bool(a)", np.logical_not), "isnan": ("isnan(a)", np.isnan), "isinf": ("isinf(a)", np.isinf),
    "isfinite": ("isfinite(a)", np.isfinite),
    "round": ("pk_round_half_even(float(a))", np.round),
}
# Device functions the expressions above may call (generated with each ufunc kernel).
_HELPERS = """@kernel
def pk_round_half_even(a: float) -> float:
    if a != a or a - a != 0.0:
        return a
    t = a - fmod(a, 1.0)
    fl = t - 1.0 if t > a else t
    d = a - fl
    r = fl + 1.0 if d > 0.5 else fl
    if d == 0.5:
        r = fl if fmod(fl, 2.0) == 0.0 else fl + 1.0
    return copysign(r, a)

"""
BINARY: dict[str, tuple[str, Any]] = {
    "add": ("a + b", np.add), "subtract": ("a - b", np.subtract), "multiply": ("a * b", np.multiply),
    "divide": ("a / b", np.divide), "power": ("pow(a, b)", np.power), "fmod": ("fmod(a, b)", np.fmod),
    "arctan2": ("atan2(a, b)", np.arctan2), "copysign": ("copysign(a, b)", np.copysign),
    "maximum": ("a if a != a or a > b else b", np.maximum), "minimum": ("a if a != a or a < b else b", np.minimum),
    "greater": ("a > b", np.greater), "greater_equal": ("a >= b", np.greater_equal), "less": ("a < b", np.less),
    "less_equal": ("a <= b", np.less_equal), "equal": ("a == b", np.equal), "not_equal": ("a != b", np.not_equal),
    "logical_and": ("bool(a) and bool(b)", np.logical_and), "logical_or": ("bool(a) or bool(b)", np.logical_or),
    "logical_xor": ("bool(a) != bool(b)", np.logical_xor),
    "logaddexp": ("max(a, b) + log1p(exp(-fabs(a - b)))", np.logaddexp),
    "logaddexp2": ("max(a, b) + log2(1.0 + exp2(-fabs(a - b)))", np.logaddexp2),
    "fmax": ("b if a != a or (b == b and b > a) else a", np.fmax),
    "fmin": ("b if a != a or (b == b and b < a) else a", np.fmin),
    "floor_divide": ("a // b", np.floor_divide),
}
ALIASES = {"abs": "absolute", "true_divide": "divide"}
_kernels: dict[tuple[str, int], Kernel] = {}


def _source_kernel(name: str, src: str, extra: dict[str, Any] | None = None) -> Kernel:
    """A kernel from generated source (registered in linecache so errors can show its lines)."""
    filename = f"<hpcir.pykokkos {name}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    scope: dict[str, Any] = {**MATH_NAMES, "kernel": kernel, **(extra or {})}
    exec(compile(src, filename, "exec"), scope)  # noqa: S102  (our own generated kernel text)
    return kernel(scope[name])


def _elementwise(name: str, expr: str, nin: int, rank: int, cast: str) -> Kernel:
    key = (f"{name}:{cast}", rank)
    k = _kernels.get(key)
    if k is None:
        idx = ", ".join(f"i{d}" for d in range(rank))
        ins = ["a", "b"][:nin]
        params = ", ".join([f"i{d}: int" for d in range(rank)] + [f"{v}_view" for v in ins] + ["out"])
        loads = "".join(f"    {v} = {v}_view[{idx}]\n" for v in ins)
        kname = f"pk_{name}_{cast}_{rank}d"
        src = _HELPERS + f"def {kname}({params}):\n{loads}    out[{idx}] = {cast}({expr})\n"
        k = _kernels[key] = _source_kernel(kname, src)
    return k


def _operand(x: Any, what: str) -> np.ndarray:
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, (int, float, bool, np.generic)):
        return np.asarray(x)
    raise HpcirError(f"{what} must be a pk.View (a NumPy array) or a number, got {type(x).__name__}",
                     user_call_site())


def _new_view(shape: tuple, dtype: np.dtype) -> np.ndarray:
    """A zeroed result view (a pk view, so that it answers `.dtype.value` as PyKokkos' views do)."""
    from .pykokkos_names import PkArray
    return np.zeros(shape, dtype).view(PkArray)


def _launch_elementwise(name: str, expr: str, ufunc: Any, arrays: list[np.ndarray], out: Any) -> np.ndarray:
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        raise HpcirError(f"pk.{name}: operands of shapes {' and '.join(str(a.shape) for a in arrays)} do not "
                         "broadcast", user_call_site()) from None
    with np.errstate(all="ignore"):
        rtype = ufunc(*(np.ones(1, a.dtype) for a in arrays)).dtype  # NumPy's promotion rules only
    for a in arrays:
        # uint64: kernels compute it as C++ does (uint64 with int64 is uint64), NumPy as float64.
        if scalar_from_numpy(a.dtype) is None or a.dtype == np.uint64:
            raise HpcirError(f"pk.{name} on {a.dtype} views is not supported", user_call_site(),
                             hint="use views of pk.double, pk.float, pk.int8..pk.int64, pk.uint8..pk.uint32 or pk.bool")
    if scalar_from_numpy(rtype) is None and out is None:  # NumPy's sqrt of int8 is float16
        kinds = " and ".join(str(a.dtype) for a in arrays)
        raise HpcirError(f"pk.{name} on {kinds} views gives {rtype} (NumPy's rule), which kernels do not compute with",
                         user_call_site(),
                         hint="convert the view first, e.g. v.astype(np.float32)")
    if out is None:
        out = _new_view(shape if shape else (1,), rtype)
    else:
        rtype = out.dtype
        try:
            fits = np.broadcast_shapes(shape, out.shape) == out.shape
        except ValueError:
            fits = False
        if not fits:
            raise HpcirError(f"pk.{name}: operands of shape {shape} do not broadcast to {out.shape}", user_call_site())
        shape = out.shape
    if len(shape) > 5:
        raise HpcirError(f"pk.{name} on rank-{len(shape)} views: Kokkos views have at most 5 dimensions",
                         user_call_site())
    full = shape if shape else (1,)
    ins = [np.broadcast_to(a, full) for a in arrays]  # stride-0 views, no copies
    cast = "bool" if rtype == np.bool_ else ("float" if rtype.kind == "f" else "int")
    k = _elementwise(name, expr, len(arrays), len(full), cast)
    args = dict(zip(["a_view", "b_view"], ins))
    policy = full[0] if len(full) == 1 else MDRangePolicy([0] * len(full), list(full))
    if out.size:
        api.parallel_for(policy, k, out=out, **args)
    return out if shape else out.reshape(())


def _make_unary(name: str) -> Callable[..., np.ndarray]:
    expr, ufunc = UNARY[name]

    def run(view: Any = None, out: Any = None, **kw: Any) -> np.ndarray:
        view = kw.pop("viewA", view)
        if kw or view is None:
            raise HpcirError(f"pk.{name} takes (view)", user_call_site())
        return _launch_elementwise(name, expr, ufunc, [_operand(view, "view")], out)

    run.__name__ = name
    run.__doc__ = f"Element-wise {name} of a view, as a kernel (NumPy's np.{name})."
    return run


def _make_binary(name: str) -> Callable[..., np.ndarray]:
    expr, ufunc = BINARY[name]

    def run(viewA: Any = None, viewB: Any = None, out: Any = None) -> np.ndarray:  # noqa: N803 (PyKokkos' names)
        if viewA is None or viewB is None:
            raise HpcirError(f"pk.{name} takes (viewA, viewB)", user_call_site())
        return _launch_elementwise(name, expr, ufunc, [_operand(viewA, "viewA"), _operand(viewB, "viewB")], out)

    run.__name__ = name
    run.__doc__ = f"Element-wise {name} of two views (or a view and a number), as a kernel (np.{name})."
    return run


UFUNCS: dict[str, Callable[..., np.ndarray]] = {n: _make_unary(n) for n in UNARY}
UFUNCS.update({n: _make_binary(n) for n in BINARY})
UFUNCS.update({a: UFUNCS[n] for a, n in ALIASES.items()})

_MATMUL = """def pk_matmul(i: int, j: int, a, b, out):
    s = out[i, j] * 0
    for k in range(a.extent(1)):
        s += a[i, k] * b[k, j]
    out[i, j] = s
"""
_SUM = """def pk_sum(i: int, acc, x):
    acc += x[i]
"""
_SQDEV = """def pk_sqdev(i: int, acc, x, m: float):
    d = x[i] - m
    acc += d * d
"""


def _builtin(name: str, src: str) -> Kernel:
    k = _kernels.get((name, 0))
    if k is None:
        k = _kernels[(name, 0)] = _source_kernel(name, src, {"Acc": Acc, "int64": I64})
    return k


class ShapeMismatch(HpcirError, RuntimeError):
    """Operands of incompatible shapes; a RuntimeError too, and args[0] is PyKokkos' message."""

    def __init__(self, message: str, loc: Any = None, hint: str | None = None):
        super().__init__(message, loc, hint)
        self._formatted = Exception.__str__(self)
        self.args = (message,)

    def __str__(self) -> str:
        return self._formatted


def np_matmul(viewA: Any, viewB: Any) -> np.ndarray:  # noqa: N803
    """pk.np_matmul(a, b): pk.matmul with PyKokkos' np_matmul error message."""
    a, b = np.asarray(viewA), np.asarray(viewB)
    inner_a = a.shape[-1] if a.ndim else None
    inner_b = b.shape[0] if b.ndim else None
    if inner_a != inner_b:
        raise ShapeMismatch(f"Matrix dimensions are not compatible for multiplication: {a.shape} and {b.shape}",
                            user_call_site())
    return matmul(a, b)


def matmul(viewA: Any, viewB: Any) -> np.ndarray:  # noqa: N803
    """pk.matmul(a, b): the matrix product (1-D operands are a row / a column, as np.matmul)."""
    a, b = np.asarray(viewA), np.asarray(viewB)
    if a.ndim not in (1, 2) or b.ndim not in (1, 2):
        raise HpcirError("pk.matmul takes 1-D or 2-D views", user_call_site())
    a2 = a.reshape(1, -1) if a.ndim == 1 else a
    b2 = b.reshape(-1, 1) if b.ndim == 1 else b
    if a2.shape[1] != b2.shape[0]:
        raise ShapeMismatch(f"Input operand 1 has a mismatch in its core dimension (Size {a2.shape[1]} is different "
                            f"from {b2.shape[0]})", user_call_site())
    rtype = np.result_type(a.dtype, b.dtype)
    out = _new_view((a2.shape[0], b2.shape[1]), rtype)
    if out.size:
        api.parallel_for(MDRangePolicy([0, 0], list(out.shape)), _builtin("pk_matmul", _MATMUL),
                         a=a2.astype(rtype, copy=False), b=b2.astype(rtype, copy=False), out=out)
    if a.ndim == 1 and b.ndim == 1:
        return out.reshape(())
    if a.ndim == 1:
        return out.reshape(-1)
    if b.ndim == 1:
        return out.reshape(-1)
    return out


def _flat(view: Any, what: str) -> np.ndarray:
    x = np.asarray(view)
    if scalar_from_numpy(x.dtype) is None or x.dtype == np.bool_:
        raise HpcirError(f"pk.{what} on {x.dtype} views is not supported", user_call_site())
    return x.reshape(-1)  # a view for contiguous arrays; strided ones are gathered first


def mean(view: Any) -> float:
    """pk.mean(view): the mean of every element, as a reduction kernel."""
    x = _flat(view, "mean")
    if x.size == 0:
        return math.nan
    return api.parallel_reduce(x.size, _builtin("pk_sum", _SUM), x=x.astype(np.float64, copy=False)) / x.size


def var(view: Any) -> float:
    """pk.var(view): the population variance (ddof=0, as np.var), two reduction kernels."""
    x = _flat(view, "var").astype(np.float64, copy=False)
    if x.size == 0:
        return math.nan
    m = api.parallel_reduce(x.size, _builtin("pk_sum", _SUM), x=x) / x.size
    return api.parallel_reduce(x.size, _builtin("pk_sqdev", _SQDEV), x=x, m=m) / x.size


def sum(view: Any, axis: Any = None) -> Any:  # noqa: A001 (PyKokkos' name)
    """pk.sum(view): the sum of every element, as a reduction kernel (axis= is not supported)."""
    if axis is not None:
        raise HpcirError("pk.sum(axis=...) is not supported", user_call_site(), hint="sum all elements, or launch "
                         "a workunit that reduces each row")
    x = _flat(view, "sum")
    if x.dtype.kind == "f":
        return api.parallel_reduce(x.size, _builtin("pk_sum", _SUM), x=x.astype(np.float64, copy=False))
    return api.parallel_reduce(x.size, _builtin("pk_isum", _ISUM), x=x.astype(np.int64, copy=False))


_ISUM = """def pk_isum(i: int, acc: Acc[int64], x):
    acc += x[i]
"""


def zeros(shape: Any, dtype: Any = None) -> np.ndarray:
    """pk.zeros(shape, dtype): a new zeroed view."""
    from .pykokkos_names import View
    return View(shape, np.float64 if dtype is None else dtype)


def ones(shape: Any, dtype: Any = None) -> np.ndarray:
    """pk.ones(shape, dtype): a new view of ones, filled by a kernel."""
    out = zeros(shape, dtype)
    if out.size:
        api.parallel_for(out.size, _builtin("pk_fill", _FILL), out=out.reshape(-1), v=1)
    return out


_FILL = """def pk_fill(i: int, out, v: int):
    out[i] = v
"""


def copyto(dst: np.ndarray, src: Any) -> None:
    """pk.copyto(dst, src): copy (broadcast) `src` into the view `dst` with a kernel, as np.copyto."""
    if not isinstance(dst, np.ndarray):
        raise HpcirError("pk.copyto needs a view as its destination", user_call_site())
    _launch_elementwise("copyto", "a", lambda a: np.ones(1, dst.dtype), [_operand(src, "src")], dst)


def array(data: Any, dtype: Any = None, space: Any = None, layout: Any = None) -> np.ndarray:
    """pk.array(data): a new host view holding a copy of `data` (a pk view is a NumPy array)."""
    from .pykokkos_names import Layout, PkArray, _dtype, _host_space
    _host_space(space)
    order = "F" if layout is not None and Layout(layout) is Layout.LayoutLeft else "C"
    return np.array(data, dtype=None if dtype is None else _dtype(dtype), order=order, copy=True).view(PkArray)
