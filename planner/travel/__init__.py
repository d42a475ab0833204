"""Travel times: road networks (OpenStreetMap PBF, GraphML), snapping, shortest paths in process
(``scipy.sparse.csgraph``), the straight-line model, and the scenario's travel model over its
locations (retailers first, then bases).

Owns: ``network`` (reading road graphs), ``oracles`` (the :class:`solvers.common.TravelTimes`
implementations), ``model`` (the scenario's travel model). Imports ``planner.config``,
``planner.inputs``, ``planner.errors`` and ``solvers.common`` only (the independent validator
uses this package).
"""
