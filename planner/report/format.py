"""Formatting shared by the HTML and Excel reports: manager colours, numbers, changes and
their direction (better or worse), the KPI rows, validation badges, method names."""

from __future__ import annotations

import math
from html import escape

import numpy as np

from planner.report.i18n import Locale
from planner.report.model import KPI_ROWS

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
           "#7f7f7f", "#393b79", "#e6550d", "#637939", "#ad494a", "#3182bd", "#8c6d31", "#7b4173", "#31a354",
           "#843c39", "#5254a3"]


def manager_colors(ids: list[str]) -> dict[str, str]:
    out = {}
    for k, m in enumerate(ids):
        if k < len(PALETTE):
            out[m] = PALETTE[k]
        else:  # golden-angle hues beyond the palette
            h = (k * 137.508) % 360
            out[m] = hsl_hex(h, 0.55, 0.42)
    return out


def hsl_hex(h: float, s: float, light: float) -> str:
    import colorsys

    r, g, b = colorsys.hls_to_rgb(h / 360, light, s)
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


def is_num(x) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) and math.isfinite(x)


def fmt_value(loc: Locale, kind: str, x) -> str:
    if not is_num(x):
        return "–"
    return {"pct": loc.pct, "int": loc.int, "num2": lambda v: loc.num(v, 2)}.get(kind, loc.num)(x)


def fmt_delta(loc: Locale, kind: str, d) -> str:
    if not is_num(d):
        return "–"
    if kind == "pct":
        return loc.signed_pp(d)
    if kind == "int":
        return loc.signed_int(d)
    return loc.signed(d, 2 if kind == "num2" else 1)


def direction(kind: str, better: str | None, d) -> str:
    """CSS class of a change: ``good``, ``bad`` or ``neutral`` (rounded to what is shown)."""
    if not is_num(d) or better is None:
        return "neutral"
    shown = round(d * 100, 1) if kind == "pct" else round(d, 0 if kind == "int" else 2 if kind == "num2" else 1)
    if shown == 0:
        return "neutral"
    return "good" if (shown < 0) == (better == "lower") else "bad"


def kpi_value(g: dict | None, key: str):
    if g is None:
        return None
    if key.startswith("frequency_compliance:"):
        return (g.get("frequency_compliance") or {}).get(key.split(":", 1)[1])
    return g.get(key)


def kpi_keys(view_classes: list[str], globals_: list[dict | None]) -> list[tuple[str, str, str | None]]:
    """KPI rows: the headline list with one 'visits made' row per class after key frequency."""
    classes = list(view_classes)
    for g in globals_:
        for c in sorted((g or {}).get("frequency_compliance", {}) or {}):
            if c not in classes:
                classes.append(c)
    rows: list[tuple[str, str, str | None]] = []
    for key, kind, better in KPI_ROWS:
        rows.append((key, kind, better))
        if key == "key_frequency_compliance":
            rows.extend((f"frequency_compliance:{c}", "pct", "higher") for c in classes)
    return rows


def td_num(text: str, v=None, cls: str = "n") -> str:
    dv = f' data-v="{v:.10g}"' if is_num(v) else ""
    return f'<td class="{cls}"{dv}>{escape(text)}</td>'


def validation_badge(loc: Locale, validation: dict | None) -> str:
    if validation is None:
        return f'<span class="badge na">{escape(loc.t("not_validated"))}</span>'
    errs = len(validation.get("errors", [])) + sum(int(s.get("errors", 0)) for s in validation.get("sub_plans", {}).values())
    if validation.get("ok"):
        return f'<span class="badge ok">&#10003; {escape(loc.t("valid"))}</span>'
    return f'<span class="badge err">{escape(loc.t("invalid", n=errs))}</span>'


def method_text(loc: Locale, method: str) -> str:
    """A short name of the territory method (the manifest's full description is in "How made")."""
    for m in ("market", "administrative"):
        if str(method).startswith(m):
            return loc.t(f"method_{m}")
    return str(method)
