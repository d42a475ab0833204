"""The independent plan validator: a second opinion on a plan folder, not a re-run.

It owns its own reading of the plan folder (CSV as text with file rows), its own calendar rules
(horizon, required visits, allowed visit patterns, breaks; leave and weekly duties:
:mod:`.availability`; contacts: :mod:`.contacts`), its own timing, frequency and KPI
computations, and its own recomputation of the territory design's estimates (workload,
adjacency); every finding names the file, the row and the check (see :mod:`.findings`).

It shares with the planner only the scenario loader and schema (:mod:`planner.config`), the
input readers (:mod:`planner.inputs`), the travel model (:mod:`planner.travel`),
:mod:`planner.errors` and :mod:`solvers.common`. It must not import the planner's design,
engine-problem, KPI, plan-storage, workflow or report code (``planner.design``, ``planner.plan``,
``planner.workflows``, ``planner.report``) nor any ``solvers`` module but ``solvers.common``,
directly or through another module: ``tests/test_architecture.py`` checks it.

Public API: :func:`validate_folder` (``planner verify``, and ``planner run``/``rezone`` on the
written folder), :class:`ValidationReport`, :class:`Finding`, :func:`require_valid`.
"""

from planner.validate.findings import Finding, ValidationReport
from planner.validate.folder import require_valid, validate_folder
from planner.validate.frequency import REASONS

__all__ = ["validate_folder", "ValidationReport", "Finding", "require_valid", "REASONS"]
