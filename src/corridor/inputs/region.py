"""Region packs: zones, gateways, economic zones, road and rail data.

A region pack is a folder with a ``region.yaml`` and the CSV files it names
(``data/luzon/`` is bundled). :func:`load_region` reads and checks every row
and returns a :class:`Region` whose layers are GeoDataFrames in the metric
CRS (EPSG:32651), each row keeping its ``lat``/``lon`` and its ``source``.
"""

from __future__ import annotations

import copy
import hashlib
import io
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

import geopandas as gpd
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from shapely.geometry import LineString, Polygon

from corridor.checks import bbox_text, closest_hint, in_bbox, normalise_name, pydantic_problem
from corridor.errors import DataError, DataFileNotFound
from corridor.files import LineLoader, load_yaml, read_text
from corridor.geo import DISPLAY_CRS, METRIC_CRS
from corridor.inputs.packs import region_path

__all__ = [
    "Region",
    "load_region",
    "region_path",
    "METRIC_CRS",
    "DISPLAY_CRS",
    "STATUSES",
]

Status = Literal["operating", "under_construction", "planned", "suspended", "closed"]
#: the statuses a link, line or station of a region pack may have
STATUSES: tuple[str, ...] = get_args(Status)
Id = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$", min_length=1, max_length=80)
Text = Field(min_length=1)
#: how many region packs a process keeps once loaded (a notebook or a sweep loading the same pack reads it once)
LOADED_MAX = 4
#: folder -> (the stamps of every file the pack looked for, the region as loaded)
_LOADED: dict[Path, tuple[dict[Path, tuple[int, int] | None], Region]] = {}
#: more people or jobs than any city on Earth holds is a typing error (the largest metropolis has about 37 million)
MAX_POPULATION = 40_000_000
#: a colour a map may show: #rgb or #rrggbb
COLOUR_PATTERN = r"^#(?:[0-9a-fA-F]{3}){1,2}$"
Lat = Field(ge=-90, le=90)
Lon = Field(ge=-180, le=180)


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True, allow_inf_nan=False)


class ZoneRow(_Row):
    zone_id: str = Id
    name: str = Text
    region: str = Text
    province: str = Text
    lat: float = Lat
    lon: float = Lon
    population_2020: int = Field(gt=0, le=MAX_POPULATION)
    psgc_members: str | None = None
    jobs_weight: float | None = Field(None, gt=0, le=100)
    source: str = Text


class GatewayRow(_Row):
    gateway_id: str = Id
    name: str = Text
    type: Literal["seaport", "airport", "dry_port"]
    group: str | None = None
    lat: float = Lat
    lon: float = Lon
    capacity: float | None = Field(None, gt=0)  # blank when none is published; 0 would read as unlimited
    capacity_unit: str | None = None
    handling_h: float = Field(0.0, ge=0, le=2000)
    movements_per_h: float | None = Field(None, gt=0, le=1000)
    pax_per_movement: float | None = Field(None, gt=0, le=1000)
    code: str | None = None
    source: str = Text


class EconomicZoneRow(_Row):
    ez_id: str = Id
    name: str = Text
    lat: float = Lat
    lon: float = Lon
    area_ha: float | None = Field(None, ge=0)
    jobs: int | None = Field(None, ge=0, le=MAX_POPULATION)
    source: str = Text


class RoadNodeRow(_Row):
    node_id: str = Id
    name: str = Text
    lat: float = Lat
    lon: float = Lon
    source: str = Text


class RoadLinkRow(_Row):
    link_id: str = Id
    from_node: str = Text
    to_node: str = Text
    name: str = Text
    link_class: Literal["expressway", "trunk", "primary", "secondary", "tertiary"]
    lanes: int | None = Field(None, ge=1, le=20)
    speed_kph: float | None = Field(None, ge=1, le=300)
    oneway: bool = False
    status: Status
    via: tuple[tuple[float, float], ...] = ()
    source: str = Text

    @field_validator("oneway", mode="before")
    @classmethod
    def _yes_no(cls, value: Any) -> Any:
        if value is None:
            return False
        if isinstance(value, str) and value.lower() in {"yes", "no", "true", "false", "1", "0"}:
            return value.lower() in {"yes", "true", "1"}
        return value

    @field_validator("via", mode="before")
    @classmethod
    def _parse_via(cls, value: Any) -> Any:
        if value is None or value == "":
            return ()
        if not isinstance(value, str):
            return value
        points = []
        for part in value.split(";"):
            bits = part.split()
            if len(bits) != 2:
                raise ValueError(
                    f"waypoint {part.strip()!r} is not 'lat lon'; write waypoints as "
                    "'lat lon;lat lon' in decimal degrees"
                )
            lat, lon = float(bits[0]), float(bits[1])
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError(f"waypoint {part.strip()!r} is not a valid 'lat lon'")
            points.append((lat, lon))
        return tuple(points)


class RailLineRow(_Row):
    line_id: str = Id
    name: str = Text
    link_class: Literal["light_rail", "metro_rail", "commuter_rail", "freight_rail", "rail"]
    speed_kph: float = Field(ge=1, le=400)
    dwell_s: float = Field(ge=0, le=3600)
    headway_min: float = Field(gt=0, le=1440)
    color: str | None = Field(None, pattern=COLOUR_PATTERN)
    status: Status
    source: str = Text


class RailStationRow(_Row):
    station_id: str = Id
    line_id: str = Text
    seq: int = Field(ge=1)
    name: str = Text
    lat: float = Lat
    lon: float = Lon
    status: Status
    source: str = Text


class RailInterchangeRow(_Row):
    from_station: str = Text
    to_station: str = Text
    walk_min: float = Field(ge=0, le=120)
    source: str = Text


class CalibrationRow(_Row):
    origin: str = Field(min_length=1, alias="from")
    destination: str = Field(min_length=1, alias="to")
    mode: Literal["road", "rail", "any"] = "road"
    minutes: float | None = Field(None, gt=0)
    km: float | None = Field(None, gt=0)
    route: str | None = None
    role: Literal["target", "check"] = "target"
    source: str = Text


class EmploymentRow(_Row):
    region: str = Text
    employed: int = Field(gt=0, le=200_000_000)
    year: int = Field(ge=1950, le=2100)
    source: str = Text


ObservationKind = Literal["port_teu", "airport_pax", "road_count", "rail_boardings", "area_speed"]


class ObservationRow(_Row):
    kind: ObservationKind
    item: str = Text
    value: float = Field(gt=0)
    unit: str = Text
    year: int = Field(ge=1950, le=2100)
    tolerance_pct: float = Field(gt=0, le=100)
    source: str = Text


class _GatewayGroup(_Row):
    id: str = Id
    name: str = Text
    type: Literal["seaport", "airport", "dry_port"]
    source: str = Text


class _CongestionArea(_Row):
    id: str = Id
    name: str = Text
    source: str = Text
    polygon: list[tuple[float, float]] = Field(min_length=4)


class _RegionFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    name: str = Id
    title: str = Text
    version: str = Text
    base_year: int = Field(ge=1900, le=2200)
    bbox: tuple[float, float, float, float]
    files: dict[
        Literal[
            "zones",
            "gateways",
            "economic_zones",
            "road_nodes",
            "road_links",
            "rail_lines",
            "rail_stations",
            "rail_interchanges",
            "calibration",
            "zone_polygons",
            "employment",
            "observations",
        ],
        str,
    ]
    gateway_groups: list[_GatewayGroup] = []
    congestion_areas: list[_CongestionArea] = []
    attribution: list[str] = []

    @field_validator("gateway_groups")
    @classmethod
    def _one_group_an_id(cls, value: list[_GatewayGroup]) -> list[_GatewayGroup]:
        ids = [g.id for g in value]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"the gateway group id {twice[0]!r} is given twice; give each group once")
        return value

    @field_validator("bbox")
    @classmethod
    def _ordered_box(cls, value: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        lon_min, lat_min, lon_max, lat_max = value
        if not (-180 <= lon_min < lon_max <= 180 and -90 <= lat_min < lat_max <= 90):
            raise ValueError("must be [lon_min, lat_min, lon_max, lat_max] in degrees, minimum before maximum")
        return value


R = TypeVar("R", bound=_Row)
REQUIRED_FILES = ("zones", "gateways", "road_nodes", "road_links")


@dataclass(frozen=True)
class Region:
    """A loaded region pack.

    Every layer is a GeoDataFrame in EPSG:32651 indexed by its id, with the
    row's ``lat``/``lon`` (EPSG:4326) and ``source`` kept as columns.
    """

    name: str
    title: str
    version: str
    base_year: int
    path: Path
    bbox: tuple[float, float, float, float]
    zones: gpd.GeoDataFrame
    gateways: gpd.GeoDataFrame
    gateway_groups: pd.DataFrame
    economic_zones: gpd.GeoDataFrame
    road_nodes: gpd.GeoDataFrame
    road_links: gpd.GeoDataFrame
    rail_lines: pd.DataFrame
    rail_stations: gpd.GeoDataFrame
    rail_interchanges: pd.DataFrame
    calibration: pd.DataFrame
    congestion_areas: gpd.GeoDataFrame
    zone_polygons: gpd.GeoDataFrame | None
    employment: pd.DataFrame
    observations: pd.DataFrame
    attribution: tuple[str, ...]
    file_digests: dict[str, str] = field(default_factory=dict)

    @property
    def data_digest(self) -> str:
        """A short hash over every file of the pack, for provenance."""
        blob = "".join(f"{k}={v};" for k, v in sorted(self.file_digests.items()))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def provenance(self) -> dict[str, Any]:
        """The pack's name, version, path and file hashes."""
        return {
            "region": self.name,
            "region_version": self.version,
            "base_year": self.base_year,
            "data_digest": self.data_digest,
            "files": dict(self.file_digests),
        }

    def describe(self) -> pd.DataFrame:
        """The pack in numbers: one row per layer (layer, count, detail)."""
        by_region = self.zones.groupby("region").population_2020.sum()
        operating = self.road_links[self.road_links.status == "operating"]
        rows = [
            (
                "zones",
                len(self.zones),
                "; ".join(f"{k} {v:,}" for k, v in by_region.items()) + " (2020 population)",
            ),
            (
                "gateways",
                len(self.gateways),
                ", ".join(f"{t} {n}" for t, n in self.gateways["type"].value_counts().sort_index().items()),
            ),
            ("economic zones", len(self.economic_zones), ""),
            (
                "road links",
                len(self.road_links),
                f"{operating.length_m.sum() / 1000:,.0f} km operating in {self.base_year}",
            ),
            (
                "rail stations",
                len(self.rail_stations),
                ", ".join(f"{r['name']} ({r.status})" for _, r in self.rail_lines.iterrows()),
            ),
        ]
        return pd.DataFrame(rows, columns=["layer", "count", "detail"])

    def __repr__(self) -> str:
        return (
            f"Region({self.name!r} {self.version}, {len(self.zones)} zones, "
            f"{len(self.gateways)} gateways, {len(self.road_links)} road links, "
            f"{len(self.rail_stations)} rail stations)"
        )


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError as exc:
        raise DataError(f"cannot read the data file: {exc.strerror or exc}", path=path) from None


def _first_line(text: str) -> str:
    return str(text).strip().splitlines()[0] if str(text).strip() else str(text)


def _read_table(path: Path, model: type[R]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A CSV file as a table of text, with the columns the row model reads (by name or alias).

    Raises
    ------
    DataError
        When the file is not a CSV table or lacks a required column.
    """
    text = read_text(path, missing=DataFileNotFound, what="data file")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"not a readable CSV table: {_first_line(str(exc))}", path=path) from None
    columns: dict[str, Any] = {f.alias or name: f for name, f in model.model_fields.items()}
    required = [c for c, f in columns.items() if f.is_required()]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(
            f"missing column(s) {', '.join(missing)}", path=path, line=1, allowed=f"a header with {', '.join(columns)}"
        )
    return frame, columns


def _validated_row(model: type[R], data: dict[str, Any], path: Path, line: int, row_id: Any) -> R:
    """One row of a CSV file checked by its model; an empty required cell and a bad value are told apart."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problem = pydantic_problem(exc, data)
        column = problem.field.split(".")[0] if problem.field else None
        if column is not None and data.get(column) is None:
            raise DataError("is empty; a value is required", path=path, line=line, field=column, id=row_id) from None
        value = data.get(column) if column is not None else problem.value
        raise DataError(
            f"bad value {value!r}: {problem.message}",
            path=path,
            line=line,
            id=row_id,
            field=column,
            value=value,
            allowed=problem.allowed,
        ) from None


def _read_rows(path: Path, model: type[R], id_field: str | None) -> list[tuple[int, R]]:
    """Read a CSV file into validated rows with their line numbers; ids (``id_field``) must be unique."""
    frame, columns = _read_table(path, model)
    rows: list[tuple[int, R]] = []
    seen: dict[str, int] = {}
    for index, record in enumerate(frame.to_dict("records")):
        line = index + 2
        data = {k: (None if v == "" else v) for k, v in record.items() if k in columns}
        row = _validated_row(model, data, path, line, data.get(id_field) if id_field else None)
        if id_field:
            key = str(getattr(row, id_field))
            if key in seen:
                raise DataError(
                    f"duplicate id (first defined on line {seen[key]}); ids must be unique",
                    path=path,
                    line=line,
                    field=id_field,
                    id=key,
                )
            seen[key] = line
        rows.append((line, row))
    return rows


def _check_in_bbox(
    rows: Iterable[tuple[int, Any]], path: Path, id_field: str, bbox: tuple[float, float, float, float]
) -> None:
    for line, row in rows:
        if not in_bbox(row.lon, row.lat, bbox):
            raise DataError(
                f"coordinate (lat {row.lat}, lon {row.lon}) is outside the region",
                path=path,
                line=line,
                field="lat",
                id=getattr(row, id_field),
                allowed=f"{bbox_text(bbox)}, the bbox of region.yaml",
            )


def _points(rows: list[tuple[int, Any]], id_field: str, extra: list[str]) -> gpd.GeoDataFrame:
    records = [row.model_dump(by_alias=False) for _, row in rows]
    frame = pd.DataFrame.from_records(records, columns=[id_field, *extra, "lat", "lon", "source"])
    geometry = gpd.points_from_xy(frame["lon"], frame["lat"], crs=DISPLAY_CRS)
    gdf = gpd.GeoDataFrame(frame, geometry=geometry, crs=DISPLAY_CRS).to_crs(METRIC_CRS)
    return gdf.set_index(id_field, drop=False)


def _check_calibration_places(
    rows: list[tuple[int, CalibrationRow]], path: Path, layers: list[gpd.GeoDataFrame], groups: pd.DataFrame
) -> None:
    """Each calibration trip names places of the pack: an id or a name (any case and accents)."""
    known: dict[str, str] = {}
    for layer in [*layers, groups]:
        for pid, name in zip(layer.index, layer["name"], strict=True):
            known[str(pid)] = str(name)
            known[normalise_name(str(name))] = str(name)
    for line, row in rows:
        for column, value in (("from", row.origin), ("to", row.destination)):
            if value not in known and normalise_name(value) not in known:
                raise DataError(
                    f"unknown place {value!r}{closest_hint(value, set(known.values()))}",
                    path=path,
                    line=line,
                    field=column,
                    allowed="a place id or name of the region pack",
                )


def _check_ref(
    value: str,
    known: Collection[str] | pd.Index,
    what: str,
    *,
    path: Path | None,
    line: int,
    field: str,
    id: str | None = None,
) -> None:
    """A row's reference to something of the pack (``what``): an error, with the closest names, when unknown."""
    if value not in known:
        raise DataError(
            f"{value!r} is not a {what}{closest_hint(value, known)}", path=path, line=line, field=field, id=id
        )


def _read_region_file(meta_path: Path) -> _RegionFile:
    """``region.yaml`` read and checked: its fields, and the files that every region names.

    Raises
    ------
    DataError
        On a file that is not a mapping, a bad field, or a required file not named.
    """
    meta_raw = load_yaml(read_text(meta_path, what="region file"), path=meta_path, loader=LineLoader)
    if not isinstance(meta_raw, dict):
        raise DataError("expected a mapping (name, title, version, base_year, bbox, files)", path=meta_path)
    try:
        meta = _RegionFile.model_validate(meta_raw)
    except ValidationError as exc:
        problem = pydantic_problem(exc, meta_raw, model=_RegionFile)
        raise DataError(problem.message, path=meta_path, line=problem.line, **problem.error_fields()) from None
    for key in REQUIRED_FILES:
        if key not in meta.files:
            raise DataError(
                "is missing",
                path=meta_path,
                field=f"files.{key}",
                allowed=f"a region names {', '.join(REQUIRED_FILES)}",
            )
    return meta


@dataclass
class _Pack:
    """A region pack being read: its folder, its checked ``region.yaml``, and the hashes of the files opened."""

    folder: Path
    meta: _RegionFile
    digests: dict[str, str]
    #: every file looked for, with its modification time and size when it was (None: absent)
    stamps: dict[Path, tuple[int, int] | None] = field(default_factory=dict)

    @classmethod
    def open(cls, folder: Path) -> _Pack:
        """Read a pack's ``region.yaml`` and hash it."""
        meta_path = folder / "region.yaml"
        stamps = {meta_path: _stamp(meta_path)}
        meta = _read_region_file(meta_path)
        return cls(folder, meta, {"region.yaml": _digest(meta_path)}, stamps)

    @property
    def meta_path(self) -> Path:
        """The pack's ``region.yaml``."""
        return self.folder / "region.yaml"

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """The region's box, ``(lon_min, lat_min, lon_max, lat_max)`` in degrees."""
        return self.meta.bbox

    def path(self, key: str) -> Path | None:
        """The file ``region.yaml`` names for a layer (None when it names none); a file that exists is hashed."""
        name = self.meta.files.get(key)  # type: ignore[call-overload]
        if name is None:
            return None
        p = self.folder / name
        self.stamps[p] = _stamp(p)
        if p.is_file():
            self.digests[name] = _digest(p)
        return p

    def rows(self, key: str, model: type[R], id_field: str | None) -> tuple[Path | None, list[tuple[int, R]]]:
        """A layer's file and its checked rows (none when ``region.yaml`` names no file for it)."""
        path = self.path(key)
        return path, (_read_rows(path, model, id_field) if path is not None else [])

    def required_rows(self, key: str, model: type[R], id_field: str) -> tuple[Path, list[tuple[int, R]]]:
        """A required layer's file (``region.yaml`` names it) and its checked rows."""
        path, rows = self.rows(key, model, id_field)
        assert path is not None
        return path, rows


def _table(rows: list[tuple[int, R]], model: type[R]) -> pd.DataFrame:
    """Rows as a table, one column per field of their model."""
    return pd.DataFrame([r.model_dump() for _, r in rows], columns=list(model.model_fields))


def _load_zones(pack: _Pack) -> gpd.GeoDataFrame:
    """The zones: at least one, each inside the region."""
    path, rows = pack.required_rows("zones", ZoneRow, "zone_id")
    if not rows:
        raise DataError("no zones; a region needs at least one zone", path=path)
    _check_in_bbox(rows, path, "zone_id", pack.bbox)
    return _points(rows, "zone_id", ["name", "region", "province", "population_2020", "psgc_members", "jobs_weight"])


def _load_gateways(pack: _Pack) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The gateways, each inside the region and of a group of ``region.yaml``, and the groups."""
    groups = {g.id: g for g in pack.meta.gateway_groups}
    path, rows = pack.required_rows("gateways", GatewayRow, "gateway_id")
    _check_in_bbox(rows, path, "gateway_id", pack.bbox)
    for line, row in rows:
        if row.group is not None:
            _check_ref(
                row.group,
                groups,
                "gateway group of region.yaml",
                path=path,
                line=line,
                field="group",
                id=row.gateway_id,
            )
    gateways = _points(
        rows,
        "gateway_id",
        [
            "name",
            "type",
            "group",
            "capacity",
            "capacity_unit",
            "handling_h",
            "movements_per_h",
            "pax_per_movement",
            "code",
        ],
    )
    gateway_groups = pd.DataFrame(
        [g.model_dump() for g in pack.meta.gateway_groups], columns=["id", "name", "type", "source"]
    ).set_index("id", drop=False)
    return gateways, gateway_groups


def _load_economic_zones(pack: _Pack) -> gpd.GeoDataFrame:
    """The economic zones (a pack may have none), each inside the region."""
    path, rows = pack.rows("economic_zones", EconomicZoneRow, "ez_id")
    if path is not None:
        _check_in_bbox(rows, path, "ez_id", pack.bbox)
    return _points(rows, "ez_id", ["name", "area_ha", "jobs"])


def _load_roads(pack: _Pack) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The road nodes, each inside the region, and the road links between them."""
    nodes_path = pack.path("road_nodes")
    links_path = pack.path("road_links")
    assert nodes_path is not None and links_path is not None
    node_rows = _read_rows(nodes_path, RoadNodeRow, "node_id")
    _check_in_bbox(node_rows, nodes_path, "node_id", pack.bbox)
    road_nodes = _points(node_rows, "node_id", ["name"])
    link_rows = _read_rows(links_path, RoadLinkRow, "link_id")
    return road_nodes, _road_links(link_rows, road_nodes, links_path, pack.bbox)


def _load_rail_lines(pack: _Pack) -> pd.DataFrame:
    """The rail lines (a pack may have none), indexed by id."""
    _, rows = pack.rows("rail_lines", RailLineRow, "line_id")
    return _table(rows, RailLineRow).set_index("line_id", drop=False)


def _load_rail_stations(pack: _Pack, rail_lines: pd.DataFrame) -> gpd.GeoDataFrame:
    """The rail stations, each inside the region, on a known line and at its own place in the line's order."""
    path, rows = pack.rows("rail_stations", RailStationRow, "station_id")
    if path is not None:
        _check_in_bbox(rows, path, "station_id", pack.bbox)
        _check_station_order(rows, path, rail_lines)
    stations = _points(rows, "station_id", ["line_id", "seq", "name", "status"])
    return stations.sort_values(["line_id", "seq"])


def _check_station_order(rows: list[tuple[int, RailStationRow]], path: Path, rail_lines: pd.DataFrame) -> None:
    """Each station is on a line of rail_lines.csv, and no two stations of a line share a sequence number."""
    seqs: set[tuple[str, int]] = set()
    for line, row in rows:
        _check_ref(
            row.line_id,
            rail_lines.index,
            "line of rail_lines.csv",
            path=path,
            line=line,
            field="line_id",
            id=row.station_id,
        )
        if (row.line_id, row.seq) in seqs:
            raise DataError(
                f"sequence number {row.seq} is used twice on line {row.line_id!r}",
                path=path,
                line=line,
                field="seq",
                id=row.station_id,
            )
        seqs.add((row.line_id, row.seq))


def _load_rail_interchanges(pack: _Pack, rail_stations: gpd.GeoDataFrame) -> pd.DataFrame:
    """The walks between rail stations, each between two stations of rail_stations.csv."""
    path, rows = pack.rows("rail_interchanges", RailInterchangeRow, None)
    for line, row in rows:
        for column in ("from_station", "to_station"):
            _check_ref(
                getattr(row, column),
                rail_stations.index,
                "station of rail_stations.csv",
                path=path,
                line=line,
                field=column,
            )
    return _table(rows, RailInterchangeRow)


def _load_calibration(pack: _Pack, layers: list[gpd.GeoDataFrame], groups: pd.DataFrame) -> pd.DataFrame:
    """The calibration trips, each between places of the pack's layers or gateway groups."""
    path, rows = pack.rows("calibration", CalibrationRow, None)
    if path is not None:
        _check_calibration_places(rows, path, layers, groups)
    return _table(rows, CalibrationRow)


def _congestion_areas(pack: _Pack) -> gpd.GeoDataFrame:
    """The congestion areas of ``region.yaml``, each a valid polygon, indexed by id."""
    meta = pack.meta
    areas = gpd.GeoDataFrame(
        {
            "area_id": [a.id for a in meta.congestion_areas],
            "name": [a.name for a in meta.congestion_areas],
            "source": [a.source for a in meta.congestion_areas],
        },
        geometry=[Polygon(a.polygon) for a in meta.congestion_areas],
        crs=DISPLAY_CRS,
    ).to_crs(METRIC_CRS)
    for area in areas.itertuples():
        if not area.geometry.is_valid:
            raise DataError(
                "congestion area polygon is not valid (it crosses itself); list lon lat pairs "
                "around the outline in order",
                path=pack.meta_path,
                field=f"congestion_areas.{area.area_id}",
            )
    return areas.set_index("area_id", drop=False)


def _load_zone_polygons(pack: _Pack, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """The zones' polygons, when the pack has them."""
    path = pack.path("zone_polygons")
    return _zone_polygons(path, zones) if path is not None else None


def _load_employment(
    pack: _Pack,
    zones: gpd.GeoDataFrame,
    economic_zones: gpd.GeoDataFrame,
    zone_polygons: gpd.GeoDataFrame | None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The employment of each region, and the zones with their jobs when the pack has it."""
    path, rows = pack.rows("employment", EmploymentRow, "region")
    employment = _table(rows, EmploymentRow).set_index("region", drop=False)
    if path is not None:
        zones = _zone_jobs(zones, economic_zones, employment, rows, path, zone_polygons)
    return zones, employment


def _load_observations(
    pack: _Pack, gateways: gpd.GeoDataFrame, road_links: gpd.GeoDataFrame, areas: gpd.GeoDataFrame
) -> pd.DataFrame:
    """The published figures the model is checked against, each of a gateway, road or area of the pack."""
    path, rows = pack.rows("observations", ObservationRow, None)
    if path is not None:
        _check_observations(rows, path, gateways, road_links, list(areas.index))
    return _table(rows, ObservationRow)


def load_region(region: str | Path = "luzon") -> Region:
    """Load and check a region pack.

    A pack loaded before in this process, none of whose files has changed
    since (modification time and size), is given again as a copy, without
    reading it: a notebook or a program loading the same pack many times
    reads it once.

    Parameters
    ----------
    region
        A bundled region's name (``"luzon"``) or a folder with a ``region.yaml``.

    Returns
    -------
    Region

    Raises
    ------
    DataError
        On the first missing file, malformed row, unknown reference or
        coordinate outside the region, naming the file, line, field and id.

    Examples
    --------
    >>> region = load_region("luzon")
    >>> int(region.zones.population_2020.sum()) > 42_000_000
    True
    """
    folder = region_path(region)
    loaded = _LOADED.get(folder.resolve())
    if loaded is not None and all(_stamp(p) == stamp for p, stamp in loaded[0].items()):
        return copy.deepcopy(loaded[1])  # not one of its files has changed since
    pack = _Pack.open(folder)
    zones = _load_zones(pack)
    gateways, gateway_groups = _load_gateways(pack)
    economic_zones = _load_economic_zones(pack)
    road_nodes, road_links = _load_roads(pack)
    rail_lines = _load_rail_lines(pack)
    rail_stations = _load_rail_stations(pack, rail_lines)
    rail_interchanges = _load_rail_interchanges(pack, rail_stations)
    places = [zones, gateways, economic_zones, road_nodes, rail_stations]
    calibration = _load_calibration(pack, places, gateway_groups)
    areas = _congestion_areas(pack)
    zone_polygons = _load_zone_polygons(pack, zones)
    zones, employment = _load_employment(pack, zones, economic_zones, zone_polygons)
    observations = _load_observations(pack, gateways, road_links, areas)
    meta = pack.meta
    loaded_region = Region(
        name=meta.name,
        title=meta.title,
        version=meta.version,
        base_year=meta.base_year,
        path=folder,
        bbox=meta.bbox,
        zones=zones,
        gateways=gateways,
        gateway_groups=gateway_groups,
        economic_zones=economic_zones,
        road_nodes=road_nodes,
        road_links=road_links,
        rail_lines=rail_lines,
        rail_stations=rail_stations,
        rail_interchanges=rail_interchanges,
        calibration=calibration,
        congestion_areas=areas,
        zone_polygons=zone_polygons,
        employment=employment,
        observations=observations,
        attribution=tuple(meta.attribution),
        file_digests=pack.digests,
    )
    _LOADED[folder.resolve()] = (pack.stamps, loaded_region)
    while len(_LOADED) > LOADED_MAX:
        del _LOADED[next(iter(_LOADED))]
    return copy.deepcopy(loaded_region)


def _stamp(path: Path) -> tuple[int, int] | None:
    """A file's modification time (ns) and size; None when it does not exist."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _zone_of(points: gpd.GeoSeries, zones: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame | None) -> list[str]:
    """The zone each point lies in (its polygon, else the nearest zone point)."""
    out = []
    for point in points:
        inside = [] if polygons is None else list(polygons.index[polygons.geometry.contains(point)])
        out.append(str(inside[0]) if inside else str(zones.geometry.distance(point).idxmin()))
    return out


def _zone_jobs(
    zones: gpd.GeoDataFrame,
    economic_zones: gpd.GeoDataFrame,
    employment: pd.DataFrame,
    rows: list[tuple[int, EmploymentRow]],
    path: Path,
    polygons: gpd.GeoDataFrame | None,
) -> gpd.GeoDataFrame:
    """Jobs per zone: each region's employed persons, less its economic zones' published jobs, by population share.

    The rule: an economic zone's jobs stand at the economic zone; the rest of
    its region's employment is spread over the region's zones in proportion to
    their population times their ``jobs_weight`` (1, or more for a city whose
    business district draws workers from elsewhere). A zone's ``jobs`` column
    holds its share; the region's total is kept (zones plus economic zones).
    """
    for line, row in rows:
        if row.region not in set(zones["region"]):
            raise DataError(
                f"region {row.region!r} has no zone in zones.csv{closest_hint(row.region, set(zones['region']))}",
                path=path,
                line=line,
                field="region",
            )
    missing = sorted(set(zones["region"]) - set(employment.index))
    if missing:
        raise DataError("a region of zones.csv has no employment row", path=path, value=missing[0])
    ez_region = pd.Series(
        [zones.loc[z, "region"] for z in _zone_of(economic_zones.geometry, zones, polygons)],
        index=economic_zones.index,
        dtype=object,
    )
    ez_jobs = economic_zones["jobs"].fillna(0).groupby(ez_region).sum() if len(economic_zones) else pd.Series()
    out = zones.copy()
    out["jobs"] = 0
    for region, group in zones.groupby("region"):
        rest = float(employment.loc[region, "employed"]) - float(ez_jobs.get(region, 0.0))
        if rest < 0:
            raise DataError(
                f"the economic zones of {region} publish more jobs than the region employs",
                path=path,
                field="employed",
                value=int(employment.loc[region, "employed"]),
            )
        weighted = group["population_2020"] * group["jobs_weight"].fillna(1.0)
        share = weighted / weighted.sum()
        out.loc[group.index, "jobs"] = np.round(share * rest).astype(np.int64)
    return out


def _check_observations(
    rows: list[tuple[int, ObservationRow]],
    path: Path,
    gateways: gpd.GeoDataFrame,
    road_links: gpd.GeoDataFrame,
    areas: Iterable[str],
) -> None:
    """Each published figure names something the model has: a gateway, or a road of the pack."""
    roads = set(road_links["name"])
    for line, row in rows:
        if row.kind in {"port_teu", "airport_pax"} and row.item not in gateways.index:
            raise DataError(
                f"unknown gateway {row.item!r}{closest_hint(row.item, gateways.index)}",
                path=path,
                line=line,
                field="item",
            )
        if row.kind == "area_speed" and row.item not in areas:
            raise DataError(
                f"unknown congestion area {row.item!r}{closest_hint(row.item, areas)}",
                path=path,
                line=line,
                field="item",
            )
        if row.kind == "road_count" and not any(row.item == name or name.startswith(row.item) for name in roads):
            raise DataError(
                f"no road of road_links.csv is named {row.item!r}{closest_hint(row.item, roads)}",
                path=path,
                line=line,
                field="item",
            )


def _zone_polygons(path: Path, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The zones' polygons (a GeoJSON in EPSG:4326), one per zone of zones.csv, in EPSG:32651."""
    import pyogrio

    read_text(path, missing=DataFileNotFound, what="zone polygons file")  # exists, readable, UTF-8
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        raise DataError(f"not a readable GeoJSON: {_first_line(str(exc))}", path=path) from None
    if "zone_id" not in gdf.columns:
        raise DataError("the features have no 'zone_id' property", path=path, field="zone_id")
    gdf["zone_id"] = gdf["zone_id"].astype(str)
    duplicated = gdf.zone_id[gdf.zone_id.duplicated()]
    if len(duplicated):
        raise DataError("two polygons for one zone", path=path, field="zone_id", value=duplicated.iloc[0])
    unknown = sorted(set(gdf.zone_id) - set(zones.index))
    if unknown:
        raise DataError(
            f"polygon of a zone that zones.csv does not have{closest_hint(unknown[0], zones.index)}",
            path=path,
            field="zone_id",
            value=unknown[0],
        )
    missing = sorted(set(zones.index) - set(gdf.zone_id))
    if missing:
        raise DataError("zones.csv has a zone without a polygon", path=path, field="zone_id", value=missing[0])
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        raise DataError("polygons must be in EPSG:4326 (lon, lat)", path=path, value=str(gdf.crs))
    bad = gdf.geometry.isna() | ~gdf.geometry.is_valid | ~gdf.geom_type.isin(["Polygon", "MultiPolygon"])
    if bad.any():
        raise DataError(
            "is not a valid Polygon or MultiPolygon", path=path, subject="zone", id=str(gdf.zone_id[bad].iloc[0])
        )
    gdf = gdf.set_crs(DISPLAY_CRS, allow_override=True).to_crs(METRIC_CRS)
    return gdf.set_index("zone_id", drop=False).loc[list(zones.index), ["zone_id", "geometry"]]


def _road_links(
    rows: list[tuple[int, RoadLinkRow]],
    nodes: gpd.GeoDataFrame,
    path: Path,
    bbox: tuple[float, float, float, float],
) -> gpd.GeoDataFrame:
    records = []
    geometries = []
    for line, row in rows:
        for column in ("from_node", "to_node"):
            _check_ref(
                getattr(row, column),
                nodes.index,
                "node of road_nodes.csv",
                path=path,
                line=line,
                field=column,
                id=row.link_id,
            )
        if row.from_node == row.to_node:
            raise DataError(
                "from_node and to_node are the same node; a link joins two nodes",
                path=path,
                line=line,
                field="to_node",
                id=row.link_id,
            )
        start = nodes.loc[row.from_node]
        end = nodes.loc[row.to_node]
        coords = [(float(start.lon), float(start.lat))]
        for lat, lon in row.via:
            if not in_bbox(lon, lat, bbox):
                raise DataError(
                    f"waypoint (lat {lat}, lon {lon}) is outside the region",
                    allowed=f"{bbox_text(bbox)}, the bbox of region.yaml",
                    path=path,
                    line=line,
                    field="via",
                    id=row.link_id,
                )
            coords.append((lon, lat))
        coords.append((float(end.lon), float(end.lat)))
        geometries.append(LineString(coords))
        record = row.model_dump()
        record.pop("via")
        records.append(record)
    columns = [c for c in RoadLinkRow.model_fields if c != "via"]
    frame = pd.DataFrame.from_records(records, columns=columns)
    gdf = gpd.GeoDataFrame(frame, geometry=geometries, crs=DISPLAY_CRS).to_crs(METRIC_CRS)
    gdf["length_m"] = gdf.geometry.length
    return gdf.set_index("link_id", drop=False)
