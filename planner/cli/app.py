"""The ``planner`` commands: check, run, verify, frontier, rezone, batch, compare, report,
assess, sheets, edit, history, generate.

A user error prints a clear message and exits with code 2 (input problems) or 1 (an invalid
plan); it never prints a traceback. ``PLANNER_DEBUG=1`` shows tracebacks for bug reports.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from planner.cli.console import RichProgress, console, escape, kpi_table, out
from planner.errors import PlannerError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Territory design and visit-route planning for field sales teams.")


def _fail(e: BaseException, code: int = 2) -> None:
    if os.environ.get("PLANNER_DEBUG"):
        raise e
    console.print("[red]error:[/red] " + escape(str(e)), soft_wrap=True)
    raise typer.Exit(code)


@contextlib.contextmanager
def _user_errors():
    try:
        yield
    except typer.Exit:
        raise
    except PlannerError as e:
        _fail(e, 1 if e.__class__.__name__ == "ValidationFailed" else 2)
    except KeyboardInterrupt:
        console.print("[red]interrupted[/red]: nothing was written")
        raise typer.Exit(130) from None
    except MemoryError:
        _fail(PlannerError("out of memory: split the region or reduce the scenario"), 2)


TilesOpt = Annotated[str | None, typer.Option("--tiles", help="base map: osm, amap (GCJ-02), tianditu, none, or a "
                                              "URL template with {z}/{x}/{y} (default: the scenario's report.tiles)")]
TilesCrsOpt = Annotated[str | None, typer.Option("--tiles-crs", help="datum of a --tiles URL template: wgs84 or gcj02")]
KeyOpt = Annotated[str | None, typer.Option("--tianditu-key", help="Tianditu key for --tiles tianditu "
                                            "(default: the scenario's report.tianditu_key)")]


def _tiles(option: str | None, crs: str | None, key: str | None, plan_dir: Path):
    """The base map of ``--tiles`` (else ``None``: the plan's scenario decides)."""
    if option is None:
        if crs is not None or key is not None:
            raise PlannerError("--tiles-crs and --tianditu-key go with --tiles")
        return None
    from planner.plan.model import read_plan
    from planner.report.model import load_view
    from planner.report.tiles import choose_tiles

    report = None
    if key is None and option == "tianditu" and (Path(plan_dir) / "manifest.json").exists():
        read_plan(plan_dir)  # a readable plan folder first: its scenario may hold the key
        report = load_view(plan_dir, with_baseline=False).report
    return choose_tiles(option, report, crs=crs, key=key)


@app.command()
def check(scenario: Annotated[Path, typer.Argument(help="scenario YAML file")]) -> None:
    """Check a scenario and its input files (nothing is solved or written)."""
    from planner.design.context import prepare

    with _user_errors():
        t0 = time.perf_counter()
        from planner.config.scenario import load_scenario

        loaded = load_scenario(scenario)
        prog = RichProgress()
        ctx = prepare(loaded, progress=prog)
        r, m = ctx.ds.retailers, ctx.ds.managers
        t = Table(title=escape(f"{loaded.scenario.name}: inputs are valid"))
        t.add_column("item")
        t.add_column("value", justify="right")
        t.add_row("retailers", f"{len(r):,}")
        for c, n in r["class"].value_counts().sort_index().items():
            t.add_row(escape(f"  class {c}"), f"{n:,}")
        for k, (rule, n) in enumerate(zip(loaded.scenario.classify or [], ctx.ds.classify_counts, strict=False), start=1):
            tests = ", ".join(f"{col} {val}" for col, val in rule.tests.items()) or "everything else"
            t.add_row(escape(f"  classify rule {k}: {tests} -> {rule.klass}"), f"{n:,}")
        spec = m["role"] == "specialist"
        t.add_row("managers", f"{int((~spec).sum()):,}")
        if spec.any():
            t.add_row("specialists", escape(", ".join(f"{i} ({';'.join(s)})" for i, s in zip(m.loc[spec, "manager_id"],
                                                                                           m.loc[spec, "skills"], strict=True))))
        t.add_row("teams", escape(", ".join(sorted(m["team"].unique()))))
        on_leave = [f"{i} ({x})" for i, x in zip(m["manager_id"], m["leave_text"], strict=True) if x]
        if on_leave:
            t.add_row("leave", escape(", ".join(on_leave)))
        for d in loaded.scenario.calendar.duties:
            who = d.who if isinstance(d.who, str) else ", ".join(d.who)
            t.add_row(escape(f"duty {d.name}"), escape(f"{'/'.join(d.weekdays)} {d.start[:5]}-{d.end[:5]}, {who}"))
        t.add_row("working days in horizon", str(sum(d.working for d in ctx.days)))
        t.add_row("required visits", f"{int(ctx.work.visits.sum()):,}")
        sc = loaded.scenario
        contacts = sum(sc.required_contacts(c) for c in r["class"])
        special = sum(sc.required_specialist_visits(c) for c in r["class"])
        if contacts:
            t.add_row("required contacts", f"{contacts:,}")
        if special:
            t.add_row("required specialist visits", f"{special:,}")
        t.add_row("estimated workload (h)", f"{ctx.work.total_s.sum() / 3600:,.1f}")
        t.add_row("travel model", escape(ctx.travel.description))
        t.add_row("unreachable retailers", str(int(ctx.travel.unreachable[: len(r)].sum())))
        if r.attrs.get("encoding"):
            t.add_row("retailer file encoding", str(r.attrs["encoding"]))
        t.add_row("check time (s)", f"{time.perf_counter() - t0:.1f}")
        out.print(t)


@app.command()
def run(scenario: Annotated[Path, typer.Argument(help="scenario YAML file")],
        out_dir: Annotated[Path | None, typer.Option("--out", help="plan folder to create (must not exist)")] = None,
        seed: Annotated[int | None, typer.Option(help="random seed (default: the scenario's)")] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress output")] = False,
        lang: Annotated[str, typer.Option("--lang", help="language of report.html/report.xlsx: en or zh")] = "en") -> None:
    """Run a scenario: territories, visit calendars, plan folder, validation, reports."""
    from planner.config.scenario import load_scenario
    from planner.workflows.run import run_scenario

    with _user_errors():
        loaded = load_scenario(scenario)
        res = run_scenario(loaded, out=out_dir, seed=seed, progress=RichProgress(quiet), lang=lang)
        out.print(kpi_table(res.plan.kpis, escape(f"Plan {res.folder.name}")))
        rep = res.validation
        out.print(rep.summary() if rep is not None else "not validated", markup=False, soft_wrap=True)
        out.print(f"plan folder: {res.folder}")
        if (res.folder / "report.html").exists():
            out.print(f"report: {res.folder / 'report.html'} (and report.xlsx)", soft_wrap=True)
        if (res.folder / "sheets").is_dir():
            out.print(f"route sheets: {res.folder / 'sheets'} (one .html and .xlsx per manager, visits.jsonl)",
                      soft_wrap=True)
        if rep is not None and not rep.ok:
            raise typer.Exit(1)


@app.command()
def verify(plan_dir: Annotated[Path, typer.Argument(help="plan folder")]) -> None:
    """Validate a plan folder independently against its inputs."""
    from planner.validate import validate_folder

    with _user_errors():
        rep = validate_folder(plan_dir)
        out.print(rep.summary(), markup=False, soft_wrap=True)
        if not rep.ok:
            raise typer.Exit(1)


@app.command()
def frontier(scenario: Annotated[Path, typer.Argument(help="scenario YAML file")],
             param: Annotated[str, typer.Option(help="what to sweep: lambda (value of a visit in seconds of travel) "
                                                     "or key_visits (key-customer visits per 4-week cycle)")] = "lambda",
             values: Annotated[str | None, typer.Option(help="comma-separated values (default: a standard sweep)")] = None,
             out_dir: Annotated[Path | None, typer.Option("--out", help="folder to create (default: in the plan store)")] = None,
             seed: Annotated[int | None, typer.Option(help="random seed (default: the scenario's)")] = None,
             time_limit: Annotated[float | None, typer.Option("--time-limit", help="calendar time limit per manager (s)")] = None,
             quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False) -> None:
    """Sweep the visit value (or key-customer frequency): key frequency met vs travel hours (CSV + PNG)."""
    from planner.config.scenario import load_scenario
    from planner.workflows.frontier import compute_frontier, write_frontier
    from planner.workflows.pipeline import target_folder

    with _user_errors():
        loaded = load_scenario(scenario)
        try:
            vals = [float(v) for v in values.split(",")] if values else None
        except ValueError:
            raise PlannerError(f"--values must be numbers separated by commas, got {values!r}") from None
        folder = target_folder(loaded, loaded.scenario.solver.seed if seed is None else seed, out_dir,
                               kind=f"frontier-{param}")
        table, mgr, settings = compute_frontier(loaded, param=param, values=vals, seed=seed,
                                                progress=RichProgress(quiet), time_limit_s=time_limit)
        folder = write_frontier(folder, table, mgr, settings, f"{loaded.scenario.name}: {param} sweep")
        t = Table(title=f"Frontier ({param})")
        for c in (param, "key frequency met", "travel h / manager", "unplanned visits", "time (s)"):
            t.add_column(c, justify="right")
        for _, r in table.iterrows():
            t.add_row(f"{r['value']:g}", f"{100 * r['key_frequency_compliance']:.1f} %",
                      f"{r['travel_hours_per_manager']:.1f}", f"{int(r['unplanned_visits'])}", f"{r['runtime_s']:.1f}")
        out.print(t)
        out.print(f"frontier folder: {folder}", soft_wrap=True)


@app.command()
def rezone(scenario: Annotated[Path, typer.Argument(help="scenario YAML file (with this quarter's inputs)")],
           previous: Annotated[Path, typer.Option("--previous", help="the previous plan folder")],
           max_moved: Annotated[str, typer.Option("--max-moved", help="disruption budget: share of continuing retailers "
                                                  "that may change manager for rebalancing, e.g. 0.10 or 10%")] = "0.10",
           key_weight: Annotated[float, typer.Option("--key-weight", help="a key customer's move counts this many times")] = 1.0,
           out_dir: Annotated[Path | None, typer.Option("--out", help="plan folder to create (must not exist)")] = None,
           seed: Annotated[int | None, typer.Option(help="random seed (default: the scenario's)")] = None,
           sweep: Annotated[bool, typer.Option("--sweep", help="also the balance-disruption curve over several budgets")] = False,
           budgets: Annotated[str | None, typer.Option(help="budgets of the sweep, e.g. 0,5%,10%,1 (default 0,2,5,10,15,20,30,100 %)")] = None,
           quick: Annotated[bool, typer.Option("--quick", help="schedule the sweep's plans with the greedy method")] = False,
           weekday_penalty: Annotated[float, typer.Option("--weekday-penalty", help="minutes of travel a retailer's change "
                                                          "of weekday is worth avoiding")] = 20.0,
           baseline: Annotated[bool, typer.Option("--baseline/--no-baseline", help="also the administrative baseline")] = True,
           lang: Annotated[str, typer.Option("--lang", help="language of report.html/xlsx: en or zh")] = "en",
           quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress output")] = False) -> None:
    """Re-zone from a previous plan: rebalance with a disruption budget, keep weekdays, write moves.csv."""
    from planner.config.scenario import load_scenario
    from planner.workflows.rezone import DEFAULT_SWEEP, parse_share
    from planner.workflows.rezone import rezone as do_rezone

    with _user_errors():
        budget = parse_share(max_moved)
        sweep_at = None
        if sweep or budgets:
            sweep_at = [parse_share(b, "--budgets") for b in budgets.split(",")] if budgets else list(DEFAULT_SWEEP)
        loaded = load_scenario(scenario)
        res = do_rezone(loaded, previous, max_moved=budget, key_weight=key_weight, out=out_dir, seed=seed,
                        sweep=sweep_at, quick=quick, weekday_penalty_s=60.0 * weekday_penalty, with_baseline=baseline,
                        lang=lang, progress=RichProgress(quiet))
        out.print(kpi_table(res.plan.kpis, escape(f"Re-zoned plan {res.folder.name}")))
        s = res.summary
        t = Table(title=escape(f"Changes since {s['previous_plan']}"))
        t.add_column("item")
        t.add_column("value", justify="right")
        t.add_row("disruption budget", f"{100 * s['max_moved']:g} %" + (f" (key customers x{s['key_weight']:g})"
                                                                        if s["key_weight"] != 1 else ""))
        t.add_row("moved for rebalancing (budget)", f"{s['moved']:,} = {100 * s['moved_share']:.1f} %"
                  + ("" if s["within_budget"] else "  OVER BUDGET"))
        t.add_row("forced moves (not counted)", f"{s['forced_moves']:,}")
        t.add_row("all moves of continuing retailers", f"{s['total_moved']:,} = {100 * s['total_moved_share']:.1f} %")
        for reason, n in sorted(s["moves_by_reason"].items()):
            t.add_row(f"  {reason}", f"{n:,}")
        t.add_row("managers left / joined", escape(f"{', '.join(s['managers']['left']) or '-'} / "
                                                   f"{', '.join(s['managers']['joined']) or '-'}"))
        wk = s["weekday_kept"]
        if wk["share"] is not None:
            t.add_row("weekday kept", f"{100 * wk['share']:.1f} % (same manager: "
                      f"{100 * (wk['same_manager_share'] or 0):.1f} %)")
        if s["design_imbalance"] is not None:
            t.add_row("imbalance (territory estimate)", f"{100 * s['design_imbalance']:.1f} %")
        out.print(t)
        if res.curve is not None:
            c = Table(title="Balance-disruption curve (disruption_curve.csv, .png)")
            for col in ("budget", "moved", "imbalance", "estimate", "travel share", "compactness (min)", "time (s)"):
                c.add_column(col, justify="right")
            for _, r in res.curve.iterrows():
                c.add_row(str(r["label"]), f"{100 * r['moved_share']:.1f} %", f"{100 * r['imbalance']:.1f} %",
                          f"{100 * r['design_imbalance']:.1f} %" if r["design_imbalance"] == r["design_imbalance"] else "-",
                          f"{100 * r['travel_share']:.1f} %", f"{r['compactness_min']:.1f}", f"{r['runtime_s']:.1f}")
            out.print(c)
        rep = res.validation
        out.print(rep.summary() if rep is not None else "not validated", markup=False, soft_wrap=True)
        out.print(f"plan folder: {res.folder}", soft_wrap=True)
        if rep is not None and not rep.ok:
            raise typer.Exit(1)


@app.command()
def batch(scenarios: Annotated[list[Path], typer.Argument(help="scenario YAML files (a scenario with regions.column "
                                                          "is split into its regions)")],
          out_dir: Annotated[Path, typer.Option("--out", help="folder of the region plan folders (re-run to resume)")] = Path("batch"),
          workers: Annotated[int | None, typer.Option("--workers", help="local worker processes (default: one per core)")] = None,
          scheduler: Annotated[str | None, typer.Option("--scheduler", help="address of a running Dask scheduler, "
                                                        "e.g. tcp://10.0.0.5:8786 (default: a local cluster)")] = None,
          seed: Annotated[int | None, typer.Option(help="random seed (default: each scenario's)")] = None,
          baseline: Annotated[bool, typer.Option("--baseline/--no-baseline", help="also the administrative baseline")] = True,
          quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress output")] = False) -> None:
    """Plan many regions or scenarios on Dask (local cluster or --scheduler); resumable; summary table."""
    from planner.workflows.batch import run_batch

    with _user_errors():
        try:
            res = run_batch(scenarios, out_dir, workers=workers, scheduler=scheduler, seed=seed, with_baseline=baseline,
                            progress=RichProgress(quiet))
        except KeyboardInterrupt:
            console.print("[red]interrupted[/red]: finished regions are kept; run the same command again to continue")
            raise typer.Exit(130) from None
        t = Table(title=escape(f"Batch {res.out} ({res.elapsed_s:.0f} s)"))
        for c in ("region", "status", "retailers", "managers", "imbalance", "travel share", "unplanned", "time (s)", "error"):
            t.add_column(c, justify="left" if c in ("region", "status", "error") else "right")
        style = {"done": "green", "kept": "cyan", "invalid": "yellow", "failed": "red"}

        def pct(v):
            return "-" if v is None or v != v else f"{100 * v:.1f} %"

        def num(v, fmt="{:,}"):
            return "-" if v is None or v != v else fmt.format(v)

        for r in res.results:
            first = r.error.splitlines()[0] if r.error else ""
            t.add_row(escape(r.region), f"[{style.get(r.status, '')}]{r.status}[/]", num(r.retailers), num(r.managers),
                      pct(r.imbalance), pct(r.travel_share), num(r.unplanned_visits), num(r.time_s, "{:.1f}"),
                      escape(first[:40] + ("..." if len(first) > 40 else "")))
        out.print(t)
        for r in res.results:
            if r.error:
                out.print(f"{r.region}: {r.error}", markup=False, soft_wrap=True)
        out.print(f"summary: {res.out / 'batch_summary.csv'} (and .json)", soft_wrap=True)
        if res.exit_code:
            raise typer.Exit(res.exit_code)


@app.command()
def compare(plan_dirs: Annotated[list[Path], typer.Argument(help="two or more plan folders; the first is the reference")],
            out_dir: Annotated[Path, typer.Option("--out", help="folder to create for compare.html and compare.xlsx")],
            label: Annotated[list[str] | None, typer.Option("--label", help="name of each plan in the comparison "
                                                                             "(repeat once per plan)")] = None,
            lang: Annotated[str, typer.Option("--lang", help="language: en or zh")] = "en",
            tiles: TilesOpt = None, tiles_crs: TilesCrsOpt = None, tianditu_key: KeyOpt = None) -> None:
    """Compare plans side by side: KPIs and changes, retailers that change manager, map, workload."""
    from planner.report import check_lang
    from planner.report.compare import write_comparison

    with _user_errors():
        check_lang(lang)
        if len(plan_dirs) < 2:
            raise PlannerError("compare needs at least two plan folders")
        t0 = time.perf_counter()
        folder = write_comparison(plan_dirs, out_dir, lang=lang, labels=label or None,
                                  tiles=_tiles(tiles, tiles_crs, tianditu_key, plan_dirs[0]))
        out.print(f"wrote {folder / 'compare.html'} and compare.xlsx in {time.perf_counter() - t0:.1f} s", soft_wrap=True)


@app.command()
def report(plan_dir: Annotated[Path, typer.Argument(help="plan folder")],
           out_dir: Annotated[Path, typer.Option("--out", help="folder to create for report.html and report.xlsx")],
           lang: Annotated[str, typer.Option("--lang", help="language: en or zh")] = "en",
           frontier_csv: Annotated[Path | None, typer.Option("--frontier", help="frontier.csv (or its folder) to "
                                                                                 "chart the frequency-travel curve")] = None,
           tiles: TilesOpt = None, tiles_crs: TilesCrsOpt = None, tianditu_key: KeyOpt = None) -> None:
    """Make a plan's report again (another language or base map, or with a frontier) in a new folder."""
    from planner.report import write_report_folder

    with _user_errors():
        t0 = time.perf_counter()
        folder = write_report_folder(plan_dir, out_dir, lang=lang, frontier=frontier_csv,
                                     tiles=_tiles(tiles, tiles_crs, tianditu_key, plan_dir))
        out.print(f"wrote {folder / 'report.html'} and report.xlsx in {time.perf_counter() - t0:.1f} s", soft_wrap=True)


@app.command()
def assess(plan_dir: Annotated[Path, typer.Argument(help="plan folder")],
           actual: Annotated[Path, typer.Option("--actual", help="field log (CSV or Excel): manager_id, date, "
                                                "retailer_id, kind (visit|specialist|contact), start, end")],
           out_dir: Annotated[Path, typer.Option("--out", help="folder to create for the assessment")],
           scores: Annotated[Path | None, typer.Option("--scores", help="CSV/Excel of per-manager indicator values "
                                                       "(manager_id and one column per indicator)")] = None,
           scenario: Annotated[Path | None, typer.Option("--scenario", help="take the assessment: weights from this "
                                                         "scenario file instead of the plan's")] = None,
           lang: Annotated[str, typer.Option("--lang", help="language: en or zh")] = "en") -> None:
    """Assess what was done against the plan: rates per manager and specialist, fair to each post's workload,
    combined into a weighted score (assessment.csv/.xlsx/.html, log_problems.csv)."""
    from planner.workflows.assess import run_assessment

    with _user_errors():
        t0 = time.perf_counter()
        res = run_assessment(plan_dir, actual, out_dir, scores_path=scores, lang=lang, settings_from=scenario)
        t = Table(title=escape(f"assessment of {Path(plan_dir).name}"))
        for c in ("manager", "planned", "done", "completion", "on day", "key freq.", "extra", "score"):
            t.add_column(c, justify="left" if c == "manager" else "right")
        pct = lambda x: "–" if x is None or x != x else f"{100 * x:.1f} %"  # noqa: E731
        for r in res.managers.itertuples(index=False):
            t.add_row(escape(str(r.manager_id)), str(r.visits_planned), str(r.visits_done), pct(r.completion),
                      pct(r.on_planned_day), pct(r.key_frequency), str(r.extra_visits),
                      "–" if r.score != r.score else f"{r.score:.1f}")
        out.print(t)
        missing = [g["group"] for g in res.groups if g["state"] != "used"]
        if missing:
            out.print(f"missing groups (score renormalised over the others): {escape(', '.join(missing))}")
        if len(res.problems):
            out.print(f"{len(res.problems)} problems in the log (see log_problems.csv): "
                      + escape(", ".join(f"{k} {v}" for k, v in res.meta["problems_by_code"].items())), soft_wrap=True)
        out.print(f"wrote {res.folder} in {time.perf_counter() - t0:.1f} s", soft_wrap=True)


@app.command()
def sheets(plan_dir: Annotated[Path, typer.Argument(help="plan folder")],
           out_dir: Annotated[Path, typer.Option("--out", help="folder to create for the route sheets")],
           lang: Annotated[str, typer.Option("--lang", help="language: en or zh")] = "en",
           nav: Annotated[str | None, typer.Option("--nav", help="navigation links: amap, baidu, osm or geo "
                                                   "(default: the scenario's report.nav, else by inputs.crs)")] = None,
           managers: Annotated[str | None, typer.Option("--managers", help="only these managers, e.g. CM01,CM02")] = None,
           days: Annotated[str | None, typer.Option("--days", help="only these days, e.g. 2027-01-04..2027-01-08 "
                                                    "or 2027-01-04,2027-01-06")] = None,
           tiles: TilesOpt = None, tiles_crs: TilesCrsOpt = None, tianditu_key: KeyOpt = None) -> None:
    """Make the managers' route sheets again (language, navigation app, base map, subset) in a new folder."""
    from planner.report.sheets import write_sheets_folder

    with _user_errors():
        t0 = time.perf_counter()
        folder = write_sheets_folder(plan_dir, out_dir, lang=lang, nav=nav, managers=managers, days=days,
                                     tiles=_tiles(tiles, tiles_crs, tianditu_key, plan_dir))
        n = len(list(folder.glob("*.html")))
        out.print(f"wrote {n} route sheets (.html and .xlsx), visits.jsonl and visits_by_day.csv to {folder} "
                  f"in {time.perf_counter() - t0:.1f} s", soft_wrap=True)


@app.command()
def edit(plan_dir: Annotated[Path, typer.Argument(help="plan folder to edit (it is never changed)")],
         port: Annotated[int, typer.Option(help="port of the local editor")] = 8765,
         host: Annotated[str, typer.Option(help="address to listen on; other than loopback needs the printed token")] = "127.0.0.1",
         no_browser: Annotated[bool, typer.Option("--no-browser", help="do not open the browser")] = False,
         store: Annotated[Path | None, typer.Option("--store", help="where saved plans go (default: the scenario's "
                                                    "output.folder)")] = None,
         user: Annotated[str | None, typer.Option("--user", help="name recorded with each edit (default: login name)")] = None,
         lang: Annotated[str, typer.Option("--lang", help="language of the saved plans' reports: en or zh")] = "en") -> None:
    """Edit a plan in the browser: move, lock, swap, re-optimise around the edits, save a new plan."""
    from planner.editor.server import serve
    from planner.report import check_lang

    with _user_errors():
        check_lang(lang)
        serve(plan_dir, host=host, port=port, open_browser=not no_browser, store=store, user=user, lang=lang,
              progress=RichProgress(), say=lambda m: out.print(m, markup=False, soft_wrap=True))


@app.command()
def history(store: Annotated[Path, typer.Option("--store", help="plan store folder (a scenario's output.folder)")] = Path("plans"),
            scenario_name: Annotated[str | None, typer.Option("--scenario", help="only plans of scenarios whose name "
                                                                                   "contains this text")] = None,
            retailer: Annotated[str | None, typer.Option("--retailer", help="list this retailer's versions in the "
                                                                             "register instead")] = None,
            changes: Annotated[tuple[Path, Path] | None, typer.Option("--changes", help="FROM_PLAN TO_PLAN (folders or "
                                                                       "ids in --store): what changed in the retailers "
                                                                       "between the two plans' register snapshots")] = None
            ) -> None:
    """List the stored plans; or a retailer's history (--retailer); or the changes between two plans (--changes)."""
    from planner.plan.store import list_plans, local_time

    with _user_errors():
        if retailer is not None:
            return retailer_versions(store, retailer)
        if changes is not None:
            return plan_changes(store, *changes)
        recs = list_plans(store)
        if scenario_name:
            recs = [r for r in recs if scenario_name.lower() in r.scenario.lower()]
        from rich import box

        t = Table(title=escape(f"Plans in {store} ({len(recs)})"), box=box.SIMPLE_HEAD, pad_edge=False)
        t.add_column("id", no_wrap=True)
        t.add_column("time", no_wrap=True)
        t.add_column("scenario", max_width=30, overflow="ellipsis", no_wrap=True)
        for c, j in (("seed", "right"), ("territories", "left"), ("imbalance", "right"), ("travel share", "right"),
                     ("key freq.", "right"), ("unplanned", "right"), ("valid", "center"), ("read-only", "center")):
            t.add_column(c, justify=j, no_wrap=True)

        def pct(x):
            return "-" if x is None else f"{100 * x:.1f} %"

        for r in recs:
            t.add_row(escape(r.id), local_time(r.created), escape(r.scenario), "-" if r.seed is None else str(r.seed),
                      r.territories.split(" ")[0].split(":")[0], pct(r.imbalance), pct(r.travel_share),
                      pct(r.key_frequency_compliance), "-" if r.unplanned_visits is None else f"{r.unplanned_visits:,}",
                      {True: "yes", False: "NO", None: "-"}[r.valid], "yes" if r.sealed else "no")
        from rich.measure import Measurement

        need = Measurement.get(out, out.options.update_width(400), t).maximum
        (out if need <= out.width else Console(width=need)).print(t)
        if not recs:
            out.print(f"no plans in {store} yet: planner run SCENARIO adds one", soft_wrap=True)


def retailer_versions(store: Path, retailer: str) -> None:
    """``planner history --retailer ID``: one line per version, with its dates and tracked fields."""
    from planner.plan.register import register_path, retailer_history

    h = retailer_history(register_path(store), retailer)
    if not len(h):
        raise PlannerError(f"retailer {retailer!r} is not in the register of {store} (register.sqlite)")
    t = Table(title=f"Retailer {escape(retailer)}: {len(h)} version(s) in {escape(str(register_path(store)))}")
    for c in ("from", "to", "class", "tier", "format", "market type", "lon", "lat", "manager", "status", "changed",
              "plan"):
        t.add_column(c, no_wrap=c in ("from", "to"))
    for r in h.fillna("").to_dict("records"):
        when = [str(x)[:19].replace("T", " ") or "current" for x in (r["valid_from"], r["valid_to"])]
        t.add_row(*(escape(str(x)) for x in (*when, r["class"], r["tier"], r["format"], r["market_type"],
                                              f"{r['lon']:.6f}", f"{r['lat']:.6f}", r["manager"], r["status"],
                                              r["changed"], r["opened_by"])))
    out.print(t)


def _plan_folder(store: Path, name: Path) -> Path:
    p = Path(name)
    if p.is_dir():
        return p
    if (Path(store) / p).is_dir():
        return Path(store) / p
    raise PlannerError(f"{name} is neither a plan folder nor a plan id in {store}")


def plan_changes(store: Path, first: Path, second: Path) -> None:
    """``planner history --changes FROM_PLAN TO_PLAN``: retailers new, closed, reclassified, moved
    (> 50 m) or otherwise changed between the register snapshots of two plans."""
    import json

    from planner.plan.register import snapshot_changes, snapshot_retailers

    snaps = []
    for name in (first, second):
        folder = _plan_folder(store, name)
        reg = json.loads((folder / "manifest.json").read_text(encoding="utf-8")).get("register")
        if not reg:
            raise PlannerError(f"{folder} names no register snapshot (it was made before the register existed)")
        snaps.append(snapshot_retailers(Path(reg["path"]), int(reg["snapshot"])))
    ch = snapshot_changes(*snaps)
    counts = ch["change"].value_counts()
    t = Table(title=f"Retailers changed from {escape(str(first))} to {escape(str(second))}")
    for c in ("retailer", "change", "field", "before", "after"):
        t.add_column(c)
    for r in ch.itertuples(index=False):
        t.add_row(*(escape(str(x)) for x in r))
    out.print(t)
    out.print(", ".join(f"{k}: {int(counts.get(k, 0))}" for k in ("new", "closed", "reclassified", "moved", "changed")))


@app.command()
def generate(retailers: Annotated[int, typer.Option("--retailers", help="number of retailers")] = 3000,
             managers: Annotated[int, typer.Option("--managers", help="number of managers")] = 15,
             seed: Annotated[int, typer.Option(help="random seed")] = 1,
             out_dir: Annotated[Path, typer.Option("--out", help="folder to create")] = Path("generated"),
             kind: Annotated[str, typer.Option(help="city (dense core) or county (core and rural towns)")] = "county",
             teams: Annotated[int | None, typer.Option(help="number of teams (default ~ managers/6)")] = None) -> None:
    """Generate a synthetic city or county: retailers, managers, districts, roads and a scenario."""
    from planner.inputs.synthetic import generate_region

    with _user_errors():
        t0 = time.perf_counter()
        files = generate_region(n_retailers=retailers, n_managers=managers, seed=seed, out=out_dir, kind=kind,
                                n_teams=teams)
        for f in files:
            out.print(f"wrote {f}")
        out.print(f"done in {time.perf_counter() - t0:.1f} s; next: planner check {out_dir / 'scenario.yaml'}")


def main() -> None:
    try:
        app()
    except SystemExit:
        raise
    except Exception as e:  # a bug: keep the message short, point to the debug switch
        if os.environ.get("PLANNER_DEBUG"):
            raise
        console.print(f"[red]internal error:[/red] {escape(type(e).__name__ + ': ' + str(e))}\n"
                      "This is a bug in the planner. Re-run with PLANNER_DEBUG=1 for the details and report it.")
        sys.exit(3)


if __name__ == "__main__":
    main()
