"""One place for the checks every input goes through.

- :func:`pydantic_problem` turns a pydantic ``ValidationError`` into the
  facts of a :class:`~corridor.errors.CorridorError` (field, message, value,
  what is accepted, and the YAML line when the data carry line numbers);
- :func:`line_at` for the line of a key of YAML data read with its lines;
- :func:`accepted_fields` for the fields a model accepts at a place of its
  input;
- :func:`key_error` for a validator's error about one key of a table;
- :func:`in_bbox` and :func:`bbox_text` for coordinates against a region's
  bounding box;
- :func:`closest` for "did you mean" hints.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

__all__ = [
    "Problem",
    "accepted_fields",
    "bbox_text",
    "closest",
    "closest_hint",
    "in_bbox",
    "key_error",
    "line_at",
    "no_bool_for_number",
    "normalise_name",
    "pydantic_problem",
]

BBox = tuple[float, float, float, float]


def _number_annotation(annotation: Any) -> bool:
    """Whether a field holds a number (``int``, ``float``, either or None), not a bool."""
    if annotation in (int, float):
        return True
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(a in (int, float) for a in args) and all(a in (int, float, type(None)) for a in args)
    return False


def no_bool_for_number(model: type[BaseModel], field: str | None, value: Any, *, name: bool = False) -> Any:
    """Refuse ``true`` or ``false`` where a field holds a number (pydantic would read them as 1 and 0).

    For a model's ``field_validator("*", mode="before")``, or (``name``: the
    message names the field) a ``model_validator(mode="before")``.
    """
    fields = model.model_fields
    if isinstance(value, bool) and field in fields and _number_annotation(fields[field].annotation):
        raise ValueError(
            f"{field}: {str(value).lower()} is not a number" if name else f"{str(value).lower()} is not a number"
        )
    return value


def in_bbox(lon: float, lat: float, bbox: BBox | None) -> bool:
    """Whether a point (EPSG:4326) lies in ``(lon_min, lat_min, lon_max, lat_max)``; True without a box."""
    if bbox is None:
        return True
    lon_min, lat_min, lon_max, lat_max = bbox
    return lon_min <= lon <= lon_max and lat_min <= lat <= lat_max


def bbox_text(bbox: BBox) -> str:
    """A box as a user reads it: ``lat 13.4..16.5, lon 119.6..122.4``."""
    lon_min, lat_min, lon_max, lat_max = bbox
    return f"lat {lat_min}..{lat_max}, lon {lon_min}..{lon_max}"


def normalise_name(text: str) -> str:
    """Fold case, accents and punctuation: ``"Biñan City"`` -> ``"binan city"``."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", stripped.lower()).strip()


def closest(value: str, known: Iterable[Any], *, n: int = 3, cutoff: float = 0.6) -> list[str]:
    """The known names nearest to ``value`` (difflib's ratio), best first."""
    return difflib.get_close_matches(str(value), [str(k) for k in known], n=n, cutoff=cutoff)


def closest_hint(value: str, known: Iterable[Any], *, n: int = 3, cutoff: float = 0.6) -> str:
    """``"; closest: a, b"`` for a message, or an empty string."""
    close = closest(value, known, n=n, cutoff=cutoff)
    return f"; closest: {', '.join(close)}" if close else ""


@dataclass(frozen=True)
class Problem:
    """One pydantic error in a user's terms."""

    field: str | None
    message: str
    value: Any
    has_value: bool
    allowed: str | None
    line: int | None
    loc: tuple[Any, ...] = ()

    def error_fields(self) -> dict[str, Any]:
        """Keyword arguments for a :class:`~corridor.errors.CorridorError`."""
        out: dict[str, Any] = {"field": self.field, "allowed": self.allowed}
        if self.has_value:
            out["value"] = self.value
        return out


_PATTERN_TEXT = {
    r"^[a-z0-9][a-z0-9_\-]*$": "lower-case letters, digits, '_' and '-', starting with a letter or digit",
}


def line_at(data: Any, loc: Iterable[Any]) -> int | None:
    """The line of the deepest part of ``loc`` that YAML data read with their lines record.

    ``data`` comes from :class:`corridor.files.LineLoader` (plain data give
    None); ``loc`` is a path of keys and list indexes. A part the data do not
    hold (a union's tag, a missing key) is passed over, so a missing key is
    placed on the line of the mapping that lacks it.
    """
    line: int | None = getattr(data, "line", None)
    node = data
    for part in loc:
        if isinstance(node, Mapping):
            try:
                found = part in node
            except TypeError:
                found = False
            if found:
                line = getattr(node, "key_lines", {}).get(part, line)
                node = node[part]
        elif isinstance(node, list):
            if isinstance(part, int) and 0 <= part < len(node):
                lines = getattr(node, "lines", None)
                line = lines[part] if lines else line
                node = node[part]
        else:
            break
    return line


def _members(annotation: Any) -> list[Any]:
    """The types an annotation may hold: ``Annotated`` unwrapped, unions split."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _members(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [m for arg in typing.get_args(annotation) for m in _members(arg)]
    return [annotation]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _is_tag(model: type[BaseModel], part: str) -> bool:
    """Whether ``part`` names this member of a union in pydantic's error locations."""
    if part == model.__name__:
        return True
    kind = model.model_fields.get("type")
    annotation = kind.annotation if kind is not None else None
    return typing.get_origin(annotation) is typing.Literal and part in typing.get_args(annotation)


def _inside(tp: Any, part: Any) -> list[Any]:
    """The types found at ``part`` of a value of type ``tp``.

    A model's field (or the model itself, at its union tag), a sequence's
    items (at an index), a dict's values.
    """
    if _is_model(tp):
        if isinstance(part, str) and part in tp.model_fields:
            return [tp.model_fields[part].annotation]
        if isinstance(part, str) and _is_tag(tp, part):
            return [tp]
        return []
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if isinstance(part, int) and origin in {list, tuple, set, frozenset, Sequence}:
        return [a for a in args if a is not Ellipsis]
    if origin in {dict, Mapping} and len(args) == 2:
        return [args[1]]
    return []


def accepted_fields(model: type[BaseModel], loc: Iterable[Any]) -> list[str] | None:
    """The fields of the model found at ``loc`` of ``model``'s input, in their order; None when not one model.

    ``loc`` is the location of pydantic's errors without the last part:
    field names, list indexes, dict keys and the tags of unions.
    """
    current: list[Any] = [model]
    for part in loc:
        current = [found for c in current for tp in _members(c) for found in _inside(tp, part)]
    models = list(dict.fromkeys(m for c in current for m in _members(c) if _is_model(m)))
    return list(models[0].model_fields) if len(models) == 1 else None


def key_error(
    message: str, *, keys: Iterable[Any], value: Any = None, allowed: str | Iterable[Any] | None = None
) -> PydanticCustomError:
    """An error for a validator to raise about one key of a table (a dict field).

    :func:`pydantic_problem` places it at the key: the field becomes
    ``table.key``, with ``value`` and ``allowed`` as given.
    """
    ctx: dict[str, Any] = {"message": message, "keys": [str(k) for k in keys], "value": value}
    if allowed is not None:
        ctx["allowed"] = allowed if isinstance(allowed, str) else ", ".join(str(a) for a in allowed)
    return PydanticCustomError("key_error", "{message}", ctx)


def pydantic_problem(
    exc: ValidationError,
    data: Any = None,
    *,
    drop: Iterable[str] = (),
    model: type[BaseModel] | None = None,
) -> Problem:
    """The first error of a validation, in a user's terms.

    Parameters
    ----------
    exc
        The pydantic error.
    data
        The validated input; when it was read by :class:`corridor.files.LineLoader`,
        the line of the key at fault (or of the mapping that lacks it) is
        returned.
    drop
        Parts of the error location to leave out (validator names).
    model
        The model validated: an unknown field is then answered with the
        fields accepted there, and the closest of them.
    """
    err = exc.errors()[0]
    kind = err["type"]
    ctx = err.get("ctx") or {}
    loc = _location(err, drop)
    value = err.get("input")
    has_value = not isinstance(value, dict | list) and kind not in {"missing", "extra_forbidden"}
    msg = str(err["msg"]).removeprefix("Value error, ")
    message, value, has_value, allowed = _explained(kind, msg, ctx, loc, model, value, has_value)
    field = ".".join(str(p) for p in loc) or None
    return Problem(field, message, value, has_value, allowed, line_at(data, loc), tuple(loc))


def _location(err: Any, drop: Iterable[str]) -> list[Any]:
    """Where an error is: its path of keys and indexes without validator names, and a key error's key."""
    skip = set(drop) | {"function-after", "function-before", "function-wrap"}
    loc = [p for p in err["loc"] if not (isinstance(p, str) and (p in skip or p.startswith("function-")))]
    if err["type"] == "key_error":
        loc += list((err.get("ctx") or {}).get("keys", []))
    return loc


def _explained(
    kind: str,
    msg: str,
    ctx: dict[str, Any],
    loc: list[Any],
    model: type[BaseModel] | None,
    value: Any,
    has_value: bool,
) -> tuple[str, Any, bool, str | None]:
    """An error of one kind in a user's terms: the message, the value (and whether to show it), what is accepted."""
    if kind == "key_error":
        return msg, ctx.get("value"), ctx.get("value") is not None, ctx.get("allowed")
    if kind == "missing":
        return "is missing; a value is required", value, has_value, None
    if kind == "extra_forbidden":
        message, allowed = _unknown_field(loc, model)
        return message, value, has_value, allowed
    if kind in {"literal_error", "enum"}:
        expected = str(ctx.get("expected", "")).replace("'", "") or None
        return "is not one of the accepted values", value, has_value, expected
    if kind == "union_tag_invalid":
        message = f"unknown {ctx.get('discriminator', 'type')}".replace("'", "")
        return message, ctx.get("tag", value), True, str(ctx.get("expected_tags", "")).replace("'", "") or None
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return "is not a valid id", value, has_value, _PATTERN_TEXT.get(pattern, f"text matching {pattern}")
    return (msg[0].lower() + msg[1:] if msg else "is not valid"), value, has_value, None


def _unknown_field(loc: list[Any], model: type[BaseModel] | None) -> tuple[str, str | None]:
    """The message for a field the model does not have, with the closest it has, and the fields it accepts there."""
    fields = accepted_fields(model, loc[:-1]) if model is not None and loc else None
    if not fields:
        return "is not a known field", None
    return "is not a known field" + closest_hint(str(loc[-1]), fields), ", ".join(fields)
