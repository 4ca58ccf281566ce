"""Projects and portfolios: the schema, YAML files, and their checks.

A project is a typed, costed list of edits to the network (``new_line``,
``upgrade``, ``close``, ``open``, ``gateway_upgrade``, ``new_gateway``,
``new_node``, ``investment``). A portfolio names catalog projects, may define
its own inline or include other project files, and has an optional budget and
overrides. :func:`load_portfolio` checks it: unknown ids, duplicates, missing
``requires``, ``conflicts`` present, each a one-line error with the file, the
line and the id. Whether an edit's places and links exist is checked when the
edits are applied (:mod:`corridor.scenario`), with the same kind of message.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from corridor.errors import PortfolioError, ProjectError

__all__ = [
    "Project",
    "Portfolio",
    "Edit",
    "Coordinate",
    "load_catalog",
    "load_projects",
    "load_portfolio",
    "portfolio_from_ids",
    "json_schemas",
    "CATEGORIES",
]

CATEGORIES = ("rail", "road", "bridge", "port", "airport", "logistics", "energy", "industry", "agriculture")
ProjectStatus = Literal[
    "operating", "under_construction", "approved", "planned", "pre_feasibility", "proposal", "cancelled"
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Coordinate(_Model):
    """A point given by latitude and longitude (EPSG:4326), with an optional name."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    name: str | None = None
    waypoint: bool = Field(False, description="Only shapes the line; no stop or junction here.")


PlaceRef = Annotated[
    str | Coordinate,
    Field(description="A place id of the region (junction, station, zone, gateway, economic zone) or a coordinate."),
]


class LinkSelection(_Model):
    """Links chosen by id, or the road links of the fastest base route between two places."""

    links: list[str] | None = None
    along: tuple[PlaceRef, PlaceRef] | None = Field(
        None, description="[from, to]: the links of the fastest road route between them in the base network."
    )

    @model_validator(mode="after")
    def _one_way_to_select(self) -> LinkSelection:
        if (self.links is None) == (self.along is None):
            raise ValueError("give either 'links' (link ids) or 'along' ([from, to]), not both or neither")
        if self.links is not None and not self.links:
            raise ValueError("'links' is empty")
        return self


class NewLine(_Model):
    """A new road, rail line, bridge or ferry through stops (and waypoints)."""

    type: Literal["new_line"]
    mode: Literal["road", "rail", "bridge", "ferry"]
    name: str = Field(min_length=1)
    stops: list[PlaceRef] = Field(min_length=2)
    link_class: str | None = None
    speed_kph: float | None = Field(None, gt=0, le=400)
    dwell_s: float = Field(30.0, ge=0)
    headway_min: float | None = Field(None, gt=0)
    lanes: int | None = Field(None, ge=1, le=20)
    line_id: str | None = Field(None, description="Rail: an existing line id extends that line.")

    @model_validator(mode="after")
    def _mode_needs(self) -> NewLine:
        if self.mode in {"rail", "ferry"} and (self.speed_kph is None or self.headway_min is None):
            raise ValueError(f"a {self.mode} line needs speed_kph and headway_min")
        if sum(1 for s in self.stops if not (isinstance(s, Coordinate) and s.waypoint)) < 2:
            raise ValueError("a line needs at least two stops that are not waypoints")
        for end in (self.stops[0], self.stops[-1]):
            if isinstance(end, Coordinate) and end.waypoint:
                raise ValueError("a line cannot start or end at a waypoint")
        return self


class Upgrade(_Model):
    """Change the speed, class or lanes of existing links."""

    type: Literal["upgrade"]
    select: LinkSelection
    speed_kph: float | None = Field(None, gt=0, le=400)
    speed_factor: float | None = Field(None, gt=0, le=10)
    link_class: str | None = None
    lanes: int | None = Field(None, ge=1, le=20)

    @model_validator(mode="after")
    def _something_changes(self) -> Upgrade:
        if self.speed_kph is None and self.speed_factor is None and self.link_class is None and self.lanes is None:
            raise ValueError("an upgrade sets at least one of speed_kph, speed_factor, link_class, lanes")
        if self.speed_kph is not None and self.speed_factor is not None:
            raise ValueError("give speed_kph or speed_factor, not both")
        return self


class Close(_Model):
    """Remove links: a disruption, or a road a project replaces."""

    type: Literal["close"]
    select: LinkSelection


class Open(_Model):
    """Bring links of the region pack that do not operate in the base year into the network."""

    type: Literal["open"]
    links: list[str] = Field(min_length=1)


class GatewayUpgrade(_Model):
    """Change a port's or airport's handling time, capacity or runway movements."""

    type: Literal["gateway_upgrade"]
    gateway: str
    handling_h: float | None = Field(None, ge=0)
    capacity: float | None = Field(None, ge=0)
    capacity_unit: str | None = None
    movements_per_h: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _something_changes(self) -> GatewayUpgrade:
        if all(v is None for v in (self.handling_h, self.capacity, self.movements_per_h)):
            raise ValueError("a gateway_upgrade sets handling_h, capacity or movements_per_h")
        return self


class NewGateway(_Model):
    """A new port, dry port or airport, joined to the nearest road junction."""

    type: Literal["new_gateway"]
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    name: str = Field(min_length=1)
    gateway_type: Literal["seaport", "airport", "dry_port"]
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    capacity: float | None = Field(None, ge=0)
    capacity_unit: str | None = None
    handling_h: float = Field(0.0, ge=0)
    group: str | None = None


class NewNode(_Model):
    """A new road junction, joined to the nearest existing junction by an access road."""

    type: Literal["new_node"]
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    name: str = Field(min_length=1)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    link_class: str = "primary"


class Investment(_Model):
    """Jobs (or residents) added at a place: a plant, a hub, an ecozone expansion."""

    type: Literal["investment"]
    place: str
    jobs: int = Field(0, ge=0)
    population: int = Field(0, ge=0)
    output_usd: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _something_added(self) -> Investment:
        if self.jobs == 0 and self.population == 0:
            raise ValueError("an investment adds jobs or population")
        return self


Edit = Annotated[
    NewLine | Upgrade | Close | Open | GatewayUpgrade | NewGateway | NewNode | Investment,
    Field(discriminator="type"),
]


class LocalCost(_Model):
    """A cost as published, in its own currency, with the rate used to state it in USD."""

    amount: float = Field(ge=0)
    currency: str = Field(min_length=3, max_length=3)
    per_usd: float = Field(gt=0, description="Units of the currency per USD.")
    year: int = Field(ge=1950, le=2100)
    rate_source: str = Field(min_length=1)


class Project(_Model):
    """A candidate or ongoing project: what it costs and what it does to the network."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    name: str = Field(min_length=1)
    category: Literal["rail", "road", "bridge", "port", "airport", "logistics", "energy", "industry", "agriculture"]
    cost_usd: float = Field(ge=0)
    price_year: int = Field(ge=1950, le=2100)
    cost_local: LocalCost | None = None
    cost_note: str | None = None
    status: ProjectStatus
    opening_year: int = Field(ge=1950, le=2100)
    source: str = Field(min_length=1)
    description: str | None = None
    requires: list[str] = []
    conflicts: list[str] = []
    edits: list[Edit] = Field(min_length=1)

    _origin: tuple[str, int] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _cost_matches_local(self) -> Project:
        if self.cost_local is not None:
            usd = self.cost_local.amount / self.cost_local.per_usd
            if abs(usd - self.cost_usd) > 0.01 * max(usd, 1.0):
                raise ValueError(
                    f"cost_usd {self.cost_usd:,.0f} does not match cost_local "
                    f"({self.cost_local.amount:,.0f} {self.cost_local.currency} / {self.cost_local.per_usd} "
                    f"= {usd:,.0f} USD)"
                )
        if self.id in self.requires or self.id in self.conflicts:
            raise ValueError("a project cannot require or conflict with itself")
        return self

    @property
    def origin(self) -> str:
        """``file:line`` where the project was defined, for messages."""
        if self._origin is None:
            return "<python>"
        return f"{self._origin[0]}:{self._origin[1]}"

    def with_origin(self, path: str | Path, line: int) -> Project:
        self._origin = (str(path), line)
        return self


class Portfolio(_Model):
    """A named set of projects, in the order their edits are applied."""

    name: str = Field(min_length=1)
    description: str | None = None
    budget_usd: float | None = Field(None, ge=0)
    projects: tuple[Project, ...]
    source_files: dict[str, str] = Field(default_factory=dict, description="path -> sha256 of every file read")

    @property
    def cost_usd(self) -> float:
        return float(sum(p.cost_usd for p in self.projects))

    @property
    def ids(self) -> list[str]:
        return [p.id for p in self.projects]

    def without(self, project_id: str) -> Portfolio:
        """The same portfolio less one project (for its marginal contribution)."""
        kept = tuple(p for p in self.projects if p.id != project_id)
        if len(kept) == len(self.projects):
            raise KeyError(project_id)
        return self.model_copy(update={"name": f"{self.name} without {project_id}", "projects": kept})

    def provenance(self) -> dict[str, Any]:
        return {"portfolio": self.name, "projects": self.ids, "files": dict(self.source_files)}


# ------------------------------------------------------------------ YAML with line numbers

_LINE = "__line__"


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = loader.construct_mapping(node, deep=True)
    mapping[_LINE] = node.start_mark.line + 1
    return mapping


class _Lines(list[Any]):
    """A YAML sequence that remembers the line of each item."""

    lines: list[int]


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> _Lines:
    seq = _Lines(loader.construct_sequence(node, deep=True))
    seq.lines = [child.start_mark.line + 1 for child in node.value]
    return seq


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != _LINE}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def _read_yaml(path: Path, error: type[ProjectError]) -> tuple[Any, str]:
    if not path.is_file():
        raise error(f"{path}: file not found")
    raw = path.read_bytes()
    try:
        data = yaml.load(raw.decode("utf-8"), Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{where}: not valid YAML: {problem}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None
    return data, hashlib.sha256(raw).hexdigest()[:16]


def _validation_message(exc: ValidationError, data: dict[str, Any]) -> tuple[str, int | None]:
    """One line from pydantic's errors: the field path, the bad value, what is accepted."""
    err = exc.errors()[0]
    loc = [p for p in err["loc"] if not (isinstance(p, str) and p in {"function-after"})]
    line = data.get(_LINE)
    node: Any = data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and _LINE in node:
            line = node[_LINE]
    field = ".".join(str(p) for p in loc)
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "missing":
        return f"field {field!r} is missing", line
    if err["type"] in {"literal_error", "union_tag_invalid"}:
        return f"field {field!r}: {msg}, got {err.get('input')!r}".replace("Input should be ", "expected "), line
    if err["type"] == "extra_forbidden":
        return f"unknown field {field!r}", line
    value = err.get("input")
    shown = "" if isinstance(value, dict | list) else f" (got {value!r})"
    return f"field {field!r}: {msg}{shown}" if field else f"{msg}{shown}", line


def _project_from(data: Any, path: Path, index: int, error: type[ProjectError]) -> Project:
    if not isinstance(data, dict):
        raise error(f"{path}: project #{index + 1} is not a mapping (got {type(data).__name__})")
    line = int(data.get(_LINE, 0))
    pid = data.get("id", f"#{index + 1}")
    try:
        project = Project.model_validate(_strip_lines(data))
    except ValidationError as exc:
        message, at = _validation_message(exc, data)
        raise error(f"{path}:{at or line}: project {pid!r}: {message}") from None
    return project.with_origin(path, line)


def _projects_from_file(path: Path, error: type[ProjectError]) -> tuple[list[Project], str]:
    data, digest = _read_yaml(path, error)
    items = data.get("projects") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise error(f"{path}: expected a list of projects (or a mapping with a 'projects' list)")
    projects = [_project_from(item, path, i, error) for i, item in enumerate(items)]
    seen: dict[str, Project] = {}
    for p in projects:
        if p.id in seen:
            raise error(f"{p.origin}: project {p.id!r}: duplicate id (first defined at {seen[p.id].origin})")
        seen[p.id] = p
    return projects, digest


def load_projects(path: str | Path) -> list[Project]:
    """Read a project file: a YAML list of projects, or a mapping with a ``projects`` list.

    Raises
    ------
    ProjectError
        A missing or malformed file, or a project that breaks the schema,
        naming the file, line, project id and field.
    """
    return _projects_from_file(Path(path), ProjectError)[0]


def load_catalog(region_folder: str | Path) -> dict[str, Project]:
    """The catalog of a region pack (``projects.yaml``), by id."""
    path = Path(region_folder) / "projects.yaml"
    return {p.id: p for p in load_projects(path)}


def _closest(value: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(known), n=3, cutoff=0.5)
    return f"; closest: {', '.join(close)}" if close else ""


class _PortfolioFile(_Model):
    name: str = Field(min_length=1)
    description: str | None = None
    catalog: str | None = Field(None, description="Project file of ids to pick from; the region's by default.")
    include: list[str] = Field(default_factory=list, description="Other project files whose projects all join.")
    projects: list[str | dict[str, Any]] = Field(default_factory=list)
    budget_usd: float | None = Field(None, ge=0)
    overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)


def load_portfolio(path: str | Path, *, catalog_path: str | Path | None = None) -> Portfolio:
    """Read and check a portfolio file.

    Parameters
    ----------
    path
        The portfolio YAML.
    catalog_path
        The project file that ids refer to, when the portfolio names none;
        by default the bundled Luzon catalog.

    Raises
    ------
    PortfolioError
        Unknown or duplicate project ids, a missing required project, two
        projects in conflict, an override of a project not in the portfolio,
        or a malformed file; the message names the file, line and id.
    """
    path = Path(path)
    data, digest = _read_yaml(path, PortfolioError)
    if not isinstance(data, dict):
        raise PortfolioError(f"{path}: a portfolio is a mapping with name and projects")
    try:
        spec = _PortfolioFile.model_validate(_strip_lines(data))
    except ValidationError as exc:
        message, line = _validation_message(exc, data)
        raise PortfolioError(f"{path}:{line or 1}: {message}") from None
    files = {str(path): digest}

    if spec.catalog is not None:
        cat_path = (path.parent / spec.catalog).resolve()
    elif catalog_path is not None:
        cat_path = Path(catalog_path)
    else:
        from corridor.region import region_path

        cat_path = region_path("luzon") / "projects.yaml"
    catalog_list, cat_digest = _projects_from_file(cat_path, PortfolioError)
    files[str(cat_path)] = cat_digest
    catalog = {p.id: p for p in catalog_list}

    chosen: list[Project] = []
    where: dict[str, str] = {}
    raw_items = data.get("projects") or []
    for index, (item, raw) in enumerate(zip(spec.projects, raw_items, strict=True)):
        if isinstance(item, str):
            line = _item_line(data, "projects", index)
            if item not in catalog:
                raise PortfolioError(
                    f"{path}:{line}: project {item!r} is not in the catalog {cat_path.name}{_closest(item, catalog)}"
                )
            project = catalog[item]
            at = f"{path}:{line}"
        else:
            project = _project_from(raw, path, index, PortfolioError)
            at = project.origin
        if project.id in where:
            raise PortfolioError(f"{at}: project {project.id!r} is listed twice (first at {where[project.id]})")
        where[project.id] = at
        chosen.append(project)
    for include in spec.include:
        inc_path = (path.parent / include).resolve()
        projects, inc_digest = _projects_from_file(inc_path, PortfolioError)
        files[str(inc_path)] = inc_digest
        for project in projects:
            if project.id in where:
                raise PortfolioError(
                    f"{project.origin}: project {project.id!r} is already in the portfolio (at {where[project.id]})"
                )
            where[project.id] = project.origin
            chosen.append(project)

    for pid, changes in spec.overrides.items():
        line = data["overrides"][pid].get(_LINE, 1) if isinstance(data["overrides"].get(pid), dict) else 1
        if pid not in where:
            raise PortfolioError(f"{path}:{line}: override of project {pid!r}, which is not in the portfolio")
        i = next(k for k, p in enumerate(chosen) if p.id == pid)
        merged = {**chosen[i].model_dump(exclude_none=True), **changes}
        if "cost_usd" in changes and "cost_local" not in changes:
            merged.pop("cost_local", None)
        try:
            chosen[i] = Project.model_validate(merged).with_origin(path, line)
        except ValidationError as exc:
            message, _ = _validation_message(exc, changes)
            raise PortfolioError(f"{path}:{line}: override of {pid!r}: {message}") from None

    _check_dependencies(chosen, where, PortfolioError)
    return Portfolio(
        name=spec.name,
        description=spec.description,
        budget_usd=spec.budget_usd,
        projects=tuple(chosen),
        source_files=files,
    )


def _item_line(data: dict[str, Any], key: str, index: int) -> int:
    """The line of the index-th item of a top-level list."""
    items = data.get(key)
    if isinstance(items, _Lines) and index < len(items.lines):
        return items.lines[index]
    return int(data.get(_LINE, 1))


def _check_dependencies(projects: list[Project], where: dict[str, str], error: type[ProjectError]) -> None:
    ids = {p.id for p in projects}
    for p in projects:
        missing = [r for r in p.requires if r not in ids]
        if missing:
            raise error(
                f"{where[p.id]}: project {p.id!r} requires {', '.join(repr(m) for m in missing)}, "
                "which the portfolio does not include"
            )
        clash = [c for c in p.conflicts if c in ids]
        if clash:
            raise error(
                f"{where[p.id]}: project {p.id!r} conflicts with {', '.join(repr(c) for c in clash)}; "
                "a portfolio can hold only one of them"
            )


def portfolio_from_ids(ids: Iterable[str], catalog: dict[str, Project], *, name: str | None = None) -> Portfolio:
    """A portfolio of catalog projects given by id (``--projects a,b``), checked like a file."""
    chosen: list[Project] = []
    where: dict[str, str] = {}
    for pid in ids:
        if pid not in catalog:
            raise PortfolioError(f"--projects: {pid!r} is not in the catalog{_closest(pid, catalog)}")
        if pid in where:
            raise PortfolioError(f"--projects: {pid!r} is listed twice")
        where[pid] = f"--projects {pid}"
        chosen.append(catalog[pid])
    _check_dependencies(chosen, where, PortfolioError)
    return Portfolio(name=name or "+".join(where), projects=tuple(chosen))


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schemas of a project file and a portfolio file, for editors."""
    project = Project.model_json_schema()
    project_file = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "corridor project file",
        "oneOf": [
            {"type": "array", "items": {"$ref": "#/$defs/Project"}},
            {
                "type": "object",
                "properties": {"projects": {"type": "array", "items": {"$ref": "#/$defs/Project"}}},
                "required": ["projects"],
            },
        ],
        "$defs": {**project.pop("$defs", {}), "Project": project},
    }
    portfolio = _PortfolioFile.model_json_schema()
    portfolio["properties"]["projects"]["items"] = {
        "anyOf": [{"type": "string", "description": "a catalog project id"}, {"$ref": "#/$defs/Project"}]
    }
    portfolio["$defs"] = dict(project_file["$defs"])
    portfolio["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    portfolio["title"] = "corridor portfolio file"
    json.dumps(portfolio)  # both must serialise
    return {"project": project_file, "portfolio": portfolio}
