"""Speed and accuracy of corridor's equilibrium assignment on the TNTP test networks.

    python benchmarks/assignment.py --json [--only NETWORK] [--engine corridor|aequilibrae] [--gap G ...] [--repeat N]

prints a JSON list, one record per network, engine and gap. Networks: ``SiouxFalls`` and
``ChicagoSketch`` from ../shared/data/tntp (Chicago with the generalized cost of its
published solution: 0.04 min/mile, 0.02 min/cent). Fields: ``seconds`` (the whole
``assign_tntp`` call: reading, assigning, checking the gap; the fastest of ``--repeat``
runs; AequilibraE's import is timed apart as ``aequilibrae_import_s``), ``iterations`` (all-or-nothing assignments),
``relative_gap`` ((TSTT - SPTT) / TSTT at the returned flows), ``objective`` and
``objective_excess`` (Beckmann's objective, and its excess over the published optimum,
relative), and against a reference equilibrium (corridor's own at gap 1e-6, whose
objective is within ``reference_objective_excess`` of the published best-known optimum:
equilibrium link flows are unique, so its flows are the best-known ones to that
precision; the published flow files are not redistributed, their terms being for
academic research only): ``max_abs_flow_diff`` (vehicles), ``max_rel_flow_diff``
(|f - b| / b over links with b > 0), ``max_rel_flow_diff_busy`` (the same over links
carrying at least 1% of the busiest link's flow), ``flow_weighted_rel_diff``
(sum |f - b| / sum b).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import importlib.util
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from corridor.model.tntp import assign_tntp

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CORRIDOR_SHARED_DATA", ROOT.parent / "shared" / "data"))
REFERENCE_GAP = 1e-6
NETWORKS = {
    "SiouxFalls": {"optimum": 4231335.287107440, "factors": {}},
    "ChicagoSketch": {"optimum": 17313018.738747, "factors": {"toll_factor": 0.02, "distance_factor": 0.04}},
}


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def reference(network: str) -> dict:
    """corridor's own equilibrium at a tight gap, the yardstick of the others."""
    spec = NETWORKS[network]
    folder = SHARED / "tntp"
    return assign_tntp(
        folder / f"{network}_net.tntp",
        folder / f"{network}_trips.tntp",
        gap=REFERENCE_GAP,
        engine="corridor",
        max_iter=20_000,
        **spec["factors"],
    )


def run(network: str, engine: str, gap: float, ref: dict, repeat: int = 1) -> dict:
    """Assignments of ``network`` by ``engine`` to ``gap``, compared with the reference flows; the fastest time."""
    spec = NETWORKS[network]
    folder = SHARED / "tntp"
    runs = [
        assign_tntp(
            folder / f"{network}_net.tntp", folder / f"{network}_trips.tntp", gap=gap, engine=engine, **spec["factors"]
        )
        for _ in range(repeat)
    ]
    out = min(runs, key=lambda r: r["seconds"])
    best = np.array([link["flow"] for link in ref["links"]])
    flow = np.array([link["flow"] for link in out["links"]])
    diff = np.abs(flow - best)
    loaded = best > 0
    busy = best >= 0.01 * best.max()
    return {
        "network": network,
        "engine": out["engine"],
        "gap_target": gap,
        "links": out["n_links"],
        "zones": out["n_zones"],
        "seconds": round(out["seconds"], 3),
        "seconds_all": [round(r["seconds"], 3) for r in runs],
        "iterations": out["iterations"],
        "relative_gap": out["relative_gap"],
        "converged": out["converged"],
        "objective": out["objective"],
        "objective_excess": (out["objective"] - spec["optimum"]) / spec["optimum"],
        "reference_gap": ref["relative_gap"],
        "reference_objective_excess": (ref["objective"] - spec["optimum"]) / spec["optimum"],
        "max_abs_flow_diff": float(diff.max()),
        "max_rel_flow_diff": float((diff[loaded] / best[loaded]).max()),
        "max_rel_flow_diff_busy": float((diff[busy] / best[busy]).max()),
        "flow_weighted_rel_diff": float(diff.sum() / best.sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON (the default prints a table)")
    parser.add_argument("--only", choices=sorted(NETWORKS), help="one network")
    parser.add_argument("--engine", choices=["corridor", "aequilibrae"], help="one engine")
    parser.add_argument("--gap", type=float, nargs="+", default=[1e-4], help="relative gaps to reach")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each, the fastest reported")
    args = parser.parse_args()
    if not (SHARED / "tntp").is_dir():
        sys.exit(f"the TNTP networks are not in {SHARED / 'tntp'} (set CORRIDOR_SHARED_DATA)")
    engines = [args.engine] if args.engine else ["corridor", "aequilibrae"]
    import_s = None
    if "aequilibrae" in engines:
        if importlib.util.find_spec("aequilibrae") is None:
            engines.remove("aequilibrae")
        else:
            os.environ.setdefault("AEQ_SHOW_PROGRESS", "FALSE")
            started = time.perf_counter()
            importlib.import_module("aequilibrae.paths")
            import_s = round(time.perf_counter() - started, 3)
    machine = {
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "scipy": _version("scipy"),
        "aequilibrae": _version("aequilibrae"),
        "aequilibrae_import_s": import_s,
        "date": datetime.date.today().isoformat(),
    }
    records = []
    for network in [args.only] if args.only else list(NETWORKS):
        ref = reference(network)
        for engine in engines:
            for gap in args.gap:
                records.append({**run(network, engine, gap, ref, args.repeat), **machine})
                if not args.json:
                    r = records[-1]
                    print(
                        f"{network:14s} {engine:12s} gap {r['relative_gap']:.2e} ({gap:g}) "
                        f"{r['iterations']:4d} it {r['seconds']:7.2f} s  objective +{r['objective_excess']:.1e}  "
                        f"flows: {r['flow_weighted_rel_diff']:.2%} weighted, max {r['max_abs_flow_diff']:.0f} veh",
                        flush=True,
                    )
    if args.json:
        print(json.dumps(records, indent=1))


if __name__ == "__main__":
    main()
