"""`@pk.classtype` objects inside workunits, lowered by scalar replacement (a source rewrite).

An object made in a kernel, `p: Particle = Particle(x, m)`, becomes one local per field (`p__x`,
`p__m`, nested objects' fields `p__pos__x`); `__init__` and methods are inlined where they are
called, with `self.f` read as the field's local, so a method that assigns a field changes the
object, as the C++ member function PyKokkos emits does. A method's `return` must end it (or both
branches of a final `if`); a call is hoisted before its statement. Objects are used only through
their fields and methods, and by @pk.function calls that take them (as by-reference parameters: a
field the function assigns changes the caller's object) or return a new one (`return C(...)`, assigned
to a name): those calls are inlined too. `a = b` copies every field, as C++ copies value types.
"""
from __future__ import annotations

import ast
import copy
import inspect
import textwrap
from collections.abc import Callable
from typing import Any

from hpcir.core.errors import HpcirError, KernelSyntaxError, SourceLocation


def classtype(cls: type) -> type:
    """@pk.classtype: a plain Python class on the host; inside workunits its objects are scalar locals."""
    try:
        lines, first = inspect.getsourcelines(cls)
        tree = ast.parse(textwrap.dedent("".join(lines))).body[0]
        cls.__pk_file__ = inspect.getsourcefile(cls)  # type: ignore[attr-defined]
    except (OSError, TypeError, SyntaxError) as err:
        raise HpcirError(f"cannot read the source of @pk.classtype {cls.__name__}: {err}",
                         hint="define classtypes in a .py file") from None
    assert isinstance(tree, ast.ClassDef)
    ast.increment_lineno(tree, first - 1)  # lines of the user's file, for errors inside methods
    cls.__pk_classtype__ = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}  # type: ignore[attr-defined]
    return cls


class _Obj:
    """An object in a kernel: its class's methods and the prefix of its fields' locals."""

    def __init__(self, cls: type, prefix: str) -> None:
        self.cls, self.prefix = cls, prefix
        self.methods: dict[str, ast.FunctionDef] = cls.__pk_classtype__  # type: ignore[attr-defined]


class _Expand:
    def __init__(self, names: Any, loc: Callable[[ast.AST], SourceLocation]) -> None:
        self.names, self.loc, self.count = names, loc, 0

    def lookup(self, node: ast.expr) -> Any:
        """The value of a global name or a dotted module attribute, else None."""
        try:
            if isinstance(node, ast.Name):
                return self.names[node.id]
            if isinstance(node, ast.Attribute):
                base = self.lookup(node.value)
                return getattr(base, node.attr, None) if base is not None else None
        except (KeyError, AttributeError):
            return None
        return None

    def classtype_of(self, node: ast.expr) -> type | None:
        c = self.lookup(node)
        return c if isinstance(c, type) and hasattr(c, "__pk_classtype__") else None

    def err(self, msg: str, node: ast.AST, hint: str | None = None, cls: type | None = None) -> HpcirError:
        """A located error: in the kernel, or (cls given) in a method of that classtype."""
        if cls is not None:
            where = SourceLocation(cls.__pk_file__, getattr(node, "lineno", 1),  # type: ignore[attr-defined]
                                   getattr(node, "col_offset", 0))
            return KernelSyntaxError(msg, where, hint)
        return KernelSyntaxError(msg, self.loc(node), hint)

    # -- objects in an environment (name -> _Obj, or renamed scalar local) --
    def obj(self, node: ast.expr, env: dict[str, Any]) -> _Obj | None:
        if isinstance(node, ast.Name):
            v = env.get(node.id)
            return v if isinstance(v, _Obj) else None
        if isinstance(node, ast.Attribute):
            base = self.obj(node.value, env)
            if base is not None:
                return env.get(("field", base.prefix + node.attr))  # a nested object field
        return None

    def block(self, stmts: list[ast.stmt], env: dict[str, Any]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for st in stmts:
            out.extend(self.stmt(st, env))
        return out

    def stmt(self, st: ast.stmt, env: dict[str, Any]) -> list[ast.stmt]:
        if isinstance(st, (ast.Assign, ast.AnnAssign)):
            targets = st.targets if isinstance(st, ast.Assign) else [st.target]
            value = st.value
            if len(targets) == 1 and value is not None and self.obj(value, env) is not None:
                return self.assign_copy(targets[0], self.obj(value, env), env, st)
            if len(targets) == 1 and isinstance(value, ast.Call):
                cls = self.classtype_of(value.func)
                if cls is not None:
                    return self.construct(targets[0], cls, value, env, st)
                fn = self.object_function(value, env)
                if fn is not None and self.returns_object(fn):
                    return self.inline_function(fn, value, env, st, target=targets[0])
        if isinstance(st, ast.Expr) and isinstance(st.value, ast.Call):
            fn = self.object_function(st.value, env)
            if fn is not None:
                return self.inline_function(fn, st.value, env, st, target=None)
        if isinstance(st, ast.Expr) and isinstance(st.value, ast.Call) and isinstance(st.value.func, ast.Attribute):
            o = self.obj(st.value.func.value, env)  # `obj.method(...)` as a statement: no value
            fdef = o.methods.get(st.value.func.attr) if o is not None else None
            if o is not None and fdef is not None:
                pre = []
                args = [self.arg(a, env, pre) for a in st.value.args]
                return pre + self.inline(o, fdef, args, st.value, env, st, result=None)
        if isinstance(st, ast.While) and self.has_call(st.test, env):
            raise self.err("a @pk.classtype method call in a while condition is not supported", st.test,
                           hint="compute it into a local before the loop and at the end of its body")
        pre: list[ast.stmt] = []
        for field in ("test", "iter", "value", "target", "targets"):
            part = getattr(st, field, None)
            if isinstance(part, ast.expr):
                setattr(st, field, self.expr(part, env, pre))
            elif isinstance(part, list) and part and isinstance(part[0], ast.expr):
                setattr(st, field, [self.expr(p, env, pre) for p in part])
        for field in ("body", "orelse"):
            inner = getattr(st, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                setattr(st, field, self.block(inner, env) or [ast.Pass()])
        if isinstance(st, ast.FunctionDef):  # nested functions share the kernel's locals
            st.body = self.block(st.body, env)
        return pre + [st]

    def has_call(self, node: ast.expr, env: dict[str, Any]) -> bool:
        return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and
                   self.obj(n.func.value, env) is not None for n in ast.walk(node))

    def construct(self, target: ast.expr, cls: type, call: ast.Call, env: dict[str, Any],
                  st: ast.stmt) -> list[ast.stmt]:
        """`x = C(args)` (x a name or an object's field): fields as locals, then __init__ inlined."""
        o = self.target_obj(target, cls, env)
        init = o.methods.get("__init__")
        if init is None:
            return []
        pre: list[ast.stmt] = []
        args = [self.arg(a, env, pre) for a in call.args]
        return pre + self.inline(o, init, args, call, env, st, result=None)

    def target_obj(self, target: ast.expr, cls: type, env: dict[str, Any]) -> _Obj:
        """The object a name or an object's field names as an assignment target, made when it is new."""
        if isinstance(target, ast.Name):
            old = env.get(target.id)
            if isinstance(old, str) and old != target.id:  # an inlined function's local, renamed: new here
                o = _Obj(cls, f"{old}__")
                env[target.id] = o
                return o
            if old is not None and (not isinstance(old, _Obj) or old.cls is not cls):
                raise self.err(f"`{target.id}` already holds another value; a @pk.classtype object keeps "
                               "its class", target, hint="use another name")
            o = old or _Obj(cls, f"{target.id}__")
            env[target.id] = o
            return o
        base = self.obj(target.value, env) if isinstance(target, ast.Attribute) else None
        if base is None:
            raise self.err("a @pk.classtype object can only be assigned to a name or a field", target)
        key = ("field", base.prefix + target.attr)  # type: ignore[union-attr]
        old = env.get(key)
        if old is not None and old.cls is not cls:
            raise self.err(f"this field holds a {old.cls.__name__}, not a {cls.__name__}", target)
        o = old or _Obj(cls, f"{base.prefix}{target.attr}__")  # type: ignore[union-attr]
        env[key] = o
        return o

    def assign_copy(self, target: ast.expr, src: _Obj, env: dict[str, Any], at: ast.AST) -> list[ast.stmt]:
        """`a = b` of objects: `a` gets a copy of every field of `b` (C++ copies value types; PyKokkos
        emits `T a = b;`), so later changes to one are not seen by the other."""
        return self.copy_fields(self.target_obj(target, src.cls, env), src, env, at)

    def copy_fields(self, dst: _Obj, src: _Obj, env: dict[str, Any], at: ast.AST) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        if dst is src:
            return out
        for f in _field_names(src.cls):
            inner = env.get(("field", src.prefix + f))
            if isinstance(inner, _Obj):  # a nested object: copied field by field too
                key = ("field", dst.prefix + f)
                sub = env.get(key)
                if sub is None:
                    sub = env[key] = _Obj(inner.cls, f"{dst.prefix}{f}__")
                out.extend(self.copy_fields(sub, inner, env, at))
            else:
                out.append(ast.copy_location(ast.Assign([ast.Name(dst.prefix + f, ast.Store())],
                                                        ast.Name(src.prefix + f, ast.Load())), at))
        return out

    def arg(self, node: ast.expr, env: dict[str, Any], pre: list[ast.stmt]) -> ast.expr:
        """An argument of a constructor or method: an object is passed as it is (read in place)."""
        return node if self.obj(node, env) is not None else self.expr(node, env, pre)

    def expr(self, node: ast.expr, env: dict[str, Any], pre: list[ast.stmt]) -> ast.expr:
        """An expression with object fields as locals, method calls hoisted into `pre`."""
        if isinstance(node, (ast.BoolOp, ast.IfExp)) and self.has_call(node, env):
            raise self.err("a @pk.classtype method call inside `and` / `or` / `if else` is not supported",
                           node, hint="call it in a statement of its own first")
        if isinstance(node, ast.Call) and self.object_function(node, env) is not None:
            fn = self.object_function(node, env)
            if self.returns_object(fn):
                raise self.err(f"{fn.name} returns a @pk.classtype object, which can only be assigned to a name "
                               "here", node, hint=f"write obj: T = {fn.name}(...) first")
            self.count += 1
            result = f"pk_ct{self.count}_result"
            pre.extend(self.inline_function(fn, node, env, node, target=None, result=result))
            return ast.copy_location(ast.Name(result, ast.Load()), node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            o = self.obj(node.func.value, env)
            if o is not None:
                fdef = o.methods.get(node.func.attr)
                if fdef is None:
                    raise self.err(f"{o.cls.__name__} has no method {node.func.attr}", node)
                args = [self.arg(a, env, pre) for a in node.args]
                self.count += 1
                result = f"pk_ct{self.count}_result"
                pre.extend(self.inline(o, fdef, args, node, env, node, result=result))
                return ast.copy_location(ast.Name(result, ast.Load()), node)
        if isinstance(node, ast.Attribute):
            o = self.obj(node.value, env)
            if o is not None:
                if self.obj(node, env) is not None:
                    raise self.err("a @pk.classtype object can only be used through its fields and methods "
                                   "in a kernel", node, hint="read its fields (obj.x) or call its methods")
                return ast.copy_location(ast.Name(o.prefix + node.attr, type(node.ctx)()), node)
        if isinstance(node, ast.Name):
            v = env.get(node.id)
            if isinstance(v, _Obj):
                raise self.err(f"`{node.id}` is a @pk.classtype object: in a kernel it can only be used "
                               "through its fields and methods, copied (`a = b`) or passed to a @pk.function", node,
                               hint="pass its fields one by one")
            if isinstance(v, str):
                return ast.copy_location(ast.Name(v, type(node.ctx)()), node)
            return node
        for field, value in ast.iter_fields(node):
            if isinstance(value, ast.expr):
                setattr(node, field, self.expr(value, env, pre))
            elif isinstance(value, list) and value and isinstance(value[0], ast.expr):
                setattr(node, field, [self.expr(v, env, pre) for v in value])
        return node

    # -- @pk.function calls that take or return objects: inlined (C++ passes objects by reference) --
    def object_function(self, call: ast.Call, env: dict[str, Any]) -> Any:
        """The @pk.function a call names when it takes an object or returns one, else None."""
        from .frontends.python.kernel import Kernel
        fn = self.lookup(call.func)
        if not isinstance(fn, Kernel):
            return None
        if any(self.obj(a, env) is not None for a in call.args) or self.returns_object(fn):
            return fn
        return None

    @staticmethod
    def returns_object(fn: Any) -> bool:
        """Whether a @pk.function is annotated to return a @pk.classtype object."""
        ret = fn.tree.returns
        return ret is not None and _Expand(fn.globals, fn.loc).classtype_of(ret) is not None

    def inline_function(self, fn: Any, call: ast.Call, outer: dict[str, Any], at: ast.AST,
                        target: ast.expr | None, result: str | None = None) -> list[ast.stmt]:
        """A @pk.function's body where it is called: object arguments are the caller's objects (a field
        the function assigns changes them, as C++'s by-reference parameters), the others assigned to
        renamed locals; a returned object (`return C(...)`) is made as `target`."""
        fdef = fn.tree
        params = [a.arg for a in fdef.args.args]
        pre: list[ast.stmt] = []
        args = [self.arg(a, outer, pre) for a in call.args]
        if len(args) != len(params) or call.keywords:
            raise self.err(f"{fn.name} takes {len(params)} positional arguments", call)
        self.count += 1
        tag = f"pk_fn{self.count}_"
        env: dict[str, Any] = {k: v for k, v in outer.items() if isinstance(k, tuple)}
        out: list[ast.stmt] = pre
        stored = {n.id for n in ast.walk(fdef) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        for p, a in zip(params, args):
            passed = self.obj(a, outer)
            if passed is not None:
                env[p] = passed
            elif isinstance(a, ast.Name) and p not in stored:  # a name (a view too) read only: used as is
                env[p] = a.id
            else:
                env[p] = tag + p
                out.append(ast.Assign([ast.Name(tag + p, ast.Store())], a))
        for n in ast.walk(fdef):  # the function's own locals
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id not in env:
                env[n.id] = tag + n.id
        body = copy.deepcopy(fdef.body)
        ret_name = tag + "ret" if target is not None else result
        if ret_name is not None:
            body = self.tail(body, ret_name, fdef, None, where=fn.loc)
        elif any(isinstance(n, ast.Return) and n.value is not None for s in body for n in ast.walk(s)):
            raise self.err(f"{fn.name} returns a value, which is ignored here", call,
                           hint=f"assign it: v = {fn.name}(...)")
        if result is not None:
            env[result] = result  # the value the caller reads
        body = [s for s in body if not isinstance(s, ast.Expr) or not isinstance(s.value, ast.Constant)]
        out.extend(self.block(body, env))
        for s in out:
            for n in ast.walk(s):
                ast.copy_location(n, at)
        outer.update({k: v for k, v in env.items() if isinstance(k, tuple)})
        if target is not None:
            made = env.get(tag + "ret")
            if not isinstance(made, _Obj):
                raise self.err(f"{fn.name} must end with `return C(...)` (a new @pk.classtype object) to be "
                               "assigned here", call, hint="return a constructor call")
            if isinstance(target, ast.Name) and outer.get(target.id) is None:
                outer[target.id] = made
            else:  # an object already there (or a field) gets a copy of the returned one, as C++ assigns
                out.extend(self.assign_copy(target, made, outer, at))
        return out

    def inline(self, o: _Obj, fdef: ast.FunctionDef, args: list[ast.expr], call: ast.AST,
               outer: dict[str, Any], at: ast.AST, result: str | None) -> list[ast.stmt]:
        """A method's body where it is called: self is `o`, parameters and locals renamed."""
        params = [a.arg for a in fdef.args.args]
        if len(args) != len(params) - 1 or getattr(call, "keywords", None):
            raise self.err(f"{o.cls.__name__}.{fdef.name} takes {len(params) - 1} positional arguments", call)
        self.count += 1
        tag = f"pk_ct{self.count}_"
        env: dict[str, Any] = {k: v for k, v in outer.items() if isinstance(k, tuple)}
        env[params[0]] = o
        out: list[ast.stmt] = []
        for p, a in zip(params[1:], args):
            passed = self.obj(a, outer)
            if passed is not None:
                env[p] = passed  # read in place (C++ passes objects to constructors by const reference)
            else:
                env[p] = tag + p
                out.append(ast.Assign([ast.Name(tag + p, ast.Store())], a))
        for n in ast.walk(fdef):  # the method's own locals
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id not in env:
                env[n.id] = tag + n.id
        body = copy.deepcopy(fdef.body)
        if result is not None:
            body = self.tail(body, result, fdef, o.cls)
        elif any(isinstance(n, ast.Return) and n.value is not None for s in body for n in ast.walk(s)):
            raise self.err(f"{o.cls.__name__}.{fdef.name} returns a value, which is ignored here", call,
                           hint="assign it: v = obj.method(...)")
        body = [s for s in body if not isinstance(s, ast.Expr) or not isinstance(s.value, ast.Constant)]
        out.extend(self.fields_of(o, body, env))
        for s in out:
            for n in ast.walk(s):
                ast.copy_location(n, at)
        outer.update({k: v for k, v in env.items() if isinstance(k, tuple)})  # nested objects made in __init__
        return out

    def fields_of(self, o: _Obj, body: list[ast.stmt], env: dict[str, Any]) -> list[ast.stmt]:
        """The body with `self.f: T = v` kept annotated (the field's local gets T), the rest expanded."""
        out: list[ast.stmt] = []
        for st in body:
            if isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Attribute) and st.value is not None \
                    and self.obj(st.target.value, env) is o and not (
                        isinstance(st.value, ast.Call) and self.classtype_of(st.value.func) is not None):
                pre: list[ast.stmt] = []
                value = self.expr(st.value, env, pre)
                out.extend(pre)
                out.append(ast.AnnAssign(ast.Name(o.prefix + st.target.attr, ast.Store()), st.annotation,
                                         value, 1))
                continue
            out.extend(self.stmt(st, env))
        return out

    def tail(self, body: list[ast.stmt], result: str, fdef: ast.FunctionDef, cls: type | None,
             where: Callable[[ast.AST], SourceLocation] | None = None) -> list[ast.stmt]:
        """`return v` at the end (or at the end of both branches of a final if) as `result = v`
        (`cls`: the method's class; else `where` locates the @pk.function's nodes)."""
        def err(msg: str, node: ast.AST, hint: str | None = None) -> HpcirError:
            return KernelSyntaxError(msg, where(node), hint) if where is not None else self.err(msg, node, hint, cls)
        name = f"{cls.__name__}.{fdef.name}" if cls is not None else fdef.name
        *head, last = body or [ast.Pass()]
        for s in head:
            for n in ast.walk(s):
                if isinstance(n, ast.Return):
                    raise err(f"{name}, inlined in a kernel, may return only at its end "
                              "(or at the end of both branches of its last if)", n,
                              hint="assign a local and return it once")
        if isinstance(last, ast.Return) and last.value is not None:
            return head + [ast.copy_location(ast.Assign([ast.Name(result, ast.Store())], last.value), last)]
        if isinstance(last, ast.If) and last.orelse:
            last.body = self.tail(last.body, result, fdef, cls, where)
            last.orelse = self.tail(last.orelse, result, fdef, cls, where)
            return head + [last]
        raise err(f"{name} is used as a value and must end with `return value`", last)


def _field_names(cls: type) -> list[str]:
    """The fields a classtype's methods assign (`self.f = ...`), in order of first assignment."""
    names: list[str] = []
    for fdef in cls.__pk_classtype__.values():  # type: ignore[attr-defined]
        me = fdef.args.args[0].arg if fdef.args.args else None
        for n in ast.walk(fdef):
            if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store) and isinstance(n.value, ast.Name) \
                    and n.value.id == me and n.attr not in names:
                names.append(n.attr)
    return names


def expand(tree: ast.FunctionDef, names: Any, loc: Callable[[ast.AST], SourceLocation]) -> bool:
    """Replace the @pk.classtype objects of a kernel's AST (in place); True when there were any."""
    ex = _Expand(names, loc)
    if tree.returns is not None and ex.classtype_of(tree.returns) is not None:
        return False  # a @pk.function returning an object only exists inlined where it is called
    if not any(isinstance(n, ast.Call) and (ex.classtype_of(n.func) is not None or _object_signature(ex, n.func))
               for n in ast.walk(tree)):
        return False
    tree.body = ex.block(tree.body, {})
    ast.fix_missing_locations(tree)
    return True


def _object_signature(ex: _Expand, func: ast.expr) -> bool:
    """Whether a call names a @pk.function with a @pk.classtype parameter or return annotation."""
    from .frontends.python.kernel import Kernel
    fn = ex.lookup(func)
    if not isinstance(fn, Kernel):
        return False
    own = _Expand(fn.globals, fn.loc)
    notes = [a.annotation for a in fn.tree.args.args if a.annotation is not None] + [fn.tree.returns]
    return any(n is not None and own.classtype_of(n) is not None for n in notes)
