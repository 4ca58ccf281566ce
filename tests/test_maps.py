"""Maps: what the HTML holds, and what a real browser (headless Chromium) shows."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

from corridor import build_network, load_region
from corridor.inputs.project_files import load_portfolio
from corridor.present.briefing import brief, briefs, zone_difference
from corridor.present.layers import MAX_LINKS_IN_FULL, road_layers
from corridor.present.maps import base_map, comparison_map, finish_map, new_map, portfolio_map, save_map
from corridor.present.portfolio_layers import volume_layer, zone_change_layers

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
#: a laptop's screen
VIEW = {"width": 1280, "height": 800}


def test_popups_are_escaped(tmp_path):
    links = TINY_LINKS_HEADER + 'x1,a,b,"<script>alert(1)</script> & Co",expressway,4,,no,operating,,test\n'
    region = load_region(write_tiny_region(tmp_path / "r", **{"road_links.csv": links}))
    html = base_map(build_network(region), region).get_root().render()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html


@pytest.mark.slow
def test_map_html_has_layers_legend_attribution(luzon, luzon_graph, tmp_path):
    path = save_map(base_map(luzon_graph, luzon), tmp_path / "m.html")
    html = path.read_text()
    for name in EXPECTED_LAYERS:
        assert name in html, name
    assert 'id="corridor-legend"' in html
    assert "Philippine Statistics Authority" in html and "OpenStreetMap" in html
    assert "bootstrap-glyphicons" not in html  # not used, so not linked


@pytest.mark.slow
def test_the_same_map_is_the_same_bytes(luzon, luzon_graph, tmp_path):
    first = save_map(base_map(luzon_graph, luzon), tmp_path / "a.html").read_bytes()
    second = save_map(base_map(luzon_graph, luzon), tmp_path / "b.html").read_bytes()
    assert first == second
    assert not re.search(rb"_[0-9a-f]{32}\b", first)  # no random element id left


@pytest.fixture(scope="module")
def lec(luzon, luzon_graph):
    """The briefs of committed and lec_core, scored once for every test of this module."""
    catalog = luzon.path / "projects.yaml"
    portfolios = [
        load_portfolio(ROOT / "portfolios" / f"{n}.yaml", catalog_path=catalog) for n in ("committed", "lec_core")
    ]
    return briefs(luzon_graph, portfolios, region=luzon)


@pytest.mark.slow
def test_portfolio_map_draws_projects_zones_reach(luzon, luzon_graph, lec, tmp_path):
    view = lec[1].view
    html = save_map(portfolio_map(luzon_graph, view, luzon), tmp_path / "p.html").read_text()
    for metric in view.metrics:  # layer names are JSON in the page
        assert json.dumps(f"Zones: {metric.title}") in html
    assert "Projects: rail (1)" in html and "Projects: port (2)" in html
    assert "Reach of Batangas International Port (Santa Clara) (seaport, 60/90/120 min)" in html
    assert "Reach of Bauan container terminal" in html  # a port the portfolio adds
    assert "marginal gain" in html and "Δ to seaport (min)" in html  # in the projects' popups
    assert "Base network 2025 (faded)" in html
    assert "Traffic: volume" not in html  # no demand model yet
    second = save_map(portfolio_map(luzon_graph, view, luzon), tmp_path / "q.html").read_text()
    assert html == second


@pytest.mark.slow
def test_portfolio_map_metric_must_be_known(luzon, luzon_graph, lec):
    from corridor.errors import CorridorError

    with pytest.raises(CorridorError, match="unknown metric"):
        portfolio_map(luzon_graph, lec[1].view, luzon, metric="d_nothing")


def test_a_pack_of_points_shades_circles(tiny_graph, tiny_region):
    from corridor.inputs.projects import Portfolio

    from .test_briefing import every_kind_of_edit

    assert tiny_region.zone_polygons is None
    b = brief(tiny_graph, every_kind_of_edit(), region=tiny_region)
    html = portfolio_map(tiny_graph, b.view, tiny_region).get_root().render()
    assert "L.circleMarker" in html and "zone (circle sized by population)" in html
    assert "upgraded link" in html and "closed link" in html and "investment (jobs or residents)" in html
    empty = brief(tiny_graph, Portfolio(name="nothing", projects=()), region=tiny_region)
    assert "nothing: what it changes" in portfolio_map(tiny_graph, empty.view, tiny_region).get_root().render()


def test_volume_layer_draws_width_and_colour(luzon_graph):
    links = [d["link_id"] for _, _, d in luzon_graph.edges(data=True) if d.get("mode") == "road"][:3]
    volumes = pd.DataFrame(
        {"link_id": links, "volume_veh_day": [90_000.0, 30_000.0, 5_000.0], "volume_capacity": [1.2, 0.7, 0.3]}
    )
    layer = volume_layer(luzon_graph, volumes)
    html = finish_map(new_map(luzon_graph), [layer], title="t", credits=[]).get_root().render()
    assert "Traffic: volume and volume/capacity" in html
    assert "#a50026" in html and "#1a9850" in html  # over capacity, and well below it
    assert "90,000 vehicles a day, V/C 1.20" in html
    assert layer.legend[0][1] == "volume/capacity below 0.6"


def _grid_graph(n: int) -> nx.MultiDiGraph:
    """A grid of n x n junctions 500 m apart, two-way streets and every tenth row a primary road."""
    G = nx.MultiDiGraph(crs="EPSG:4326")
    step = 0.0045
    for i in range(n):
        for j in range(n):
            G.add_node((i, j), x=120.5 + j * step, y=14.5 + i * step, kind="junction")
    for i in range(n):
        for j in range(n):
            for di, dj in ((0, 1), (1, 0)):
                if i + di < n and j + dj < n:
                    a, b = (i, j), (i + di, j + dj)
                    cls = "primary" if i % 10 == 0 and di == 0 else "residential"
                    geom = LineString([(G.nodes[a]["x"], G.nodes[a]["y"]), (G.nodes[b]["x"], G.nodes[b]["y"])])
                    d = dict(mode="road", link_class=cls, name=f"{cls} {i}-{j}", geometry=geom, link_id=f"{a}-{b}")
                    G.add_edge(a, b, **d, speed_kph=40.0, length=500.0)
                    G.add_edge(b, a, **d, speed_kph=40.0, length=500.0)
    return G


def test_large_networks_are_drawn_at_corridor_scale(tmp_path):
    G = _grid_graph(80)  # 12,640 links
    layers = road_layers(G, faded=True, max_simplified_links=1000)
    labels = [label for layer in layers for _, label in layer.legend]
    assert any(label.startswith("Road: primary (632 links, simplified") for label in labels)
    assert any("Not drawn at this scale: 12,008 links of residential" in label for label in labels)
    fmap = finish_map(new_map(G), layers, title="grid", credits=[])
    path = save_map(fmap, tmp_path / "grid.html", offline=False)  # the drawing alone, without Leaflet written in
    assert path.stat().st_size < 300_000
    full = road_layers(_grid_graph(20))  # 760 links: each drawn, each with its popup
    assert sum(len(layer.group._children) for layer in full) == 760 > 0 and MAX_LINKS_IN_FULL > 760


@pytest.mark.slow
def test_zone_layers_share_a_scale_when_told(luzon_graph, lec):
    view = lec[1].view
    metric = view.metrics[0]
    layers = zone_change_layers(view.zones, [metric], polygons=None, points={}, limits={metric.column: 40.0})
    assert "+40" in layers[0].legend[0][0] and "−40" in layers[0].legend[0][0]


@pytest.mark.slow
def test_comparison_map_needs_two(luzon, luzon_graph, lec):
    from corridor.errors import CorridorError

    with pytest.raises(CorridorError, match="two portfolios"):
        comparison_map(luzon_graph, [lec[0].view], [], luzon)


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


def _open(browser, path: Path, *, width: int = VIEW["width"], height: int = VIEW["height"], leaflet: bool = True):
    page = browser.new_page(viewport={"width": width, "height": height})
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
    if leaflet:
        page.wait_for_selector(".leaflet-control-layers")
    page.wait_for_timeout(300)
    return page, problems


def _maps(page) -> list[str]:
    """The page's Leaflet maps, by variable name, left to right."""
    return page.evaluate(
        "Object.keys(window).filter(k => k.startsWith('map_') && window[k] instanceof L.Map)"
        ".sort((a, b) => window[a].getContainer().getBoundingClientRect().left"
        " - window[b].getContainer().getBoundingClientRect().left)"
    )


def _layer_labels(page, control: int = 0) -> list[str]:
    return [
        t.strip()
        for t in page.locator(".leaflet-control-layers").nth(control).locator("label").all_inner_texts()
        if t.strip()
    ]


def _expand(page, control: int = 0) -> None:
    """Open a folded layer control as a reader does: the mouse over it."""
    page.locator(".leaflet-control-layers").nth(control).hover()
    page.wait_for_selector(".leaflet-control-layers-expanded")


def _toggle(page, label: str, control: int = 0) -> None:
    _expand(page, control)
    page.locator(".leaflet-control-layers").nth(control).locator("label", has_text=label).first.click()
    page.wait_for_timeout(200)


def _layer_count(page, map_name: str) -> int:
    return page.evaluate(f"Object.keys({map_name}._layers).length")


def _not_blank(png: bytes) -> float:
    """The share of a screenshot that is not its most common colour."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").resize((160, 100))
    colours = image.getcolors(160 * 100) or []
    return 1 - max(count for count, _ in colours) / (160 * 100)


def _bounds_on_screen(page, map_name: str, G: nx.MultiDiGraph) -> tuple[float, float, float, float, float, float]:
    xs = [d["x"] for _, d in G.nodes(data=True)]
    ys = [d["y"] for _, d in G.nodes(data=True)]
    nw, se = [max(ys), min(xs)], [min(ys), max(xs)]
    return tuple(
        page.evaluate(
            f"(() => {{ const m = {map_name}; const a = m.latLngToContainerPoint({nw});"
            f" const b = m.latLngToContainerPoint({se}); const s = m.getSize();"
            " return [a.x, a.y, b.x, b.y, s.x, s.y]; })()"
        )
    )


def _assert_fills_view(page, map_name: str, G: nx.MultiDiGraph) -> None:
    """The network lies inside the map and spans most of its height or width."""
    x0, y0, x1, y1, w, h = _bounds_on_screen(page, map_name, G)
    assert x0 >= -1 and x1 <= w + 1 and y0 >= -1 and y1 <= h + 1, (x0, y0, x1, y1, w, h)
    assert (y1 - y0) >= 0.8 * h or (x1 - x0) >= 0.8 * w, (x0, y0, x1, y1, w, h)


@pytest.mark.slow
@pytest.mark.browser
def test_base_map_in_chromium(browser, luzon, luzon_graph, tmp_path):
    path = save_map(base_map(luzon_graph, luzon), tmp_path / "luzon_base.html")
    page, problems = _open(browser, path)
    try:
        (map_name,) = _maps(page)
        _assert_fills_view(page, map_name, luzon_graph)
        # on a laptop the layer control is folded; the mouse opens it
        assert page.locator(".leaflet-control-layers-expanded").count() == 0
        _expand(page)
        assert set(_layer_labels(page)) >= EXPECTED_LAYERS, EXPECTED_LAYERS - set(_layer_labels(page))
        legend = page.locator("#corridor-legend")
        assert legend.is_visible()
        box = legend.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100
        assert box["y"] + box["height"] <= VIEW["height"]
        assert "Road: expressway" in legend.inner_text() and "Seaport" in legend.inner_text()
        assert "Philippine Statistics Authority" in page.locator(".leaflet-control-attribution").inner_text()
        markers = page.locator(".leaflet-marker-pane > *")
        n_gateways, n_ez = len(luzon.gateways), len(luzon.economic_zones)
        assert markers.count() == n_gateways + n_ez
        # switching a layer off removes its markers, and its rows from the legend
        _toggle(page, "Gateways (ports, airports)")
        assert markers.count() == n_ez
        assert "Seaport" not in legend.inner_text()
        # a popup opens with the escaped text
        page.mouse.move(5, 400)
        markers.first.click()
        page.wait_for_selector(".leaflet-popup-content")
        assert "source" in page.locator(".leaflet-popup-content").inner_text()
        # the legend folds away
        page.locator("#corridor-legend summary").click()
        assert legend.bounding_box()["height"] < 40
        shot = page.screenshot(path=str(tmp_path / "luzon_base.png"))
        assert _not_blank(shot) > 0.1
        assert problems == []
    finally:
        page.close()


@pytest.mark.slow
@pytest.mark.browser
def test_base_map_opens_the_layer_control_on_a_large_screen(browser, luzon, luzon_graph, tmp_path):
    path = save_map(base_map(luzon_graph, luzon), tmp_path / "luzon_base.html")
    page, problems = _open(browser, path, width=1920, height=1080)
    try:
        assert page.locator(".leaflet-control-layers-expanded").count() == 1
        _assert_fills_view(page, _maps(page)[0], luzon_graph)
        assert problems == []
    finally:
        page.close()


@pytest.fixture(scope="module")
def portfolio_map_file(luzon, luzon_graph, lec, tmp_path_factory):
    roads = [d["link_id"] for _, _, d in luzon_graph.edges(data=True) if d.get("mode") == "road"][:40]
    volumes = pd.DataFrame(
        {
            "link_id": roads,
            "volume_veh_day": np.linspace(2_000, 80_000, len(roads)),
            "volume_capacity": np.linspace(0.2, 1.3, len(roads)),
        }
    )
    fmap = portfolio_map(luzon_graph, lec[1].view, luzon, volumes=volumes)
    return save_map(fmap, tmp_path_factory.mktemp("maps") / "lec_core.html")


@pytest.mark.slow
@pytest.mark.browser
def test_portfolio_map_in_chromium(browser, luzon, luzon_graph, lec, portfolio_map_file, tmp_path):
    view = lec[1].view
    page, problems = _open(browser, portfolio_map_file)
    try:
        (map_name,) = _maps(page)
        _assert_fills_view(page, map_name, luzon_graph)
        assert page.locator(".leaflet-control-layers-expanded").count() == 0
        _expand(page)
        labels = _layer_labels(page)
        for metric in view.metrics:
            assert f"Zones: {metric.title}" in labels
        expected = {"Projects: rail (1)", "Projects: port (2)", "Projects: airport (1)", "Projects: agriculture (1)"}
        assert expected <= set(labels)
        assert "Traffic: volume and volume/capacity" in labels
        assert sum(label.startswith("Reach of ") for label in labels) == len(view.reach.index.unique(0))
        legend = page.locator("#corridor-legend")
        text = legend.inner_text()
        assert "Δ to seaport (min) per zone" in text and "Δ market access pop" not in text
        assert "Projects: rail" in text and "volume/capacity over 1" in text
        # one shading at a time: choosing another swaps the legend's scale
        _toggle(page, "Zones: Δ market access pop (%)")
        text = legend.inner_text()
        assert "Δ market access pop (%) per zone" in text and "Δ to seaport (min) per zone" not in text
        # a project layer switches off and on
        before = _layer_count(page, map_name)
        _toggle(page, "Projects: rail (1)")
        assert _layer_count(page, map_name) < before and "Projects: rail" not in legend.inner_text()
        _toggle(page, "Projects: rail (1)")
        assert _layer_count(page, map_name) == before
        # a reach layer shows its legend when switched on
        _toggle(page, "Reach of Batangas International Port")
        assert "within 60, 90, 120 min after" in legend.inner_text()
        # the new port's popup gives its facts and its marginal gain
        page.mouse.move(640, 790)
        page.wait_for_timeout(200)
        marker = page.locator(".leaflet-marker-pane > *").filter(has=page.locator(".fa-ship"))
        assert marker.count() >= 1
        for i in range(marker.count()):
            marker.nth(i).dispatch_event("click")  # markers may overlap: the click goes to this one
            page.wait_for_selector(".leaflet-popup-content")
            popup = page.locator(".leaflet-popup-content").last.inner_text()
            if "Bauan" in popup and "marginal gain" in popup:
                break
        assert "USD 0.80 bn" in popup and "Δ to seaport (min)" in popup and "source" in popup
        shot = page.screenshot(path=str(tmp_path / "lec_core.png"))
        assert _not_blank(shot) > 0.1
        assert problems == []
    finally:
        page.close()


@pytest.mark.slow
@pytest.mark.browser
def test_comparison_map_in_chromium(browser, luzon, luzon_graph, lec, tmp_path):
    views = [b.view for b in lec]
    fmap = comparison_map(luzon_graph, views, [zone_difference(views[0].zones, views[1].zones)], luzon)
    path = save_map(fmap, tmp_path / "compare.html")
    page, problems = _open(browser, path)
    try:
        left, right = _maps(page)
        assert page.locator(".leaflet-control-layers").count() == 2
        for name in (left, right):
            _assert_fills_view(page, name, luzon_graph)
        assert "committed (left) against lec_core (right)" in page.locator("#corridor-title-left").inner_text()
        assert "lec_core: Δ to seaport (min)" in page.locator("#corridor-title-right").inner_text()
        _expand(page, 0)
        assert "committed: Δ to seaport (min)" in _layer_labels(page, 0)
        page.mouse.move(640, 790)
        _expand(page, 1)
        right_labels = _layer_labels(page, 1)
        assert {"lec_core: Δ to seaport (min)", "lec_core − committed: Δ to seaport (min)"} <= set(right_labels)
        # choosing the difference changes the right pane's title and its legend's scale
        shown = (
            "Array.from(document.querySelectorAll('#corridor-legend-right .corridor-legend-row'))"
            ".filter(r => r.style.display !== 'none' && r.dataset.layer).map(r => r.dataset.layer)"
        )
        before = set(page.evaluate(shown))
        _toggle(page, "lec_core − committed: Δ to seaport (min)", control=1)
        assert "lec_core − committed" in page.locator("#corridor-title-right").inner_text()
        after = set(page.evaluate(shown))
        assert after and after != before  # the legend follows the choice
        # the panes move together
        page.evaluate(f"() => {{ {left}.setView([14.6, 121.0], 10, {{animate: false}}); }}")
        page.wait_for_timeout(400)
        centre = page.evaluate(f"[{right}.getCenter().lat, {right}.getCenter().lng, {right}.getZoom()]")
        assert abs(centre[0] - 14.6) < 0.01 and abs(centre[1] - 121.0) < 0.01 and centre[2] == 10
        assert (
            page.locator("#corridor-legend-left").is_visible() and page.locator("#corridor-legend-right").is_visible()
        )
        shot = page.screenshot(path=str(tmp_path / "compare.png"))
        assert _not_blank(shot) > 0.1
        assert problems == []
    finally:
        page.close()


@pytest.mark.slow
def test_point_symbols_have_a_dark_outline(luzon, luzon_graph, lec):
    """Circles show on a white or a missing basemap: their outline is dark, whatever their fill."""
    html = portfolio_map(luzon_graph, lec[1].view, luzon).get_root().render()
    html += base_map(luzon_graph, luzon).get_root().render()
    outlines = re.findall(r"L\.circleMarker\(\s*\[[^\]]*\],\s*(\{.*?\})\s*\)", html, flags=re.S)
    assert outlines
    for options in outlines:
        colour = json.loads(options)["color"]
        r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert 0.2126 * r + 0.7152 * g + 0.0722 * b < 128, colour


@pytest.mark.slow  # Chromium opens a map, a portfolio map and a report: in the whole suite, not the working loop
@pytest.mark.browser
def test_offline_pages_render_with_every_request_blocked(browser, luzon, luzon_graph, lec, tmp_path):
    """The default page carries Leaflet, its plugins, styles and icon font: nothing but tiles is fetched."""
    views = [b.view for b in lec]
    pages = {
        "portfolio": save_map(portfolio_map(luzon_graph, views[1], luzon), tmp_path / "portfolio.html"),
        "comparison": save_map(
            comparison_map(luzon_graph, views, [zone_difference(views[0].zones, views[1].zones)], luzon),
            tmp_path / "compare.html",
        ),
    }
    problems: list[str] = []
    fetched: list[str] = []

    def block(route):
        url = route.request.url
        if not url.startswith(("file://", "data:")):
            fetched.append(url)
            return route.abort()
        return route.continue_()

    for kind, path in pages.items():
        html = path.read_text(encoding="utf-8")
        assert not re.search(r'<(?:script|link)[^>]+(?:src|href)="https?://', html), kind
        problems.clear()
        fetched.clear()
        page = browser.new_page(viewport=VIEW)
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.route("**/*", block)
        try:
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_selector(".leaflet-control-layers")
            page.wait_for_timeout(500)
            assert [u for u in fetched if "tile.openstreetmap.org" not in u] == [], kind
            assert page.locator(".corridor-legend").first.is_visible(), kind
            assert page.locator(".leaflet-marker-pane .awesome-marker").count() > 0, kind
            assert page.evaluate("document.fonts.check('900 14px \"Font Awesome 6 Free\"')"), kind
            assert len(_maps(page)) == (2 if kind == "comparison" else 1)
            assert [p for p in problems if "tile.openstreetmap.org" not in p and "ERR_FAILED" not in p] == [], kind
        finally:
            page.close()
    online = save_map(portfolio_map(luzon_graph, views[1], luzon), tmp_path / "online.html", offline=False)
    assert '<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"></script>' in online.read_text()
    assert online.stat().st_size < pages["portfolio"].stat().st_size - 500_000
