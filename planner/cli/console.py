"""What the command line draws: progress bars and warnings for long jobs (the
:class:`planner.errors.Progress` hooks drawn with rich), and the KPI table. Every user-provided
string is escaped before it reaches rich's markup (class names like ``[key]`` would be eaten)."""

from __future__ import annotations

import contextlib

from rich.console import Console
from rich.markup import escape as rich_escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from planner.errors import Progress as ProgressHooks

console = Console(stderr=True)
out = Console()


def escape(s: str) -> str:
    """``s`` with rich markup escaped (user text shown as typed)."""
    return rich_escape(str(s))


class RichProgress(ProgressHooks):
    """Progress bars and messages for long steps (see :class:`planner.workflows.run.Progress`)."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet

    def step(self, message: str) -> None:
        if not self.quiet:
            console.print(f"[bold]>[/bold] {message}")

    @contextlib.contextmanager
    def task(self, description: str, total: int):
        if self.quiet:
            yield lambda n=1: None
            return
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(), console=console, transient=False) as p:
            tid = p.add_task(description, total=total)
            yield lambda n=1: p.advance(tid, n)

    def warn(self, message: str) -> None:
        console.print(f"[yellow]warning:[/yellow] {escape(message)}", soft_wrap=True)


def kpi_table(kpis: dict, title: str) -> Table:
    g = kpis["global"]
    base = kpis.get("baseline", {}).get("global")
    t = Table(title=title)
    t.add_column("KPI")
    t.add_column("plan", justify="right")
    if base:
        t.add_column("administrative baseline", justify="right")

    def fmt(k, v):
        if v is None:
            return "-"
        if k in ("imbalance", "travel_share", "key_frequency_compliance"):
            return f"{100 * v:.1f} %"
        if isinstance(v, float):
            return f"{v:,.1f}"
        return f"{v:,}"

    for k in ("retailers", "managers", "visits_required", "visits_planned", "unplanned_visits", "imbalance",
              "travel_share", "key_frequency_compliance", "travel_hours", "service_hours", "compactness_min",
              "service_radius_p95_min"):
        row = [k, fmt(k, g.get(k))]
        if base:
            row.append(fmt(k, base.get(k)))
        t.add_row(*row)
    for c, v in sorted(g.get("frequency_compliance", {}).items()):
        row = [escape(f"frequency_compliance[{c}]"), fmt("travel_share", v)]
        if base:
            row.append(fmt("travel_share", base.get("frequency_compliance", {}).get(c)))
        t.add_row(*row)
    return t
