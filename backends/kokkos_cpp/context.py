"""Emitter state: SSA value names, indented C++ output, the op-handler registry."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from xdsl.dialects.builtin import MemRefType
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.traits import IsTerminator

from hpcir.core.errors import HpcirError, UnsupportedOpError
from hpcir.core.targets import Target

from .types import ViewSpec, cpp_type, exec_space_expr, target_spaces, view_spec

Handler = Callable[["FunctionEmitter", Operation], None]
HANDLERS: dict[str, Handler] = {}


def handles(*op_names: str) -> Callable[[Handler], Handler]:
    """Register a function as the C++ emitter of the named ops."""
    def deco(fn: Handler) -> Handler:
        for n in op_names:
            HANDLERS[n] = fn
        return fn
    return deco


_IDENT = re.compile(r"[^A-Za-z0-9_]")
_IDENT_ONLY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Identifiers a value name must not shadow inside generated code.
_RESERVED = {"exec_space", "host_space", "device_space", "shared_space", "scratch_space", "member_type", "hpcir",
             "Kokkos", "std", "int", "double", "float", "bool", "char", "long", "short", "auto", "const", "class",
             "struct", "new", "delete", "this", "default", "case", "switch", "if", "else", "for", "while", "do",
             "return", "break", "continue", "operator", "template", "typename", "using", "namespace", "union",
             "signed", "unsigned", "static", "volatile", "register", "void", "true", "false", "main", "final",
             # the rest of C++'s keywords and the fixed-width types the generated code names
             "and", "and_eq", "asm", "bitand", "bitor", "catch", "char8_t", "char16_t", "char32_t", "compl", "concept",
             "const_cast", "consteval", "constexpr", "constinit", "co_await", "co_return", "co_yield", "decltype",
             "dynamic_cast", "enum", "explicit", "export", "extern", "friend", "goto", "inline", "mutable", "noexcept",
             "not", "not_eq", "nullptr", "or", "or_eq", "private", "protected", "public", "reinterpret_cast",
             "requires", "sizeof", "static_assert", "static_cast", "thread_local", "throw", "try", "typedef",
             "typeid", "virtual", "wchar_t", "xor", "xor_eq", "alignas", "alignof", "override", "size_t",
             "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t"}
# The view aliases' names (types.ViewSpec.alias): no local may take one.
_ALIAS_NAME = re.compile(r"view_\d+d_")


@dataclass
class ModuleState:
    """Per-module emission state shared by every function and functor."""

    target: Target
    structs: list[str] = field(default_factory=list)  # functors and reducers, in definition order
    includes: list[str] = field(default_factory=list)  # library headers the .cpp includes (e.g. <cblas.h>)
    scalar_slots: set = field(default_factory=set)  # rank-0 allocas emitted as plain C++ locals
    c_arrays: set = field(default_factory=set)  # static allocas in kernels emitted as C arrays (t[i][j])
    read_only: set = field(default_factory=set)  # view values spelled View<const T*> (module.read_only_views)
    elided: set = field(default_factory=set)  # ops whose C++ another op's translation already covers
    func_names: dict[str, str] = field(default_factory=dict)  # func symbol -> C++ function name
    func_ops: dict[str, Operation] = field(default_factory=dict)  # func symbol -> func.func
    # Values written into the expression of their one use instead of a variable: the C++
    # precedence of that expression (5: *, 6: +, 9: <, 16: ?:, ...), and the earliest memory read
    # it contains (no write may come between that read and the use).
    prec: dict[SSAValue, int] = field(default_factory=dict)
    reads_since: dict[SSAValue, Operation] = field(default_factory=dict)
    infix: dict[SSAValue, tuple[str, SSAValue, str]] = field(default_factory=dict)  # (op, left, right text)
    declared_by: dict[Operation, str] = field(default_factory=dict)  # store -> type of the local it declares
    int_value: dict[SSAValue, int] = field(default_factory=dict)  # integer constants (i64, index, i32)
    one_exec_space: bool = True  # every launch runs in one execution space (in order)
    # Run-time checks (cf.assert in kernels): their texts, numbered from 1 in the module's table
    # `check_table`; `check_flag` is the flag variable of the launch being emitted ("" outside one).
    checks: list[str] = field(default_factory=list)
    check_table: str = ""
    check_flag: str = ""
    # Host parallel_for launches compiled in other translation units (units.py): the launch calls
    # `<functor>_launch(policy, functor)`, defined in one of the `<module>_launches<k>.cpp` files.
    split_launches: bool = False
    launchers: list[tuple[str, str]] = field(default_factory=list)  # (declaration, definition)
    out_of_line: set = field(default_factory=set)  # keys of the launchers' copy / launch overloads
    aliases: dict[ViewSpec, str] = field(default_factory=dict)  # view types used, by alias name
    public: set = field(default_factory=set)  # aliases the header's declarations use
    _used: dict[str, int] = field(default_factory=dict)

    def fresh(self, hint: str | None, default: str = "v") -> str:
        """A module-unique C++ identifier (functor, reducer and value struct names)."""
        return unique(self._used, hint, default)

    def view_type(self, spec: ViewSpec, public: bool = False) -> str:
        """The module's alias of a View type (declared once per module); `public`: the header uses it."""
        name = self.aliases.get(spec)
        if name is None:
            name = self.aliases[spec] = spec.alias(self.target)
        if public:
            self.public.add(spec)
        return name

    def type_of(self, ty: Attribute, const: bool = False, exec_: str = "", public: bool = False) -> str:
        """The C++ spelling of an MLIR type: scalars as such, views through the module's aliases."""
        if isinstance(ty, MemRefType):
            return self.view_type(view_spec(ty, self.target, const, exec_), public)
        return cpp_type(ty)

    def scratch_exec(self, op: Operation | None) -> str:
        """The C++ execution space of the launch around `op` ("" when it is the module's own)."""
        while op is not None and not op.name.startswith("kokkos.parallel_"):
            op = op.parent_op()
        if op is None:
            return ""
        spelled = exec_space_expr(op.properties["exec_space"].data.value)
        return "" if spelled in ("exec_space", target_spaces(self.target)[0]) else spelled


def unique(used: dict[str, int], hint: str | None, default: str, avoid: dict[str, int] | None = None) -> str:
    """A C++ identifier derived from `hint`, not yet in `used` (nor in `avoid`); records it."""
    base = _IDENT.sub("_", hint or default) or default
    if base[0].isdigit():
        base = "v" + base
    if base in _RESERVED or base.startswith("hpcir") or _ALIAS_NAME.match(base):
        base = base + "_"
    n = used.get(base, 0)
    while True:
        name = base if n == 0 else f"{base}_{n}"
        n += 1
        if name not in used and (avoid is None or name not in avoid):
            break
    used[base] = n
    used[name] = max(used.get(name, 0), 1)
    return name


class FunctionEmitter:
    """Emits the C++ statements of one function or functor body."""

    def __init__(self, mod: ModuleState, device: bool, names: dict[SSAValue, str] | None = None,
                 literals: set[SSAValue] | None = None, indent: int = 1, scope: dict[str, int] | None = None):
        self.mod = mod
        # Local identifiers are unique per top-level function (children share the scope).
        self.scope: dict[str, int] = {} if scope is None else scope
        self.device = device  # inside a functor / device function (no host-only calls)
        self.names: dict[SSAValue, str] = dict(names or {})
        self.literals: set[SSAValue] = set(literals or ())
        self.lines: list[str] = []
        self._indent = indent
        # The execution-space instance parameter launches run on ("" : the default instance); set
        # for the instance overloads of GPU entry functions (the C entries' hpcir_NAME_stream).
        self.instance = ""

    # -- output -------------------------------------------------------------------------------
    def line(self, text: str) -> None:
        """Append one line at the current indentation."""
        self.lines.append("  " * self._indent + text)

    @contextmanager
    def indented(self, open_: str | None = None, close: str | None = "}") -> Iterator[None]:
        """`open_` line, body one level deeper, then `close` line."""
        if open_ is not None:
            self.line(open_)
        self._indent += 1
        try:
            yield
        finally:
            self._indent -= 1
            if close is not None:
                self.line(close)

    @property
    def indent(self) -> int:
        """Current indentation level."""
        return self._indent

    # -- values -------------------------------------------------------------------------------
    def expr(self, v: SSAValue) -> str:
        """The C++ expression of an SSA value, as a whole statement's operand (`x = EXPR;`, `f(EXPR)`)."""
        try:
            return self.names[v]
        except KeyError:
            owner = v.owner.name if isinstance(v.owner, Operation) else "a block argument"
            raise HpcirError(f"internal: value of {owner} used before its definition in the emitted C++") from None

    def get(self, v: SSAValue) -> str:
        """The C++ expression of an SSA value, safe anywhere (an inlined expression in parentheses)."""
        text = self.expr(v)
        return f"({text})" if self.mod.prec.get(v, 0) else text

    def operand(self, v: SSAValue, prec: int, right: bool = False, sign: str = "") -> str:
        """The expression of `v` as an operand of the operator `sign` of C++ precedence `prec`:
        parenthesized only where needed (and, for readers, around a comparison in a comparison and
        around / or % under another of * / %)."""
        text = self.expr(v)
        p = self.mod.prec.get(v, 0)
        if v in self.literals and text.startswith("-"):
            p = 3
        inner = self.mod.infix.get(v, ("",))[0]
        mixed = p == prec == 5 and sign != inner and (inner in ("/", "%") or sign == "%")
        if p > prec or (p == prec and (right or prec >= 9 or mixed)) or (prec in (9, 10) and p >= 7):
            return f"({text})"
        return text

    def assignment(self, target: str, v: SSAValue) -> str:
        """`target = EXPR;`, or `target += REST;` when EXPR is `target + REST` (likewise -, *, /)."""
        sign, left, rest = self.mod.infix.get(v, ("", None, ""))
        if sign in ("+", "-", "*", "/") and left is not None and self.expr(left) == target:
            return f"{target} {sign}= {rest};"
        return f"{target} = {self.expr(v)};"

    def value(self, op: Operation, v: SSAValue, expr: str, prec: int = 0) -> None:
        """Give `v` the expression `expr` (of precedence `prec`): written into its one use when that
        reads as a Kokkos developer would write it (see `_inlinable`), else as a named variable."""
        reads = op if op.name == "memref.load" else None
        for o in op.operands:
            r = self.mod.reads_since.get(o)
            if r is not None and (reads is None or _before(r, reads)):
                reads = r
        if not _inlinable(self, op, v, reads):
            self.define(v, expr)
            return
        self.names[v] = expr
        if prec:
            self.mod.prec[v] = prec
        if reads is not None:
            self.mod.reads_since[v] = reads

    def same_value(self, v: SSAValue, src: SSAValue) -> None:
        """Make `v` the same C++ expression as `src` (a cast that is the identity in C++)."""
        self.names[v] = self.expr(src)
        for table in (self.mod.prec, self.mod.reads_since, self.mod.int_value):
            if src in table:
                table[v] = table[src]
        if src in self.literals:
            self.literals.add(v)

    def fresh(self, hint: str | None, default: str = "v") -> str:
        """A function-unique local identifier (never equal to a module-level struct name)."""
        return unique(self.scope, hint, default, avoid=self.mod._used)

    def bind_literal(self, v: SSAValue, expr: str) -> None:
        """Make `v` stand for a constant expression (inlined, never captured)."""
        self.names[v] = expr
        self.literals.add(v)

    def bind(self, v: SSAValue, name: str) -> None:
        """Make `v` stand for an existing C++ variable."""
        self.names[v] = name

    def ctype(self, v: SSAValue) -> str:
        """The C++ type of a value (a read-only view is a View of const elements)."""
        ty = v.type
        if isinstance(ty, MemRefType):
            owner = v.owner if isinstance(v.owner, Operation) else v.owner.parent_op()
            return self.mod.type_of(ty, v in self.mod.read_only, self.mod.scratch_exec(owner))
        return cpp_type(ty)

    def type_of(self, ty: Attribute, op: Operation | None = None) -> str:
        """The C++ spelling of a type (a scratch view's space is that of the launch around `op`)."""
        return self.mod.type_of(ty, exec_=self.mod.scratch_exec(op) if isinstance(ty, MemRefType) else "")

    def define(self, v: SSAValue, expr: str, const: bool = True) -> str:
        """Declare a variable holding `expr` for value `v`; returns its name."""
        name = self.fresh(v.name_hint)
        self.line(f"{'const ' if const else ''}{self.ctype(v)} {name} = {expr};")
        self.names[v] = name
        return name

    def declare(self, v: SSAValue, init: str | None = None) -> str:
        """Declare a mutable variable for `v` (optionally initialised); returns its name."""
        name = self.fresh(v.name_hint)
        self.line(f"{self.ctype(v)} {name}{'' if init is None else ' = ' + init};")
        self.names[v] = name
        return name

    def assign(self, targets: list[str], exprs: list[str], types: list[str]) -> None:
        """Parallel assignment (through temporaries when it could be order-dependent)."""
        pairs = [(t, e, ty) for t, e, ty in zip(targets, exprs, types) if t != e]
        bases = {t.split(".")[0] for t in targets}
        if len(pairs) <= 1 or all(_IDENT_ONLY.fullmatch(e) and e not in bases for _, e, _ in pairs):
            for t, e, _ in pairs:  # no value read is assigned first: assign in order
                self.line(f"{t} = {e};")
            return
        tmps = []
        for t, e, ty in pairs:
            tmp = self.fresh(t + "_next")
            self.line(f"const {ty} {tmp} = {e};")
            tmps.append(tmp)
        for (t, _, _), tmp in zip(pairs, tmps):
            self.line(f"{t} = {tmp};")

    # -- ops ----------------------------------------------------------------------------------
    def emit_block(self, block: Block) -> None:
        """Emit every op of a block except a region terminator (its parent handles it)."""
        for op in block.ops:
            if op is block.last_op and op.has_trait(IsTerminator) and op.name != "func.return":
                return
            self.emit_op(op)

    def emit_op(self, op: Operation) -> None:
        """Dispatch one op to its registered handler."""
        if op in self.mod.elided:
            return
        handler = HANDLERS.get(op.name)
        if handler is None:
            raise UnsupportedOpError(f"the Kokkos C++ emitter has no translation for '{op.name}'",
                                     hint="lower it to arith/math/memref/scf/kokkos ops first "
                                          "(see docs/IR.md for the supported L3 operations)")
        handler(self, op)

    def child(self, device: bool | None = None, indent: int | None = None) -> "FunctionEmitter":
        """A nested emitter sharing names (for a functor body or a lambda)."""
        return FunctionEmitter(self.mod, self.device if device is None else device, self.names, self.literals,
                               self._indent if indent is None else indent, self.scope)


# Ops whose C++ reads no memory and writes nothing: an expression may move across them.
_PURE_PREFIXES = ("arith.", "math.", "complex.")
# (A cf.assert only sets the check flag, which no expression reads.)
_PURE = {"memref.load", "memref.dim", "memref.rank", "kokkos.league_rank", "kokkos.team_rank",
         "kokkos.team_size", "kokkos.league_size", "cf.assert"}
# Uses that take an expression operand as is (each operand written once, evaluated once).
_EXPR_USERS = {"memref.load", "memref.store", "memref.atomic_rmw", "kokkos.yield", "scf.yield", "scf.if",
               "func.return", "func.call", "kokkos.print", "cf.assert"}
# Operand positions a translation writes twice (`a > b ? a : b`): those stay variables.
_TWICE = {"arith.maxsi": (0, 1), "arith.minsi": (0, 1), "arith.maxui": (0, 1), "arith.minui": (0, 1),
          "complex.angle": (0,)}


def _before(a: Operation, b: Operation) -> bool:
    """Is `a` before `b` in their (common) block?"""
    op = a.next_op
    while op is not None:
        if op is b:
            return True
        op = op.next_op
    return False


def _inlinable(em: "FunctionEmitter", op: Operation, v: SSAValue, reads: Operation | None) -> bool:
    """May `v` (the result of `op`) be written into its use instead of a variable?

    When it has no name of its own (a user's name stays a variable), one use in the same block (not
    in a loop or lambda body, where it would be evaluated again), which writes it once; it is an
    exact C++ value (no narrow integer or arithmetic bool, whose variable would wrap); and no
    write (store, call, launch, control flow) comes between its earliest memory read and the use."""
    uses = list(v.uses)
    if v.name_hint is not None or v in em.literals:
        return False
    if len(uses) != 1 and not _only_checked(em, op, uses):
        return False
    user, index = uses[0].operation, uses[0].index
    if user.parent_block() is not op.parent_block() or op in em.mod.elided:
        return False
    if not (user.name in _EXPR_USERS or user.name.startswith(_PURE_PREFIXES)) or index in _TWICE.get(user.name, ()):
        return False
    if user.name == "arith.cmpf" and _cmpf_twice(user):
        return False
    key = str(v.type)
    if key not in ("f64", "f32", "i64", "i32", "index", "complex<f64>", "complex<f32>") \
            and not (key == "i1" and op.name in ("arith.cmpi", "arith.cmpf", "complex.eq", "complex.neq")):
        return False
    if op.name == "func.call":  # a call runs its launches: only straight into the next statement
        return user is op.next_op and user.name in ("memref.store", "func.return")
    if not (op.name.startswith(_PURE_PREFIXES) or op.name in _PURE):
        return False
    cur = (reads if reads is not None else op).next_op
    while reads is not None and cur is not None and cur is not user:
        if any(not (o.name.startswith(_PURE_PREFIXES) or o.name in _PURE) and o not in em.mod.elided
               for o in cur.walk()):
            return False
        cur = cur.next_op
    return True


def _only_checked(em: "FunctionEmitter", op: Operation, uses: list) -> bool:
    """A comparison of values without pending memory reads that only cf.asserts use (`m != 0` before
    `i // m` and `i % m`): written into the first check; the others of the same condition are
    dropped (expr._checked_earlier)."""
    return op.name == "arith.cmpi" and len(uses) > 1 and all(u.operation.name == "cf.assert" for u in uses) \
        and not any(o in em.mod.reads_since for o in op.operands)


def _cmpf_twice(op: Operation) -> bool:
    """Do the C++ translations of this arith.cmpf predicate write an operand twice?"""
    pred = prop(op, "predicate")
    return pred is not None and pred.value.data in (6, 7, 8, 14)


def prop(op: Operation, name: str):
    """An op's property or (generic form) attribute `name`, or None."""
    v = op.properties.get(name)
    return op.attributes.get(name) if v is None else v


def free_values(regions: list[Region], exclude_literals: set[SSAValue]) -> list[SSAValue]:
    """Values used inside `regions` but defined outside them, in first-use order (functor captures)."""
    inside: set[SSAValue] = set()
    for r in regions:
        for op in r.walk():
            inside.update(op.results)
            for reg in op.regions:
                for b in reg.blocks:
                    inside.update(b.args)
        for b in r.blocks:
            inside.update(b.args)
    seen: dict[SSAValue, None] = {}
    for r in regions:
        for op in r.walk():
            for v in op.operands:
                if v not in inside and v not in exclude_literals:
                    seen.setdefault(v, None)
    return list(seen)
