"""Speed of loading and scoring a large portfolio: 1,000 inline projects on the bundled region.

    python benchmarks/catalog.py --json [--projects N]

The portfolio is generated (seeded) and written to benchmarks/.cache: road
upgrades of random links, new roads between junctions 5-30 km apart, and
jobs added at random zones, each a project of its own. Fields: ``load_s``
(read and check the YAML file), ``score_s`` (the portfolio scored with the
marginal contribution of every project), ``projects``, ``peak_rss_mb``.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import resource
import sys
import time
from pathlib import Path

import yaml

CACHE = Path(__file__).resolve().parent / ".cache"
SEED = 20250411


def write_portfolio(count: int, path: Path) -> Path:
    """A portfolio file of ``count`` inline projects on the bundled region (seeded)."""
    from corridor import load_region

    region = load_region("luzon")
    rnd = random.Random(SEED)
    links = sorted(region.road_links.index[region.road_links.status == "operating"])
    nodes = region.road_nodes
    zones = sorted(region.zones.index)
    projects = []
    for i in range(count):
        kind = rnd.choice(["upgrade", "new_road", "jobs"])
        if kind == "upgrade":
            edit = {"type": "upgrade", "select": {"links": [rnd.choice(links)]}, "speed_factor": rnd.uniform(1.1, 1.6)}
        elif kind == "new_road":
            while True:
                a, b = rnd.sample(sorted(nodes.index), 2)
                km = nodes.geometry[a].distance(nodes.geometry[b]) / 1000
                if 5 <= km <= 30:
                    break
            edit = {"type": "new_line", "mode": "road", "name": f"Road {i}", "stops": [a, b], "speed_kph": 70.0}
        else:
            edit = {"type": "investment", "place": rnd.choice(zones), "jobs": rnd.randint(100, 5000)}
        projects.append(
            {
                "id": f"p{i:04d}",
                "name": f"Project {i}",
                "category": "road" if kind != "jobs" else "industry",
                "cost_usd": round(rnd.uniform(1e7, 5e8)),
                "price_year": 2025,
                "status": "proposal",
                "opening_year": 2030,
                "source": "generated for the benchmark",
                "edits": [edit],
            }
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"name": f"generated_{count}", "projects": projects}, sort_keys=False))
    return path


def run(count: int) -> dict:
    from corridor import build_network, load_portfolio, load_region, score

    path = CACHE / f"portfolio-{count}-{SEED}.yaml"
    if not path.is_file():
        write_portfolio(count, path)
    t0 = time.perf_counter()
    portfolio = load_portfolio(path)
    load_s = time.perf_counter() - t0
    region = load_region("luzon")
    G = build_network(region)
    t0 = time.perf_counter()
    result = score(G, portfolio, region=region, marginal=True, progress=False)
    score_s = time.perf_counter() - t0
    gain = result.gains["avg_to_seaport_min"]
    return {
        "benchmark": "catalog",
        "projects": len(portfolio.projects),
        "load_s": round(load_s, 2),
        "score_s": round(score_s, 2),
        "to_seaport_change_min": None if math.isnan(gain) else round(gain, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON (the only output format)")
    parser.add_argument("--projects", type=int, default=1000)
    args = parser.parse_args()
    print(json.dumps(run(args.projects), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
