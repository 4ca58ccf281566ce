"""The corridor command: answers, JSON, maps, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from corridor.cli import main

from .conftest import QUICK, ROOT, SHARED_DATA

LEC_CORE = ROOT / "portfolios" / "lec_core.yaml"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_route_by_name(capsys):
    code, out, err = run(capsys, "route", "Clark International Airport", "Port of Manila")
    assert code == 0, err
    assert "Clark International Airport → Port of Manila" in out
    assert " min, " in out and " km" in out
    assert "NLEX" in out  # a leg


def test_route_coordinates_json(capsys):
    code, out, err = run(capsys, "route", "15.186,120.560", "14.61,120.95", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert 50 < data["minutes"] < 150 and 60 < data["km"] < 130
    assert data["legs"] and {"mode", "name", "minutes"} <= set(data["legs"][0])
    assert data["from"]["snapped_m"] < 10_000
    assert data["provenance"]["region"] == "luzon"


def test_route_modes(capsys):
    code, out, _ = run(capsys, "route", "Recto", "North Avenue", "--mode", "rail", "--json")
    data = json.loads(out)
    assert code == 0 and {leg["mode"] for leg in data["legs"]} <= {"rail", "transfer", "access"}
    assert {"LRT-2", "MRT-3"} <= {leg["name"] for leg in data["legs"]}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["route", "Clark Airprot", "Manila"], "closest: 'Clark International Airport'"),
        (["route", "10.0,120.0", "Manila"], "outside the region luzon"),
        (["route", "Batangas City", "Manila", "--mode", "rail"], "no rail route from 'Batangas City'"),
        (["route", "13.7565,121.0583", "Manila", "--mode", "rail"], "km from the nearest rail node"),
        (["route", "Manila", "Lipa", "--region", "nowhere"], "no region pack 'nowhere'"),
        (["route", "Manila", "Lipa", "--settings", "missing.toml"], "settings file not found"),
        (["score", str(LEC_CORE), "--roads", str(ROOT / "pyproject.toml")], "accepted: .npz, .osm,"),
        (["score", str(LEC_CORE), "--roads", "r.npz", "--model"], "--model needs the transport model"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, args, expected):
    code, _out, err = run(capsys, *args)
    assert code == 2
    assert err.startswith("error: ") and expected in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    "args",
    [
        ("-v", "route", "Clark Airprot", "Manila"),
        ("route", "Clark Airprot", "Manila", "-v"),  # after the command too
        ("route", "--verbose", "Clark Airprot", "Manila"),
    ],
)
def test_verbose_shows_the_traceback(capsys, args):
    code, _, err = run(capsys, *args)
    assert code == 2 and "Traceback" in err and "unknown place 'Clark Airprot'" in err


def test_quiet_after_the_command(capsys):
    code, out, err = run(capsys, "route", "Clark International Airport", "Manila", "-q")
    assert code == 0 and "min" in out and err == ""


@pytest.mark.slow
def test_python_m_corridor_runs_the_command_line():
    done = subprocess.run(
        [sys.executable, "-m", "corridor", "route", "Nowhere", "Manila"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: unknown place 'Nowhere'") and "Traceback" not in done.stderr


def test_settings_with_an_area_the_region_has_not(capsys, tmp_path):
    cfg = tmp_path / "s.toml"
    cfg.write_text("walk_speed_kph = 4.5\n\n[congestion_factors.atlantis]\ndefault = 0.5\n")
    code, _, err = run(capsys, "info", "--settings", str(cfg))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"{cfg}:3:" in err and "'atlantis'" in err and "metro_manila" in err


def test_bad_settings_key(capsys, tmp_path):
    cfg = tmp_path / "s.toml"
    cfg.write_text("walking_speed = 5\n")
    code, _, err = run(capsys, "route", "Manila", "Lipa", "--settings", str(cfg))
    assert code == 2 and "unknown key 'walking_speed'" in err and "walk_speed_kph" in err


@pytest.mark.slow
def test_map_writes_the_file(capsys, tmp_path):
    out_file = tmp_path / "out" / "base.html"
    code, _out, err = run(capsys, "map", "--out", str(out_file))
    assert code == 0, err
    text = out_file.read_text()
    assert "Roads: expressway" in text and "Rail: LRT-1" in text and "corridor-legend" in text
    assert list(out_file.parent.glob(".*tmp")) == []


def test_map_of_bad_region_leaves_no_file(capsys, tmp_path, luzon_copy):
    (luzon_copy / "road_links.csv").write_text(
        (luzon_copy / "road_links.csv").read_text().replace("nlex-03,nlex_meycauayan", "nlex-03,nlex_meycauayn")
    )
    out_file = tmp_path / "m.html"
    code, _, err = run(capsys, "map", "--out", str(out_file), "--region", str(luzon_copy))
    assert code == 2
    assert "road_links.csv:4" in err and "id 'nlex-03'" in err and "closest: nlex_meycauayan" in err
    assert not out_file.exists() and list(tmp_path.glob(".*tmp")) == []


def test_map_write_failure_keeps_the_old_map(capsys, tmp_path, monkeypatch):
    out_file = tmp_path / "m.html"
    out_file.write_text("old map")

    def broken_save(self, path, **kwargs):
        Path(path).write_text("half a map")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("folium.Map.save", broken_save)
    code, _, err = run(capsys, "map", "--out", str(out_file))
    assert code == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert f"{out_file}: cannot write the file: No space left on device" in err
    assert out_file.read_text() == "old map" and [p.name for p in tmp_path.iterdir()] == ["m.html"]


def test_usage_error_exit_2(capsys):
    code, _, err = run(capsys, "route", "Manila")
    assert code == 2 and "Missing argument" in err


def test_info_and_places(capsys):
    code, out, _ = run(capsys, "info")
    assert code == 0 and "12,422,172" in out and "13,484,462" in out and "16,195,042" in out
    code, out, _ = run(capsys, "places", "--kind", "gateway")
    assert code == 0 and "clark_airport" in out and "manila_mict" in out


def test_route_on_an_osm_file(capsys, shared_data):
    path = shared_data / "osm_quezon_city" / "qc_roads_major.graphml.gz"
    code, out, err = run(capsys, "route", "14.65,121.03", "14.70,121.08", "--network", str(path), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert 5 < data["km"] < 20 and data["minutes"] > 0
    assert "OpenStreetMap" in data["provenance"]["source"]
    # Quezon City lies in Metro Manila's congestion area: its roads run at the region's factors, not free flow
    mean_kph = data["km"] / (data["minutes"] / 60)
    assert mean_kph < 45, mean_kph


@pytest.mark.slow
def test_console_script_exit_status(tmp_path):
    exe = Path(sys.executable).with_name("corridor")
    if not exe.exists():
        pytest.skip("the corridor console script is not installed in this environment")
    env = {**os.environ, "CORRIDOR_SHARED_DATA": str(SHARED_DATA)}
    done = subprocess.run(
        [str(exe), "route", "Nowhere", "Manila"], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: unknown place 'Nowhere'") and "Traceback" not in done.stderr


@pytest.mark.slow
def test_score_portfolio(capsys):
    code, out, err = run(capsys, "score", str(ROOT / "portfolios" / "lec_core.yaml"))
    assert code == 0, err
    assert "lec_core: 5 projects" in out and "marginal contribution" in out and "bauan_terminal" in out


def test_score_json(capsys):
    code, out, err = run(capsys, "score", str(ROOT / "portfolios" / "committed.yaml"), "--json", "--no-marginal")
    assert code == 0, err
    data = json.loads(out)
    assert data["portfolio"] == "committed" and data["cost_usd"] > 1e10
    assert data["gains"]["avg_to_seaport_min"] < 0
    prov = data["provenance"]
    assert prov["region_version"] == "2025.1" and prov["settings_digest"] and prov["corridor_version"]
    assert any(path.endswith("committed.yaml") for path in prov["files"])


@pytest.mark.slow
def test_compare_writes_csv_and_markdown(capsys, tmp_path):
    files = [str(ROOT / "portfolios" / f"{n}.yaml") for n in ("committed", "lec_core", "lec_full")]
    code, out, err = run(capsys, "compare", *files, "--out", str(tmp_path))
    assert code == 0, err
    assert "★" in out and "lec_full" in out
    import pandas as pd

    table = pd.read_csv(tmp_path / "compare.csv", index_col=0)
    assert list(table.index) == ["committed", "lec_core", "lec_full"]
    assert table.loc["lec_full", "d_to_seaport_min"] <= table.loc["committed", "d_to_seaport_min"] < 0
    md = (tmp_path / "compare.md").read_text()
    assert "| lec_full |" in md and "★" in md and "marginal contribution" in md
    prov = json.loads((tmp_path / "compare.provenance.json").read_text())
    assert set(prov) == {"committed", "lec_core", "lec_full"}


@pytest.mark.slow
def test_route_with_a_portfolio(capsys):
    code, out, _ = run(capsys, "route", "Naic", "Mariveles", "--mode", "road", "--json")
    base = json.loads(out)["minutes"]
    code, out, err = run(capsys, "route", "Naic", "Mariveles", "--mode", "road", "--json", "--projects", "bcib")
    assert code == 0, err
    assert json.loads(out)["minutes"] < base / 3
    code, out, _ = run(capsys, "route", "Naic", "Mariveles", "--portfolio", str(ROOT / "portfolios" / "lec_full.yaml"))
    assert code == 0 and "with lec_full" in out and "Bataan–Cavite Interlink Bridge" in out


@pytest.mark.slow
def test_bad_portfolio_is_exit_2(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nprojects:\n  - nscr_malolos_clark\n")
    code, _, err = run(capsys, "score", str(bad))
    assert code == 2 and f"{bad}:3:" in err and "requires 'nscr_tutuban_malolos'" in err
    assert len(err.strip().splitlines()) == 1


def test_schema_export(capsys, tmp_path):
    code, _out, _ = run(capsys, "schema", "--out", str(tmp_path))
    assert code == 0
    project = json.loads((tmp_path / "project.schema.json").read_text())
    portfolio = json.loads((tmp_path / "portfolio.schema.json").read_text())
    assert project["title"] == "corridor project file" and "Project" in project["$defs"]
    assert portfolio["title"] == "corridor portfolio file"


def test_projects_listing(capsys):
    code, out, _ = run(capsys, "projects")
    assert code == 0 and "scmb_freight_rail" in out and "pre_feasibility" in out


def test_fetch_needs_region_or_place(capsys, tmp_path):
    code, _, err = run(capsys, "fetch", "--out", str(tmp_path / "r.npz"))
    assert code == 2 and "give --region NAME" in err and "not both" not in err
    code, _, err = run(capsys, "fetch", "--region", "luzon", "--place", "Manila", "--out", str(tmp_path / "r.npz"))
    assert code == 2 and "not both" in err


@pytest.mark.slow
def test_commands_on_real_roads(capsys, shared_data, tmp_path):
    from corridor.paths.road_arrays import road_arrays_from_pbf

    # a tiny region pack whose box holds the Legazpi extract
    from .conftest import TINY_FILES, write_tiny_region

    yaml_text = TINY_FILES["region.yaml"].replace(
        "bbox: [120.0, 14.0, 121.0, 15.0]", "bbox: [123.5, 12.9, 124.2, 13.4]"
    )
    zones = (
        "zone_id,name,region,province,lat,lon,population_2020,psgc_members,source\n"
        "centre,Legazpi centre,R5,Albay,13.1391,123.7438,100000,,test\n"
        "airport,Legazpi airport area,R5,Albay,13.1575,123.7350,20000,,test\n"
    )
    gateways = (
        "gateway_id,name,type,group,lat,lon,capacity,capacity_unit,handling_h,code,source\n"
        "legazpi_port,Legazpi port,seaport,,13.1480,123.7560,,,48,PH LGP,NGA World Port Index\n"
    )
    folder = write_tiny_region(
        tmp_path / "albay",
        **{
            "region.yaml": yaml_text.replace(
                "gateway_groups:\n  - {id: harbour, name: Tiny Harbour, type: seaport, source: test}\n", ""
            ),
            "zones.csv": zones,
            "gateways.csv": gateways,
            "economic_zones.csv": "ez_id,name,lat,lon,area_ha,jobs,source\n",
            "rail_stations.csv": "station_id,line_id,seq,name,lat,lon,status,source\n",
            # the pack's own strategic roads, which --roads replaces
            "road_nodes.csv": "node_id,name,lat,lon,source\na,A,13.14,123.74,test\nb,B,13.16,123.73,test\n",
            "road_links.csv": "link_id,from_node,to_node,name,link_class,lanes,speed_kph,oneway,status,via,source\n"
            "x1,a,b,Main road,primary,2,,no,operating,,test\n",
        },
    )
    roads = road_arrays_from_pbf(shared_data / "osm_legazpi" / "legazpi.osm.pbf").save(tmp_path / "roads.npz")
    code, out, err = run(
        capsys, "route", "Legazpi centre", "Legazpi port", "--region", str(folder), "--roads", str(roads), "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["km"] < 6 and {leg["mode"] for leg in data["legs"]} >= {"road"}
    code, out, err = run(capsys, "info", "--region", str(folder), "--roads", str(roads))
    assert code == 0, err


@pytest.mark.slow
def test_map_with_projects_built(capsys, tmp_path):
    out_file = tmp_path / "with.html"
    code, _, err = run(
        capsys, "map", "--projects", "nscr_tutuban_malolos,bcib", "--out", str(out_file), "--settings", QUICK
    )
    assert code == 0, err
    text = out_file.read_text()
    assert "Projects: rail (1)" in text and "Projects: bridge (1)" in text and "Bataan–Cavite Interlink Bridge" in text
    assert "nscr_tutuban_malolos+bcib: what it changes" in text and "Zones: \\u0394 to seaport (min)" in text


def _one_line_exit_2(code: int, err: str) -> None:
    assert code == 2, err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_unknown_mode_is_one_line(capsys):
    code, _, err = run(capsys, "route", "x", "y", "--mode", "teleport")
    _one_line_exit_2(code, err)
    assert "'teleport' is not one of 'road', 'rail', 'transit', 'any', 'freight'" in err
    assert "corridor route --help" in err


def test_unknown_command_and_option_are_one_line(capsys):
    for args in (["teleport"], ["route", "Manila", "Lipa", "--fast"]):
        code, _, err = run(capsys, *args)
        _one_line_exit_2(code, err)


def test_cch_backend_without_the_package_is_one_line(capsys, tmp_path, monkeypatch):
    import corridor.paths.engine

    monkeypatch.setattr(corridor.paths.engine, "available_backends", lambda: ["scipy"])
    cfg = tmp_path / "s.toml"
    cfg.write_text('engine_backend = "cch"\n')
    code, _, err = run(capsys, "score", str(ROOT / "portfolios" / "committed.yaml"), "--settings", str(cfg))
    _one_line_exit_2(code, err)
    assert "routingkit-cch" in err and "engine_backend" in err


def test_places_of_an_unknown_kind(capsys):
    code, _, err = run(capsys, "places", "--kind", "volcano")
    _one_line_exit_2(code, err)
    assert "'volcano'" in err and "economic_zone" in err


def test_route_says_which_kind_a_shared_id_took(capsys):
    code, out, err = run(capsys, "route", "las_pinas", "naia", "--mode", "road")
    assert code == 0, err
    assert "'las_pinas' taken as the zone; it also names junction:las_pinas" in out


def test_score_explains_a_project_that_changes_nothing(capsys, tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("name: capacity\nprojects: [clark_runway_2, bauan_terminal]\n")
    code, out, err = run(capsys, "score", str(p))
    assert code == 0, err
    assert "clark_runway_2 changes no headline" in out and "no connectivity metric reads" in out


# ------------------------------------------------------------------ optimize and sensitivity


@pytest.mark.slow
def test_optimize_prints_the_optimum_and_the_frontier(capsys, tmp_path):
    code, out, err = run(capsys, "optimize", "--budget", "2e9", "--out", str(tmp_path))
    assert code == 0, err
    assert "best for market access to jobs" in out and "proven optimal: branch and bound" in out
    assert "Pareto frontier of cost against market access" in out
    assert {p.name for p in tmp_path.iterdir()} == {"optimum.json", "pareto.csv", "pareto.md", "pareto.svg"}
    data = json.loads((tmp_path / "optimum.json").read_text())
    assert data["exact"] is True and data["cost_usd"] <= 2e9
    assert (tmp_path / "pareto.svg").read_text().startswith("<svg")


@pytest.mark.slow
def test_optimize_json_with_rules(capsys, tmp_path):
    candidates = tmp_path / "few.yaml"
    candidates.write_text(
        "name: few\nprojects: [bcib, bauan_terminal, calax_kawit, cllex_aliaga_cabanatuan, clark_food_hub]\n"
    )
    args = (
        "optimize",
        "--budget",
        "1e9",
        "--objective",
        "time_to_port",
        "--candidates",
        str(candidates),
        "--must",
        "calax_kawit",
        "--exclude",
        "cllex_aliaga_cabanatuan",
        "--json",
    )
    code, out, err = run(capsys, *args)
    assert code == 0, err
    data = json.loads(out)
    assert data["objective"] == "time_to_port" and "calax_kawit" in data["projects"]
    assert "cllex_aliaga_cabanatuan" not in data["projects"] and data["exact"] is True
    assert set(data) >= {"objective", "value", "budget_usd", "cost_usd", "projects", "exact", "pareto"}
    # how long it took is not a result: the same inputs give the same bytes
    assert "seconds" not in data
    assert run(capsys, *args)[1] == out


def test_optimize_states_its_bound_on_candidates_before_any_work(capsys, tmp_path):
    from corridor.search.optimiser import MAX_CANDIDATES

    many = tmp_path / "many.yaml"
    rows = [
        f"  - {{id: up{i}, name: upgrade {i}, category: road, cost_usd: 1e6, price_year: 2025, status: proposal, "
        f"opening_year: 2030, source: test, "
        f"edits: [{{type: upgrade, select: {{links: [nlex-01]}}, speed_factor: 1.1}}]}}"
        for i in range(MAX_CANDIDATES + 1)
    ]
    many.write_text("projects:\n" + "\n".join(rows) + "\n")
    code, _, err = run(capsys, "optimize", "--budget", "1e9", "--candidates", str(many), "--method", "heuristic")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"{MAX_CANDIDATES + 1:,} candidate projects" in err and f"at most {MAX_CANDIDATES}" in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--objective", "npv_usd"], "unknown objective; closest: npv"),
        (["--must", "bcibb"], "'bcibb' is not a candidate; closest: bcib"),
        (["--budget", "-5"], "the budget must be a finite amount"),
    ],
)
def test_optimize_refusals_are_one_line(capsys, args, expected):
    code, _, err = run(capsys, "optimize", "--budget", "1e9", *args)
    assert code == 2 and err.startswith("error: ") and expected in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_sensitivity_reports_the_ranking(capsys, tmp_path):
    files = [str(ROOT / "portfolios" / f"{n}.yaml") for n in ("committed", "lec_core")]
    code, out, err = run(capsys, "sensitivity", *files, "--draws", "3", "--seed", "4", "--out", str(tmp_path))
    assert code == 0, err
    assert "P(best)" in out and "lec_core: projects by marginal gain" in out and "inputs drawn (lhs, seed 4)" in out
    data = json.loads((tmp_path / "sensitivity.json").read_text())
    assert data["draws"] == 3 and sum(p["p_best"] for p in data["portfolios"]) == pytest.approx(1.0)


def test_score_prints_shapley_values(capsys):
    code, out, err = run(capsys, "score", str(ROOT / "portfolios" / "lec_core.yaml"))
    assert code == 0, err
    assert "Shapley" in out and "lec_core: Shapley values exact (31 sets of projects scored)" in out


@pytest.mark.slow
def test_map_of_a_portfolio_by_default_in_maps(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "map", "--portfolio", str(ROOT / "portfolios" / "lec_core.yaml"), "--settings", QUICK)
    assert code == 0, err
    assert out.strip() == "wrote maps/lec_core.html" and (tmp_path / "maps" / "lec_core.html").is_file()
    code, out, err = run(capsys, "map", "--portfolio", str(ROOT / "portfolios" / "lec_core.yaml"), "--metric", "x")
    assert code == 2 and "unknown metric" in err and "d_market_access_pop_pct" in err
    code, _, err = run(capsys, "map", "--metric", "d_to_airport_min")
    assert code == 2 and "portfolio" in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_compare_writes_a_comparison_map(capsys, tmp_path):
    files = [str(ROOT / "portfolios" / f"{n}.yaml") for n in ("committed", "lec_core", "lec_full")]
    out_file = tmp_path / "maps" / "compare.html"
    code, out, err = run(capsys, "compare", *files, "--map", str(out_file), "--metric", "d_market_access_pop_pct")
    assert code == 0, err
    html = out_file.read_text()
    assert f"wrote {out_file}" in out and "Extends L.Map to synchronize" in html  # Leaflet.Sync written in
    for name in ("lec_core", "lec_full"):
        assert f"{name}: \\u0394 market access pop (%)" in html and f"{name} \\u2212 committed" in html
    code, _, err = run(capsys, "compare", files[0], "--map", str(out_file))
    assert code == 2 and "two portfolios" in err


@pytest.mark.slow
def test_optimize_by_npv_prints_a_portfolio_worth_more_than_it_costs(capsys, tmp_path):
    candidates = tmp_path / "few.yaml"
    candidates.write_text("name: few\nprojects: [bauan_terminal, nlex_slex_connector, calax_kawit, clark_food_hub]\n")
    args = ("optimize", "--budget", "2e9", "--objective", "npv", "--candidates", str(candidates), "--settings", QUICK)
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["objective"] == "npv" and data["exact"] is True
    assert data["value"] >= 0  # building nothing is worth zero: the best is worth at least that
    assert data["pareto"][0]["cost_usd"] == 0
    # the answer is appraised whole before it is given, and the table says so
    chosen = [row for row in data["confirmed"] if row["chosen"]]
    assert len(chosen) == 1 and set(chosen[0]["projects"]) == set(data["projects"])
    code, out, err = run(capsys, *args)
    assert code == 0, err
    assert "appraised whole" in out and "* " in out


def test_no_arguments_prints_the_help_and_no_empty_error(capsys):
    code, out, err = run(capsys)
    assert code == 2 and "Usage: corridor" in out and "error" not in err


def test_python_m_corridor_is_the_command(monkeypatch, capsys):
    """``python -m corridor`` runs the same command line (in-process here; the slow tier starts a process)."""
    import runpy

    monkeypatch.setattr("sys.argv", ["corridor", "--version"])
    with pytest.raises(SystemExit) as done:
        runpy.run_module("corridor", run_name="__main__")
    assert done.value.code == 0 and capsys.readouterr().out.startswith("corridor ")


@pytest.mark.parametrize(
    "args",
    [
        ["score", str(ROOT / "portfolios" / "lec_core.yaml"), "--shapley"],
        ["compare", *(str(ROOT / "portfolios" / f"{n}.yaml") for n in ("committed", "lec_core", "lec_full"))],
        ["route", "Clark International Airport", "Port of Manila"],
        ["optimize", "--budget", "3e9"],
    ],
    ids=["score", "compare", "route", "optimize"],
)
def test_what_a_command_prints_fits_100_columns_and_cuts_no_id(capsys, args):
    code, out, err = run(capsys, *args)
    assert code == 0, err
    lines = out.splitlines()
    assert lines and max(len(line.rstrip()) for line in lines) <= 100, max(lines, key=len)
    if args[0] in {"score", "compare"}:
        assert "…" not in out and "scmb_freight_rail" in out  # ids whole
        assert "MA: market access" in out  # the key to the short headings


def test_shapley_adds_a_table_of_every_headline(capsys):
    p = str(ROOT / "portfolios" / "lec_core.yaml")
    _, plain, _ = run(capsys, "score", p)
    code, with_table, err = run(capsys, "score", p, "--shapley")
    assert code == 0, err
    assert "Shapley values: each project's share" in with_table and "Shapley values: each" not in plain


def test_the_catalog_explains_a_free_project_and_one_opened_after_the_base_year(capsys):
    code, out, err = run(capsys, "projects")
    assert code == 0, err
    text = " ".join(out.split())  # the notes wrap at 100 columns
    assert "new_clark_city_growth costs nothing here: private and BCDA investment" in text
    assert "cllex_aliaga_cabanatuan is operating, but opened in 2026, after the 2025 base year" in text


def test_optimize_says_why_a_free_project_is_chosen(capsys):
    code, out, err = run(capsys, "optimize", "--budget", "1e9")
    assert code == 0, err
    assert "new_clark_city_growth costs nothing in the catalog" in " ".join(out.split())


def test_a_column_of_numbers_has_one_format():
    from corridor.present.formats import objective_values

    assert objective_values([804.734, 0.0, 14407.2], "USD") == ["805", "0", "14,407"]
    assert objective_values([804.734, 0.0], "USD") == ["804.73", "0.00"]
    assert objective_values([float("nan"), 2.5], "min") == ["n/a", "2.50"]


def test_an_unknown_place_suggests_the_places_named_by_that_word(capsys):
    code, _, err = run(capsys, "route", "Clark", "Port of Manila")
    assert code == 2 and len(err.strip().splitlines()) == 1
    hints = err.split("closest:")[1]
    assert "'Clark International Airport'" in hints and "'Clark Freeport and Special Economic Zone'" in hints
    assert "Baclaran" not in hints


def test_a_point_snaps_to_the_network_with_the_projects_built(capsys):
    """A coordinate at a project's new station reaches that station when the project is built."""
    args = ["route", "14.6920,121.0120", "14.5490,121.0500", "--mode", "rail"]
    code, out, err = run(capsys, *args, "--projects", "mm_subway")
    assert code == 0, err
    assert out.startswith("East Valenzuela (snapped) → Bonifacio Global City (snapped)")
    assert "Metro Manila Subway" in out
    code, out, err = run(capsys, *args)
    assert code == 0 and "East Valenzuela" not in out  # the base network has no such station


def test_names_cannot_steer_the_terminal(capsys, tmp_path):
    """Escape sequences and other control characters in a name from a file are never printed."""
    portfolio = tmp_path / "evil.yaml"
    portfolio.write_text('name: "evil\\e[2J\\e]0;pwned\\a\\b"\nprojects: [bcib]\n', encoding="utf-8")
    code, out, err = run(capsys, "score", str(portfolio))
    # a name is one line of text: refused where it is written, its bad value shown escaped
    assert code == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    assert "evil.yaml:1" in err and "\\x1b[2J" in err
    assert not any((ord(c) < 32 and c not in "\n") or 0x7F <= ord(c) <= 0x9F for c in out + err)


def test_too_many_draws_are_refused_before_any_work(capsys):
    from corridor.cli import MAX_DRAWS as CLI_MAX
    from corridor.errors import OptimisationError
    from corridor.inputs.projects import Portfolio
    from corridor.search.sensitivity import MAX_DRAWS, sensitivity

    assert CLI_MAX == MAX_DRAWS
    code, _, err = run(capsys, "sensitivity", str(ROOT / "portfolios" / "lec_core.yaml"), "--draws", "1000000000")
    assert code == 2 and "100000" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    with pytest.raises(OptimisationError, match="too many draws"):
        sensitivity(None, [Portfolio(name="p", projects=())], draws=MAX_DRAWS + 1)
