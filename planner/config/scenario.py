"""Scenario files: the schema, loading, and validation with every error collected at once.

A scenario is a YAML file (see ``scenarios/default.yaml`` and the README for every key). Paths in
it are relative to the scenario file. Loading reports *all* problems together, each with the file,
the YAML line and the field; unknown keys are rejected with a suggestion of the closest valid key.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import math
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from planner.config.assessment import Assessment, IndicatorGroup, ServiceVacuum
from planner.config.calendar import (  # noqa: F401 - the calendar part is re-exported from here
    WEEKDAYS,
    BreakRule,
    Calendar,
    Duty,
    Shift,
    format_clock,
    parse_clock,
)
from planner.errors import ProblemCollector, ScenarioError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


Clock = str


INPUT_FILES = ("retailers", "managers", "districts", "locked")


class ClassifyRule(BaseModel):
    """One rule of ``classify``: the class, and tests on retailer columns (all must hold).

    A test value is a number or text (equal), a list of two numbers ``[lo, hi]`` (an inclusive
    numeric range), any other list (any of these values), or ``{min: lo, max: hi}`` (either bound
    may be left out). A rule without tests matches every retailer (a catch-all).
    """

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    klass: str = Field(alias="class")

    @model_validator(mode="after")
    def _tests(self) -> ClassifyRule:
        for col, val in self.tests.items():
            check_rule_value(col, val)
        return self

    @property
    def tests(self) -> dict[str, Any]:
        """Column -> tested value (every key of the rule but ``class``)."""
        return dict(self.model_extra or {})


def check_rule_value(col: str, val: Any) -> None:
    """Raise ``ValueError`` if ``val`` is not a valid test value (see :class:`ClassifyRule`)."""
    scalar = (str, int, float)
    if isinstance(val, bool) or val is None:
        raise ValueError(f"{col}: a test value must be a number, text, a list or {{min, max}}, got {val!r}")
    if isinstance(val, scalar):
        return
    if isinstance(val, list):
        if not val or not all(isinstance(x, scalar) and not isinstance(x, bool) for x in val):
            raise ValueError(f"{col}: a list must hold numbers or texts, got {val!r}")
        if len(val) == 2 and all(isinstance(x, (int, float)) for x in val) and val[0] > val[1]:
            raise ValueError(f"{col}: the range {val} is empty (low > high)")
        return
    if isinstance(val, dict):
        bad = set(val) - {"min", "max"}
        if bad or not val or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in val.values()):
            raise ValueError(f"{col}: a range is {{min: number, max: number}}, got {val!r}")
        return
    raise ValueError(f"{col}: a test value must be a number, text, a list or {{min, max}}, got {val!r}")


class Inputs(_Strict):
    """Input files (paths relative to the scenario file)."""

    retailers: Path
    managers: Path
    districts: Path | None = None
    road_network: Path | None = None
    locked: Path | None = Field(default=None, description="CSV with retailer_id, manager_id: retailers pinned to a manager")
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
    encoding: Literal["auto", "utf-8", "utf-8-sig", "gbk", "gb18030"] = "auto"
    columns: dict[str, str | dict[str, str]] = Field(
        default_factory=dict,
        description="canonical column -> your header; per file {retailers: {...}, managers: {...}, districts: {...}, "
                    "locked: {...}}, or flat (the retailer file)")
    sheets: dict[str, str] = Field(default_factory=dict, description="Excel sheet per file, e.g. {retailers: 零售客户}; "
                                                                      "default: the first sheet")
    header_row: int | dict[str, int] | None = Field(
        default=None, description="row of the header (1-based) in every CSV/Excel file, or per file; "
                                  "default: the first row with known column names")
    layer: str | None = None

    @field_validator("columns")
    @classmethod
    def _columns(cls, v: dict) -> dict:
        nested = [k for k, x in v.items() if isinstance(x, dict)]
        if nested and len(nested) != len(v):
            raise ValueError("inputs.columns is either flat (canonical column: your header, for the retailer file) or "
                             "per file ({retailers: {...}, managers: {...}}), not both")
        for k in nested:
            if k not in INPUT_FILES:
                raise ValueError(f"inputs.columns.{k}: unknown file; use {', '.join(INPUT_FILES)}")
        return v

    @field_validator("sheets", "header_row")
    @classmethod
    def _per_file(cls, v):
        if isinstance(v, dict):
            for k, x in v.items():
                if k not in INPUT_FILES:
                    raise ValueError(f"unknown file {k!r}; use {', '.join(INPUT_FILES)}")
                if isinstance(x, int) and x < 1:
                    raise ValueError(f"{k}: header rows are numbered from 1")
        elif isinstance(v, int) and v < 1:
            raise ValueError("header rows are numbered from 1")
        return v

    def columns_for(self, file: str) -> dict[str, str]:
        """The column overrides of one input file (the flat form belongs to the retailer file)."""
        if any(isinstance(x, dict) for x in self.columns.values()):
            return dict(self.columns.get(file, {}))  # type: ignore[arg-type]
        return dict(self.columns) if file == "retailers" else {}  # type: ignore[arg-type]

    def sheet_for(self, file: str) -> str | None:
        return self.sheets.get(file)

    def header_row_for(self, file: str) -> int | None:
        if isinstance(self.header_row, dict):
            return self.header_row.get(file)
        return self.header_row


class ClassPolicy(_Strict):
    """Visit policy of one customer class."""

    visits_per_cycle: int = Field(ge=0, le=40, description="visits per 4-week cycle")
    service_min: float = Field(ge=0, le=600, description="minutes per visit")
    value: float = Field(default=1.0, gt=0, description="value of one visit (trade-off against travel)")
    mode: Literal["visit", "remote"] = "visit"
    patterns: list[list[int]] | None = Field(default=None, description="custom day patterns (day indices in the horizon)")
    label: str | None = None
    specialist_visits_per_cycle: int = Field(default=0, ge=0, le=20, description="visits per 4-week cycle by a "
                                             "specialist of the retailer's team (a manager with role specialist)")
    specialist_skill: str | None = Field(default=None, description="the skill the specialist visits need "
                                         "(one of the specialists' skills, e.g. guidance)")
    specialist_service_min: float | None = Field(default=None, ge=0, le=600, description="minutes per specialist "
                                                 "visit (default: service_min)")
    remote_per_cycle: int = Field(default=0, ge=0, le=40, description="phone/messaging contacts per 4-week cycle "
                                  "on top of the visits (mode visit); mode remote: every visit is a contact")
    remote_min: float = Field(default=5.0, gt=0, le=120, description="minutes per contact of remote_per_cycle "
                              "(a mode remote class's contacts take service_min)")

    @model_validator(mode="after")
    def _channels(self) -> ClassPolicy:
        if self.specialist_visits_per_cycle and not self.specialist_skill:
            raise ValueError("specialist_visits_per_cycle needs specialist_skill (the skill of the specialists "
                             "who make these visits)")
        if self.mode == "remote" and self.remote_per_cycle:
            raise ValueError("remote_per_cycle adds contacts to the visits of a visited class; in mode remote "
                             "every visit is a contact already (use visits_per_cycle)")
        return self


class Travel(_Strict):
    model: Literal["straight_line", "road_network"] = "straight_line"
    speed_kmh: float = Field(default=25.0, gt=0, le=200, description="straight line: average door-to-door speed")
    circuity: float = Field(default=1.3, ge=1.0, le=5.0, description="straight line: road distance / straight distance")
    max_snap_m: float = Field(default=500.0, gt=0, description="road network: retailers farther than this from a road are unreachable")
    access_speed_kmh: float = Field(default=10.0, gt=0, description="road network: speed between the road and the door")
    speeds_kmh: dict[str, float] = Field(default_factory=dict, description="road network: speed per highway type (overrides)")
    parking_min: float = Field(default=0.0, ge=0, description="fixed time added to every trip (parking, walking)")


class Territories(_Strict):
    method: Literal["market", "administrative"] = "market"
    count: int | None = Field(default=None, ge=1, description="number of territories (default: one per manager)")
    capacity_hours: float | None = Field(default=None, gt=0, description="workload per manager per cycle; derives the count")
    balance: dict[str, float] = Field(default_factory=lambda: {"workload": 0.03})
    contiguity: bool = True
    centres: Literal["bases", "free"] = "bases"
    max_radius_min: float | None = Field(default=None, gt=0)
    keep_markets_whole: bool = True
    market_penalty_h: float = Field(default=2.0, ge=0, description="soft penalty (hours of weighted travel) per market area split")
    keep_districts_whole: bool = Field(default=False, description="administrative districts are ignored unless set")
    teams: bool = Field(default=True, description="first team areas sized by headcount, then territories inside")
    access_factor: float = Field(default=1.0, gt=0, description="calibration of the per-visit access-time estimate")
    balance_by: Literal["equal", "available_time"] = Field(
        default="equal", description="equal: every manager the same share of the workload; available_time: shares "
                                     "in proportion to each manager's available time (leave and duties deducted)")
    calendar_balance: bool = Field(default=True, description="after the calendars, re-balance the market territories "
                                   "on the calendars' hours when they differ more than the tolerance")
    service_vacuum: ServiceVacuum = Field(default_factory=ServiceVacuum, description="when a retailer's administrative "
                                          "manager is too far: {ratio, minutes} (kpis.json -> service_vacuum)")

    @field_validator("balance")
    @classmethod
    def _measures(cls, v: dict[str, float]) -> dict[str, float]:
        allowed = ("workload", "sales_volume", "retailers", "key_customers", "visits")
        for k, tol in v.items():
            if k not in allowed:
                hint = difflib.get_close_matches(k, allowed, n=1)
                raise ValueError(f"unknown balance measure {k!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
                                 + f"; choose from {', '.join(allowed)}")
            if not (tol >= 0) or math.isnan(tol):
                raise ValueError(f"balance tolerance for {k} must be >= 0")
        if "workload" not in v:
            v = {"workload": 0.03, **v}
        return v


class Schedule(_Strict):
    method: Literal["solver", "greedy"] = "solver"
    lam: float = Field(default=3600.0, ge=0, alias="lambda",
                       description="seconds of travel one unit of visit value is worth")
    backend: Literal["pyvrp", "ortools"] = "pyvrp"


class Solver(_Strict):
    seed: int = 1
    territory_time_limit_s: float = Field(default=60.0, gt=0)
    schedule_time_limit_s: float = Field(default=20.0, gt=0, description="per manager")
    max_iterations: int | None = Field(default=None, ge=1, description="iteration limit (makes runs machine-independent)")
    workers: int | None = Field(default=None, ge=1, description="processes solving calendars side by side "
                                "(default: the cores this machine gives the planner)")


class Output(_Strict):
    folder: Path = Field(default=Path("plans"), description="plan store: every run adds a new plan folder here")


class Regions(_Strict):
    """Independent regions in one retailer file (planned one by one by ``planner batch``)."""

    column: str = Field(min_length=1, description="column of the retailer file (and of the managers file) that splits "
                        "the data into independent regions: each region is planned on its own, with its own managers")
    select: str | None = Field(default=None, description="plan only the retailers and managers of this region "
                               "(planner batch sets it in each region's copy of the scenario)")


TILE_PRESETS = ("osm", "amap", "tianditu", "none")
"""Base maps of the HTML outputs (see :mod:`planner.report.tiles`); any other value of
``report.tiles`` is a URL template with ``{z}``, ``{x}`` and ``{y}``."""
NAV_APPS = ("amap", "baidu", "osm", "geo")
"""Navigation apps of the route sheets' links (see :mod:`planner.report.sheets.nav`)."""


def check_tiles(value: str) -> str:
    """``value`` if it is a preset name or a tile URL template, else raise ``ValueError``."""
    v = str(value).strip()
    if v in TILE_PRESETS:
        return v
    if v.startswith(("http://", "https://")) and all(p in v for p in ("{z}", "{x}", "{y}")):
        return v
    hint = difflib.get_close_matches(v, TILE_PRESETS, n=1)
    raise ValueError(f"unknown tiles {v!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
                     + f"; choose {', '.join(TILE_PRESETS)} or a URL template with {{z}}, {{x}} and {{y}}")


class Report(_Strict):
    """What the HTML outputs show: the base map and the route sheets' navigation app."""

    tiles: str = Field(default="osm", description="base map: osm, amap (GCJ-02), tianditu (needs tianditu_key), none, "
                       "or a URL template with {z}/{x}/{y} (and {s} for tiles_subdomains)")
    tiles_crs: Literal["wgs84", "gcj02"] = Field(default="wgs84", description="datum of a custom tile URL template")
    tiles_attribution: str = Field(default="", description="attribution shown with a custom tile URL template")
    tiles_subdomains: str = Field(default="", description="values of {s} in a custom tile URL template, e.g. abc")
    tianditu_key: str | None = Field(default=None, description="Tianditu (天地图) key, needed by tiles: tianditu")
    nav: Literal["amap", "baidu", "osm", "geo"] | None = Field(
        default=None, description="navigation links of the route sheets (default: amap for gcj02 inputs, baidu for "
                                  "bd09, osm otherwise)")

    @field_validator("tiles")
    @classmethod
    def _tiles(cls, v: str) -> str:
        return check_tiles(v)

    @model_validator(mode="after")
    def _key(self) -> Report:
        if self.tiles == "tianditu" and not self.tianditu_key:
            raise ValueError("tiles: tianditu needs report.tianditu_key (a key from the Tianditu website)")
        return self


class Scenario(_Strict):
    name: str
    description: str = ""
    inputs: Inputs
    classes: dict[str, ClassPolicy]
    key_classes: list[str] | None = Field(default=None, description="classes counted as key customers (default: highest visit frequency)")
    classify: list[ClassifyRule] | None = Field(default=None, description="rules from retailer columns to classes, "
                                                "first match wins (no class column needed)")
    calendar: Calendar = Field(default_factory=Calendar)
    travel: Travel = Field(default_factory=Travel)
    territories: Territories = Field(default_factory=Territories)
    schedule: Schedule = Field(default_factory=Schedule)
    solver: Solver = Field(default_factory=Solver)
    output: Output = Field(default_factory=Output)
    regions: Regions | None = Field(default=None, description="e.g. {column: region}: independent regions by a column")
    report: Report = Field(default_factory=Report, description="base map and navigation app of the HTML outputs")
    assessment: Assessment = Field(default_factory=Assessment, description="groups of indicators and weights of "
                                   "planner assess (planner.config.assessment)")

    @model_validator(mode="after")
    def _cross(self) -> Scenario:
        if not self.classes:
            raise ValueError("at least one customer class is needed")
        if self.key_classes:
            unknown = [c for c in self.key_classes if c not in self.classes]
            if unknown:
                raise ValueError(f"key_classes {unknown} are not defined under 'classes'")
        for k, rule in enumerate(self.classify or [], start=1):
            if rule.klass not in self.classes:
                raise ValueError(f"classify rule {k}: class {rule.klass!r} is not defined under 'classes' "
                                 f"({', '.join(self.classes)})")
        if self.travel.model == "road_network" and self.inputs.road_network is None:
            raise ValueError("travel.model is road_network but inputs.road_network is not given")
        n_days = self.calendar.weeks * len(self.calendar.working_days)
        for name, cp in self.classes.items():
            need = len(cp.patterns[0]) if cp.patterns else int(round(cp.visits_per_cycle * self.calendar.weeks / 4))
            if need > n_days:
                raise ValueError(f"class {name}: {need} visits in {self.calendar.weeks} weeks of "
                                 f"{len(self.calendar.working_days)} working days cannot be planned (at most one "
                                 f"visit a day: {n_days})")
            extra = max(int(round(cp.specialist_visits_per_cycle * self.calendar.weeks / 4)),
                        int(round(cp.remote_per_cycle * self.calendar.weeks / 4)))
            if extra > n_days:
                raise ValueError(f"class {name}: {extra} specialist visits or contacts in {self.calendar.weeks} weeks "
                                 f"cannot be planned (at most one a day: {n_days})")
            if cp.patterns:
                for p in cp.patterns:
                    if any(d < 0 or d >= n_days for d in p) or len(set(p)) != len(p):
                        raise ValueError(f"class {name}: pattern {p} must list distinct day indices 0..{n_days - 1}")
        return self

    # -- derived values ---------------------------------------------------------------------
    @property
    def key_class_set(self) -> frozenset[str]:
        if self.key_classes:
            return frozenset(self.key_classes)
        top = max(cp.visits_per_cycle for cp in self.classes.values())
        return frozenset(c for c, cp in self.classes.items() if cp.visits_per_cycle == top and top > 0)

    def required_visits(self, cls: str) -> int:
        """Visits in the horizon for a class (visits per 4-week cycle scaled to the horizon)."""
        cp = self.classes[cls]
        if cp.patterns:
            return len(cp.patterns[0])
        return int(round(cp.visits_per_cycle * self.calendar.weeks / 4))

    def required_specialist_visits(self, cls: str) -> int:
        """Specialist visits in the horizon for a class (per 4-week cycle scaled to the horizon)."""
        return int(round(self.classes[cls].specialist_visits_per_cycle * self.calendar.weeks / 4))

    def required_contacts(self, cls: str) -> int:
        """Phone/messaging contacts in the horizon for a class: every visit of a ``mode: remote``
        class, else ``remote_per_cycle`` scaled to the horizon."""
        cp = self.classes[cls]
        if cp.mode == "remote":
            return self.required_visits(cls)
        return int(round(cp.remote_per_cycle * self.calendar.weeks / 4))

    @property
    def nav_app(self) -> str:
        """The route sheets' navigation app: ``report.nav``, else by the input CRS."""
        return self.report.nav or {"gcj02": "amap", "bd09": "baidu"}.get(self.inputs.crs, "osm")


class LoadedScenario:
    """A validated scenario with its file location, resolved paths and content hash."""

    def __init__(self, scenario: Scenario, path: Path, text: str) -> None:
        self.scenario = scenario
        self.path = path
        self.base = path.parent
        self.text = text
        self.sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()

    def resolve(self, p: Path | None) -> Path | None:
        if p is None:
            return None
        p = Path(p).expanduser()
        return p if p.is_absolute() else (self.base / p).resolve()

    def input_paths(self) -> dict[str, Path]:
        i = self.scenario.inputs
        out = {"retailers": i.retailers, "managers": i.managers, "districts": i.districts,
               "road_network": i.road_network, "locked": i.locked}
        return {k: self.resolve(v) for k, v in out.items() if v is not None}

    @property
    def start_date(self) -> dt.date:
        d = self.scenario.calendar.start_date
        if d is not None:
            return d
        today = dt.date.today()
        return today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)


# --- YAML with line numbers ---------------------------------------------------------------

def _node_lines(node: yaml.Node, path: tuple = (), out: dict | None = None) -> dict[tuple, int]:
    """Map every key path of a composed YAML document to its (1-based) line."""
    if out is None:
        out = {}
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = k.value
            out[path + (key,)] = k.start_mark.line + 1
            _node_lines(v, path + (key,), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            out[path + (i,)] = v.start_mark.line + 1
            _node_lines(v, path + (i,), out)
    return out


def _line_for(lines: dict[tuple, int], loc: tuple) -> int | None:
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The pydantic model that owns the mapping at ``loc`` (for key suggestions)."""
    model: type[BaseModel] | None = Scenario
    for part in loc:
        if model is None:
            return None
        field = model.model_fields.get(str(part)) or next(
            (f for f in model.model_fields.values() if f.alias == part), None)
        if field is None:
            return None
        cands = [field.annotation, *getattr(field.annotation, "__args__", ())]
        model = next((c for c in cands if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return model


def _allowed_keys(loc: tuple) -> list[str]:
    if len(loc) >= 2 and loc[0] == "classes":
        return list(ClassPolicy.model_fields)
    if len(loc) >= 3 and loc[:2] == ("calendar", "duties"):
        return list(Duty.model_fields)
    if len(loc) >= 3 and tuple(loc[:2]) == ("assessment", "groups"):
        return list(IndicatorGroup.model_fields)
    model = _model_at(loc)
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def load_scenario(path: str | Path) -> LoadedScenario:
    """Read and validate a scenario file; raise :class:`ScenarioError` listing every problem."""
    path = Path(path)
    fname = str(path)
    if not path.exists():
        raise ScenarioError(f"scenario file {fname} does not exist")
    if path.is_dir():
        raise ScenarioError(f"{fname} is a folder, not a scenario file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise ScenarioError(f"{fname}: scenario files must be UTF-8 text ({e})") from None
    return parse_scenario(text, path)


def parse_scenario(text: str, path: Path, *, check_files: bool = True) -> LoadedScenario:
    """Validate scenario ``text`` as if read from ``path`` (relative paths resolve against it)."""
    fname = str(path)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise ScenarioError(f"{fname}{where}: not valid YAML: {getattr(e, 'problem', e)}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{fname}: a scenario must be a mapping of keys (name, inputs, classes, ...)")
    lines = _node_lines(node) if node is not None else {}
    problems = ProblemCollector()
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        for e in err.errors():
            loc = tuple(e["loc"])
            field = ".".join(str(x) for x in loc) or None
            line = _line_for(lines, loc)
            if e["type"] == "extra_forbidden":
                allowed = _allowed_keys(loc[:-1])
                hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.5)
                msg = f"unknown key {loc[-1]!r}"
                msg += f" (did you mean {hint[0]!r}?)" if hint else ""
                if allowed:
                    msg += f"; valid keys here: {', '.join(allowed)}"
            elif e["type"] == "missing":
                msg = "required key is missing"
            else:
                msg = e["msg"].removeprefix("Value error, ")
                if "input" in e and not isinstance(e["input"], (dict, list)):
                    msg += f" (got {e['input']!r})"
            problems.add(fname, msg, field=field, line=line)
        problems.raise_if_any(ScenarioError, f"{fname}: the scenario is not valid")
        raise  # pragma: no cover
    loaded = LoadedScenario(scenario, path.resolve(), text)
    for key, p in loaded.input_paths().items():
        if check_files and not p.exists():
            loc = ("inputs", key)
            problems.add(fname, f"file not found: {p}", field=f"inputs.{key}", line=_line_for(lines, loc))
    problems.raise_if_any(ScenarioError, f"{fname}: the scenario is not valid")
    return loaded
