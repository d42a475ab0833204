"""The scenario's ``assessment:`` section and ``territories.service_vacuum`` (schema only).

``assessment.groups`` names groups of indicators, each with a weight; a manager's score is the
weighted mean of the group scores (see :mod:`planner.workflows.assess`). A group takes its
indicators from the field log (``source: log``; the indicators of :data:`LOG_INDICATORS`) or from
the per-manager values of ``planner assess --scores FILE`` (``source: scores``; any column of that
file). Indicators inside a group have weights too (a list means equal weights). The default::

    assessment:
      groups:
        service_process:    {weight: 0.50, source: log,
                             indicators: {completion: 0.4, key_frequency: 0.3, on_planned_day: 0.2, contact_rate: 0.1}}
        market_information: {weight: 0.35, source: scores, indicators: [market_information], scale: 100}
        sales_support:      {weight: 0.15, source: scores, indicators: [sales_support], scale: 100}

A group named like a default group may leave out what the default gives (``{weight: 0.6}``).
Weights must be positive; they need not add up to 1 (they are normalised over the groups and
indicators that have values).

``territories.service_vacuum`` sets when a retailer counts as left in a service vacuum: its
administrative manager's base is more than ``ratio`` times as far (travel time) as the nearest
manager's base and more than ``minutes`` farther.
"""

from __future__ import annotations

import difflib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LOG_INDICATORS = ("completion", "key_frequency", "on_planned_day", "contact_rate", "hours_completion",
                  "road_efficiency")
"""Indicators a ``source: log`` group may use (defined in :mod:`planner.workflows.assess`)."""

DEFAULT_GROUPS: dict[str, dict[str, Any]] = {
    "service_process": {"weight": 0.50, "source": "log",
                        "indicators": {"completion": 0.4, "key_frequency": 0.3, "on_planned_day": 0.2,
                                       "contact_rate": 0.1}},
    "market_information": {"weight": 0.35, "source": "scores", "indicators": {"market_information": 1.0}},
    "sales_support": {"weight": 0.15, "source": "scores", "indicators": {"sales_support": 1.0}},
}


class IndicatorGroup(BaseModel):
    """One group of indicators with its weight in the score."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weight: float = Field(gt=0, description="weight of the group in the score (normalised over the groups with values)")
    source: Literal["log", "scores"] = Field(default="log", description="log: indicators from the field log; "
                                             "scores: columns of the --scores file")
    indicators: dict[str, float] = Field(description="indicator -> weight inside the group (a list: equal weights)")
    scale: float = Field(default=100.0, gt=0, description="scores: the value that earns full marks (score = value / "
                         "scale, at most 1)")
    per_workload: bool = Field(default=False, description="scores: divide each value by the post's planned-hours "
                               "index first (for counts that grow with the size of the territory)")

    @field_validator("indicators", mode="before")
    @classmethod
    def _list(cls, v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            if len(set(map(str, v))) != len(v):
                raise ValueError("an indicator is listed twice")
            return {str(x): 1.0 for x in v}
        if isinstance(v, str):
            return {v: 1.0}
        return v

    @model_validator(mode="after")
    def _known(self) -> IndicatorGroup:
        if not self.indicators:
            raise ValueError("a group needs at least one indicator")
        for name, w in self.indicators.items():
            if not (w > 0):
                raise ValueError(f"indicator {name!r}: weights must be positive, got {w!r}")
            if self.source == "log" and name not in LOG_INDICATORS:
                hint = difflib.get_close_matches(name, LOG_INDICATORS, n=1)
                raise ValueError(f"unknown log indicator {name!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
                                 + f"; a log group uses {', '.join(LOG_INDICATORS)} (or set source: scores for "
                                 "columns of the --scores file)")
        return self


class Assessment(BaseModel):
    """``assessment:`` of a scenario: the groups of indicators of ``planner assess`` and their weights."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    groups: dict[str, IndicatorGroup] = Field(
        default_factory=lambda: {k: IndicatorGroup(**v) for k, v in DEFAULT_GROUPS.items()},
        description="group name -> {weight, source, indicators, scale, per_workload}")

    @field_validator("groups", mode="before")
    @classmethod
    def _defaults(cls, v: Any) -> Any:
        """Groups named like a default group start from the default (given keys override it)."""
        if not isinstance(v, dict):
            return v
        out = {}
        for name, g in v.items():
            if isinstance(g, dict) and name in DEFAULT_GROUPS:
                base = {k: x for k, x in DEFAULT_GROUPS[name].items() if k not in g}
                if "source" in g and g["source"] != DEFAULT_GROUPS[name]["source"]:
                    base.pop("indicators", None)  # another source: the default indicators do not apply
                g = {**base, **g}
            out[name] = g
        if not out:
            raise ValueError("at least one group of indicators is needed")
        return out


class ServiceVacuum(BaseModel):
    """``territories.service_vacuum``: when the administrative manager is too far (see module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ratio: float = Field(default=1.5, ge=1.0, description="administrative base travel time / nearest base travel time "
                         "above which a retailer is in a service vacuum")
    minutes: float = Field(default=10.0, ge=0, description="... and at least this many minutes more")


__all__ = ["Assessment", "IndicatorGroup", "ServiceVacuum", "LOG_INDICATORS", "DEFAULT_GROUPS"]
