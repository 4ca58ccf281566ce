"""The house's layering: a subpackage per stage, imports that run one way down the stages, and no
module that imports a package's face."""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import ROOT

PACKAGE = ROOT / "src" / "corridor"

#: the stages, bottom first: a module may import only modules of lower stages, or of its own stage
#: listed before it. A subpackage is one stage; its modules, bottom first, are in MODULES.
STAGES = [
    "_version",
    "errors",
    "geo",
    "checks",
    "files",
    "settings",
    "parallel",
    "inputs",
    "network",
    "paths",
    "model",
    "access",
    "appraisal",
    "search",
    "present",
    "validate",
    "cli",
]
#: each subpackage's modules, bottom first: a module may import those listed before it
MODULES = {
    "inputs": ["packs", "region", "projects", "project_files"],
    "network": ["edges", "build", "osm", "places", "changes", "edits", "scenario", "stored"],
    "paths": ["engine", "rescore", "routes", "cache", "road_arrays", "array_network"],
    "model": ["demand", "gateways", "skims", "assignment", "tntp", "results", "loop"],
    "access": ["headlines", "metrics", "modelled", "scorer", "shapley", "scores", "sweeps"],
    "appraisal": [
        "measures",
        "costs",
        "benefits",
        "years",
        "screening",
        "runs",
        "streams",
        "worth",
        "notes",
        "appraise",
        "own_worth",
    ],
    "search": ["objectives", "optimiser", "sensitivity"],
    "present": [
        "charts",
        "briefing",
        "elements",
        "offline",
        "layers",
        "portfolio_layers",
        "maps",
        "formats",
        "payloads",
        "tables",
        "outputs",
        "report_content",
        "report_html",
        "report_markdown",
        "report",
    ],
}
#: modules that start the program, above everything
ENTRY = {"__main__"}


def _modules() -> dict[str, Path]:
    """Every module of the package by its dotted name below ``corridor`` (``access.scorer``), faces included."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        out[".".join(parts)] = path
    return out


def _rank(name: str) -> tuple[int, int]:
    """Where a module stands: (its stage, its place inside the stage)."""
    stage, _, inner = name.partition(".")
    if stage in ENTRY:
        return (len(STAGES), 0)
    return (STAGES.index(stage), MODULES[stage].index(inner) if inner else 0)


def _targets(path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of the package a file imports (``__init__`` where it imports a face)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "corridor":
            base = node.module.removeprefix("corridor").lstrip(".")
            for alias in node.names:
                sub = f"{base}.{alias.name}" if base else alias.name
                if sub in known:  # from corridor.network import edges: the module edges
                    found.add(sub)
                elif base in known and not (PACKAGE / base.replace(".", "/")).is_dir():
                    found.add(base)
                else:
                    found.add("__init__")  # a name of a package's face
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("corridor."):
                    name = alias.name.removeprefix("corridor.")
                    found.add(name if name in known and not (PACKAGE / name.replace(".", "/")).is_dir() else "__init__")
    return found


def test_the_layout_is_the_stages():
    known = _modules()
    modules = {n for n in known if not n.endswith("__init__") and n != "__init__"}
    listed = {s for s in STAGES if s not in MODULES} | {f"{s}.{m}" for s, ms in MODULES.items() for m in ms} | ENTRY
    assert modules == listed, (sorted(modules - listed), sorted(listed - modules))
    for stage in MODULES:
        assert (PACKAGE / stage / "__init__.py").is_file(), stage


def test_imports_run_down_the_stages_and_never_through_a_face():
    known = {n: p for n, p in _modules().items() if not n.endswith("__init__")}
    wrong = []
    for name, path in sorted(known.items()):
        for target in _targets(path, known):
            if target == "__init__":
                wrong.append(f"{name} imports a package's face")
            elif target != name and _rank(target) >= _rank(name):
                wrong.append(f"{name} {_rank(name)} imports {target} {_rank(target)}")
    assert not wrong, wrong


def test_faces_import_nothing_eagerly():
    """A package's face only describes and hands names on; importing a stage does not import the others."""
    for path in PACKAGE.rglob("__init__.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        eager = [
            node
            for node in tree.body
            if isinstance(node, ast.ImportFrom | ast.Import)
            and not (isinstance(node, ast.ImportFrom) and node.module in {"__future__", "typing"})
            and not (isinstance(node, ast.Import) and all(a.name in {"lazy_loader"} for a in node.names))
        ]
        assert path.parent == PACKAGE or not eager, (path, [ast.unparse(n) for n in eager])
