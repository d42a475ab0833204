"""The plan: its tables and files (the plan folder), KPIs computed from the tables, the
manifest, moves between two plans, atomic writing, and the plan store (naming, sealing,
listing).

Owns: ``model`` (Plan, reading and writing a folder), ``files`` (the one atomic-write helper),
``assemble`` (engine results to plan tables), ``service`` (specialists' visits, the
specialists and the contacts into the plan tables), ``kpis`` (and ``kpis.schema.json``, the documented
format of ``kpis.json``), ``targets`` (``targets.csv``: what the plan asks of each post),
``vacuum`` (the service vacuum of ``kpis.json``), ``manifest``, ``moves``, ``store``. Imports ``planner.config``,
``planner.inputs``, ``planner.travel``, ``planner.design``; never ``planner.validate``,
``planner.workflows``, ``planner.report`` or ``planner.cli``.
"""
