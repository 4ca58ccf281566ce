"""The exceptions that corridor raises.

Every error a user can cause is a :class:`CorridorError`; each leaf is also
the builtin a caller would expect (``ValueError``, ``KeyError``,
``FileNotFoundError``), so generic handlers keep working.

Every error carries its facts as fields (``path``, ``line``, ``subject`` and
``id``, ``field``, ``value``, ``allowed``) and prints them in one format::

    <path>:<line>: <subject> '<id>', field '<field>': <what was wrong> (got <value>; accepted: <allowed>)

so a user reads what was wrong, where, the bad value and what would be
accepted, and a program reads the same facts from the attributes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "CorridorError",
    "DataError",
    "DataFileNotFound",
    "EngineError",
    "ModelError",
    "NoRouteError",
    "OSMError",
    "OptimisationError",
    "OutputError",
    "OutsideRegionError",
    "PlaceNotFound",
    "PortfolioError",
    "ProjectError",
    "ScenarioError",
    "SettingsError",
    "UsageError",
    "WorkerError",
]

_UNSET: Any = object()


def _allowed_text(allowed: str | Iterable[Any] | None) -> str | None:
    if allowed is None:
        return None
    if isinstance(allowed, str):
        return allowed
    items = [str(a) for a in allowed]
    return ", ".join(items) if items else None


class CorridorError(Exception):
    """Base class of every error corridor raises on bad input.

    Parameters
    ----------
    message
        What was wrong, in a few words (no location: the fields give it).
    path
        The file at fault.
    line
        The 1-based line of the file.
    subject, id
        What the faulty item is (``"id"``, ``"project"``, ``"zone"``, ...)
        and its identifier: printed as ``project 'bcib'``.
    part
        Which part of the item, in words (``"edit 2 (new_line)"``).
    field
        The column, key or option at fault.
    value
        The bad value, printed with ``repr``.
    allowed
        What would be accepted: a phrase, or a list of choices.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        subject: str = "id",
        id: str | None = None,
        part: str | None = None,
        field: str | None = None,
        value: Any = _UNSET,
        allowed: str | Iterable[Any] | None = None,
    ) -> None:
        self.detail = message
        self.path = None if path is None else Path(path)
        self.line = line
        self.subject = subject
        self.id = id
        self.part = part
        self.field = field
        self.value = None if value is _UNSET else value
        self.has_value = value is not _UNSET
        self.allowed = _allowed_text(allowed)
        super().__init__(self._format())

    @property
    def row_id(self) -> str | None:
        """The id of the row or item at fault (an alias of :attr:`id`)."""
        return self.id

    def where(self) -> str:
        """The location part of the message: ``path:line: subject 'id', part, field 'f'``."""
        parts: list[str] = []
        if self.path is not None:
            parts.append(f"{self.path}:{self.line}" if self.line is not None else str(self.path))
        what = []
        if self.id is not None:
            what.append(f"{self.subject} {self.id!r}")
        if self.part is not None:
            what.append(self.part)
        if self.field is not None:
            what.append(f"field {self.field!r}")
        if what:
            parts.append(", ".join(what))
        return ": ".join(parts)

    def _format(self) -> str:
        tail = []
        if self.has_value and repr(self.value) not in self.detail:
            tail.append(f"got {_short(self.value)}")
        if self.allowed:
            tail.append(f"accepted: {self.allowed}")
        text = self.detail + (f" ({'; '.join(tail)})" if tail else "")
        where = self.where()
        return f"{where}: {text}" if where else text

    def __str__(self) -> str:  # KeyError would quote the message
        return self._format()

    def __reduce__(self) -> tuple[Any, ...]:  # errors cross process boundaries whole
        return (_rebuild, (type(self), self.detail, self._fields()))

    def _fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "line": self.line,
            "subject": self.subject,
            "id": self.id,
            "part": self.part,
            "field": self.field,
            "allowed": self.allowed,
        }
        if self.has_value:
            out["value"] = self.value
        return out


def _rebuild(cls: type[CorridorError], message: str, fields: dict[str, Any]) -> CorridorError:
    return cls(message, **fields)


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class DataError(CorridorError, ValueError):
    """A data file or a row of it is malformed."""


class DataFileNotFound(DataError, FileNotFoundError):
    """A data file that the region or the user named does not exist."""


class SettingsError(CorridorError, ValueError):
    """A settings file or value is not valid."""


class PlaceNotFound(CorridorError, KeyError):
    """A place id, name or coordinate could not be matched to the network."""


class OutsideRegionError(PlaceNotFound):
    """A coordinate lies outside the region, or too far from the network."""


class NoRouteError(CorridorError, ValueError):
    """No path joins the two places on the chosen mode."""


class EngineError(CorridorError, ValueError):
    """The shortest-path engine was given something it cannot compute with."""


class ModelError(CorridorError, ValueError):
    """The transport model cannot run or be calibrated as set up."""


class OSMError(CorridorError, ValueError):
    """An OpenStreetMap file or query could not be turned into a network."""


class WorkerError(CorridorError, ValueError):
    """A pool of workers cannot be started: a bad number of processes, no fork, an unreachable Dask scheduler."""


class OptimisationError(CorridorError, ValueError):
    """An optimisation, Shapley or sensitivity run that cannot be set up (budget, candidates, objective)."""


class ProjectError(CorridorError, ValueError):
    """A project file or project breaks the schema."""


class PortfolioError(ProjectError):
    """A portfolio names unknown, duplicate, conflicting or missing projects."""


class ScenarioError(ProjectError):
    """An edit cannot be applied: its place or link does not exist in the network."""


class OutputError(CorridorError, OSError):
    """An output file or folder cannot be written."""


class UsageError(CorridorError, ValueError):
    """The command line's options clash or miss what a command needs."""
