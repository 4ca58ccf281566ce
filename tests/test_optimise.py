"""The optimiser: the best portfolio under a budget, checked against brute force over every feasible set."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridor import build_network, load_catalog, load_region
from corridor.access.scorer import PortfolioScorer
from corridor.appraisal.appraise import appraise
from corridor.appraisal.own_worth import closure, own_worths
from corridor.errors import OptimisationError
from corridor.inputs.projects import Portfolio, Project
from corridor.model.loop import run_model
from corridor.search.objectives import MARKET_ACCESS, TIME_TO_PORT, Objective, get_objective
from corridor.search.optimiser import optimise

from .conftest import ROOT, make_project, write_tiny_region

CATALOG = load_catalog(ROOT / "data" / "luzon")
COST_TOL_USD = 0.01


def brute_force(scorer: PortfolioScorer, candidates: list[Project], budget_usd: float, objective: Objective, **rules):
    """Every feasible set of candidates scored whole: (utility, cost, ids), best first, and the Pareto frontier."""
    must, exclude = set(rules.get("must", ())), set(rules.get("exclude", ()))
    ids = [p.id for p in candidates]
    inert = _inert(scorer, candidates, objective)
    raws: dict[frozenset[str], float] = {}
    checked = 0
    points = []
    for chosen in _within_budget(candidates, budget_usd):
        names = {p.id for p in chosen}
        if not must <= names or names & exclude:
            continue
        if any(r not in names for p in chosen for r in p.requires):
            continue
        if any(c in names for p in chosen for c in p.conflicts):
            continue
        cost = math.fsum(p.cost_usd for p in chosen)
        key = frozenset(names - inert)
        if key not in raws:
            raws[key] = objective.raw(scorer, Portfolio(name="brute", projects=tuple(chosen)))
        elif checked < 20 and names & inert:  # a few sets scored whole again: the inert projects change nothing
            checked += 1
            assert objective.raw(scorer, Portfolio(name="brute", projects=tuple(chosen))) == raws[key]
        raw = raws[key]
        points.append((objective.utility(raw, objective.cost(scorer, chosen)), cost, sorted(names, key=ids.index)))
    tol = 1e-9 * max(1.0, abs(points[0][0]))
    top = max(u for u, _, _ in points)
    tied = [p for p in points if p[0] >= top - tol]
    cheapest = min(c for _, c, _ in tied)
    best = min((p for p in tied if p[1] <= cheapest + COST_TOL_USD), key=lambda p: (len(p[2]), tuple(sorted(p[2]))))
    frontier, so_far = [], -math.inf
    for u, c, _names in sorted(points, key=lambda p: (p[1], -p[0])):
        if u > so_far + tol:
            frontier.append((c, u))
            so_far = u
    return best, frontier


def _inert(scorer: PortfolioScorer, candidates: list[Project], objective: Objective) -> set[str]:
    """The candidates that change nothing a summary objective reads: no link, no node, no attribute it reads.

    A set with or without them has the same value, so brute force scores it once (and checks a few).
    """
    if objective.evaluate is not None:
        return set()
    by_id = {p.id: p for p in candidates}
    out = set()
    for p in candidates:
        needed, stack = set(), list(p.requires)  # what it requires, and what those require
        while stack:
            r = stack.pop()
            if r not in needed:
                needed.add(r)
                stack += list(by_id[r].requires) if r in by_id else []
        if not needed <= set(by_id):
            continue
        e = scorer.effect(p, Portfolio(name="inert", projects=(*(by_id[r] for r in sorted(needed)), p)))
        changes = any(e.better.values()) or any(e.worse.values()) or e.nodes
        if not changes and not any(op.attr in objective.reads for op in e.node_ops):
            out.add(p.id)
    return out


def _within_budget(candidates: list[Project], budget_usd: float, chosen: tuple[Project, ...] = (), cost: float = 0.0):
    """Every subset of the candidates within the budget (costs are never negative: a branch over it is cut)."""
    if not candidates:
        yield list(chosen)
        return
    first, rest = candidates[0], candidates[1:]
    yield from _within_budget(rest, budget_usd, chosen, cost)
    if cost + first.cost_usd <= budget_usd + COST_TOL_USD:
        yield from _within_budget(rest, budget_usd, (*chosen, first), cost + first.cost_usd)


def same_answer(result, best, frontier, objective: Objective):
    u, cost, names = best
    assert result.value == pytest.approx(objective.sense * u, rel=1e-9, abs=1e-9)
    assert result.cost_usd == pytest.approx(cost, abs=1.0)
    assert sorted(result.projects) == sorted(names)
    got = [(row.cost_usd, row.value) for row in result.pareto.itertuples()]
    assert len(got) == len(frontier)
    for (c, v), (cb, ub) in zip(got, frontier, strict=True):
        assert c == pytest.approx(cb, abs=1.0) and v == pytest.approx(objective.sense * ub, rel=1e-9, abs=1e-9)


@pytest.fixture(scope="module")
def scorer(luzon, luzon_graph, corridor_cache):
    return PortfolioScorer(luzon_graph, region=luzon, cache=corridor_cache)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    region = load_region(write_tiny_region(tmp_path_factory.mktemp("tiny") / "tiny"))
    G = build_network(region)
    return region, G, PortfolioScorer(G, region=region)


def tiny_candidates() -> list[Project]:
    """Projects on the tiny region: upgrades, a new road, a planned link opened, jobs, residents and a closure."""
    spec = [
        ("fast_west", [{"type": "upgrade", "select": {"links": ["x1"]}, "speed_kph": 120}], 3e8, {}),
        ("fast_east", [{"type": "upgrade", "select": {"links": ["x2"]}, "speed_kph": 120}], 4e8, {}),
        ("trunk", [{"type": "upgrade", "select": {"links": ["t1"]}, "speed_kph": 90}], 2e8, {}),
        (
            "bypass",
            [{"type": "new_line", "mode": "road", "name": "Bypass", "stops": ["a", "e"], "speed_kph": 100}],
            6e8,
            {},
        ),
        ("link_de", [{"type": "open", "links": ["p1"]}], 2.5e8, {"conflicts": ["bypass"]}),
        ("spur", [{"type": "upgrade", "select": {"links": ["s1"]}, "speed_factor": 2.0}], 1e8, {"requires": ["trunk"]}),
        ("park_jobs", [{"type": "investment", "place": "park", "jobs": 4000}], 5e7, {}),
        ("new_town", [{"type": "investment", "place": "north", "population": 30000}], 0.0, {}),
        ("closure", [{"type": "close", "select": {"links": ["t2"]}}], 1e7, {}),
    ]
    return [make_project(pid, edits, cost_usd=cost, **extra) for pid, edits, cost, extra in spec]


@pytest.mark.slow
@pytest.mark.parametrize("objective", [MARKET_ACCESS, TIME_TO_PORT])
@pytest.mark.parametrize("budget", [0.0, 3.5e8, 9e8, 1.6e9, 5e9])
def test_tiny_region_equals_brute_force(tiny, objective, budget):
    """Closures, residents and conflicts included: the search enumerates what is not monotone and is still exact."""
    _, _, scorer = tiny
    candidates = tiny_candidates()
    result = optimise(scorer, candidates, budget_usd=budget, objective=objective)
    assert result.exact
    same_answer(result, *brute_force(scorer, candidates, budget, objective), objective)


def test_must_and_exclude_equal_brute_force(tiny):
    _, _, scorer = tiny
    candidates = tiny_candidates()
    rules = {"must": ["spur"], "exclude": ["fast_east"]}
    result = optimise(scorer, candidates, budget_usd=1.2e9, **rules)
    assert {"spur", "trunk"} <= set(result.projects) and "fast_east" not in result.projects
    assert result.not_candidates["fast_east"] == "excluded"
    same_answer(result, *brute_force(scorer, candidates, 1.2e9, MARKET_ACCESS, **rules), MARKET_ACCESS)


def test_projects_interact(tiny):
    """Jobs added at the park are worth more with a faster road to it: together more than apart."""
    _, _, scorer = tiny
    west, east = (next(p for p in tiny_candidates() if p.id == pid) for pid in ("trunk", "park_jobs"))

    def gain(*ps):
        raw = MARKET_ACCESS.raw(scorer, Portfolio(name="x", projects=ps))
        return raw - scorer.base.summary["market_access_jobs"]

    assert gain(west, east) > gain(west) + gain(east) + 1e-6


CATALOG_IDS = sorted(set(CATALOG) - {"subic_clark_railway"})


@pytest.mark.slow
@given(
    ids=st.sets(st.sampled_from(sorted(CATALOG)), min_size=4, max_size=8),
    budget_bn=st.floats(min_value=0.0, max_value=25.0),
    objective=st.sampled_from(["market_access", "time_to_port"]),
)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_catalog_subsets_equal_brute_force(scorer, ids, budget_bn, objective):
    """Random small catalogs of the real projects (with what they require) and random budgets."""
    for pid in list(ids):
        ids |= set(CATALOG[pid].requires)
    candidates = [CATALOG[pid] for pid in sorted(ids)]
    chosen = get_objective(objective)
    result = optimise(scorer, candidates, budget_usd=budget_bn * 1e9, objective=chosen)
    same_answer(result, *brute_force(scorer, candidates, budget_bn * 1e9, chosen), chosen)


def test_conflicting_projects_are_never_chosen_together(scorer):
    candidates = [CATALOG[p] for p in ("scmb_freight_rail", "subic_clark_railway", "bauan_terminal", "calax_kawit")]
    result = optimise(scorer, candidates, budget_usd=20e9)
    assert not {"scmb_freight_rail", "subic_clark_railway"} <= set(result.projects)
    same_answer(result, *brute_force(scorer, candidates, 20e9, MARKET_ACCESS), MARKET_ACCESS)


def test_the_heuristic_reports_its_bound(scorer):
    candidates = list(CATALOG.values())
    exact = optimise(scorer, candidates, budget_usd=5e9, pareto=False)
    guess = optimise(scorer, candidates, budget_usd=5e9, method="heuristic")
    assert exact.exact and not guess.exact
    assert guess.value <= exact.value + 1e-9 <= guess.upper_bound + 1e-6
    assert guess.cost_usd <= 5e9 and len(guess.pareto) >= 1


SCREENED = [
    "bauan_terminal",
    "nlex_slex_connector",
    "calax_kawit",
    "clark_runway_2",
    "subic_port_expansion",
    "cllex_aliaga_cabanatuan",
    "cllex_phase2",
    "mrt7",
]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["npv_screening", "freight_cost"])
def test_the_screening_objectives_equal_brute_force(scorer, name):
    """NPV (present value of the screening's benefits less that of the economic costs) and freight cost."""
    candidates = [CATALOG[pid] for pid in SCREENED]
    chosen = get_objective(name)
    result = optimise(scorer, candidates, budget_usd=3e9, objective=chosen)
    same_answer(result, *brute_force(scorer, candidates, 3e9, chosen), chosen)


@pytest.mark.slow
def test_npv_is_benefits_less_costs_in_present_value(scorer):
    from corridor.appraisal.screening import Screening

    npv = get_objective("npv_screening")
    screening = Screening.of(scorer)
    project = CATALOG["nlex_slex_connector"]
    raw = npv.raw(scorer, Portfolio(name="p", projects=(project,)))
    assert raw > 0  # a faster way through Manila saves time
    assert npv.value(raw, npv.cost(scorer, [project])) == pytest.approx(raw - screening.pv_cost(project))
    # the present value of the economic costs: less than the financial cost spent years ahead, more than nothing
    assert 0 < screening.pv_cost(project) < 1.5 * project.cost_usd
    # capacity where a port is busy is worth its delay saved; an unknown objective is still one clear line
    with pytest.raises(OptimisationError, match="unknown objective; closest: market_access"):
        get_objective("market_acess")


def test_an_objective_net_of_cost_plugs_in(scorer):
    """An objective of benefits less costs (what the appraisal will give) is bounded by benefit(S ∪ R) − cost(S)."""
    per_job_usd = 2e4  # an arbitrary money value of market access, only to exercise the net-of-cost bound
    net = Objective(
        "toy_net",
        "toy_benefit_usd",
        "toy net benefit",
        "USD",
        +1,
        reads=MARKET_ACCESS.reads,
        improving=MARKET_ACCESS.improving,
        net_of_cost=True,
        evaluate=_toy_benefit,
    )
    candidates = [CATALOG[p] for p in ("bcib", "calax_kawit", "cllex_aliaga_cabanatuan", "mrt7", "clark_food_hub")]
    result = optimise(scorer, candidates, budget_usd=8e9, objective=net)
    same_answer(result, *brute_force(scorer, candidates, 8e9, net), net)
    assert per_job_usd == 2e4


def _toy_benefit(scorer, portfolio):
    summary = scorer.summary(portfolio)
    return {"toy_benefit_usd": (summary["market_access_jobs"] - scorer.base.summary["market_access_jobs"]) * 2e4}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"budget_usd": -1.0}, "the budget must be a finite amount"),
        ({"budget_usd": 1e9, "must": ["bcibb"]}, "'bcibb' is not a candidate; closest: bcib"),
        ({"budget_usd": 1e9, "must": ["bcib"]}, "the required projects cost USD 3.910 bn, more than the budget"),
        ({"budget_usd": 9e9, "must": ["scmb_freight_rail", "subic_clark_railway"]}, "conflict"),
        ({"budget_usd": 9e9, "must": ["bcib"], "exclude": ["bcib"]}, "both required and excluded"),
        ({"budget_usd": 9e9, "must": ["nscr_malolos_clark"], "exclude": ["nscr_tutuban_malolos"]}, "cannot be built"),
    ],
)
def test_bad_requests_are_one_clear_error(scorer, kwargs, message):
    with pytest.raises(OptimisationError, match=message):
        optimise(scorer, list(CATALOG.values()), **kwargs)


def test_the_result_as_json(scorer):
    result = optimise(scorer, list(CATALOG.values()), budget_usd=2e9)
    data = result.to_dict()
    assert {"objective", "value", "budget_usd", "cost_usd", "projects", "exact", "pareto"} <= set(data)
    assert data["objective"] == "market_access" and data["exact"] is True
    assert data["pareto"][0]["cost_usd"] == 0.0 and data["pareto"][-1]["projects"] == data["projects"]
    assert all(set(row) >= {"cost_usd", "value", "projects"} for row in data["pareto"])


@pytest.mark.slow
@pytest.mark.long
def test_the_whole_catalog_at_ten_billion_equals_brute_force(scorer):
    """The acceptance check: every feasible portfolio of the bundled catalog within USD 10 bn, scored whole."""
    candidates = list(CATALOG.values())
    result = optimise(scorer, candidates, budget_usd=10e9)
    assert result.exact and result.seconds < 60
    same_answer(result, *brute_force(scorer, candidates, 10e9, MARKET_ACCESS), MARKET_ACCESS)


def test_what_requires_a_project_that_conflicts_with_a_required_one_cannot_be_chosen(tiny):
    """The bypass conflicts with the required link: the spur that requires the bypass is no candidate either."""
    _, _, scorer = tiny
    by_id = {p.id: p for p in tiny_candidates()}
    spur = by_id["spur"].model_copy(update={"requires": ["bypass"]})
    result = optimise(scorer, [by_id["link_de"], by_id["bypass"], spur], budget_usd=2e9, must=["link_de"])
    assert result.projects == ["link_de"]
    assert result.not_candidates == {
        "bypass": "conflicts with a required project",
        "spur": "requires bypass, which cannot be chosen",
    }


@pytest.mark.slow
@pytest.mark.long
def test_npv_agrees_with_the_appraisal_for_every_catalog_project(luzon, luzon_quick, corridor_cache):
    """The optimiser's npv of each catalog project on its own (with what it requires) is its appraisal's NPV.

    Same sign, same value, same ranking; and the answer is appraised whole before it is given.
    """
    # one demand-supply loop at a loose gap: this checks that two paths give one number, not the number
    quick_cfg = luzon_quick[0]
    cfg = quick_cfg.replace(assignment={**quick_cfg.assignment.model_dump(), "feedback_iterations": 1, "gap": 1e-2})
    G = luzon_quick[1]
    base = run_model(G, luzon, cfg, cache=corridor_cache)
    quick = PortfolioScorer(G, region=luzon, settings=cfg, cache=corridor_cache)
    npv = get_objective("npv")
    projects = list(CATALOG.values())
    own_worths(quick, projects, workers=2)
    searched, appraised = {}, {}
    for p in projects:
        closed = Portfolio(name=p.id, projects=tuple(CATALOG[q] for q in closure(p, CATALOG)))
        searched[p.id] = npv.value(npv.raw(quick, closed), npv.cost(quick, closed.projects))
        (whole,) = appraise(G, closed, region=luzon, settings=cfg, base=base, projects=False, cache=corridor_cache)
        appraised[p.id] = whole.npv_usd
    for pid in CATALOG:
        assert math.copysign(1, searched[pid]) == math.copysign(1, appraised[pid]), pid
        assert searched[pid] == pytest.approx(appraised[pid], rel=1e-9, abs=1.0), pid
    assert sorted(CATALOG, key=searched.get) == sorted(CATALOG, key=appraised.get)
    # an answer of the search: appraised whole, with the runners-up, before it is given
    few = [CATALOG[pid] for pid in ("bauan_terminal", "nlex_slex_connector", "cllex_aliaga_cabanatuan", "cllex_phase2")]
    result = optimise(quick, few, budget_usd=1e9, objective=npv)
    assert result.confirmed is not None and 1 <= len(result.confirmed) <= 3
    chosen = result.confirmed[result.confirmed["chosen"]].iloc[0]
    assert set(chosen["projects"]) == set(result.projects)
    assert chosen["confirmed_value"] == max(result.confirmed["confirmed_value"])
    assert chosen["together"] == pytest.approx(chosen["confirmed_value"] - chosen["value"])
