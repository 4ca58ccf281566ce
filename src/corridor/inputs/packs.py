"""Where region packs live: a folder with a ``region.yaml``, or the name of a bundled pack (a light module:
finding a pack and stamping its files needs none of the data stack)."""

from __future__ import annotations

import os
from pathlib import Path

from corridor.errors import DataFileNotFound

__all__ = [
    "pack_stamps",
    "region_path",
]


def _bundled_roots() -> list[Path]:
    package = Path(__file__).resolve().parents[1]  # corridor/, where an installed wheel keeps data/
    roots = []
    if env := os.environ.get("CORRIDOR_DATA"):
        roots.append(Path(env))
    roots += [package / "data", package.parents[1] / "data"]  # the wheel's, then the source tree's
    return roots


def region_path(region: str | Path) -> Path:
    """Return the folder of a region pack: a path, or the name of a bundled pack.

    Raises
    ------
    DataFileNotFound
        When no such folder holds a ``region.yaml``.
    """
    candidate = Path(region)
    if (candidate / "region.yaml").is_file():
        return candidate
    if candidate.name == "region.yaml" and candidate.is_file():
        return candidate.parent
    for root in _bundled_roots():
        if (root / str(region) / "region.yaml").is_file():
            return root / str(region)
    known = sorted({p.parent.name for root in _bundled_roots() if root.is_dir() for p in root.glob("*/region.yaml")})
    raise DataFileNotFound(
        f"no region pack {str(region)!r}: give a folder with a region.yaml, or one of the bundled "
        f"regions ({', '.join(known) or 'none found'})",
        path=candidate / "region.yaml",
    )


def pack_stamps(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file of a pack's folder and its subfolders with its modification time (ns) and size."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            st = path.stat()
            out[str(path.relative_to(folder))] = (st.st_mtime_ns, st.st_size)
    return out
