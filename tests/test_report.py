"""Tables and reports: one label table, user text escaped for where it lands."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from corridor.access.metrics import HEADLINES
from corridor.access.scores import SHAPLEY_COLUMN
from corridor.present.formats import TITLES, csv_safe, format_value, markdown_cell, markdown_table

from .conftest import ROOT
from .test_maps import browser  # noqa: F401 - the browser fixture


def test_every_headline_has_one_title():
    assert set(TITLES) == {h.column for h in HEADLINES} | {SHAPLEY_COLUMN}
    assert TITLES["d_to_seaport_min"] == "Δ to seaport (min)"


def test_values():
    assert format_value(1.234, "cost_usd_bn") == "1.23" and format_value(-1.0, "d_to_seaport_min") == "-1.00"
    assert format_value(float("nan"), "d_to_seaport_min") == "n/a" and format_value(float("inf"), "x") == "n/a"
    assert format_value(-0.001, "d_door_to_ship_min") == "0.00" == format_value(0.004, "x")  # no -0.00 or +0.00
    assert format_value(0.005, "x") == "+0.01"


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("a | b", " | b"),
        ("two\nlines", "\n"),
        ("<img src=x onerror=alert(1)>", "<img"),
        ("</script><script>alert(1)</script>", "<script>"),
        ("[click](javascript:alert(1))", "[click]("),
        ("`code`", "`code`"),
    ],
)
def test_markdown_cells_escape_user_text(text, absent):
    cell = markdown_cell(text)
    assert absent not in cell and "\n" not in cell


@pytest.mark.parametrize("text", ["=HYPERLINK(1)", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cells_never_start_a_formula(text):
    assert csv_safe(text) == "'" + text
    assert csv_safe("plain") == "plain" and csv_safe(-1.5) == -1.5


def test_a_table_of_hostile_names(tmp_path):
    frame = pd.DataFrame({"cost_usd_bn": [1.0]}, index=pd.Index(["a|b\n<script>"], name="portfolio"))
    lines = markdown_table(frame)
    unescaped_pipes = re.findall(r"(?<!\\)\|", lines[2])
    assert len(lines) == 3 and len(unescaped_pipes) == 3 and "<script>" not in lines[2]


@pytest.mark.slow
def test_compare_outputs_neutralise_formulas(capsys, tmp_path):
    from corridor.cli import main

    path = tmp_path / "p.yaml"
    path.write_text('name: "=HYPERLINK(\\"http://x\\")"\nprojects: [bauan_terminal]\n')
    assert main(["compare", str(path), str(ROOT / "portfolios" / "committed.yaml"), "--out", str(tmp_path / "o")]) == 0
    with open(tmp_path / "o" / "compare.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[1][0] == '\'=HYPERLINK("http://x")'
    assert all(not cell.startswith(("=", "+", "@")) for row in rows for cell in row)


# ------------------------------------------------------------------ the report


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    from corridor.cli import main

    out = tmp_path_factory.mktemp("report") / "reports"
    files = [str(ROOT / "portfolios" / f"{n}.yaml") for n in ("committed", "lec_core")]
    assert main(["report", *files, "--out", str(out)]) == 0
    return out


@pytest.mark.slow
def test_report_writes_html_markdown_charts_maps_tables(report_dir):
    names = sorted(str(p.relative_to(report_dir)) for p in report_dir.rglob("*") if p.is_file())
    assert names == [
        "charts/cost_gain.svg",
        "charts/marginal_committed.svg",
        "charts/marginal_lec_core.svg",
        "charts/seaport_time_by_province.svg",
        "comparison.csv",
        "maps/committed.html",
        "maps/compare.html",
        "maps/lec_core.html",
        "projects.csv",
        "report.html",
        "report.manifest.json",
        "report.md",
        "report.provenance.json",
    ]
    html = (report_dir / "report.html").read_text()
    for section in ("Findings", "Comparison", "Charts", "Maps", "Portfolios", "Settings", "Provenance"):
        assert f"<h2>{section}</h2>" in html
    assert html.count("<svg") == 4  # cost against gain, time to port by province, one per portfolio
    assert "market_access_half_life_min" in html and "zones.csv" in html and "lec_core.yaml" in html
    assert "Bauan international container terminal (Batangas)" in html and "bauan_terminal" in html


@pytest.mark.slow
def test_report_html_needs_no_network(report_dir):
    html = (report_dir / "report.html").read_text()
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r"""(src|href)=['"]?(https?:)?//""", html)
    for link in re.findall(r"href='([^'#]+)'", html):
        assert (report_dir / link).is_file(), link
    # its maps carry Leaflet and the rest of what they link: only the basemap's tiles need the network
    for page in (report_dir / "maps").glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "L.map(" in text and not re.search(r'<(?:script|link)[^>]+(?:src|href)="https?://', text), page.name


@pytest.mark.slow
def test_report_markdown_twin_links_what_exists(report_dir):
    md = (report_dir / "report.md").read_text()
    for target in re.findall(r"\]\(([^)]+)\)", md):
        assert (report_dir / target).is_file(), target
    assert "## Comparison" in md and "## Provenance" in md and "| committed |" in md
    assert "![" in md and "charts/cost_gain.svg" in md


@pytest.mark.slow
def test_report_tables_for_spreadsheets(report_dir):
    table = pd.read_csv(report_dir / "comparison.csv", index_col=0)
    assert list(table.index) == ["committed", "lec_core"] and "d_to_seaport_min" in table
    projects = pd.read_csv(report_dir / "projects.csv", index_col=0)
    assert set(projects["portfolio"]) == {"committed", "lec_core"} and "bauan_terminal" in projects.index


@pytest.mark.slow
def test_report_draws_appraisal_shapley_and_pareto_when_given(luzon, luzon_graph, tmp_path):
    from corridor.access.scores import best_marks
    from corridor.inputs.project_files import load_portfolio
    from corridor.present.briefing import briefs
    from corridor.present.report import write_report
    from corridor.settings import Settings

    p = load_portfolio(ROOT / "portfolios" / "lec_core.yaml", catalog_path=luzon.path / "projects.yaml")
    (b,) = briefs(luzon_graph, [p], region=luzon, bcr={"bauan_terminal": 2.35, "scmb_freight_rail": 0.8})
    b.shapley = pd.DataFrame(
        {"d_to_seaport_min": [-0.17, 0.0]}, index=pd.Index(["bauan_terminal", "clark_runway_2"], name="project")
    )
    pareto = pd.DataFrame(
        {"cost_usd": [8e8, 4.4e9], "value": [0.3, 0.9], "projects": [["bauan_terminal"], ["bauan_terminal", "x"]]}
    )
    table = pd.DataFrame([b.result.headline()], index=pd.Index([p.name], name="portfolio"))
    paths = write_report(
        [b], table, best_marks(table), tmp_path, settings=Settings(), region=luzon, pareto=pareto,
        pareto_value="Δ market access pop (%)",
    )  # fmt: skip
    html = (tmp_path / "report.html").read_text()
    md = (tmp_path / "report.md").read_text()
    assert "BCR" in html and "2.35" in html and "0.80" in html
    assert "Shapley values" in html and "Shapley values" in md
    assert "Pareto frontier" in html and "bauan_terminal, x" in md
    assert tmp_path / "charts" / "pareto.svg" in paths


@pytest.mark.slow
def test_the_same_report_is_the_same_bytes(report_dir, tmp_path):
    """Run again in another process, with another hash seed: every file is the same, byte for byte."""
    import os
    import subprocess
    import sys

    out = tmp_path / "again"
    files = [str(ROOT / "portfolios" / f"{n}.yaml") for n in ("committed", "lec_core")]
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT / "src")}
    code = "import sys; from corridor.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", code, "report", *files, "--out", str(out)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    for path in report_dir.rglob("*"):
        if path.is_file():
            assert (out / path.relative_to(report_dir)).read_bytes() == path.read_bytes(), path.name


@pytest.mark.slow
def test_report_lands_as_one_unit(tmp_path, monkeypatch, capsys):
    from corridor.cli import main

    (tmp_path / "report.html").write_text("old")

    def full_disk(self, path, **kwargs):
        Path(path).write_text("half a map")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("folium.Map.save", full_disk)
    code = main(["report", str(ROOT / "portfolios" / "lec_core.yaml"), "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "No space left on device" in err and len(err.strip().splitlines()) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"] and (tmp_path / "report.html").read_text() == "old"


@pytest.mark.slow
@pytest.mark.browser
def test_report_in_chromium(browser, report_dir, tmp_path):  # noqa: F811
    from .test_maps import _not_blank, _open

    page, problems = _open(browser, report_dir / "report.html", leaflet=False)
    try:
        assert page.locator("h1").inner_text().endswith("portfolios compared")
        figures = page.locator("figure svg")
        assert figures.count() == 4 and all(figures.nth(i).is_visible() for i in range(2))
        box = figures.first.bounding_box()
        assert box and box["width"] > 400 and box["height"] > 150
        assert page.locator("a[href='maps/compare.html']").count() == 1
        # the page fits a laptop's screen: nothing wider than it
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        shot = page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        assert _not_blank(shot) > 0.02
        assert problems == []
    finally:
        page.close()


# ------------------------------------------------------------------ the report with an appraisal and an optimum

QUAY = """\
name: quay
projects:
  - id: quay
    name: Pier 1 quay extension
    category: port
    cost_usd: 50000
    price_year: 2024
    status: proposal
    opening_year: 2027
    source: test
    edits:
      - {type: gateway_upgrade, gateway: pier1, capacity: 3000, capacity_unit: TEU/yr}
"""


@pytest.mark.slow
def test_report_appraises_and_draws_the_optimisers_frontier(model_region, tmp_path, capsys):
    """report --appraise --optimum: NPV, BCR and EIRR in the report, each project's BCR in its table and map."""
    from corridor.cli import main

    region = shutil.copytree(model_region.path, tmp_path / "region")
    (region / "projects.yaml").write_text(QUAY.replace("name: quay\n", "", 1), encoding="utf-8")  # its catalog
    portfolio = tmp_path / "quay.yaml"
    portfolio.write_text("name: quay\nprojects: [quay]\n", encoding="utf-8")
    cfg = tmp_path / "s.toml"
    cfg.write_text("[demand]\nmean_trip_km = 45.0\n", encoding="utf-8")  # the tiny region's trips are long
    where = ["--region", str(region), "--settings", str(cfg)]
    assert (
        main(["optimize", "--budget", "1e6", "--candidates", str(portfolio), *where, "--out", str(tmp_path / "o")]) == 0
    )
    args = [
        "report",
        str(portfolio),
        *where,
        "--appraise",
        "--workers",
        "1",
        "--optimum",
        str(tmp_path / "o" / "optimum.json"),
    ]
    assert main([*args, "--out", str(tmp_path / "r")]) == 0, capsys.readouterr().err
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    md = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    found = re.search(r"quay in money: NPV USD (-?[\d.,]+) ([MK]|bn)?, BCR (-?[\d.]+)", md)
    assert found, md[:2000]
    bcr = found.group(3)
    # one project: its BCR in the portfolio's table is the portfolio's
    assert re.search(
        rf"<td>Pier 1 quay extension<br><small>quay</small></td>.*?<td class='num'>{re.escape(bcr)}</td>", html
    )
    assert "<section id='appraisal'>" in html and "## Appraisal" in md and "### Assumptions" in md
    assert "discount_rate" in md and "NEDA" in md  # every assumption with its source
    assert "### Pareto frontier" in md and (tmp_path / "r" / "charts" / "pareto.svg").is_file()
    assert "| # | cost (USD bn) | market access to jobs (population-weighted mean) (jobs) | projects |" in md
    assert f"benefit-cost ratio</th><td>{bcr}" in (tmp_path / "r" / "maps" / "quay.html").read_text(encoding="utf-8")
    flows = pd.read_csv(tmp_path / "r" / "appraisal.csv")
    assert set(flows["portfolio"]) == {"quay"} and {"year", "benefits", "capital"} <= set(flows.columns)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{}", "has no Pareto frontier"),
        ("not json", "is not JSON"),
        ('{"objective": "market_access", "pareto": [{"cost_usd": 1}]}', "pareto[0]"),
        ('{"objective": "bogus", "pareto": [{"cost_usd": 1, "value": 1, "projects": []}]}', "unknown objective"),
        ('{"objective": "npv", "pareto": [{"cost_usd": -5, "value": 1, "projects": []}]}', "a cost of 0 or more"),
        ('{"objective": "npv", "pareto": [{"cost_usd": 5, "value": "NaN", "projects": []}]}', "a number value"),
        ('{"objective": "npv", "pareto": [{"cost_usd": 5, "value": 1e300, "projects": []}]}', "a finite value"),
        ('{"objective": "npv", "pareto": [{"cost_usd": 5, "value": 1, "projects": [3]}]}', "list of project ids"),
    ],
)
def test_report_refuses_a_bad_optimum_before_any_work(tmp_path, capsys, text, expected):
    from corridor.cli import main

    bad = tmp_path / "optimum.json"
    bad.write_text(text, encoding="utf-8")
    code = main(
        ["report", str(ROOT / "portfolios" / "committed.yaml"), "--optimum", str(bad), "--out", str(tmp_path / "r")]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and expected in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


def _tiny_reports(tiny_graph, tiny_region, folder, names):
    from corridor.inputs.projects import Portfolio
    from corridor.present.report import build_report
    from corridor.settings import Settings

    from .conftest import make_project

    fast = make_project("fast", [{"type": "upgrade", "select": {"links": ["t1"]}, "speed_factor": 1.5}])
    portfolios = [Portfolio(name=n, projects=(fast,)) for n in names]
    return build_report(tiny_graph, portfolios, folder, region=tiny_region, settings=Settings())


def test_a_report_lists_its_files_and_replaces_an_earlier_one_whole(tiny_graph, tiny_region, tmp_path):
    import hashlib
    import json

    out = tmp_path / "reports"
    _tiny_reports(tiny_graph, tiny_region, out, ["alpha", "beta"])
    assert (out / "maps" / "beta.html").is_file()
    mine = out / "notes.txt"  # a file of the planner's own, never listed
    mine.write_text("keep")
    written = _tiny_reports(tiny_graph, tiny_region, out, ["alpha"])
    listed = json.loads((out / "report.manifest.json").read_text())["files"]
    assert set(listed) == {str(p.relative_to(out)) for p in written} - {"report.manifest.json"}
    for name, digest in listed.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest, name
    assert not (out / "maps" / "beta.html").exists()  # the earlier report's map of a portfolio no longer in it
    assert mine.read_text() == "keep" and not (out / ".corridor.lock").exists()


def test_a_second_writer_of_a_report_folder_is_refused(tiny_graph, tiny_region, tmp_path):
    import os

    from corridor.errors import OutputError

    out = tmp_path / "reports"
    out.mkdir()
    (out / ".corridor.lock").write_text(str(os.getpid()))  # a running process holds it
    with pytest.raises(OutputError, match=r"another corridor process \(pid \d+\) is writing a report"):
        _tiny_reports(tiny_graph, tiny_region, out, ["alpha"])
    assert not (out / "report.html").exists()
    (out / ".corridor.lock").write_text("999999999")  # left by a process that was killed: taken over
    _tiny_reports(tiny_graph, tiny_region, out, ["alpha"])
    assert (out / "report.html").is_file() and not (out / ".corridor.lock").exists()
