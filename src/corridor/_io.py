"""Reading input files with one clear error, and writing files that are never left half-written."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from corridor.errors import CorridorError, DataError

__all__ = ["MAX_YAML_NODES", "atomic_path", "load_yaml", "read_text"]

#: a YAML document may expand (aliases included) to at most this many nodes
MAX_YAML_NODES = 2_000_000
#: and nest at most this deep
MAX_YAML_DEPTH = 64


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` on success.

    The parent folder is created. If the body raises, the temporary file is
    removed and ``path`` keeps what it had before.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def read_text(path: str | Path, *, error: type[CorridorError] = DataError, what: str = "file") -> str:
    """A text file's content as UTF-8, or one clear ``error`` naming the file.

    Raises
    ------
    CorridorError
        Of the type ``error``: the file is missing, a folder, unreadable or
        not UTF-8 text.
    """
    p = Path(path)
    if not p.exists():
        raise error(f"{what} not found", path=p)
    if p.is_dir():
        raise error(f"{what} is a folder, not a file", path=p)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise error(f"cannot read the {what}: {exc.strerror or exc}", path=p) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=p) from None


def _expanded_size(node: yaml.Node) -> tuple[int, int]:
    """How many nodes a composed YAML document expands to (aliases counted each time), and its depth."""
    sizes: dict[int, tuple[int, int]] = {}
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        current, done = stack.pop()
        key = id(current)
        if key in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(current, yaml.SequenceNode):
            children = list(current.value)
        elif isinstance(current, yaml.MappingNode):
            children = [n for pair in current.value for n in pair]
        if done or not children:
            total, depth = 1, 1
            for child in children:
                size, d = sizes.get(id(child), (1, 1))
                total += size
                depth = max(depth, d + 1)
            sizes[key] = (min(total, MAX_YAML_NODES + 1), depth)
            continue
        stack.append((current, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(node)]


def load_yaml(
    text: str,
    *,
    path: str | Path | None,
    error: type[CorridorError] = DataError,
    loader: type[yaml.SafeLoader] = yaml.SafeLoader,
) -> Any:
    """Parse one YAML document safely: no tags that run code, bounded size and depth.

    Aliases are allowed, but a document that would expand to more than
    :data:`MAX_YAML_NODES` nodes or nest deeper than :data:`MAX_YAML_DEPTH`
    is refused before it is built.

    Raises
    ------
    CorridorError
        Of the type ``error``, with the line of the YAML problem when known.
    """
    yaml_loader = loader(text)
    try:
        node = yaml_loader.get_single_node()
        if node is None:
            return None
        size, depth = _expanded_size(node)
        if size > MAX_YAML_NODES:
            raise error(
                f"the YAML expands to more than {MAX_YAML_NODES:,} values (through aliases); refused", path=path
            )
        if depth > MAX_YAML_DEPTH:
            raise error(f"the YAML nests {depth} levels deep; at most {MAX_YAML_DEPTH} are accepted", path=path)
        return yaml_loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line = mark.line + 1 if mark is not None else None
        raise error(f"not valid YAML: {problem}", path=path, line=line) from None
    except RecursionError:
        raise error(f"the YAML nests too deep; at most {MAX_YAML_DEPTH} levels are accepted", path=path) from None
    finally:
        yaml_loader.dispose()
