"""The headlines of a portfolio's score: which summary numbers the tables show, in which unit, and how a
change is named (a light module: what prints a table needs no engine)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "HEADLINES",
    "RELATIVE_KEYS",
    "SHAPLEY_COLUMN",
    "Headline",
    "gain_key",
]


#: summary keys whose change is reported as a percentage of the base value (see :func:`gain_key`)
RELATIVE_KEYS = frozenset({"market_access_pop", "market_access_jobs", "market_access_jobs_pt"})


def gain_key(key: str) -> str:
    """The key of a summary number's change in :func:`gains`: ``<key>_change_pct`` for a relative one.

    Every other key is its summary key, whose name ends in its unit (a change in minutes is ``..._min``).
    """
    return f"{key}_change_pct" if key in RELATIVE_KEYS else key


@dataclass(frozen=True)
class Headline:
    """A column of the comparison table: which summary change it shows, and how.

    Attributes
    ----------
    column
        The column name (units in the name).
    key
        The summary key whose change it shows; None for the cost.
    title
        The column's heading in tables and reports.
    scale
        Multiplier from the change in :func:`gains` (or the cost in USD) to the column's unit.
    better
        -1 when lower is better, +1 when higher is.
    """

    column: str
    key: str | None
    title: str
    scale: float
    better: int

    @property
    def gain(self) -> str:
        """The key of its change in :func:`gains` (see :func:`gain_key`)."""
        if self.key is None:
            raise KeyError(f"the {self.column} column shows no change of a summary number")
        return gain_key(self.key)


#: the Shapley column of the marginal table: each project's share of the change in market access to jobs
SHAPLEY_COLUMN = "shapley_market_access_jobs_pct"


#: The comparison table's columns: the one label table for every headline. Changes of time are in
#: minutes (a change of a few minutes in a door-to-ship time of a day shows); every headline moves for
#: some bundled portfolio (a test checks), so counts of people within a fixed time of a port, which a
#: zone crosses all at once, are in the summary and on the maps' reach layers, not here.
HEADLINES: tuple[Headline, ...] = (
    Headline("cost_usd_bn", None, "cost (USD bn)", 1e-9, -1),
    Headline("d_to_seaport_min", "avg_to_seaport_min", "Δ to seaport (min)", 1.0, -1),
    Headline("d_to_airport_min", "avg_to_airport_min", "Δ to airport (min)", 1.0, -1),
    Headline("d_door_to_ship_min", "avg_door_to_ship_h", "Δ door-to-ship (min)", 60.0, -1),
    Headline("d_market_access_pop_pct", "market_access_pop", "Δ market access pop (%)", 1.0, 1),
    Headline("d_market_access_jobs_pct", "market_access_jobs", "Δ market access jobs (%)", 1.0, 1),
    Headline("d_market_access_jobs_pt_pct", "market_access_jobs_pt", "Δ jobs by public transport (%)", 1.0, 1),
    Headline("d_gateway_od_min", "gateway_od_mean_min", "Δ gateway OD (min)", 1.0, -1),
)
