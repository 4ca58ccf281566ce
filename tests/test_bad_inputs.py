"""A red-team corpus of bad inputs: each is refused with one line ``error: ...`` and exit status 2 (or, where
a right answer exists, answered right), quickly, without the transport model and without the network.

Every case runs in-process on the tiny region written in code. Guards keep the corpus fast and safe: a
transport model run raises :class:`_ModelWouldRun` (a bad input must be refused before it), a socket cannot
connect, and a warning the command would print counts as a line of stderr.
"""

from __future__ import annotations

import resource
import socket
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from corridor.cli import main

from .conftest import MODEL_FILES, TINY_CATALOG, TINY_FILES, write_tiny_region

# ------------------------------------------------------------------ helpers and guards


class _ModelWouldRun(BaseException):
    """The transport model was reached: the bad input was not refused before minutes of work."""


class _WorkStarted(BaseException):
    """A region was loaded: an option that is refused as the command line is read was not."""


#: warnings that Python shows by default: the command would print them on stderr
_HIDDEN = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


def run(capsys, *args: str) -> tuple[int, str, str]:
    """The command's exit status, stdout and stderr (with the warnings it would print)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        code = main(list(args))
    out = capsys.readouterr()
    shown = [w for w in caught if not issubclass(w.category, _HIDDEN)]
    err = out.err + "".join(warnings.formatwarning(w.message, w.category, w.filename, w.lineno) for w in shown)
    return code, out.out, err


def one_line(code: int, err: str) -> str:
    """The error line of a command that must exit 2 with one line and no traceback."""
    assert code == 2, err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err.strip()


def refused_or_right(code: int, err: str) -> None:
    """Either refused (exit 2, one line) or answered (exit 0, nothing on stderr but progress)."""
    assert code in (0, 2), err
    if code == 2:
        one_line(code, err)
    else:
        assert "Traceback" not in err and "error:" not in err, err


@pytest.fixture(autouse=True)
def _guards(monkeypatch):
    """No transport model run and no network connection in any case."""

    def model(*args, **kwargs):
        raise _ModelWouldRun("the transport model would run: the input was not refused before it")

    for module in ("corridor.model.loop", "corridor.appraisal.runs", "corridor.appraisal.screening"):
        monkeypatch.setattr(f"{module}.run_model", model)
    monkeypatch.setattr("corridor.access.modelled.run_model", model)

    def offline(*args, **kwargs):
        raise OSError("no network in these tests")

    monkeypatch.setattr(socket, "getaddrinfo", offline)
    monkeypatch.setattr(socket, "create_connection", offline)
    monkeypatch.setattr(socket.socket, "connect", offline)
    monkeypatch.setattr(socket.socket, "connect_ex", offline)


@pytest.fixture
def no_work(monkeypatch):
    """Loading a region raises :class:`_WorkStarted` (for what must be refused before any work)."""

    def load_region(*args, **kwargs):
        raise _WorkStarted("a region was loaded: the option was not refused as the command line was read")

    monkeypatch.setattr("corridor.inputs.region.load_region", load_region)


def project(pid: str = "jobs", *, name: str = "Jobs", extra: str = "", cost: str = "1.0e6") -> str:
    """A project of a portfolio file (YAML, indented as a list item) that works on any roads: jobs in the park."""
    return (
        f"  - id: {pid}\n    name: {name}\n    category: industry\n    cost_usd: {cost}\n    price_year: 2025\n"
        f"    status: proposal\n    opening_year: 2027\n    source: test\n{extra}"
        "    edits: [{type: investment, place: park, jobs: 100}]\n"
    )


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """The tiny region with jobs, observations and a catalog (module-wide: never changed)."""
    return write_tiny_region(tmp_path_factory.mktemp("bad") / "tiny", **MODEL_FILES, **{"projects.yaml": TINY_CATALOG})


@pytest.fixture(scope="module")
def portfolio(tiny) -> Path:
    """A portfolio of one project in its own file (it needs no junction of the region's roads)."""
    path = tiny.parent / "jobs.yaml"
    path.write_text("name: jobs\nprojects:\n" + project())
    return path


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# ------------------------------------------------------------------ 1, 2, 14: settings refused as they load

ZERO_VOT = {
    "car": "value_of_time_php_per_h = 0\n",
    "public_transport": "[demand]\nvalue_of_time_pt_php_per_h = 0\n",
    "truck": "[freight]\ntruck_vot_php_per_h = 0\n",
    "cargo": "[freight]\ncargo_vot_php_per_teu_h = 0\n",
    "air": "[air]\nvalue_of_time_php_per_h = 0\n",
}
BAD_CPI = {
    "cpi_zero": "[appraisal.us_cpi]\n2024 = 0\n",  # the price year's own index
    "cpi_negative": "[appraisal.us_cpi]\n2020 = -5\n",
}
NEGATIVE_INDUSTRY = {"industry_share_negative": "[freight.industry_share]\nR1 = -0.5\n"}


@pytest.mark.parametrize(
    ("case", "text"),
    [pytest.param(k, v, id=k) for k, v in {**ZERO_VOT, **BAD_CPI}.items()],
)
def test_settings_refused_as_they_load(capsys, tmp_path, tiny, case, text):
    code, _, err = run(capsys, "info", "--region", str(tiny), "--settings", write(tmp_path, f"{case}.toml", text))
    assert f"{case}.toml" in one_line(code, err)


def _command(name: str, tiny: Path, portfolio: Path) -> list[str]:
    return {
        "appraise": ["appraise", str(portfolio), "--workers", "1", "--no-projects"],
        "sensitivity": ["sensitivity", str(portfolio), "--draws", "2", "--objective", "npv_screening"],
        "optimize": ["optimize", "--budget", "1e9", "--objective", "npv_screening", "--no-pareto"],
        "score_model": ["score", str(portfolio), "--model", "--no-marginal"],
        "validate": ["validate"],
    }[name] + ["--region", str(tiny), "--no-cache"]


@pytest.mark.parametrize(
    ("command", "case"),
    [
        pytest.param(command, case)
        for command in ("appraise", "sensitivity", "optimize", "score_model")
        for case in ("car", "public_transport", "truck", "air", "cpi_zero", "cpi_negative")
    ]
    + [
        pytest.param(
            "validate",
            "industry_share_negative",
        )
    ],
)
def test_settings_refused_by_the_commands_that_use_them(capsys, tmp_path, tiny, portfolio, command, case):
    text = {**ZERO_VOT, **BAD_CPI, **NEGATIVE_INDUSTRY}[case]
    settings = write(tmp_path, f"{case}.toml", text)
    code, _, err = run(capsys, *_command(command, tiny, portfolio), "--settings", settings)
    assert settings in one_line(code, err)


# ------------------------------------------------------------------ 3: sensitivity's --seed and --draws


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--seed", "-1"], id="seed_-1"),
        pytest.param(["--draws", "1e12"], id="draws_1e12"),
        pytest.param(["--draws", "9223372036854775808"], id="draws_2**63"),
        pytest.param(["--seed", "1e3"], id="seed_1e3"),
    ],
)
def test_sensitivity_seed_and_draws(capsys, tiny, portfolio, args):
    code, _, err = run(capsys, "sensitivity", str(portfolio), "--region", str(tiny), "--draws", "2", *args)
    if args[0] == "--seed" and args[1] == "-1":
        refused_or_right(code, err)  # a negative seed may be refused or used
    else:
        one_line(code, err)


# ------------------------------------------------------------------ 4: a bad Dask scheduler


@pytest.mark.parametrize(
    "scheduler",
    [
        pytest.param("not a url"),
        pytest.param("http://example.invalid:1"),
    ],
)
def test_a_bad_scheduler_fails_at_once(capsys, tiny, scheduler):
    code, _, err = run(capsys, "optimize", "--budget", "1e9", "--region", str(tiny), "--scheduler", scheduler)
    assert "scheduler" in one_line(code, err)


# ------------------------------------------------------------------ 5: report --optimum of a hostile file


def _optimum(points: str) -> str:
    return '{"objective": "market_access", "pareto": [' + points + "]}"


OPTIMUMS = {
    "cost_400_digits": _optimum('{"cost_usd": 1' + "0" * 399 + ', "value": 1.0, "projects": []}'),
    "value_400_digits": _optimum('{"cost_usd": 1, "value": 1' + "0" * 399 + ', "projects": []}'),
    "cost_5000_digits": _optimum('{"cost_usd": 1' + "0" * 4999 + ', "value": 1.0, "projects": []}'),
    "nested_100000": _optimum('{"cost_usd": 1, "value": 1.0, "projects": ' + "[" * 100_000 + "]" * 100_000 + "}"),
    "cost_word": _optimum('{"cost_usd": "lots", "value": 1.0, "projects": []}'),
    "cost_numeric_string": _optimum('{"cost_usd": "5e8", "value": 1.0, "projects": []}'),
    "unknown_project": _optimum('{"cost_usd": 1e8, "value": 1.0, "projects": ["atlantis"]}'),
}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param("cost_400_digits"),
        pytest.param("value_400_digits"),
        pytest.param("cost_5000_digits"),
        pytest.param("nested_100000"),
        "cost_word",
        pytest.param("cost_numeric_string"),
        pytest.param("unknown_project"),
    ],
)
def test_report_of_a_hostile_optimum(capsys, tmp_path, tiny, portfolio, case):
    optimum = write(tmp_path, "optimum.json", OPTIMUMS[case])
    out = str(tmp_path / "report")
    code, _, err = run(capsys, "report", str(portfolio), "--region", str(tiny), "--optimum", optimum, "--out", out)
    assert "optimum.json" in one_line(code, err)


def test_report_of_an_optimum_at_the_edge_of_floats(capsys, tmp_path, tiny, portfolio):
    points = (
        '{"cost_usd": 1e308, "value": 1e308, "projects": ["bypass"]}, {"cost_usd": 0, "value": -1e308, "projects": []}'
    )
    optimum = write(tmp_path, "optimum.json", _optimum(points))
    out = str(tmp_path / "report")
    code, _, err = run(capsys, "report", str(portfolio), "--region", str(tiny), "--optimum", optimum, "--out", out)
    refused_or_right(code, err)


# ------------------------------------------------------------------ 6: score --roads of a hostile .npz


def _arrays(**changes: np.ndarray) -> dict[str, np.ndarray]:
    """The arrays of a small road network over the tiny region (RoadArrays.save's layout), with changes."""
    pairs = [(0, 1), (1, 2), (0, 3), (3, 2), (2, 4), (0, 5)]
    tail = np.array([a for a, _ in pairs] + [b for _, b in pairs], dtype=np.int64)
    head = np.array([b for _, b in pairs] + [a for a, _ in pairs], dtype=np.int64)
    m = len(tail)
    length = np.full(m, 30_000.0)
    speed = np.full(m, 60.0)
    arrays = {
        "osm_node": np.arange(1, 7, dtype=np.int64),
        "lon": np.array([120.2, 120.5, 120.8, 120.5, 120.8, 120.21]),
        "lat": np.array([14.5, 14.5, 14.5, 14.4, 14.7, 14.49]),
        "tail": tail,
        "head": head,
        "length_m": length,
        "speed_kph": speed,
        "travel_time_s": length / (speed / 3.6),
        "link_class": np.zeros(m, dtype=np.int64),
        "lanes": np.full(m, np.nan),
        "name": np.zeros(m, dtype=np.int64),
        "osm_way": np.arange(m, dtype=np.int64),
        "classes": np.array(["primary"]),
        "names": np.array([""]),
        "source": np.array("test"),
    }
    return {**arrays, **changes}


_M = 12  # arcs of _arrays()
_NO_ARCS = {
    k: np.array([], dtype=np.int64 if k in {"tail", "head", "link_class", "name", "osm_way"} else float)
    for k in ("tail", "head", "length_m", "speed_kph", "travel_time_s", "link_class", "lanes", "name", "osm_way")
}
NPZ: dict[str, Callable[[], dict[str, np.ndarray]]] = {
    "nan_coordinate": lambda: _arrays(lat=np.array([14.5, np.nan, 14.5, 14.4, 14.7, 14.49])),
    "huge_coordinate": lambda: _arrays(lon=np.array([120.2, 1e300, 120.8, 120.5, 120.8, 120.21])),
    "class_index_too_big": lambda: _arrays(link_class=np.full(_M, 7, dtype=np.int64)),
    "class_index_negative": lambda: _arrays(link_class=np.full(_M, -1, dtype=np.int64)),
    "float_indices": lambda: _arrays(tail=_arrays()["tail"] + 0.5),
    "negative_lengths": lambda: _arrays(length_m=np.full(_M, -30_000.0)),
    "zero_speeds": lambda: _arrays(speed_kph=np.zeros(_M), travel_time_s=np.zeros(_M)),
    "zero_speeds_with_times": lambda: _arrays(speed_kph=np.zeros(_M)),
    "zero_arcs": lambda: _arrays(**_NO_ARCS),
}


def test_the_good_npz_is_scored(capsys, tmp_path, tiny, portfolio):
    """The arrays the bad cases change are a network that scores: the bad ones fail for their change."""
    path = tmp_path / "roads.npz"
    np.savez_compressed(path, **_arrays())
    code, out, err = run(capsys, "score", str(portfolio), "--region", str(tiny), "--roads", str(path))
    assert code == 0, err
    assert "jobs: 1 project" in out


@pytest.mark.parametrize(
    "case",
    [
        pytest.param("truncated"),
        pytest.param("nan_coordinate"),
        pytest.param("huge_coordinate"),
        pytest.param("class_index_too_big"),
        pytest.param("class_index_negative"),
        pytest.param("float_indices"),
        pytest.param("negative_lengths"),
        pytest.param("zero_speeds"),
        pytest.param("zero_speeds_with_times"),
        pytest.param("zero_arcs"),
    ],
)
def test_score_of_a_hostile_npz(capsys, tmp_path, tiny, portfolio, case):
    path = tmp_path / "roads.npz"
    if case == "truncated":
        np.savez_compressed(path, **_arrays())
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    else:
        np.savez_compressed(path, **NPZ[case]())
    code, _, err = run(capsys, "score", str(portfolio), "--region", str(tiny), "--roads", str(path))
    assert "roads.npz" in one_line(code, err)


# ------------------------------------------------------------------ 7: assign on hostile TNTP files

TNTP_NET = """\
<NUMBER OF ZONES> 4
<NUMBER OF NODES> 4
<FIRST THRU NODE> 1
<END OF METADATA>
~ init term cap len fft b power speed toll type ;
{first}
2 1 100 1 5 0.15 4 0 0 1 ;
3 4 100 1 5 0.15 4 0 0 1 ;
4 3 100 1 5 0.15 4 0 0 1 ;
"""
FIRST_LINK = "1 2 100 1 5 0.15 4 0 0 1 ;"
TRIPS_WITHIN = "<NUMBER OF ZONES> 4\n<END OF METADATA>\nOrigin 1\n2 : 50.0;\nOrigin 3\n4 : 50.0;\n"
TRIPS_ACROSS = "<NUMBER OF ZONES> 4\n<END OF METADATA>\nOrigin 1\n2 : 50.0; 3 : 10.0;\n"


@pytest.mark.parametrize(
    ("first", "trips"),
    [
        pytest.param(FIRST_LINK, TRIPS_ACROSS, id="disconnected"),
        pytest.param(
            "1 2 1e308 1e308 1e308 0.15 4 0 0 1 ;",
            TRIPS_WITHIN,
            id="capacity_length_time_1e308",
        ),
        pytest.param(
            "1 2 100 1 5 1e308 1e308 0 0 1 ;",
            TRIPS_WITHIN,
            id="bpr_1e308",
        ),
        pytest.param(
            "1 2 1e-308 1 1e308 0.15 4 0 0 1 ;",
            TRIPS_WITHIN,
            id="time_1e308_capacity_1e-308",
        ),
    ],
)
def test_assign_a_hostile_tntp_network(capsys, tmp_path, first, trips):
    net = write(tmp_path, "bad_net.tntp", TNTP_NET.format(first=first))
    code, _, err = run(
        capsys, "assign", "--tntp-net", net, "--tntp-trips", write(tmp_path, "bad_trips.tntp", trips), "--max-iter", "3"
    )
    line = one_line(code, err)
    if trips is TRIPS_ACROSS:
        assert "no route from zone 1 to zone 3" in line


def test_assign_200000_zones_is_refused_from_the_header(capsys, tmp_path):
    head = "<NUMBER OF ZONES> 200000\n<NUMBER OF NODES> 200000\n<FIRST THRU NODE> 1\n<END OF METADATA>\n"
    net = write(tmp_path, "big_net.tntp", head + FIRST_LINK + "\n")
    trips = write(tmp_path, "big_trips.tntp", "<NUMBER OF ZONES> 200000\n<END OF METADATA>\nOrigin 1\n2 : 5.0;\n")
    # a machine that overcommits memory must not hand out 300 GiB of zeros: 4 GiB more than now, at most
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    status = Path("/proc/self/status").read_text()
    size = next(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmSize:"))
    limit = size + (4 << 30)
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    try:
        code, _, err = run(capsys, "assign", "--tntp-net", net, "--tntp-trips", trips)
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    assert "200000" in one_line(code, err)


# ------------------------------------------------------------------ 8: --workers


@pytest.mark.parametrize("workers", ["100000", "1e9"])
@pytest.mark.parametrize("command", ["optimize", "appraise", "sensitivity"])
def test_absurd_worker_counts(capsys, tiny, portfolio, command, workers):
    args = {
        "optimize": ["optimize", "--budget", "1e9"],
        "appraise": ["appraise", str(portfolio)],
        "sensitivity": ["sensitivity", str(portfolio), "--draws", "2"],
    }[command]
    code, _, err = run(capsys, *args, "--region", str(tiny), "--workers", workers)
    assert "workers" in one_line(code, err)


# ------------------------------------------------------------------ 9: --out ''


@pytest.mark.parametrize(
    "command",
    [pytest.param(c) for c in ("optimize", "report", "compare", "appraise", "sensitivity", "validate", "schema")],
)
def test_an_empty_out_is_refused_before_any_work(capsys, tmp_path, monkeypatch, no_work, tiny, portfolio, command):
    monkeypatch.chdir(tmp_path)  # where a command that took '' for '.' would write
    args = {
        "optimize": ["optimize", "--budget", "1e9"],
        "report": ["report", str(portfolio)],
        "compare": ["compare", str(portfolio)],
        "appraise": ["appraise", str(portfolio)],
        "sensitivity": ["sensitivity", str(portfolio), "--draws", "2"],
        "validate": ["validate"],
        "schema": ["schema"],
    }[command]
    region = [] if command == "schema" else ["--region", str(tiny)]
    code, out, err = run(capsys, *args, *region, "--out", "")
    assert "--out" in one_line(code, err) or "folder" in err
    assert out == "" and list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ 10: --year


@pytest.mark.parametrize("year", [pytest.param(y) for y in ("1800", "3000", "-5")])
def test_years_out_of_any_plan(capsys, tiny, portfolio, year):
    code, _, err = run(capsys, "sensitivity", str(portfolio), "--region", str(tiny), "--draws", "2", f"--year={year}")
    assert "year" in one_line(code, err)


# ------------------------------------------------------------------ 11, 12: region packs, projects, settings


def test_a_gateway_capacity_of_zero(capsys, tmp_path):
    gateways = MODEL_FILES["gateways.csv"].replace(",1000,TEU/yr", ",0,TEU/yr")
    folder = write_tiny_region(tmp_path / "r", **{**MODEL_FILES, "gateways.csv": gateways})
    code, _, err = run(capsys, "info", "--region", str(folder))
    line = one_line(code, err)
    assert "gateways.csv:2" in line and "capacity" in line


def test_duplicate_gateway_group_ids(capsys, tmp_path):
    group = "  - {id: harbour, name: Tiny Harbour, type: seaport, source: test}\n"
    text = TINY_FILES["region.yaml"].replace(group, group + group.replace("Tiny Harbour", "Other Harbour"))
    folder = write_tiny_region(tmp_path / "r", **{"region.yaml": text})
    code, _, err = run(capsys, "info", "--region", str(folder))
    line = one_line(code, err)
    assert "region.yaml" in line and "harbour" in line


PORTFOLIOS = {
    "conflicts_unknown_id": "name: p\nprojects:\n" + project(extra="    conflicts: [atlantis]\n"),
    "cost_true": "name: p\nprojects:\n" + project(cost="true"),
    "duplicate_top_key": "name: p\nname: q\nprojects:\n" + project(),
    "duplicate_project_key": "name: p\nprojects:\n" + project(cost="1.0e6\n    cost_usd: 2.0e6"),
    "duplicate_project_id": "name: p\nprojects:\n" + project() + project(),
}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param("conflicts_unknown_id"),
        pytest.param("cost_true"),
        pytest.param("duplicate_top_key"),
        pytest.param("duplicate_project_key"),
        "duplicate_project_id",
    ],
)
def test_hostile_portfolio_files(capsys, tmp_path, tiny, case):
    path = write(tmp_path, "p.yaml", PORTFOLIOS[case])
    code, _, err = run(capsys, "score", path, "--region", str(tiny), "--no-marginal")
    assert "p.yaml" in one_line(code, err)


def test_a_duplicate_key_in_the_catalog(capsys, tmp_path):
    catalog = TINY_CATALOG.replace("  cost_usd: 1.0e8\n", "  cost_usd: 1.0e8\n  cost_usd: 9.0e9\n", 1)
    folder = write_tiny_region(tmp_path / "r", **{"projects.yaml": catalog})
    code, _, err = run(capsys, "projects", "--region", str(folder))
    assert "projects.yaml" in one_line(code, err)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        pytest.param("s.toml", "horizon_years = true\n", id="toml_true"),
        pytest.param("s.yaml", "horizon_years: true\n", id="yaml_true"),
        pytest.param("s.yaml", "horizon_years: 30\nhorizon_years: 40\n", id="yaml_duplicate"),
        pytest.param("s.toml", "horizon_years = 30\nhorizon_years = 40\n", id="toml_duplicate"),  # TOML refuses it
    ],
)
def test_hostile_settings_values(capsys, tmp_path, tiny, name, text):
    path = write(tmp_path, name, text)
    code, _, err = run(capsys, "info", "--region", str(tiny), "--settings", path)
    assert path in one_line(code, err)


# ------------------------------------------------------------------ 13: optimize --must ''


@pytest.mark.parametrize("ids", [pytest.param(v) for v in ("", ",", " , ")])
def test_an_empty_must(capsys, tiny, ids):
    code, _, err = run(capsys, "optimize", "--budget", "1e9", "--region", str(tiny), "--no-pareto", "--must", ids)
    assert "must" in one_line(code, err)


# ------------------------------------------------------------------ 15: terminal escapes and newlines in names

ESC_NAME = '"evil\\e[2J\\e]0;pwned\\a\\e[31mred"'
NEWLINE_NAME = '"evil\\nerror: fake line\\r\\e[31mred"'


@pytest.mark.parametrize(
    ("name", "command"),
    [
        pytest.param(ESC_NAME, "score", id="escapes-score"),
        pytest.param(ESC_NAME, "compare", id="escapes-compare"),
        pytest.param(ESC_NAME, "sensitivity", id="escapes-sensitivity"),
        pytest.param(NEWLINE_NAME, "score", id="newline-score"),
        pytest.param(NEWLINE_NAME, "compare", id="newline-compare"),
        pytest.param(NEWLINE_NAME, "sensitivity", id="newline-sensitivity"),
    ],
)
def test_names_never_reach_the_terminal_raw(capsys, tmp_path, tiny, name, command):
    path = write(tmp_path, "p.yaml", f"name: {name}\nprojects:\n" + project(name=name))
    args = {
        "score": ["score", path],
        "compare": ["compare", path],
        "sensitivity": ["sensitivity", path, "--draws", "2"],
    }
    code, out, err = run(capsys, *args[command], "--region", str(tiny))
    refused_or_right(code, err)
    assert "\x1b" not in out and "\x1b" not in err and "\x07" not in out
    assert not [line for line in out.splitlines() if line.lstrip().startswith("error:")], out
    if code == 0:
        assert "evil" in out


def test_a_name_is_one_line_of_text(capsys, tmp_path, tiny):
    """A name with a line break or an escape is refused where it is written, naming the file and line."""
    path = write(tmp_path, "p.yaml", f"name: {NEWLINE_NAME}\nprojects:\n" + project())
    code, out, err = run(capsys, "score", path, "--region", str(tiny), "--json", "--no-marginal")
    line = one_line(code, err)
    assert "p.yaml:1" in line and "'name'" in line and "one line of text" in line and out == ""
    assert "\x1b" not in err and "\\n" in line  # the bad value shown escaped
