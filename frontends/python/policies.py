"""Execution policies and spaces as the user writes them (PyKokkos-compatible signatures)."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from hpcir.core.errors import PolicyError as _PolicyError, user_call_site


def PolicyError(msg: str, loc=None, hint=None) -> _PolicyError:  # noqa: N802
    """A PolicyError located at the user's policy construction."""
    return _PolicyError(msg, loc or user_call_site(3), hint)


class ExecutionSpace(Enum):
    """Kokkos execution spaces, named like PyKokkos' pk.OpenMP etc.; value = hpcir target."""

    Default = "default"
    OpenMP = "cpu"
    Serial = "serial"
    Cuda = "cuda"
    HIP = "hip"


class _Auto:
    def __repr__(self) -> str:
        return "AUTO"


AUTO = _Auto()


def _as_int(v: object, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int,)) and not hasattr(v, "__index__"):
        raise PolicyError(f"{what} must be an integer, got {v!r}")
    return int(v)  # type: ignore[arg-type]


def _set(policy: object, **fields: object) -> None:
    """Set the fields of a frozen policy dataclass from its custom constructor."""
    for name, value in fields.items():
        object.__setattr__(policy, name, value)


def _split_space(args: tuple) -> tuple["ExecutionSpace | None", tuple]:
    """An optional leading execution space, as in Kokkos' policy constructors."""
    if args and isinstance(args[0], ExecutionSpace):
        return args[0], args[1:]
    return None, args


@dataclass(frozen=True)
class RangePolicy:
    """A 1-D index range [begin, end): `RangePolicy(n)`, `RangePolicy(b, e)` or `RangePolicy(space, b, e)`."""

    begin: int
    end: int
    space: ExecutionSpace | None = None

    def __init__(self, *args: object):
        space, args = _split_space(args)
        if len(args) == 1:
            b, e = 0, args[0]
        elif len(args) == 2:
            b, e = args
        else:
            raise PolicyError(f"RangePolicy takes ([space,] end) or ([space,] begin, end), got {len(args)} values")
        _set(self, begin=_as_int(b, "RangePolicy begin"), end=_as_int(e, "RangePolicy end"), space=space)
        if self.end < self.begin:
            raise PolicyError(f"RangePolicy end {self.end} is before begin {self.begin}")

    @property
    def rank(self) -> int:
        """Number of index dimensions (1)."""
        return 1


@dataclass(frozen=True)
class MDRangePolicy:
    """A multi-dimensional range: `MDRangePolicy([b0, b1], [e0, e1][, tile])`."""

    begin: tuple[int, ...]
    end: tuple[int, ...]
    tile: tuple[int, ...] | None = None
    space: ExecutionSpace | None = None

    def __init__(self, *args: object, tile: object = None):
        space, args = _split_space(args)
        if len(args) == 3 and tile is None:
            tile, args = args[2], args[:2]
        if len(args) != 2:
            raise PolicyError("MDRangePolicy takes ([space,] begin_list, end_list[, tile_list])")
        begin = tuple(_as_int(v, "MDRangePolicy begin") for v in args[0])  # type: ignore[union-attr]
        end = tuple(_as_int(v, "MDRangePolicy end") for v in args[1])  # type: ignore[union-attr]
        if len(begin) != len(end) or not 2 <= len(begin) <= 6:
            raise PolicyError(f"MDRangePolicy needs begin and end of equal rank 2..6, got {begin} and {end}")
        if any(e < b for b, e in zip(begin, end)):
            raise PolicyError(f"MDRangePolicy end {end} is before begin {begin}")
        tiles = None
        if tile is not None:
            tiles = tuple(_as_int(v, "MDRangePolicy tile") for v in tile)  # type: ignore[union-attr]
            if len(tiles) != len(begin) or any(t < 1 for t in tiles):
                raise PolicyError(f"MDRangePolicy tile {tiles} must have {len(begin)} positive sizes")
        _set(self, begin=begin, end=end, tile=tiles, space=space)

    @property
    def rank(self) -> int:
        """Number of index dimensions."""
        return len(self.begin)


@dataclass(frozen=True)
class TeamPolicy:
    """`TeamPolicy([space,] league_size, team_size | AUTO[, vector_length])`."""

    league_size: int
    team_size: int | None  # None = AUTO
    vector_length: int = 1
    space: ExecutionSpace | None = None

    def __init__(self, *args: object):
        space, args = _split_space(args)
        if len(args) not in (2, 3):
            raise PolicyError("TeamPolicy takes ([space,] league_size, team_size | AUTO[, vector_length])")
        league = _as_int(args[0], "TeamPolicy league_size")
        team = None if args[1] is AUTO else _as_int(args[1], "TeamPolicy team_size")
        vec = _as_int(args[2], "TeamPolicy vector_length") if len(args) == 3 and args[2] is not AUTO else 1
        if league < 0 or (team is not None and team < 1) or vec < 1:
            raise PolicyError(f"TeamPolicy sizes must be positive: league {league}, team {team}, vector {vec}")
        _set(self, league_size=league, team_size=team, vector_length=vec, space=space)

    @property
    def rank(self) -> int:
        """A team kernel takes one team member, no index."""
        return 0

    def set_scratch_size(self, level: int, per_team: object, per_thread: object = None) -> "TeamPolicy":
        """PyKokkos' `policy.set_scratch_size(0, pk.PerTeam(nbytes))`: accepted and checked; hpcir sizes each
        launch's scratch from the kernel's own allocations (team.scratch, ScratchView1D), so it is not needed."""
        if level not in (0, 1):
            raise PolicyError(f"scratch level must be 0 or 1, got {level!r}")
        for req in (per_team, per_thread):
            n = getattr(req, "team", req)  # PerTeam(n) / PerThread(n) keep their argument as .team
            if req is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 0):
                raise PolicyError(f"set_scratch_size needs a number of bytes >= 0, got {n!r}",
                                  hint="write policy.set_scratch_size(0, pk.PerTeam(pk.ScratchView1D.shmem_size(n)))")
        return self


class _NestedRange:
    """Marker objects only meaningful inside kernels (the frontend reads them from the AST)."""

    def __init__(self, *args: object):
        raise PolicyError(f"{type(self).__name__} can only be used inside a team kernel, as the "
                          "policy of a nested parallel_for / parallel_reduce")


class TeamThreadRange(_NestedRange):
    """Nested policy: split a range over the threads of a team (inside kernels only)."""


class ThreadVectorRange(_NestedRange):
    """Nested policy: split a range over the vector lanes of a thread (inside kernels only)."""


class TeamVectorRange(_NestedRange):
    """Nested policy: split a range over threads and vector lanes (inside kernels only)."""


Policy = RangePolicy | MDRangePolicy | TeamPolicy


def as_policy(p: object) -> Policy:
    """Normalise an int or policy object into a policy."""
    if isinstance(p, (RangePolicy, MDRangePolicy, TeamPolicy)):
        return p
    if isinstance(p, bool) or not hasattr(p, "__index__"):
        raise PolicyError(f"a launch policy must be an int, RangePolicy, MDRangePolicy or TeamPolicy, got {p!r}")
    return RangePolicy(int(p))  # type: ignore[arg-type]
