"""Charts of results as SVG text, drawn with Matplotlib: self-contained, the same bytes on every run.

Charts draw what they are given; they compute no metric. Text is drawn as
glyph outlines (nothing in the SVG runs or is read as markup), and a ``$`` in
a name is shown as typed, never read as Matplotlib's mathematical notation.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "cost_gain_chart",
    "marginal_chart",
    "pareto_chart",
    "province_chart",
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


def cost_gain_chart(table: pd.DataFrame, columns: Mapping[str, str], *, cost_column: str = "cost_usd_bn") -> str:
    """Cost against each gain, one panel per gain column, one point per portfolio.

    Parameters
    ----------
    table
        One row per portfolio (the index names them): the cost and the gains.
    columns
        The gain columns to plot, with their titles.
    cost_column
        The cost column, in USD bn.
    """
    import matplotlib

    with matplotlib.rc_context(_RC):
        n = max(len(columns), 1)
        fig = _figure(3.2 * n, 3.0)
        axes = fig.subplots(1, n, squeeze=False)[0]
        for ax, (column, title) in zip(axes, columns.items(), strict=False):
            for i, (name, row) in enumerate(table.iterrows()):
                x, y = float(row[cost_column]), float(row[column])
                if not (math.isfinite(x) and math.isfinite(y)):
                    continue
                colour = SERIES[i % len(SERIES)]
                ax.scatter([x], [y], s=46, color=colour, edgecolor="#333333", linewidth=0.6, zorder=3)
                ax.annotate(_text(name), (x, y), xytext=(5, 4), textcoords="offset points", fontsize=8)
            ax.axhline(0, color="#888888", linewidth=0.8)
            ax.set_xlabel("cost (USD bn)")
            ax.set_title(_text(title), fontsize=9)
            ax.margins(x=0.25, y=0.25)
        return _svg(fig)


def province_chart(provinces: Mapping[str, pd.DataFrame], *, base_label: str = "base") -> str:
    """Time to the nearest seaport by province: the base and each portfolio, one row per province.

    Parameters
    ----------
    provinces
        Per portfolio, a frame indexed by province with
        ``to_seaport_min_base`` and ``to_seaport_min_scenario`` (see
        :func:`corridor.present.briefing.province_times`).
    base_label
        The base's name in the key.
    """
    import matplotlib

    frames = list(provinces.items())
    with matplotlib.rc_context(_RC):
        if not frames:
            fig = _figure(4, 1)
            return _svg(fig)
        first = frames[0][1]
        names = list(first.index)
        fig = _figure(7.0, 0.28 * len(names) + 1.2)
        ax = fig.subplots()
        y = np.arange(len(names))[::-1]
        base = first["to_seaport_min_base"].to_numpy(dtype=float)
        ax.scatter(base, y, s=40, color="white", edgecolor="#333333", linewidth=1.0, zorder=4, label=_text(base_label))
        for i, (label, frame) in enumerate(frames):
            after = frame.reindex(names)["to_seaport_min_scenario"].to_numpy(dtype=float)
            offset = (i - (len(frames) - 1) / 2) * 0.16
            colour = SERIES[i % len(SERIES)]
            for yi, b, a in zip(y + offset, base, after, strict=True):
                if math.isfinite(b) and math.isfinite(a):
                    ax.plot([b, a], [yi, yi], color=colour, linewidth=1.2, alpha=0.7, zorder=2)
            ax.scatter(after, y + offset, s=22, color=colour, edgecolor="#333333", linewidth=0.4, zorder=3,
                       label=_text(label))  # fmt: skip
        ax.set_yticks(y, [_text(n) for n in names])
        ax.set_xlabel("population-weighted minutes to the nearest seaport")
        ax.set_xlim(left=0)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        return _svg(fig)


def marginal_chart(projects: pd.DataFrame, columns: Mapping[str, tuple[str, int]]) -> str:
    """Each project's marginal contribution, one panel per headline, as horizontal bars (better to the right).

    Parameters
    ----------
    projects
        Indexed by project id: ``name`` and the columns.
    columns
        Per headline column, its title and which way is better (-1: lower;
        those panels' axes are reversed, so a longer bar to the right is
        always a larger gain).
    """
    import matplotlib

    with matplotlib.rc_context(_RC):
        n = max(len(columns), 1)
        fig = _figure(3.2 * n + 3.0, 0.28 * len(projects) + 1.3)
        axes = fig.subplots(1, n, squeeze=False, sharey=True)[0]
        y = np.arange(len(projects))[::-1]
        for k, (ax, (column, (title, better))) in enumerate(zip(axes, columns.items(), strict=False)):
            values = np.nan_to_num(projects[column].to_numpy(dtype=float), nan=0.0)
            colours = ["#4e79a7" if v * better > 0 else "#e15759" if v * better < 0 else "#bbbbbb" for v in values]
            ax.barh(y, values, color=colours, edgecolor="#333333", linewidth=0.4)
            ax.axvline(0, color="#555555", linewidth=0.8)
            if better < 0:
                ax.invert_xaxis()
            ax.set_title(_text(title) + ("\n(axis reversed: longer is better)" if better < 0 else "\n"), fontsize=9)
            if k == 0:
                ax.set_yticks(y, [_text(name) for name in projects["name"]])
        fig.supxlabel("the gain lost without the project (blue: a gain, red: a loss)", fontsize=8)
        return _svg(fig)


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


def portfolio_series(names: Sequence[str]) -> dict[str, str]:
    """The colour of each portfolio in the charts, by name."""
    return {name: SERIES[i % len(SERIES)] for i, name in enumerate(names)}
