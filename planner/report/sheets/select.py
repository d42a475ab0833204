"""Which route sheets to make, and their file names.

A manager's sheets are ``<manager_id>.html`` and ``<manager_id>.xlsx``; characters other than
letters (any script), digits, ``.``, ``-`` and ``_`` in the id become ``_`` so that every id gives a
valid file name on every system (ids that differ only in such characters would share a file).
``--managers M1,M2`` and ``--days 2027-01-04..2027-01-08`` (a range, a date, or dates separated by
commas) select a subset.
"""

from __future__ import annotations

import datetime as dt
import re

from planner.errors import PlannerError

_UNSAFE = re.compile(r"[^\w.\-]", re.UNICODE)


def sheet_file(manager_id: str, ext: str) -> str:
    """``<manager_id>.<ext>`` with characters unsafe in file names replaced by ``_``."""
    stem = _UNSAFE.sub("_", str(manager_id)).strip(".") or "_"
    return f"{stem}.{ext}"


def parse_ids(text: str | None) -> list[str] | None:
    """``"M1,M2"`` -> ``["M1", "M2"]``; ``None`` for no selection."""
    if text is None:
        return None
    ids = [x.strip() for x in str(text).split(",") if x.strip()]
    if not ids:
        raise PlannerError("--managers names no manager; give ids separated by commas, e.g. CM01,CM02")
    return ids


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise PlannerError(f"--days: {text.strip()!r} is not a date like 2027-01-04") from None


def parse_days(text: str | None) -> set[str] | None:
    """The ISO dates of ``2027-01-04..2027-01-08`` (inclusive), ``2027-01-04`` or
    ``2027-01-04,2027-01-06``; ``None`` for no selection."""
    if text is None:
        return None
    out: set[str] = set()
    for part in str(text).split(","):
        if not part.strip():
            continue
        if ".." in part:
            a, b = (_date(x) for x in part.split("..", 1))
            if b < a:
                raise PlannerError(f"--days: the range {part.strip()} ends before it starts")
            out.update((a + dt.timedelta(days=k)).isoformat() for k in range((b - a).days + 1))
        else:
            out.add(_date(part).isoformat())
    if not out:
        raise PlannerError("--days names no date; e.g. 2027-01-04..2027-01-08")
    return out


__all__ = ["sheet_file", "parse_ids", "parse_days"]
