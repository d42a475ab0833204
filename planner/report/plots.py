"""Static charts saved as PNG next to the data they show (matplotlib, no display needed): the
balance-disruption curve of a re-zoning and the frequency-travel curve of a frontier sweep.
"""

from __future__ import annotations

import io

import pandas as pd


def _figure():
    """A new figure and axes of the house size (off-screen backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(7.5, 4.8), dpi=120)


def _png(fig) -> bytes:
    """The figure as PNG bytes; the figure is closed."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()

def curve_png(curve: pd.DataFrame, title: str) -> bytes:
    """Imbalance and travel share against the share of retailers moved (one point per budget)."""
    fig, ax = _figure()
    c = curve[curve["max_moved"].notna()]
    s = curve[curve["max_moved"].isna()]
    x = 100 * c["moved_share"].astype(float).to_numpy()
    ax.plot(x, 100 * c["imbalance"].astype(float), "-o", color="#d62728", label="imbalance (calendar)")
    if c["design_imbalance"].notna().any():
        ax.plot(x, 100 * c["design_imbalance"].astype(float), "--", marker=".", color="#ff9896",
                label="imbalance (territory design workload)")
    ax.plot(x, 100 * c["travel_share"].astype(float), "-s", color="#1f77b4", label="travel share")
    points: dict[tuple[float, float], list[str]] = {}  # budgets that give the same plan share a label
    for xi, yi, lab in zip(x, 100 * c["imbalance"].astype(float), c["label"], strict=True):
        points.setdefault((round(float(xi), 6), round(float(yi), 6)), []).append(str(lab).replace(" %", ""))
    for (xi, yi), labs in points.items():
        ax.annotate(f"budget {', '.join(labs)} %", (xi, yi), textcoords="offset points", xytext=(4, 6), fontsize=7)
    if len(s):
        sx = 100 * s["moved_share"].astype(float).to_numpy()
        ax.plot(sx, 100 * s["imbalance"].astype(float), "x", color="#d62728", ms=9)
        ax.plot(sx, 100 * s["travel_share"].astype(float), "x", color="#1f77b4", ms=9)
        ax.annotate("from scratch", (sx[0], 100 * float(s["imbalance"].iat[0])), textcoords="offset points",
                    xytext=(4, 6), fontsize=7)
    ax.set_xlabel("retailers moved for rebalancing (% of continuing retailers, weighted)")
    ax.set_ylabel("%")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _png(fig)


def frontier_png(table: pd.DataFrame, title: str) -> bytes:
    """Key-customer frequency met against travel hours per manager, one point per value."""
    fig, ax = _figure()
    x = table["travel_hours_per_manager"].to_numpy(float)
    y = 100 * table["key_frequency_compliance"].astype(float).to_numpy()
    ax.plot(x, y, "-o", color="#1f77b4")
    label = "λ" if table["param"].iat[0] == "lambda" else "key visits"
    for xi, yi, v in zip(x, y, table["value"], strict=True):
        ax.annotate(f"{label}={v:g}", (xi, yi), textcoords="offset points", xytext=(5, -12), fontsize=8)
    ax.set_xlabel("travel hours per manager (4-week horizon)")
    ax.set_ylabel("key-customer visits planned / required (%)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    return _png(fig)
