"""Speed of corridor's engine on the bundled region, real OpenStreetMap extracts and synthetic road graphs.

    python benchmarks/run.py --json [--only GRAPH] [--backend scipy|cch]

prints a JSON list, one record per graph and backend. Each (graph, backend)
runs in its own process, so ``peak_rss_mb`` is that run's alone. Graphs:

- ``bundled``: the Luzon region pack's multimodal network (mode ``any``);
- ``legazpi``, ``quezon-city``: the OpenStreetMap extracts in ../shared/data;
- ``synthetic-250k``, ``synthetic-1m``: SYNTHETIC planar road graphs grown over
  the corridor from the PSA barangay points in ../shared/data, nodes placed in
  proportion to population (seeded; not real roads).

Fields: ``build_s`` (compile, plus the CCH preprocessing), ``od_1000_s``
(1,000 x 1,000 matrix, or all zones where fewer), ``od_gateways_s`` (zones x
gateways), ``rescore_s`` (a portfolio of 20 added or upgraded links re-scored
exactly, endpoint searches included), ``full_recompute_s`` (the same portfolio
compiled and computed from scratch), ``rescore_max_diff_s`` (the two answers'
largest difference), ``networkx_od_1000_s`` (networkx, extrapolated from a
sample of sources when ``networkx_extrapolated``), ``peak_rss_mb``; for the
bundled region also ``portfolios_per_s`` (random catalog portfolios scored,
the fastest of 5 passes; ``benchmarks/optimise.py`` measures it on workers too).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CORRIDOR_SHARED_DATA", ROOT.parent / "shared" / "data"))
CACHE = Path(__file__).resolve().parent / ".cache"
GRAPHS = ["bundled", "legazpi", "quezon-city", "synthetic-250k", "synthetic-1m"]
SEED = 20250411


def _synthetic(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A SYNTHETIC road graph of n nodes over the corridor: (tail, head, seconds, lon, lat), cached."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"synthetic-{n}-{SEED}.npz"
    if path.is_file():
        d = np.load(path)
        return d["tail"], d["head"], d["weight"], d["lon"], d["lat"]
    import geopandas as gpd
    from pyproj import Transformer
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import minimum_spanning_tree
    from scipy.spatial import Delaunay

    barangays = gpd.read_file(
        SHARED / "faeldon_psgc_boundaries" / "corridor_barangays_r3_ncr_r4a_medres.geojson",
        columns=["pop_2020", "area_km2"],
    )
    barangays = barangays[barangays.geometry.notna()].to_crs(32651)
    centre = barangays.geometry.representative_point()
    pop = barangays.pop_2020.fillna(0).to_numpy() + 1
    area = np.nan_to_num(barangays.area_km2.to_numpy(dtype=float))
    rng = np.random.default_rng(SEED)
    pick = rng.choice(len(barangays), n, p=pop / pop.sum())
    radius = np.maximum(np.sqrt(area[pick] * 1e6 / np.pi), 200.0)
    angle, r = rng.uniform(0, 2 * np.pi, n), radius * np.sqrt(rng.uniform(0, 1, n))
    xy = np.column_stack([centre.x.to_numpy()[pick] + r * np.cos(angle), centre.y.to_numpy()[pick] + r * np.sin(angle)])
    tri = Delaunay(xy).simplices
    edges = np.unique(np.sort(np.vstack([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]]), axis=1), axis=0)
    length = np.hypot(*(xy[edges[:, 0]] - xy[edges[:, 1]]).T)
    tree = minimum_spanning_tree(coo_matrix((length + 1e-3, (edges[:, 0], edges[:, 1])), shape=(n, n))).tocoo()
    in_tree = np.zeros(len(edges), dtype=bool)
    key = edges[:, 0].astype(np.int64) * n + edges[:, 1]
    tree_key = np.minimum(tree.row, tree.col).astype(np.int64) * n + np.maximum(tree.row, tree.col)
    in_tree[np.isin(key, tree_key)] = True
    extra = np.flatnonzero(~in_tree)
    extra = extra[np.argsort(length[extra])][: int(0.45 * n)]  # road-like: about 2.9 arcs per node
    keep = np.concatenate([np.flatnonzero(in_tree), extra])
    e, L = edges[keep], length[keep]
    # the longest tenth are arterials at 60 km/h, the rest local streets at 25-40 km/h
    speed = np.where(np.quantile(L, 0.9) < L, 60.0, rng.uniform(25, 40, len(L)))
    w = L / (speed / 3.6)
    lon, lat = Transformer.from_crs(32651, 4326, always_xy=True).transform(xy[:, 0], xy[:, 1])
    tail = np.concatenate([e[:, 0], e[:, 1]])
    head = np.concatenate([e[:, 1], e[:, 0]])
    weight = np.concatenate([w, w])
    np.savez(path, tail=tail, head=head, weight=weight, lon=lon, lat=lat)
    return tail, head, weight, np.asarray(lon), np.asarray(lat)


def synthetic_road_arrays(n: int):
    """:func:`_synthetic` as corridor's road arrays: arterials (60 km/h) as ``primary``, the rest ``residential``.

    Both directions of an edge share a way id, and node ids count from 1, so
    links can be named ``osm:WAY:FROM-TO`` as on a real extract.
    """
    from corridor.geo import metric_xy
    from corridor.paths.road_arrays import RoadArrays

    tail, head, weight, lon, lat = _synthetic(n)
    x, y = metric_xy(lon, lat)
    length = np.maximum(np.hypot(x[tail] - x[head], y[tail] - y[head]), 0.1)
    speed = length / weight * 3.6
    arterial = np.isclose(speed, 60.0, rtol=1e-3)
    m = len(tail) // 2  # arcs come as both directions of each edge
    way = np.concatenate([np.arange(m), np.arange(m)]) + 1
    return RoadArrays(
        osm_node=np.arange(n, dtype=np.int64) + 1,
        lon=np.asarray(lon),
        lat=np.asarray(lat),
        tail=tail,
        head=head,
        length_m=length,
        speed_kph=speed,
        travel_time_s=weight,
        link_class=np.where(arterial, 0, 1).astype(np.int16),
        lanes=np.full(len(tail), np.nan),
        name=np.zeros(len(tail), dtype=np.int32),
        osm_way=way.astype(np.int64),
        classes=["primary", "residential"],
        names=[""],
        source="SYNTHETIC road graph (benchmarks/run.py), not real roads",
    )


def _load(graph: str):
    """(compiled network, zone indices, gateway indices, networkx builder, label)."""
    from corridor.paths.engine import compile_arrays, compile_network

    rng = np.random.default_rng(SEED)
    if graph == "bundled":
        from corridor import build_network, load_region

        G = build_network(load_region("luzon"))
        compiled = compile_network(G, "any")
        zones = [compiled.out_index[n] for n, d in G.nodes(data=True) if d["kind"] == "zone"]
        zone_in = [compiled.in_index[n] for n, d in G.nodes(data=True) if d["kind"] == "zone"]
        gateways = [compiled.in_index[n] for n, d in G.nodes(data=True) if d["kind"] == "gateway"]
        return compiled, np.array(zones), np.array(zone_in), np.array(gateways), G
    if graph == "legazpi":
        from corridor.paths.road_arrays import road_arrays_from_pbf

        a = road_arrays_from_pbf(SHARED / "osm_legazpi" / "legazpi.osm.pbf")
        compiled = a.compile()
    elif graph == "quezon-city":
        from corridor.network.osm import graph_from_file

        G = graph_from_file(SHARED / "osm_quezon_city" / "qc_roads_major.graphml.gz")
        compiled = compile_network(G, "road")
    else:
        n = {"synthetic-250k": 250_000, "synthetic-1m": 1_000_000}[graph]
        tail, head, weight, lon, lat = _synthetic(n)
        compiled = compile_arrays(n, tail, head, weight, lon=lon, lat=lat)
    k = min(1000, compiled.n)
    zones = rng.choice(compiled.n, k, replace=False)
    gateways = rng.choice(compiled.n, 8, replace=False)
    return compiled, zones, zones, gateways, None


def _portfolio_delta(compiled, rng: np.random.Generator):
    """20 changed links: 10 new links between nodes 5-20 km apart at 80 km/h, 10 existing links 1.5x faster."""
    from corridor.paths.engine import Delta

    lon, lat = compiled.lon, compiled.lat
    better = []
    while len(better) < 10:
        a, b = (int(x) for x in rng.choice(compiled.n, 2, replace=False))
        km = 111.2 * np.hypot((lon[a] - lon[b]) * np.cos(np.radians(lat[a])), lat[a] - lat[b])
        if 5 <= km <= 20 or compiled.n < 5000:
            t = km * 1000 / (80 / 3.6)
            better += [(a, b, t), (b, a, t)][: 10 - len(better)]
    for arc in rng.choice(len(compiled.tail), 10, replace=False):
        better.append((int(compiled.tail[arc]), int(compiled.head[arc]), float(compiled.weight[arc]) / 1.5))
    return Delta(0, better)


def _networkx_od(graph: str, n_sources: int) -> tuple[float, bool]:
    """Seconds networkx would take for the 1,000 x 1,000 matrix, from a sample of sources."""
    import networkx as nx

    compiled, zones, _zone_in, _, _ = _load(graph)
    G = nx.DiGraph()
    G.add_weighted_edges_from(
        zip(compiled.tail.tolist(), compiled.head.tolist(), compiled.weight.tolist(), strict=True)
    )
    sample = zones[:n_sources]
    t0 = time.perf_counter()
    for s in sample:
        nx.single_source_dijkstra_path_length(G, int(s))
    elapsed = time.perf_counter() - t0
    return elapsed * len(zones) / len(sample), len(sample) < len(zones)


def run_one(graph: str, backend: str) -> dict:
    from corridor.paths.engine import compile_arrays, distances
    from corridor.paths.rescore import EndpointCache, rescore

    workers = os.cpu_count() or 1
    t0 = time.perf_counter()
    compiled, zones, zone_in, gateways, G = _load(graph)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    if backend == "cch":
        compiled.cch()
    else:
        _ = compiled.matrix
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    base = distances(compiled, zones, zone_in, backend=backend, workers=workers)
    od_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    distances(compiled, zones, gateways, backend=backend, workers=workers)
    od_gw_s = time.perf_counter() - t0

    rng = np.random.default_rng(SEED + 1)
    delta = _portfolio_delta(compiled, rng)
    t0 = time.perf_counter()
    cache = EndpointCache(compiled, zones, zone_in, backend=backend)
    fast = rescore(compiled, base, zones, zone_in, delta, cache=cache, backend=backend)
    rescore_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    tail = np.concatenate([compiled.tail, [a for a, _, _ in delta.better]])
    head = np.concatenate([compiled.head, [b for _, b, _ in delta.better]])
    weight = np.concatenate([compiled.weight, [w for _, _, w in delta.better]])
    changed = compile_arrays(compiled.n, tail, head, weight, lon=compiled.lon, lat=compiled.lat)
    full = distances(changed, zones, zone_in, backend=backend, workers=workers)
    full_s = time.perf_counter() - t0
    finite = np.isfinite(full)
    record = {
        "graph": graph,
        "synthetic": graph.startswith("synthetic"),
        "nodes": int(compiled.n),
        "edges": len(compiled.tail),
        "backend": backend,
        "workers": workers,
        "load_s": round(load_s, 3),
        "build_s": round(build_s, 3),
        "od_size": f"{len(zones)}x{len(zone_in)}",
        "od_1000_s": round(od_s, 3),
        "od_gateways_s": round(od_gw_s, 3),
        "rescore_s": round(rescore_s, 3),
        "full_recompute_s": round(full_s, 3),
        "rescore_max_diff_s": float(np.abs(fast[finite] - full[finite]).max(initial=0.0)),
        "rescore_same_unreachable": bool(np.array_equal(np.isinf(fast), np.isinf(full))),
    }
    if graph == "bundled":
        record["portfolios_per_s"] = round(_portfolios_per_second(G, backend), 1)
    record["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return record


def _portfolios_per_second(G, backend: str, count: int = 300, repeat: int = 5) -> float:
    from corridor import load_catalog, load_region, portfolio_from_ids
    from corridor.access.scorer import PortfolioScorer

    region = load_region("luzon")
    catalog = load_catalog(region.path)
    ids = [k for k in catalog if k != "subic_clark_railway"]
    rnd = random.Random(SEED)
    portfolios = []
    for _ in range(count):
        chosen = set(rnd.sample(ids, rnd.randint(1, 6)))
        for pid in list(chosen):
            chosen |= set(catalog[pid].requires)
        portfolios.append(portfolio_from_ids(sorted(chosen), catalog))
    scorer = PortfolioScorer(G, region=region, backend=backend)
    for p in portfolios:  # each project's change is worked out once, as a sweep would
        scorer.summary(p)
    best = float("inf")
    for _ in range(repeat):  # the machine may be shared: the fastest pass
        t0 = time.perf_counter()
        for p in portfolios:
            scorer.summary(p)
        best = min(best, time.perf_counter() - t0)
    return count / best


def _child(args: list[str]) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON (the only output format)")
    parser.add_argument("--only", choices=GRAPHS, action="append", help="graphs to run (all by default)")
    parser.add_argument("--backend", choices=["scipy", "cch"], action="append", help="backends (all available)")
    parser.add_argument("--networkx-sources", type=int, default=0, help="networkx sample size (0: by graph size)")
    parser.add_argument("--child", nargs=2, metavar=("GRAPH", "BACKEND"), help=argparse.SUPPRESS)
    parser.add_argument("--networkx-child", nargs=2, metavar=("GRAPH", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(*args.child)))
        return 0
    if args.networkx_child:
        seconds, extrapolated = _networkx_od(args.networkx_child[0], int(args.networkx_child[1]))
        print(json.dumps({"seconds": seconds, "extrapolated": extrapolated}))
        return 0
    from corridor.paths.engine import available_backends

    graphs = args.only or GRAPHS
    backends = [b for b in (args.backend or ["scipy", "cch"]) if b in available_backends()]
    records = []
    for graph in graphs:
        if graph != "bundled" and not SHARED.is_dir():
            records.append({"graph": graph, "skipped": f"the public datasets are not at {SHARED}"})
            continue
        nx_sources = args.networkx_sources or {"bundled": 1000, "legazpi": 100, "quezon-city": 100}.get(graph, 2)
        nx_result = _child(["--networkx-child", graph, str(nx_sources)])
        for backend in backends:
            record = _child(["--child", graph, backend])
            record["networkx_od_1000_s"] = round(nx_result["seconds"], 2)
            record["networkx_extrapolated"] = nx_result["extrapolated"]
            record["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
            records.append(record)
            print(json.dumps(record), file=sys.stderr)
    print(json.dumps(records, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
