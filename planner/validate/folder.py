"""Validating a plan folder from disk: the one entry point, :func:`validate_folder`.

Order of work: read the folder (:mod:`~planner.validate.planfiles`), check and re-read its scenario
and inputs (:mod:`~planner.validate.inputs`; nothing else is checked when they changed), check the
horizon in ``manifest.json``, managers and assignments (:mod:`~planner.validate.structure`; each
person's days after leave and duties: :mod:`~planner.validate.availability`), the routes
(:mod:`~planner.validate.routes`, specialists' visits included), unplanned visits, the contacts
(:mod:`~planner.validate.contacts`) and frequencies (:mod:`~planner.validate.frequency`), ``territories.geojson``, and every KPI
(:mod:`~planner.validate.kpis`). A ``baseline/`` sub-plan folder is validated the same way (with
the same re-read inputs when it was made from the same ones), and the plan's ``baseline`` and
``comparison`` KPIs are checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from planner.errors import ValidationFailed
from planner.validate.contacts import check_contacts
from planner.validate.findings import ValidationReport
from planner.validate.frequency import check_frequency, check_unplanned
from planner.validate.inputs import Inputs, fingerprint, load_inputs
from planner.validate.kpis import compare_baseline_kpis, compare_plan_kpis, recompute, same_value
from planner.validate.planfiles import PlanFiles, read_plan_folder
from planner.validate.routes import check_routes
from planner.validate.structure import check_assignments, check_managers, check_retailer_columns
from planner.validate.targets import check_service_vacuum, check_targets

SUB_PLANS = ("baseline",)


@dataclass(frozen=True, slots=True, kw_only=True)
class Checked:
    """A validated folder: its report, its files and the validator's own KPIs (``None`` if the
    inputs could not be re-read)."""

    report: ValidationReport
    files: PlanFiles
    inputs: Inputs | None
    kpis: dict | None


def baseline_method(manifest: dict) -> str | None:
    """What ``kpis.json`` -> ``baseline.method`` must say of a baseline made as its manifest records:
    ``<territory method>; calendar: <calendar method>`` (older plans: the territory method)."""
    methods = manifest.get("methods") or {}
    if "territories" not in methods:
        return None
    return f"{methods['territories']}; calendar: {methods['schedule']}" if methods.get("schedule") else methods["territories"]


def validate_folder(folder: Path, *, label: str | None = None) -> ValidationReport:
    """Validate the plan folder ``folder`` (and its ``baseline/``) from the files on disk.

    Parameters
    ----------
    folder:
        A plan folder as written by ``planner run`` / ``planner rezone``.
    label:
        How the report names the folder (a run validates a temporary folder that is renamed
        afterwards); default: ``folder`` itself.

    Returns
    -------
    ValidationReport
        ``ok`` when neither the folder nor a sub-plan has an error. Raises
        :class:`planner.errors.PlanFormatError` when a plan file is missing or unreadable.
    """
    folder = Path(folder)
    name = label or str(folder)
    main = check_folder(read_plan_folder(folder), name, None)
    rep = main.report
    subs: dict[str, Checked] = {}
    for sub in SUB_PLANS:
        if (folder / sub / "manifest.json").is_file():
            files = read_plan_folder(folder / sub)
            reuse = main.inputs if main.inputs is not None and fingerprint(files) == main.inputs.fingerprint else None
            subs[sub] = check_folder(files, f"{name}/{sub}", reuse)
            rep.merge_sub(sub, subs[sub].report)
    if main.kpis is not None:
        base = subs.get("baseline")
        if base is not None and base.kpis is not None:
            compare_baseline_kpis(main.files.kpis, main.kpis, base.kpis, baseline_method(base.files.manifest), rep)
        elif base is None:
            method = str((main.files.manifest.get("methods") or {}).get("territories", ""))
            if method.startswith("administrative") or "baseline" not in main.files.kpis:
                # the plan is its own baseline (administrative territories), or it has none
                compare_baseline_kpis(main.files.kpis, main.kpis, main.kpis, baseline_method(main.files.manifest), rep)
            else:
                rep.error("kpis", "kpis.json has a baseline section but the folder has no baseline/ plan",
                          file="kpis.json")
    return rep


def check_folder(files: PlanFiles, name: str, inputs: Inputs | None) -> Checked:
    """Every check of one plan folder (without its sub-plans); ``inputs`` re-used when given."""
    rep = ValidationReport(name)
    if inputs is None:
        inputs = load_inputs(files, rep)
        if inputs is None:
            return Checked(report=rep, files=files, inputs=None, kpis=None)
    check_manifest_days(files, inputs, rep)
    managers = check_managers(files, inputs, rep)
    owner = check_assignments(files, inputs, managers, rep)
    check_retailer_columns(files.visits, inputs, rep)
    visits, routes = check_routes(files, inputs, managers, owner, rep)
    listed = check_unplanned(files, inputs, owner, rep, managers)
    contacts = check_contacts(files, inputs, managers, owner, routes, rep)
    check_frequency(inputs, visits, listed, rep, contacts)
    mine = recompute(files, inputs, managers, owner, visits, routes)
    compare_plan_kpis(files.kpis, mine, rep)
    check_territories(files, mine, rep)
    check_targets(files, inputs, owner, visits, routes, rep)  # targets.csv and service_vacuum (issue 19)
    check_service_vacuum(files, inputs, owner, rep)
    return Checked(report=rep, files=files, inputs=inputs, kpis=mine)


def check_manifest_days(files: PlanFiles, inp: Inputs, rep: ValidationReport) -> None:
    """``manifest.json`` days (index, date, working) and start date against the validator's horizon."""
    days = files.manifest.get("days")
    want = [{"day_index": d.index, "date": d.date.isoformat(), "working": d.working} for d in inp.days]
    if not isinstance(days, list):
        rep.error("horizon", "manifest.json has no list of days", file="manifest.json")
        return
    if len(days) != len(want):
        rep.error("horizon", f"manifest.json lists {len(days)} days, the calendar has {len(want)}", file="manifest.json")
    for got, exp in zip(days, want, strict=False):
        if not isinstance(got, dict) or {k: got.get(k) for k in exp} != exp:
            rep.error("horizon", f"manifest.json day {got} differs from the calendar's {exp}", file="manifest.json")
            break
    start = files.manifest.get("start_date")
    if want and start is not None and start != want[0]["date"]:
        rep.error("horizon", f"start_date {start} is not the first day of the horizon ({want[0]['date']})",
                  file="manifest.json")
    rep.count("days", len(want))


def check_territories(files: PlanFiles, mine: dict, rep: ValidationReport) -> None:
    """``territories.geojson``: one feature per manager with retailers, its count and estimated workload."""
    rows = {x["manager_id"]: x for x in mine["managers"] if x.get("role", "manager") == "manager"}  # specialists: none
    seen = set()
    for k, f in enumerate(files.territories, start=1):
        p = (f.get("properties") or {}) if isinstance(f, dict) else {}
        mid = p.get("manager_id")
        if mid not in rows or mid in seen:
            rep.error("territories", f"territory of {mid!r}: not a manager of managers.csv, or listed twice",
                      file="territories.geojson", row=k)
            continue
        seen.add(mid)
        row = rows[mid]
        if p.get("retailers") != row["retailers"]:
            rep.error("territories", f"retailers = {p.get('retailers')} but assignments.csv gives {row['retailers']}",
                      file="territories.geojson", row=k, manager_id=mid)
        est = p.get("estimated_workload_hours")
        if est is not None and not same_value(est, row.get("estimated_workload_hours")):
            rep.error("territories", f"estimated_workload_hours = {est} but the validator estimates "
                      f"{row.get('estimated_workload_hours')}", file="territories.geojson", row=k, manager_id=mid)
    for mid, row in rows.items():
        if row["retailers"] > 0 and mid not in seen:
            rep.error("territories", f"no territory for {mid} ({row['retailers']} retailers)",
                      file="territories.geojson", manager_id=mid)


def require_valid(rep: ValidationReport) -> None:
    """Raise :class:`planner.errors.ValidationFailed` with the summary when the plan is invalid."""
    if not rep.ok:
        raise ValidationFailed(rep.summary())
