"""Findings and the validation report: what is wrong, in which file and row, found by which check.

A :class:`Finding` names the plan file (``visits.csv``, ``kpis.json``, ...), the row in it (CSV:
the line number, header = row 1; GeoJSON: the feature number, first = 1, shown as ``feature``;
``None`` when the problem is something *missing* from the file) and the check that found it.
Check names::

    inputs        the scenario or an input file changed or disappeared since the plan was made
    format        a plan file holds a value that is not a number, a clock time or a known id
    horizon       days and dates against the calendar
    assignment    every retailer in exactly one territory, of a known manager; locks
    managers      bases, teams and shifts against the managers input
    routes        one route per manager and day, from and to the base, own retailers, visit limit
    timing        travel and service times, arrivals and departures, shifts
    opening_hours every visit inside an opening window of its weekday
    breaks        every due break fits in the idle time of its route
    frequency     planned + listed unplanned visits = required visits
    pattern       the visit days are part of an allowed regular pattern
    unplanned     unplanned visits: known reason, owner, class and day
    kpis          every KPI in kpis.json against the validator's own recomputation
    territories   territories.geojson counts and estimates
    targets       targets.csv against the plan tables and the design's workload estimate
    service_vacuum  kpis.json service_vacuum against the administrative rule and the base travel times
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

MAX_ERRORS = 5000
MAX_WARNINGS = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One problem found in a plan folder."""

    check: str
    message: str
    file: str | None = None
    row: int | None = None
    manager_id: str | None = None
    retailer_id: str | None = None
    day_index: int | None = None

    def as_dict(self) -> dict:
        """The finding as a JSON object: check, message, file and row always (``null`` when unknown),
        manager, retailer and day when known."""
        out = {"check": self.check, "message": self.message, "file": self.file, "row": self.row}
        for k in ("manager_id", "retailer_id", "day_index"):
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        return out

    def where(self) -> str:
        """``visits.csv row 17`` / ``routes.geojson feature 3`` / ``kpis.json`` / ``""``."""
        if self.file is None:
            return ""
        if self.row is None:
            return self.file
        unit = "feature" if self.file.endswith(".geojson") else "row"
        return f"{self.file} {unit} {self.row}"

    def line(self, prefix: str = "") -> str:
        """One summary line: ``visits.csv row 17 [timing] message (manager M1, retailer R1, day 3)``."""
        ctx = [f"{label} {v}" for label, v in (("manager", self.manager_id), ("retailer", self.retailer_id),
                                                 ("day", self.day_index)) if v is not None]
        where = self.where()
        head = f"{prefix}{where} " if where else prefix
        return f"{head}[{self.check}] {self.message}" + (f" ({', '.join(ctx)})" if ctx else "")


@dataclass
class ValidationReport:
    """Every finding of one plan folder, what was checked, and the reports of its sub-plans.

    ``checked`` counts the items each check looked at; ``unmet`` lists the plan's unplanned
    visits (with their reasons); ``sub_reports`` holds the report of each sub-plan folder
    (``baseline``) and ``subs`` its summary as written to ``validation.json``.
    """

    folder: str
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    unmet: list[dict] = field(default_factory=list)
    subs: dict[str, dict] = field(default_factory=dict)
    sub_reports: dict[str, ValidationReport] = field(default_factory=dict)
    dropped: int = 0

    @property
    def ok(self) -> bool:
        """No error here and every sub-plan valid."""
        return not self.errors and not self.dropped and all(s.get("ok", False) for s in self.subs.values())

    @property
    def baseline(self) -> ValidationReport | None:
        """The report of the ``baseline/`` sub-plan, if it was validated."""
        return self.sub_reports.get("baseline")

    def error(self, check: str, message: str, *, file: str | None = None, row: int | None = None,
              manager_id: str | None = None, retailer_id: str | None = None, day_index: int | None = None) -> None:
        """Record an error (at most :data:`MAX_ERRORS` are kept; the rest are counted)."""
        if len(self.errors) >= MAX_ERRORS:
            self.dropped += 1
            return
        self.errors.append(Finding(check=check, message=message, file=file, row=row, manager_id=manager_id,
                                   retailer_id=retailer_id, day_index=day_index))

    def warn(self, check: str, message: str, *, file: str | None = None, row: int | None = None, **kw) -> None:
        """Record a warning: something worth knowing that does not make the plan invalid."""
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(Finding(check=check, message=message, file=file, row=row, **kw))

    def count(self, check: str, n: int = 1) -> None:
        """Count ``n`` items looked at by ``check``."""
        self.checked[check] = self.checked.get(check, 0) + n

    def merge_sub(self, name: str, sub: ValidationReport) -> None:
        """Attach the report of the sub-plan folder ``name`` (e.g. ``baseline``)."""
        self.sub_reports[name] = sub
        self.subs[name] = {"ok": sub.ok, "errors": len(sub.errors) + sub.dropped}

    def as_dict(self) -> dict:
        """The JSON form written as ``validation.json``."""
        by = Counter(e.check for e in self.errors)
        return {"ok": self.ok, "folder": self.folder, "errors_by_check": dict(sorted(by.items())),
                "checked": dict(sorted(self.checked.items())),
                "errors": [e.as_dict() for e in self.errors[:1000]],
                "warnings": [w.as_dict() for w in self.warnings[:200]],
                "unmet_visits": len(self.unmet), "sub_plans": self.subs,
                **({"errors_not_listed": self.dropped} if self.dropped else {})}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False)

    def write(self, folder) -> None:
        """Write ``validation.json`` into the plan folder, and each sub-plan's into its sub-folder."""
        from pathlib import Path

        for name, sub in self.sub_reports.items():
            sub.write(Path(folder) / name)
        (Path(folder) / "validation.json").write_text(self.to_json(), encoding="utf-8")

    def summary(self, *, max_errors: int = 30) -> str:
        """Text for people: verdict, what was checked, unplanned visits by reason, the first errors."""
        n_err = len(self.errors) + self.dropped
        head = "VALID" if self.ok else f"INVALID ({n_err} errors)"
        checks = ", ".join(f"{k}: {v}" for k, v in sorted(self.checked.items()))
        lines = [f"{head}: {self.folder}", f"  checked {checks}"]
        if self.unmet:
            reasons = Counter(u["reason"] for u in self.unmet)
            lines.append("  unplanned visits: " + ", ".join(f"{r} {c}" for r, c in sorted(reasons.items())))
        shown = shown_errors(self.errors, max_errors)
        lines += [f"  - {e.line()}" for e in shown]
        if n_err > len(shown):
            lines.append(f"  ... and {n_err - len(shown)} more (see validation.json)")
        for name, sub in self.sub_reports.items():
            if sub.ok:
                lines.append(f"  {name}: valid")
                continue
            lines.append(f"  {name}: INVALID ({len(sub.errors) + sub.dropped} errors)")
            sub_shown = shown_errors(sub.errors, 10)
            lines += [f"    - {e.line(f'{name}/' if e.file else '')}" for e in sub_shown]
            if len(sub.errors) + sub.dropped > len(sub_shown):
                lines.append(f"    ... and {len(sub.errors) + sub.dropped - len(sub_shown)} more "
                             f"(see {name}/validation.json)")
        return "\n".join(lines)


def shown_errors(errors: list[Finding], limit: int, per_check: int = 3) -> list[Finding]:
    """The errors a summary shows: the first ``limit``, plus the first ``per_check`` of every check
    not among them (so that each check that failed is seen), in their original order."""
    keep = set(range(min(limit, len(errors))))
    seen: dict[str, int] = {}
    for k, e in enumerate(errors):
        if k in keep:
            seen[e.check] = seen.get(e.check, 0) + 1
        elif seen.get(e.check, 0) < per_check:
            seen[e.check] = seen.get(e.check, 0) + 1
            keep.add(k)
    return [errors[k] for k in sorted(keep)]
