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

from corridor.access.headlines import HEADLINES, RELATIVE_KEYS, SHAPLEY_COLUMN, Headline, gain_key
from corridor.network.build import centroids
from corridor.paths.engine import (
    CompiledNetwork,
    compile_network,
    travel_times,
)
from corridor.settings import Settings

__all__ = [
    "gain_key",
    "gains",
    "HEADLINES",
    "RELATIVE_KEYS",
    "SHAPLEY_COLUMN",
    "SUMMARY_LABELS",
    "THRESHOLDS_MIN",
    "ZONE_SUMMARY_KEYS",
    "Headline",
    "Layout",
    "Metrics",
    "compute_metrics",
    "layout_of",
    "metrics_from_matrices",
    "reach_from_matrices",
    "summary_from_matrices",
    "zone_summary_from_matrices",
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
#: the summary keys read from the zones' own times by the best of modes alone (no other mode, no place pair)
ZONE_SUMMARY_KEYS = frozenset(
    {
        "population",
        "avg_to_seaport_min",
        "avg_to_airport_min",
        "avg_door_to_ship_h",
        *(f"pop_within_{m}_min_seaport" for m in THRESHOLDS_MIN),
        "market_access_pop",
        "market_access_jobs",
    }
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


@dataclass
class _Arrays:
    """The numbers behind the metrics, before any frame is built."""

    layout: Layout  # where the zones, places and ports are
    od: dict[str, np.ndarray]  # mode -> places x places minutes
    to: dict[str, np.ndarray]  # seaport / airport -> minutes per zone
    nearest: dict[str, np.ndarray]  # seaport / airport -> position in the group
    door_h: np.ndarray
    ma_pop: np.ndarray
    ma_jobs: np.ndarray
    ma_jobs_pt: np.ndarray
    t: np.ndarray  # zones x all centroids, minutes


def layout_of(nodes: list[dict[str, Any]]) -> Layout:
    """The :class:`Layout` of centroids given by their attributes (see :func:`metrics_from_matrices`)."""
    kinds = [d.get("kind") for d in nodes]
    zones = _positions(kinds, "zone")
    places = _positions(kinds, "gateway") + _positions(kinds, "economic_zone")
    seaports = _gateways(nodes, places, "seaport")
    job_nodes, jobs, own_jobs = _jobs(nodes, zones)
    return Layout(
        labels=[str(d.get("place_id")) for d in nodes],
        zones=zones,
        places=places,
        seaports=seaports,
        airports=_gateways(nodes, places, "airport"),
        pop=np.array([_population(nodes[z]) for z in zones], dtype=float),
        handling_h=np.array([float(nodes[s].get("handling_h") or 0.0) for s in seaports]),
        job_nodes=job_nodes,
        jobs=jobs,
        own_jobs=own_jobs,
        in_base=[nodes[i].get("project") is None for i in places],
    )


def _positions(kinds: list[Any], kind: str) -> list[int]:
    """The positions of the centroids of one kind (``zone``, ``gateway``, ``economic_zone``), in order."""
    return [i for i, k in enumerate(kinds) if k == kind]


def _gateways(nodes: list[dict[str, Any]], positions: list[int], gateway_type: str) -> list[int]:
    """Those of ``positions`` that are gateways of one type (``seaport``, ``airport``), in order."""
    return [i for i in positions if nodes[i].get("kind") == "gateway" and nodes[i].get("gateway_type") == gateway_type]


def _jobs(nodes: list[dict[str, Any]], zones: list[int]) -> tuple[list[int], np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """The centroids with jobs, their jobs, and the (zone row, job column) of each zone's own jobs.

    A zone's own jobs need no trip.
    """
    job_nodes = [i for i, d in enumerate(nodes) if (d.get("jobs") or 0) > 0]
    column = {j: c for c, j in enumerate(job_nodes)}
    own = [(r, column[z]) for r, z in enumerate(zones) if z in column]
    jobs = np.array([float(nodes[i].get("jobs") or 0) for i in job_nodes])
    own_jobs = (np.array([r for r, _ in own], dtype=np.int64), np.array([c for _, c in own], dtype=np.int64))
    return job_nodes, jobs, own_jobs


def _arrays(
    nodes: list[dict[str, Any]],
    matrices: dict[str, np.ndarray],
    settings: Settings,
    mode: str,
    layout: Layout | None = None,
) -> _Arrays:
    lay = layout or layout_of(nodes)
    od = {m: matrices[m][np.ix_(lay.places, lay.places)] / 60 for m in OD_MODES}
    t = matrices[mode][lay.zones] / 60
    to, nearest, door, ma_pop, ma_jobs = _zone_numbers(t, lay, settings)
    ma_jobs_pt = _access_to_jobs(matrices["transit"][lay.zones] / 60, lay, _decay(settings))
    return _Arrays(lay, od, to, nearest, door, ma_pop, ma_jobs, ma_jobs_pt, t)


def _decay(settings: Settings) -> float:
    """The market access decay per minute (half the weight at the half-life)."""
    return math.log(2) / settings.market_access_half_life_min


def _zone_numbers(
    t: np.ndarray, lay: Layout, settings: Settings
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """From zones x centroids minutes: per zone, the minutes to and position of the nearest seaport and
    airport, the hours door to ship, and market access to people and to jobs."""
    zones, seaports = lay.zones, lay.seaports
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
    decay = _decay(settings)
    t_zz = t[:, zones]  # a copy (fancy indexing)
    np.fill_diagonal(t_zz, 0.0)
    ma_pop = (np.exp(-decay * t_zz) * lay.pop[None, :]).sum(axis=1)
    ma_jobs = _access_to_jobs(t, lay, decay)
    return to, nearest, door, ma_pop, ma_jobs


def _access_to_jobs(t: np.ndarray, lay: Layout, decay: float) -> np.ndarray:
    """Gravity market access to jobs per zone from zones x centroids minutes; a zone's own jobs need no trip."""
    if not lay.job_nodes:
        return np.zeros(len(lay.zones))
    t_zj = t[:, lay.job_nodes]  # a copy (fancy indexing)
    t_zj[lay.own_jobs] = 0.0
    return (np.exp(-decay * t_zj) * lay.jobs[None, :]).sum(axis=1)


def _zone_headlines(
    lay: Layout, to: dict[str, np.ndarray], door: np.ndarray, ma_pop: np.ndarray, ma_jobs: np.ndarray
) -> dict[str, float]:
    """The headline numbers of the zones' own times (see :data:`ZONE_SUMMARY_KEYS`), population-weighted."""
    pop = lay.pop
    total = pop.sum()
    to_port = to["seaport"]
    return {
        "population": float(total),
        "avg_to_seaport_min": float((to_port * pop).sum() / total),
        "avg_to_airport_min": float((to["airport"] * pop).sum() / total),
        "avg_door_to_ship_h": float((door * pop).sum() / total),
        **{f"pop_within_{m}_min_seaport": float(pop[to_port <= m].sum()) for m in THRESHOLDS_MIN},
        "market_access_pop": float((ma_pop * pop).sum() / total),
        "market_access_jobs": float((ma_jobs * pop).sum() / total),
    }


def _summary(a: _Arrays) -> dict[str, float]:
    lay = a.layout
    pop = lay.pop
    total = pop.sum()
    best = np.minimum.reduce([a.od[m] for m in OD_MODES]) if lay.places else np.empty((0, 0))
    off = ~np.eye(len(lay.places), dtype=bool)
    finite_all = np.isfinite(best[off])
    unreachable = int((~finite_all).sum()) + sum(int((~np.isfinite(a.to[k])).sum()) for k in ("seaport", "airport"))
    # the mean over the base network's places only, so a new gateway never shifts it by being averaged in
    base = np.array(lay.in_base, dtype=bool)
    pairs = best[off & base[:, None] & base[None, :]]
    finite = np.isfinite(pairs)
    return {
        **_zone_headlines(lay, a.to, a.door_h, a.ma_pop, a.ma_jobs),
        "market_access_jobs_pt": float((a.ma_jobs_pt * pop).sum() / total),
        "gateway_od_mean_min": float(pairs[finite].mean()) if finite.any() else math.nan,
        "unreachable_pairs": float(unreachable),
    }


def zone_summary_from_matrices(
    nodes: list[dict[str, Any]],
    times_s: np.ndarray,
    settings: Settings,
    *,
    layout: Layout | None = None,
) -> dict[str, float]:
    """The headline numbers of :data:`ZONE_SUMMARY_KEYS` alone, from one mode's centroid x centroid seconds.

    Each is the same number :func:`summary_from_matrices` gives with that
    mode's matrix (computed by the same steps), for a sweep whose objective
    reads nothing else (market access, time to port).
    """
    lay = layout or layout_of(nodes)
    to, _, door, ma_pop, ma_jobs = _zone_numbers(times_s[lay.zones] / 60, lay, settings)
    return _zone_headlines(lay, to, door, ma_pop, ma_jobs)


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
    od = _od_frame(a)
    zone_frame = _zone_frame(nodes, a)
    port_frame = _port_frame(nodes, a)
    unreachable = _unreachable_frame(od, zone_frame, a, mode)
    return Metrics(od, zone_frame, port_frame, _summary(a), unreachable, dict(provenance or {}))


def _od_frame(a: _Arrays) -> pd.DataFrame:
    """Minutes between every two distinct gateways and economic zones, by mode and best of modes."""
    labels = [a.layout.labels[i] for i in a.layout.places]
    index = pd.MultiIndex.from_product([labels, labels], names=["origin", "destination"])
    od = pd.DataFrame({f"{m}_min": a.od[m].ravel() for m in OD_MODES}, index=index)
    od["best_min"] = od[[f"{m}_min" for m in OD_MODES]].min(axis=1)
    return od[od.index.get_level_values(0) != od.index.get_level_values(1)]


def _zone_frame(nodes: list[dict[str, Any]], a: _Arrays) -> pd.DataFrame:
    """Per zone: population, the nearest seaport and airport and the minutes to them, door to ship, market access."""
    lay = a.layout
    zone_frame = pd.DataFrame(
        {"name": [nodes[z]["name"] for z in lay.zones], "population": lay.pop.astype(np.int64)},
        index=pd.Index([lay.labels[z] for z in lay.zones], name="zone_id"),
    )
    for kind, group in (("seaport", lay.seaports), ("airport", lay.airports)):
        zone_frame[f"to_{kind}_min"] = a.to[kind]
        zone_frame[f"nearest_{kind}"] = [
            lay.labels[group[b]] if group and math.isfinite(v) else None
            for b, v in zip(a.nearest[kind], a.to[kind], strict=True)
        ]
    zone_frame["door_to_ship_h"] = a.door_h
    zone_frame["market_access_pop"] = a.ma_pop
    zone_frame["market_access_jobs"] = a.ma_jobs
    zone_frame["market_access_jobs_pt"] = a.ma_jobs_pt
    return zone_frame


def _port_frame(nodes: list[dict[str, Any]], a: _Arrays) -> pd.DataFrame:
    """Per seaport: the population within each threshold of minutes."""
    lay = a.layout
    port_rows = {}
    for s in lay.seaports:
        times = a.t[:, s]
        port_rows[lay.labels[s]] = {
            "name": nodes[s]["name"],
            **{f"pop_within_{m}_min": int(lay.pop[times <= m].sum()) for m in THRESHOLDS_MIN},
        }
    port_frame = pd.DataFrame.from_dict(port_rows, orient="index")
    port_frame.index.name = "gateway_id"
    return port_frame


def _unreachable_frame(od: pd.DataFrame, zone_frame: pd.DataFrame, a: _Arrays, mode: str) -> pd.DataFrame:
    """The (origin, destination, mode) pairs with no path: places by best of modes, then zones to ports."""
    bad = ~np.isfinite(od["best_min"].to_numpy())
    unreachable: list[tuple[str, str, str]] = [(str(o), str(dst), "best") for o, dst in od.index[bad]]
    for kind in ("seaport", "airport"):
        unreachable += [(str(z), kind, mode) for z in zone_frame.index[~np.isfinite(a.to[kind])]]
    return pd.DataFrame(unreachable, columns=["origin", "destination", "mode"])


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
    zones = _positions([d.get("kind") for d in nodes], "zone")
    gateways = [
        i for i, d in enumerate(nodes) if d.get("kind") == "gateway" and d.get("gateway_type") in {"seaport", "airport"}
    ]
    minutes = matrices[mode][np.ix_(zones, gateways)] / 60 if zones and gateways else np.empty((len(zones), 0))
    zone_ids = np.array([str(nodes[z].get("place_id")) for z in zones], dtype=object)
    pop = np.array([_population(nodes[z]) for z in zones], dtype=float)
    rows = []
    for col, g in enumerate(gateways):
        for threshold in thresholds_min:
            within = minutes[:, col] <= threshold
            rows.append(_reach_row(nodes[g], threshold, zone_ids[within], pop[within]))
    columns = ["gateway_id", "threshold_min", "name", "gateway_type", "zones", "population"]
    return pd.DataFrame(rows, columns=columns).set_index(["gateway_id", "threshold_min"])


def _reach_row(gateway: dict[str, Any], threshold_min: int, zone_ids: np.ndarray, pop: np.ndarray) -> dict[str, Any]:
    """One row of :func:`reach_from_matrices`: a gateway, a threshold, the zones within it and their population."""
    return {
        "gateway_id": str(gateway.get("place_id")),
        "threshold_min": int(threshold_min),
        "name": str(gateway.get("name")),
        "gateway_type": str(gateway.get("gateway_type")),
        "zones": tuple(sorted(zone_ids)),
        "population": float(pop.sum()),
    }


def gains(base: dict[str, float], scenario: dict[str, float]) -> dict[str, float]:
    """Scenario minus base for each summary key, the unit in each key's name (see :func:`gain_key`).

    Market access changes by a percentage of the base (``market_access_jobs_change_pct``); every
    other number by its own unit (``avg_to_seaport_min`` in minutes).
    """
    out = {}
    for key in SUMMARY_LABELS:
        b, s = base.get(key, math.nan), scenario.get(key, math.nan)
        if key in RELATIVE_KEYS:
            out[gain_key(key)] = 100.0 * (s - b) / b if b else math.nan
        else:
            out[key] = s - b
    return out
