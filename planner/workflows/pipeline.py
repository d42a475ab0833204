"""The one pipeline every job runs on.

1. :func:`planner.design.context.prepare` reads the inputs and builds the travel model, horizon,
   windows and workload estimate;
2. the job designs territories (its own step: run, rezone, frontier differ here);
3. :func:`build_plan` builds each territory's calendar, then the specialists' calendars and the
   contacts (:func:`team_service`), and assembles the plan tables, KPIs and manifest; :func:`add_baseline` adds the administrative baseline as a sub-plan with the
   comparison of headline KPIs;
4. :func:`commit` writes the plan folder atomically, validates the written folder from disk
   exactly as ``planner verify`` does (the independent validator re-reads the scenario and the
   inputs named in the manifest), adds the managers' route sheets (``sheets/``, not for the
   baseline: managers work from the plan) and the reports, renames it into place and seals it
   when it is in the plan store.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from planner.config.scenario import LoadedScenario
from planner.design.calendars import order_weekday_share, schedule_territories
from planner.design.contacts import schedule_with_contacts
from planner.design.context import Context
from planner.design.rebalance import balance_calendars
from planner.design.specialists import schedule_specialists
from planner.design.territories import Territories, administrative_territories, estimated_workload
from planner.errors import Progress
from planner.plan.assemble import assemble_plan, plan_kpis
from planner.plan.cache import StoreCalendarCache
from planner.plan.files import refuse_existing
from planner.plan.kpis import comparison, solver_section
from planner.plan.manifest import manifest
from planner.plan.model import Plan, write_manifest, write_plan
from planner.plan.register import Snapshot, record_snapshot
from planner.plan.service import add_team_service, specialist_solver_rows
from planner.plan.store import in_store, new_plan_folder, seal, store_of
from planner.plan.targets import add_targets_and_vacuum
from planner.report import reports_for_run
from planner.report.sheets import sheets_for_run
from planner.validate import ValidationReport, validate_folder


@dataclass
class Committed:
    """A plan folder written, validated and in place."""

    folder: Path
    validation: ValidationReport


def target_folder(loaded: LoadedScenario, seed: int, out: Path | None, *, kind: str = "") -> Path:
    """The folder a job writes: ``out``, or a new folder in the scenario's plan store; refused
    (before any work) when it exists and is not empty."""
    folder = Path(out) if out is not None else new_plan_folder(loaded, seed, kind)
    refuse_existing(folder, "plans are never overwritten. Choose another --out folder.")
    return folder


def build_plan(ctx: Context, terr: Territories, *, kind: str, kept: dict | None = None, balance: bool = False,
               **schedule_kw) -> Plan:
    """Calendars of ``terr`` (keyword arguments go to
    :func:`planner.design.calendars.schedule_territories`), then the plan tables, KPIs and manifest.

    With ``balance`` the territories are re-balanced on the first calendars' hours
    (:func:`planner.design.rebalance.balance_calendars`; the plan's territories may then differ
    from ``terr``: use ``plan.assignments``).

    ``kept`` (slot -> (retailer indices, calendar)) are calendars taken as they are instead of being
    solved again: an edited plan keeps the calendars of the territories its edits left unchanged
    (see :func:`planner.plan.assemble.kept_calendars`); the rest of the plan is built as usual.
    """
    t = time.perf_counter()
    cals, sdesc = schedule_territories(ctx, terr, label=kind, kept=kept, **schedule_kw)
    if balance:  # market territories of a new plan: balanced on the calendars' hours (issue 20)
        terr, cals, info = balance_calendars(
            ctx, terr, cals,
            lambda tt, kp, warm: schedule_territories(ctx, tt, label=f"{kind}, re-balanced", kept=kp,
                                                      warm=warm, **schedule_kw)[0])
        terr.details["calendar_balance"] = info
    if kept:
        sdesc += f"; {len(kept)} of {len(terr.slots)} calendars kept from the parent plan"
    cals, spec, contacts, contact_unplanned = team_service(ctx, terr, cals, label=kind, kept=kept, **schedule_kw)
    t_sched = time.perf_counter() - t
    methods = {"territories": terr.method, "schedule": sdesc}
    plan = assemble_plan(ctx, terr, cals, methods=methods)
    add_team_service(ctx, plan, spec, contacts, contact_unplanned)
    plan.kpis = plan_kpis(ctx, plan, terr)
    plan.kpis["solver"] = solver_section(terr, cals, schedule_method=sdesc, schedule_runtime_s=t_sched)
    plan.kpis["solver"]["schedule"]["managers"] += specialist_solver_rows(spec)
    add_targets_and_vacuum(ctx, plan)  # targets.csv and kpis.json -> service_vacuum (planner assess, issue 19)
    timings = dict(ctx.timings)
    timings["schedule_s"] = t_sched
    plan.manifest = manifest(ctx, methods=methods, timings=timings, kind=kind)
    plan.scenario_text = ctx.loaded.text
    return plan


def team_service(ctx: Context, terr: Territories, cals: dict, *, label: str, kept: dict | None = None,
                 **schedule_kw):
    """After the territories' calendars: the contacts' days and times (a manager whose contacts
    find no room is solved again with desk time: :func:`planner.design.contacts.schedule_with_contacts`)
    and the specialists' calendars (:func:`planner.design.specialists.schedule_specialists`)."""
    cals, contacts, contact_unplanned = schedule_with_contacts(ctx, terr, cals, label=label, kept=kept, **schedule_kw)
    spec = schedule_specialists(ctx, terr, cals, cache=schedule_kw.get("cache"))
    return cals, spec, contacts, contact_unplanned


def administrative_baseline(ctx: Context) -> Territories:
    """Today's assignment with the design's workload estimate per manager."""
    admin = administrative_territories(ctx)
    admin.estimated_hours = estimated_workload(ctx, admin)
    return admin


def add_baseline(ctx: Context, plan: Plan, admin: Territories, *, same: bool = False,
                 kept: dict | None = None) -> Plan:
    """The administrative baseline of ``plan`` as its ``baseline/`` sub-plan, and the comparison of
    headline KPIs in ``kpis.json``. With ``same`` the plan is the baseline itself (administrative
    territories): no sub-plan is written. ``kept`` calendars of the baseline are taken as they are
    (see :func:`build_plan`).

    The baseline is today's practice as far as the data tells it: today's assignment, and when
    the retailer data has order weekdays (订货日), visits on those weekdays (the calendar method
    routes them as well as it can within each day); otherwise a calendar made with the plan's
    method, so that the comparison isolates the territories. ``kpis.json`` -> ``baseline.method``
    says which."""
    today = not same and order_weekday_share(ctx)[0] > 0
    # the baseline's calendars are reused from the plan store's cache when a run before solved the
    # same problems (same inputs, settings that reach the calendars, seed and engine): a what-if on
    # the territory design does not solve them again (not for an edited plan's ``kept`` calendars)
    cache = StoreCalendarCache(store_of(ctx.loaded)) if not same and kept is None else None
    baseline = plan if same else build_plan(ctx, admin, kind="baseline", order_weekdays=today, kept=kept,
                                            cache=cache)
    if cache is not None:
        baseline.manifest["calendar_cache"] = cache.record()
    if not same:
        baseline.manifest["kind"] = "baseline"
        plan.sub_plans["baseline"] = baseline
    methods = baseline.manifest["methods"]
    plan.kpis["baseline"] = {"global": baseline.kpis["global"],
                             "method": f"{methods['territories']}; calendar: {methods['schedule']}"}
    plan.kpis["comparison"] = comparison(plan.kpis, baseline.kpis)
    return baseline


def record_inputs(ctx: Context, plan: Plan, final: Path, *, job: str) -> Snapshot:
    """Record the retailer table the plan was made from in the store's register (a new snapshot;
    see :mod:`planner.plan.register`) and name the snapshot in the plan's manifest."""
    sc = ctx.loaded.scenario
    src = ctx.ds.files.get("retailers")
    info = (plan.manifest.get("inputs") or {}).get("retailers") or {}
    snap = record_snapshot(store_of(ctx.loaded), ctx.ds.retailers, extra=ctx.ds.retailer_extra,
                           scope=(sc.regions.select or "") if sc.regions else "", plan_id=final.name,
                           plan_path=str(final), kind=job, scenario=sc.name, source_path=str(src or ""),
                           source_sha256=str(info.get("sha256", "")))
    plan.manifest["register"] = snap.record()
    return snap


def commit(ctx: Context, plan: Plan, folder: Path, *, lang: str, progress: Progress | None = None,
           job: str = "run") -> Committed:
    """Write ``plan`` to ``folder`` atomically, validated from disk and with its reports, record
    its retailer table in the register, then seal it when it is in the scenario's plan store.

    ``job`` (``run``, ``rezone``, ``batch``, ...) is what the register records as the snapshot's kind.
    """
    progress = progress or Progress()
    progress.step("Writing and validating the plan")
    final = Path(folder).resolve()
    found: dict[str, ValidationReport] = {}

    def check(tmp: Path) -> None:
        rep = validate_folder(tmp, label=str(final))
        found["report"] = rep
        rep.write(tmp)
        sheets_for_run(tmp, ctx=ctx, lang=lang, label=final.name, warn=progress.warn)  # before the reports link to them
        reports_for_run(tmp, ctx=ctx, lang=lang, label=final.name, warn=progress.warn)
        record_inputs(ctx, plan, final, job=job)  # last: a snapshot only for a plan that is complete
        write_manifest(plan, tmp)

    folder = write_plan(plan, final, before_commit=check)
    if in_store(folder, ctx.loaded):
        seal(folder)
    return Committed(folder, found["report"])


__all__ = ["Committed", "target_folder", "build_plan", "administrative_baseline", "add_baseline", "commit"]
