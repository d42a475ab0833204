"""The planner application around the engine (``solvers``); the data flows through its
packages in this order:

``config`` (the scenario) -> ``inputs`` (the user's files) -> ``travel`` (travel times) ->
``design`` (horizon, workload, territories, calendars: engine problems and their solutions) ->
``plan`` (plan tables, KPIs, the plan folder and store) -> ``validate`` (the independent second
opinion) -> ``report`` (HTML, Excel) -> ``workflows`` (run, rezone, frontier, batch) -> ``cli``.
``editor`` (``planner edit``: a plan edited in the browser and saved as a new plan through the
workflows' pipeline) sits beside ``cli`` on top. ``errors`` holds the user-facing exception family
and progress hooks. Synthetic regions in the
same formats as users' data come from ``inputs.synthetic`` (``planner generate``).
"""

__version__ = "0.1.0"
