"""Projects and portfolios: the schema every project and portfolio is checked against, and the rules between projects.

A project is a typed, costed list of edits to the network (``new_line``,
``upgrade``, ``close``, ``open``, ``gateway_upgrade``, ``new_gateway``,
``new_node``, ``investment``). A portfolio names catalog projects, may define
its own inline or include other project files, and has an optional budget and
overrides. :func:`corridor.inputs.project_files.load_portfolio` checks it: unknown ids, duplicates, missing
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

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from corridor.checks import no_bool_for_number
from corridor.settings import CATEGORIES

__all__ = [
    "Name",
    "Project",
    "Portfolio",
    "Edit",
    "Coordinate",
    "LinkSelection",
    "NewLine",
    "Upgrade",
    "Close",
    "Open",
    "GatewayUpgrade",
    "NewGateway",
    "NewNode",
    "Investment",
    "requirement_masks",
    "StrictModel",
    "CATEGORIES",
]

#: more people or jobs than any city holds is a typing error (the largest metropolis has about 37 million)
MAX_POPULATION = 40_000_000
ProjectStatus = Literal[
    "operating", "under_construction", "approved", "planned", "pre_feasibility", "proposal", "cancelled"
]


def _one_line(text: str) -> str:
    """A name: one line of text, nothing that would move a terminal's cursor or start a new line."""
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text):
        raise ValueError("a name is one line of text: no line breaks, tabs or control characters")
    return text


#: a name shown in tables, maps and reports
Name = Annotated[str, Field(min_length=1), AfterValidator(_one_line)]


class StrictModel(BaseModel):
    """The base of every schema of project files: unknown fields refused, values frozen, text stripped."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_bool_for_number(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                no_bool_for_number(cls, str(key), value, name=True)
        return data


class Coordinate(StrictModel):
    """A point given by latitude and longitude (EPSG:4326), with an optional name."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    name: str | None = None
    waypoint: bool = Field(False, description="Only shapes the line; no stop or junction here.")


PlaceRef = Annotated[
    str | Coordinate,
    Field(description="A place id of the region (junction, station, zone, gateway, economic zone) or a coordinate."),
]


class LinkSelection(StrictModel):
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


class NewLine(StrictModel):
    """A new road, rail line, bridge or ferry through stops (and waypoints)."""

    type: Literal["new_line"]
    mode: Literal["road", "rail", "bridge", "ferry"]
    name: Name
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


class Upgrade(StrictModel):
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


class Close(StrictModel):
    """Remove links: a disruption, or a road a project replaces."""

    type: Literal["close"]
    select: LinkSelection


class Open(StrictModel):
    """Bring links of the region pack that do not operate in the base year into the network."""

    type: Literal["open"]
    links: list[str] = Field(min_length=1)


class GatewayUpgrade(StrictModel):
    """Change a port's or airport's handling time, capacity or runway movements."""

    type: Literal["gateway_upgrade"]
    gateway: str
    handling_h: float | None = Field(None, ge=0, le=2000)
    capacity: float | None = Field(None, gt=0)
    capacity_unit: str | None = None
    movements_per_h: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _something_changes(self) -> GatewayUpgrade:
        if all(v is None for v in (self.handling_h, self.capacity, self.movements_per_h)):
            raise ValueError("a gateway_upgrade sets handling_h, capacity or movements_per_h")
        return self


class NewGateway(StrictModel):
    """A new port, dry port or airport, joined to the nearest road junction."""

    type: Literal["new_gateway"]
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    name: Name
    gateway_type: Literal["seaport", "airport", "dry_port"]
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    capacity: float | None = Field(None, ge=0)
    capacity_unit: str | None = None
    handling_h: float = Field(0.0, ge=0, le=2000)
    group: str | None = None


class NewNode(StrictModel):
    """A new road junction, joined to the nearest existing junction by an access road."""

    type: Literal["new_node"]
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    name: Name
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    link_class: str = "primary"


class Investment(StrictModel):
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


class LocalCost(StrictModel):
    """A cost as published, in its own currency, with the rate used to state it in USD."""

    amount: float = Field(ge=0)
    currency: str = Field(min_length=3, max_length=3)
    per_usd: float = Field(gt=0, description="Units of the currency per USD.")
    year: int = Field(ge=1950, le=2100)
    rate_source: str = Field(min_length=1)


class Project(StrictModel):
    """A candidate or ongoing project: what it costs and what it does to the network."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    name: Name
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


class Portfolio(StrictModel):
    """A named set of projects, in the order their edits are applied."""

    name: Name
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
