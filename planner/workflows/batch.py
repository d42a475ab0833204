"""Many regions (or scenarios) on the distributed engine: ``planner batch SCENARIO... --out DIR``.

Each *task* is one scenario, or one region of a scenario that splits its retailers by a column
(``regions: {column: region}``; the managers file has the same column). A task runs the whole
pipeline of ``planner run`` on its region (the scenario copy with ``regions.select`` set, so the
data is filtered in memory when it is read) and writes a normal plan folder, atomically, to
``DIR/<name>/`` — ``<name>`` is the region, or the scenario's file name (its folder's name when
several scenarios share a file name). ``planner verify DIR/<name>`` re-validates it later.

Engine
------
Tasks run on `Dask distributed <https://distributed.dask.org>`_: by default a ``LocalCluster`` of
``workers`` processes with one thread each on this machine; with ``scheduler`` (an address such
as ``tcp://10.0.0.5:8786``) on a running Dask cluster through ``Client(address)`` — the same code
runs a province on many machines (the workers need the scenario and input paths, and ``DIR``,
on a shared file system). Larger regions (more retailers; for whole scenarios, a larger retailer
file) are submitted with a higher priority, so the longest tasks start first.

Resuming
--------
A region is *complete* when its folder has ``manifest.json`` and ``validation.json``; since plan
folders are renamed into place only when complete, a folder is either complete or absent. A
re-run skips complete regions (status ``kept``) and plans the others, so a batch killed half-way
continues where it stopped. Temporary folders left by a killed run (``DIR/.<name>.tmp-*``) are
removed at the start of the next run; a lock file (``DIR/.batch.lock``) keeps two batches from
writing to the same folder at once (a lock whose process is gone is taken over).

Failures
--------
A region that fails (bad data, no managers, a worker that died) is reported with its error
message and does not stop the others; it has no folder, so the next run tries it again.
``DIR/batch_summary.csv`` and ``.json`` (rewritten atomically after every finished task) hold one
row per task: region, scenario, status (``done``, ``kept``, ``invalid``, ``failed``), retailers,
managers, imbalance, travel share, unplanned visits, time and error.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import socket
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import PlannerError, Progress
from planner.plan.files import atomic_file
from planner.plan.model import dumps

SUMMARY_COLUMNS = ["region", "scenario", "status", "retailers", "managers", "imbalance", "travel_share",
                   "unplanned_visits", "time_s", "error", "folder"]
LOCK_NAME = ".batch.lock"
_TMP = re.compile(r"^\..+\.tmp-")


class BatchError(PlannerError):
    """The batch cannot start (output folder locked, no scenarios, no cluster)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    """One unit of work: a scenario, or one region of it."""

    name: str  # folder name under the output folder
    scenario: str  # scenario file (absolute path)
    region: str | None  # value of regions.column, or None for a whole scenario
    folder: str  # the plan folder to create
    seed: int | None = None
    with_baseline: bool = True
    size: int = 0  # retailers (for priorities), 0 if unknown
    driver: tuple[str, int] | None = None  # (host, pid) of a local driver: workers stop if it dies


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskResult:
    """One row of the batch summary."""

    region: str
    scenario: str
    status: str  # done | kept | invalid | failed
    retailers: int | None = None
    managers: int | None = None
    imbalance: float | None = None
    travel_share: float | None = None
    unplanned_visits: int | None = None
    time_s: float | None = None
    error: str = ""
    folder: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("done", "kept")


@dataclass
class BatchResult:
    out: Path
    results: list[TaskResult]
    elapsed_s: float
    workers: int | None
    scheduler: str | None
    cleaned: list[str] = field(default_factory=list)

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(r) for r in self.results], columns=SUMMARY_COLUMNS)

    @property
    def exit_code(self) -> int:
        """0: every region complete and valid; 1: a plan failed validation; 2: a region failed."""
        if any(r.status == "failed" for r in self.results):
            return 2
        return 1 if any(r.status == "invalid" for r in self.results) else 0


# --- tasks ------------------------------------------------------------------------------------------

def folder_name(text: str) -> str:
    """A safe folder name for a region or scenario (letters of any script, digits, ``._-``)."""
    s = re.sub(r"[^\w.-]+", "-", str(text).strip(), flags=re.UNICODE).strip("-")
    s = s.lstrip(".")
    return s or "region"


def is_complete(folder: Path) -> bool:
    """A finished plan folder: it has ``manifest.json`` and ``validation.json``."""
    return (folder / "manifest.json").is_file() and (folder / "validation.json").is_file()


def region_values(loaded) -> tuple[dict[str, int], list[int], set[str]]:
    """Regions of a scenario's retailer file: {region: retailers}, the rows without a region, and
    the regions named in the managers file."""
    from planner.inputs.dataset import read_input

    reg = loaded.scenario.regions
    inp = loaded.scenario.inputs
    out = []
    for key in ("retailers", "managers"):
        raw = read_input(loaded.resolve(getattr(inp, key)), loaded.scenario, key)
        cols = {c.lower(): c for c in raw.frame.columns}
        col = cols.get(reg.column.lower())
        if col is None:
            raise PlannerError(f"{raw.name}: column {reg.column!r} (regions.column) is missing; columns are: "
                               f"{', '.join(raw.frame.columns)}")
        out.append((raw.frame[col].astype(str).str.strip().to_numpy(dtype=object), raw.rows))
    (rv, rrows), (mv, _) = out
    counts = pd.Series(rv[rv != ""]).value_counts()
    return ({str(k): int(v) for k, v in sorted(counts.items())}, [int(x) for x in rrows[rv == ""]],
            {str(x) for x in mv if x != ""})


def plan_tasks(scenarios: list[Path], out: Path, *, seed: int | None = None, with_baseline: bool = True
               ) -> tuple[list[Task], list[TaskResult]]:
    """The tasks of a batch, and the failures found before any task runs (bad scenario files,
    retailers without a region, regions with managers but no retailers)."""
    from planner.config.scenario import load_scenario

    if not scenarios:
        raise BatchError("give at least one scenario file")
    out = Path(out).resolve()
    stems = [Path(s).stem for s in scenarios]
    tasks: list[Task] = []
    failed: list[TaskResult] = []
    used: set[str] = set()

    def unique(name: str) -> str:
        base, n = folder_name(name), 1
        name = base
        while name in used or name == LOCK_NAME:
            n += 1
            name = f"{base}-{n}"
        used.add(name)
        return name

    for s in scenarios:
        s = Path(s)
        # the file name, or its folder's name when several scenarios share a file name
        label = s.stem if stems.count(s.stem) == 1 else (s.resolve().parent.name or s.stem)
        try:
            loaded = load_scenario(s)
            reg = loaded.scenario.regions
            if reg is None or reg.select is not None:
                name = unique(label)
                rfile = loaded.resolve(loaded.scenario.inputs.retailers)
                size = rfile.stat().st_size // 100 if rfile.is_file() else 0  # ~ retailers, for priorities
                tasks.append(Task(name=name, scenario=str(loaded.path), region=reg.select if reg else None,
                                  folder=str(out / name), seed=seed, with_baseline=with_baseline, size=size))
                continue
            counts, orphans, mregions = region_values(loaded)
        except PlannerError as e:
            failed.append(TaskResult(region=label, scenario=str(s), status="failed", error=str(e)))
            continue
        if orphans:
            shown = ", ".join(str(r) for r in orphans[:10]) + (" ..." if len(orphans) > 10 else "")
            failed.append(TaskResult(region=f"{label}: (no region)", scenario=str(loaded.path), status="failed",
                                     retailers=len(orphans),
                                     error=f"{len(orphans)} retailers have no value in column {reg.column!r} and are "
                                           f"not planned (rows {shown})"))
        for r in sorted(mregions - set(counts)):
            failed.append(TaskResult(region=r, scenario=str(loaded.path), status="failed",
                                     error=f"region {r!r} has managers but no retailers"))
        for r, n in counts.items():
            name = unique(r if len(scenarios) == 1 else f"{label}-{r}")
            tasks.append(Task(name=name, scenario=str(loaded.path), region=r, folder=str(out / name), seed=seed,
                              with_baseline=with_baseline, size=n))
    return tasks, failed


def region_scenario(task: Task):
    """The task's scenario: the file itself, or a copy restricted to its region (``regions.select``)."""
    import yaml

    from planner.config.scenario import load_scenario, parse_scenario

    loaded = load_scenario(task.scenario)
    if task.region is None or (loaded.scenario.regions and loaded.scenario.regions.select == task.region):
        return loaded
    data = yaml.safe_load(loaded.text)
    data["regions"] = {**(data.get("regions") or {}), "select": str(task.region)}
    text = (f"# {loaded.path.name} restricted to region {task.region!r} by planner batch "
            f"(original sha256 {loaded.sha256})\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return parse_scenario(text, loaded.path)


# --- the task (runs on a worker) ------------------------------------------------------------------

_watch_started = False


def _watch_driver(driver: tuple[str, int] | None) -> None:
    """Local cluster: end this worker process if the batch process is gone (e.g. killed)."""
    global _watch_started
    if driver is None or _watch_started or driver[0] != socket.gethostname():
        return
    _watch_started = True
    pid = driver[1]

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(3)
            except PermissionError:
                pass

    threading.Thread(target=watch, name="planner-batch-watchdog", daemon=True).start()


def _short(e: BaseException) -> str:
    if isinstance(e, PlannerError):
        return str(e)
    if isinstance(e, MemoryError):
        return "out of memory: split the region or give the workers more memory"
    return f"internal error: {type(e).__name__}: {e}"


def summarize(task: Task, status: str, *, time_s: float | None = None) -> TaskResult:
    """The summary row of a complete plan folder."""
    folder = Path(task.folder)
    try:
        kpis = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
        val = json.loads((folder / "validation.json").read_text(encoding="utf-8"))
        man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return TaskResult(region=task.name, scenario=task.scenario, status="failed", folder=str(folder),
                          error=f"{folder} is unreadable: {e}")
    g = kpis.get("global", {})
    if not val.get("ok", False):
        status = "invalid"
    n_err = sum(val.get("errors_by_check", {}).values())
    return TaskResult(region=task.name, scenario=task.scenario, status=status, retailers=g.get("retailers"),
                      managers=g.get("managers"), imbalance=g.get("imbalance"), travel_share=g.get("travel_share"),
                      unplanned_visits=g.get("unplanned_visits"),
                      time_s=time_s if time_s is not None else man.get("timings_s", {}).get("total_s"),
                      error="" if status != "invalid" else f"the plan failed validation ({n_err} errors; see validation.json)",
                      folder=str(folder))


def run_task(task: Task) -> TaskResult:
    """Run one region end to end and write its plan folder (never raises: errors become a row)."""
    _watch_driver(task.driver)
    t0 = time.perf_counter()
    folder = Path(task.folder)
    if is_complete(folder):
        return summarize(task, "kept")
    try:
        from planner.workflows.run import run_scenario

        if folder.exists() and any(folder.iterdir()):
            raise BatchError(f"{folder} exists but is not a complete plan folder; move it away to re-plan the region")
        loaded = region_scenario(task)
        run_scenario(loaded, out=folder, seed=task.seed, progress=Progress(), with_baseline=task.with_baseline,
                     job="batch")
    except BaseException as e:  # noqa: BLE001 - a task reports, the batch goes on
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        if is_complete(folder):  # written meanwhile by another run: keep it
            return summarize(task, "kept")
        return TaskResult(region=task.name, scenario=task.scenario, status="failed", error=_short(e),
                          time_s=round(time.perf_counter() - t0, 2))
    return summarize(task, "done", time_s=round(time.perf_counter() - t0, 2))


# --- the driver -----------------------------------------------------------------------------------

def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def acquire_lock(out: Path) -> Path:
    """Create ``out/.batch.lock``; refuse if a live batch holds it, take it over if its process is gone."""
    lock = out / LOCK_NAME
    me = f"{socket.gethostname()} {os.getpid()}\n"
    for _ in range(3):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                host, pid = lock.read_text(encoding="utf-8").split()
                pid_i = int(pid)
            except (OSError, ValueError):
                host, pid_i = "", -1
            if host == socket.gethostname() and pid_i > 0 and _pid_alive(pid_i):
                raise BatchError(f"another planner batch (process {pid_i}) is writing to {out}; wait for it or "
                                 "choose another --out folder") from None
            if host and host != socket.gethostname():
                raise BatchError(f"{lock} is held by a batch on {host}; remove the file if that batch is gone") from None
            lock.unlink(missing_ok=True)  # stale: its process is gone
            continue
        with os.fdopen(fd, "w") as f:
            f.write(me)
        return lock
    raise BatchError(f"cannot lock {out}")


def clean_temporaries(out: Path) -> list[str]:
    """Remove what a killed run left half-written: ``.<name>.tmp-*`` folders and files."""
    removed = []
    for p in sorted(out.iterdir()):
        if _TMP.match(p.name):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            removed.append(p.name)
    return removed


def write_summary(out: Path, result: BatchResult) -> None:
    """``batch_summary.csv`` and ``batch_summary.json``, each replaced atomically."""
    table = result.table
    atomic_file(out / "batch_summary.csv", table.to_csv(index=False).encode("utf-8"), overwrite=True)
    doc = {"updated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "out": str(out),
           "workers": result.workers, "scheduler": result.scheduler, "elapsed_s": round(result.elapsed_s, 2),
           "counts": {s: int((table["status"] == s).sum()) for s in ("done", "kept", "invalid", "failed")},
           "regions": [{k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in asdict(r).items()}
                       for r in result.results]}
    atomic_file(out / "batch_summary.json", dumps(doc).encode("utf-8"), overwrite=True)


def start_client(*, workers: int | None = None, scheduler: str | None = None):
    """A Dask client: on the scheduler at ``scheduler``, else on a new local cluster (``workers``
    processes, one thread each). Returns (client, cluster or None, worker count)."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as e:
            raise BatchError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None
        return client, None, len(client.scheduler_info().get("workers", {}))
    n = workers or max(1, os.cpu_count() or 1)
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None, silence_logs=logging.ERROR)
    return Client(cluster), cluster, n


def run_batch(scenarios: list[Path], out: Path, *, workers: int | None = None, scheduler: str | None = None,
              seed: int | None = None, with_baseline: bool = True, progress=None, client=None,
              on_result=None) -> BatchResult:
    """Plan every region of ``scenarios`` into ``out`` (see the module docstring).

    ``client``: an existing Dask client to use (kept open); ``on_result(TaskResult)`` is called as
    each task finishes.
    """
    progress = progress or Progress()
    t0 = time.perf_counter()
    out = Path(out).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise BatchError(f"{out} is a file, not a folder")
    out.mkdir(parents=True, exist_ok=True)
    lock = acquire_lock(out)
    try:
        cleaned = clean_temporaries(out)
        if cleaned:
            progress.warn(f"removed {len(cleaned)} half-written folder(s) of an interrupted run: {', '.join(cleaned[:5])}")
        tasks, failed = plan_tasks(list(scenarios), out, seed=seed, with_baseline=with_baseline)
        results: dict[str, TaskResult] = {}
        order = [f.region for f in failed] + [t.name for t in tasks]
        for f in failed:
            results[f.region] = f
            progress.warn(f"{f.region}: {f.error.splitlines()[0]}")
        todo = []
        for t in tasks:
            if is_complete(Path(t.folder)):
                results[t.name] = summarize(t, "kept")
            else:
                todo.append(t)
        result = BatchResult(out, [], 0.0, workers, scheduler, cleaned)

        def flush() -> None:
            result.results = [results[n] for n in order if n in results]
            result.elapsed_s = time.perf_counter() - t0
            write_summary(out, result)

        flush()
        with progress.task(f"Planning {len(tasks)} region(s)", total=len(tasks)) as adv:
            adv(len(tasks) - len(todo))
            if todo:
                own = client is None
                cluster = None
                if own:
                    progress.step("Starting the Dask " + (f"client ({scheduler})" if scheduler else
                                                          f"local cluster ({workers or os.cpu_count()} workers)"))
                    client, cluster, n = start_client(workers=workers, scheduler=scheduler)
                    result.workers = n
                driver = None if scheduler else (socket.gethostname(), os.getpid())
                try:
                    from distributed import as_completed

                    futures = {}
                    for t in todo:
                        t = Task(**{**asdict(t), "driver": driver})
                        f = client.submit(run_task, t, key=f"planner-{t.name}-{os.getpid()}-{time.time_ns()}",
                                          pure=False, priority=int(t.size))
                        futures[f] = t
                    for f in as_completed(list(futures)):
                        t = futures[f]
                        try:
                            res = f.result()
                        except Exception as e:  # the worker died (killed, out of memory) or was lost
                            res = TaskResult(region=t.name, scenario=t.scenario, status="failed",
                                             error=f"the worker running this region failed: {type(e).__name__}: {e}")
                        results[t.name] = res
                        if res.status == "failed":
                            progress.warn(f"{t.name}: {res.error.splitlines()[0] if res.error else 'failed'}")
                        if on_result is not None:
                            on_result(res)
                        flush()
                        adv()
                finally:
                    if own:
                        client.close()
                        if cluster is not None:
                            cluster.close()
        flush()
        return result
    finally:
        lock.unlink(missing_ok=True)


__all__ = ["run_batch", "run_task", "plan_tasks", "region_scenario", "Task", "TaskResult", "BatchResult",
           "BatchError", "is_complete", "SUMMARY_COLUMNS", "start_client"]
