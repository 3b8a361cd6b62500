"""Kokkos kernels inside JAX and PyTorch programs: `hpcir.as_jax` (jax.ffi) and `hpcir.as_torch` (torch.library).

Both compile the kernel to the same Kokkos library a plain launch uses and hand XLA's or Torch's
buffers to its C entry as views, without copies. The kernel is compiled when the wrapper is first
called (or traced) with arguments of a new shape or dtype, as for `hpcir.parallel_for`.
"""
from __future__ import annotations

import hashlib
from types import SimpleNamespace
from typing import Any

import numpy as np

from hpcir.core.errors import ArgumentError, HpcirError, SourceLocation, user_call_site
from .api import _as_kernel, annotated_kind, bind
from .frontends.python.kernel import Kernel
from .frontends.python.policies import MDRangePolicy, RangePolicy, TeamPolicy

__all__ = ["as_jax", "as_torch", "JaxKernel", "TorchKernel"]


def _placeholder(name: str, value: Any, site: SourceLocation | None) -> Any:
    """A NumPy stand-in of the same dtype and shape for a traced JAX or Torch array (binds the launch)."""
    if isinstance(value, (bool, int, float, np.generic, np.ndarray)):
        return value
    shape, dtype = getattr(value, "shape", None), getattr(value, "dtype", None)
    if shape is None or dtype is None:
        raise ArgumentError(f"argument `{name}` is a {type(value).__name__}, which kernels cannot take", site,
                            hint="pass arrays (jax.Array / torch.Tensor) or Python numbers")
    from .array_api import numpy_dtype  # the one JAX / Torch -> NumPy dtype mapping
    try:
        np_dtype = numpy_dtype(value)
    except TypeError:
        np_dtype = np.dtype(object)
    if np_dtype == object:
        raise ArgumentError(f"argument `{name}` has dtype {dtype}, which kernels cannot take", site,
                            hint="pass float64, float32, int64, int32, bool or complex arrays")
    if len(shape) == 0:  # a 0-d array is a scalar argument
        return np_dtype.type(0)
    return np.empty(tuple(int(n) for n in shape), np_dtype)


class _Interop:
    """Common part of the JAX and Torch wrappers: the kernel, its kind and target, and binding."""

    def __init__(self, k: Kernel, target: str, reducer: str | None, kind: str | None = None):
        self.kernel, self.target, self.reducer = k, target, reducer
        self.kind = kind or ("reduce" if reducer else annotated_kind(k))

    def _bind(self, policy: Any, kwargs: dict[str, Any], site: SourceLocation | None) -> tuple[Any, list[str]]:
        """The compiled launch for these argument shapes and dtypes, and the argument names in entry order."""
        stand_ins = {n: _placeholder(n, v, site) for n, v in kwargs.items()}
        bound = bind(self.kind, policy, self.kernel, stand_ins, self.target, self.reducer, site)
        names = list(bound.loaded.spec.param_types)
        return bound, names


# ------------------------------------------------------------------------------------------ JAX


class JaxKernel(_Interop):
    """A kernel as a JAX-traceable function (an XLA FFI custom call into its Kokkos entry)."""

    def __init__(self, k: Kernel, target: str, reducer: str | None, kind: str | None = None):
        super().__init__(k, target, reducer, kind)
        from hpcir.core.targets import get_target
        self.gpu = not get_target(target).runs_on_host
        self._plans: dict[tuple, SimpleNamespace] = {}

    def __call__(self, policy: Any, **kwargs: Any) -> Any:
        if self.kernel.adjoint is not None:
            return self._call_with_vjp(policy, kwargs)
        return self._call(policy, kwargs, user_call_site(2))

    def _call_with_vjp(self, policy: Any, kwargs: dict[str, Any]) -> Any:
        """The call as a jax.custom_vjp whose backward pass launches the adjoint kernel."""
        import jax
        import jax.numpy as jnp
        site = user_call_site(3)
        arrays = [n for n, v in kwargs.items() if getattr(v, "ndim", 0) > 0]
        fixed = {n: v for n, v in kwargs.items() if n not in arrays}
        out_names = self.outputs(policy, **kwargs)
        adjoint = JaxKernel(_as_kernel(self.kernel.adjoint, site), self.target, None, "for")

        @jax.custom_vjp
        def run(*values):
            return self._call(policy, {**fixed, **dict(zip(arrays, values))}, site)

        def fwd(*values):
            return run(*values), values

        def bwd(values, cts):
            primal = {**fixed, **dict(zip(arrays, values))}
            cts = list(cts) if len(out_names) > 1 else [cts]
            args = dict(primal)
            args.update(adjoint_seeds(arrays, values, out_names, cts, self._acc_names(policy, primal)))
            wanted = {p.name for p in adjoint.kernel.params}
            args = {n: v for n, v in args.items() if n in wanted}
            written = adjoint.outputs(policy, **args)
            result = adjoint._call(policy, args, site)
            result = list(result) if len(written) > 1 else [result]
            bars = dict(zip(written, result))
            return tuple(_cotangent(values[k], bars.get(f"{n}_bar", args.get(f"{n}_bar")))
                         for k, n in enumerate(arrays))

        def _cotangent(x, bar):
            if not jnp.issubdtype(x.dtype, jnp.inexact):  # integer views: no tangent space
                return np.zeros(x.shape, jax.dtypes.float0)
            return jnp.zeros_like(x) if bar is None else bar

        run.defvjp(fwd, bwd)
        return run(*[jnp.asarray(kwargs[n]) for n in arrays])

    def _acc_names(self, policy: Any, kwargs: dict[str, Any]) -> list[str]:
        spec = self._bind(policy, kwargs, None)[0].loaded.spec
        several = getattr(spec, "acc_params", None)
        return list(several) if several else ([spec.acc_param] if spec.acc_param else [])

    def _call(self, policy: Any, kwargs: dict[str, Any], site: SourceLocation | None) -> Any:
        import jax
        import jax.numpy as jnp
        key = (_policy_key(policy), tuple((n, _jax_desc(v)) for n, v in kwargs.items()))
        plan = self._plans.get(key)
        if plan is None:  # a new signature: check, compile, lay the call out (once)
            plan = self._plans[key] = self._plan(policy, kwargs, site)
        elif self.gpu:
            _check_jax_device(self.target, kwargs, site)
        if not self.gpu:  # one jitted function per signature: JAX's C++ dispatch on eager calls
            return _results(list(plan.jitted(*[kwargs[name] for name, _ in plan.args])))
        operands, roles, constants = [], list(plan.roles), []
        for k, (name, dtype) in enumerate(plan.args):
            v = kwargs[name]
            if dtype is None:  # a view
                operands.append(v if isinstance(v, jax.Array) else jnp.asarray(v))
            elif dtype.kind != "c" and not isinstance(v, jax.core.Tracer):
                # known now: an attribute, so that the GPU handler need not copy it from the device
                roles[k] = -1 - len(constants)
                constants.append(_scalar_bits(v, dtype))
            else:
                operands.append(jnp.asarray(v, dtype=dtype))
        call = plan.calls[0] if not constants else _ffi_call(plan, roles)  # constants move the aliases
        outs = call(*operands, entry=plan.entry, bounds=plan.bounds, roles=np.asarray(roles, np.int64),
                    constants=np.asarray(constants, np.int64), num_values=plan.num_values)
        return _results(list(outs))

    def _plan(self, policy: Any, kwargs: dict[str, Any], site: SourceLocation | None) -> SimpleNamespace:
        """What every call of one signature shares: the compiled entry, argument roles and the FFI call."""
        import jax
        if self.gpu:
            _check_jax_device(self.target, kwargs, site)
        bound, names = self._bind(policy, kwargs, site)
        entry = bound.entry
        if self.gpu and entry._stream_fn is None:
            raise HpcirError(f"kernel {self.kernel.name} has no entry that runs on XLA's stream", site,
                             hint="as_jax runs kernels of one launch on a GPU; use target='cpu' for this one")
        params = entry.params[entry.num_bounds:]
        platform = "host" if not self.gpu else self.target
        try:
            _register_jax_target(platform)
        except HpcirError as err:  # no compiler, a failed handler build: said at the user's call
            if err.loc is not None:
                raise
            raise type(err)(err.message, site, err.hint) from None
        args, roles, out_types = [], [], []
        for name, p in zip(names, params):
            if p.kind == "scalar":
                args.append((name, np.dtype(p.dtype)))
                roles.append(1)
            else:
                args.append((name, None))
                roles.append(2 + len(out_types) if p.written else 0)
                if p.written:
                    out_types.append(jax.ShapeDtypeStruct(tuple(kwargs[name].shape), np.dtype(p.dtype)))
        values = [jax.ShapeDtypeStruct((), np.dtype(dt)) for dt in entry.results]
        from .backends.xla_ffi import MAX_VALUES
        if len(values) > MAX_VALUES:
            raise HpcirError(f"kernel {self.kernel.name} returns {len(values)} values; as_jax passes at most "
                             f"{MAX_VALUES}", site)
        plan = SimpleNamespace(args=args, roles=roles, results=out_types + values, calls={},
                               entry=np.int64(entry.address), bounds=np.asarray(bound.bounds, np.int64),
                               num_values=np.int64(len(values)))
        plan.calls[0] = call = _ffi_call(plan, roles)
        attrs = dict(entry=plan.entry, bounds=plan.bounds, roles=np.asarray(roles, np.int64),
                     constants=np.zeros(0, np.int64), num_values=plan.num_values)

        def run(*values: Any) -> Any:  # the scalars are converted inside: traced, not re-dispatched
            return call(*[v if dt is None else jax.numpy.asarray(v, dtype=dt) for (_, dt), v in zip(args, values)],
                        **attrs)

        plan.jitted = jax.jit(run)
        return plan

    def outputs(self, policy: Any, **kwargs: Any) -> list[str]:
        """Names of what a call returns, in order: the written views, then "result" per reduction value."""
        bound, names = self._bind(policy, kwargs, user_call_site(2))
        params = bound.entry.params[bound.entry.num_bounds:]
        return [n for n, p in zip(names, params) if p.kind == "view" and p.written] + ["result"] * len(bound.entry.results)

    def __repr__(self) -> str:
        return f"<hpcir {self.kind} kernel {self.kernel.name} as JAX on {self.target}>"


def _ffi_call(plan: SimpleNamespace, roles: list[int]) -> Any:
    """The jax.ffi call of a plan, each written view's operand aliased to its result (operands: the
    roles >= 0; scalars passed as constants take none)."""
    import jax
    from .backends.xla_ffi import TARGET_NAME
    operands = [r for r in roles if r >= 0]
    aliases = {k: r - 2 for k, r in enumerate(operands) if r >= 2}
    return jax.ffi.ffi_call(TARGET_NAME, plan.results, input_output_aliases=aliases, vmap_method="sequential")


def _jax_desc(v: Any) -> tuple:
    """What a JAX call's plan depends on in an argument: an array's shape and dtype, a scalar's type."""
    shape = getattr(v, "shape", None)
    if shape is not None and len(shape) > 0:
        return ("array", tuple(shape), v.dtype)
    if shape is not None:
        return ("0-d", v.dtype)
    return ("scalar", type(v).__name__)


def _scalar_bits(v: Any, dtype: np.dtype) -> int:
    """A scalar's bytes as the entry reads them (little-endian, in the low bytes of an int64)."""
    raw = np.asarray(v).astype(dtype).tobytes()
    return int(np.frombuffer(raw.ljust(8, b"\0"), np.int64)[0])


def _check_jax_device(target: str, kwargs: dict[str, Any], site: SourceLocation | None) -> None:
    """A GPU as_jax call takes arrays on the GPU (XLA's buffers are the views): refuse others, located."""
    import jax
    for name, v in kwargs.items():
        if isinstance(v, jax.core.Tracer):
            if jax.default_backend() != "gpu":
                raise ArgumentError(f"as_jax(target={target!r}) is traced for the {jax.default_backend()} backend, "
                                    f"but its kernel runs on the GPU", site,
                                    hint="trace it where JAX's default backend is the GPU, or use target='cpu'")
        elif isinstance(v, np.ndarray) and v.ndim > 0:
            raise ArgumentError(f"argument `{name}` is a NumPy array in host memory; as_jax(target={target!r}) "
                                "runs on the GPU and takes XLA's device buffers as its views", site,
                                hint=f"pass jax.device_put({name}, jax.devices('gpu')[0])")
        elif isinstance(v, jax.Array) and v.ndim > 0:
            where = {d.platform for d in v.devices()}
            if where != {"gpu"}:
                raise ArgumentError(f"argument `{name}` is on {', '.join(sorted(where))}, not on the GPU; "
                                    f"as_jax(target={target!r}) takes XLA's device buffers as its views", site,
                                    hint=f"pass jax.device_put({name}, jax.devices('gpu')[0]), or use target='cpu'")


def adjoint_seeds(arrays: list[str], values: list[Any], out_names: list[str], cts: list[Any],
                  acc_names: list[str]) -> dict[str, Any]:
    """The `_bar` arguments of an adjoint launch: each view's output cotangent (zeros for views the
    forward only reads) and, for a reduction, each accumulator's cotangent as a scalar."""
    import jax.numpy as jnp
    seeds: dict[str, Any] = {f"{n}_bar": jnp.zeros_like(v) for n, v in zip(arrays, values)
                             if jnp.issubdtype(jnp.asarray(v).dtype, jnp.inexact)}
    values_ct = [c for n, c in zip(out_names, cts) if n == "result"]
    for n, c in zip(out_names, cts):
        if n != "result":
            seeds[f"{n}_bar"] = c
    for acc, c in zip(acc_names, values_ct):
        seeds[f"{acc}_bar"] = c
    return seeds


def _results(outs: list[Any]) -> Any:
    """None, the one output, or a tuple: written views in signature order, then reduction values."""
    if not outs:
        return None
    return outs[0] if len(outs) == 1 else tuple(outs)


_JAX_REGISTERED: set[str] = set()


def _register_jax_target(platform: str = "host") -> None:
    """Register the FFI handler with XLA once per process and platform (host, cuda, hip), built
    against jaxlib's own headers."""
    if platform in _JAX_REGISTERED:
        return
    import jax
    import jaxlib
    from .backends import xla_ffi
    lib = xla_ffi.handler_library(jax.ffi.include_dir(), jaxlib.__version__, platform)
    jax.ffi.register_ffi_target(xla_ffi.TARGET_NAME, jax.ffi.pycapsule(getattr(lib, xla_ffi.HANDLER)),
                                platform=xla_ffi.XLA_PLATFORMS[platform])
    _JAX_REGISTERED.add(platform)


def as_jax(obj: Any, target: str = "cpu", reducer: str | None = None, kind: str | None = None) -> JaxKernel:
    """A JAX-traceable function running the kernel's Kokkos build: f(policy, **arguments)."""
    site = user_call_site(2)
    k = _as_kernel(obj, site)
    _check_kokkos_target(target, "as_jax", site)
    return JaxKernel(k, target, reducer, _check_kind(kind, site))


def _check_kind(kind: str | None, site: SourceLocation | None) -> str | None:
    if kind not in (None, "for", "reduce", "scan"):
        raise ArgumentError(f"kind={kind!r} is not a launch kind", site, hint="use 'for', 'reduce' or 'scan' "
                            "(needed only when the kernel's accumulator is not annotated hpcir.Acc[...])")
    return kind


def _check_kokkos_target(target: str, what: str, site: SourceLocation | None) -> None:
    """cpu / serial run on host arrays; cuda / hip on the device's arrays, on the caller's stream."""
    from hpcir.core.targets import get_target
    t = get_target(target, site)
    if t.kind != "kokkos":
        raise HpcirError(f"{what} runs kernels as Kokkos; {target!r} is not a Kokkos target", site,
                         hint="use target='cpu', 'serial', 'cuda' or 'hip' (or compile the kernel for jax/torch "
                              "with hpcir.compile)")


# ---------------------------------------------------------------------------------------- Torch

_TORCH_SCALARS = {"f": "float", "i": "int", "u": "int", "b": "bool", "c": "complex"}


class TorchKernel(_Interop):
    """A kernel as a registered torch custom op (mutating the views it writes) behind a launch-style call.

    The call itself is plain Python over shapes and dtypes that TorchDynamo traces: the op is looked
    up (compiled and registered on a new signature) by `_resolve_torch_op`, which Dynamo runs once at
    trace time as a constant, so `torch.compile(fullgraph=True)` and `torch.export` see one custom op."""

    def __init__(self, k: Kernel, target: str, reducer: str | None, kind: str | None = None):
        super().__init__(k, target, reducer, kind)
        from hpcir.core.targets import get_target
        self.gpu = not get_target(target).runs_on_host
        self._ops: dict[tuple, tuple[str, tuple[str, ...], tuple[int, ...], tuple[str, ...]]] = {}
        self._eager: dict[tuple, tuple[Any, tuple[str, ...], list[int], tuple[str, ...]]] = {}
        self._adjoint: TorchKernel | None = None
        self._specs: dict[tuple, Any] = {}
        _TORCH_KERNELS[id(self)] = self

    def signature(self, policy: Any, kwargs: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...], list[str]]:
        """(argument names in op order, written view names, accumulator names) of a call."""
        arg_key = tuple((n, _arg_desc(v)) for n, v in kwargs.items())
        _, names, _, written = self.resolve(_policy_key(policy), arg_key)
        spec = self._specs[(_policy_key(policy), arg_key)]
        several = getattr(spec, "acc_params", None)
        return names, written, list(several) if several else ([spec.acc_param] if spec.acc_param else [])

    def resolve(self, policy_key: tuple, arg_key: tuple) -> tuple[str, tuple[str, ...], tuple[int, ...], tuple[str, ...]]:
        """(op name under torch.ops.hpcir, argument names in op order, policy bounds, written names)."""
        hit = self._ops.get((policy_key, arg_key))
        if hit is not None:
            return hit
        site = user_call_site(2)
        _check_torch_device(self.target, self.gpu, arg_key, site)
        stand_ins = {name: _stand_in(desc) for name, desc in arg_key}
        bound = bind(self.kind, _policy_from_key(policy_key), self.kernel, stand_ins, self.target, self.reducer, site)
        names = list(bound.loaded.spec.param_types)
        op = _define_torch_op(self.kernel.name, bound.entry, names, self.gpu)
        hit = (op.hpcir_name, tuple(names), tuple(bound.bounds), tuple(op.hpcir_written))
        self._ops[(policy_key, arg_key)] = hit
        self._specs[(policy_key, arg_key)] = bound.loaded.spec
        return hit

    def __call__(self, policy: Any, **kwargs: Any) -> Any:
        import torch
        if (self.kernel.adjoint is not None and torch.is_grad_enabled()
                and any(isinstance(v, torch.Tensor) and v.requires_grad for v in kwargs.values())):
            return self._call_with_grad(policy, kwargs)
        return self._call(policy, kwargs)

    def _call_with_grad(self, policy: Any, kwargs: dict[str, Any]) -> Any:
        """The call as an autograd Function: written views come back as new tensors (autograd keeps the
        inputs it saved intact) and the backward pass launches the adjoint kernel."""
        import torch
        names = [n for n, v in kwargs.items() if isinstance(v, torch.Tensor)]
        fixed = {n: v for n, v in kwargs.items() if n not in names}
        if self._adjoint is None:
            self._adjoint = TorchKernel(_as_kernel(self.kernel.adjoint, user_call_site(3)), self.target, None, "for")
        return _results(list(_KernelFunction.apply(self, policy, names, fixed, *[kwargs[n] for n in names])))

    def _call(self, policy: Any, kwargs: dict[str, Any]) -> Any:
        import torch
        arg_key = tuple((n, _arg_desc(v)) for n, v in kwargs.items())
        key = (_policy_key(policy), arg_key)
        hit = None if torch.compiler.is_compiling() else self._eager.get(key)
        if hit is not None:  # eager, a signature seen before: the op overload itself, no lookups
            op, names, bounds, written = hit
        else:  # traced (Dynamo keeps the lookup's result as a constant), or a new signature
            name, names, bounds, written = _resolve_torch_op(id(self), *key)
            op = getattr(torch.ops.hpcir, name).default
            if not torch.compiler.is_compiling():
                self._eager[key] = (op, names, list(bounds), written)
        out = op(list(bounds), *[kwargs[n] for n in names])
        values = [] if out is None else (list(out) if isinstance(out, (list, tuple)) else [out])
        return _results([kwargs[n] for n in written] + values)

    def __repr__(self) -> str:
        return f"<hpcir {self.kind} kernel {self.kernel.name} as a torch op on {self.target}>"


_TORCH_KERNELS: dict[int, TorchKernel] = {}


def _kernel_function() -> Any:
    """torch.autograd.Function running a TorchKernel forward and its adjoint kernel backward (made on first use)."""
    import torch

    class KernelFunction(torch.autograd.Function):
        @staticmethod
        def forward(ctx, tk: TorchKernel, policy: Any, names: list[str], fixed: dict[str, Any], *tensors: Any) -> Any:
            args = {**fixed, **dict(zip(names, tensors))}
            _, written, accs = tk.signature(policy, args)
            outs = {n: args[n].clone() for n in written}
            result = tk._call(policy, {**args, **outs})
            values = list(result[len(written):]) if isinstance(result, tuple) else ([result] if not written else [])
            ctx.tk, ctx.policy, ctx.names, ctx.fixed, ctx.written, ctx.accs = tk, policy, names, fixed, written, accs
            ctx.save_for_backward(*tensors)
            return tuple(outs[n] for n in written) + tuple(values)

        @staticmethod
        def backward(ctx, *grads: Any) -> Any:
            tensors = ctx.saved_tensors
            primal = {**ctx.fixed, **dict(zip(ctx.names, tensors))}
            bars = {f"{n}_bar": torch.zeros_like(t) for n, t in zip(ctx.names, tensors) if t.is_floating_point()}
            for n, g in zip(ctx.written, grads):
                if g is not None:
                    bars[f"{n}_bar"] = g.contiguous().clone()
            for acc, g in zip(ctx.accs, grads[len(ctx.written):]):
                bars[f"{acc}_bar"] = 0.0 if g is None else g.item()
            adjoint = ctx.tk._adjoint
            wanted = {p.name for p in adjoint.kernel.params}
            adjoint._call(ctx.policy, {n: v for n, v in {**primal, **bars}.items() if n in wanted})
            return (None, None, None, None, *[bars.get(f"{n}_bar") if t.is_floating_point() else None
                                              for n, t in zip(ctx.names, tensors)])

    return KernelFunction


class _LazyFunction:
    """`_KernelFunction.apply`, with the autograd.Function class made when torch is first needed."""

    _cls: Any = None

    def apply(self, *args: Any) -> Any:
        if self._cls is None:
            type(self)._cls = _kernel_function()
        return self._cls.apply(*args)


_KernelFunction = _LazyFunction()


def _resolve_torch_op(kernel_id: int, policy_key: tuple, arg_key: tuple) -> tuple:
    return _TORCH_KERNELS[kernel_id].resolve(policy_key, arg_key)


def _arg_desc(v: Any) -> tuple:
    """What binding needs of an argument (Dynamo-traceable): ("tensor", shape, dtype) or ("scalar", type)."""
    import torch
    if isinstance(v, torch.Tensor):
        return ("tensor", tuple(v.shape), v.dtype, v.device.type)
    if isinstance(v, np.generic):  # a NumPy scalar keeps its dtype (float32 arguments stay float32)
        return ("numpy", v.dtype.str)
    return ("scalar", type(v).__name__)


def _check_torch_device(target: str, gpu: bool, arg_key: tuple, site: SourceLocation | None) -> None:
    """as_torch runs where its target's memory is: CPU tensors for cpu / serial, GPU tensors for
    cuda / hip (torch calls both 'cuda'); refuse others, located, before anything runs."""
    want = "cuda" if gpu else "cpu"
    for name, desc in arg_key:
        if desc[0] == "tensor" and len(desc[1]) > 0 and desc[3] != want:
            raise ArgumentError(f"argument `{name}` is a {desc[3]} tensor; as_torch(target={target!r}) takes "
                                f"{'GPU' if gpu else 'CPU'} tensors as its views, without copies", site,
                                hint=f"pass {name}.to({want!r})" + ("" if gpu else ", or use target='cuda'"))


def _stand_in(desc: tuple) -> Any:
    """A NumPy value with what `_arg_desc` kept of an argument (binds the launch)."""
    if desc[0] == "tensor":
        from .array_api import numpy_dtype
        np_dtype = numpy_dtype(SimpleNamespace(dtype=desc[2]))
        return np_dtype.type(0) if len(desc[1]) == 0 else np.empty(desc[1], np_dtype)
    if desc[0] == "numpy":
        return np.dtype(desc[1]).type(0)
    stand_ins = {"float": 0.0, "int": 0, "bool": False}
    # other types: an instance of a stand-in class of the same name, refused by binding with that name
    return stand_ins[desc[1]] if desc[1] in stand_ins else type(desc[1], (), {})()


def _policy_key(policy: Any) -> tuple:
    """A launch policy as constants (Dynamo-traceable)."""
    if isinstance(policy, int):
        return ("range", 0, policy)
    if isinstance(policy, RangePolicy):
        return ("range", policy.begin, policy.end)
    if isinstance(policy, TeamPolicy):
        return ("team", policy.league_size, policy.team_size, policy.vector_length)
    if isinstance(policy, MDRangePolicy):
        return ("mdrange", tuple(policy.begin), tuple(policy.end), tuple(policy.tile) if policy.tile else None)
    return ("other", policy)


def _policy_from_key(key: tuple) -> Any:
    from .frontends.python.policies import AUTO, MDRangePolicy, RangePolicy, TeamPolicy
    if key[0] == "team":
        return TeamPolicy(key[1], AUTO if key[2] is None else key[2], key[3])
    if key[0] == "range":
        return RangePolicy(key[1], key[2])
    if key[0] == "mdrange":
        return MDRangePolicy(list(key[1]), list(key[2]), tile=list(key[3]) if key[3] else None)
    return key[1]


_TORCH_LIBRARY: Any = None  # the torch.library.Library "hpcir" fragment the ops are defined in
_TORCH_OPS: dict[str, Any] = {}  # qualified name -> its marshaller (an op is defined once per process)


def _define_torch_op(kernel_name: str, entry: Any, names: list[str], gpu: bool = False) -> Any:
    """Define `hpcir::<kernel>_<hash>` with its implementation (CPU, or CUDA for GPU targets: ROCm
    builds of torch dispatch HIP tensors under CUDA too) and a fake one for tracing.

    Through torch.library.Library rather than torch.library.custom_op: the latter's Python autograd
    and in-place layers cost about 25 us a call; this op bumps the version counters of the views it
    writes itself, and autograd goes through TorchKernel's own Function."""
    import torch
    global _TORCH_LIBRARY
    params = entry.params[entry.num_bounds:]
    args, written = ["int[] bounds"], []
    for k, (name, p) in enumerate(zip(names, params)):
        if p.kind == "scalar":
            args.append(f"{_TORCH_SCALARS[np.dtype(p.dtype).kind]} {name}")
        elif p.written:
            args.append(f"Tensor(a{k}!) {name}")
            written.append(name)
        else:
            args.append(f"Tensor {name}")
    results = [np.dtype(dt) for dt in entry.results]
    ret = "()" if not results else "Tensor" if len(results) == 1 else "Tensor[]"
    schema = f"({', '.join(args)}) -> {ret}"
    digest = hashlib.sha256(f"{entry.lib.path}:{entry.name}:{schema}:{gpu}".encode()).hexdigest()[:12]
    name = f"{kernel_name}_{digest}"
    marshal = _TORCH_OPS.get(name)
    if marshal is not None:
        return marshal
    marshal = _TORCH_OPS[name] = _TorchOp(entry, params, name, written, gpu)
    if _TORCH_LIBRARY is None:
        _TORCH_LIBRARY = torch.library.Library("hpcir", "FRAGMENT")
    _TORCH_LIBRARY.define(f"{name}{schema}")
    _TORCH_LIBRARY.impl(name, marshal, "CUDA" if gpu else "CPU")
    torch.library.register_fake(f"hpcir::{name}", marshal.fake, lib=_TORCH_LIBRARY)
    return marshal


class _TorchOp:
    """The implementation of one hpcir torch op: checks each call's tensors against the entry with a
    few attribute reads, writes them into a PreparedCall's argument block and runs the entry (on the
    current CUDA / HIP stream for GPU targets). Anything unusual (a dtype, layout or device the entry
    does not take, overlapping views, an int out of range) goes through the entry's full checks,
    which say what is wrong."""

    def __init__(self, entry: Any, params: list[Any], name: str, written: list[str], gpu: bool):
        import torch
        from .backends.runtime import PreparedCall
        self.entry, self.hpcir_name, self.hpcir_written, self.gpu = entry, name, written, gpu
        self.prepared = PreparedCall(entry, on_stream=gpu)
        self.device_type = "cuda" if gpu else "cpu"
        self.result_dtypes = [getattr(torch, str(np.dtype(dt))) for dt in entry.results]
        # per argument: None for a float / bool / complex scalar, (lo, hi) for an int one, else the view's
        # (torch dtype, rank, layout, static shape or None, written)
        self.checks: list[Any] = []
        for p in params:
            if p.kind == "scalar":
                kind = np.dtype(p.dtype).kind
                self.checks.append((int(np.iinfo(p.dtype).min), int(np.iinfo(p.dtype).max)) if kind in "iu" else None)
            else:
                static = tuple(p.shape) if any(d >= 0 for d in p.shape) else None
                self.checks.append((getattr(torch, p.dtype), p.rank, p.layout, static, p.written))
        self.any_written = any(c is not None and not isinstance(c[0], int) and c[4] for c in self.checks)

    def __call__(self, bounds: list[int], *values: Any) -> Any:
        import torch
        args: list[Any] = list(bounds)
        spans, device = [], None
        for check, v in zip(self.checks, values):
            if check is None:
                args.append(v)
                continue
            if isinstance(check[0], int):  # an int scalar
                if not check[0] <= v <= check[1]:
                    return self._checked_call(bounds, values)
                args.append(v)
                continue
            dtype, rank, layout, static, written = check
            strides = v.stride()
            if (v.dtype != dtype or v.dim() != rank or v.device.type != self.device_type
                    or (static is not None and any(s >= 0 and s != n for s, n in zip(static, v.shape)))
                    or not _dense(layout, v.shape, strides)):
                return self._checked_call(bounds, values)
            ptr = v.data_ptr()
            if self.any_written:
                spans.append((ptr, ptr + v.numel() * v.element_size(), written))
            device = v.device
            args.append((ptr, v.shape, strides))
        if self.any_written and _overlap(spans):
            return self._checked_call(bounds, values)
        stream = torch.cuda.current_stream(device).cuda_stream if self.gpu and device is not None else 0
        out = self.prepared(args, stream)
        for check, v in zip(self.checks, values):  # what autograd and torch.compile's checks rely on
            if check is not None and not isinstance(check[0], int) and check[4]:
                torch.autograd.graph.increment_version(v)
        return self._results(out, device)

    def _checked_call(self, bounds: list[int], values: tuple) -> Any:
        """The call through the entry's full argument checks (they raise the error that says why)."""
        if self.gpu:  # this path launches on Kokkos' default instance: let torch's queued work finish first
            import torch
            torch.cuda.current_stream().synchronize()
        out = self.entry(*bounds, *[_torch_to_kernel(v) for v in values])
        return self._results(out, next((v.device for v in values if hasattr(v, "device")), None))

    def _results(self, out: Any, device: Any) -> Any:
        import torch
        if not self.result_dtypes:
            return None
        outs = [out] if len(self.result_dtypes) == 1 else list(out)
        tensors = [torch.tensor(v, dtype=dt, device=device) for v, dt in zip(outs, self.result_dtypes)]
        return tensors[0] if len(tensors) == 1 else tensors

    def fake(self, bounds: list[int], *values: Any) -> Any:
        import torch
        if not self.result_dtypes:
            return None
        device = next((v.device for v in values if isinstance(v, torch.Tensor)), None)
        tensors = [torch.empty((), dtype=dt, device=device) for dt in self.result_dtypes]
        return tensors[0] if len(tensors) == 1 else tensors


def _dense(layout: str, shape: Any, strides: tuple[int, ...]) -> bool:
    """Can a view of `layout` wrap a tensor of these extents and strides (in elements) as it is?"""
    if layout == "stride":
        return True
    expect = 1
    dims = range(len(shape) - 1, -1, -1) if layout == "right" else range(len(shape))
    for k in dims:
        if shape[k] != 1 and strides[k] != expect:
            return False
        expect *= shape[k]
    return True


def _overlap(spans: list[tuple[int, int, bool]]) -> bool:
    """Does a written view's address range meet another view's? (then the exact check decides)"""
    for i, (lo, hi, written) in enumerate(spans):
        if written and any(i != j and lo < b and a < hi for j, (a, b, _) in enumerate(spans)):
            return True
    return False


def _torch_to_kernel(v: Any) -> Any:
    """A Torch tensor as the entry takes it: a NumPy view (CPU) or a device descriptor (GPU)."""
    import torch
    if not isinstance(v, torch.Tensor):
        return v
    if v.device.type == "cpu":
        return v.detach().numpy()
    from hpcir.core.arrays import device_array
    return device_array(v.detach())


def _mark_constant() -> None:
    """Let Dynamo run the op lookup at trace time and keep its result as a constant."""
    import torch
    global _resolve_torch_op
    if not getattr(_resolve_torch_op, "_hpcir_marked", False):
        _resolve_torch_op = torch._dynamo.assume_constant_result(_resolve_torch_op)
        _resolve_torch_op._hpcir_marked = True


def as_torch(obj: Any, target: str = "cpu", reducer: str | None = None, kind: str | None = None) -> TorchKernel:
    """The kernel as a torch custom op behind a launch-style call: op(policy, **arguments)."""
    site = user_call_site(2)
    k = _as_kernel(obj, site)
    _check_kokkos_target(target, "as_torch", site)
    _mark_constant()
    return TorchKernel(k, target, reducer, _check_kind(kind, site))
