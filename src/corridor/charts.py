"""Charts of results as SVG text, drawn with Matplotlib: self-contained, the same bytes on every run.

Charts draw what they are given; they compute no metric. Text is drawn as
glyph outlines (nothing in the SVG runs or is read as markup), and a ``$`` in
a name is shown as typed, never read as Matplotlib's mathematical notation.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

__all__ = [
    "pareto_chart",
]

#: one colour per portfolio, in order (Tableau 10, readable in print and by most colour-blind readers)
SERIES = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"]
_RC: Any = {
    "svg.hashsalt": "corridor",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
}


def _text(value: Any) -> str:
    """User text for a Matplotlib label: a ``$`` shows as itself."""
    return str(value).replace("$", r"\$")


def _svg(fig: Any) -> str:
    """The figure as SVG text, without the date or any random id."""
    import matplotlib

    out = io.StringIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(out, format="svg", metadata={"Date": None, "Creator": "corridor"}, bbox_inches="tight")
    text = out.getvalue()
    text = text[max(text.find("<svg"), 0) :]
    # Matplotlib repeats each text in a comment beside its outline; the outline is enough
    return re.sub(r"<!--.*?-->\s*", "", text, flags=re.S)


def _figure(width_in: float, height_in: float) -> Any:
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):
        return Figure(figsize=(width_in, height_in), layout="constrained")


def pareto_chart(pareto: pd.DataFrame, *, value_title: str, portfolios: pd.DataFrame | None = None,
                 value_column: str | None = None) -> str:  # fmt: skip
    """The Pareto frontier of value against cost, with the compared portfolios marked.

    Parameters
    ----------
    pareto
        ``cost_usd``, ``value`` and ``projects`` (a sequence of ids) of each
        portfolio on the frontier.
    value_title
        What ``value`` is.
    portfolios
        The compared portfolios (indexed by name), with ``cost_usd_bn`` and
        ``value_column``, to mark.
    value_column
        Their column holding the same value.
    """
    import matplotlib

    frame = pareto.sort_values("cost_usd")
    with matplotlib.rc_context(_RC):
        fig = _figure(6.0, 3.6)
        ax = fig.subplots()
        x = frame["cost_usd"].to_numpy(dtype=float) / 1e9
        y = frame["value"].to_numpy(dtype=float)
        ax.step(x, y, where="post", color="#4e79a7", linewidth=1.5, label="Pareto frontier")
        ax.scatter(x, y, s=22, color="#4e79a7", zorder=3)
        for xi, yi, ids in zip(x, y, frame["projects"], strict=True):
            count = len(ids) if isinstance(ids, Sequence) and not isinstance(ids, str) else 1
            ax.annotate(f"{count}", (xi, yi), xytext=(3, -10), textcoords="offset points", fontsize=7, color="#555555")
        if portfolios is not None and value_column is not None:
            for i, (name, row) in enumerate(portfolios.iterrows()):
                px, py = float(row["cost_usd_bn"]), float(row[value_column])
                if math.isfinite(px) and math.isfinite(py):
                    ax.scatter([px], [py], s=50, marker="D", color=SERIES[(i + 1) % len(SERIES)], edgecolor="#333333",
                               zorder=4, label=_text(name))  # fmt: skip
        ax.set_xlabel("cost (USD bn)")
        ax.set_ylabel(_text(value_title))
        ax.legend(fontsize=8)
        ax.set_title("numbers: projects in each frontier portfolio", fontsize=8, color="#555555")
        return _svg(fig)
