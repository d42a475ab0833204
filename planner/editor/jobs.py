"""Background jobs of the editor: re-optimisation around the planner's edits.

Re-optimisation runs the territory solver from the edited assignment with the re-zoning
machinery (:func:`planner.design.rezone.rezone_territories`): the edited assignment is the
previous plan (every retailer continuing, weight 1), the disruption budget ``max_moved`` bounds
the share of retailers it may move, and these retailers are locked (the solver never moves a
locked unit):

* the scenario's locks (``inputs.locked``) and the planner's locks, to their owner;
* every retailer a planner edit moved (move, swap, vacant) and that has not moved back by undo,
  to its current owner: the planner's edits stand.

The result is checked again (a locked retailer that moved would be put back and reported) and
arrives as one more edit (op ``optimise``, undoable) if the plan did not change while the job
ran; otherwise the job ends ``stale`` and changes nothing. Progress is the share of the time limit
used (the solver stops on it, or earlier on ``max_iterations``).
"""

from __future__ import annotations

import itertools
import threading
import time
import traceback
from dataclasses import dataclass, field

import numpy as np

from planner.design.rezone import RezoneSetup, rezone_territories
from planner.editor.edits import Change, Entry, now
from planner.editor.session import Session
from planner.editor.source import EditorError, with_progress
from planner.errors import PlannerError, Progress

DEFAULT_BUDGET = 0.10


@dataclass
class Job:
    """A background job as ``GET /api/jobs/{id}`` shows it."""

    id: str
    kind: str
    params: dict
    status: str = "queued"  # queued, running, done, stale, failed
    progress: float = 0.0
    message: str = ""
    started: float | None = None
    finished: float | None = None
    time_limit_s: float | None = None
    result: dict | None = None
    warnings: list[str] = field(default_factory=list)

    def json(self) -> dict:
        p = self.progress
        if self.status == "running" and self.time_limit_s and self.started:
            p = min(0.99, max(p, (time.perf_counter() - self.started) / self.time_limit_s))
        return {"id": self.id, "kind": self.kind, "params": self.params, "status": self.status,
                "progress": 1.0 if self.status in ("done", "stale", "failed") else round(p, 3),
                "message": self.message, "warnings": self.warnings[-20:],
                "elapsed_s": None if self.started is None else round((self.finished or time.perf_counter()) - self.started, 2),
                "result": self.result}


class JobProgress(Progress):
    def __init__(self, job: Job) -> None:
        self.job = job

    def step(self, message: str) -> None:
        self.job.message = message

    def warn(self, message: str) -> None:
        self.job.warnings.append(message)


def optimise_params(body: object, session: Session) -> dict:
    """Check the body of ``POST /api/optimise``: ``max_moved`` (share, default 0.10),
    ``time_limit_s`` (default the scenario's territory limit), ``max_iterations``, ``user``."""
    body = {} if body is None else body
    if not isinstance(body, dict):
        raise EditorError("the body must be a JSON object (max_moved, time_limit_s, max_iterations)")
    extra = sorted(set(body) - {"max_moved", "time_limit_s", "max_iterations", "user"})
    if extra:
        raise EditorError(f"optimise does not take {', '.join(extra)} (it takes max_moved, time_limit_s, max_iterations)")
    sv = session.src.ctx.loaded.scenario.solver
    mm = body.get("max_moved", DEFAULT_BUDGET)
    tl = body.get("time_limit_s", sv.territory_time_limit_s)
    it = body.get("max_iterations", sv.max_iterations)
    if not isinstance(mm, (int, float)) or isinstance(mm, bool) or not 0 <= mm <= 1:
        raise EditorError("max_moved must be a share between 0 and 1")
    if not isinstance(tl, (int, float)) or isinstance(tl, bool) or not 0 < tl <= 3600:
        raise EditorError("time_limit_s must be a number of seconds between 0 and 3600")
    if it is not None and (not isinstance(it, int) or isinstance(it, bool) or it < 1):
        raise EditorError("max_iterations must be a positive integer")
    return {"max_moved": float(mm), "time_limit_s": float(tl), "max_iterations": it,
            "user": str(body.get("user") or session.user)}


def reoptimise(session: Session, params: dict, progress: Progress) -> tuple[int, Entry | None, dict]:
    """Solve from a snapshot of the session; returns (snapshot version, the edit or None, info)."""
    version, slots, owner, lock, edited, _ = session.snapshot()
    ctx = session.src.ctx
    sv = ctx.loaded.scenario.solver
    solver = sv.model_copy(update={"territory_time_limit_s": params["time_limit_s"],
                                   "max_iterations": params["max_iterations"]})
    sc = ctx.loaded.scenario.model_copy(update={"solver": solver})
    loaded = type(ctx.loaded)(sc, ctx.loaded.path, ctx.loaded.text)
    job_ctx = with_progress(ctx, progress)
    job_ctx.loaded = loaded
    rid = session.src.retailer_ids
    R = len(rid)
    pin = np.where(lock >= 0, lock, np.where(edited > 0, owner, -1))
    locked = {rid[i]: slots[int(pin[i])].manager_id for i in np.flatnonzero(pin >= 0)}
    setup = RezoneSetup(slots=list(slots), initial=owner.copy(), prev_owner=np.array([slots[k].manager_id for k in owner],
                                                                                      dtype=object),
                        forced=np.full(R, "", dtype=object), weights=np.ones(R), solver_weights=np.ones(R),
                        continuing=np.ones(R, dtype=bool), solver_max_moved_scale=1.0,
                        managers_kept=tuple(s.manager_id for s in slots), managers_left=(), managers_joined=(),
                        new_retailers=0, closed=(), class_changed=None)
    progress.step(f"re-optimising {R} retailers, {len(locked)} locked, at most {100 * params['max_moved']:g} % moved")
    terr = rezone_territories(job_ctx, setup, max_moved=params["max_moved"] if params["max_moved"] < 1 else None,
                              locked=locked)
    new = np.asarray(terr.owner, dtype=np.int64)
    broken = np.flatnonzero((pin >= 0) & (new != pin))
    if len(broken):  # never expected: locked units do not move in the solver
        progress.warn(f"{len(broken)} locked retailers were moved by the solver and are put back")
        new[broken] = pin[broken]
    idx = np.flatnonzero(new != owner)
    info = {"moved": int(len(idx)), "moved_share": float(len(idx) / R) if R else 0.0, "locked": len(locked),
            "method": terr.method, "levels": terr.details.get("levels", []), "locks_restored": int(len(broken))}
    if not len(idx):
        return version, None, info
    ch = Change(idx=idx, before=owner[idx].copy(), after=new[idx])
    req = {k: params[k] for k in ("max_moved", "time_limit_s", "max_iterations")}
    return version, Entry(op="optimise", request=req, user=params["user"], time=now(), change=ch, planner=False), info


class Jobs:
    """Background jobs of one session, run one at a time on a worker thread."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.jobs: dict[str, Job] = {}
        self.ids = itertools.count(1)
        self.lock = threading.Lock()
        self.running: Job | None = None

    def get(self, job_id: str) -> Job:
        if job_id not in self.jobs:
            raise EditorError(f"unknown job {job_id!r}", 404)
        return self.jobs[job_id]

    def optimise(self, body: object) -> Job:
        params = optimise_params(body, self.session)
        with self.lock:
            if self.running is not None:
                raise EditorError(f"job {self.running.id} is still running", 409)
            job = Job(id=str(next(self.ids)), kind="optimise", params=params, time_limit_s=params["time_limit_s"])
            self.jobs[job.id] = job
            self.running = job
        threading.Thread(target=self.run_optimise, args=(job,), name=f"editor-job-{job.id}", daemon=True).start()
        return job

    def run_optimise(self, job: Job) -> None:
        job.status, job.started = "running", time.perf_counter()
        try:
            version, entry, info = reoptimise(self.session, job.params, JobProgress(job))
            with self.session.lock:
                if self.session.version != version:
                    job.status, job.message = "stale", ("the plan changed while re-optimising: nothing was applied; "
                                                        "run it again")
                elif entry is None:
                    job.status, job.message = "done", "no better assignment within the budget: nothing changed"
                    job.result = {"info": info, "edit": None}
                else:
                    out = self.session.push(entry)
                    job.status = "done"
                    job.message = f"{info['moved']} retailers moved ({100 * info['moved_share']:.1f} %)"
                    broken = [v for lv in info["levels"] for v in lv.get("violations", [])]
                    if broken:
                        job.message += f"; the solver could not meet every rule ({len(broken)}: {broken[0]})"
                    job.result = {"info": info, "edit": out}
        except PlannerError as e:
            job.status, job.message = "failed", str(e)
        except Exception as e:  # noqa: BLE001 - a bug: keep the server up, show the message
            job.status, job.message = "failed", f"{type(e).__name__}: {e}"
            job.warnings.append(traceback.format_exc(limit=5))
        finally:
            job.finished = time.perf_counter()
            with self.lock:
                self.running = None

    def wait(self, job: Job, timeout_s: float = 600.0) -> Job:
        """Block until ``job`` ends (scripts and tests)."""
        t0 = time.perf_counter()
        while job.status in ("queued", "running") and time.perf_counter() - t0 < timeout_s:
            time.sleep(0.02)
        return job
