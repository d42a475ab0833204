"""The jobs users run, on one shared pipeline (prepare, design, calendars, plan, baseline, write
atomically, validate from disk, reports, seal): ``run``, ``rezone`` (with its balance-disruption
curve), ``frontier`` and ``batch`` (regions on Dask); and ``assess`` (``planner assess``: a plan
folder against a field log of what was done, scored with the scenario's weights).

Owns: ``pipeline`` and one module per job. Imports every other planner package but
``planner.editor``; only ``planner.cli`` and ``planner.editor`` (whose save runs the pipeline)
import it.
"""
