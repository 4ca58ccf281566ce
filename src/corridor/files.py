"""Reading input files with one clear error, and writing files that are never left half-written."""

from __future__ import annotations

import contextlib
import os
import re
import signal
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from corridor.errors import CorridorError, DataError, OutputError

__all__ = [
    "MAX_YAML_NODES",
    "LineLoader",
    "YamlMapping",
    "YamlSequence",
    "atomic_path",
    "atomic_paths",
    "LOCK_NAME",
    "clean_stale_temporaries",
    "folder_lock",
    "load_yaml",
    "output_folder",
    "output_path",
    "strip_lines",
    "read_text",
]

#: a YAML document may expand (aliases included) to at most this many nodes
MAX_YAML_NODES = 2_000_000
#: and nest at most this deep
MAX_YAML_DEPTH = 64


#: temporary files end so; a crashed run's are recognised by their dead process id and removed
TMP_SUFFIX = ".corridor-tmp"
_TMP = re.compile(r"^\..*\.(\d+)" + re.escape(TMP_SUFFIX) + "$")


def _tmp_for(target: Path) -> Path:
    # short enough for any file system: the target's name may itself be near the 255-byte limit
    stem = target.name.encode("utf-8")[:80].decode("utf-8", "ignore")
    return target.with_name(f".{stem}.{os.getpid()}{TMP_SUFFIX}")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_temporaries(folder: str | Path) -> list[Path]:
    """Remove temporary files that a killed run left in a folder (their process is gone); return them."""
    removed = []
    with contextlib.suppress(OSError):
        for entry in Path(folder).iterdir():
            m = _TMP.match(entry.name)
            if m and not _alive(int(m.group(1))):
                with contextlib.suppress(OSError):
                    entry.unlink()
                    removed.append(entry)
    return removed


def output_path(path: str | Path) -> Path:
    """Check that ``path`` can name an output file, and make its folder.

    Raises
    ------
    OutputError
        An empty name, a folder, a parent that is a file, or a folder that
        cannot be made.
    """
    raw = str(path)
    target = Path(path)
    if not raw.strip() or target.name in {"", ".", ".."}:
        raise OutputError("no file name given", path=raw or None, allowed="a file path such as maps/map.html")
    try:
        is_folder = target.is_dir()
    except OSError as exc:  # a name too long for the file system, ...
        raise OutputError(f"cannot write the file: {exc.strerror or exc}", path=target) from None
    if is_folder:
        raise OutputError("is a folder; give a file name inside it", path=target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot make the folder: {exc.strerror or exc}", path=target.parent) from None
    if not target.parent.is_dir():
        raise OutputError("the parent is not a folder", path=target.parent)
    return target


def output_folder(path: str | Path) -> Path:
    """Check that ``path`` can be an output folder, and make it.

    Raises
    ------
    OutputError
        An empty name, an existing file, or a folder that cannot be made.
    """
    raw = str(path)
    folder = Path(path)
    if not raw.strip():
        raise OutputError("no folder given", allowed="a folder such as reports/")
    if folder.exists() and not folder.is_dir():
        raise OutputError("is a file, not a folder", path=folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot make the folder: {exc.strerror or exc}", path=folder) from None
    return folder


#: the file that marks a folder as being written by one process (its id inside)
LOCK_NAME = ".corridor.lock"


@contextlib.contextmanager
def folder_lock(folder: Path, what: str) -> Iterator[None]:
    """Hold a folder for one writer: a second process writing into it meanwhile is refused.

    A lock left by a process that no longer runs (killed) is taken over.

    Raises
    ------
    OutputError
        Another running process holds the folder.
    """
    lock = folder / LOCK_NAME
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            break
        except FileExistsError:
            pid = _lock_owner(lock)
            if pid is not None and _alive(pid):
                raise OutputError(
                    f"another corridor process (pid {pid}) is writing {what} into this folder",
                    path=folder,
                    allowed="one writer at a time: wait for it, or choose another folder",
                ) from None
            lock.unlink(missing_ok=True)  # left by a process that was killed
        except OSError as exc:
            raise OutputError(f"cannot write into the folder: {exc.strerror or exc}", path=folder) from None
    else:
        raise OutputError("another process keeps taking this folder", path=folder)
    try:
        os.write(fd, str(os.getpid()).encode("ascii"))
        os.close(fd)
        yield
    finally:
        lock.unlink(missing_ok=True)


def _lock_owner(lock: Path) -> int | None:
    try:
        return int(lock.read_text(encoding="ascii").strip() or "x")
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM while files are renamed into place, so a set of files lands whole."""
    held = {signal.SIGINT, signal.SIGTERM}
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError, OSError):  # not the main thread, or no POSIX signals
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextlib.contextmanager
def atomic_paths(paths: Sequence[str | Path]) -> Iterator[list[Path]]:
    """Yield temporary paths beside ``paths``; rename them all into place when all are written.

    The files land as one unit: if the body fails, or the run is
    interrupted while it writes, none of the targets changes and the
    temporary files are removed. Temporary files of an earlier run that was
    killed are removed first.

    Raises
    ------
    OutputError
        A target that cannot be written (a folder, a read-only place, a name
        too long, a full disk, ...).
    """
    targets = [output_path(p) for p in paths]
    for folder in {t.parent for t in targets}:
        clean_stale_temporaries(folder)
    temps = [_tmp_for(t) for t in targets]
    current = targets[0]
    try:
        yield temps
        with _signals_held():
            for tmp, target in zip(temps, targets, strict=True):
                current = target
                os.replace(tmp, target)
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write the file: {exc.strerror or exc}", path=current) from exc
    finally:
        for tmp in temps:
            with contextlib.suppress(OSError):
                tmp.unlink()


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` on success.

    The parent folder is created. If the body raises, the temporary file is
    removed and ``path`` keeps what it had before.

    Raises
    ------
    OutputError
        As :func:`atomic_paths`.
    """
    with atomic_paths([path]) as (tmp,):
        yield tmp


def read_text(
    path: str | Path,
    *,
    error: type[CorridorError] = DataError,
    missing: type[CorridorError] | None = None,
    what: str = "file",
) -> str:
    """A text file's content as UTF-8, or one clear ``error`` naming the file.

    Raises
    ------
    CorridorError
        Of the type ``error``: the file is missing, a folder, unreadable or
        not UTF-8 text.
    """
    p = Path(path)
    if not p.exists():
        raise (missing or error)(f"{what} not found", path=p)
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


def _duplicate_key(node: yaml.Node) -> tuple[str, int] | None:
    """The first key a mapping of the document gives twice, and its line (None: no key is given twice).

    YAML parsers keep the last of two equal keys; a file that sets a value twice is more likely a mistake.
    """
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
        elif isinstance(current, yaml.MappingNode):
            keys: set[str] = set()
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    if key.value in keys:
                        return key.value, key.start_mark.line + 1
                    keys.add(key.value)
                stack.extend((key, value))
    return None


def _yaml_problem(exc: yaml.YAMLError, text: str) -> tuple[str, int | None]:
    """What a YAML error says, and a line of the text to show it at.

    A problem found at the end of the text (an unclosed bracket or quote)
    is placed where the unclosed part starts, which the error names as its
    context; the line is always one the text has.
    """
    problem = str(getattr(exc, "problem", None) or str(exc).splitlines()[0])
    mark = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    last = max(1, len(text.splitlines()))
    if mark is None:
        return problem, None
    line = mark.line + 1
    at_end = line > last or (line == last and mark.index >= len(text.rstrip()))
    if at_end and context and context_mark is not None:
        problem = f"{problem} {context} that starts on this line"
        line = context_mark.line + 1
    return problem, min(max(line, 1), last)


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
    try:
        yaml_loader = loader(text)
    except yaml.YAMLError as exc:  # a character YAML refuses, found while the reader starts
        raise error(f"not valid YAML: {str(exc).splitlines()[0]}", path=path) from None
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
        twice = _duplicate_key(node)
        if twice is not None:
            raise error(
                f"the key {twice[0]!r} is given twice in one mapping; give each key once", path=path, line=twice[1]
            )
        return yaml_loader.construct_document(node)
    except yaml.YAMLError as exc:
        problem, line = _yaml_problem(exc, text)
        raise error(f"not valid YAML: {problem}", path=path, line=line) from None
    except RecursionError:
        raise error(f"the YAML nests too deep; at most {MAX_YAML_DEPTH} levels are accepted", path=path) from None
    finally:
        yaml_loader.dispose()


# ------------------------------------------------------------------ YAML with line numbers


class YamlMapping(dict[Any, Any]):
    """A YAML mapping that remembers its line and the line of each of its keys (1-based)."""

    line: int
    key_lines: dict[Any, int]


class YamlSequence(list[Any]):
    """A YAML sequence that remembers its line and the line of each of its items (1-based)."""

    line: int
    lines: list[int]


class LineLoader(yaml.SafeLoader):
    """The safe loader, whose mappings and sequences remember where they stand in the file."""


def _construct_mapping(loader: LineLoader, node: yaml.MappingNode) -> YamlMapping:
    mapping = YamlMapping(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, _ in node.value:  # merged (``<<``) keys included; a repeated key keeps its last line
        key = loader.construct_object(key_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: LineLoader, node: yaml.SequenceNode) -> YamlSequence:
    sequence = YamlSequence(loader.construct_sequence(node, deep=True))
    sequence.line = node.start_mark.line + 1
    sequence.lines = [child.start_mark.line + 1 for child in node.value]
    return sequence


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def strip_lines(value: Any) -> Any:
    """The same data as plain dicts and lists, without their lines."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value
