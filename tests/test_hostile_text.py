"""Hostile text in every field that reaches a map is shown as text in a real browser and never runs."""

from __future__ import annotations

import csv
import json
import re

import pandas as pd
import pytest

from corridor import build_network, load_region
from corridor.inputs.projects import Portfolio
from corridor.network.scenario import apply_portfolio
from corridor.present.maps import base_map, save_map

from .conftest import TINY_FILES, make_project, write_tiny_region
from .test_maps import _open, browser  # noqa: F401 - the browser fixture

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    "${alert(1)}",
    "`+alert(1)+`",
    "javascript:alert(1)",
    "\\u0060-alert(1)-\\",
]


def _hostile_region(folder):
    """The tiny region with a payload in every name and source a map shows."""
    p = PAYLOADS
    files = dict(TINY_FILES)
    files["region.yaml"] = (
        files["region.yaml"]
        .replace("title: Tiny test corridor", f"title: {json.dumps('Tiny ' + p[1])}")
        .replace('attribution: ["Test data"]', f"attribution: [{json.dumps(p[0])}]")
    )
    files["zones.csv"] = files["zones.csv"].replace("West Town", p[0]).replace("Biñan East", p[2])
    files["gateways.csv"] = files["gateways.csv"].replace("Tiny Airfield", p[3]).replace(",test\n", f",{p[1]}\n", 1)
    files["economic_zones.csv"] = files["economic_zones.csv"].replace("Tiny Park", p[4])
    files["road_links.csv"] = files["road_links.csv"].replace("Old Road", p[5]).replace("Spur", p[2])
    files["rail_lines.csv"] = files["rail_lines.csv"].replace("Line One", p[3])
    files["rail_stations.csv"] = files["rail_stations.csv"].replace("Mid Station", p[0])
    return load_region(write_tiny_region(folder, **files))


@pytest.fixture(scope="module")
def hostile_map(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    region = _hostile_region(folder / "region")
    G = build_network(region)
    project = make_project(
        "evil",
        [
            {
                "type": "new_line",
                "mode": "rail",
                "name": PAYLOADS[2],
                "speed_kph": 60,
                "headway_min": 10,
                "stops": [
                    {"lat": 14.45, "lon": 120.3, "name": PAYLOADS[0]},
                    {"lat": 14.45, "lon": 120.6, "name": PAYLOADS[3]},
                ],
            }
        ],
        name=PAYLOADS[1],
        source=PAYLOADS[4],
        description=PAYLOADS[5],
    )
    portfolio = Portfolio(name=PAYLOADS[3], projects=(project,))
    scenario = apply_portfolio(G, portfolio, region=region)
    fmap = base_map(scenario.G, region, title=f"{region.title} with {portfolio.name}")
    return save_map(fmap, folder / "hostile.html")


@pytest.mark.slow
def test_hostile_text_runs_nothing_and_shows_as_text(browser, hostile_map):  # noqa: F811
    page, problems = _open(browser, hostile_map)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.wait_for_timeout(300)
        assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
        title = page.locator("#corridor-title").inner_text()
        assert PAYLOADS[1] in title and PAYLOADS[3] in title
        labels = " ".join(page.locator(".leaflet-control-layers-overlays label").all_inner_texts())
        assert f"Rail: {PAYLOADS[3]}" in labels and f"Rail: {PAYLOADS[2]}" in labels
        legend = page.locator("#corridor-legend").inner_text()
        assert PAYLOADS[3] in legend
        assert PAYLOADS[0] in page.locator(".leaflet-control-attribution").inner_text()
        # every marker's popup opens and shows its text as typed
        shown = []
        markers = page.locator(".leaflet-marker-pane > *")
        for i in range(markers.count()):
            markers.nth(i).click(force=True)
            page.wait_for_selector(".leaflet-popup-content")
            shown.append(page.locator(".leaflet-popup-content").last.inner_text())
        text = "\n".join(shown)
        assert PAYLOADS[3] in text and PAYLOADS[4] in text and PAYLOADS[1] in text
        # no payload reaches the page as markup, nor a script as code
        html = hostile_map.read_text(encoding="utf-8")
        assert "<img src=x" not in html
        scripts = "".join(re.findall(r"<script>(.*?)</script>", html, flags=re.S))
        assert scripts and "`+alert" not in scripts and "${alert" not in scripts and "<script>alert" not in scripts
        page.wait_for_timeout(300)
        assert dialogs == [] and problems == []
    finally:
        page.close()


# ------------------------------------------------------------------ portfolio and comparison maps, the report


def _hostile_portfolios(G, region):
    evil = make_project(
        "evil",
        [
            {
                "type": "new_line",
                "mode": "rail",
                "name": PAYLOADS[2],
                "speed_kph": 60,
                "headway_min": 10,
                "stops": [
                    {"lat": 14.45, "lon": 120.3, "name": PAYLOADS[0]},
                    {"lat": 14.45, "lon": 120.6, "name": PAYLOADS[3]},
                ],
            }
        ],
        name=PAYLOADS[1],
        source=PAYLOADS[4],
        description=PAYLOADS[5],
        category="rail",
    )
    port = make_project(
        "port", [{"type": "gateway_upgrade", "gateway": "field", "handling_h": 1}], name=PAYLOADS[0], source=PAYLOADS[1]
    )
    return [
        Portfolio(name=PAYLOADS[3], description=PAYLOADS[0], projects=(evil, port)),
        Portfolio(name="=HYPERLINK(1)" + PAYLOADS[0], projects=(port,)),
    ]


@pytest.fixture(scope="module")
def hostile_outputs(tmp_path_factory):
    from corridor.access.scores import best_marks
    from corridor.present.briefing import briefs, zone_difference
    from corridor.present.maps import comparison_map, portfolio_map
    from corridor.present.report import write_report
    from corridor.settings import Settings

    folder = tmp_path_factory.mktemp("hostile-report")
    region = _hostile_region(folder / "region")
    G = build_network(region)
    done = briefs(G, _hostile_portfolios(G, region), region=region)
    views = [b.view for b in done]
    maps = {
        "maps/one.html": (portfolio_map(G, views[0], region), PAYLOADS[1]),
        "maps/compare.html": (comparison_map(G, views, [zone_difference(views[0].zones, views[1].zones)], region), "c"),
    }
    table = pd.DataFrame([b.result.headline() for b in done], index=pd.Index([v.name for v in views], name="portfolio"))
    write_report(done, table, best_marks(table), folder / "out", settings=Settings(), region=region, maps=maps)
    return folder / "out"


def _scripts_are_clean(path) -> None:
    html = path.read_text(encoding="utf-8")
    assert "<img src=x" not in html
    scripts = "".join(re.findall(r"<script>(.*?)</script>", html, flags=re.S))
    assert "`+alert" not in scripts and "${alert" not in scripts and "<script>alert" not in scripts


def _popups(page) -> str:
    shown = []
    markers = page.locator(".leaflet-marker-pane > *")
    for i in range(markers.count()):
        markers.nth(i).dispatch_event("click")
        page.wait_for_selector(".leaflet-popup-content")
        shown.append(page.locator(".leaflet-popup-content").last.inner_text())
    return "\n".join(shown)


@pytest.mark.slow
def test_hostile_portfolio_map(browser, hostile_outputs):  # noqa: F811
    path = hostile_outputs / "maps" / "one.html"
    page, problems = _open(browser, path)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
        assert PAYLOADS[3] in page.locator("#corridor-title").inner_text()
        page.locator(".leaflet-control-layers").hover()
        labels = " ".join(page.locator(".leaflet-control-layers label").all_inner_texts())
        assert f"Reach of {PAYLOADS[3]}" in labels  # the airfield's name
        page.locator(".leaflet-control-layers label", has_text=f"Reach of {PAYLOADS[3]}").click()
        assert PAYLOADS[3] in page.locator("#corridor-legend").inner_text()
        page.mouse.move(5, 400)
        text = _popups(page)
        assert PAYLOADS[0] in text and PAYLOADS[1] in text  # the gateway upgrade: its project and its source
        _scripts_are_clean(path)
        page.wait_for_timeout(300)
        assert dialogs == [] and problems == []
    finally:
        page.close()


@pytest.mark.slow
def test_hostile_comparison_map(browser, hostile_outputs):  # noqa: F811
    path = hostile_outputs / "maps" / "compare.html"
    page, problems = _open(browser, path)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        assert PAYLOADS[3] in page.locator("#corridor-title-left").inner_text()
        right = page.locator(".leaflet-control-layers").nth(1)
        right.hover()
        difference = f"=HYPERLINK(1){PAYLOADS[0]} − {PAYLOADS[3]}"
        right.locator("label", has_text=difference).first.click()
        page.wait_for_timeout(200)
        # the title follows the choice, as text
        assert difference in page.locator("#corridor-title-right").inner_text()
        assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
        _scripts_are_clean(path)
        page.wait_for_timeout(300)
        assert dialogs == [] and problems == []
    finally:
        page.close()


@pytest.mark.slow
def test_hostile_report(browser, hostile_outputs):  # noqa: F811
    path = hostile_outputs / "report.html"
    page, problems = _open(browser, path, leaflet=False)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
        assert page.evaluate("document.scripts.length") == 0
        body = page.locator("body").inner_text()
        for payload in (PAYLOADS[0], PAYLOADS[1], PAYLOADS[3]):  # attribution and description, project, portfolio
            assert payload in body, payload
        assert PAYLOADS[4] in page.evaluate("document.body.textContent")  # a source, in the folded list
        page.wait_for_timeout(300)
        assert dialogs == [] and problems == []
    finally:
        page.close()
    md = (hostile_outputs / "report.md").read_text(encoding="utf-8")
    assert "<img" not in md and "<script>" not in md and "](javascript:" not in md
    for name in ("comparison.csv", "projects.csv"):
        with open(hostile_outputs / name, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        text_cells = [cell for row in rows for cell in row if cell and not _is_number(cell)]
        assert all(not cell.startswith(("=", "+", "-", "@")) for cell in text_cells), name
        assert any(cell.startswith("'=HYPERLINK(1)") for row in rows for cell in row), name


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_template_syntax_in_names_is_shown_as_typed(tmp_path):
    """Folium renders each element's output as a Jinja template again: names with braces must neither run nor break."""
    files = dict(TINY_FILES)
    files["zones.csv"] = files["zones.csv"].replace("West Town", "{{ 7*7 }} Town").replace("Biñan East", "East {% x")
    region = load_region(write_tiny_region(tmp_path / "region", **files))
    G = build_network(region)
    written = save_map(base_map(G, region), tmp_path / "braces.html").read_text(encoding="utf-8")
    in_notebook = base_map(G, region).get_root().render()  # how a notebook shows it: folium's own rendering
    for html in (written, in_notebook):
        assert "&#123;&#123; 7*7 &#125;&#125; Town" in html and "East &#123;% x" in html
        assert "49 Town" not in html
