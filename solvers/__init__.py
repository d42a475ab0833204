"""The optimisation engine: pure solvers on numbers.

Frozen problem dataclasses in, frozen result dataclasses out. No file I/O, no scenario
knowledge, no printing. Every solver has one entry shape,
``solve(problem, *, stop, seed, params=None) -> Result``: a :class:`~solvers.common.Stop` rule,
a seed (deterministic for a given seed and iteration limit), and its tuning values in a frozen
``Params`` dataclass; results carry typed statistics and a ``summary()``.

Owns:

* :mod:`solvers.common` — stopping rules, statuses, the travel-time oracle protocol and adapters,
  ``UNREACHABLE``, the reasons a visit may be unplanned;
* :mod:`solvers.parallel` — the one worker-pool helper (independent searches, best kept);
* :mod:`solvers.territory` — territory design (and the assignment edits of re-zoning);
* :mod:`solvers.schedule` — periodic visit calendars (and the greedy reference method);
* :mod:`solvers.routing` — the routing backends (PyVRP, OR-Tools), used by the calendar solver.

It may use OR-Tools, PyVRP, numpy, scipy and networkx. It never imports ``planner``.
"""
