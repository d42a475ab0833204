"""The cut-edges method for graphs of several hundred units and more (tract graphs).

Method
------
1. *Start*: a random feasible plan split off along random spanning trees
   (:func:`~solvers.territory.recom.tree_plan`); with locks, or if none is found, the tabu
   search (:mod:`solvers.territory.tabu`) for ``params.tabu_until`` of the budget.
2. *Steered recombination walk* (:func:`~solvers.territory.recom.steered_walk`) until
   ``params.walk_until`` of the budget: two adjacent territories are merged and re-split at the
   balanced spanning-tree edge with the fewest cut edges among ``params.recom_tree_tries``
   random trees, accepted by the Metropolis rule at ``params.walk_temperature`` cut edges.
   This finds the global shape (which territory covers which part of the map).
3. *Exact large-neighbourhood search* (:mod:`solvers.territory.lns`) from the walk's best plan
   to the end: regions along the boundaries re-optimised exactly by CP-SAT (this fixes the
   boundaries unit by unit, which the walk's tree splits rarely hit exactly).

Budget: shares of the time limit and of the iteration limit, whichever ends first. One
iteration is one tabu move, one walk step, or ``params.lns_step_iterations`` per
re-optimised neighbourhood (about the time of that many walk steps). With an iteration limit
and no time limit the run is reproducible (CP-SAT with one worker and a deterministic-time
limit).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from solvers.common import StopClock
from solvers.territory.lns import lns_search
from solvers.territory.model import Model
from solvers.territory.params import TerritoryParams
from solvers.territory.recom import steered_walk, tree_plan
from solvers.territory.tabu import solve_tabu


def applies(model: Model, params: TerritoryParams) -> bool:
    """Whether :func:`solve_cut_large` is the method: ``cut_edges`` with contiguity on a graph
    above ``params.max_cpsat_units`` units, without a disruption budget, service radius or
    market groups (constraints the walk and the sub-solver do not model)."""
    p = model.p
    return (p.objective == "cut_edges" and p.contiguous and model.n > params.max_cpsat_units
            and p.max_moved is None and p.max_radius_s is None and model.groups is None
            and model.k > 1 and model.graph.components()[0] == 1)


def solve_cut_large(model: Model, clock: StopClock, rng: np.random.Generator,
                    info: dict[str, Any], params: TerritoryParams) -> np.ndarray:
    """Start, steered walk, exact LNS (module docstring). Statistics go into ``info``."""
    rule = clock.rule
    x = tree_plan(model, rng) if model.initial is None else None
    method = "tree"
    if x is None:
        sub = rule.scaled(params.tabu_until).clock()
        x = solve_tabu(model, sub, rng, info, params)
        clock.tick(sub.iterations)
        method = "tabu"
        if info.get("best_found") is None:  # no feasible plan: nothing to walk from
            return x
    n_it = rule.max_iterations
    t_lim = rule.time_limit_s

    def walk_done(steps: int) -> bool:
        if t_lim is not None and clock.elapsed() >= params.walk_until * t_lim:
            return True
        return n_it is not None and clock.iterations + steps >= params.walk_until * n_it

    wx, wcut, walk = steered_walk(model, x, rng, done=walk_done,
                                  temperature=params.walk_temperature,
                                  trees=params.recom_tree_tries)
    clock.tick(walk.steps)
    info.update(recom_steps=walk.steps, recom_restarts=walk.restarts, recom_cut=wcut)
    per = params.lns_step_iterations
    base = clock.iterations

    def lns_done(steps: int) -> bool:
        return clock.done() or (n_it is not None and base + per * steps >= n_it)

    def left_s() -> float:
        r = clock.remaining_s()
        return math.inf if r is None else r

    lx, lcut, lns = lns_search(model, wx, rng, done=lns_done, left_s=left_s,
                               size=params.lns_size, max_size=params.lns_max_size,
                               det_per_unit=params.lns_det_per_unit)
    clock.tick(per * lns.steps)
    info.update(method=f"{method}+walk+lns:cut_edges", lns_steps=lns.steps, lns_cut=lcut,
                iterations=clock.iterations)
    return lx
