"""Projects and portfolios: the schema, YAML files, and their checks.

A project is a typed, costed list of edits to the network (``new_line``,
``upgrade``, ``close``, ``open``, ``gateway_upgrade``, ``new_gateway``,
``new_node``, ``investment``). A portfolio names catalog projects, may define
its own inline or include other project files, and has an optional budget and
overrides. :func:`load_portfolio` checks it: unknown ids, duplicates, missing
``requires``, ``conflicts`` present, each a one-line error with the file, the
line and the id. Whether an edit's places and links exist is checked when the
edits are applied (:mod:`corridor.network.scenario`), with the same kind of message.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from corridor.checks import closest_hint, line_at, pydantic_problem
from corridor.errors import PortfolioError, ProjectError
from corridor.files import LineLoader, atomic_paths, load_yaml, output_folder, read_text, strip_lines
from corridor.settings import CATEGORIES

__all__ = [
    "Project",
    "Portfolio",
    "Edit",
    "Coordinate",
    "load_catalog",
    "load_projects",
    "load_portfolio",
    "portfolio_from_ids",
    "requirement_masks",
    "json_schemas",
    "save_json_schemas",
    "CATEGORIES",
]

#: more people or jobs than any city holds is a typing error (the largest metropolis has about 37 million)
MAX_POPULATION = 40_000_000
ProjectStatus = Literal[
    "operating", "under_construction", "approved", "planned", "pre_feasibility", "proposal", "cancelled"
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False)


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
    speed_kph: float | None = Field(None, ge=1, le=400)
    dwell_s: float = Field(30.0, ge=0, le=3600)
    headway_min: float | None = Field(None, gt=0, le=1440)
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
    speed_kph: float | None = Field(None, ge=1, le=400)
    speed_factor: float | None = Field(None, ge=0.05, le=10)
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
    handling_h: float | None = Field(None, ge=0, le=2000)
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
    handling_h: float = Field(0.0, ge=0, le=2000)
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
    jobs: int = Field(0, ge=0, le=MAX_POPULATION)
    population: int = Field(0, ge=0, le=MAX_POPULATION)
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
    _edits_digest: str | None = PrivateAttr(default=None)

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

    @property
    def edits_digest(self) -> str:
        """A hash of what the project does to the network (its edits), to recognise the same change."""
        if self._edits_digest is None:
            blob = json.dumps([e.model_dump(mode="json") for e in self.edits], sort_keys=True)
            self._edits_digest = hashlib.sha256(blob.encode()).hexdigest()[:16]
        return self._edits_digest

    @property
    def origin_path(self) -> str | None:
        """The file the project was defined in (None when made in Python)."""
        return None if self._origin is None else self._origin[0]

    @property
    def origin_line(self) -> int | None:
        """The line of the file where the project starts."""
        return None if self._origin is None else self._origin[1]

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

    def requirements(self, project_id: str) -> set[str]:
        """The projects of this portfolio that ``project_id`` needs, directly or through others."""
        ids = {p.id for p in self.projects}
        return _closure([project_id], {p.id: [r for r in p.requires if r in ids] for p in self.projects})

    def dependants(self, project_id: str) -> set[str]:
        """The projects of this portfolio that need ``project_id``, directly or through others."""
        needed_by: dict[str, list[str]] = {p.id: [] for p in self.projects}
        for p in self.projects:
            for r in p.requires:
                needed_by.setdefault(r, []).append(p.id)
        return _closure([project_id], needed_by)

    def without(self, project_id: str) -> Portfolio:
        """The portfolio without a project and without every project that requires it (the marginal's rule)."""
        dropped = {project_id, *self.dependants(project_id)}
        kept = tuple(p for p in self.projects if p.id not in dropped)
        return self.model_copy(update={"name": f"{self.name} without {project_id}", "projects": kept})

    def only(self, ids: Iterable[str], *, name: str | None = None) -> Portfolio:
        """The projects of ``ids`` whose requirements are among them too (what operates when only those open)."""
        chosen = set(ids)
        kept = tuple(p for p in self.projects if p.id in chosen and self.requirements(p.id) <= chosen)
        return self.model_copy(update={"name": name or self.name, "projects": kept})

    def opening_years(self) -> dict[str, int]:
        """Each project's opening year, no earlier than that of any project it requires."""
        return {
            p.id: max([p.opening_year, *(q.opening_year for q in self.projects if q.id in self.requirements(p.id))])
            for p in self.projects
        }

    def provenance(self) -> dict[str, Any]:
        """The portfolio, its projects and the content hash of every file read, by file name.

        Files are named without their folder, so the same inputs give the
        same provenance (and byte-identical outputs) from any working folder.
        """
        files: dict[str, str] = {}
        for path, digest in self.source_files.items():
            name = Path(path).name
            key, k = name, 2
            while key in files and files[key] != digest:
                key, k = f"{name} ({k})", k + 1
            files[key] = digest
        return {"portfolio": self.name, "projects": self.ids, "files": files}


def _closure(start: Iterable[str], edges: dict[str, list[str]]) -> set[str]:
    """Every id reached from ``start`` along ``edges`` (not the start itself, unless on a cycle)."""
    found: set[str] = set()
    stack = [n for s in start for n in edges.get(s, ())]
    while stack:
        n = stack.pop()
        if n not in found:
            found.add(n)
            stack.extend(edges.get(n, ()))
    return found


def requirement_masks(projects: Sequence[Project]) -> list[int]:
    """Per position, the bit mask of the positions it needs, directly or through others.

    Requirements that are not among ``projects`` are left out. Searches over
    sets of projects as bit masks (Shapley coalitions, the optimiser's
    branch and bound) test ``needs[i] & ~chosen == 0`` for "buildable".
    """
    position = {p.id: i for i, p in enumerate(projects)}
    edges = {p.id: [r for r in p.requires if r in position] for p in projects}
    return [sum(1 << position[r] for r in _closure([p.id], edges) if r != p.id) for p in projects]


# ------------------------------------------------------------------ reading the files


def _read_yaml(path: Path, error: type[ProjectError]) -> tuple[Any, str]:
    text = read_text(path, error=error)
    data = load_yaml(text, path=path, error=error, loader=LineLoader)
    return data, hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _line_of(data: Any) -> int | None:
    line = getattr(data, "line", None)
    return int(line) if line is not None else None


def _project_from(data: Any, path: Path, index: int, error: type[ProjectError]) -> Project:
    if not isinstance(data, dict):
        raise error("is not a mapping", path=path, subject="project", id=f"#{index + 1}", value=type(data).__name__)
    line = _line_of(data) or 1
    pid = data.get("id", f"#{index + 1}")
    try:
        project = Project.model_validate(strip_lines(data))
    except ValidationError as exc:
        problem = pydantic_problem(exc, data, model=Project)
        raise error(
            problem.message,
            path=path,
            line=problem.line or line,
            subject="project",
            id=str(pid),
            **problem.error_fields(),
        ) from None
    return project.with_origin(path, line)


def _projects_from_file(path: Path, error: type[ProjectError]) -> tuple[list[Project], str]:
    data, digest = _read_yaml(path, error)
    items = data.get("projects") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise error("expected a list of projects (or a mapping with a 'projects' list)", path=path)
    projects = [_project_from(item, path, i, error) for i, item in enumerate(items)]
    seen: dict[str, Project] = {}
    for p in projects:
        if p.id in seen:
            raise error(
                f"duplicate id (first defined at {seen[p.id].origin})",
                path=p.origin_path,
                line=p.origin_line,
                subject="project",
                id=p.id,
            )
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
        projects in conflict, an override of a project not in the portfolio
        (or one that changes its id), or a malformed file; the error names
        the file, line and id.
    """
    path = Path(path)
    data, digest = _read_yaml(path, PortfolioError)
    if not isinstance(data, dict):
        raise PortfolioError("a portfolio is a mapping with name and projects", path=path, value=type(data).__name__)
    try:
        spec = _PortfolioFile.model_validate(strip_lines(data))
    except ValidationError as exc:
        problem = pydantic_problem(exc, data, model=_PortfolioFile)
        raise PortfolioError(problem.message, path=path, line=problem.line or 1, **problem.error_fields()) from None
    files = {str(path): digest}

    if spec.catalog is not None:
        cat_path = _named_file(path, data, "catalog", spec.catalog)
    elif catalog_path is not None:
        cat_path = Path(catalog_path)
    else:
        from corridor.inputs.region import region_path

        cat_path = region_path("luzon") / "projects.yaml"
    catalog_list, cat_digest = _projects_from_file(cat_path, PortfolioError)
    files[str(cat_path)] = cat_digest
    catalog = {p.id: p for p in catalog_list}

    chosen: list[Project] = []
    where: dict[str, tuple[str | None, int | None]] = {}
    raw_items = data.get("projects") or []
    for index, (item, raw) in enumerate(zip(spec.projects, raw_items, strict=True)):
        if isinstance(item, str):
            line = _item_line(data, "projects", index)
            if item not in catalog:
                raise PortfolioError(
                    f"project {item!r} is not in the catalog {cat_path.name}{closest_hint(item, catalog, cutoff=0.5)}",
                    path=path,
                    line=line,
                    field="projects",
                )
            project = catalog[item]
            at: tuple[str | None, int | None] = (str(path), line)
        else:
            project = _project_from(raw, path, index, PortfolioError)
            at = (project.origin_path, project.origin_line)
        if project.id in where:
            raise PortfolioError(
                f"project {project.id!r} is listed twice (first at {_at(where[project.id])})",
                path=at[0],
                line=at[1],
                field="projects",
            )
        where[project.id] = at
        chosen.append(project)
    for index, include in enumerate(spec.include):
        inc_path = _named_file(path, data, "include", include, index)
        projects, inc_digest = _projects_from_file(inc_path, PortfolioError)
        files[str(inc_path)] = inc_digest
        for project in projects:
            if project.id in where:
                raise PortfolioError(
                    f"project {project.id!r} is already in the portfolio (at {_at(where[project.id])})",
                    path=project.origin_path,
                    line=project.origin_line,
                )
            where[project.id] = (project.origin_path, project.origin_line)
            chosen.append(project)

    raw_overrides = data.get("overrides") or {}
    for pid, changes in spec.overrides.items():
        raw = raw_overrides.get(pid)
        line = _line_of(raw) or _line_of(raw_overrides) or 1
        if pid not in where:
            raise PortfolioError(
                f"override of project {pid!r}, which is not in the portfolio", path=path, line=line, field="overrides"
            )
        if "id" in changes and changes["id"] != pid:
            raise PortfolioError(
                f"an override cannot change a project's id ({pid!r} to {changes['id']!r})",
                path=path,
                line=line,
                field=f"overrides.{pid}.id",
            )
        i = next(k for k, p in enumerate(chosen) if p.id == pid)
        merged = {**chosen[i].model_dump(exclude_none=True), **changes}
        if "cost_usd" in changes and "cost_local" not in changes:
            merged.pop("cost_local", None)
        try:
            chosen[i] = Project.model_validate(merged).with_origin(path, line)
        except ValidationError as exc:
            problem = pydantic_problem(exc, raw if raw is not None else changes, model=Project)
            field = f"overrides.{pid}" + (f".{problem.field}" if problem.field else "")
            raise PortfolioError(
                problem.message, path=path, line=problem.line or line, **{**problem.error_fields(), "field": field}
            ) from None

    _check_dependencies(chosen, where, PortfolioError)
    return Portfolio(
        name=spec.name,
        description=spec.description,
        budget_usd=spec.budget_usd,
        projects=tuple(chosen),
        source_files=files,
    )


def _at(where: tuple[str | None, int | None]) -> str:
    path, line = where
    if path is None:
        return "the project list"
    return f"{path}:{line}" if line is not None else path


def _item_line(data: dict[str, Any], key: str, index: int) -> int:
    """The line of the index-th item of a top-level list (of the key, or of the file's start, when unknown)."""
    return line_at(data, [key, index]) or 1


def _named_file(path: Path, data: dict[str, Any], key: str, name: str, index: int | None = None) -> Path:
    """A project file that a portfolio names (``catalog``, an ``include``), relative to the portfolio's folder.

    Raises
    ------
    PortfolioError
        When no such file exists: at the portfolio's line that names it.
    """
    target = (path.parent / name).resolve()
    if not target.is_file():
        missing = "is a folder, not a project file" if target.is_dir() else "no such project file"
        raise PortfolioError(
            f"{missing}: {target}",
            path=path,
            line=line_at(data, [key] if index is None else [key, index]) or 1,
            field=key,
            value=name,
            allowed="a project file (YAML), its path relative to the portfolio's folder",
        )
    return target


def _check_dependencies(
    projects: list[Project], where: dict[str, tuple[str | None, int | None]], error: type[ProjectError]
) -> None:
    ids = {p.id for p in projects}
    for p in projects:
        path, line = where[p.id]
        missing = [r for r in p.requires if r not in ids]
        if missing:
            raise error(
                f"requires {', '.join(repr(m) for m in missing)}, which the portfolio does not include",
                path=path,
                line=line,
                subject="project",
                id=p.id,
            )
        clash = [c for c in p.conflicts if c in ids]
        if clash:
            raise error(
                f"conflicts with {', '.join(repr(c) for c in clash)}; a portfolio can hold only one of them",
                path=path,
                line=line,
                subject="project",
                id=p.id,
            )


def portfolio_from_ids(ids: Iterable[str], catalog: dict[str, Project], *, name: str | None = None) -> Portfolio:
    """A portfolio of catalog projects given by id, checked like a portfolio file.

    Raises
    ------
    PortfolioError
        An empty list, an unknown or repeated id, a missing requirement or a
        conflict.
    """
    chosen: list[Project] = []
    where: dict[str, tuple[str | None, int | None]] = {}
    for pid in ids:
        if pid not in catalog:
            raise PortfolioError(
                f"{pid!r} is not in the catalog{closest_hint(pid, catalog, cutoff=0.5)}", field="projects"
            )
        if pid in where:
            raise PortfolioError(f"{pid!r} is listed twice", field="projects")
        where[pid] = (None, None)
        chosen.append(catalog[pid])
    if not chosen:
        raise PortfolioError("no project ids given", field="projects", allowed="one or more catalog ids")
    _check_dependencies(chosen, where, PortfolioError)
    return Portfolio(name=name or "+".join(where), projects=tuple(chosen))


def save_json_schemas(folder: str | Path) -> list[Path]:
    """Write ``project.schema.json`` and ``portfolio.schema.json`` into a folder (atomically); return the paths."""
    schemas = json_schemas()
    target = output_folder(folder)
    paths = [target / f"{name}.schema.json" for name in schemas]
    with atomic_paths(paths) as temps:
        for tmp, body in zip(temps, schemas.values(), strict=True):
            tmp.write_text(json.dumps(body, indent=2), encoding="utf-8")
    return paths


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
