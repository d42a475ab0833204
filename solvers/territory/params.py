"""Tuning values of the territory-design solver (:class:`TerritoryParams`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Method = Literal["auto", "heuristic", "exact"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TerritoryParams:
    """Options of :func:`solvers.territory.solve`.

    Attributes
    ----------
    method:
        ``"auto"`` (enumerate when ``k**n_unlocked <= max_enumeration``), ``"heuristic"`` (never
        enumerate) or ``"exact"`` (enumerate; ``ValueError`` above ``50 * max_enumeration``).
    max_enumeration:
        Largest ``k**n`` solved by enumeration when ``method="auto"``.
    max_tabu_units:
        Largest instance of the tabu search (``cut_edges``, ``diameter``: dense ``n x n`` arrays).
    max_swap_units:
        Up to this many units the tabu search scores every exchange of two units; above it only
        exchanges involving a unit of a territory out of balance.
    max_cpsat_units:
        Graphs of up to this many units end with the CP-SAT model (``cut_edges`` with a time
        limit and no iteration limit).
    tabu_until, recom_until:
        ``cut_edges`` with a time limit: shares of the time limit at which the tabu search hands
        over to the recombination walk, and the walk to CP-SAT.
    recom_stall, recom_tree_tries:
        Recombination walk: steps without a new best before a restart from a random tree plan,
        and random spanning trees drawn per step until one has a balanced edge.
    cpsat_workers:
        Search workers of CP-SAT.
    walk_until, walk_temperature, lns_size, lns_max_size, lns_det_per_unit, lns_step_iterations:
        ``cut_edges`` above ``max_cpsat_units`` units (:mod:`solvers.territory.large_cut`):
        share of the budget at which the steered recombination walk hands over to the exact
        large-neighbourhood search, the walk's Metropolis temperature (cut edges), the first
        and largest neighbourhood (free units), CP-SAT's deterministic seconds per free unit,
        and the iterations one re-optimised neighbourhood counts.
    diameter_starts, diameter_start_share:
        ``diameter``: compact starts (bisection axes rotated by ``180 / diameter_starts`` degrees
        each) and the share of the budget they get in equal parts (the best plan gets the rest).
    """

    method: Method = "auto"
    max_enumeration: int = 600_000
    max_tabu_units: int = 5000
    max_swap_units: int = 400
    max_cpsat_units: int = 150
    tabu_until: float = 0.1
    recom_until: float = 0.8
    recom_stall: int = 5000
    recom_tree_tries: int = 10
    cpsat_workers: int = 2
    walk_until: float = 0.6
    walk_temperature: float = 2.0
    lns_size: int = 60
    lns_max_size: int = 300
    lns_det_per_unit: float = 0.003
    lns_step_iterations: int = 25
    # the plan found depends mostly on the compact start: on the DTDP set the diameter reached
    # from bisections at different angles varies by up to 15 %
    diameter_starts: int = 6
    diameter_start_share: float = 0.5
