"""Scoring portfolios on a million-node road network given as arrays (no graph of the roads).

    python benchmarks/scale.py --json [--zones 1000] [--skip-dask] [--repeat N]

The roads are ``run.py``'s SYNTHETIC 1M-node graph (``synthetic-1m``: not real
roads), saved as corridor road arrays (``.npz``: arterials as ``primary``,
the rest as ``residential``, each arc at the graph's speed). The region is
the bundled Luzon pack with its gateways, economic zones and rail lines, and
``--zones`` zones drawn (seeded, in proportion to population) from the PSA
barangays of Regions III, NCR and IV-A in ../shared/data, each a zone of
its barangay's 2020 population. The candidates are the catalog's projects
that apply to these roads (its rail lines, gateways and investments; its
roads name junctions of the pack's own roads) and 40 generated road
projects (seeded): 20 new roads between points 5-20 km apart at 80 km/h,
and 20 upgrades of 10 arterial links each, 1.5x faster.

Each measure runs in its own process (``peak_rss_mb`` is that process's):

- ``cold``: read the arrays, join the region, build the scorer (compile the
  four modes, order the CCHs, base matrices), with an empty cache folder;
- ``warm``: the same again, from the cache folder (CCH orders and base
  matrices read back); then ``prepare_s`` (every candidate's change and the
  endpoint distances), ``portfolios_per_s`` (300 random portfolios of 1-6
  candidates scored for their summary, the fastest of ``--repeat`` passes),
  ``closure_s`` (a portfolio that closes 10 arterial links: searched again on
  the re-weighted base), the same rate on 2 local worker processes and on a
  Dask ``LocalCluster`` of 2 workers;
- ``score_command_warm_s``: ``corridor score FILE --roads roads.npz`` as a
  command, warm (a new process: imports, arrays, region, scorer, the score
  with marginal contributions and Shapley values of 4 projects).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
CACHE = HERE / ".cache"
SHARED = Path(os.environ.get("CORRIDOR_SHARED_DATA", ROOT.parent / "shared" / "data"))
SEED = 20250411
N = 1_000_000


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def roads_file() -> Path:
    """run.py's synthetic 1M-node graph as corridor road arrays (.npz), made once."""
    path = CACHE / f"synthetic-{N}-roads.npz"
    if path.is_file():
        return path
    from run import synthetic_road_arrays

    synthetic_road_arrays(N).save(path)
    return path


def region_folder(zones: int) -> Path:
    """The Luzon pack with ``zones`` zones drawn from the PSA barangays (seeded), made once."""
    folder = CACHE / f"luzon-{zones}-zones"
    if (folder / "region.yaml").is_file():
        return folder
    import geopandas as gpd

    shutil.copytree(ROOT / "data" / "luzon", folder, dirs_exist_ok=True)
    b = gpd.read_file(SHARED / "faeldon_psgc_boundaries" / "corridor_barangays_r3_ncr_r4a_medres.geojson")
    b = b[b.geometry.notna() & (b.pop_2020 > 0)].reset_index(drop=True)
    point = b.geometry.to_crs(32651).representative_point().to_crs(4326)
    lon_min, lat_min, lon_max, lat_max = yaml.safe_load((folder / "region.yaml").read_text())["bbox"]
    inside = point.x.between(lon_min, lon_max) & point.y.between(lat_min, lat_max)
    b, point = b[inside].reset_index(drop=True), point[inside].reset_index(drop=True)
    rng = np.random.default_rng(SEED)
    pick = rng.choice(len(b), zones, replace=False, p=b.pop_2020 / b.pop_2020.sum())
    region_of = {300000000: "III", 1300000000: "NCR", 400000000: "IV-A"}
    rows = [
        {
            "zone_id": f"bgy_{int(b.adm4_psgc[i])}",
            "name": f"{b.adm4_en[i]} ({int(b.adm4_psgc[i])})",
            "region": region_of[int(b.adm1_psgc[i])],
            "province": str(int(b.adm2_psgc[i])),
            "lat": round(point.y[i], 6),
            "lon": round(point.x[i], 6),
            "population_2020": int(b.pop_2020[i]),
            "psgc_members": "",
            "jobs_weight": "",
            "source": "PSA 2020 census via ../shared/data (benchmark zones: one barangay each)",
        }
        for i in pick
    ]
    import pandas as pd

    pd.DataFrame(rows).to_csv(folder / "zones.csv", index=False)
    (folder / "calibration.csv").write_text("from,to,mode,minutes,km,route,role,source\n")
    meta = (folder / "region.yaml").read_text().replace("  zone_polygons: zones.geojson\n", "")
    (folder / "region.yaml").write_text(meta)
    (folder / "zones.geojson").unlink(missing_ok=True)
    return folder


def candidates(region, arrays, scorer) -> list:
    """The catalog's projects that apply to these roads, and 40 generated road projects (seeded)."""
    from corridor.errors import CorridorError
    from corridor.inputs.project_files import load_catalog
    from corridor.inputs.projects import Portfolio, Project

    catalog = list(load_catalog(region.path).values())
    context = Portfolio(name="catalog", projects=tuple(catalog))
    usable = []
    for p in catalog:
        try:
            if scorer.effect(p, context).only_improves:
                usable.append(p)
        except CorridorError:
            continue
    while True:  # a project whose requirement does not apply cannot be built either
        ids = {p.id for p in usable}
        kept = [p for p in usable if set(p.requires) <= ids]
        if len(kept) == len(usable):
            break
        usable = kept
    rnd = random.Random(SEED)
    lon, lat = arrays.lon, arrays.lat
    arterial = np.flatnonzero(arrays.link_class == 0)
    generated = []
    for i in range(20):
        while True:
            a, b = rnd.sample(range(arrays.n_nodes), 2)
            km = 111.2 * np.hypot((lon[a] - lon[b]) * np.cos(np.radians(lat[a])), lat[a] - lat[b])
            if 5 <= km <= 20:
                break
        stops = [{"lat": float(lat[a]), "lon": float(lon[a])}, {"lat": float(lat[b]), "lon": float(lon[b])}]
        generated.append(
            ("new", {"type": "new_line", "mode": "road", "name": f"Road {i}", "speed_kph": 80, "stops": stops})
        )
    ids = [
        f"osm:{int(arrays.osm_way[k])}:{int(arrays.osm_node[arrays.tail[k]])}-{int(arrays.osm_node[arrays.head[k]])}"
        for k in arterial[:200_000]
    ]
    for _ in range(20):
        links = rnd.sample(ids, 10)
        generated.append(("up", {"type": "upgrade", "select": {"links": links}, "speed_factor": 1.5}))
    for i, (kind, edit) in enumerate(generated):
        usable.append(
            Project.model_validate(
                {
                    "id": f"gen_{kind}_{i:02d}",
                    "name": f"Generated {kind} {i}",
                    "category": "road",
                    "cost_usd": rnd.uniform(5e7, 5e8),
                    "price_year": 2025,
                    "status": "proposal",
                    "opening_year": 2030,
                    "source": "generated for the benchmark",
                    "edits": [edit],
                }
            )
        )
    closure = Project.model_validate(
        {
            "id": "closure",
            "name": "Ten arterial links closed",
            "category": "road",
            "cost_usd": 1,
            "price_year": 2025,
            "status": "proposal",
            "opening_year": 2030,
            "source": "generated for the benchmark",
            "edits": [{"type": "close", "select": {"links": rnd.sample(ids, 10)}}],
        }
    )
    return usable, closure


def _portfolios(pool, count: int = 300):
    from corridor.inputs.projects import Portfolio

    rnd = random.Random(SEED)
    by_id = {p.id: p for p in pool}
    out = []
    for k in range(count):
        chosen = {p.id for p in rnd.sample(pool, rnd.randint(1, 6))}
        for pid in list(chosen):
            chosen |= {r for r in by_id[pid].requires if r in by_id}
        out.append(Portfolio(name=f"random {k}", projects=tuple(by_id[i] for i in sorted(chosen))))
    return out


def _rate(score, portfolios, repeat: int) -> float:
    score(portfolios)  # workers warmed
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        score(portfolios)
        best = min(best, time.perf_counter() - t0)
    return round(len(portfolios) / best, 1)


def start(zones: int, cache: Path, *, sweep: bool, repeat: int, dask: bool) -> dict:
    from corridor import load_region
    from corridor.access.scorer import PortfolioScorer
    from corridor.paths.array_network import network_from_arrays
    from corridor.paths.road_arrays import load_road_arrays

    t0 = time.perf_counter()
    region = load_region(region_folder(zones))
    arrays = load_road_arrays(roads_file())
    read_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    net = network_from_arrays(region, arrays)
    join_s = time.perf_counter() - t1
    t1 = time.perf_counter()
    scorer = PortfolioScorer(net, region=region, backend="cch", cache=cache)
    scorer_s = time.perf_counter() - t1
    record = {
        "nodes": arrays.n_nodes,
        "arcs": arrays.n_arcs,
        "zones": int(region.zones.index.size),
        "centroids": len(scorer.centroids),
        "places_graph_nodes": net.G.number_of_nodes(),
        "read_s": round(read_s, 2),
        "join_s": round(join_s, 2),
        "scorer_s": round(scorer_s, 2),
        "start_s": round(time.perf_counter() - t0, 2),
        "compiled_n": {m: c.n for m, c in scorer.compiled.items()},
    }
    if sweep:
        pool, closure = candidates(region, arrays, scorer)
        t1 = time.perf_counter()
        scorer.prepare(pool)
        record["prepare_s"] = round(time.perf_counter() - t1, 2)
        record["candidates"] = len(pool)
        portfolios = _portfolios(pool)
        record["portfolios_per_s"] = {
            "in_process": _rate(lambda ps: [scorer.summary(p) for p in ps], portfolios, repeat)
        }
        from corridor.inputs.projects import Portfolio

        t1 = time.perf_counter()
        scorer.summary(Portfolio(name="closure", projects=(closure,)))
        record["closure_s"] = round(time.perf_counter() - t1, 2)
        record["peak_rss_mb_in_process"] = _rss_mb()
        from corridor.access.sweeps import summary_map
        from corridor.parallel import make_runner

        with make_runner(scorer, workers=2, progress=False) as runner:
            record["portfolios_per_s"]["processes_2"] = _rate(summary_map(runner), portfolios, repeat)
        if dask:
            from distributed import Client, LocalCluster

            with (
                LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
                Client(cluster) as client,
                make_runner(scorer, scheduler=client, progress=False) as runner,
            ):
                t1 = time.perf_counter()
                summary_map(runner)(portfolios[:4])
                record["dask_first_batch_s"] = round(time.perf_counter() - t1, 2)
                record["portfolios_per_s"]["dask_local_cluster_2"] = _rate(summary_map(runner), portfolios, repeat)
    record["peak_rss_mb"] = _rss_mb()
    return record


def score_command(zones: int, cache: Path, folder: Path) -> float:
    """``corridor score`` of 4 generated projects on the roads file, warm, as a command."""
    from corridor import load_region
    from corridor.access.scorer import PortfolioScorer
    from corridor.paths.array_network import network_from_arrays
    from corridor.paths.road_arrays import load_road_arrays

    region = load_region(region_folder(zones))
    arrays = load_road_arrays(roads_file())
    scorer = PortfolioScorer(network_from_arrays(region, arrays), region=region, backend="cch", cache=cache)
    pool, _ = candidates(region, arrays, scorer)
    chosen = [p for p in pool if p.id.startswith("gen_")][::10][:4]
    path = folder / "portfolio.yaml"
    path.write_text(
        yaml.safe_dump(
            {"name": "benchmark", "projects": [p.model_dump(mode="json", exclude_none=True) for p in chosen]}
        )
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    args = [
        "score",
        str(path),
        "--region",
        str(region_folder(zones)),
        "--roads",
        str(roads_file()),
        "--cache-dir",
        str(cache),
        "--json",
    ]
    subprocess.run([sys.executable, "-m", "corridor.cli", *args], env=env, check=True, capture_output=True)  # warm
    best = float("inf")
    for _ in range(2):
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "corridor.cli", *args], env=env, check=True, capture_output=True)
        best = min(best, time.perf_counter() - t0)
    json.loads(done.stdout)
    return round(best, 2)


def _child(args: list[str]) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, timeout=7200)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON (the only output format)")
    parser.add_argument("--zones", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--cache", type=Path, default=CACHE / "scale-cache")
    parser.add_argument("--child", choices=["cold", "warm", "command"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "command":
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            print(json.dumps({"score_command_warm_s": score_command(args.zones, args.cache, Path(folder))}))
        return 0
    if args.child:
        warm = args.child == "warm"
        print(
            json.dumps(start(args.zones, args.cache, sweep=warm, repeat=args.repeat, dask=warm and not args.skip_dask))
        )
        return 0
    if not SHARED.is_dir():
        print(json.dumps({"skipped": f"the public datasets are not at {SHARED}"}))
        return 0
    CACHE.mkdir(exist_ok=True)
    roads_file()
    region_folder(args.zones)
    shutil.rmtree(args.cache, ignore_errors=True)
    common = ["--zones", str(args.zones), "--cache", str(args.cache), "--repeat", str(args.repeat)]
    record = {
        "benchmark": "scale",
        "graph": "synthetic-1m (SYNTHETIC roads)",
        "cold": _child(["--child", "cold", *common]),
        "warm": _child(["--child", "warm", *common, *(["--skip-dask"] if args.skip_dask else [])]),
        **_child(["--child", "command", *common]),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    print(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
