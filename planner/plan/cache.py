"""The calendar cache of the plan store: calendars solved for the administrative baseline, kept
in ``<store>/.cache/calendars/<key>.pkl`` so that a what-if run on the same inputs (another
territory setting, another tolerance) does not solve the baseline's calendars again.

A key is the hash of the whole calendar problem, the method, stop rule, seed, solver parameters
and the engine's code (:func:`planner.design.calendars.calendar_key`): a change to the inputs, to
any scenario setting that reaches the calendar, to the seed or to the engine gives new keys, so a
stale calendar is never reused. A reused calendar goes through the rest of the pipeline exactly
as a solved one (plan tables, KPIs, the independent validator, the reports); the baseline's
``manifest.json`` -> ``calendar_cache`` says how many calendars were reused.

The files are pickles of the engine's results written by this program into the user's own plan
store (read back only from there); delete ``.cache`` to reclaim the space: it only costs time.
"""

from __future__ import annotations

import pickle
from pathlib import Path

from planner.plan.files import atomic_file
from solvers.schedule.problem import ScheduleResult

CACHE_DIR = ".cache/calendars"


class StoreCalendarCache:
    """:class:`planner.design.calendars.CalendarCache` in a plan store's ``.cache/calendars``."""

    def __init__(self, store: Path) -> None:
        self.folder = Path(store) / CACHE_DIR
        self.reused = 0
        self.solved = 0

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.pkl"

    def get(self, key: str) -> ScheduleResult | None:
        p = self._path(key)
        try:
            data = p.read_bytes()
        except OSError:
            return None
        try:
            res = pickle.loads(data)
        except Exception:  # noqa: BLE001 - a damaged or foreign file is a cache miss, solved again
            return None
        if not isinstance(res, ScheduleResult):
            return None
        self.reused += 1
        return res

    def put(self, key: str, result: ScheduleResult) -> None:
        self.solved += 1
        try:
            atomic_file(self._path(key), pickle.dumps(result, protocol=5), overwrite=True)
        except OSError:  # a read-only store still plans; it only does not cache
            pass

    def record(self) -> dict:
        """``manifest.json`` -> ``calendar_cache``."""
        return {"folder": str(self.folder), "reused": self.reused, "solved": self.solved}


__all__ = ["StoreCalendarCache", "CACHE_DIR"]
