"""Connectivity metrics of a network (base or scenario).

- travel times among gateways and economic zones, by mode (road, rail) and
  best of modes (``any``: road and rail combined, with their transfers);
- per zone: time to the nearest seaport and airport, door-to-ship time (the
  trip plus the port's handling time), population within 60, 90 and 120
  minutes of each seaport;
- gravity market access per zone, ``sum_j M_j * exp(-ln2 * t_ij / half_life)``
  with population and jobs as the masses, and its population-weighted mean.

Unreachable pairs are ``inf`` and listed in :attr:`Metrics.unreachable`; no
pair is dropped silently. Travel times come from :mod:`corridor.engine`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from corridor.engine import CompiledNetwork, compile_network, travel_times
from corridor.settings import Settings

__all__ = ["Metrics", "compute_metrics", "THRESHOLDS_MIN", "SUMMARY_LABELS"]

THRESHOLDS_MIN = (60, 90, 120)
OD_MODES = ("road", "rail", "any")
#: headline numbers: key -> (label, unit, which way is better: -1 lower, +1 higher)
SUMMARY_LABELS: dict[str, tuple[str, str, int]] = {
    "avg_to_seaport_min": ("mean time to the nearest seaport", "min", -1),
    "avg_to_airport_min": ("mean time to the nearest airport", "min", -1),
    "avg_door_to_ship_h": ("mean door-to-ship time", "h", -1),
    "pop_within_60_min_seaport": ("people within 60 min of a seaport", "people", 1),
    "pop_within_90_min_seaport": ("people within 90 min of a seaport", "people", 1),
    "pop_within_120_min_seaport": ("people within 120 min of a seaport", "people", 1),
    "market_access_pop": ("market access to population (pop-weighted mean)", "people", 1),
    "market_access_jobs": ("market access to jobs (pop-weighted mean)", "jobs", 1),
    "gateway_od_mean_min": ("mean time between gateways and economic zones", "min", -1),
    "unreachable_pairs": ("unreachable place pairs (best mode)", "pairs", -1),
}


@dataclass(frozen=True)
class Metrics:
    """Connectivity of one network.

    Attributes
    ----------
    od
        One row per (origin, destination) of gateways and economic zones;
        columns ``road_min``, ``rail_min``, ``any_min`` (``inf`` when
        unreachable) and ``best_min``.
    zones
        One row per zone: population, nearest seaport and airport and the
        minutes to them, door-to-ship hours, market access.
    seaports
        One row per seaport: the population within 60, 90 and 120 minutes.
    summary
        Headline numbers (see :data:`SUMMARY_LABELS`).
    unreachable
        The (origin, destination, mode) pairs with no path.
    """

    od: pd.DataFrame
    zones: pd.DataFrame
    seaports: pd.DataFrame
    summary: dict[str, float]
    unreachable: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)


def _nodes(G: nx.MultiDiGraph, kind: str, gateway_type: str | None = None) -> list[Any]:
    return [
        n
        for n, d in G.nodes(data=True)
        if d.get("kind") == kind and (gateway_type is None or d.get("gateway_type") == gateway_type)
    ]


def _label(G: nx.MultiDiGraph, n: Any) -> str:
    return str(G.nodes[n].get("place_id", n))


def compute_metrics(
    G: nx.MultiDiGraph,
    settings: Settings | None = None,
    *,
    mode: str = "any",
    compiled: dict[str, CompiledNetwork] | None = None,
) -> Metrics:
    """Compute every connectivity metric of a network.

    Parameters
    ----------
    G
        A network from :func:`corridor.build_network` or a scenario.
    settings
        The market-access half-life; defaults when None.
    mode
        The mode for the zone metrics (``any``: best of road and rail).
    compiled
        Compiled networks of G by mode, to reuse.
    """
    settings = settings or Settings()
    compiled = dict(compiled or {})
    for m in {*OD_MODES, mode}:
        if m not in compiled:
            compiled[m] = compile_network(G, m)  # type: ignore[arg-type]

    places = _nodes(G, "gateway") + _nodes(G, "economic_zone")
    zones = _nodes(G, "zone")
    seaports = _nodes(G, "gateway", "seaport")
    airports = _nodes(G, "gateway", "airport")
    job_nodes = [n for n, d in G.nodes(data=True) if (d.get("jobs") or 0) > 0]

    # origin-destination among gateways and economic zones
    frames = {}
    for m in OD_MODES:
        frames[m] = travel_times(compiled[m], places, places) / 60
    labels = [_label(G, n) for n in places]
    index = pd.MultiIndex.from_product([labels, labels], names=["origin", "destination"])
    od = pd.DataFrame({f"{m}_min": frames[m].ravel() for m in OD_MODES}, index=index)
    od["best_min"] = od[[f"{m}_min" for m in OD_MODES]].min(axis=1)
    od = od[od.index.get_level_values(0) != od.index.get_level_values(1)]

    # zones: to ports and airports, market access
    targets = list(dict.fromkeys(seaports + airports + zones + job_nodes))
    t = travel_times(compiled[mode], zones, targets) / 60
    col = {n: i for i, n in enumerate(targets)}
    pop = np.array([_population(G.nodes[z]) for z in zones], dtype=float)
    zone_frame = pd.DataFrame(
        {"name": [G.nodes[z]["name"] for z in zones], "population": pop.astype(np.int64)},
        index=pd.Index([_label(G, z) for z in zones], name="zone_id"),
    )
    for kind, group in (("seaport", seaports), ("airport", airports)):
        if group:
            sub = t[:, [col[n] for n in group]]
            best = sub.argmin(axis=1)
            zone_frame[f"to_{kind}_min"] = sub[np.arange(len(zones)), best]
            zone_frame[f"nearest_{kind}"] = [
                _label(G, group[b]) if math.isfinite(v) else None
                for b, v in zip(best, zone_frame[f"to_{kind}_min"], strict=True)
            ]
        else:
            zone_frame[f"to_{kind}_min"] = math.inf
            zone_frame[f"nearest_{kind}"] = None
    if seaports:
        handling = np.array([float(G.nodes[s].get("handling_h") or 0.0) for s in seaports])
        door = t[:, [col[s] for s in seaports]] / 60 + handling[None, :]
        zone_frame["door_to_ship_h"] = door.min(axis=1)
    else:
        zone_frame["door_to_ship_h"] = math.inf
    decay = math.log(2) / settings.market_access_half_life_min
    t_zz = t[:, [col[z] for z in zones]]
    np.fill_diagonal(t_zz, 0.0)
    zone_frame["market_access_pop"] = (np.exp(-decay * t_zz) * pop[None, :]).sum(axis=1)
    if job_nodes:
        jobs = np.array([float(G.nodes[n].get("jobs") or 0) for n in job_nodes])
        t_zj = t[:, [col[n] for n in job_nodes]]
        for i, z in enumerate(zones):  # a zone's own jobs need no trip
            if z in col and z in job_nodes:
                t_zj[i, job_nodes.index(z)] = 0.0
        zone_frame["market_access_jobs"] = (np.exp(-decay * t_zj) * jobs[None, :]).sum(axis=1)
    else:
        zone_frame["market_access_jobs"] = 0.0

    # seaport catchments
    port_rows = {}
    for s in seaports:
        times = t[:, col[s]]
        port_rows[_label(G, s)] = {
            "name": G.nodes[s]["name"],
            **{f"pop_within_{m}_min": int(pop[times <= m].sum()) for m in THRESHOLDS_MIN},
        }
    port_frame = pd.DataFrame.from_dict(port_rows, orient="index")
    port_frame.index.name = "gateway_id"

    best = od["best_min"]
    unreachable: list[tuple[str, str, str]] = [
        (str(o), str(dst), "best") for (o, dst), v in zip(od.index, best, strict=True) if not math.isfinite(v)
    ]
    unreachable += [
        (str(zid), kind, mode)
        for zid, row in zone_frame.iterrows()
        for kind in ("seaport", "airport")
        if not math.isfinite(row[f"to_{kind}_min"])
    ]
    unreachable_frame = pd.DataFrame(unreachable, columns=["origin", "destination", "mode"])

    total = pop.sum()
    to_port = zone_frame["to_seaport_min"].to_numpy()
    summary: dict[str, float] = {
        "population": float(total),
        "avg_to_seaport_min": float((to_port * pop).sum() / total),
        "avg_to_airport_min": float((zone_frame["to_airport_min"].to_numpy() * pop).sum() / total),
        "avg_door_to_ship_h": float((zone_frame["door_to_ship_h"].to_numpy() * pop).sum() / total),
        **{f"pop_within_{m}_min_seaport": float(pop[to_port <= m].sum()) for m in THRESHOLDS_MIN},
        "market_access_pop": float((zone_frame["market_access_pop"] * pop).sum() / total),
        "market_access_jobs": float((zone_frame["market_access_jobs"] * pop).sum() / total),
        "gateway_od_mean_min": float(od["best_min"][np.isfinite(od["best_min"])].mean()) if len(od) else math.nan,
        "unreachable_pairs": float(len(unreachable_frame)),
    }
    return Metrics(od, zone_frame, port_frame, summary, unreachable_frame, dict(G.graph.get("provenance", {})))


def _population(d: dict[str, Any]) -> float:
    return float(d.get("population_2020") or 0) + float(d.get("population_added") or 0)
