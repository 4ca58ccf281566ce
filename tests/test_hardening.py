"""What careless users and hostile files throw at corridor: one line and exit 2, nothing half-written, text as text."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from corridor.cli import main

from .conftest import ROOT, TINY_FILES, write_tiny_region

PORTFOLIOS = ROOT / "portfolios"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def one_line(code: int, err: str) -> str:
    """The error line of a command that must exit 2 with one line and no traceback."""
    assert code == 2, err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err.strip()


# ------------------------------------------------------------------ every OS error of --out


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("folder", "is a folder"),
        ("empty", "an empty name"),
        ("parent_is_file", "cannot make the folder"),
        ("long_name", "cannot write the file"),
        ("proc", "cannot"),
    ],
)
def test_bad_out_paths(capsys, tmp_path, kind, expected):
    target = {
        "folder": str(tmp_path),
        "empty": "",
        "parent_is_file": str(tmp_path / "file.txt" / "map.html"),
        "long_name": str(tmp_path / ("m" * 300 + ".html")),
        "proc": "/proc/corridor-map.html",
    }[kind]
    (tmp_path / "file.txt").write_text("a file")
    code, _, err = run(capsys, "map", "--out", target)
    assert expected in one_line(code, err)


def test_read_only_folder(capsys, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders; /proc covers a place nobody can write")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        code, _, err = run(capsys, "map", "--out", str(folder / "m.html"))
        assert "cannot write" in one_line(code, err)
    finally:
        folder.chmod(0o700)


def test_compare_out_that_is_a_file(capsys, tmp_path):
    target = tmp_path / "compare"
    target.write_text("a file")
    code, out, err = run(capsys, "compare", str(PORTFOLIOS / "committed.yaml"), "--out", str(target))
    assert "is a file, not a folder" in one_line(code, err)
    assert out == ""  # refused as the command line is read, before any scoring is printed


@pytest.mark.parametrize("command", ["report", "optimize", "sensitivity", "appraise", "validate", "schema"])
def test_every_out_folder_that_is_a_file_is_refused_before_any_work(capsys, tmp_path, command):
    target = tmp_path / "taken"
    target.write_text("a file")
    args = {
        "report": [str(PORTFOLIOS / "committed.yaml")],
        "optimize": ["--budget", "1e9"],
        "sensitivity": [str(PORTFOLIOS / "committed.yaml"), "--draws", "2"],
        "appraise": [str(PORTFOLIOS / "committed.yaml")],
        "validate": [],
        "schema": [],
    }[command]
    code, out, err = run(capsys, command, *args, "--out", str(target))
    assert "is a file, not a folder" in one_line(code, err)
    assert out == "" and target.read_text() == "a file"


# ------------------------------------------------------------------ files that are not what they claim


def test_settings_not_utf8(capsys, tmp_path):
    path = tmp_path / "s.toml"
    path.write_bytes(b"access_speed_kph = 20 # \xff\xfe\n")
    code, _, err = run(capsys, "route", "Manila", "Lipa", "--settings", str(path))
    line = one_line(code, err)
    assert str(path) in line and "not UTF-8" in line


def test_region_yaml_not_utf8(capsys, tmp_path):
    folder = write_tiny_region(tmp_path / "r")
    (folder / "region.yaml").write_bytes(TINY_FILES["region.yaml"].encode("utf-16"))
    code, _, err = run(capsys, "info", "--region", str(folder))
    line = one_line(code, err)
    assert "region.yaml" in line and "not UTF-8" in line


def test_yaml_nested_500_deep(capsys, tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("name: deep\nprojects: " + "[" * 500 + "]" * 500 + "\n")
    code, _, err = run(capsys, "score", str(path))
    line = one_line(code, err)
    assert str(path) in line and "deep" in line


def test_yaml_alias_bomb_is_refused_quickly(capsys, tmp_path):
    """Nine levels of aliases would expand to hundreds of millions of values: refused before it is built."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for k, name in enumerate("bcdefghi"):
        prev = "abcdefgh"[k]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    lines.append("name: bomb\nprojects: *i")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert path.stat().st_size < 700
    started = time.perf_counter()
    code, _, err = run(capsys, "score", str(path))
    assert "expands to more than" in one_line(code, err)
    assert time.perf_counter() - started < 10


def test_npz_of_random_bytes(capsys, tmp_path):
    path = tmp_path / "roads.npz"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    code, _, err = run(capsys, "info", "--roads", str(path))
    line = one_line(code, err)
    assert str(path) in line and "road network" in line


def test_a_region_file_that_cannot_be_read(capsys, tmp_path):
    folder = write_tiny_region(tmp_path / "r")
    (folder / "zones.csv").unlink()
    (folder / "zones.csv").mkdir()  # a folder where a file should be
    code, _, err = run(capsys, "info", "--region", str(folder))
    line = one_line(code, err)
    assert "zones.csv" in line and "folder" in line


def test_a_region_file_without_permission(monkeypatch, tmp_path):
    from corridor import DataError, load_region

    folder = write_tiny_region(tmp_path / "r")
    real = Path.read_bytes

    def denied(self):
        if self.name == "gateways.csv":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(DataError, match=r"gateways\.csv: cannot read the data file: Permission denied"):
        load_region(folder)


# ------------------------------------------------------------------ values that would break the engine


@pytest.mark.parametrize("ids", ["", ",", " , "])
def test_empty_project_lists(capsys, ids):
    code, _, err = run(capsys, "route", "Naic", "Mariveles", "--projects", ids)
    assert "no project ids given" in one_line(code, err)


@pytest.mark.slow
def test_a_speed_factor_that_would_overflow_the_hierarchy(capsys, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(
        "name: slow\nprojects:\n  - id: slow\n    name: Slow\n    category: road\n    cost_usd: 1\n"
        "    price_year: 2025\n    status: proposal\n    opening_year: 2030\n    source: t\n"
        "    edits: [{type: upgrade, select: {links: [nlex-04]}, speed_factor: 1.0e-300}]\n"
    )
    code, _, err = run(capsys, "score", str(path))
    line = one_line(code, err)
    assert f"{path}:11" in line and "speed_factor" in line and "1e-300" in line


@pytest.mark.parametrize(("column", "value"), [("headway_min", "inf"), ("dwell_s", "inf"), ("speed_kph", "nan")])
def test_infinite_rail_values_are_refused_at_load(capsys, tmp_path, column, value):
    lines = TINY_FILES["rail_lines.csv"].splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index(column)] = value
    folder = write_tiny_region(tmp_path / "r", **{"rail_lines.csv": lines[0] + "\n" + ",".join(row) + "\n"})
    for command in ("info", "route"):
        args = [command, "--region", str(folder)] + (["West Town", "Biñan East"] if command == "route" else [])
        code, _, err = run(capsys, *args)
        line = one_line(code, err)
        assert "rail_lines.csv:2" in line and f"field '{column}'" in line


def test_a_reversed_bbox_is_blamed_on_region_yaml(capsys, tmp_path):
    text = TINY_FILES["region.yaml"].replace("[120.0, 14.0, 121.0, 15.0]", "[121.0, 15.0, 120.0, 14.0]")
    folder = write_tiny_region(tmp_path / "r", **{"region.yaml": text})
    code, _, err = run(capsys, "info", "--region", str(folder))
    line = one_line(code, err)
    assert "region.yaml" in line and "field 'bbox'" in line and "zones.csv" not in line


@pytest.mark.slow
def test_an_unknown_road_class_names_the_project_and_line(capsys, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(
        "name: x\nprojects:\n  - id: hover\n    name: Hover\n    category: road\n    cost_usd: 1\n"
        "    price_year: 2025\n    status: proposal\n    opening_year: 2030\n    source: t\n"
        "    edits: [{type: upgrade, select: {links: [nlex-04]}, link_class: hoverway}]\n"
    )
    code, _, err = run(capsys, "score", str(path))
    line = one_line(code, err)
    assert f"{path}:3" in line and "project 'hover'" in line and "'hoverway'" in line and "expressway" in line


# ------------------------------------------------------------------ refused instead of computed with


def test_an_override_cannot_change_an_id(capsys, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("name: x\nprojects: [bcib, nmia]\noverrides:\n  nmia: {id: bcib}\n")
    code, _, err = run(capsys, "score", str(path))
    line = one_line(code, err)
    assert "cannot change a project's id" in line and f"{path}:4" in line


@pytest.mark.slow
@pytest.mark.parametrize("cost", [".inf", ".nan", "-.inf"])
def test_infinite_costs(capsys, tmp_path, cost):
    path = tmp_path / "p.yaml"
    path.write_text(f"name: x\nprojects: [bcib]\noverrides:\n  bcib: {{cost_usd: {cost}}}\n")
    code, _, err = run(capsys, "score", str(path))
    assert "cost_usd" in one_line(code, err)


def test_a_population_beyond_any_city(capsys, tmp_path):
    zones = TINY_FILES["zones.csv"].replace("100000", "100000000000")
    folder = write_tiny_region(tmp_path / "r", **{"zones.csv": zones})
    code, _, err = run(capsys, "info", "--region", str(folder))
    line = one_line(code, err)
    assert "zones.csv:2" in line and "population_2020" in line


def test_jobs_beyond_any_city(capsys, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(
        "name: x\nprojects:\n  - id: big\n    name: Big\n    category: industry\n    cost_usd: 1\n"
        "    price_year: 2025\n    status: proposal\n    opening_year: 2030\n    source: t\n"
        "    edits: [{type: investment, place: fab, jobs: 900000000}]\n"
    )
    code, _, err = run(capsys, "score", str(path))
    assert "jobs" in one_line(code, err)


def test_a_calibration_row_naming_an_unknown_place(capsys, tmp_path, luzon_copy):
    cal = luzon_copy / "calibration.csv"
    cal.write_text(cal.read_text() + "Atlantis,Manila,road,60,,sea,target,invented\n")
    code, _, err = run(capsys, "info", "--region", str(luzon_copy))
    line = one_line(code, err)
    assert "calibration.csv:" in line and "'Atlantis'" in line and "field 'from'" in line


def test_a_bad_colour_never_reaches_a_map(capsys, tmp_path):
    lines = TINY_FILES["rail_lines.csv"].replace("#ff0000", "red;background:url(javascript:alert(1))")
    folder = write_tiny_region(tmp_path / "r", **{"rail_lines.csv": lines})
    code, _, err = run(capsys, "map", "--region", str(folder), "--out", str(tmp_path / "m.html"))
    assert "field 'color'" in one_line(code, err) and not (tmp_path / "m.html").exists()


# ------------------------------------------------------------------ the terminal reads no markup


@pytest.mark.slow
@pytest.mark.parametrize("name", ["bad [/] name", "[link=file:///etc/passwd]click[/link]", "[bold red]x"])
def test_names_are_never_terminal_markup(capsys, tmp_path, name):
    path = tmp_path / "p.yaml"
    path.write_text(f"name: {json.dumps(name)}\nprojects: [bauan_terminal, bcib]\n")
    for args in (
        ["score", str(path)],
        ["compare", str(path)],
        ["route", "Naic", "Mariveles", "--portfolio", str(path)],
    ):
        code, out, err = run(capsys, *args)
        assert code == 0, err
        assert name in out and "\x1b]8;" not in out  # shown as typed; no hyperlink escape


# ------------------------------------------------------------------ outputs land whole


@pytest.mark.slow
def test_compare_writes_its_files_as_one_unit(capsys, tmp_path, monkeypatch):
    """If the last file fails, the first two keep their old content: no new CSV beside an old Markdown."""
    files = [str(PORTFOLIOS / "committed.yaml"), str(PORTFOLIOS / "lec_core.yaml")]
    for name in ("compare.csv", "compare.md", "compare.provenance.json"):
        (tmp_path / name).write_text("old")
    real_dumps = json.dumps

    def failing_dumps(obj, *args, **kwargs):
        if isinstance(obj, dict) and "committed" in obj:
            raise OSError(28, "No space left on device")
        return real_dumps(obj, *args, **kwargs)

    monkeypatch.setattr("corridor.present.outputs.json.dumps", failing_dumps)
    code, _, err = run(capsys, "compare", *files, "--out", str(tmp_path))
    assert "No space left on device" in one_line(code, err)
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {
        "compare.csv": "old",
        "compare.md": "old",
        "compare.provenance.json": "old",
    }


@pytest.mark.slow
def test_a_killed_runs_temporaries_are_cleaned_by_the_next(capsys, tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".m.html.{int(dead.stdout)}.corridor-tmp"
    stale.write_text("half a map")
    code, _, err = run(capsys, "map", "--out", str(tmp_path / "m.html"))
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.html"]


def _slow_map_process(out: Path) -> subprocess.Popen:
    """`corridor map` in a child whose map writing is slowed down, so a signal arrives while it writes."""
    code = (
        "import signal, sys, time, folium\n"
        # as at a terminal: a shell without job control starts background jobs with Ctrl-C ignored
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "real = folium.Map.save\n"
        "def slow(self, path, **kw):\n"
        "    real(self, path, **kw)\n"
        "    print('writing', flush=True)\n"
        "    time.sleep(30)\n"
        "folium.Map.save = slow\n"
        "from corridor.cli import main\n"
        f"sys.exit(main(['map', '--out', {str(out)!r}]))\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "status", "word"), [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")]
)
def test_a_signal_while_writing_leaves_nothing_behind(tmp_path, sig, status, word):
    out = tmp_path / "m.html"
    out.write_text("old map")
    child = _slow_map_process(out)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "writing"
    child.send_signal(sig)
    _, err = child.communicate(timeout=60)
    assert child.returncode == status, err
    assert err.strip() == f"error: {word}"
    assert out.read_text() == "old map" and sorted(p.name for p in tmp_path.iterdir()) == ["m.html"]


@pytest.mark.slow
def test_same_inputs_give_byte_identical_outputs_from_any_folder(tmp_path, monkeypatch, capsys):
    files = [str(PORTFOLIOS / "committed.yaml"), str(PORTFOLIOS / "lec_core.yaml")]
    outputs = []
    for where in ("a", "b/c"):
        folder = tmp_path / where
        folder.mkdir(parents=True)
        monkeypatch.chdir(folder)
        code, _, err = run(capsys, "compare", *files, "--out", "out")
        assert code == 0, err
        outputs.append({p.name: p.read_bytes() for p in (folder / "out").iterdir()})
    assert outputs[0] == outputs[1]
    assert str(ROOT) not in outputs[0]["compare.provenance.json"].decode()
