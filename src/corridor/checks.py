"""One place for the checks every input goes through.

- :func:`pydantic_problem` turns a pydantic ``ValidationError`` into the
  facts of a :class:`~corridor.errors.CorridorError` (field, message, value,
  what is accepted, and the YAML line when the data carry line numbers);
- :func:`in_bbox` and :func:`bbox_text` for coordinates against a region's
  bounding box;
- :func:`closest` for "did you mean" hints.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

__all__ = [
    "LINE_KEY",
    "Problem",
    "bbox_text",
    "closest",
    "closest_hint",
    "in_bbox",
    "normalise_name",
    "pydantic_problem",
]

#: the key under which the YAML loader records a mapping's line
LINE_KEY = "__line__"

BBox = tuple[float, float, float, float]


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

    def error_fields(self) -> dict[str, Any]:
        """Keyword arguments for a :class:`~corridor.errors.CorridorError`."""
        out: dict[str, Any] = {"field": self.field, "allowed": self.allowed}
        if self.has_value:
            out["value"] = self.value
        return out


_PATTERN_TEXT = {
    r"^[a-z0-9][a-z0-9_\-]*$": "lower-case letters, digits, '_' and '-', starting with a letter or digit",
}


def pydantic_problem(exc: ValidationError, data: Any = None, *, drop: Iterable[str] = ()) -> Problem:
    """The first error of a validation, in a user's terms.

    Parameters
    ----------
    exc
        The pydantic error.
    data
        The validated input; when its mappings carry :data:`LINE_KEY`, the
        line of the innermost mapping on the error's path is returned.
    drop
        Parts of the error location to leave out (validator names).
    """
    err = exc.errors()[0]
    skip = set(drop) | {"function-after", "function-before", "function-wrap"}
    loc = [p for p in err["loc"] if not (isinstance(p, str) and (p in skip or p.startswith("function-")))]
    line = data.get(LINE_KEY) if isinstance(data, dict) else None
    node: Any = data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and LINE_KEY in node:
            line = node[LINE_KEY]
    field = ".".join(str(p) for p in loc) or None
    kind = err["type"]
    msg = str(err["msg"]).removeprefix("Value error, ")
    value = err.get("input")
    has_value = not isinstance(value, dict | list) and kind not in {"missing", "extra_forbidden"}
    allowed: str | None = None
    if kind == "missing":
        message = "is missing; a value is required"
    elif kind == "extra_forbidden":
        message = "is not a known field"
    elif kind in {"literal_error", "enum"}:
        expected = err.get("ctx", {}).get("expected", "")
        message, allowed = "is not one of the accepted values", str(expected).replace("'", "") or None
    elif kind == "union_tag_invalid":
        ctx = err.get("ctx", {})
        message = f"unknown {ctx.get('discriminator', 'type')}".replace("'", "")
        value, has_value = ctx.get("tag", value), True
        allowed = str(ctx.get("expected_tags", "")).replace("'", "") or None
    elif kind == "string_pattern_mismatch":
        pattern = str(err.get("ctx", {}).get("pattern", ""))
        message, allowed = "is not a valid id", _PATTERN_TEXT.get(pattern, f"text matching {pattern}")
    else:
        message = msg[0].lower() + msg[1:] if msg else "is not valid"
    return Problem(field, message, value, has_value, allowed, line)
