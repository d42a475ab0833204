"""Small inline SVG charts for the HTML reports (no JavaScript, no external library).

Two chart types cover the reports: horizontal bar charts (one row per manager or class; stacked
or grouped series, reference lines such as the mean, a tolerance band and tick markers such as
the baseline's value) and an x–y line chart (the frequency–travel curve). Every chart is an
``<svg class="chart" data-chart="NAME">`` whose data marks carry ``data-value`` attributes and a
``<title>`` tooltip; the page's script checks that each chart rendered.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

FONT = 12
SERVICE = "#4e79a7"
TRAVEL = "#f28e2b"
BASELINE = "#8c8c8c"
GOOD = "#2e7d32"
PLAN_COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#e15759", "#76b7b2", "#edc948", "#9c755f"]


def text_width(s: str, size: float = FONT) -> float:
    """Approximate rendered width of ``s`` (wide CJK characters count double)."""
    w = 0.0
    for ch in str(s):
        w += size * (1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.6)
    return w


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering ``lo..hi`` (steps of 1, 2, 2.5 or 5 times a power of ten)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = 0.0, 1.0
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    span = hi - lo
    step = 10 ** math.floor(math.log10(span / n))
    for m in (1, 2, 2.5, 5, 10):
        if span / (step * m) <= n:
            step *= m
            break
    start = math.floor(lo / step + 1e-9) * step
    end = math.ceil(hi / step - 1e-9) * step
    k = int(round((end - start) / step))
    return [round(start + i * step, 10) for i in range(k + 1)]


@dataclass
class Series:
    name: str
    values: Sequence[float | None]
    color: str


@dataclass
class Marker:
    """A short vertical tick per category (e.g. the baseline's value)."""

    name: str
    values: Sequence[float | None]
    color: str = "#222"


@dataclass
class RefLine:
    value: float
    label: str
    color: str = "#333"
    dash: str = "5,4"


@dataclass
class Point:
    x: float
    y: float
    label: str = ""


@dataclass
class XYSeries:
    name: str
    points: list[Point]
    color: str = SERVICE
    markers_only: bool = False


@dataclass
class Legend:
    items: list[tuple[str, str, str]] = field(default_factory=list)  # (label, colour, kind)

    def height(self, width: float) -> float:
        if not self.items:
            return 0.0
        rows, x = 1, 0.0
        for label, _c, _k in self.items:
            w = 26 + text_width(label) + 16
            if x + w > width and x > 0:
                rows, x = rows + 1, 0.0
            x += w
        return rows * 18.0 + 4

    def render(self, x0: float, y0: float, width: float) -> str:
        out, x, y = [], x0, y0
        for label, color, kind in self.items:
            w = 26 + text_width(label) + 16
            if x + w > x0 + width and x > x0:
                x, y = x0, y + 18
            cy = y + 7
            if kind == "rect":
                out.append(f'<rect x="{x:.1f}" y="{cy - 5:.1f}" width="18" height="10" fill="{color}"/>')
            elif kind == "band":
                out.append(f'<rect x="{x:.1f}" y="{cy - 6:.1f}" width="18" height="12" fill="{color}" opacity="0.15"/>')
            elif kind == "tick":
                out.append(f'<line x1="{x + 9:.1f}" x2="{x + 9:.1f}" y1="{cy - 7:.1f}" y2="{cy + 7:.1f}" '
                           f'stroke="{color}" stroke-width="2.5"/>')
            elif kind == "dot":
                out.append(f'<circle cx="{x + 9:.1f}" cy="{cy:.1f}" r="4.5" fill="{color}"/>')
            elif kind == "star":
                out.append(f'<path d="{_star(x + 9, cy, 7)}" fill="{color}"/>')
            else:  # line / dash
                dash = ' stroke-dasharray="5,4"' if kind == "dash" else ""
                out.append(f'<line x1="{x:.1f}" x2="{x + 18:.1f}" y1="{cy:.1f}" y2="{cy:.1f}" stroke="{color}" '
                           f'stroke-width="2"{dash}/>')
            out.append(f'<text x="{x + 24:.1f}" y="{cy + 4:.1f}">{escape(label)}</text>')
            x += w
        return "".join(out)


def _star(cx: float, cy: float, r: float) -> str:
    pts = []
    for i in range(10):
        a = -math.pi / 2 + i * math.pi / 5
        rr = r if i % 2 == 0 else r * 0.45
        pts.append(f"{cx + rr * math.cos(a):.1f},{cy + rr * math.sin(a):.1f}")
    return "M" + "L".join(pts) + "Z"


def grouped_or(stacked: bool, series: Sequence[Series]) -> bool:
    return not stacked and len(series) > 1


def _svg_open(chart_id: str, title: str, width: float, height: float) -> str:
    return (f'<svg class="chart" data-chart="{escape(chart_id)}" xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" width="100%" role="img" aria-label="{escape(title)}" '
            f'preserveAspectRatio="xMinYMin meet" style="max-width:{width:.0f}px">'
            f'<title>{escape(title)}</title>')


def hbar_chart(chart_id: str, title: str, categories: Sequence[str], series: Sequence[Series], *,
               fmt: Callable[[float], str], stacked: bool = False, markers: Sequence[Marker] = (),
               ref_lines: Sequence[RefLine] = (), band: tuple[float, float, str] | None = None,
               x_max: float | None = None, width: float = 720, extra_legend: Sequence[tuple[str, str, str]] = (),
               category_notes: Sequence[str] | None = None, tick_fmt: Callable[[float], str] | None = None) -> str:
    """Horizontal bars, one row per category.

    ``stacked`` stacks the series (e.g. service + travel = workload); otherwise they are grouped.
    ``band=(lo, hi, label)`` shades an interval (e.g. mean ± tolerance). Missing values (``None``)
    draw no bar and are labelled "–". Stacked and single-series charts print each row's total in a
    column right of the plot (clear of markers and reference lines); grouped bars are labelled at
    their ends. ``tick_fmt`` formats the axis (default: ``fmt``).
    """
    n = len(categories)
    legend = Legend([(s.name, s.color, "rect") for s in series] + [(m.name, m.color, "tick") for m in markers]
                    + [(r.label, r.color, "dash") for r in ref_lines]
                    + ([(band[2], GOOD, "band")] if band else []) + list(extra_legend))
    label_w = min(230.0, max([text_width(c) for c in categories] + [30.0]) + 10)
    x0 = label_w + 6
    plot_w = width - x0 - (64 if grouped_or(stacked, series) else 76)
    top = 6 + legend.height(width - 12) + 6
    grouped = not stacked and len(series) > 1
    bar_h = 16.0 if not grouped else 11.0
    row_h = bar_h + 8 if not grouped else bar_h * len(series) + 10
    height = top + n * row_h + 26
    totals = []
    for i in range(n):
        vals = [s.values[i] for s in series if s.values[i] is not None]
        totals.append(sum(vals) if stacked else max(vals, default=0.0))
    cand = totals + [v for m in markers for v in m.values if v is not None] + [r.value for r in ref_lines]
    if band:
        cand.append(band[1])
    vmax = x_max if x_max is not None else max([c for c in cand if c is not None and math.isfinite(c)] + [0.0])
    ticks = nice_ticks(0.0, vmax if vmax > 0 else 1.0)
    xmax = ticks[-1]

    def sx(v: float) -> float:
        return x0 + plot_w * (v / xmax if xmax else 0)

    out = [_svg_open(chart_id, title, width, height)]
    out.append(legend.render(8, 6, width - 12))
    y_axis = top + n * row_h
    for t in ticks:
        x = sx(t)
        out.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{top - 2:.1f}" y2="{y_axis:.1f}"/>')
        out.append(f'<text class="tick" x="{x:.1f}" y="{y_axis + 15:.1f}" text-anchor="middle">{escape((tick_fmt or fmt)(t))}</text>')
    if band:
        lo, hi = max(band[0], 0.0), min(band[1], xmax)
        out.append(f'<rect class="band" x="{sx(lo):.1f}" y="{top - 2:.1f}" width="{max(sx(hi) - sx(lo), 0):.1f}" '
                   f'height="{y_axis - top + 2:.1f}" fill="{GOOD}" opacity="0.12"><title>{escape(band[2])}</title></rect>')
    for i, cat in enumerate(categories):
        y = top + i * row_h + 4
        note = f" {category_notes[i]}" if category_notes and category_notes[i] else ""
        out.append(f'<text class="cat" x="{x0 - 6:.1f}" y="{y + row_h / 2:.1f}" text-anchor="end">'
                   f'{escape(cat + note)}</text>')
        acc = 0.0
        for k, s in enumerate(series):
            v = s.values[i]
            if v is None or not math.isfinite(v):
                continue
            if stacked:
                xa, xb, yy = sx(acc), sx(acc + v), y
                acc += v
            else:
                xa, xb, yy = sx(0), sx(v), y + (k * bar_h if grouped else 0)
            out.append(f'<rect class="bar" data-value="{v:.6g}" x="{xa:.1f}" y="{yy:.1f}" '
                       f'width="{max(xb - xa, 0.5):.1f}" height="{bar_h - (1 if grouped else 0):.1f}" fill="{s.color}">'
                       f'<title>{escape(cat)} – {escape(s.name)}: {escape(fmt(v))}</title></rect>')
            if grouped:
                out.append(f'<text class="val" x="{xb + 4:.1f}" y="{yy + bar_h - 2:.1f}">{escape(fmt(v))}</text>')
        if grouped and all(s.values[i] is None for s in series):
            out.append(f'<text class="val" x="{x0 + 4:.1f}" y="{y + row_h / 2:.1f}">–</text>')
        if not grouped:
            tot = totals[i]
            out.append(f'<text class="val" x="{width - 6:.1f}" y="{y + bar_h - 3:.1f}" text-anchor="end">'
                       f'{escape(fmt(tot)) if any(s.values[i] is not None for s in series) else "–"}</text>')
        for m in markers:
            v = m.values[i]
            if v is None or not math.isfinite(v):
                continue
            x = sx(min(v, xmax))
            out.append(f'<line class="marker" data-value="{v:.6g}" x1="{x:.1f}" x2="{x:.1f}" y1="{y - 3:.1f}" '
                       f'y2="{y + row_h - 5:.1f}" stroke="{m.color}" stroke-width="2.5">'
                       f'<title>{escape(cat)} – {escape(m.name)}: {escape(fmt(v))}</title></line>')
    for r in ref_lines:
        x = sx(r.value)
        out.append(f'<line class="ref" data-value="{r.value:.6g}" x1="{x:.1f}" x2="{x:.1f}" y1="{top - 4:.1f}" '
                   f'y2="{y_axis:.1f}" stroke="{r.color}" stroke-width="1.6" stroke-dasharray="{r.dash}">'
                   f'<title>{escape(r.label)}: {escape(fmt(r.value))}</title></line>')
    out.append(f'<line class="axis" x1="{x0:.1f}" x2="{x0:.1f}" y1="{top - 2:.1f}" y2="{y_axis:.1f}"/>')
    out.append("</svg>")
    return "".join(out)


def decimals(ticks: Sequence[float]) -> int:
    """Decimals needed to tell the tick values apart."""
    for d in range(7):
        if all(abs(round(t, d) - t) < 1e-9 * max(1.0, abs(t)) for t in ticks):
            return d
    return 6


def xy_chart(chart_id: str, title: str, series: Sequence[XYSeries], *, x_label: str, y_label: str,
             x_fmt: Callable[[float], str], y_fmt: Callable[[float], str], highlight: Point | None = None,
             highlight_label: str = "", width: float = 720, height: float = 340,
             x_tick: Callable[[float, int], str] | None = None, y_tick: Callable[[float, int], str] | None = None,
             y_max: float | None = None) -> str:
    """Lines with labelled points (e.g. key frequency met against travel hours, one point per λ).

    ``x_tick(value, decimals)`` / ``y_tick`` format the axes with as many decimals as the tick
    step needs; ``y_max`` caps the y axis (1.0 for shares that cannot pass 100 %).
    """
    pts = [p for s in series for p in s.points] + ([highlight] if highlight else [])
    xs = [p.x for p in pts if math.isfinite(p.x)] or [0.0, 1.0]
    ys = [p.y for p in pts if math.isfinite(p.y)] or [0.0, 1.0]
    def pad(lo: float, hi: float, share: float, least: float) -> float:
        span = hi - lo
        return span * share if span > 1e-6 * max(1.0, abs(hi)) else max(abs(hi) * 0.05, least)

    xpad = pad(min(xs), max(xs), 0.05, 1.0)
    xt = nice_ticks(max(0.0, min(xs) - xpad), max(xs) + xpad)
    ylo, yhi = min(ys), max(ys)
    ypad = pad(ylo, yhi, 0.1, 0.05)
    top_y = yhi + (ypad if y_max is None or yhi + ypad <= y_max else 0.0)
    if y_max is not None:
        top_y = min(max(top_y, yhi), y_max) if yhi <= y_max else top_y
    yt = nice_ticks(max(0.0, ylo - ypad), top_y)
    if y_max is not None and yt[-1] > y_max >= yhi:
        yt = [t for t in yt if t <= y_max + 1e-12]
        if yt[-1] < y_max - 1e-12:
            yt.append(y_max)
    xd, yd = decimals(xt), decimals(yt)
    x_tick_fmt = (lambda v: x_tick(v, xd)) if x_tick else x_fmt
    y_tick_fmt = (lambda v: y_tick(v, yd)) if y_tick else y_fmt
    legend = Legend([(s.name, s.color, "dot" if s.markers_only else "line") for s in series]
                    + ([(highlight_label, "#c62828", "star")] if highlight else []))
    top = 8 + legend.height(width - 16) + 8
    left, right, bottom = 64.0, 20.0, 46.0
    pw, ph = width - left - right, height - top - bottom

    def sx(v: float) -> float:
        return left + pw * (v - xt[0]) / (xt[-1] - xt[0])

    def sy(v: float) -> float:
        return top + ph * (1 - (v - yt[0]) / (yt[-1] - yt[0]))

    out = [_svg_open(chart_id, title, width, height), legend.render(10, 6, width - 16)]
    for t in xt:
        out.append(f'<line class="grid" x1="{sx(t):.1f}" x2="{sx(t):.1f}" y1="{top:.1f}" y2="{top + ph:.1f}"/>')
        out.append(f'<text class="tick" x="{sx(t):.1f}" y="{top + ph + 15:.1f}" text-anchor="middle">{escape(x_tick_fmt(t))}</text>')
    for t in yt:
        out.append(f'<line class="grid" x1="{left:.1f}" x2="{left + pw:.1f}" y1="{sy(t):.1f}" y2="{sy(t):.1f}"/>')
        out.append(f'<text class="tick" x="{left - 6:.1f}" y="{sy(t) + 4:.1f}" text-anchor="end">{escape(y_tick_fmt(t))}</text>')
    out.append(f'<line class="axis" x1="{left:.1f}" x2="{left:.1f}" y1="{top:.1f}" y2="{top + ph:.1f}"/>')
    out.append(f'<line class="axis" x1="{left:.1f}" x2="{left + pw:.1f}" y1="{top + ph:.1f}" y2="{top + ph:.1f}"/>')
    out.append(f'<text class="axis-label" x="{left + pw / 2:.1f}" y="{height - 8:.1f}" text-anchor="middle">{escape(x_label)}</text>')
    out.append(f'<text class="axis-label" transform="translate(14,{top + ph / 2:.1f}) rotate(-90)" '
               f'text-anchor="middle">{escape(y_label)}</text>')
    for s in series:
        p = sorted([q for q in s.points if math.isfinite(q.x) and math.isfinite(q.y)], key=lambda q: q.x)
        if len(p) >= 2 and not s.markers_only:
            d = "M" + "L".join(f"{sx(q.x):.1f},{sy(q.y):.1f}" for q in p)
            out.append(f'<path class="line" d="{d}" fill="none" stroke="{s.color}" stroke-width="2"/>')
        for q in p:
            out.append(f'<circle class="pt" data-value="{q.y:.6g}" cx="{sx(q.x):.1f}" cy="{sy(q.y):.1f}" r="4" '
                       f'fill="{s.color}"><title>{escape(q.label)}: {escape(x_fmt(q.x))}, {escape(y_fmt(q.y))}</title></circle>')
            if q.label:
                out.append(f'<text class="pt-label" x="{sx(q.x) + 6:.1f}" y="{sy(q.y) - 6:.1f}">{escape(q.label)}</text>')
    if highlight and math.isfinite(highlight.x) and math.isfinite(highlight.y):
        out.append(f'<path class="pt highlight" data-value="{highlight.y:.6g}" d="{_star(sx(highlight.x), sy(highlight.y), 9)}" '
                   f'fill="#c62828"><title>{escape(highlight_label)}: {escape(x_fmt(highlight.x))}, '
                   f'{escape(y_fmt(highlight.y))}</title></path>')
    out.append("</svg>")
    return "".join(out)


__all__ = ["hbar_chart", "xy_chart", "Series", "Marker", "RefLine", "Point", "XYSeries", "nice_ticks",
           "SERVICE", "TRAVEL", "BASELINE", "PLAN_COLORS"]
