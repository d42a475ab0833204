"""The plan editor (``planner edit PLAN_DIR``): a local web page over one opened plan where a
planner moves retailers between managers, locks them, swaps territories, marks a territory
vacant, watches the balance figures change, undoes and redoes without limit, re-optimises around
the edits and saves the result as a new, validated plan folder.

Owns: ``source`` (opening a plan against its inputs), ``edits`` (requests, changes, the edit
log), ``figures`` (live figures and broken rules, updated edit by edit), ``session`` (the state of
an opened plan and its working file in the plan store), ``jobs`` (background re-optimisation),
``save`` (the new plan folder), ``app`` (the JSON API and the page, FastAPI), ``server``
(uvicorn, the access token, the browser) and ``assets`` (the page, its script and the vendored
lasso plugin; Leaflet comes from ``planner/report/assets``).

Imports the design, plan, validate and workflows packages (a save runs the shared pipeline);
never ``planner.cli`` (which imports it) nor the engine (``solvers``): engine problems are built
by ``planner.design``.
"""
