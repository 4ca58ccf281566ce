"""Size and load time of corridor's maps, from the bundled region to a 250,000-node road network.

    python benchmarks/maps.py --json [--only CASE]

prints a JSON list, one record per case:

- ``bundled-base``, ``bundled-portfolio``, ``bundled-compare``: the Luzon
  region pack's network; the base map, the map of ``lec_core`` and the
  comparison of ``committed`` with ``lec_core``;
- ``legazpi-base``, ``quezon-city-base``: the real OpenStreetMap extracts in
  ../shared/data, drawn whole (Legazpi read by corridor's streaming PBF
  reader, Quezon City's major roads from its GraphML);
- ``synthetic-250k-portfolio``: the Luzon region joined to the SYNTHETIC
  250,000-node road graph of ``benchmarks/run.py`` (not real roads; its
  longest tenth of links are arterials, drawn as ``primary``, the rest local
  streets, ``residential``), scored and drawn with ``lec_core`` built.

Fields: ``nodes`` and ``road_links`` of the network drawn, ``build_s`` (load,
score and draw, seconds), ``file_mb`` (the HTML file), ``load_s`` (headless
Chromium, from the request to a drawn map: the page's load event, then two
animation frames; Leaflet and its plugins from the local copies of
``node_modules``, tiles served blank), and ``drawn`` (how the roads were
drawn: ``each link`` or ``merged by class``).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CORRIDOR_SHARED_DATA", ROOT.parent / "shared" / "data"))
NODE_MODULES = ROOT / "node_modules"
CASES = [
    "bundled-base",
    "bundled-portfolio",
    "bundled-compare",
    "legazpi-base",
    "quezon-city-base",
    "synthetic-250k-portfolio",
]
BLANK_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def _local_asset(url: str) -> Path | None:
    """The local copy (installed from the npm registry) of a CDN address that the maps link."""
    m = re.match(r"https://cdn\.jsdelivr\.net/npm/((?:@[^/]+/)?[^@/]+)@[^/]+/(.+)$", url)
    if m:
        return NODE_MODULES / m.group(1) / m.group(2)
    if re.match(r"https://code\.jquery\.com/jquery-[\d.]+\.min\.js$", url):
        return NODE_MODULES / "jquery" / "dist" / "jquery.min.js"
    m = re.match(r"https://cdnjs\.cloudflare\.com/ajax/libs/Leaflet\.awesome-markers/[^/]+/(.+)$", url)
    if m:
        folder = "js" if m.group(1).endswith(".js") else "css"
        return NODE_MODULES / "drmonty-leaflet-awesome-markers" / folder / m.group(1)
    return None


def load_seconds(path: Path, *, repeat: int = 3) -> float:
    """The fastest of ``repeat`` loads of a map in headless Chromium, until it is drawn."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    best = float("inf")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"])
        for _ in range(repeat):
            page = browser.new_page(viewport={"width": 1280, "height": 800})

            def handle(route: Any) -> Any:
                url = route.request.url
                if url.startswith("file://"):
                    return route.continue_()
                if "tile.openstreetmap.org" in url:
                    return route.fulfill(status=200, content_type="image/png", body=BLANK_PNG)
                local = _local_asset(url)
                if local is None or not local.is_file():
                    return route.abort()
                return route.fulfill(path=str(local))

            page.route("**/*", handle)
            t0 = time.perf_counter()
            page.goto(path.as_uri(), wait_until="load")
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            best = min(best, time.perf_counter() - t0)
            page.close()
        browser.close()
    return best


def _synthetic_roads(n: int) -> Any:
    """The SYNTHETIC road graph of benchmarks/run.py as corridor's road arrays (arterials as ``primary``)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import synthetic_road_arrays  # type: ignore[import-not-found]

    return synthetic_road_arrays(n)


def _road_links(G: Any) -> int:
    from corridor.present.layers import forward_edges

    return len(forward_edges(G, "road"))


def run_case(case: str, folder: Path) -> dict[str, Any]:
    from corridor import build_network, load_region
    from corridor.inputs.project_files import load_portfolio
    from corridor.present.layers import MAX_LINKS_IN_FULL
    from corridor.present.maps import base_map, comparison_map, portfolio_map, save_map

    t0 = time.perf_counter()
    region = None
    if case.startswith("bundled") or case.startswith("synthetic"):
        region = load_region("luzon")
    if case.startswith("bundled"):
        G = build_network(region)
    elif case == "legazpi-base":
        from corridor.paths.road_arrays import road_arrays_from_pbf

        G = road_arrays_from_pbf(SHARED / "osm_legazpi" / "legazpi.osm.pbf").to_networkx()
    elif case == "quezon-city-base":
        from corridor.network.osm import graph_from_file

        G = graph_from_file(SHARED / "osm_quezon_city" / "qc_roads_major.graphml.gz")
    else:
        G = build_network(region, roads=_synthetic_roads(250_000).to_networkx())
    catalog = region.path / "projects.yaml" if region is not None else None
    if case.endswith("base"):
        fmap = base_map(G, region)
    else:
        from corridor.present.briefing import briefs, zone_difference

        names = ["committed", "lec_core"] if case.endswith("compare") else ["lec_core"]
        portfolios = [load_portfolio(ROOT / "portfolios" / f"{n}.yaml", catalog_path=catalog) for n in names]
        done = briefs(G, portfolios, region=region)
        if case.endswith("compare"):
            views = [b.view for b in done]
            fmap = comparison_map(G, views, [zone_difference(views[0].zones, views[1].zones)], region)
        else:
            fmap = portfolio_map(G, done[0].view, region)
    path = save_map(fmap, folder / f"{case}.html")
    build_s = time.perf_counter() - t0
    links = _road_links(G)
    return {
        "case": case,
        "synthetic": case.startswith("synthetic"),
        "nodes": G.number_of_nodes(),
        "road_links": links,
        "drawn": "each link" if links <= MAX_LINKS_IN_FULL else "merged by class",
        "build_s": round(build_s, 2),
        "file_mb": round(path.stat().st_size / 1e6, 2),
        "load_s": round(load_seconds(path), 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON list")
    parser.add_argument("--only", choices=CASES, action="append", help="run only these cases")
    parser.add_argument("--keep", type=Path, help="keep the maps in this folder")
    args = parser.parse_args()
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        for case in args.only or CASES:
            record = run_case(case, folder)
            records.append(record)
            if not args.json:
                print(record, flush=True)
    if args.json:
        print(json.dumps(records, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
