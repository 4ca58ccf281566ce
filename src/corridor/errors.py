"""The exceptions that corridor raises.

Every error a user can cause is a :class:`CorridorError`; each leaf is also
the builtin a caller would expect (``ValueError``, ``KeyError``,
``FileNotFoundError``), so generic handlers keep working. Messages say what
was wrong, where (file, line, field, id), the bad value and what is accepted.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "CorridorError",
    "DataError",
    "DataFileNotFound",
    "SettingsError",
    "PlaceNotFound",
    "NoRouteError",
    "OutsideRegionError",
    "OSMError",
    "ProjectError",
    "PortfolioError",
    "ScenarioError",
]


class CorridorError(Exception):
    """Base class of every error corridor raises on bad input."""


class DataError(CorridorError, ValueError):
    """A data file or a row of it is malformed.

    Parameters
    ----------
    message
        What was wrong and what would be accepted.
    path
        The file, when the error belongs to one.
    line
        The 1-based line of the file (the header is line 1).
    field
        The column or key at fault.
    row_id
        The id of the row at fault.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        row_id: str | None = None,
    ) -> None:
        self.path = None if path is None else Path(path)
        self.line = line
        self.field = field
        self.row_id = row_id
        self.detail = message
        where = []
        if self.path is not None:
            where.append(f"{self.path}:{line}" if line is not None else str(self.path))
        if row_id is not None:
            where.append(f"id {row_id!r}")
        if field is not None:
            where.append(f"field {field!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class DataFileNotFound(DataError, FileNotFoundError):
    """A data file that the region or the user named does not exist."""


class SettingsError(CorridorError, ValueError):
    """A settings file or value is not valid."""


class PlaceNotFound(CorridorError, KeyError):
    """A place id, name or coordinate could not be matched to the network."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class OutsideRegionError(PlaceNotFound):
    """A coordinate lies outside the region, or too far from the network."""


class NoRouteError(CorridorError, ValueError):
    """No path joins the two places on the chosen mode."""


class OSMError(CorridorError, ValueError):
    """An OpenStreetMap file or query could not be turned into a network."""


class ProjectError(CorridorError, ValueError):
    """A project file or project breaks the schema."""


class PortfolioError(ProjectError):
    """A portfolio names unknown, duplicate, conflicting or missing projects."""


class ScenarioError(ProjectError):
    """An edit cannot be applied: its place or link does not exist in the network."""
