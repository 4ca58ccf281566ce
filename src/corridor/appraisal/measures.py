"""Discounted measures of yearly flows: present value, NPV, BCR and EIRR."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import brentq

__all__ = [
    "eirr",
    "flow_measures",
    "npv",
]


def npv(flows: Sequence[float] | np.ndarray, rate: float) -> float:
    """Present value at year 0 of yearly flows (the first at year 0)."""
    flows = np.asarray(flows, dtype=float)
    return float((flows / (1 + rate) ** np.arange(len(flows))).sum())


def eirr(flows: Sequence[float] | np.ndarray) -> float:
    """The discount rate at which the flows' present value is zero (nan when there is none between -90% and 1000%)."""
    flows = np.asarray(flows, dtype=float)
    if not (flows > 0).any() or not (flows < 0).any():
        return math.nan
    grid = np.concatenate([np.linspace(-0.9, 1.0, 191), np.linspace(1.05, 10.0, 180)])
    values = [npv(flows, r) for r in grid]
    for k in range(len(grid) - 1):
        if values[k] == 0:
            return float(grid[k])
        if values[k] * values[k + 1] < 0:
            return float(brentq(lambda r: npv(flows, r), grid[k], grid[k + 1], xtol=1e-10))
    return math.nan


def flow_measures(benefits: pd.Series, costs: pd.Series, rate: float) -> tuple[float, float, float, float, float]:
    """The measures of yearly benefits and costs: PV of benefits, PV of costs, NPV, BCR (nan without costs), EIRR."""
    pv_b = npv(benefits.to_numpy(), rate)
    pv_c = npv(costs.to_numpy(), rate)
    net = (benefits - costs).to_numpy()
    return pv_b, pv_c, pv_b - pv_c, (pv_b / pv_c if pv_c > 0 else math.nan), eirr(net)
