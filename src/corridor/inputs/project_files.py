"""Project, catalog and portfolio files read and checked, every error on the line of the key at fault.

A project file is a YAML list of projects (or a mapping with projects);
a region's catalog is its projects.yaml; a portfolio file names catalog
projects, defines its own inline, includes other project files and
overrides fields. :func:`json_schemas` gives both files' JSON Schemas for
editors."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from corridor.checks import closest_hint, line_at, pydantic_problem
from corridor.errors import PortfolioError, ProjectError
from corridor.files import LineLoader, atomic_paths, load_yaml, output_folder, read_text, strip_lines
from corridor.inputs.projects import Name, Portfolio, Project, StrictModel

__all__ = [
    "json_schemas",
    "load_catalog",
    "load_portfolio",
    "load_projects",
    "portfolio_from_ids",
    "save_json_schemas",
]


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


class _PortfolioFile(StrictModel):
    name: Name
    description: str | None = None
    catalog: str | None = Field(None, description="Project file of ids to pick from; the region's by default.")
    include: list[str] = Field(default_factory=list, description="Other project files whose projects all join.")
    projects: list[str | dict[str, Any]] = Field(default_factory=list)
    budget_usd: float | None = Field(None, ge=0)
    overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)


#: where a portfolio's project is defined: a file and line (None for a list of ids)
Place = tuple[str | None, int | None]


def _read_portfolio_file(path: Path) -> tuple[dict[str, Any], _PortfolioFile, str]:
    """A portfolio file read with its lines, checked, and its hash.

    Raises
    ------
    PortfolioError
        When the file is not a mapping or breaks the portfolio schema.
    """
    data, digest = _read_yaml(path, PortfolioError)
    if not isinstance(data, dict):
        raise PortfolioError("a portfolio is a mapping with name and projects", path=path, value=type(data).__name__)
    try:
        spec = _PortfolioFile.model_validate(strip_lines(data))
    except ValidationError as exc:
        problem = pydantic_problem(exc, data, model=_PortfolioFile)
        raise PortfolioError(problem.message, path=path, line=problem.line or 1, **problem.error_fields()) from None
    return data, spec, digest


def _catalog_path(path: Path, data: dict[str, Any], spec: _PortfolioFile, catalog_path: str | Path | None) -> Path:
    """The catalog a portfolio's ids refer to: the one it names, else ``catalog_path``, else Luzon's."""
    if spec.catalog is not None:
        return _named_file(path, data, "catalog", spec.catalog)
    if catalog_path is not None:
        return Path(catalog_path)
    from corridor.inputs.region import region_path

    return region_path("luzon") / "projects.yaml"


def _listed_project(
    item: str | dict[str, Any],
    raw: Any,
    index: int,
    *,
    path: Path,
    data: dict[str, Any],
    catalog: dict[str, Project],
    catalog_file: Path,
) -> tuple[Project, Place]:
    """The index-th project of a portfolio's list (a catalog id, or a project written inline) and where it stands.

    Raises
    ------
    PortfolioError
        On an id the catalog does not have, or an inline project that breaks the schema.
    """
    if not isinstance(item, str):
        project = _project_from(raw, path, index, PortfolioError)
        return project, (project.origin_path, project.origin_line)
    line = _item_line(data, "projects", index)
    if item not in catalog:
        raise PortfolioError(
            f"project {item!r} is not in the catalog {catalog_file.name}{closest_hint(item, catalog, cutoff=0.5)}",
            path=path,
            line=line,
            field="projects",
        )
    return catalog[item], (str(path), line)


def _listed_projects(
    path: Path, data: dict[str, Any], spec: _PortfolioFile, catalog: dict[str, Project], catalog_file: Path
) -> tuple[list[Project], dict[str, Place]]:
    """The projects a portfolio lists, in order, with where each stands; none twice.

    Raises
    ------
    PortfolioError
        On an unknown id, a bad inline project, or a project listed twice.
    """
    chosen: list[Project] = []
    where: dict[str, Place] = {}
    raw_items = data.get("projects") or []
    for index, (item, raw) in enumerate(zip(spec.projects, raw_items, strict=True)):
        project, at = _listed_project(
            item, raw, index, path=path, data=data, catalog=catalog, catalog_file=catalog_file
        )
        if project.id in where:
            raise PortfolioError(
                f"project {project.id!r} is listed twice (first at {_at(where[project.id])})",
                path=at[0],
                line=at[1],
                field="projects",
            )
        where[project.id] = at
        chosen.append(project)
    return chosen, where


def _include_projects(
    path: Path,
    data: dict[str, Any],
    spec: _PortfolioFile,
    chosen: list[Project],
    where: dict[str, Place],
    files: dict[str, str],
) -> None:
    """Add the projects of the files a portfolio includes to ``chosen`` and ``where``, and their hashes to ``files``.

    Raises
    ------
    PortfolioError
        On a missing or bad file, or a project already in the portfolio.
    """
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


def _overridden(project: Project, pid: str, changes: dict[str, Any], raw: Any, *, path: Path, line: int) -> Project:
    """A project with a portfolio's override of some of its fields, checked again; defined at the override.

    Raises
    ------
    PortfolioError
        When the override changes the id or breaks the schema.
    """
    if "id" in changes and changes["id"] != pid:
        raise PortfolioError(
            f"an override cannot change a project's id ({pid!r} to {changes['id']!r})",
            path=path,
            line=line,
            field=f"overrides.{pid}.id",
        )
    merged = {**project.model_dump(exclude_none=True), **changes}
    if "cost_usd" in changes and "cost_local" not in changes:
        merged.pop("cost_local", None)
    try:
        return Project.model_validate(merged).with_origin(path, line)
    except ValidationError as exc:
        problem = pydantic_problem(exc, raw if raw is not None else changes, model=Project)
        field = f"overrides.{pid}" + (f".{problem.field}" if problem.field else "")
        raise PortfolioError(
            problem.message, path=path, line=problem.line or line, **{**problem.error_fields(), "field": field}
        ) from None


def _apply_overrides(
    path: Path, data: dict[str, Any], spec: _PortfolioFile, chosen: list[Project], where: dict[str, Place]
) -> None:
    """Replace the projects of ``chosen`` that a portfolio overrides with their overridden selves.

    Raises
    ------
    PortfolioError
        On an override of a project not in the portfolio, or a bad override.
    """
    raw_overrides = data.get("overrides") or {}
    for pid, changes in spec.overrides.items():
        raw = raw_overrides.get(pid)
        line = _line_of(raw) or _line_of(raw_overrides) or 1
        if pid not in where:
            raise PortfolioError(
                f"override of project {pid!r}, which is not in the portfolio", path=path, line=line, field="overrides"
            )
        i = next(k for k, p in enumerate(chosen) if p.id == pid)
        chosen[i] = _overridden(chosen[i], pid, changes, raw, path=path, line=line)


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
    data, spec, digest = _read_portfolio_file(path)
    files = {str(path): digest}
    cat_path = _catalog_path(path, data, spec, catalog_path)
    catalog_list, cat_digest = _projects_from_file(cat_path, PortfolioError)
    files[str(cat_path)] = cat_digest
    catalog = {p.id: p for p in catalog_list}
    chosen, where = _listed_projects(path, data, spec, catalog, cat_path)
    _include_projects(path, data, spec, chosen, where, files)
    _apply_overrides(path, data, spec, chosen, where)
    _check_dependencies(chosen, where, PortfolioError)
    _check_known(chosen, where, set(catalog) | {p.id for p in chosen}, PortfolioError)
    return Portfolio(
        name=spec.name,
        description=spec.description,
        budget_usd=spec.budget_usd,
        projects=tuple(chosen),
        source_files=files,
    )


def _at(where: Place) -> str:
    """Where a project stands, for a message: ``file:line``, the file, or the project list."""
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


def _dependency_problem(project: Project, ids: set[str]) -> str | None:
    """What is wrong with a project among ``ids``: a requirement missing, or a conflict present (None when neither)."""
    missing = [r for r in project.requires if r not in ids]
    if missing:
        return f"requires {', '.join(repr(m) for m in missing)}, which the portfolio does not include"
    clash = [c for c in project.conflicts if c in ids]
    if clash:
        return f"conflicts with {', '.join(repr(c) for c in clash)}; a portfolio can hold only one of them"
    return None


def _check_dependencies(projects: list[Project], where: dict[str, Place], error: type[ProjectError]) -> None:
    """Every project's requirements are in the portfolio, and none of its conflicts.

    Raises
    ------
    ProjectError
        ``error``, at the first project with a requirement missing or a conflict present.
    """
    ids = {p.id for p in projects}
    for p in projects:
        problem = _dependency_problem(p, ids)
        if problem is not None:
            path, line = where[p.id]
            raise error(problem, path=path, line=line, subject="project", id=p.id)


def _check_known(projects: list[Project], where: dict[str, Place], known: set[str], error: type[ProjectError]) -> None:
    """Every id a project requires or conflicts with is a project of the catalog or of the file.

    Raises
    ------
    ProjectError
        ``error``, at the first project that names an unknown id.
    """
    for p in projects:
        for key, ids in (("requires", p.requires), ("conflicts", p.conflicts)):
            unknown = [i for i in ids if i not in known]
            if unknown:
                path, line = where[p.id]
                raise error(
                    f"{key} {unknown[0]!r}, which is no project of the catalog or of this file"
                    f"{closest_hint(unknown[0], known, cutoff=0.5)}",
                    path=path,
                    line=line,
                    subject="project",
                    id=p.id,
                    field=key,
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
    where: dict[str, Place] = {}
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
