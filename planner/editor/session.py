"""An editing session: one opened plan, its edited state, live figures and edit log, kept in the
plan store's working area so that unsaved edits survive a reload or a restart of the editor.

The working file is ``<store>/.editor/<plan id>-<manifest sha256[:12]>.jsonl``: one JSON event a
line (``edit`` with the full change, ``undo``, ``redo``, ``discard``, ``saved``), appended as they
happen. Opening the same plan again replays it, so the edits made since the last save are offered
back (:attr:`Session.recovered`); ``discard`` returns to the plan as saved. The store's plan
listing skips the hidden ``.editor`` folder.

Every method is thread-safe (one lock): the API, background re-optimisation and save share the
session.
"""

from __future__ import annotations

import getpass
import json
import threading
from pathlib import Path

import numpy as np

from planner.editor.edits import EditLog, Entry, State, change_for, entry_from_json, entry_json, now
from planner.editor.figures import Design, Figures
from planner.editor.source import EditorError, Source

NUMERIC = ("retailers", "key_customers", "visits_required", "workload_hours", "deviation", "compactness_min",
           "service_radius_p95_min", "parts")
MAX_WARNINGS = 200


def default_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (containers)
        return "planner"


class Session:
    """The state of one plan being edited (see the module docstring)."""

    def __init__(self, source: Source, *, user: str | None = None, restore: bool = True) -> None:
        self.src = source
        self.user = user or default_user()
        self.lock = threading.RLock()
        ctx = source.ctx
        rid = source.retailer_ids
        R = len(rid)
        index = {s.manager_id: k for k, s in enumerate(source.slots)}
        lock = np.full(R, -1, dtype=np.int64)
        fixed = np.zeros(R, dtype=bool)
        ids = {x: i for i, x in enumerate(rid)}
        for x, m in ctx.ds.locked.items():
            if x in ids and m in index:
                lock[ids[x]] = index[m]
                fixed[ids[x]] = True
        self.initial_slots = list(source.slots)
        self.initial_lock = lock.copy()
        self.state = State(slots=list(source.slots), owner=source.owner.copy(), lock=lock, fixed=fixed,
                           edited=np.zeros(R, dtype=np.int64), ids=ids)
        self.log = EditLog()
        self.design = Design.of(ctx)
        self.figures = Figures(self.design, self.state.slots, self.state.owner, self.state.lock)
        self.version = 0
        self.warning_keys: set[str] = {w["key"] for w in self.figures.warnings()}
        self.initial_managers = {m["manager_id"]: m for m in self.figures.managers()}
        self.recovered: dict | None = None
        self.saved: list[str] = []
        self.workfile = source.store / ".editor" / f"{source.plan_id}-{source.previous.manifest_sha256[:12]}.jsonl"
        if restore:
            self.replay()

    # -- the working file ------------------------------------------------------------------------
    def record(self, event: dict) -> None:
        self.workfile.parent.mkdir(parents=True, exist_ok=True)
        with open(self.workfile, "a", encoding="utf-8") as f:
            f.write(json.dumps(event, ensure_ascii=False) + "\n")

    def replay(self) -> None:
        """Apply the working file's events (unsaved edits of an earlier session). A file whose last
        event is a save or a discard holds nothing unsaved: the session starts from the plan and the
        file is removed; a damaged file is kept aside (``.damaged``)."""
        if not self.workfile.is_file():
            return
        try:
            events = [json.loads(line) for line in self.workfile.read_text(encoding="utf-8").splitlines() if line.strip()]
        except (OSError, ValueError):
            events = None
        if events is not None and events and events[-1].get("event") not in ("saved", "discard"):
            try:
                self.apply_events(events)
            except (KeyError, ValueError, IndexError, TypeError, EditorError):
                events = None
        if not events or events[-1].get("event") in ("saved", "discard"):
            self.reset_state()
            if events is None:
                self.workfile.replace(self.workfile.with_suffix(".damaged"))
            else:
                self.workfile.unlink(missing_ok=True)
            return
        self.figures.rebuild(self.state.slots, self.state.owner, self.state.lock)
        self.warning_keys = {w["key"] for w in self.figures.warnings()}
        if self.log.entries:
            last = next((ev.get("time") for ev in reversed(events) if ev.get("time")), None)
            self.recovered = {"edits": self.log.applied, "redo": len(self.log.entries) - self.log.applied,
                              "time": last}

    def apply_events(self, events: list[dict]) -> None:
        for ev in events:
            kind = ev.get("event")
            if kind == "edit":
                self.log.push(self.state, entry_from_json(self.state, ev["entry"], self.src.ctx))
            elif kind == "undo":
                self.log.undo(self.state)
            elif kind == "redo":
                self.log.redo(self.state)
            elif kind == "discard":
                self.reset_state()
            elif kind == "saved":
                self.saved.append(ev.get("plan_dir", ""))

    def reset_state(self) -> None:
        st = self.state
        st.slots[:] = list(self.initial_slots)
        st.owner[:] = self.src.owner
        st.lock[:] = self.initial_lock
        st.edited[:] = 0
        self.log = EditLog()

    # -- reading -------------------------------------------------------------------------------
    def plan_json(self) -> dict:
        """``GET /api/plan``: retailers (owner, lock, class, location, block and design facts),
        owners and figures."""
        with self.lock:
            ctx, st = self.src.ctx, self.state
            r = ctx.ds.retailers
            rid = self.src.retailer_ids
            cls = r["class"].astype(str).to_numpy()
            lon, lat = r["lon"].to_numpy(float), r["lat"].to_numpy(float)
            mkt, dst = r["market"].astype(str).to_numpy(), r["district"].astype(str).to_numpy()
            names = r["name"].astype(str).to_numpy() if "name" in r else np.full(len(r), "")
            owner_ids = [s.manager_id for s in st.slots]
            w = self.design.w
            retailers = [
                {"retailer_id": rid[i], "manager_id": owner_ids[st.owner[i]], "locked": bool(st.lock[i] >= 0),
                 "fixed": bool(st.fixed[i]), "class": cls[i], "lon": round(float(lon[i]), 6),
                 "lat": round(float(lat[i]), 6), "market": mkt[i], "district": dst[i], "name": names[i],
                 "workload_s": round(float(w[i]), 1), "visits": int(self.design.visits[i]), "key": bool(self.design.key[i])}
                for i in range(len(rid))]
            sc = ctx.loaded.scenario
            return {"plan": {"id": self.src.plan_id, "folder": str(self.src.folder), "scenario": sc.name,
                             "store": str(self.src.store), "key_classes": sorted(sc.key_class_set),
                             "classes": sorted(sc.classes), "work_days": self.design.work_days},
                    "retailers": retailers, "managers": self.owners_json(), **self.status_json(),
                    "figures": self.figures_json(), "recovered": self.recovered, "saved": list(self.saved)}

    def owners_json(self) -> list[dict]:
        return [{"manager_id": s.manager_id, "team": s.team, "vacant": bool(s.vacant), "lon": s.lon, "lat": s.lat,
                 "base_retailer": None if s.base_loc >= len(self.state.owner) else self.src.retailer_ids[s.base_loc]}
                for s in self.state.slots]

    def status_json(self) -> dict:
        return {"version": self.version, "can_undo": self.log.can_undo, "can_redo": self.log.can_redo,
                "edits": self.log.applied, "log": [{"op": e.op, "request": e.request, "user": e.user, "time": e.time,
                                                    "planner": e.planner, "moved": int(len(e.change.idx))}
                                                   for e in self.log.active()][-50:]}

    def figures_json(self, *, previous: dict | None = None) -> dict:
        mgr = self.figures.managers()
        plan = self.figures.plan(mgr)
        warnings = self.figures.warnings(mgr)
        for m in mgr:
            before = (previous or {}).get(m["manager_id"])
            start = self.initial_managers.get(m["manager_id"])
            m["change"] = {k: diff(m.get(k), None if before is None else before.get(k)) for k in NUMERIC} \
                if previous is not None else {}
            m["since_opened"] = {k: diff(m.get(k), None if start is None else start.get(k)) for k in NUMERIC}
        keys = {w["key"] for w in warnings}
        for w in warnings:
            w["new"] = w["key"] not in self.warning_keys
        resolved = sorted(self.warning_keys - keys)
        self.warning_keys = keys
        warnings.sort(key=lambda w: (not w["new"], w["kind"] == "market", w["key"]))
        return {"plan": plan, "managers": mgr, "warnings": warnings[:MAX_WARNINGS], "warnings_total": len(warnings),
                "resolved": resolved[:MAX_WARNINGS]}

    # -- editing -------------------------------------------------------------------------------
    def result(self, previous: dict, entry: Entry | None, *, touched: np.ndarray | None = None) -> dict:
        self.version += 1
        out = {**self.status_json(), "figures": self.figures_json(previous=previous)}
        if entry is not None:
            ch = entry.change
            ids = self.src.retailer_ids
            st = self.state
            idx = np.unique(np.concatenate([ch.idx, ch.lock_idx]))
            out["changed"] = {"retailers": [[ids[i], st.slots[int(st.owner[i])].manager_id, bool(st.lock[i] >= 0)]
                                            for i in idx],
                              "managers": [st.slots[int(k)].manager_id for k in (touched if touched is not None else [])
                                           if int(k) < len(st.slots)]}
            if ch.new_slots:
                out["owners"] = self.owners_json()
        else:
            out["owners"] = self.owners_json()
        return out

    def before(self) -> dict:
        return {m["manager_id"]: m for m in self.figures.managers()}

    def sync(self, entry: Entry, *, forward: bool) -> np.ndarray:
        ch = entry.change
        if forward:
            return self.figures.apply(self.state.slots, ch.idx, ch.before, ch.after, ch.lock_idx, ch.lock_after)
        return self.figures.apply(self.state.slots, ch.idx, ch.after, ch.before, ch.lock_idx, ch.lock_before)

    def edit(self, body: object) -> dict:
        """``POST /api/edits``: apply one edit (see :mod:`planner.editor.edits`)."""
        with self.lock:
            op, req, ch = change_for(self.state, body, self.src.ctx)
            user = body.get("user") or self.user if isinstance(body, dict) else self.user
            return self.push(Entry(op=op, request=req, user=str(user), time=now(), change=ch))

    def push(self, entry: Entry) -> dict:
        with self.lock:
            previous = self.before()
            self.log.push(self.state, entry)
            touched = self.sync(entry, forward=True)
            self.record({"event": "edit", "time": entry.time,
                         "entry": entry_json(self.state.slots, self.src.retailer_ids, entry)})
            self.recovered = None
            return self.result(previous, entry, touched=touched)

    def undo(self) -> dict:
        with self.lock:
            previous = self.before()
            e = self.log.undo(self.state)
            touched = self.sync(e, forward=False)
            self.record({"event": "undo", "time": now()})
            return {**self.result(previous, e, touched=touched), "undone": e.op}

    def redo(self) -> dict:
        with self.lock:
            previous = self.before()
            e = self.log.redo(self.state)
            touched = self.sync(e, forward=True)
            self.record({"event": "redo", "time": now()})
            return {**self.result(previous, e, touched=touched), "redone": e.op}

    def discard(self) -> dict:
        """Drop every unsaved edit: back to the plan as opened."""
        with self.lock:
            previous = self.before()
            self.reset_state()
            self.figures.rebuild(self.state.slots, self.state.owner, self.state.lock)
            self.record({"event": "discard", "time": now()})
            self.recovered = None
            return self.result(previous, None)

    def snapshot(self) -> tuple[int, list, np.ndarray, np.ndarray, np.ndarray, list[Entry]]:
        """(version, slots, owner, lock, edited, active entries) copied under the lock."""
        with self.lock:
            st = self.state
            return (self.version, list(st.slots), st.owner.copy(), st.lock.copy(), st.edited.copy(),
                    list(self.log.active()))

    def mark_saved(self, plan_dir: Path) -> None:
        with self.lock:
            self.saved.append(str(plan_dir))
            self.record({"event": "saved", "time": now(), "plan_dir": str(plan_dir)})

    def routes_json(self, manager_id: str, day: int | None = None) -> dict:
        """The opened plan's day routes of one owner (``stale`` when the territory changed since)."""
        with self.lock:
            index = self.state.slot_index()
            if manager_id not in index:
                raise EditorError(f"unknown manager {manager_id!r}", 404)
            k = index[manager_id]
            parent_k = {s.manager_id: j for j, s in enumerate(self.initial_slots)}.get(manager_id)
            stale = parent_k is None or not np.array_equal(self.state.owner == k, self.src.owner == parent_k)
        feats = [f for f in self.src.plan.routes if f["properties"].get("manager_id") == manager_id
                 and (day is None or int(f["properties"].get("day_index", -1)) == day)]
        return {"manager_id": manager_id, "stale": bool(stale), "type": "FeatureCollection", "features": feats}


def diff(a, b):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a - b
    return None
