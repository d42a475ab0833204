"""Types shared by all solvers: stopping rules, statuses, the travel-time oracle protocol and the
reasons a visit may be left unplanned."""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass
from typing import Literal, Protocol, get_args, runtime_checkable

import numpy as np

UnplannedReason = Literal["shift_capacity", "opening_hours", "unreachable", "low_value", "vehicle_capacity"]
"""Why a required visit is not in a calendar (carried from the engine to ``unplanned.csv``):

* ``shift_capacity``: no route of the day has time (or visits) left in its shift;
* ``opening_hours``: closed that day, or no route passes while it is open;
* ``unreachable``: no vehicle working that day can visit it even alone (travel, window or shift);
* ``low_value``: it fits, but its cheapest insertion costs more travel than ``lam * value``;
* ``vehicle_capacity``: every route of the day is at its load capacity.
"""

UNPLANNED_REASONS: tuple[UnplannedReason, ...] = get_args(UnplannedReason)
"""The one list of unplanned-visit reasons, in the order of :data:`UnplannedReason`."""


class Status(str, enum.Enum):  # noqa: UP042 - StrEnum would change str() of members
    """Outcome of a solve."""

    OPTIMAL = "optimal"  # proven optimal
    FEASIBLE = "feasible"  # every hard constraint met, optimality not proven
    PARTIAL = "partial"  # a plan was returned but some constraints are violated (see violations)
    INFEASIBLE = "infeasible"  # no plan could be produced


@dataclass(frozen=True, slots=True, kw_only=True)
class Stop:
    """Stopping rule: whichever of the limits is hit first.

    Parameters
    ----------
    time_limit_s:
        Wall-clock limit in seconds (``None`` = no limit). Wall-clock limits make results depend
        on machine speed; use ``max_iterations`` where determinism matters (tests).
    max_iterations:
        Iteration limit of the solver's main loop (``None`` = no limit). The meaning of an
        iteration is documented by each solver.
    """

    time_limit_s: float | None = 10.0
    max_iterations: int | None = None

    def __post_init__(self) -> None:
        if self.time_limit_s is None and self.max_iterations is None:
            raise ValueError("Stop needs a time limit or an iteration limit")

    def clock(self) -> StopClock:
        return StopClock(self)

    def scaled(self, share: float) -> Stop:
        """The same rule with both limits scaled by ``share`` (for sub-solves)."""
        return Stop(
            time_limit_s=None if self.time_limit_s is None else max(self.time_limit_s * share, 0.05),
            max_iterations=None
            if self.max_iterations is None
            else max(int(self.max_iterations * share), 1),
        )


class StopClock:
    """Running state of a :class:`Stop` rule (created by :meth:`Stop.clock`)."""

    __slots__ = ("rule", "start", "iterations")

    def __init__(self, rule: Stop) -> None:
        self.rule = rule
        self.start = time.perf_counter()
        self.iterations = 0

    def tick(self, n: int = 1) -> None:
        self.iterations += n

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def remaining_s(self) -> float | None:
        if self.rule.time_limit_s is None:
            return None
        return max(self.rule.time_limit_s - self.elapsed(), 0.0)

    def done(self) -> bool:
        r = self.rule
        if r.max_iterations is not None and self.iterations >= r.max_iterations:
            return True
        if r.time_limit_s is not None and self.elapsed() >= r.time_limit_s:
            return True
        return False


@runtime_checkable
class TravelTimes(Protocol):
    """Travel-time oracle over a fixed set of ``n`` locations (integer seconds).

    Implementations live in ``planner.travel`` (straight line x circuity / speed, road network
    shortest paths); solvers only use this protocol so that they never need a full ``n x n``
    matrix for a whole city.
    """

    @property
    def n(self) -> int:
        """Number of locations."""
        ...

    def from_sources(self, sources: np.ndarray) -> np.ndarray:
        """Travel times ``(len(sources), n)`` int64 seconds from each source to every location."""
        ...

    def to_targets(self, targets: np.ndarray) -> np.ndarray:
        """Travel times ``(n, len(targets))`` int64 seconds from every location to each target."""
        ...

    def matrix(self, idx: np.ndarray) -> np.ndarray:
        """Full travel-time matrix ``(len(idx), len(idx))`` int64 seconds among ``idx``."""
        ...


UNREACHABLE = np.iinfo(np.int64).max // 4
"""Travel time used for unreachable pairs (large but safe to add a few times)."""


class MatrixTravel:
    """:class:`TravelTimes` backed by a dense matrix (small instances, tests, benchmarks)."""

    __slots__ = ("_m",)

    def __init__(self, matrix: np.ndarray) -> None:
        m = np.asarray(matrix)
        if m.ndim != 2 or m.shape[0] != m.shape[1]:
            raise ValueError("travel matrix must be square")
        self._m = np.ascontiguousarray(m, dtype=np.int64)

    @property
    def n(self) -> int:
        return self._m.shape[0]

    def from_sources(self, sources: np.ndarray) -> np.ndarray:
        return self._m[np.asarray(sources, dtype=np.int64)]

    def to_targets(self, targets: np.ndarray) -> np.ndarray:
        return self._m[:, np.asarray(targets, dtype=np.int64)]

    def matrix(self, idx: np.ndarray) -> np.ndarray:
        idx = np.asarray(idx, dtype=np.int64)
        return self._m[np.ix_(idx, idx)]


class SubsetTravel:
    """:class:`TravelTimes` over a subset ``idx`` of another oracle's locations (local indices)."""

    __slots__ = ("_base", "_idx")

    def __init__(self, base: TravelTimes, idx: np.ndarray) -> None:
        self._base = base
        self._idx = np.asarray(idx, dtype=np.int64)

    @property
    def n(self) -> int:
        return int(self._idx.shape[0])

    def from_sources(self, sources: np.ndarray) -> np.ndarray:
        return self._base.from_sources(self._idx[np.asarray(sources, dtype=np.int64)])[:, self._idx]

    def to_targets(self, targets: np.ndarray) -> np.ndarray:
        return self._base.to_targets(self._idx[np.asarray(targets, dtype=np.int64)])[self._idx]

    def matrix(self, idx: np.ndarray) -> np.ndarray:
        return self._base.matrix(self._idx[np.asarray(idx, dtype=np.int64)])
