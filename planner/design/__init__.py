"""From inputs and scenario to engine problems: the calendar horizon, visit policy (required
visits, patterns, opening-hour windows, breaks), the workload estimate, territories (the
administrative baseline, market territories, re-zoning from a previous plan) and the visit
calendars of each territory.

Owns: ``context`` (the prepared run context), ``horizon``, ``policy``, ``workload``,
``availability`` (leave, weekly duties, each manager's days for the engine), ``territories``,
``calendars``, ``specialists`` (the specialists' visits and calendars), ``contacts`` (phone and
messaging contacts: desk time and scheduling), ``rezone``. Imports ``planner.config``, ``planner.inputs``,
``planner.travel`` and the engine (``solvers``); never ``planner.plan``, ``planner.validate``,
``planner.workflows``, ``planner.report`` or ``planner.cli``.
"""
