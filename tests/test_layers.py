"""The house's layering: imports run one way, down the modules' order, and nothing imports the package's face."""

from __future__ import annotations

import ast

from .conftest import ROOT

#: bottom first; a module may import only modules of lower layers (or of its own layer, listed before it)
LAYERS = [
    ["_version", "errors", "geo", "checks"],
    ["_io", "settings"],
    ["region", "projects", "edges", "demand"],
    ["network", "osm", "maps"],
    ["places", "scenario"],
    ["engine", "assignment"],
    ["osm_arrays", "metrics", "cache"],
    ["model", "appraisal", "network_arrays"],
    ["portfolio", "briefing"],
    ["parallel"],
    ["optimise"],
    ["charts", "report", "validate"],
    ["cli"],
]
ORDER = {name: i for i, names in enumerate(LAYERS) for name in names}
MODULES = {p.stem for p in (ROOT / "src" / "corridor").glob("*.py")} - {"__init__", "__main__"}


def _imports(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("corridor"):
            parts = node.module.split(".")
            if len(parts) == 1:  # from corridor import x: a submodule, or a name of the package's face
                for alias in node.names:
                    found.add(alias.name if alias.name in MODULES else "__init__")
            else:
                found.add(parts[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("corridor."):
                    found.add(alias.name.split(".")[1])
    return found


def test_every_module_has_a_layer():
    assert set(ORDER) >= MODULES, sorted(MODULES - set(ORDER))


def test_imports_run_down_and_never_through_the_package_face():
    wrong = []
    for path in sorted((ROOT / "src" / "corridor").glob("*.py")):
        if path.stem in {"__init__", "__main__"}:
            continue
        for target in _imports(path):
            if target == "__init__":
                wrong.append(f"{path.stem} imports the package's __init__")
            elif target in ORDER and ORDER[target] > ORDER[path.stem]:
                wrong.append(f"{path.stem} (layer {ORDER[path.stem]}) imports {target} (layer {ORDER[target]})")
    assert not wrong, wrong
