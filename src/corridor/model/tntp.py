"""The TNTP test networks (Transportation Networks for Research): their files, read and checked, and assigned.

:func:`read_tntp_net` and :func:`read_tntp_trips` read a network and its
trip table, naming the file, line and field of anything wrong;
:func:`tntp_links` gives the links as :func:`corridor.model.assignment.assign`
takes them, and :func:`assign_tntp` assigns the trips to user equilibrium.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridor.errors import DataError, DataFileNotFound
from corridor.model.assignment import assign, finite_float

__all__ = [
    "TNTP_LINK_FIELDS",
    "TntpNetwork",
    "assign_tntp",
    "read_tntp_net",
    "read_tntp_trips",
    "tntp_links",
]

log = logging.getLogger(__name__)

#: the columns of a TNTP network file, in their standard order
TNTP_LINK_FIELDS = (
    "from_node",
    "to_node",
    "capacity",
    "length",
    "free_flow_time",
    "b",
    "power",
    "speed",
    "toll",
    "link_type",
)

_ORIGIN = re.compile(r"^origin\s+(\S+)\s*$", re.IGNORECASE)
_METADATA = re.compile(r"^<([^>]+)>\s*(.*?)\s*$")


@dataclass(frozen=True)
class TntpNetwork:
    """A network read from a TNTP ``*_net.tntp`` file.

    Attributes
    ----------
    links
        One row per directed link, in file order, with the columns of
        :data:`TNTP_LINK_FIELDS`: ``from_node``, ``to_node`` (int node numbers),
        ``capacity`` (vehicles per period), ``length``, ``free_flow_time``, ``b`` and
        ``power`` (the BPR alpha and beta), ``speed``, ``toll`` and ``link_type``.
    n_zones
        Zones are nodes ``1 .. n_zones``.
    n_nodes
        Nodes are ``1 .. n_nodes``.
    first_thru_node
        Nodes below it (zones) carry no through traffic; ``1`` means every node may.
    toll_factor, distance_factor
        Generalized-cost weights from ``<TOLL FACTOR>`` and ``<DISTANCE FACTOR>``, or 0
        when the file does not give them.
    path
        The file read.
    """

    links: pd.DataFrame
    n_zones: int
    n_nodes: int
    first_thru_node: int
    toll_factor: float = 0.0
    distance_factor: float = 0.0
    path: Path | None = None


def _read_lines(path: str | Path, what: str) -> tuple[Path, list[str]]:
    p = Path(path)
    if not p.is_file():
        raise DataFileNotFound(f"no such file; give the path of a TNTP {what} file", path=p)
    return p, p.read_text(encoding="utf-8", errors="replace").splitlines()


def _content(lines: list[str], start: int) -> Iterator[tuple[int, str]]:
    """Each line from index ``start`` on that is neither blank nor a ``~`` comment: (its number from 1, its text)."""
    for i in range(start, len(lines)):
        s = lines[i].strip()
        if s and not s.startswith("~"):
            yield i + 1, s


def _read_metadata(lines: list[str], path: Path) -> tuple[dict[str, tuple[str, int]], int]:
    """The ``<KEY> value`` lines before ``<END OF METADATA>``: {KEY: (value, line)}, and the next line's index."""
    meta: dict[str, tuple[str, int]] = {}
    for line, s in _content(lines, 0):
        m = _METADATA.match(s)
        if m is None:
            raise DataError(
                f"found {s[:40]!r} where metadata was expected; a TNTP file starts with lines such as "
                "'<NUMBER OF ZONES> 24' and ends them with '<END OF METADATA>'",
                path=path,
                line=line,
            )
        key = " ".join(m.group(1).split()).upper()
        if key == "END OF METADATA":
            return meta, line
        meta[key] = (m.group(2).strip(), line)
    raise DataError("the file has no '<END OF METADATA>' line; a TNTP file ends its metadata with it", path=path)


def _meta_int(meta: dict[str, tuple[str, int]], key: str, path: Path, *, required: bool) -> int | None:
    if key not in meta:
        if required:
            raise DataError(f"the metadata has no <{key}> line; a TNTP file must give it", path=path, field=key)
        return None
    value, line = meta[key]
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise DataError(f"<{key}> is {value!r}; it takes a whole number of at least 1", path=path, line=line, field=key)
    return number


def _meta_float(meta: dict[str, tuple[str, int]], key: str, path: Path) -> float | None:
    if key not in meta:
        return None
    value, line = meta[key]
    number = finite_float(value)
    if number is None or number < 0:
        raise DataError(f"<{key}> is {value!r}; it takes a number of at least 0", path=path, line=line, field=key)
    return number


#: the most zones a TNTP network may have: its trip matrix is zones x zones numbers (10,000 zones: 800 MB)
MAX_TNTP_ZONES = 10_000

#: the largest value each number of a link row may take: beyond any real network (and kept far from
#: where a BPR cost overflows a float)
_LINK_MAX = {
    "capacity": 1e9,
    "length": 1e7,
    "free_flow_time": 1e7,
    "b": 1e3,
    "power": 20.0,
    "speed": 1e4,
    "toll": 1e9,
}


def _link_value(token: str, name: str, path: Path, line: int) -> float:
    """One field of a link row, checked against what that field accepts."""
    if name in ("from_node", "to_node", "link_type"):
        try:
            whole = int(token)
        except ValueError:
            whole = -1
        if whole < (1 if name != "link_type" else 0):
            accepted = "a node number of at least 1" if name != "link_type" else "a whole number of at least 0"
            raise DataError(f"{name} is {token!r}; it takes {accepted}", path=path, line=line, field=name)
        return whole
    number = finite_float(token)
    if name == "capacity":
        ok, accepted = number is not None and number > 0, "a number greater than 0"
    elif name == "toll":
        ok, accepted = number is not None, "a number"
    else:
        ok, accepted = number is not None and number >= 0, "a number of at least 0"
    limit = _LINK_MAX.get(name)
    if ok and number is not None and limit is not None and abs(number) > limit:
        ok, accepted = False, f"{accepted} and at most {limit:g}"
    if not ok or number is None:
        raise DataError(f"{name} is {token!r}; it takes {accepted}", path=path, line=line, field=name)
    return number


def _link_row(text: str, n_nodes: int | None, path: Path, line: int) -> list[float]:
    """One link row of a network file: its ten fields, checked (end nodes up to ``n_nodes`` when it is known)."""
    tokens = text.split(";", 1)[0].split()
    if len(tokens) != len(TNTP_LINK_FIELDS):
        raise DataError(
            f"the link row has {len(tokens)} fields; it takes {len(TNTP_LINK_FIELDS)}: {' '.join(TNTP_LINK_FIELDS)} ;",
            path=path,
            line=line,
        )
    row = [_link_value(tok, name, path, line) for tok, name in zip(tokens, TNTP_LINK_FIELDS, strict=True)]
    if n_nodes is not None:
        for name, node in zip(("from_node", "to_node"), row[:2], strict=True):
            if node > n_nodes:
                raise DataError(
                    f"{name} is {int(node)}; <NUMBER OF NODES> is {n_nodes}, so nodes are 1 to {n_nodes}",
                    path=path,
                    line=line,
                    field=name,
                )
    return row


def read_tntp_net(path: str | Path) -> TntpNetwork:
    """Read a TNTP network file (``*_net.tntp``).

    Parameters
    ----------
    path
        The file: metadata lines (``<NUMBER OF ZONES>``, ``<FIRST THRU NODE>``, optionally
        ``<NUMBER OF NODES>``, ``<NUMBER OF LINKS>``, ``<TOLL FACTOR>``,
        ``<DISTANCE FACTOR>``), ``<END OF METADATA>``, then one link a line: ten
        whitespace-separated fields ending in ``;``. Lines starting with ``~`` are comments.

    Returns
    -------
    TntpNetwork

    Raises
    ------
    DataError
        Naming the file, line and field of the first thing wrong, the bad value and what
        is accepted. :class:`~corridor.errors.DataFileNotFound` when there is no file.

    Examples
    --------
    >>> import tempfile
    >>> text = "<NUMBER OF ZONES> 2\\n<FIRST THRU NODE> 1\\n<END OF METADATA>\\n"
    >>> text += "~ init term cap len fft b power speed toll type ;\\n1 2 100 1 5 0.15 4 0 0 1 ;\\n"
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     p = Path(folder) / "tiny_net.tntp"
    ...     _ = p.write_text(text)
    ...     net = read_tntp_net(p)
    >>> net.n_zones, net.n_nodes, float(net.links.loc[0, "free_flow_time"])
    (2, 2, 5.0)
    """
    p, lines = _read_lines(path, "network (*_net.tntp)")
    meta, start = _read_metadata(lines, p)
    n_zones = _meta_int(meta, "NUMBER OF ZONES", p, required=True)
    first_thru = _meta_int(meta, "FIRST THRU NODE", p, required=True)
    n_nodes = _meta_int(meta, "NUMBER OF NODES", p, required=False)
    n_links = _meta_int(meta, "NUMBER OF LINKS", p, required=False)
    toll_factor = _meta_float(meta, "TOLL FACTOR", p) or 0.0
    distance_factor = _meta_float(meta, "DISTANCE FACTOR", p) or 0.0
    assert n_zones is not None and first_thru is not None
    if n_zones > MAX_TNTP_ZONES:
        raise DataError(
            f"<NUMBER OF ZONES> is {n_zones}; at most {MAX_TNTP_ZONES:,} are taken (the trip matrix holds zones x "
            "zones numbers)",
            path=p,
            line=meta["NUMBER OF ZONES"][1],
            field="NUMBER OF ZONES",
        )

    rows = [_link_row(s, n_nodes, p, line) for line, s in _content(lines, start)]
    if not rows:
        raise DataError("the file has no link rows after '<END OF METADATA>'", path=p)
    if n_links is not None and n_links != len(rows):
        raise DataError(
            f"<NUMBER OF LINKS> is {n_links} but the file has {len(rows)} link rows",
            path=p,
            line=meta["NUMBER OF LINKS"][1],
            field="NUMBER OF LINKS",
        )
    links = pd.DataFrame(rows, columns=list(TNTP_LINK_FIELDS))
    for name in ("from_node", "to_node", "link_type"):
        links[name] = links[name].astype(np.int64)
    if n_nodes is None:
        n_nodes = int(max(links["from_node"].max(), links["to_node"].max()))
    if n_zones > n_nodes:
        raise DataError(
            f"<NUMBER OF ZONES> is {n_zones}, more than the {n_nodes} nodes; zones are nodes 1 to <NUMBER OF ZONES>",
            path=p,
            line=meta["NUMBER OF ZONES"][1],
            field="NUMBER OF ZONES",
        )
    return TntpNetwork(links, n_zones, n_nodes, first_thru, toll_factor, distance_factor, p)


def _zone_number(token: str, n_zones: int, field: str, path: Path, line: int) -> int:
    """A zone number of a trip table (an origin or a destination), from 1 to ``n_zones``."""
    zone = int(token) if token.isdigit() else 0
    if not 1 <= zone <= n_zones:
        raise DataError(
            f"{field} is {token!r}; it takes a zone number from 1 to {n_zones}", path=path, line=line, field=field
        )
    return zone


def _trip_pairs(text: str, origin: int, n_zones: int, path: Path, line: int) -> Iterator[tuple[int, float]]:
    """The ``destination : trips;`` pairs of a line of a trip table, each checked as it is read."""
    for chunk in text.split(";"):
        chunk = chunk.strip()
        if not chunk:
            continue
        parts = chunk.split(":")
        if len(parts) != 2:
            raise DataError(
                f"found {chunk!r}; trips are written 'destination : trips;'", path=path, line=line, field="destination"
            )
        dest = _zone_number(parts[0].strip(), n_zones, "destination", path, line)
        value_token = parts[1].strip()
        value = finite_float(value_token)
        if value is None or value < 0:
            raise DataError(
                f"trips from {origin} to {dest} are {value_token!r}; they take a number of at least 0",
                path=path,
                line=line,
                field="trips",
            )
        yield dest, value


def read_tntp_trips(path: str | Path, n_zones: int) -> np.ndarray:
    """Read a TNTP trip table (``*_trips.tntp``) into a zones x zones matrix.

    Parameters
    ----------
    path
        The file: metadata (``<NUMBER OF ZONES>``, optionally ``<TOTAL OD FLOW>``),
        ``<END OF METADATA>``, then blocks of an ``Origin N`` line followed by
        ``destination : trips;`` pairs, any number a line.
    n_zones
        The network's number of zones; the file must agree.

    Returns
    -------
    numpy.ndarray
        ``trips[o - 1, d - 1]``: trips from zone ``o`` to zone ``d`` (float). Pairs the
        file does not list are 0.

    Raises
    ------
    DataError
        Naming the file, line and field at fault, the bad value and what is accepted.
    """
    p, lines = _read_lines(path, "trip table (*_trips.tntp)")
    meta, start = _read_metadata(lines, p)
    declared = _meta_int(meta, "NUMBER OF ZONES", p, required=True)
    if declared != n_zones:
        raise DataError(
            f"<NUMBER OF ZONES> is {declared} but the network has {n_zones} zones; the two files must agree",
            path=p,
            line=meta["NUMBER OF ZONES"][1],
            field="NUMBER OF ZONES",
        )
    total = _meta_float(meta, "TOTAL OD FLOW", p)
    trips = np.zeros((n_zones, n_zones))
    given = np.zeros((n_zones, n_zones), dtype=bool)
    origin: int | None = None
    for line, s in _content(lines, start):
        m = _ORIGIN.match(s)
        if m is not None:
            origin = _zone_number(m.group(1), n_zones, "Origin", p, line)
            continue
        if origin is None:
            raise DataError(
                f"found {s[:40]!r} before any 'Origin N' line; trips follow the line of their origin",
                path=p,
                line=line,
            )
        for dest, value in _trip_pairs(s, origin, n_zones, p, line):
            if given[origin - 1, dest - 1]:
                raise DataError(
                    f"trips from {origin} to {dest} are given twice; each zone pair takes one value",
                    path=p,
                    line=line,
                    field="destination",
                )
            given[origin - 1, dest - 1] = True
            trips[origin - 1, dest - 1] = value
    if total is not None and not math.isclose(trips.sum(), total, rel_tol=1e-6, abs_tol=1e-6):
        log.warning("%s: <TOTAL OD FLOW> is %s but the trips add up to %s", p, total, trips.sum())
    return trips


def tntp_links(
    net: TntpNetwork, *, toll_factor: float | None = None, distance_factor: float | None = None
) -> pd.DataFrame:
    """A TNTP network's links as :func:`assign` takes them.

    ``fixed_cost`` is ``toll_factor * toll + distance_factor * length``, the generalized
    cost of the TNTP format; the factors default to the file's ``<TOLL FACTOR>`` and
    ``<DISTANCE FACTOR>`` (0 when absent).
    """
    tf = net.toll_factor if toll_factor is None else float(toll_factor)
    df = net.distance_factor if distance_factor is None else float(distance_factor)
    links = net.links
    return pd.DataFrame(
        {
            "from_node": links["from_node"],
            "to_node": links["to_node"],
            "capacity": links["capacity"],
            "free_flow_time": links["free_flow_time"],
            "alpha": links["b"],
            "beta": links["power"],
            "fixed_cost": tf * links["toll"] + df * links["length"],
        }
    )


def assign_tntp(
    net_path: str | Path,
    trips_path: str | Path,
    *,
    gap: float = 1e-4,
    engine: str = "auto",
    max_iter: int = 500,
    toll_factor: float | None = None,
    distance_factor: float | None = None,
) -> dict[str, Any]:
    """Assign a TNTP network's trip table (BPR with each link's ``b`` and ``power``).

    Zones below ``<FIRST THRU NODE>`` carry no through traffic. The generalized cost is
    the link time plus ``toll_factor * toll + distance_factor * length`` (factors from
    the file's metadata unless given; Chicago Sketch's published solution uses 0.02
    and 0.04, which its file does not state).

    Returns
    -------
    dict
        ``{"links": [{"from", "to", "flow", "cost"}, ...], "relative_gap", "iterations",
        "seconds", "engine", "converged", "objective", "n_links", "n_zones", "n_nodes"}``:
        links in file order, ``flow`` in vehicles per period, ``cost`` the generalized
        cost in the file's time unit (the link time when both factors are 0).

    Raises
    ------
    DataError
        For a malformed file (naming file, line and field), or a ``<FIRST THRU NODE>``
        that blocks some zones but not others.
    """
    net = read_tntp_net(net_path)
    trips = read_tntp_trips(trips_path, net.n_zones)
    if 1 < net.first_thru_node <= net.n_zones:
        raise DataError(
            f"<FIRST THRU NODE> is {net.first_thru_node}, which would let zones {net.first_thru_node} to "
            f"{net.n_zones} carry through traffic but not zones below; it takes 1 (all may) or more than "
            f"<NUMBER OF ZONES> = {net.n_zones} (none may)",
            path=net.path,
            field="FIRST THRU NODE",
        )
    result = assign(
        tntp_links(net, toll_factor=toll_factor, distance_factor=distance_factor),
        {"car": trips},
        zones=range(1, net.n_zones + 1),
        gap=gap,
        max_iter=max_iter,
        engine=engine,
        blocked_centroids=net.first_thru_node > 1,
    )
    links = net.links
    return {
        "links": [
            {"from": int(a), "to": int(b), "flow": float(f), "cost": float(c)}
            for a, b, f, c in zip(links["from_node"], links["to_node"], result.flow, result.cost, strict=True)
        ],
        "relative_gap": result.relative_gap,
        "iterations": result.iterations,
        "seconds": result.seconds,
        "engine": result.engine,
        "converged": result.converged,
        "objective": result.objective,
        "n_links": len(links),
        "n_zones": net.n_zones,
        "n_nodes": net.n_nodes,
    }
