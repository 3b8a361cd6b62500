"""PyKokkos functor and workload classes: a `@pk.workunit` method becomes an ordinary hpcir kernel.

`self.<field>` inside the method becomes an extra kernel parameter whose value is read from the
object at each launch (views are passed by reference, so stores into them are seen by the object);
`self.<fn>(...)` calls of `@pk.function` methods become calls of device functions built the same way.
"""
from __future__ import annotations

import ast
import contextlib
import copy
import functools
import hashlib
import math
import types
from collections.abc import Iterator, Mapping
from typing import Any, Callable

from hpcir.core.errors import HpcirError, KernelSyntaxError, user_call_site

import numpy as np

from .frontends.python.annotations import annotation_to_type
from .frontends.python.intrinsics import printf
from .frontends.python.kernel import Kernel
from .pykokkos_rewrite import rewrite


def _math_names() -> dict[str, Any]:
    """Python's math functions and constants, which PyKokkos workunits may use without importing."""
    names = {n: getattr(math, n) for n in dir(math) if not n.startswith("_")}
    if "exp2" not in names:  # math.exp2 is Python 3.11+; the kernel frontend maps math functions by name
        def exp2(x: float) -> float:
            return 2.0 ** x
        exp2.__module__ = "math"
        names["exp2"] = exp2
    return names


MATH_NAMES = _math_names()


class _Overlay(Mapping):
    """A kernel's free names: the functor's device-function methods, its own names, then math's."""

    def __init__(self, front: dict[str, Any], back: Mapping, fallback: dict[str, Any] | None = None) -> None:
        self._front, self._back, self._fallback = front, back, MATH_NAMES if fallback is None else fallback
        self.owner: Any = None  # the kernel whose names these are

    def closure(self) -> dict[str, Any]:
        """The closure cells of the method (read by annotation evaluation)."""
        return self._back.closure()  # type: ignore[attr-defined]

    def __getitem__(self, name: str) -> Any:
        if name in self._front:
            return self._front[name]
        try:
            value = self._back[name]
        except KeyError:
            return self._fallback[name]
        if value is self.owner and name in self._fallback:
            return self._fallback[name]  # a workunit named `sin` calling sin(): math's, as PyKokkos reads it
        return value

    def __iter__(self) -> Iterator[str]:
        yield from self._front
        yield from self._back
        yield from self._fallback

    def __len__(self) -> int:
        return len(self._front) + len(self._back) + len(self._fallback)


class Method:
    """A `@pk.workunit` / `@pk.function` method of a functor class; `obj.method` is a BoundMethod."""

    def __init__(self, fn: Callable[..., Any], role: str) -> None:
        self.fn, self.role = fn, role
        self.__name__ = fn.__name__
        self.__doc__ = fn.__doc__
        self._kernels: dict[type, FunctorKernel] = {}

    def __set_name__(self, owner: type, name: str) -> None:
        self.owner_name = owner.__name__

    def __get__(self, obj: Any, cls: type | None = None) -> Any:
        if obj is None:
            return self
        return BoundMethod(obj, self)

    def kernel_for(self, cls: type, building: tuple[str, ...] = ()) -> FunctorKernel:
        """The kernel of this method for objects of `cls` (built once per class)."""
        k = self._kernels.get(cls)
        if k is None:
            k = self._kernels[cls] = FunctorKernel(self, cls, building)
        return k


class BoundMethod:
    """`obj.method` of a functor: a kernel plus the object whose fields it reads."""

    def __init__(self, obj: Any, method: Method) -> None:
        self.obj, self.method = obj, method

    @property
    def kernel(self) -> FunctorKernel:
        """The hpcir kernel of the method, its fields as trailing parameters."""
        return self.method.kernel_for(type(self.obj))

    def field_arguments(self) -> dict[str, Any]:
        """The launch arguments taken from the object: one per field the method reads."""
        k = self.kernel
        out = {}
        for param, field in k.fields.items():
            try:
                out[param] = getattr(self.obj, field)
            except AttributeError:
                raise HpcirError(f"{type(self.obj).__name__}.{self.method.__name__} reads self.{field}, which the "
                                 "object does not have", user_call_site(),
                                 hint=f"assign self.{field} in __init__ before launching") from None
        return out

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Called from Python (not launched): run the method as Python, as PyKokkos does when debugging.
        return self.method.fn(self.obj, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<pk workunit {type(self.obj).__name__}.{self.method.__name__}>"


# C++ type names PyKokkos' translator accepts bare in annotations (`pk.ScratchView1D[double]`): read as
# these dtypes where the kernel's module does not define the name itself.
_CPP_NAMES = {"double": np.float64, "int8_t": np.int8, "int16_t": np.int16, "int32_t": np.int32,
              "int64_t": np.int64, "uint8_t": np.uint8, "uint16_t": np.uint16, "uint32_t": np.uint32,
              "uint64_t": np.uint64}


class _ClasstypeNotes:
    """Annotations naming a @pk.classtype (`def f(self, p: Particle) -> Particle`) have no kernel type:
    calls passing or returning objects are inlined (pykokkos_classtypes), so they are never compiled.
    Bare C++ type names (`double`) are read as PyKokkos reads them (_CPP_NAMES)."""

    def _eval_annotation(self, node: ast.expr) -> Any:
        fn_globals = self.fn.__globals__  # type: ignore[attr-defined]
        if isinstance(node, ast.Name):
            value = fn_globals.get(node.id)
            if isinstance(value, type) and hasattr(value, "__pk_classtype__"):
                return None
        closure = dict(self.globals.closure())  # type: ignore[attr-defined]
        cpp = {n.id: _CPP_NAMES[n.id] for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in _CPP_NAMES
               and n.id not in fn_globals and n.id not in closure}
        if cpp:
            value = eval(compile(ast.Expression(node), self.filename, "eval"), fn_globals,  # type: ignore[attr-defined]  # noqa: S307
                         {**cpp, **closure})
            kt = annotation_to_type(value)
            if kt is not None:
                return kt
        return super()._eval_annotation(node)  # type: ignore[misc]


class PkKernel(_ClasstypeNotes, Kernel):
    """A standalone @pk.workunit or @pk.function (annotations read as PyKokkos reads them)."""


class FunctorKernel(_ClasstypeNotes, Kernel):
    """A method translated into a kernel: `self` dropped, each `self.x` a parameter after the others."""

    def __init__(self, method: Method, cls: type, building: tuple[str, ...] = ()) -> None:
        super().__init__(method.fn, name=f"{cls.__name__}_{method.fn.__name__}")
        self.cls = cls
        args = self.tree.args
        first = (list(args.posonlyargs) + list(args.args))[:1]
        if not first:
            raise KernelSyntaxError(f"{cls.__name__}.{method.fn.__name__} is a method and must take self first",
                                    self.loc(self.tree))
        self_name = first[0].arg
        tree = copy.deepcopy(self.tree)
        taken = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {a.arg for a in ast.walk(tree)
                                                                             if isinstance(a, ast.arg)}
        self.fields: dict[str, str] = {}  # parameter name -> field name, in parameter order
        calls: dict[str, Kernel] = {}
        here = building + (method.fn.__name__,)

        def param_of(field: str) -> str:
            for p, f in self.fields.items():
                if f == field:
                    return p
            p = field if field not in taken else f"self_{field}"
            while p in taken:
                p += "_"
            self.fields[p] = field
            return p

        kernel_self = self

        class Rewrite(ast.NodeTransformer):
            def visit_Call(self, node: ast.Call) -> Any:
                f = node.func
                if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == self_name:
                    callee = getattr(cls, f.attr, None)
                    if not isinstance(callee, Method):
                        raise KernelSyntaxError(f"self.{f.attr} is not a @pk.function method of {cls.__name__}",
                                                kernel_self.loc(node), hint="decorate it with @pk.function")
                    if f.attr in here:
                        raise KernelSyntaxError(f"recursive call of {f.attr}: recursion is not supported in "
                                                "kernels", kernel_self.loc(node), hint="rewrite it as a loop")
                    sub = callee.kernel_for(cls, here)
                    fname = f"{cls.__name__}_{f.attr}"
                    calls[fname] = sub
                    node.args = [self.visit(a) for a in node.args]
                    node.args += [ast.copy_location(ast.Name(param_of(fld), ast.Load()), node)
                                  for fld in sub.fields.values()]
                    node.func = ast.copy_location(ast.Name(fname, ast.Load()), f)
                    return node
                return self.generic_visit(node)

            def visit_Attribute(self, node: ast.Attribute) -> Any:
                if isinstance(node.value, ast.Name) and node.value.id == self_name:
                    if isinstance(node.ctx, ast.Store):
                        raise KernelSyntaxError(f"workunits cannot assign the field self.{node.attr}: the "
                                                "functor is read-only on the device", kernel_self.loc(node),
                                                hint="store into a view field (self.v[i] = ...) or return the "
                                                     "value through parallel_reduce")
                    return ast.copy_location(ast.Name(param_of(node.attr), ast.Load()), node)
                return self.generic_visit(node)

            def visit_Name(self, node: ast.Name) -> Any:
                if node.id == self_name:
                    raise KernelSyntaxError("`self` can only be used as self.<field> or self.<function>(...) in "
                                            "a workunit", kernel_self.loc(node))
                return node

        tree.body = [Rewrite().visit(s) for s in tree.body]
        # The called @pk.functions are visible to the rewrite: those taking or returning
        # @pk.classtype objects are inlined (pykokkos_classtypes).
        tree = rewrite(tree, _Overlay(calls, self.globals), self.loc) or tree
        self.cpp_conversions = True
        for a in ast.walk(tree):  # annotations and defaults may not mention self
            if isinstance(a, ast.arg) and a.annotation is not None and any(
                    isinstance(n, ast.Name) and n.id == self_name for n in ast.walk(a.annotation)):
                raise KernelSyntaxError("annotations cannot depend on self", self.loc(a))
        fresh = tree.args
        del (fresh.posonlyargs or fresh.args)[0]
        fresh.args += [ast.copy_location(ast.arg(p), first[0]) for p in self.fields]
        self.tree = tree
        self.params = [self._param(a) for a in self._all_args()]
        self.globals = _Overlay(calls, self.globals)  # type: ignore[assignment]
        self.source_hash = hashlib.sha256((cls.__qualname__ + ast.unparse(tree)).encode()).hexdigest()
        self.global_names = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)})
        self._written = None
        self._index_rank = None



_PK_SPELLING = (("@hpcir.kernel", "@pk.workunit"), ("hpcir.kernel", "pk.workunit"), ("hpcir.", "pk."))


def pk_spelling(text: str | None) -> str | None:
    """A message or hint with hpcir's spellings replaced by PyKokkos' (`hpcir.View1D` -> `pk.View1D`)."""
    if text is None:
        return None
    for old, new in _PK_SPELLING:
        text = text.replace(old, new)
    return text


@contextlib.contextmanager
def pk_errors() -> Iterator[None]:
    """Re-raise hpcir errors with hints in PyKokkos' spelling, for users who came through hpcir.pykokkos."""
    try:
        yield
    except HpcirError as err:
        if err.hint is None or "hpcir." not in err.hint:
            raise
        raise type(err)(err.message, err.loc, pk_spelling(err.hint)) from None


def with_math_names(k: Any) -> Any:
    """A kernel read as PyKokkos reads it: bare math names (`sqrt(x)`), nonlocal, variable range steps,
    float values stored into integer views truncated as in C++."""
    if isinstance(k, Kernel) and not isinstance(k.globals, _Overlay):
        k.globals = _Overlay({}, k.globals)  # type: ignore[assignment]
        k.globals.owner = k
        k.cpp_conversions = True  # type: ignore[attr-defined]
        tree = rewrite(k.tree, k.globals, k.loc)
        if tree is not None:
            k.tree = tree
            k.params = [k._param(a) for a in k._all_args()]  # accumulators may have been split by field
            k.global_names = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)})
            k._written, k._index_rank = None, None
    return k


def workunit(fn: Callable[..., Any] | None = None, **options: Any) -> Any:
    """@pk.workunit: a kernel function, or (first parameter `self`) a method of a functor class."""
    # pk.ViewTypeInfo options declare view layouts; hpcir takes layouts from the arrays passed.
    options = {k: v for k, v in options.items() if type(v).__name__ != "ViewTypeInfo"}
    if fn is None:
        return lambda f: workunit(f, **options)
    if _is_method(fn):
        return Method(fn, "workunit")
    with pk_errors():
        return with_math_names(fn if isinstance(fn, Kernel) else PkKernel(fn, **options))


def function(fn: Callable[..., Any]) -> Any:
    """@pk.function: a device function (or a functor method called as self.fn(...))."""
    if _is_method(fn):
        return Method(fn, "function")
    with pk_errors():
        return with_math_names(fn if isinstance(fn, Kernel) else PkKernel(fn))


def _is_method(fn: Any) -> bool:
    code = getattr(fn, "__code__", None)
    return code is not None and code.co_argcount > 0 and code.co_varnames[0] == "self" and \
        "." in fn.__qualname__ and not fn.__qualname__.endswith(f"<locals>.{fn.__name__}")


def functor(cls: type | None = None, **view_info: Any) -> Any:
    """@pk.functor: marks a class whose @pk.workunit methods are launched as obj.method.

    `@pk.functor(field=pk.ViewTypeInfo(...))` is accepted: hpcir reads layouts from the arrays."""
    if cls is None:
        return functor
    if not isinstance(cls, type):
        raise HpcirError("@pk.functor decorates a class", user_call_site())
    cls.__pk_functor__ = True  # type: ignore[attr-defined]
    return cls


def main(fn: Callable[..., Any]) -> Callable[..., Any]:
    """@pk.main: the method pk.execute runs on a workload object (as Python; a bare `printf` in it is
    pk.printf, as in the C++ PyKokkos translates it to)."""
    if "printf" in fn.__code__.co_names:
        plain = fn

        @functools.wraps(plain)
        def fn(*args: Any, **kwargs: Any) -> Any:
            run = plain
            if "printf" not in plain.__globals__:  # the module's own printf, if it defines one, wins
                # A copy of the module's names taken at the call, so later definitions are seen too.
                run = types.FunctionType(plain.__code__, {**plain.__globals__, "printf": printf}, plain.__name__,
                                         plain.__defaults__, plain.__closure__)
            return run(*args, **kwargs)
    fn.__pk_main__ = True  # type: ignore[attr-defined]
    return fn


def callback(fn: Callable[..., Any]) -> Callable[..., Any]:
    """@pk.callback: a workload method pk.execute runs on the host after @pk.main."""
    fn.__pk_callback__ = True  # type: ignore[attr-defined]
    return fn


def workload(cls: type | None = None, **view_info: Any) -> Any:
    """@pk.workload: a functor class with one @pk.main method, run by pk.execute(space, obj)."""
    if cls is None:
        return workload
    functor(cls)
    mains = [n for n, v in vars(cls).items() if getattr(v, "__pk_main__", False)]
    if len(mains) > 1:
        raise HpcirError(f"workload {cls.__name__} must have one @pk.main method, it has {len(mains)}",
                         user_call_site(), hint="keep @pk.main on the driver method only")
    # PyKokkos accepts a workload without @pk.main (ExaMiniMD's classes only launch from plain methods);
    # only pk.execute needs one, and says so.
    cls.__pk_workload__ = True  # type: ignore[attr-defined]
    cls.__pk_main_name__ = mains[0] if mains else None  # type: ignore[attr-defined]
    cls.__pk_callbacks__ = [n for n, v in vars(cls).items() if getattr(v, "__pk_callback__", False)]  # type: ignore[attr-defined]
    return cls


def resolve(kernel_obj: Any, kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The kernel and arguments of a launch of `obj.method` (fields added), else unchanged."""
    if isinstance(kernel_obj, BoundMethod):
        if kernel_obj.method.role != "workunit":
            raise HpcirError(f"{kernel_obj.method.__name__} is a @pk.function, which kernels call; launch a "
                             "@pk.workunit", user_call_site())
        fields = kernel_obj.field_arguments()
        both = sorted(set(fields) & set(kwargs))
        if both:
            raise HpcirError(f"argument `{both[0]}` is also a field the workunit reads (self.{both[0]})",
                             user_call_site(), hint="launch a functor's workunit without keyword arguments")
        return kernel_obj.kernel, {**kwargs, **fields}
    if isinstance(kernel_obj, Method):
        raise HpcirError(f"{kernel_obj.__name__} is a method: launch it on an object (obj.{kernel_obj.__name__})",
                         user_call_site())
    return kernel_obj, kwargs
