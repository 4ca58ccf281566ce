"""The model against every published figure it is calibrated to or checked against.

:func:`validation_table` puts, row by row, a published figure beside the
model's own: travel times and road distances (``calibration.csv`` of the
region pack), port throughputs, airport passengers, road counts and rail
boardings (``observations.csv``), and the fixed congestion factors of the
fast accessibility times against the speeds the assignment gives. Each row
says its tolerance and whether it passes; a row's ``role`` says whether it
is a target the model must meet, a figure it is ``calibrated`` to (fitted by
the choices' constants, so a miss means the fit failed) or a ``check`` shown
for information.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from rich.table import Table
from rich.text import Text

from corridor.errors import CorridorError
from corridor.files import atomic_paths, output_folder
from corridor.inputs.region import Region
from corridor.model.results import ModelRun, assigned_graph
from corridor.network.places import PlaceIndex
from corridor.paths.routes import route
from corridor.present.formats import csv_safe, markdown_cell
from corridor.present.payloads import assignment_stats, records
from corridor.present.tables import Printout, assignment_line
from corridor.settings import Settings

__all__ = [
    "CALIBRATED_KINDS",
    "COLUMNS",
    "KIND_TITLES",
    "MUST_MEET",
    "TOLERANCE_PCT",
    "congestion_factors",
    "failed_targets",
    "target_count",
    "validation_markdown",
    "validation_payload",
    "validation_printout",
    "validation_table",
    "write_validation",
]

COLUMNS = ["kind", "item", "published", "modelled", "unit", "error_pct", "tolerance_pct", "passed", "role", "source"]
#: figures the model is fitted to by construction (constants of the choices): they match unless the fit fails
CALIBRATED_KINDS = frozenset({"port_teu", "airport_pax", "rail_boardings"})
#: the roles of rows a model must meet
MUST_MEET = frozenset({"target", "calibrated"})
#: tolerances of the targets, by kind of figure (percent)
TOLERANCE_PCT = {"travel_time": 25.0, "distance": 10.0}


def _row(
    kind: str, item: str, published: float, modelled: float, unit: str, tolerance: float, role: str, source: str
) -> dict[str, Any]:
    """One row of the table: a published figure beside the model's, its error, tolerance and whether it passes."""
    error = (modelled - published) / published * 100 if published and math.isfinite(modelled) else math.nan
    return {
        "kind": kind,
        "item": item,
        "published": published,
        "modelled": modelled,
        "unit": unit,
        "error_pct": error,
        "tolerance_pct": tolerance,
        "passed": bool(math.isfinite(error) and abs(error) <= tolerance),
        "role": role,
        "source": source,
    }


def congestion_factors(run: ModelRun, settings: Settings) -> pd.DataFrame:
    """Per congestion area and class group, the speed factor the assignment gives against the fixed one.

    The assigned factor is the length-weighted mean of the congested speed
    over the class's speed (of ``settings.speeds_kph``, or the link's own)
    of the area's road links (both directions): what the fixed factor stands
    for in the fast accessibility times.
    """
    links = run.links
    rows = []
    for area, factors in settings.congestion_factors.items():
        in_area = links[links["area"] == area]
        for group, mask in (
            ("expressway", in_area["link_class"] == "expressway"),
            ("default", in_area["link_class"] != "expressway"),
        ):
            sel = in_area[mask]
            if sel.empty:
                continue
            ratio = sel["congested_speed_kph"] / sel["class_speed_kph"]
            assigned = float(np.average(ratio, weights=sel["length_m"]))
            fixed = float(factors.get(group, factors.get("default", 1.0)))
            rows.append({"area": area, "class": group, "fixed": fixed, "assigned": assigned})
    return pd.DataFrame(rows, columns=["area", "class", "fixed", "assigned"])


def validation_table(G: nx.MultiDiGraph, region: Region, settings: Settings, run: ModelRun) -> pd.DataFrame:
    """Every published figure of the region pack beside the model's (see the module's description).

    Parameters
    ----------
    G
        The base network.
    region
        Its region pack (calibration and observation tables).
    settings
        The settings the model ran with.
    run
        The base year's model run.
    """
    rows = _trip_rows(G, region, settings, run)
    rows += [_observation_row(obs, run) for obs in region.observations.to_dict("records")]
    rows += _congestion_rows(run, settings)
    return pd.DataFrame(rows, columns=COLUMNS)


def _trip_rows(G: nx.MultiDiGraph, region: Region, settings: Settings, run: ModelRun) -> list[dict[str, Any]]:
    """The published trips of ``calibration.csv``: their minutes on the assigned network, their kilometres on
    the base network."""
    rows: list[dict[str, Any]] = []
    assigned = assigned_graph(G, run)
    places = PlaceIndex(G, snap_max_km=settings.snap_max_km)
    assigned_places = PlaceIndex(assigned, snap_max_km=settings.snap_max_km)
    for r in region.calibration.to_dict("records"):
        trip = f"{r['origin']} – {r['destination']}"
        role = str(r.get("role") or "target")
        source = str(r["source"])
        if isinstance(r.get("minutes"), float) and math.isfinite(r["minutes"]):
            minutes = _minutes(assigned, assigned_places, r["origin"], r["destination"], r["mode"])
            rows.append(
                _row("travel_time", trip, r["minutes"], minutes, "min", TOLERANCE_PCT["travel_time"], role, source)
            )
        if isinstance(r.get("km"), float) and math.isfinite(r["km"]):
            km = route(G, r["origin"], r["destination"], mode=r["mode"], places=places).km
            rows.append(_row("distance", trip, r["km"], km, "km", TOLERANCE_PCT["distance"], role, source))
    return rows


def _observation_row(obs: Mapping[Any, Any], run: ModelRun) -> dict[str, Any]:
    """One row of ``observations.csv`` beside the model's figure of the same kind."""
    kind = obs["kind"]
    role = "calibrated" if kind in CALIBRATED_KINDS else "target"
    modelled = _modelled(kind, obs["item"], run)
    return _row(kind, obs["item"], obs["value"], modelled, obs["unit"], obs["tolerance_pct"], role, obs["source"])


def _modelled(kind: str, item: Any, run: ModelRun) -> float:
    """The model's figure of an observation: a gateway's volume, an area's speed, a road's busiest count, or the
    rail boardings a day."""
    if kind in {"port_teu", "airport_pax"}:
        gateways = run.gateways
        return float(gateways.loc[item, "volume"]) if item in gateways.index else math.nan
    if kind == "area_speed":
        in_area = run.links[(run.links["area"] == item) & (run.links["link_class"] != "expressway")]
        if not len(in_area):
            return math.nan
        return float(np.average(in_area["congested_speed_kph"], weights=in_area["length_m"]))
    if kind == "road_count":
        on_road = run.links[run.links["name"].astype(str).str.startswith(item)]
        two_way = on_road.groupby("link_id")["vehicles_day"].sum()
        return float(two_way.max()) if len(two_way) else math.nan
    return float(run.summary.get("rail_boardings_per_day", math.nan))


def _congestion_rows(run: ModelRun, settings: Settings) -> list[dict[str, Any]]:
    """The fixed congestion factors beside the ones the assignment gives: checks, for information."""
    return [
        _row(
            "congestion_factor",
            f"{factor['area']} {factor['class']}",
            factor["assigned"],
            factor["fixed"],
            "speed factor",
            25.0,
            "check",
            "the fixed factor of the fast accessibility times, against the speeds of the base year's assignment",
        )
        for factor in congestion_factors(run, settings).to_dict("records")
    ]


def _minutes(G: nx.MultiDiGraph, places: PlaceIndex, origin: str, destination: str, mode: str) -> float:
    """The minutes of a trip on a network; NaN when it cannot be routed."""
    try:
        return route(G, origin, destination, mode=mode, places=places).minutes  # type: ignore[arg-type]
    except CorridorError:
        return math.nan


def failed_targets(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a validation table that are targets and miss their tolerance."""
    return table[table["role"].isin(MUST_MEET) & ~table["passed"].astype(bool)]


#: the kinds of figure, in the order and words of the written table
KIND_TITLES = {
    "travel_time": "Travel times (assigned, base year)",
    "distance": "Road and rail distances",
    "port_teu": "Port container throughput",
    "airport_pax": "Airport passengers",
    "road_count": "Road counts (busiest link of the road, both directions)",
    "area_speed": "Area speeds (non-expressway roads, peak hour)",
    "rail_boardings": "Rail boardings",
    "congestion_factor": "Fixed congestion factors of the accessibility times against the assignment",
}


def target_count(table: pd.DataFrame) -> int:
    """How many rows of a validation table are targets the model must meet."""
    return int(table["role"].isin(MUST_MEET).sum())


def _kinds(table: pd.DataFrame) -> dict[str, str]:
    """The kinds of figure of a table and their titles: those of :data:`KIND_TITLES` first, in its order."""
    return {**KIND_TITLES, **{k: k for k in table["kind"].unique() if k not in KIND_TITLES}}


def validation_printout(table: pd.DataFrame, run: ModelRun) -> Printout:
    """The validation table for the terminal: a table per kind of figure, how the run converged, and how many
    targets are within tolerance."""
    out: Printout = []
    for kind, title in _kinds(table).items():
        rows = table[table["kind"] == kind]
        if not rows.empty:
            out.append(_kind_table(title, rows))
    targets = target_count(table)
    return [*out, assignment_line(run), f"{targets - len(failed_targets(table))} of {targets} targets within tolerance"]


def _kind_table(title: str, rows: pd.DataFrame) -> Table:
    """The rows of one kind of figure: published, modelled, error, tolerance, a tick or a cross, role."""
    t = Table(title=Text(title), header_style="bold", box=None, pad_edge=False, title_justify="left")
    for column in ("item", "published", "model", "unit", "error", "tolerance", "", "role"):
        right = column in {"published", "model", "error", "tolerance"}
        t.add_column(column, justify="right" if right else "left")
    for r in rows.to_dict("records"):
        error = f"{r['error_pct']:+.1f}%" if r["error_pct"] == r["error_pct"] else "n/a"
        t.add_row(
            Text(str(r["item"])),
            Text(f"{r['published']:,.4g}"),
            Text(f"{r['modelled']:,.4g}"),
            Text(str(r["unit"])),
            Text(error),
            Text(f"±{r['tolerance_pct']:.0f}%"),
            Text("✓", style="green") if r["passed"] else Text("✗", style="bold red"),
            Text(str(r["role"])),
        )
    return t


def validation_payload(table: pd.DataFrame, run: ModelRun) -> dict[str, Any]:
    """The validation as one JSON object: its rows, the count of targets, those that failed, the run's figures."""
    return {
        "rows": records(table),
        "targets": target_count(table),
        "failed": failed_targets(table)["item"].tolist(),
        "assignment": assignment_stats(run),
        "provenance": run.provenance,
    }


def _number(value: Any) -> str:
    """A figure for the Markdown table: thousands whole, small values with three significant digits."""
    if not isinstance(value, int | float) or not math.isfinite(value):
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.3g}" if abs(value) < 10 else f"{value:,.1f}"


def validation_markdown(table: pd.DataFrame, *, notes: Sequence[str] = ()) -> str:
    """The validation table as Markdown, one section per kind of figure, with a summary line first."""
    targets = table[table["role"].isin(MUST_MEET)]
    failed = failed_targets(table)
    fitted = int((table["role"] == "calibrated").sum())
    lines = [
        f"{len(targets) - len(failed)} of {len(targets)} targets within tolerance ({fitted} of them calibrated: "
        f"the model's constants are fitted to them); {len(table) - len(targets)} checks shown for information.",
        "",
    ]
    lines += [f"{markdown_cell(n)}" for n in notes]
    kinds = [k for k in KIND_TITLES if k in set(table["kind"])] + sorted(set(table["kind"]) - set(KIND_TITLES))
    for kind in kinds:
        rows = table[table["kind"] == kind]
        lines += [
            "",
            f"### {markdown_cell(KIND_TITLES.get(kind, kind))}",
            "",
            "| item | published | model | unit | error | tolerance | | role | source |",
            "|---|---:|---:|---|---:|---:|---|---|---|",
        ]
        for r in rows.to_dict("records"):
            error = f"{r['error_pct']:+.1f}%" if math.isfinite(r["error_pct"]) else "n/a"
            mark = "✓" if r["passed"] else "✗"
            lines.append(
                f"| {markdown_cell(r['item'])} | {_number(r['published'])} | {_number(r['modelled'])} | "
                f"{markdown_cell(r['unit'])} | {error} | ±{r['tolerance_pct']:.0f}% | {mark} | "
                f"{markdown_cell(r['role'])} | {markdown_cell(r['source'])} |"
            )
    return "\n".join(lines) + "\n"


def write_validation(
    table: pd.DataFrame, out: str | Path, *, notes: Sequence[str] = (), provenance: dict[str, Any] | None = None
) -> list[Path]:
    """Write ``validation.csv``, ``validation.md`` and ``validation.provenance.json`` into a folder; their paths."""
    folder = output_folder(out)
    paths = [folder / "validation.csv", folder / "validation.md", folder / "validation.provenance.json"]
    frame = table.copy()
    for column in ("kind", "item", "unit", "role", "source"):
        frame[column] = frame[column].map(csv_safe)
    with atomic_paths(paths) as (csv_tmp, md_tmp, prov_tmp):
        frame.to_csv(csv_tmp, index=False, float_format="%.6g")
        md_tmp.write_text("# Validation\n\n" + validation_markdown(table, notes=notes), encoding="utf-8")
        prov_tmp.write_text(json.dumps(provenance or {}, indent=2, default=str), encoding="utf-8")
    return paths
