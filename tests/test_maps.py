"""Maps: what the HTML holds, and what a real browser (headless Chromium) shows."""

from __future__ import annotations

import base64
import os
import re
import shutil
from pathlib import Path

import pytest

from corridor import build_network, load_region
from corridor.maps import base_map, save_map

from .conftest import ROOT, write_tiny_region
from .test_region import TINY_LINKS_HEADER

NODE_MODULES = ROOT / "node_modules"
# a transparent 1x1 PNG served for every map tile (the test machines are offline)
BLANK_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
EXPECTED_LAYERS = {
    "Roads: expressway",
    "Roads: trunk",
    "Roads: primary",
    "Roads: secondary",
    "Rail: LRT-1",
    "Rail: LRT-2",
    "Rail: MRT-3",
    "Rail: PNR Metro Commuter Line (suspended)",
    "Zones (2020 population)",
    "Gateways (ports, airports)",
    "Economic zones",
}


def test_popups_are_escaped(tmp_path):
    links = TINY_LINKS_HEADER + 'x1,a,b,"<script>alert(1)</script> & Co",expressway,4,,no,operating,,test\n'
    region = load_region(write_tiny_region(tmp_path / "r", **{"road_links.csv": links}))
    html = base_map(build_network(region), region).get_root().render()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html


def test_map_html_has_layers_legend_attribution(luzon, luzon_graph, tmp_path):
    path = save_map(base_map(luzon_graph, luzon), tmp_path / "m.html")
    html = path.read_text()
    for name in EXPECTED_LAYERS:
        assert name in html, name
    assert 'id="corridor-legend"' in html
    assert "Philippine Statistics Authority" in html and "OpenStreetMap" in html
    assert "bootstrap-glyphicons" not in html  # not used, so not linked


# ------------------------------------------------------------------ browser


def _local_asset(url: str) -> Path | None:
    """Map a CDN address that Folium links to the local copy installed from the npm registry."""
    m = re.match(r"https://cdn\.jsdelivr\.net/npm/((?:@[^/]+/)?[^@/]+)@[^/]+/(.+)$", url)
    if m:
        return NODE_MODULES / m.group(1) / m.group(2)
    m = re.match(r"https://code\.jquery\.com/(jquery)-[\d.]+\.min\.js$", url)
    if m:
        return NODE_MODULES / "jquery" / "dist" / "jquery.min.js"
    m = re.match(r"https://cdnjs\.cloudflare\.com/ajax/libs/Leaflet\.awesome-markers/[^/]+/(.+)$", url)
    if m:
        rest = m.group(1)
        folder = "js" if rest.endswith(".js") else "css"
        return NODE_MODULES / "drmonty-leaflet-awesome-markers" / folder / rest
    return None


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed (scripts/ensure-chromium installs it)")
        pytest.skip("Debian's chromium is not installed: run 'make test' as root, or apt-get install chromium")
    if not (NODE_MODULES / "leaflet").is_dir():
        if os.environ.get("CI"):
            pytest.fail("the map assets are not installed (npm ci)")
        pytest.skip("the map assets are not installed: run 'npm ci' (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


def _open(browser, path: Path):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None,
    )

    def handle(route):
        url = route.request.url
        if url.startswith("file://"):
            return route.continue_()
        if re.match(r"https://[a-c]?\.?tile\.openstreetmap\.org/", url):
            return route.fulfill(status=200, content_type="image/png", body=BLANK_PNG)
        local = _local_asset(url)
        if local is None or not local.is_file():
            problems.append(f"no local copy of {url}")
            return route.abort()
        return route.fulfill(path=str(local))

    page.route("**/*", handle)
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_selector(".leaflet-control-layers")
    page.wait_for_timeout(300)
    return page, problems


@pytest.mark.browser
def test_base_map_in_chromium(browser, luzon, luzon_graph, tmp_path):
    path = save_map(base_map(luzon_graph, luzon), tmp_path / "luzon_base.html")
    page, problems = _open(browser, path)
    try:
        labels = {t.strip() for t in page.locator(".leaflet-control-layers-overlays label").all_inner_texts()}
        assert labels >= EXPECTED_LAYERS, EXPECTED_LAYERS - labels
        legend = page.locator("#corridor-legend")
        assert legend.is_visible()
        box = legend.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100
        assert box["y"] + box["height"] <= 900
        assert "Road: expressway" in legend.inner_text() and "Seaport" in legend.inner_text()
        assert "Philippine Statistics Authority" in page.locator(".leaflet-control-attribution").inner_text()
        markers = page.locator(".leaflet-marker-pane > *")
        n_gateways, n_ez = len(luzon.gateways), len(luzon.economic_zones)
        assert markers.count() == n_gateways + n_ez
        # switching a layer off removes its markers
        page.locator(".leaflet-control-layers-overlays label", has_text="Gateways (ports, airports)").click()
        page.wait_for_timeout(200)
        assert markers.count() == n_ez
        # a popup opens with the escaped text
        markers.first.click()
        page.wait_for_selector(".leaflet-popup-content")
        assert "source" in page.locator(".leaflet-popup-content").inner_text()
        page.screenshot(path=str(tmp_path / "luzon_base.png"))
        assert problems == []
    finally:
        page.close()
