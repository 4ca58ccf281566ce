"""Speed of the transport model on the bundled region.

    python benchmarks/model.py --json [--repeat N]

prints one JSON record: ``base_run_s`` (a whole base-year run: skims, person demand fitted
to the mean trip length and rail boardings, container and air passenger gateway choice
fitted to the published volumes, the peak-hour multi-class assignment, fed back to the
skims; the fastest of ``--repeat`` runs), ``assignment_s`` (the last feedback iteration's
assignment alone) with its ``relative_gap`` and ``iterations``, ``scenario_run_s`` (a run
of ``lec_core`` with the base year's calibration, warm-started from its link times),
``compare_lec_core_s`` (the scenario and one run without each of its projects) and
``validate_s`` (the validation table from a finished run).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

from corridor import build_network, load_region
from corridor.access.modelled import compare_model
from corridor.inputs.project_files import load_portfolio
from corridor.model.loop import run_model
from corridor.network.scenario import apply_portfolio
from corridor.settings import Settings
from corridor.validate import validation_table

ROOT = Path(__file__).resolve().parents[1]


def _fastest(repeat: int, job):
    best, value = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        value = job()
        best = min(best, time.perf_counter() - started)
    return best, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON (the default prints a table)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each step; the fastest is kept")
    args = parser.parse_args()
    settings = Settings()
    region = load_region("luzon")
    G = build_network(region, settings)
    portfolio = load_portfolio(ROOT / "portfolios" / "lec_core.yaml", catalog_path=region.path / "projects.yaml")
    base_s, base = _fastest(args.repeat, lambda: run_model(G, region, settings))
    H = apply_portfolio(G, portfolio, settings=settings, region=region).G
    scenario_s, _ = _fastest(
        args.repeat, lambda: run_model(H, region, settings, calibration=base.calibration, warm=base)
    )
    compare_s, _ = _fastest(1, lambda: compare_model(G, portfolio, region=region, settings=settings, base=base))
    validate_s, table = _fastest(1, lambda: validation_table(G, region, settings, base))
    record = {
        "network": "bundled",
        "zones_and_gateways": len(base.places),
        "road_links": len(base.links),
        "base_run_s": round(base_s, 2),
        "assignment_s": round(base.assignment["assignment_s"][-1], 2),
        "relative_gap": base.assignment["relative_gap"],
        "iterations": base.assignment["iterations"],
        "feedback_iterations": len(base.assignment["assignment_s"]),
        "scenario_run_s": round(scenario_s, 2),
        "compare_lec_core_s": round(compare_s, 1),
        "lec_core_projects": len(portfolio.projects),
        "validate_s": round(validate_s, 2),
        "targets_failed": int(((table["role"] != "check") & ~table["passed"]).sum()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}",
        "date": datetime.date.today().isoformat(),
    }
    if args.json:
        print(json.dumps(record, indent=1))
    else:
        for key, value in record.items():
            print(f"{key:>22}: {value}")


if __name__ == "__main__":
    main()
