"""Connectivity metrics of a network (base or scenario).

- travel times among gateways and economic zones, by mode (road, rail) and
  best of modes (``any``: road and rail combined, with their transfers);
- per zone: time to the nearest seaport and airport, door-to-ship time (the
  trip plus the port's handling time), population within 60, 90 and 120
  minutes of each seaport;
- gravity market access per zone, ``sum_j M_j * exp(-ln2 * t_ij / half_life)``
  with population and jobs as the masses, and its population-weighted mean.

Unreachable pairs are ``inf`` and listed in :attr:`Metrics.unreachable`; no
pair is dropped silently. Travel times come from :mod:`corridor.paths.engine`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from corridor.network.build import centroids
from corridor.paths.engine import (
    CompiledNetwork,
    compile_network,
    travel_times,
)
from corridor.settings import Settings

__all__ = [
    "gains",
    "HEADLINES",
    "RELATIVE_KEYS",
    "SUMMARY_LABELS",
    "THRESHOLDS_MIN",
    "Headline",
    "Layout",
    "Metrics",
    "compute_metrics",
    "layout_of",
    "metrics_from_matrices",
    "reach_from_matrices",
    "summary_from_matrices",
]

THRESHOLDS_MIN = (60, 90, 120)
OD_MODES = ("road", "rail", "transit", "any")
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
    "market_access_jobs_pt": ("market access to jobs by public transport (pop-weighted mean)", "jobs", 1),
    "gateway_od_mean_min": ("mean time between the base network's gateways and economic zones", "min", -1),
    "unreachable_pairs": ("unreachable place pairs (best mode)", "pairs", -1),
}
#: summary keys whose change is reported as a fraction of the base value
RELATIVE_KEYS = frozenset({"market_access_pop", "market_access_jobs", "market_access_jobs_pt"})


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
        Multiplier from the change (or cost in USD) to the column's unit.
    better
        -1 when lower is better, +1 when higher is.
    """

    column: str
    key: str | None
    title: str
    scale: float
    better: int


#: The comparison table's columns: the one label table for every headline.
HEADLINES: tuple[Headline, ...] = (
    Headline("cost_usd_bn", None, "cost (USD bn)", 1e-9, -1),
    Headline("d_to_seaport_min", "avg_to_seaport_min", "Δ to seaport (min)", 1.0, -1),
    Headline("d_to_airport_min", "avg_to_airport_min", "Δ to airport (min)", 1.0, -1),
    Headline("d_door_to_ship_h", "avg_door_to_ship_h", "Δ door-to-ship (h)", 1.0, -1),
    Headline("d_pop_90min_port_m", "pop_within_90_min_seaport", "Δ pop ≤90 min of port (M)", 1e-6, 1),
    Headline("d_market_access_pop_pct", "market_access_pop", "Δ market access pop (%)", 100.0, 1),
    Headline("d_market_access_jobs_pct", "market_access_jobs", "Δ market access jobs (%)", 100.0, 1),
    Headline("d_market_access_jobs_pt_pct", "market_access_jobs_pt", "Δ jobs by public transport (%)", 100.0, 1),
    Headline("d_gateway_od_min", "gateway_od_mean_min", "Δ gateway OD (min)", 1.0, -1),
)


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

    def _repr_html_(self) -> str:
        """The headline numbers as a table, for Jupyter."""
        rows = [
            (label, f"{self.summary[key]:,.2f}" if key in self.summary else "n/a", unit)
            for key, (label, unit, _) in SUMMARY_LABELS.items()
        ]
        frame = pd.DataFrame(rows, columns=["metric", "value", "unit"]).set_index("metric")
        return frame.to_html(escape=True)


def compute_metrics(
    G: nx.MultiDiGraph,
    settings: Settings | None = None,
    *,
    mode: str = "any",
    compiled: dict[str, CompiledNetwork] | None = None,
    backend: str | None = None,
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
    backend
        The shortest-path backend; ``settings.engine_backend`` when None.
    """
    settings = settings or Settings()
    backend = backend or settings.engine_backend
    compiled = dict(compiled or {})
    cents = centroids(G)
    matrices = {}
    for m in dict.fromkeys((*OD_MODES, mode)):
        if m not in compiled:
            compiled[m] = compile_network(G, m)
        matrices[m] = travel_times(compiled[m], cents, cents, backend=backend, workers=settings.engine_workers)
    info = [dict(G.nodes[n]) for n in cents]
    return metrics_from_matrices(info, matrices, settings, mode=mode, provenance=G.graph.get("provenance", {}))


@dataclass
class _Arrays:
    """The numbers behind the metrics, before any frame is built."""

    labels: list[str]
    zones: list[int]
    places: list[int]
    seaports: list[int]
    airports: list[int]
    pop: np.ndarray
    od: dict[str, np.ndarray]  # mode -> places x places minutes
    to: dict[str, np.ndarray]  # seaport / airport -> minutes per zone
    nearest: dict[str, np.ndarray]  # seaport / airport -> position in the group
    door_h: np.ndarray
    ma_pop: np.ndarray
    ma_jobs: np.ndarray
    ma_jobs_pt: np.ndarray
    t: np.ndarray  # zones x all centroids, minutes
    in_base: list[bool]  # per place: part of the base network (not added by a project)


@dataclass(frozen=True)
class Layout:
    """Where the zones, places, ports and jobs are among a scenario's centroids: what the metrics read of the nodes.

    Built once per set of centroids (:func:`layout_of`) and reused by every
    matrix of them, so a sweep does not read the nodes again.
    """

    labels: list[str]
    zones: list[int]
    places: list[int]
    seaports: list[int]
    airports: list[int]
    pop: np.ndarray
    handling_h: np.ndarray  # per seaport
    job_nodes: list[int]
    jobs: np.ndarray  # per job node
    own_jobs: tuple[np.ndarray, np.ndarray]  # (zone row, job column) of a zone's own jobs
    in_base: list[bool]  # per place: part of the base network (not added by a project)


def layout_of(nodes: list[dict[str, Any]]) -> Layout:
    """The :class:`Layout` of centroids given by their attributes (see :func:`metrics_from_matrices`)."""
    kinds = [d.get("kind") for d in nodes]
    labels = [str(d.get("place_id")) for d in nodes]
    zones = [i for i, k in enumerate(kinds) if k == "zone"]
    places = [i for i, k in enumerate(kinds) if k == "gateway"]
    places += [i for i, k in enumerate(kinds) if k == "economic_zone"]
    seaports = [i for i in places if kinds[i] == "gateway" and nodes[i].get("gateway_type") == "seaport"]
    airports = [i for i in places if kinds[i] == "gateway" and nodes[i].get("gateway_type") == "airport"]
    job_nodes = [i for i, d in enumerate(nodes) if (d.get("jobs") or 0) > 0]
    column = {j: c for c, j in enumerate(job_nodes)}
    own = [(r, column[z]) for r, z in enumerate(zones) if z in column]  # a zone's own jobs need no trip
    return Layout(
        labels=labels,
        zones=zones,
        places=places,
        seaports=seaports,
        airports=airports,
        pop=np.array([_population(nodes[z]) for z in zones], dtype=float),
        handling_h=np.array([float(nodes[s].get("handling_h") or 0.0) for s in seaports]),
        job_nodes=job_nodes,
        jobs=np.array([float(nodes[i].get("jobs") or 0) for i in job_nodes]),
        own_jobs=(np.array([r for r, _ in own], dtype=np.int64), np.array([c for _, c in own], dtype=np.int64)),
        in_base=[nodes[i].get("project") is None for i in places],
    )


def _arrays(
    nodes: list[dict[str, Any]],
    matrices: dict[str, np.ndarray],
    settings: Settings,
    mode: str,
    layout: Layout | None = None,
) -> _Arrays:
    lay = layout or layout_of(nodes)
    zones, places, seaports = lay.zones, lay.places, lay.seaports
    od = {m: matrices[m][np.ix_(places, places)] / 60 for m in OD_MODES}
    t = matrices[mode][zones] / 60
    pop = lay.pop
    to, nearest = {}, {}
    for kind, group in (("seaport", seaports), ("airport", lay.airports)):
        if group:
            sub = t[:, group]
            nearest[kind] = sub.argmin(axis=1)
            to[kind] = sub[np.arange(len(zones)), nearest[kind]]
        else:
            nearest[kind] = np.zeros(len(zones), dtype=np.int64)
            to[kind] = np.full(len(zones), math.inf)
    door = (t[:, seaports] / 60 + lay.handling_h[None, :]).min(axis=1) if seaports else np.full(len(zones), math.inf)
    decay = math.log(2) / settings.market_access_half_life_min
    t_zz = t[:, zones]  # a copy (fancy indexing)
    np.fill_diagonal(t_zz, 0.0)
    ma_pop = (np.exp(-decay * t_zz) * pop[None, :]).sum(axis=1)
    ma_jobs = _access_to_jobs(t, lay, decay)
    ma_jobs_pt = _access_to_jobs(matrices["transit"][zones] / 60, lay, decay)
    return _Arrays(
        lay.labels,
        zones,
        places,
        seaports,
        lay.airports,
        pop,
        od,
        to,
        nearest,
        door,
        ma_pop,
        ma_jobs,
        ma_jobs_pt,
        t,
        lay.in_base,
    )


def _access_to_jobs(t: np.ndarray, lay: Layout, decay: float) -> np.ndarray:
    """Gravity market access to jobs per zone from zones x centroids minutes; a zone's own jobs need no trip."""
    if not lay.job_nodes:
        return np.zeros(len(lay.zones))
    t_zj = t[:, lay.job_nodes]  # a copy (fancy indexing)
    t_zj[lay.own_jobs] = 0.0
    return (np.exp(-decay * t_zj) * lay.jobs[None, :]).sum(axis=1)


def _summary(a: _Arrays) -> dict[str, float]:
    total = a.pop.sum()
    best = np.minimum.reduce([a.od[m] for m in OD_MODES]) if a.places else np.empty((0, 0))
    off = ~np.eye(len(a.places), dtype=bool)
    finite_all = np.isfinite(best[off])
    unreachable = int((~finite_all).sum()) + sum(int((~np.isfinite(a.to[k])).sum()) for k in ("seaport", "airport"))
    # the mean over the base network's places only, so a new gateway never shifts it by being averaged in
    base = np.array(a.in_base, dtype=bool)
    pairs = best[off & base[:, None] & base[None, :]]
    finite = np.isfinite(pairs)
    to_port = a.to["seaport"]
    return {
        "population": float(total),
        "avg_to_seaport_min": float((to_port * a.pop).sum() / total),
        "avg_to_airport_min": float((a.to["airport"] * a.pop).sum() / total),
        "avg_door_to_ship_h": float((a.door_h * a.pop).sum() / total),
        **{f"pop_within_{m}_min_seaport": float(a.pop[to_port <= m].sum()) for m in THRESHOLDS_MIN},
        "market_access_pop": float((a.ma_pop * a.pop).sum() / total),
        "market_access_jobs": float((a.ma_jobs * a.pop).sum() / total),
        "market_access_jobs_pt": float((a.ma_jobs_pt * a.pop).sum() / total),
        "gateway_od_mean_min": float(pairs[finite].mean()) if finite.any() else math.nan,
        "unreachable_pairs": float(unreachable),
    }


def summary_from_matrices(
    nodes: list[dict[str, Any]],
    matrices: dict[str, np.ndarray],
    settings: Settings,
    *,
    mode: str = "any",
    layout: Layout | None = None,
) -> dict[str, float]:
    """Only the headline numbers of :func:`metrics_from_matrices`, without building frames (for sweeps).

    ``layout`` is :func:`layout_of` these nodes, when the caller keeps it.
    """
    return _summary(_arrays(nodes, matrices, settings, mode, layout))


def metrics_from_matrices(
    nodes: list[dict[str, Any]],
    matrices: dict[str, np.ndarray],
    settings: Settings,
    *,
    mode: str = "any",
    provenance: dict[str, Any] | None = None,
) -> Metrics:
    """The metrics from centroid-to-centroid travel times (seconds), one matrix per mode.

    ``nodes`` are the centroids' attributes (``kind``, ``place_id``, ``name``,
    ``gateway_type``, ``population_2020``, ``jobs``, ``handling_h``), in the
    matrices' order.
    """
    a = _arrays(nodes, matrices, settings, mode)
    labels = [a.labels[i] for i in a.places]
    index = pd.MultiIndex.from_product([labels, labels], names=["origin", "destination"])
    od = pd.DataFrame({f"{m}_min": a.od[m].ravel() for m in OD_MODES}, index=index)
    od["best_min"] = od[[f"{m}_min" for m in OD_MODES]].min(axis=1)
    od = od[od.index.get_level_values(0) != od.index.get_level_values(1)]

    zone_frame = pd.DataFrame(
        {"name": [nodes[z]["name"] for z in a.zones], "population": a.pop.astype(np.int64)},
        index=pd.Index([a.labels[z] for z in a.zones], name="zone_id"),
    )
    for kind, group in (("seaport", a.seaports), ("airport", a.airports)):
        zone_frame[f"to_{kind}_min"] = a.to[kind]
        zone_frame[f"nearest_{kind}"] = [
            a.labels[group[b]] if group and math.isfinite(v) else None
            for b, v in zip(a.nearest[kind], a.to[kind], strict=True)
        ]
    zone_frame["door_to_ship_h"] = a.door_h
    zone_frame["market_access_pop"] = a.ma_pop
    zone_frame["market_access_jobs"] = a.ma_jobs
    zone_frame["market_access_jobs_pt"] = a.ma_jobs_pt

    port_rows = {}
    for s in a.seaports:
        times = a.t[:, s]
        port_rows[a.labels[s]] = {
            "name": nodes[s]["name"],
            **{f"pop_within_{m}_min": int(a.pop[times <= m].sum()) for m in THRESHOLDS_MIN},
        }
    port_frame = pd.DataFrame.from_dict(port_rows, orient="index")
    port_frame.index.name = "gateway_id"

    bad = ~np.isfinite(od["best_min"].to_numpy())
    unreachable: list[tuple[str, str, str]] = [(str(o), str(dst), "best") for o, dst in od.index[bad]]
    for kind in ("seaport", "airport"):
        unreachable += [(str(z), kind, mode) for z in zone_frame.index[~np.isfinite(a.to[kind])]]
    unreachable_frame = pd.DataFrame(unreachable, columns=["origin", "destination", "mode"])
    return Metrics(od, zone_frame, port_frame, _summary(a), unreachable_frame, dict(provenance or {}))


def _population(d: dict[str, Any]) -> float:
    return float(d.get("population_2020") or 0) + float(d.get("population_added") or 0)


def reach_from_matrices(
    nodes: list[dict[str, Any]],
    matrices: dict[str, np.ndarray],
    *,
    mode: str = "any",
    thresholds_min: tuple[int, ...] = THRESHOLDS_MIN,
) -> pd.DataFrame:
    """Which zones reach each seaport and airport within each threshold.

    Parameters
    ----------
    nodes, matrices
        As for :func:`metrics_from_matrices` (seconds, centroid x centroid).
    mode
        The mode of the trips (``any``: best of road and rail).
    thresholds_min
        The thresholds, in minutes.

    Returns
    -------
    pandas.DataFrame
        Indexed by (``gateway_id``, ``threshold_min``): ``name``,
        ``gateway_type``, ``zones`` (the ids of the zones whose trip to the
        gateway takes at most the threshold, sorted) and ``population``
        (theirs).
    """
    kinds = [d.get("kind") for d in nodes]
    zones = [i for i, k in enumerate(kinds) if k == "zone"]
    gateways = [
        i for i, d in enumerate(nodes) if kinds[i] == "gateway" and d.get("gateway_type") in {"seaport", "airport"}
    ]
    minutes = matrices[mode][np.ix_(zones, gateways)] / 60 if zones and gateways else np.empty((len(zones), 0))
    zone_ids = np.array([str(nodes[z].get("place_id")) for z in zones], dtype=object)
    pop = np.array([_population(nodes[z]) for z in zones], dtype=float)
    rows = []
    for col, g in enumerate(gateways):
        for threshold in thresholds_min:
            within = minutes[:, col] <= threshold
            rows.append(
                {
                    "gateway_id": str(nodes[g].get("place_id")),
                    "threshold_min": int(threshold),
                    "name": str(nodes[g].get("name")),
                    "gateway_type": str(nodes[g].get("gateway_type")),
                    "zones": tuple(sorted(zone_ids[within])),
                    "population": float(pop[within].sum()),
                }
            )
    columns = ["gateway_id", "threshold_min", "name", "gateway_type", "zones", "population"]
    return pd.DataFrame(rows, columns=columns).set_index(["gateway_id", "threshold_min"])


def gains(base: dict[str, float], scenario: dict[str, float]) -> dict[str, float]:
    """Scenario minus base for each summary key; market access as a fraction of the base."""
    out = {}
    for key in SUMMARY_LABELS:
        b, s = base.get(key, math.nan), scenario.get(key, math.nan)
        out[key] = (s - b) / b if key in RELATIVE_KEYS and b else s - b
    return out
