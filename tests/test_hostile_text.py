"""Hostile text in every field that reaches a map is shown as text in a real browser and never runs."""

from __future__ import annotations

import json
import re

import pytest

from corridor import build_network, load_region
from corridor.maps import base_map, save_map
from corridor.projects import Portfolio
from corridor.scenario import apply_portfolio

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
