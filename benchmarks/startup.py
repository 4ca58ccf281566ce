"""How long a planner waits for a command: process wall time of the commands of the first minute.

Each command runs as a new process (``python -m corridor ...``, as the console script does), from a
temporary folder whose on-disk cache the first run fills; the figure is the fastest of ``--repeat``
runs after one that warms the cache, with the median beside it.

    python benchmarks/startup.py --json [--repeat 5]

Targets (issue of the first minute): ``--version`` and ``--help`` under 0.3 s, ``route`` with a
warm cache under 1.5 s, ``score`` under 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

COMMANDS = {
    "version": ["--version"],
    "help": ["--help"],
    "route": ["route", "Clark International Airport", "Port of Manila"],
    "score": ["score", str(ROOT / "portfolios" / "lec_core.yaml")],
}
TARGETS_S = {"version": 0.3, "help": 0.3, "route": 1.5, "score": 2.0}


def _once(args: list[str], cwd: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "corridor", *args], cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    out: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average": os.getloadavg()[0],
    }
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        for name, command in COMMANDS.items():
            _once(command, cwd)  # fills the cache (compiled networks, base matrices) and the OS's file cache
            times = [_once(command, cwd) for _ in range(args.repeat)]
            out[name] = {
                "fastest_s": round(min(times), 3),
                "median_s": round(statistics.median(times), 3),
                "target_s": TARGETS_S[name],
            }
    print(json.dumps(out, indent=None if args.json else 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
