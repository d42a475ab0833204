"""The edits: requests checked and turned into changes of the assignment, applied forwards and
backwards, and the edit log that undo and redo walk without limit.

An edit request is a JSON object with an ``op``:

=========  ===========================================  ==============================================
op         fields                                       what it does
=========  ===========================================  ==============================================
move       ``retailers`` (ids), ``to`` (owner id)       the retailers change owner
lock       ``retailers``                                the retailers are pinned to their owner
unlock     ``retailers``                                the planner's pins are removed
swap       ``managers`` (two owner ids)                 the two territories change owners
vacant     ``manager`` (an input manager)               the territory becomes a vacant position
                                                        (base at the territory's central retailer),
                                                        the manager is left without a territory
=========  ===========================================  ==============================================

every request may carry ``user`` (who made it). A request that cannot be carried out changes
nothing and raises :class:`EditorError` with the HTTP status to answer: 422 for a malformed body,
404 for an unknown retailer or owner, 409 for a conflict (a locked retailer would move, nothing
would change). Locks of the scenario's lock file (``inputs.locked``) cannot be removed; no edit
moves a locked retailer (swap and vacant included: unlock first).

A :class:`Change` records everything an edit did (owner and lock of each retailer before and
after, owners it added), so that undo is exact; re-optimisation results are changes too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from planner.config.scenario import parse_clock
from planner.design.territories import Slot
from planner.editor.source import EditorError

OPS = {"move": ("retailers", "to"), "lock": ("retailers",), "unlock": ("retailers",), "swap": ("managers",),
       "vacant": ("manager",)}
EMPTY = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """What one edit changed (retailer indices and owner/lock slot indices, -1 = no lock)."""

    idx: np.ndarray = field(default_factory=lambda: EMPTY)
    before: np.ndarray = field(default_factory=lambda: EMPTY)
    after: np.ndarray = field(default_factory=lambda: EMPTY)
    lock_idx: np.ndarray = field(default_factory=lambda: EMPTY)
    lock_before: np.ndarray = field(default_factory=lambda: EMPTY)
    lock_after: np.ndarray = field(default_factory=lambda: EMPTY)
    new_slots: tuple[Slot, ...] = ()

    @property
    def touched(self) -> np.ndarray:
        """Owner slots whose territory this change alters."""
        return np.unique(np.concatenate([self.before, self.after]))


@dataclass
class Entry:
    """One edit of the log: the request as made, who and when, and the change."""

    op: str
    request: dict
    user: str
    time: str
    change: Change
    planner: bool = True  # made by the planner (False: a re-optimisation result)


@dataclass
class State:
    """The edited assignment: owners, locks and the planner's moves in effect."""

    slots: list[Slot]
    owner: np.ndarray  # (R,) slot per retailer
    lock: np.ndarray  # (R,) slot a retailer is pinned to, -1 if none
    fixed: np.ndarray  # (R,) bool: pinned by the scenario's lock file (cannot be unlocked)
    edited: np.ndarray  # (R,) planner moves in effect (re-optimisation keeps these retailers)
    ids: dict[str, int] = field(default_factory=dict)  # retailer id -> index

    def slot_index(self) -> dict[str, int]:
        return {s.manager_id: k for k, s in enumerate(self.slots)}

    def apply(self, ch: Change, *, planner: bool, forward: bool = True) -> None:
        if forward:
            self.slots.extend(ch.new_slots)
            self.owner[ch.idx] = ch.after
            self.lock[ch.lock_idx] = ch.lock_after
            if planner:
                np.add.at(self.edited, ch.idx, 1)
        else:
            self.owner[ch.idx] = ch.before
            self.lock[ch.lock_idx] = ch.lock_before
            if planner:
                np.add.at(self.edited, ch.idx, -1)
            if ch.new_slots:
                del self.slots[len(self.slots) - len(ch.new_slots):]

    def locked_ids(self) -> dict[str, str]:
        """retailer id -> owner id of every pinned retailer (lock file and planner)."""
        rid = list(self.ids)
        return {rid[i]: self.slots[int(self.lock[i])].manager_id for i in np.flatnonzero(self.lock >= 0)}


class EditLog:
    """Applied edits and the redo tail; a new edit drops the tail."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.applied = 0

    @property
    def can_undo(self) -> bool:
        return self.applied > 0

    @property
    def can_redo(self) -> bool:
        return self.applied < len(self.entries)

    def push(self, state: State, entry: Entry) -> None:
        del self.entries[self.applied:]
        self.entries.append(entry)
        state.apply(entry.change, planner=entry.planner)
        self.applied += 1

    def undo(self, state: State) -> Entry:
        if not self.can_undo:
            raise EditorError("nothing to undo", 409)
        self.applied -= 1
        e = self.entries[self.applied]
        state.apply(e.change, planner=e.planner, forward=False)
        return e

    def redo(self, state: State) -> Entry:
        if not self.can_redo:
            raise EditorError("nothing to redo", 409)
        e = self.entries[self.applied]
        state.apply(e.change, planner=e.planner)
        self.applied += 1
        return e

    def active(self) -> list[Entry]:
        return self.entries[: self.applied]


# --- requests ---------------------------------------------------------------------------------

def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def check_body(body: object) -> tuple[str, dict]:
    """``(op, body)`` of a well-formed request, else :class:`EditorError` 422 naming the problem."""
    if not isinstance(body, dict):
        raise EditorError("an edit is a JSON object with an 'op' (move, lock, unlock, swap, vacant)")
    op = body.get("op")
    if op not in OPS:
        raise EditorError(f"unknown op {op!r}: use one of {', '.join(OPS)}")
    need = OPS[op]
    allowed = set(need) | {"op", "user"}
    extra = sorted(set(body) - allowed)
    if extra:
        raise EditorError(f"op {op} does not take {', '.join(extra)} (it takes {', '.join(need)})")
    missing = [k for k in need if k not in body]
    if missing:
        raise EditorError(f"op {op} needs {', '.join(missing)}")
    if "user" in body and not isinstance(body["user"], str):
        raise EditorError("user must be a string")
    if "retailers" in need:
        v = body["retailers"]
        if not isinstance(v, list) or not v or not all(isinstance(x, str) for x in v):
            raise EditorError("retailers must be a non-empty list of retailer ids (strings)")
    for k in ("to", "manager"):
        if k in need and not isinstance(body[k], str):
            raise EditorError(f"{k} must be a manager id (a string)")
    if op == "swap":
        v = body["managers"]
        if not isinstance(v, list) or len(v) != 2 or not all(isinstance(x, str) for x in v) or v[0] == v[1]:
            raise EditorError("swap needs managers: a list of two different manager ids")
    return op, body


def retailer_indices(state: State, ids: list[str]) -> np.ndarray:
    unknown = [x for x in ids if x not in state.ids]
    if unknown:
        shown = ", ".join(unknown[:10]) + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
        raise EditorError(f"unknown retailer{'s' if len(unknown) > 1 else ''} {shown}", 404)
    return np.unique(np.array([state.ids[x] for x in ids], dtype=np.int64))


def owner_index(state: State, mid: str) -> int:
    index = state.slot_index()
    if mid not in index:
        raise EditorError(f"unknown manager {mid!r} (managers: {', '.join(sorted(index))})", 404)
    return index[mid]


def refuse_locked(state: State, idx: np.ndarray, what: str) -> None:
    locked = idx[state.lock[idx] >= 0]
    if len(locked):
        rid = list(state.ids)
        shown = ", ".join(rid[i] for i in locked[:10]) + (f" and {len(locked) - 10} more" if len(locked) > 10 else "")
        raise EditorError(f"{what}: {len(locked)} locked retailer{'s' if len(locked) > 1 else ''} would move "
                          f"({shown}); unlock {'them' if len(locked) > 1 else 'it'} first", 409)


def moves(state: State, idx: np.ndarray, to: np.ndarray | int) -> Change:
    after = np.broadcast_to(np.asarray(to, dtype=np.int64), idx.shape).copy()
    keep = state.owner[idx] != after
    idx, after = idx[keep], after[keep]
    return Change(idx=idx, before=state.owner[idx].copy(), after=after)


def vacant_slot(state: State, k: int, ctx) -> Slot:
    """A vacant position for slot ``k``'s territory, based at its retailer nearest the
    workload-weighted centre (the validator wants a vacant base at a retailer)."""
    units = np.flatnonzero(state.owner == k)
    xy = ctx.ds.retailers[["x", "y"]].to_numpy()[units]
    w = ctx.work.total_s[units].astype(float)
    centre = np.average(xy, axis=0, weights=w if w.sum() > 0 else None)
    base = int(units[np.argmin(((xy - centre) ** 2).sum(axis=1))])
    taken = {s.manager_id for s in state.slots}
    name = f"VACANT-{state.slots[k].manager_id}"
    n, cand = 1, name
    while cand in taken:
        n += 1
        cand = f"{name}-{n}"
    r = ctx.ds.retailers
    cal = ctx.loaded.scenario.calendar
    return Slot(cand, "vacant", base, float(r["lon"].iat[base]), float(r["lat"].iat[base]),
                parse_clock(cal.shift.start), parse_clock(cal.shift.end), cal.max_visits_per_day, True)


def change_for(state: State, body: object, ctx) -> tuple[str, dict, Change]:
    """Check ``body`` against ``state`` and return ``(op, normalised request, change)``."""
    op, body = check_body(body)
    req = {k: body[k] for k in OPS[op]}
    if op == "move":
        idx = retailer_indices(state, body["retailers"])
        k = owner_index(state, body["to"])
        refuse_locked(state, idx[state.owner[idx] != k], "move")
        ch = moves(state, idx, k)
        if not len(ch.idx):
            raise EditorError(f"nothing to move: the retailers are already with {body['to']}", 409)
    elif op in ("lock", "unlock"):
        idx = retailer_indices(state, body["retailers"])
        if op == "lock":
            idx = idx[state.lock[idx] < 0]
            after = state.owner[idx].copy()
        else:
            fixed = idx[state.fixed[idx]]
            if len(fixed):
                rid = list(state.ids)
                raise EditorError(f"{', '.join(rid[i] for i in fixed[:10])} "
                                  f"{'are' if len(fixed) > 1 else 'is'} locked by the scenario's lock file "
                                  "(inputs.locked); edit that file to unlock", 409)
            idx = idx[state.lock[idx] >= 0]
            after = np.full(len(idx), -1, dtype=np.int64)
        if not len(idx):
            raise EditorError(f"nothing to {op}: the retailers are already {op}ed", 409)
        ch = Change(lock_idx=idx, lock_before=state.lock[idx].copy(), lock_after=after)
    elif op == "swap":
        a, b = (owner_index(state, m) for m in body["managers"])
        ia, ib = np.flatnonzero(state.owner == a), np.flatnonzero(state.owner == b)
        refuse_locked(state, np.concatenate([ia, ib]), "swap")
        if not len(ia) and not len(ib):
            raise EditorError("nothing to swap: both territories are empty", 409)
        idx = np.concatenate([ia, ib])
        ch = Change(idx=idx, before=state.owner[idx].copy(),
                    after=np.concatenate([np.full(len(ia), b), np.full(len(ib), a)]).astype(np.int64))
    else:  # vacant
        k = owner_index(state, body["manager"])
        if state.slots[k].vacant:
            raise EditorError(f"{body['manager']} is already a vacant position", 409)
        idx = np.flatnonzero(state.owner == k)
        if not len(idx):
            raise EditorError(f"{body['manager']} has no territory to leave vacant", 409)
        refuse_locked(state, idx, "vacant")
        slot = vacant_slot(state, k, ctx)
        ch = Change(idx=idx, before=state.owner[idx].copy(), after=np.full(len(idx), len(state.slots), dtype=np.int64),
                    new_slots=(slot,))
    return op, req, ch


# --- serialisation (the working file and edits.json) -------------------------------------------

def entry_json(state_slots: list[Slot], rid: np.ndarray, e: Entry) -> dict:
    """An entry in JSON: the request, who/when, and every retailer's change by id."""
    ch = e.change
    every = list(state_slots)

    def name(k: int) -> str | None:
        return None if k < 0 else every[k].manager_id

    return {"op": e.op, "request": e.request, "user": e.user, "time": e.time, "planner": e.planner,
            "moves": [[str(rid[i]), name(int(a)), name(int(b))] for i, a, b in zip(ch.idx, ch.before, ch.after,
                                                                                   strict=True)],
            "locks": [[str(rid[i]), name(int(a)), name(int(b))] for i, a, b in
                      zip(ch.lock_idx, ch.lock_before, ch.lock_after, strict=True)],
            "new_positions": [{"manager_id": s.manager_id, "base_retailer": str(rid[s.base_loc])}
                              for s in ch.new_slots]}


def entry_from_json(state: State, d: dict, ctx) -> Entry:
    """The inverse of :func:`entry_json` on ``state`` as it is before the entry (replay)."""
    r = ctx.ds.retailers
    cal = ctx.loaded.scenario.calendar
    new = tuple(Slot(p["manager_id"], "vacant", state.ids[p["base_retailer"]],
                     float(r["lon"].iat[state.ids[p["base_retailer"]]]), float(r["lat"].iat[state.ids[p["base_retailer"]]]),
                     parse_clock(cal.shift.start), parse_clock(cal.shift.end), cal.max_visits_per_day, True)
                for p in d.get("new_positions", []))
    index = {s.manager_id: k for k, s in enumerate(list(state.slots) + list(new))}

    def k(m):
        return -1 if m is None else index[m]

    mv, lk = d.get("moves", []), d.get("locks", [])
    ch = Change(idx=np.array([state.ids[x[0]] for x in mv], dtype=np.int64),
                before=np.array([k(x[1]) for x in mv], dtype=np.int64), after=np.array([k(x[2]) for x in mv], dtype=np.int64),
                lock_idx=np.array([state.ids[x[0]] for x in lk], dtype=np.int64),
                lock_before=np.array([k(x[1]) for x in lk], dtype=np.int64),
                lock_after=np.array([k(x[2]) for x in lk], dtype=np.int64), new_slots=new)
    return Entry(op=d["op"], request=d.get("request", {}), user=d.get("user", ""), time=d.get("time", ""), change=ch,
                 planner=bool(d.get("planner", True)))
