"""Results as JSON objects, for the commands' ``--json``: numbers as Python's, NaN and infinity as null."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from corridor.appraisal.appraise import Appraisal
from corridor.model.results import ModelRun

__all__ = [
    "TIMING_KEYS",
    "appraisal_payload",
    "assignment_stats",
    "records",
    "volumes_payload",
    "without_timings",
]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as JSON-ready dicts: NaN and infinity as null, numpy numbers as Python's."""
    out = []
    for row in frame.to_dict("records"):
        clean = {}
        for key, value in row.items():
            if hasattr(value, "item"):
                value = value.item()
            clean[str(key)] = None if isinstance(value, float) and not math.isfinite(value) else value
        out.append(clean)
    return out


#: figures of how long a run took: kept out of results, so that the same inputs give the same bytes
TIMING_KEYS = frozenset({"seconds", "assignment_s"})


def without_timings(payload: dict[str, Any]) -> dict[str, Any]:
    """A result's figures without how long it took (:data:`TIMING_KEYS`)."""
    return {k: v for k, v in payload.items() if k not in TIMING_KEYS}


def assignment_stats(run: ModelRun) -> dict[str, Any]:
    """A model run's assignment figures without its per-iteration lists and its timings."""
    return {k: v for k, v in without_timings(run.assignment).items() if not isinstance(v, list)}


def volumes_payload(
    links: pd.DataFrame, gateways: pd.DataFrame, run: ModelRun, *, scenario: str | None
) -> dict[str, Any]:
    """A model run's link and gateway volumes, its headlines, its assignment figures and its provenance."""
    return {
        "scenario": scenario,
        "times": "assigned",
        "links": records(links),
        "gateways": records(gateways),
        "summary": {k: (v if v == v else None) for k, v in run.summary.items()},
        "assignment": assignment_stats(run),
        "provenance": run.provenance,
    }


def appraisal_payload(appraisals: Sequence[Appraisal], assumptions: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The appraisals, every assumption by parameter, and the provenance of the first."""
    return {
        "portfolios": [a.to_dict() for a in appraisals],
        "assumptions": {
            r["parameter"]: {"value": r["value"], "unit": r["unit"], "source": r["source"]} for r in assumptions
        },
        "provenance": appraisals[0].provenance if appraisals else {},
    }
