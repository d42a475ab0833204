"""Re-reading what a plan was made from: its scenario and input files, and the travel model.

The scenario is the plan folder's ``scenario.yaml``, parsed as if it stood at the path the
manifest records (``manifest.json`` -> ``scenario.path``), so relative input paths resolve as in
the run. Every input file the manifest lists (``inputs``: path + sha256) must still exist and
hash the same; otherwise the validator refuses to recompute anything (an ``inputs`` error). The
files are then read with the planner's input readers and the travel model is built with the
shared travel module: these, the scenario schema and :mod:`planner.errors` are all the validator
shares with the planner.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from planner.config.scenario import LoadedScenario, parse_clock, parse_scenario
from planner.errors import PlannerError
from planner.inputs.dataset import Dataset, load_dataset
from planner.inputs.tables import file_sha256
from planner.travel.model import TravelModel, travel_model
from planner.validate.availability import DutyRule, duty_rules
from planner.validate.calendar import (
    BreakWindow,
    HorizonDay,
    break_windows,
    horizon_days,
    required_visits,
)
from planner.validate.findings import ValidationReport
from planner.validate.planfiles import PlanFiles


@dataclass(frozen=True, slots=True, kw_only=True)
class ClassRule:
    """What the scenario asks of one customer class."""

    name: str
    required: int  # visits (or remote contacts) in the horizon
    routed: bool  # visited in person (mode: visit)
    key: bool  # a key class
    custom_patterns: tuple[tuple[int, ...], ...] | None
    value: float
    contacts: int = 0  # phone/messaging contacts in the horizon (routed: remote_per_cycle; remote: required)
    contact_s: int | None = None  # seconds per contact (None: the retailer's service time, a remote class)
    specialist: int = 0  # specialist visits in the horizon
    skill: str = ""  # the skill they need (lower case)
    specialist_s: int = 0  # seconds per specialist visit


@dataclass(frozen=True, slots=True, kw_only=True)
class Inputs:
    """The re-read scenario and inputs of a plan, and the validator's own calendar facts."""

    loaded: LoadedScenario
    ds: Dataset
    travel: TravelModel
    days: list[HorizonDay]
    classes: dict[str, ClassRule]
    breaks: list[BreakWindow]
    shift_s: tuple[int, int]  # the calendar's default shift
    duties: list[DutyRule] = field(default_factory=list)
    break_rules: list[tuple[int, int, int]] = field(default_factory=list)  # (start, end, duration) seconds
    fingerprint: tuple  # scenario text + input hashes: equal fingerprints share one Inputs
    cache: dict = field(default_factory=dict)  # values derived once per inputs (retailer index, design)

    @property
    def n_retailers(self) -> int:
        return len(self.ds.retailers)


def fingerprint(files: PlanFiles) -> tuple:
    """Identity of what a plan folder was made from (scenario text, scenario path, input hashes)."""
    man = files.manifest
    inputs = man.get("inputs") or {}
    hashes = tuple(sorted((str(k), str(v.get("path")), str(v.get("sha256"))) for k, v in inputs.items()
                          if isinstance(v, dict)))
    scenario = man.get("scenario") or {}
    return (files.scenario_text, str(scenario.get("path", "")), str(scenario.get("sha256", "")), hashes,
            man.get("start_date"))


def scenario_location(files: PlanFiles) -> Path:
    """Where the scenario stood when the plan was made (relative paths: against the plan folder)."""
    p = Path(str((files.manifest.get("scenario") or {}).get("path") or (files.folder / "scenario.yaml")))
    return p if p.is_absolute() else (files.folder / p)


def check_input_files(files: PlanFiles, rep: ValidationReport) -> None:
    """``inputs`` errors for a changed scenario copy or a changed, missing or unlisted input file."""
    man = files.manifest
    want = (man.get("scenario") or {}).get("sha256")
    got = hashlib.sha256(files.scenario_text.encode("utf-8")).hexdigest()
    if want and want != got:
        rep.error("inputs", "scenario.yaml is not the scenario the plan was made with (its sha256 differs from "
                  "manifest.json)", file="scenario.yaml")
    listed = man.get("inputs")
    if not isinstance(listed, dict) or not listed:
        rep.error("inputs", "manifest.json lists no input files; the plan cannot be checked against its inputs",
                  file="manifest.json")
        return
    for key, info in sorted(listed.items()):
        path = Path(str(info.get("path", ""))) if isinstance(info, dict) else None
        if path is None or not str(path):
            rep.error("inputs", f"input {key!r} has no path in manifest.json", file="manifest.json")
        elif not path.is_file():
            rep.error("inputs", f"input file {path} ({key}) no longer exists", file=path.name)
        elif file_sha256(path) != info.get("sha256"):
            rep.error("inputs", f"input file {path} ({key}) changed since the plan was made (sha256 differs)",
                      file=path.name)


def load_inputs(files: PlanFiles, rep: ValidationReport) -> Inputs | None:
    """Check and re-read the scenario and inputs of a plan folder; ``None`` after an ``inputs`` error."""
    check_input_files(files, rep)
    if rep.errors:
        return None
    try:
        loaded = parse_scenario(files.scenario_text, scenario_location(files))
    except PlannerError as e:
        rep.error("inputs", f"the plan's scenario.yaml no longer loads: {e}", file="scenario.yaml")
        return None
    listed = {k: str(Path(str(v["path"]))) for k, v in files.manifest["inputs"].items()}
    named = {k: str(p) for k, p in loaded.input_paths().items()}
    if listed != named:
        diff = sorted(set(listed.items()) ^ set(named.items()))
        rep.error("inputs", f"the scenario's input files are not those listed in manifest.json: {diff}",
                  file="manifest.json")
        return None
    ds = load_dataset(loaded)
    sc = loaded.scenario
    travel = travel_model(loaded, ds)
    cal = sc.calendar
    start = cal.start_date or plan_start_date(files, rep)
    days = horizon_days(start, cal.weeks, cal.working_days, cal.holidays)
    key = set(sc.key_classes) if sc.key_classes else default_key_classes(
        {c: p.visits_per_cycle for c, p in sc.classes.items()})
    classes = {}
    for c, p in sc.classes.items():
        required = required_visits(visits_per_cycle=p.visits_per_cycle, weeks=cal.weeks, patterns=p.patterns)
        remote = p.mode == "remote"
        classes[c] = ClassRule(
            name=c, required=required, routed=not remote, key=c in key,
            custom_patterns=tuple(tuple(q) for q in p.patterns) if p.patterns else None, value=p.value,
            contacts=required if remote else required_visits(visits_per_cycle=p.remote_per_cycle, weeks=cal.weeks,
                                                              patterns=None),
            contact_s=None if remote else int(round(p.remote_min * 60)),
            specialist=required_visits(visits_per_cycle=p.specialist_visits_per_cycle, weeks=cal.weeks, patterns=None),
            skill=str(p.specialist_skill or "").strip().lower(),
            specialist_s=int(round(60 * (p.service_min if p.specialist_service_min is None else p.specialist_service_min))))
    rules = [(parse_clock(b.start), parse_clock(b.end), int(round(b.duration_min * 60))) for b in cal.breaks]
    breaks = break_windows([(parse_clock(b.start), parse_clock(b.end), b.duration_min) for b in cal.breaks])
    return Inputs(loaded=loaded, ds=ds, travel=travel, days=days, classes=classes, breaks=breaks,
                  shift_s=(parse_clock(cal.shift.start), parse_clock(cal.shift.end)), fingerprint=fingerprint(files),
                  duties=duty_rules(cal.duties), break_rules=rules)


def default_key_classes(visits_per_cycle: dict[str, int]) -> set[str]:
    """Key classes when the scenario names none: the most frequently visited class(es), if visited."""
    top = max(visits_per_cycle.values(), default=0)
    return {c for c, v in visits_per_cycle.items() if v == top and top > 0}


def plan_start_date(files: PlanFiles, rep: ValidationReport) -> dt.date:
    """Start of a horizon the scenario leaves open ("next Monday" at run time): the manifest's."""
    text = files.manifest.get("start_date")
    try:
        start = dt.date.fromisoformat(str(text))
    except ValueError:
        rep.error("horizon", f"the scenario has no calendar.start_date and manifest.json start_date {text!r} "
                  "is not a date", file="manifest.json")
        return dt.date.today()
    if start.weekday() != 0:
        rep.error("horizon", f"start_date {start} is not a Monday (the default start is the next Monday)",
                  file="manifest.json")
    return start
