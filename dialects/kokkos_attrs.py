"""Attributes and types of the kokkos dialect (see docs/IR.md, L3): spaces, policies, reducers."""
from __future__ import annotations

from collections.abc import Sequence
from enum import auto
from typing import ClassVar

from xdsl.dialects.builtin import ArrayAttr, IntAttr, MemRefType, NoneAttr, StridedLayoutAttr
from xdsl.dialects.utils import EnumAttribute
from xdsl.ir import Attribute, ParametrizedAttribute, TypeAttribute
from xdsl.irdl import irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException
from xdsl.utils.str_enum import StrEnum


class MemorySpace(StrEnum):
    """Kokkos memory spaces a view can live in."""

    HOST = auto()
    DEVICE = auto()
    SHARED = auto()
    SCRATCH = auto()


class ExecSpace(StrEnum):
    """Kokkos execution spaces a launch can target."""

    DEFAULT = auto()
    OPENMP = auto()
    SERIAL = auto()
    CUDA = auto()
    HIP = auto()


class Iterate(StrEnum):
    """MDRange iteration order (`Kokkos::Iterate::Right|Left|Default`)."""

    RIGHT = auto()
    LEFT = auto()
    DEFAULT = auto()


class ReducerKind(StrEnum):
    """Built-in Kokkos reducers, plus `custom` for a user join region."""

    SUM = auto()
    PROD = auto()
    MIN = auto()
    MAX = auto()
    LAND = auto()
    LOR = auto()
    BAND = auto()
    BOR = auto()
    # A value and its i64 index, as two consecutive results (Kokkos::MaxLoc / MinLoc; ties to the
    # lower index); inits are the identities (-inf or +inf / the type's limit, and 2^63 - 1).
    MAXLOC = auto()
    MINLOC = auto()
    CUSTOM = auto()


class EntryKind(StrEnum):
    """What a kernel entry function launches."""

    FOR = "for"
    REDUCE = "reduce"
    SCAN = "scan"


class SingleLevel(StrEnum):
    """`Kokkos::PerTeam` or `Kokkos::PerThread` for `kokkos.single`."""

    PER_TEAM = auto()
    PER_THREAD = auto()


class _AngleEnum:
    """Mixin giving enum attributes the `#kokkos.NAME<value>` syntax and str constructors."""

    enum_type: ClassVar[type[StrEnum]]

    def __init__(self, value: str | StrEnum):
        # Accept plain strings ("host") as well as enum members; errors list the valid values.
        try:
            member = self.enum_type(value)
        except ValueError:
            valid = ", ".join(m.value for m in self.enum_type)
            raise VerifyException(f"invalid {self.name} value {value!r}; expected one of: {valid}") from None
        super().__init__(member)  # type: ignore[call-arg]

    def print_parameter(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_string(self.data.value)  # type: ignore[attr-defined]

    @classmethod
    def parse_parameter(cls, parser: AttrParser) -> StrEnum:
        with parser.in_angle_brackets():
            return parser.parse_str_enum(cls.enum_type)


@irdl_attr_definition
class SpaceAttr(_AngleEnum, EnumAttribute[MemorySpace]):
    """`#kokkos.space<host|device|shared|scratch>`: a view's memory space (memref memory space)."""

    name = "kokkos.space"


@irdl_attr_definition
class ExecSpaceAttr(_AngleEnum, EnumAttribute[ExecSpace]):
    """`#kokkos.exec<default|openmp|serial|cuda|hip>`: the execution space of a launch."""

    name = "kokkos.exec"


@irdl_attr_definition
class IterateAttr(_AngleEnum, EnumAttribute[Iterate]):
    """`#kokkos.iterate<right|left|default>` (printed inline inside `#kokkos.mdrange`)."""

    name = "kokkos.iterate"


@irdl_attr_definition
class ReducerAttr(_AngleEnum, EnumAttribute[ReducerKind]):
    """`#kokkos.reducer<sum|prod|min|max|land|lor|band|bor|maxloc|minloc|custom>`."""

    name = "kokkos.reducer"


@irdl_attr_definition
class EntryAttr(_AngleEnum, EnumAttribute[EntryKind]):
    """`#kokkos.entry<for|reduce|scan>` on a kernel entry `func.func`."""

    name = "kokkos.entry"


@irdl_attr_definition
class SingleLevelAttr(_AngleEnum, EnumAttribute[SingleLevel]):
    """`#kokkos.single_level<per_team|per_thread>`."""

    name = "kokkos.single_level"


@irdl_attr_definition
class RangePolicyAttr(ParametrizedAttribute):
    """`#kokkos.range`: a 1-D `Kokkos::RangePolicy`; bounds are the launch's operands."""

    name = "kokkos.range"

    def __init__(self) -> None:
        super().__init__()


@irdl_attr_definition
class MDRangePolicyAttr(ParametrizedAttribute):
    """`#kokkos.mdrange<rank, iterate = right, tile = [a, b]>`; empty tile = Kokkos' default."""

    name = "kokkos.mdrange"

    rank: IntAttr
    iterate: IterateAttr
    tile: ArrayAttr[IntAttr]

    def __init__(self, rank: int, iterate: str | Iterate = Iterate.RIGHT, tile: Sequence[int] = ()):
        super().__init__(IntAttr(rank), IterateAttr(iterate), ArrayAttr([IntAttr(t) for t in tile]))

    @property
    def tile_sizes(self) -> tuple[int, ...]:
        """The tile sizes as ints (empty: let Kokkos choose)."""
        return tuple(t.data for t in self.tile.data)

    def verify(self) -> None:
        # Kokkos::MDRangePolicy supports ranks 2..6 (Kokkos::Rank<N>).
        if not 2 <= self.rank.data <= 6:
            raise VerifyException(f"#kokkos.mdrange rank must be in [2, 6], got {self.rank.data}")
        if self.tile.data and len(self.tile.data) != self.rank.data:
            raise VerifyException(f"#kokkos.mdrange tile has {len(self.tile.data)} sizes but rank is {self.rank.data}")
        if any(t.data <= 0 for t in self.tile.data):
            raise VerifyException("#kokkos.mdrange tile sizes must be positive")

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(f"<{self.rank.data}, iterate = {self.iterate.data.value}")
        if self.tile.data:
            printer.print_string(f", tile = [{', '.join(str(t) for t in self.tile_sizes)}]")
        printer.print_string(">")

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        with parser.in_angle_brackets():
            rank = parser.parse_integer(allow_boolean=False, allow_negative=False)
            parser.parse_punctuation(",")
            parser.parse_keyword("iterate")
            parser.parse_punctuation("=")
            iterate = parser.parse_str_enum(Iterate)
            tile: list[int] = []
            if parser.parse_optional_punctuation(","):
                parser.parse_keyword("tile")
                parser.parse_punctuation("=")
                tile = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_integer)
        return (IntAttr(rank), IterateAttr(iterate), ArrayAttr([IntAttr(t) for t in tile]))


@irdl_attr_definition
class TeamPolicyAttr(ParametrizedAttribute):
    """`#kokkos.team<scratch_bytes = N>`: a `Kokkos::TeamPolicy` with N bytes of level-0 scratch per team."""

    name = "kokkos.team"

    scratch_bytes: IntAttr

    def __init__(self, scratch_bytes: int = 0):
        super().__init__(IntAttr(scratch_bytes))

    def verify(self) -> None:
        if self.scratch_bytes.data < 0:
            raise VerifyException("#kokkos.team scratch_bytes must be non-negative")

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(f"<scratch_bytes = {self.scratch_bytes.data}>")

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        with parser.in_angle_brackets():
            parser.parse_keyword("scratch_bytes")
            parser.parse_punctuation("=")
            return (IntAttr(parser.parse_integer(allow_boolean=False, allow_negative=False)),)


@irdl_attr_definition
class TeamMemberType(ParametrizedAttribute, TypeAttribute):
    """`!kokkos.team_member`: the `TeamPolicy<>::member_type` handle inside a team launch."""

    name = "kokkos.team_member"

    def __init__(self) -> None:
        super().__init__()


PolicyAttr = RangePolicyAttr | MDRangePolicyAttr | TeamPolicyAttr


def policy_rank(policy: Attribute) -> int:
    """Number of index dimensions a policy iterates (0 for a team policy)."""
    if isinstance(policy, MDRangePolicyAttr):
        return policy.rank.data
    if isinstance(policy, RangePolicyAttr):
        return 1
    return 0


def memory_space_of(memref: MemRefType) -> MemorySpace | None:
    """The kokkos memory space of a memref type, or None when it carries none."""
    space = memref.memory_space
    return space.data if isinstance(space, SpaceAttr) else None


def layout_left(rank: int) -> StridedLayoutAttr:
    """`strided<[1, ?, ...]>`: Kokkos::LayoutLeft for a dynamic-shaped view of this rank."""
    return StridedLayoutAttr([1] + [None] * (rank - 1), 0)


def layout_kind(memref: MemRefType) -> str:
    """'right', 'left' or 'stride': the Kokkos layout a memref type maps to (docs/IR.md).

    Identity and row-major `strided` layouts are LayoutRight; unit first stride with every other
    stride dynamic or column-major is LayoutLeft; anything else (offsets, gaps) is LayoutStride.
    """
    layout = memref.layout
    if isinstance(layout, NoneAttr):
        return "right"
    if not isinstance(layout, StridedLayoutAttr):
        return "stride"
    strides = [s.data if isinstance(s, IntAttr) else None for s in layout.strides.data]
    offset = layout.offset.data if isinstance(layout.offset, IntAttr) else None
    shape = memref.get_shape()
    if offset != 0 or not strides:
        return "stride"

    def matches(order: Sequence[int]) -> bool:
        # Strides must be the packed ones for this dim order; None (dynamic) stands for "packed".
        expect: int | None = 1
        for k, d in enumerate(order):
            got = strides[d]
            if k == 0 and got != 1:
                return False
            if got is not None and expect is not None and got != expect:
                return False
            if got is not None and expect is None:
                return False
            expect = None if expect is None or shape[d] < 0 else expect * shape[d]
        return True

    rank = len(strides)
    if all(s is not None for s in strides) and matches(list(reversed(range(rank)))):
        return "right"
    if matches(list(range(rank))):
        return "left"
    return "stride"


def view_type(element: Attribute, rank_or_shape: int | Sequence[int], space: str | MemorySpace = "host",
              layout: str = "right") -> MemRefType:
    """A view type: `view_type(f64, 2, "device", "left")` = `memref<?x?xf64, strided<[1, ?]>, #kokkos.space<device>>`."""
    from xdsl.dialects.builtin import DYNAMIC_INDEX

    shape = [DYNAMIC_INDEX] * rank_or_shape if isinstance(rank_or_shape, int) else list(rank_or_shape)
    lay: Attribute = NoneAttr()
    if layout == "left" and len(shape) > 1:  # rank 1: Left and Right are the same layout (identity)
        lay = layout_left(len(shape))
    elif layout not in ("right", "left"):
        raise ValueError(f"layout must be 'right' or 'left', got {layout!r}")
    return MemRefType(element, shape, lay, SpaceAttr(space))  # type: ignore[arg-type]
