"""The jobs users run, on one shared pipeline (prepare, design, calendars, plan, baseline, write
atomically, validate from disk, reports, seal): ``run``, ``rezone`` (with its balance-disruption
curve), ``frontier`` and ``batch`` (regions on Dask).

Owns: ``pipeline`` and one module per job. Imports every other planner package but
``planner.editor``; only ``planner.cli`` and ``planner.editor`` (whose save runs the pipeline)
import it.
"""
