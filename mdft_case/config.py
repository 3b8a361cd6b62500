"""Run configuration: hpcir's TOML format, and MDFT's dft.in + solute.in (or Mini-MDFT's JSON).

TOML layout (lengths Å, energies kJ/mol, charges e, temperature K):

    [system]      temperature, box = [Lx, Ly, Lz], nodes = [nx, ny, nz], mmax,
                  lj_cutoff (optional, default = shortest box length), vmax_kt (default 100)
    [solvent]     model = "lj" | "stockmayer", sigma, epsilon, density,
                  dipole (e Å, stockmayer only), dipole_length (Å, default 1.0),
                  mrso (orientation symmetry order; default 2 for stockmayer, 1 for lj),
                  ctable = "model" (default) | "dense" (every c^{mn}_{mu nu chi} allowed at mmax; ctable.dense)
    [minimiser]   ftol, gtol, max_iter (optional)
    [[solute.site]] charge, sigma, epsilon, position = [x, y, z] (relative to the box centre)
"""
from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from hpcir import HpcirError
from .external import Site


class ConfigError(HpcirError):
    """An MDFT configuration file that cannot be read or run."""

# Named solvents: (sigma Å, epsilon kJ/mol, density Å^-3, dipole e Å). "lj" is argon-like
# (sigma 3.405 Å, eps/k 119.8 K) at reduced density 0.7; "stockmayer" adds a 0.2 e Å dipole (coupling y = 0.55).
NAMED_SOLVENTS = {
    "lj": (3.405, 0.996, 0.7 / 3.405 ** 3, 0.0),
    "stockmayer": (3.405, 0.996, 0.7 / 3.405 ** 3, 0.2),
}


@dataclass(frozen=True)
class Solvent:
    """The solvent model: an LJ centre, optionally carrying a point dipole along its z axis."""

    model: str = "lj"
    sigma: float = 3.405
    epsilon: float = 0.996
    density: float = 0.7 / 3.405 ** 3
    dipole: float = 0.0          # e Å
    dipole_length: float = 1.0   # Å: the dipole is two charges +-dipole/length at +-length/2 on z
    mrso: int = 1
    ctable: str = "model"        # "dense": every coefficient allowed at mmax (ctable.dense)


@dataclass(frozen=True)
class Config:
    """Everything one MDFT run needs."""

    temperature: float
    box: tuple[float, float, float]
    nodes: tuple[int, int, int]
    mmax: int
    solvent: Solvent
    solute: tuple[Site, ...]
    lj_cutoff: float | None = None
    vmax_kt: float = 100.0
    ftol: float = 1e-11
    gtol: float = 1e-9
    max_iter: int = 500
    source: str = field(default="<memory>", compare=False)

    @property
    def cutoff(self) -> float:
        return self.lj_cutoff if self.lj_cutoff is not None else min(self.box)

    def with_(self, **changes) -> "Config":
        """A copy with some fields replaced."""
        return replace(self, **changes)


def _need(table: dict, key: str, where: str, path: str):
    if key not in table:
        raise ConfigError(f"{path}: [{where}] lacks `{key}`", hint=f"add `{key} = ...` under [{where}]")
    return table[key]


def _triple(value, name: str, path: str, cast=float) -> tuple:
    vals = list(value) if isinstance(value, (list, tuple)) else [value] * 3
    if len(vals) == 1:
        vals = vals * 3
    if len(vals) != 3:
        raise ConfigError(f"{path}: `{name}` needs 1 or 3 values, got {len(vals)}")
    return tuple(cast(v) for v in vals)


def _solvent(name: str, table: dict, path: str) -> Solvent:
    if name not in NAMED_SOLVENTS:
        raise ConfigError(f"{path}: unknown solvent model {name!r}",
                          hint=f"use one of {sorted(NAMED_SOLVENTS)}; water needs a c(k) table no open source provides")
    sigma, eps, dens, dip = NAMED_SOLVENTS[name]
    # A dipole on the body z axis is invariant under any psi rotation, so the stockmayer molecule
    # may use mrso 2 (MDFT's water grid sizes); only mu = 0 projections are then non-zero anyway.
    mrso = int(table.get("mrso", 2 if name == "stockmayer" else 1))
    return Solvent(name, float(table.get("sigma", sigma)), float(table.get("epsilon", eps)),
                   float(table.get("density", dens)), float(table.get("dipole", dip)),
                   float(table.get("dipole_length", 1.0)), mrso, str(table.get("ctable", "model")))


# c-table choices: the solvent model's own table, or the dense one of ctable.dense
CTABLES = ("model", "dense")

# Every key the TOML format has, per table: anything else is a typo that would otherwise run silently.
TOML_KEYS = {
    "system": {"temperature", "box", "nodes", "mmax", "lj_cutoff", "vmax_kt"},
    "solvent": {"model", "sigma", "epsilon", "density", "dipole", "dipole_length", "mrso", "ctable"},
    "minimiser": {"ftol", "gtol", "max_iter"},
    "solute": {"site"},
    "solute.site": {"charge", "sigma", "epsilon", "position"},
}


def _unknown_keys(data: dict, path: str) -> None:
    """Refuse a table or key the format does not have (a `dipol =` typo must not run with the default)."""
    import difflib

    def refuse(key: str, where: str, known: set[str]) -> None:
        near = difflib.get_close_matches(key, sorted(known), n=1)
        place = f"[{where}]" if where else "the top level"
        raise ConfigError(f"{path}: unknown key `{key}` in {place}",
                          hint=(f"did you mean `{near[0]}`? " if near else "") + f"known: {', '.join(sorted(known))}")

    tables = {"system", "solvent", "minimiser", "solute"}
    for key, value in data.items():
        if key not in tables:
            refuse(key, "", tables)
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: `{key}` must be a table ([{key}])")
        for sub in value:
            if sub not in TOML_KEYS[key]:
                refuse(sub, key, TOML_KEYS[key])
    sites = data.get("solute", {}).get("site", [])
    for site in sites if isinstance(sites, list) else []:
        for sub in site:
            if sub not in TOML_KEYS["solute.site"]:
                refuse(sub, "[solute.site]", TOML_KEYS["solute.site"])


def from_toml(path: str | Path) -> Config:
    """Read a TOML run configuration."""
    path = str(path)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path}: cannot read TOML configuration: {err}") from err
    _unknown_keys(data, path)
    system = data.get("system", {})
    solv = data.get("solvent", {})
    mini = data.get("minimiser", {})
    sites = data.get("solute", {}).get("site", [])
    if not sites:
        raise ConfigError(f"{path}: no [[solute.site]] entries", hint="add at least one [[solute.site]] table")
    solute = tuple(Site(float(s.get("charge", 0.0)), float(_need(s, "sigma", "solute.site", path)),
                        float(_need(s, "epsilon", "solute.site", path)),
                        _triple(s.get("position", [0.0, 0.0, 0.0]), "position", path)) for s in sites)
    cfg = Config(float(_need(system, "temperature", "system", path)),
                 _triple(_need(system, "box", "system", path), "box", path),
                 _triple(_need(system, "nodes", "system", path), "nodes", path, int),
                 int(system.get("mmax", 0)), _solvent(str(solv.get("model", "lj")), solv, path), solute,
                 system.get("lj_cutoff"), float(system.get("vmax_kt", 100.0)),
                 float(mini.get("ftol", 1e-11)), float(mini.get("gtol", 1e-9)), int(mini.get("max_iter", 500)),
                 source=path)
    return check(cfg)


def check(cfg: Config) -> Config:
    """Reject configurations the solver cannot run, saying what to change."""
    where = cfg.source
    if cfg.mmax < 0 or cfg.mmax > 6:
        raise ConfigError(f"{where}: mmax = {cfg.mmax} is outside 0..6")
    if cfg.solvent.model == "lj" and cfg.mmax != 0:
        raise ConfigError(f"{where}: a scalar LJ solvent has no orientations but mmax = {cfg.mmax}",
                          hint="set mmax = 0, or use model = \"stockmayer\" for orientations")
    if cfg.solvent.model == "stockmayer" and cfg.mmax < 1:
        raise ConfigError(f"{where}: the stockmayer solvent needs mmax >= 1 to carry its dipole")
    sv = cfg.solvent
    if sv.ctable not in CTABLES:
        raise ConfigError(f"{where}: unknown ctable {sv.ctable!r}", hint=f"use one of {', '.join(CTABLES)}")
    if sv.ctable == "dense" and cfg.mmax < 1:
        raise ConfigError(f"{where}: ctable = \"dense\" needs orientations (mmax >= 1)",
                          hint="set mmax >= 1 with the stockmayer solvent, or drop `ctable`")
    positive = {"temperature": cfg.temperature, "solvent sigma": sv.sigma, "solvent density": sv.density,
                "solvent dipole_length": sv.dipole_length, "vmax_kt": cfg.vmax_kt, "ftol": cfg.ftol,
                "gtol": cfg.gtol, "max_iter": cfg.max_iter, "mrso": sv.mrso,
                **{f"box[{k}]": v for k, v in enumerate(cfg.box)}, **{f"nodes[{k}]": v for k, v in enumerate(cfg.nodes)}}
    for key, value in positive.items():
        if not value > 0:  # also catches NaN
            raise ConfigError(f"{where}: {key} = {value} must be positive", hint=f"set `{key.split('[')[0].split()[-1]}` > 0")
    for key, value in {"solvent epsilon": sv.epsilon, "solvent dipole": sv.dipole}.items():
        if not value >= 0:
            raise ConfigError(f"{where}: {key} = {value} cannot be negative", hint=f"set `{key.split()[-1]}` >= 0")
    for k, site in enumerate(cfg.solute):
        if not site.sigma >= 0 or not site.epsilon >= 0:
            raise ConfigError(f"{where}: solute site {k + 1} has sigma = {site.sigma}, epsilon = {site.epsilon}; "
                              "neither can be negative", hint="use sigma >= 0 and epsilon >= 0 (Å, kJ/mol)")
    if cfg.cutoff > min(cfg.box):
        raise ConfigError(f"{where}: lj_cutoff {cfg.cutoff} Å exceeds the shortest box length {min(cfg.box)} Å")
    return cfg


def _keyvalue(path: str) -> dict[str, list[str]]:
    """MDFT's dft.in: one `key = value [value ...]` per line; `#` or `!` start a comment."""
    out: dict[str, list[str]] = {}
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err}") from err
    for number, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].split("!", 1)[0].strip()
        if not text:
            continue
        if "=" not in text:
            raise ConfigError(f"{path}:{number}: expected `key = value`, got {line.strip()!r}")
        key, value = text.split("=", 1)
        out[key.strip().lower()] = value.replace(",", " ").split()
    return out


def _solute_in(path: str) -> tuple[Site, ...]:
    """MDFT's solute.in (assumed layout, see docs): a site count, then one line per site:
    `index charge sigma epsilon lambda1 lambda2 x y z Zatomic name [surname]` (12 or 11 fields),
    or without the two lambdas `index charge sigma epsilon x y z ...`; `#` lines are comments."""
    rows = []
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if text:
            rows.append((number, text.split()))
    if not rows or not rows[0][1][0].isdigit():
        raise ConfigError(f"{path}: the first non-comment line must be the number of sites")
    count = int(rows[0][1][0])
    sites = []
    for number, fields in rows[1:1 + count]:
        try:
            nums = [float(f) for f in fields[:9]]
        except ValueError:
            nums = []
        try:
            if len(nums) == 9 and len(fields) >= 11:
                q, s, e, x, y, z = nums[1], nums[2], nums[3], nums[6], nums[7], nums[8]
            else:
                q, s, e, x, y, z = (float(f) for f in fields[1:7])
        except (ValueError, IndexError) as err:
            raise ConfigError(f"{path}:{number}: cannot read site line {' '.join(fields)!r}") from err
        sites.append(Site(q, s, e, (x, y, z)))
    if len(sites) != count:
        raise ConfigError(f"{path}: announces {count} sites but lists {len(sites)}")
    return tuple(sites)


def from_mdft(dft_path: str | Path, solute_path: str | Path | None = None) -> Config:
    """Read MDFT's `dft.in` (key = value) or Mini-MDFT's `dft.json`, and the solute file next to it."""
    try:
        return _from_mdft(str(dft_path), solute_path)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ConfigError(f"{dft_path}: cannot read MDFT input: {err!r}",
                          hint="see mdft_case/README.md for the dft.in / solute.in layout") from err


def _from_mdft(dft_path: str, solute_path: str | Path | None) -> Config:
    if dft_path.endswith(".json"):
        raw = json.loads(Path(dft_path).read_text())
        kv = {k.lower(): [str(x) for x in (v if isinstance(v, list) else [v])] for k, v in raw.items()}
    else:
        kv = _keyvalue(dft_path)
    if solute_path is None:
        base = Path(dft_path).parent
        solute_path = base / ("solute.json" if dft_path.endswith(".json") else "solute.in")
    solute_path = str(solute_path)
    if solute_path.endswith(".json"):
        sj = json.loads(Path(solute_path).read_text())
        solute = tuple(Site(float(q), float(s), float(e), (float(x), float(y), float(z)))
                       for q, s, e, x, y, z in zip(sj["charge"], sj["sigma"], sj["epsilon"], sj["x"], sj["y"], sj["z"]))
    else:
        solute = _solute_in(solute_path)

    def get(key: str, default=None):
        if key not in kv:
            if default is None:
                raise ConfigError(f"{dft_path}: missing `{key}`", hint=f"add a line `{key} = ...`")
            return default
        return kv[key]

    name = get("solvent", ["lj"])[0].lower()
    table = {k: float(kv[f"solvent_{k}"][0]) for k in ("sigma", "epsilon", "density", "dipole") if f"solvent_{k}" in kv}
    scale = float(get("solute_charges_scale_factor", ["1"])[0])
    solute = tuple(replace(s, charge=s.charge * scale) for s in solute)
    cfg = Config(float(get("temperature", ["298.15"])[0]), _triple([float(v) for v in get("boxlen")], "boxlen", dft_path),
                 _triple([int(v) for v in get("boxnod")], "boxnod", dft_path, int), int(get("mmax", ["0"])[0]),
                 _solvent(name, table, dft_path), solute,
                 max_iter=int(get("maximum_iteration_nbr", ["500"])[0]), source=dft_path)
    return check(cfg)


def load(path: str | Path) -> Config:
    """TOML (`*.toml`) or MDFT input (`dft.in`, `*.json` of Mini-MDFT), chosen by the file name."""
    path = str(path)
    if path.endswith(".toml"):
        return from_toml(path)
    return from_mdft(path)
