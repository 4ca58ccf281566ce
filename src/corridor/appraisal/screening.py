"""A fast appraisal of many portfolios, for the optimiser's ``npv_screening`` and ``freight_cost`` objectives."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from corridor.appraisal.benefits import GROWS_WITH_VALUE_OF_TIME
from corridor.appraisal.costs import cost_stream
from corridor.appraisal.measures import npv
from corridor.appraisal.years import demand_growth, modelled_years
from corridor.errors import PortfolioError
from corridor.inputs.projects import Project
from corridor.model.gateways import gateway_delay_h
from corridor.model.loop import run_model
from corridor.model.results import ModelRun
from corridor.settings import Settings

if TYPE_CHECKING:
    from corridor.access.scorer import PortfolioScorer, ScenarioMatrices

__all__ = [
    "Screening",
]


def _gateway_capacities(node: Mapping[str, Any], *, kind: str, hours_per_year: float) -> tuple[float, float]:
    """A gateway's capacity terms a year: its terminal's, and its runways' for an airport (nan where none is given).

    The terms of :func:`~corridor.model.assignment.gateway_delay_h`; a runway's
    capacity is its movements an hour times the passengers a movement over
    ``hours_per_year`` of operation.
    """
    terminal = float(node["capacity"]) if node.get("capacity") else math.nan
    movements, per = node.get("movements_per_h"), node.get("pax_per_movement")
    runway = float(movements) * float(per) * hours_per_year if kind == "airport" and movements and per else math.nan
    return terminal, runway


def _screened(node: Mapping[str, Any], kind: str) -> bool:
    """Whether a node is a gateway of a kind that the screening counts (a seaport only with its capacity in TEU/yr)."""
    if node.get("kind") != "gateway" or node.get("gateway_type") != kind:
        return False
    return kind != "seaport" or str(node.get("capacity_unit")) == "TEU/yr"


class Screening:
    """A fast appraisal of many portfolios, for the optimiser's ``npv_screening`` and ``freight_cost`` objectives.

    It holds the base year's demand fixed (the model's person trips,
    containers and air passengers of its base run) and values the travel
    times the portfolio scorer gives (the accessibility times, no congestion):

    - persons: each pair's trips times the change of its fastest time (mode
      ``any``) at the blended value of time;
    - containers: each origin's boxes go to the port that costs least (haul
      time at the truck's and the cargo's value of time, plus handling and the
      delay at the base year's volumes for the port's capacity); air passengers
      likewise to an airport;
    - grown and discounted as :func:`appraise` does, from the same first year
      of benefits for every portfolio (``appraisal.screening_start_year``), so
      that adding a project never lowers the benefits and the search's bounds
      hold; costs are each project's own, as in :func:`appraise`.

    What it leaves out (congestion, the freight railway's cheaper haul,
    demand that moves) the full appraisal counts: ``corridor appraise`` the
    portfolio the search finds.
    """

    def __init__(self, base: ModelRun, settings: Settings, *, first_year: int) -> None:
        self.settings = settings
        self.first_year = first_year
        self.places = list(base.places)
        self.person_trips = base.matrices["person_trips"]
        self.teu = base.matrices["teu_per_year"]
        self.air = base.matrices["air_pax_per_year"]
        self.volumes = {str(k): float(v) for k, v in base.gateways["volume"].items()}
        f, a = settings.freight, settings.appraisal
        self.php_per_person_s = settings.road_value_of_time_php_per_h / 3600
        self.php_per_teu_s = f.haul_time_php_per_teu_h / 3600
        self.mean_utilisation = {
            kind: float(base.gateways.loc[base.gateways["type"] == kind, "utilisation"].mean())
            for kind in ("seaport", "airport")
        }
        # the present value of one USD of base-year benefit a year, by class
        y0, y1 = first_year, first_year + a.forecast_years
        rate, g_vot = settings.discount_rate, a.value_of_time_growth_pct / 100
        growth = demand_growth(settings)
        start = max(a.screening_start_year, first_year)
        years = range(start, start + settings.horizon_years)
        self.annuity = {
            k: math.fsum(
                (1 + g) ** (min(t, y1) - y0)
                * ((1 + g_vot) ** (t - y0) if k in GROWS_WITH_VALUE_OF_TIME else 1.0)
                / (1 + rate) ** (t - y0)
                for t in years
            )
            for k, g in growth.items()
        }

    @classmethod
    def of(cls, scorer: PortfolioScorer) -> Screening:
        """The screening of a :class:`~corridor.access.scorer.PortfolioScorer`'s network, made once and kept on it."""
        found = scorer.__dict__.get("_screening")
        if found is None:
            if getattr(scorer, "arrays", None) is not None:
                raise PortfolioError(
                    "the screening runs the transport model on the region's strategic roads, not on road arrays",
                    allowed="the market_access or time_to_port objective on road arrays",
                )
            first, _ = modelled_years(scorer.region, scorer.settings)
            base = run_model(scorer.G, scorer.region, scorer.settings, cache=scorer.disk)
            found = cls(base, scorer.settings, first_year=first)
            scorer.__dict__["_screening"] = found
        return found

    def _positions(self, nodes: Sequence[dict[str, Any]]) -> np.ndarray:
        """Each model place's position among the nodes (-1: not among them)."""
        where = {str(d.get("place_id")): i for i, d in enumerate(nodes)}
        return np.array([where.get(p, -1) for p in self.places], dtype=int)

    def _passage_h(self, node: Mapping[str, Any], kind: str) -> float:
        """The hours a unit spends passing through a gateway: its handling, and its delay at its base year's volume.

        A new gateway is taken as busy as its kind's mean.
        """
        s = self.settings
        alpha, beta = (s.freight.port_delay_alpha, s.freight.port_delay_beta)
        if kind == "airport":
            alpha, beta = s.air.delay_alpha, s.air.delay_beta
        terminal, runway = _gateway_capacities(node, kind=kind, hours_per_year=s.air.operating_hours_per_day * 365)
        volume = self.volumes.get(str(node.get("place_id")))
        if volume is None:  # a new gateway: as busy as its kind's mean
            finite = [c for c in (terminal, runway) if math.isfinite(c)]
            volume = self.mean_utilisation[kind] * min(finite) if finite else 0.0
        base_h = float(node.get("handling_h") or 0.0)
        caps = np.array([[terminal, runway]])
        delay = float(gateway_delay_h(np.array([volume]), caps, np.array([base_h]), alpha=alpha, beta=beta)[0])
        return base_h + delay

    def _gateway_costs(
        self,
        nodes: Sequence[dict[str, Any]],
        times: np.ndarray,
        rows: np.ndarray,
        kind: str,
        per_s: float,
        per_h: float,
    ) -> np.ndarray:
        """Per model place, the least cost (PHP) of reaching a gateway of a kind and passing through it."""
        best = np.full(len(rows), np.inf)
        for g, d in enumerate(nodes):
            if _screened(d, kind):
                reach = np.where(rows >= 0, times[np.maximum(rows, 0), g], np.inf)
                best = np.minimum(best, reach * per_s + self._passage_h(d, kind) * per_h)
        return best

    def annual_benefits(self, base: ScenarioMatrices, scenario: ScenarioMatrices) -> dict[str, float]:
        """A year's benefits (USD) of the scenario's times over the base's."""
        s = self.settings
        usd = 1 / s.php_per_usd
        r0, r1 = self._positions(base.nodes), self._positions(scenario.nodes)
        ok = (r0 >= 0) & (r1 >= 0)
        t0 = base.times_s["any"][np.ix_(np.maximum(r0, 0), np.maximum(r0, 0))]
        t1 = scenario.times_s["any"][np.ix_(np.maximum(r1, 0), np.maximum(r1, 0))]
        pair = np.outer(ok, ok) & np.isfinite(t0) & np.isfinite(t1)
        saved = np.where(pair, t0 - t1, 0.0)
        persons = float((self.person_trips * saved).sum()) * self.php_per_person_s * s.appraisal.days_per_year * usd
        out = {"persons": persons}
        for key, kind, volume, per_s, per_h in (
            ("containers", "seaport", self.teu, self.php_per_teu_s, s.freight.cargo_vot_php_per_teu_h),
            (
                "air_passengers",
                "airport",
                self.air,
                s.air.value_of_time_php_per_h / 3600,
                s.air.value_of_time_php_per_h,
            ),
        ):
            c0 = self._gateway_costs(base.nodes, base.times_s["road"], r0, kind, per_s, per_h)
            c1 = self._gateway_costs(scenario.nodes, scenario.times_s["road"], r1, kind, per_s, per_h)
            both = np.isfinite(c0) & np.isfinite(c1) & (volume > 0)
            out[key] = float((volume[both] * (c0[both] - c1[both])).sum()) * usd
        return out

    def pv_benefits(self, annual: dict[str, float]) -> float:
        """The present value of a year's benefits, grown and discounted over the horizon."""
        return math.fsum(annual[k] * self.annuity[k] for k in self.annuity)

    def pv_cost(self, project: Project) -> float:
        """The present value of a project's economic costs (capital, O&M, less residual value)."""
        last = max(project.opening_year, self.settings.appraisal.screening_start_year) + self.settings.horizon_years
        years = list(range(self.first_year, max(last, self.first_year + 1)))
        flows = cost_stream(project, self.settings, years).sum(axis=1).to_numpy()
        return npv(flows, self.settings.discount_rate)

    def freight_cost_usd_per_teu(self, matrices: ScenarioMatrices) -> float:
        """The containers' mean least cost of reaching a port and passing through it (USD/TEU), at fixed demand."""
        s = self.settings
        rows = self._positions(matrices.nodes)
        cost = self._gateway_costs(
            matrices.nodes,
            matrices.times_s["road"],
            rows,
            "seaport",
            self.php_per_teu_s,
            s.freight.cargo_vot_php_per_teu_h,
        )
        ok = np.isfinite(cost) & (self.teu > 0)
        total = float(self.teu[ok].sum())
        return float((self.teu[ok] * cost[ok]).sum()) / total / s.php_per_usd if total else math.nan
