"""What the commands print: rich tables and lines of text made of results.

Each function turns one result into a :data:`Printout`: the tables and lines
a command prints, in order. User text is never read as terminal markup: every
cell is a :class:`rich.text.Text`.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from corridor.present.formats import (
    TITLES,
    count_text,
    format_value,
    interaction_lines,
    objective_value,
    objective_values,
    usd_text,
)

if TYPE_CHECKING:  # the results' types only: a command imports the stages it runs, not every stage's
    import networkx as nx
    import pandas as pd

    from corridor.access.modelled import ModelComparison
    from corridor.access.scores import ScoreResult
    from corridor.appraisal.appraise import Appraisal
    from corridor.inputs.projects import Portfolio, Project
    from corridor.inputs.region import Region
    from corridor.model.results import ModelRun
    from corridor.network.places import Place
    from corridor.paths.routes import Route
    from corridor.search.optimiser import OptimisationResult
    from corridor.search.sensitivity import SensitivityResult

__all__ = [
    "Printout",
    "appraisal_printout",
    "assignment_line",
    "catalog_notes",
    "catalog_table",
    "comparison_printout",
    "free_project_lines",
    "headline_table",
    "model_printout",
    "optimisation_printout",
    "optimisation_tables",
    "places_table",
    "portfolio_line",
    "region_table",
    "route_printout",
    "score_printout",
    "sensitivity_printout",
    "sensitivity_tables",
    "shapley_lines",
    "tntp_lines",
    "volume_printout",
]

#: what a command prints, in order: rich tables, and lines of text (never read as markup)
Printout = list[Table | Text | str]
#: the headline columns' headings in a terminal table, short enough for 100 characters (see HEADLINE_KEY)
SHORT_TITLES = {
    "cost_usd_bn": "cost USD bn",
    "d_to_seaport_min": "Δ seaport min",
    "d_to_airport_min": "Δ airport min",
    "d_door_to_ship_min": "Δ ship min",
    "d_market_access_pop_pct": "Δ MA pop %",
    "d_market_access_jobs_pct": "Δ MA jobs %",
    "d_market_access_jobs_pt_pct": "Δ MA PT jobs %",
    "d_gateway_od_min": "Δ OD min",
    "shapley_market_access_jobs_pct": "Shapley MA jobs %",
}
#: the key to the short headings, printed under the tables that use them
HEADLINE_KEY = (
    "Δ: change from the base network (negative minutes are faster); MA: market access (population-weighted "
    "gravity access to people or jobs); PT: by public transport; ship: door to ship; OD: mean time between "
    "gateways and economic zones"
)


def headline_table(frame: pd.DataFrame, title: str, marks: dict[str, Any] | None = None) -> Table:
    """A rich table of headline columns; the best per column marked with a star."""
    table = Table(title=Text(title), header_style="bold", box=None, pad_edge=False)
    labels = [str(label) for label in frame.index]
    # an id is never cut; headings wrap (and break inside a word when they must) so that the table fits
    table.add_column(Text(str(frame.index.name or "")), no_wrap=True, min_width=max(map(len, labels), default=0))
    for column in frame.columns:
        table.add_column(Text(SHORT_TITLES.get(column) or TITLES.get(column, column)), justify="right", overflow="fold")
    for label, row in frame.iterrows():
        cells: list[Text] = []
        for column in frame.columns:
            text = format_value(row[column], column)
            if marks and marks.get(column) == label:
                cells.append(Text(f"{text} ★", style="bold green"))
            else:
                cells.append(Text(text))
        table.add_row(Text(str(label)), *cells)
    return table


def optimisation_tables(result: OptimisationResult) -> list[Table]:
    """The chosen projects and the Pareto frontier, for the terminal."""
    o = result.objective
    tables = []
    chosen = Table(
        title=Text(f"chosen projects: {usd_text(result.cost_usd)} of {usd_text(result.budget_usd)}"),
        header_style="bold",
        box=None,
        pad_edge=False,
    )
    for column, justify in (("id", "left"), ("category", "left"), ("opens", "right"), ("USD bn", "right")):
        chosen.add_column(column, justify=justify)  # type: ignore[arg-type]
    chosen.add_column("name")
    if result.chosen is not None:
        for pid, row in result.chosen.iterrows():
            chosen.add_row(
                Text(str(pid)),
                Text(str(row["category"])),
                Text(str(row["opening_year"])),
                Text(f"{row['cost_usd'] / 1e9:,.2f}"),
                Text(str(row["name"])),
            )
    tables.append(chosen)
    if len(result.pareto) > 1:
        exact = "exact" if result.exact else "among the portfolios the heuristic scored"
        frontier = Table(
            title=Text(f"Pareto frontier of cost against {o.label} ({exact})"),
            header_style="bold",
            box=None,
            pad_edge=False,
        )
        for column in ("USD bn", o.unit, f"Δ {o.unit}", "n"):
            frontier.add_column(column, justify="right")
        frontier.add_column("projects")
        values = objective_values(result.pareto["value"], o.unit)  # one format a column
        changes = objective_values(result.pareto["change"], o.unit)
        for i, (_, row) in enumerate(result.pareto.iterrows()):
            frontier.add_row(
                Text(f"{row['cost_usd'] / 1e9:,.2f}"),
                Text(values[i]),
                Text(("+" if row["change"] > 0 else "") + changes[i]),
                Text(str(len(row["projects"]))),
                Text(" ".join(row["projects"])),
            )
        tables.append(frontier)
    return tables


def sensitivity_tables(result: SensitivityResult) -> list[Table]:
    """The portfolios' chance of being best with their intervals, and each portfolio's projects, for the terminal."""
    o = result.objective
    tables = []
    head = Table(
        title=Text(
            f"{o.label} in {result.year}: {result.draws} draws (seed {result.seed}); 5th, 50th and 95th percentiles"
        ),
        header_style="bold",
        box=None,
        pad_edge=False,
    )
    head.add_column("portfolio")
    for column in ("P(best)", "mean rank", f"{o.unit} p5", "p50", "p95", "USD bn p5", "p95"):
        head.add_column(column, justify="right")
    frame = result.portfolios
    shown = {q: objective_values(frame[f"value_p{q}"], o.unit) for q in (5, 50, 95)}  # one format a column
    for i, (name, row) in enumerate(frame.iterrows()):
        head.add_row(
            Text(str(name)),
            Text(f"{row['p_best']:.2f}"),
            Text(f"{row['mean_rank']:.2f}"),
            *(Text(shown[q][i]) for q in (5, 50, 95)),
            Text(f"{row['cost_usd_p5'] / 1e9:,.2f}"),
            Text(f"{row['cost_usd_p95'] / 1e9:,.2f}"),
        )
    tables.append(head)
    if len(result.projects):
        for name in result.portfolios.index:
            if name not in result.projects.index.get_level_values("portfolio"):
                continue
            rows = result.projects.loc[name]
            table = Table(
                title=Text(f"{name}: projects by marginal gain ({o.unit}; top {result.top_k})"),
                header_style="bold",
                box=None,
                pad_edge=False,
            )
            table.add_column("project")
            for column in (f"P(top {result.top_k})", "mean rank", "P(operating)", "p5", "p50", "p95"):
                table.add_column(column, justify="right")
            gains = {q: objective_values(rows[f"gain_p{q}"], o.unit) for q in (5, 50, 95)}
            for i, (pid, row) in enumerate(rows.iterrows()):
                table.add_row(
                    Text(str(pid)),
                    Text(f"{row['p_top_k']:.2f}"),
                    Text(f"{row['mean_rank']:.1f}"),
                    Text(f"{row['p_operating']:.2f}"),
                    *(Text(gains[q][i]) for q in (5, 50, 95)),
                )
            tables.append(table)
    return tables


# ------------------------------------------------------------------ what the commands print


def _table(title: str | None = None, *, pad_edge: bool = True, **options: Any) -> Table:
    """A table as the commands print them: bold headers and no box."""
    return Table(
        title=None if title is None else Text(title), header_style="bold", box=None, pad_edge=pad_edge, **options
    )


def _columns(table: Table, columns: Sequence[str], *, left: Collection[str]) -> None:
    """Add columns to a table: those in ``left`` left-aligned, the others right-aligned."""
    for column in columns:
        table.add_column(column, justify="left" if column in left else "right")


def route_printout(trip: Route, *, times: str, scenario: str | None = None) -> Printout:
    """A trip: from, to, mode and the portfolio built (``scenario``); the places a name could also mean; minutes
    and kilometres; legs."""
    header = Text()
    header.append(trip.origin.name, style="bold")
    header.append(" → ")
    header.append(trip.destination.name, style="bold")
    header.append(f" by {trip.mode}" + (f" with {scenario}" if scenario else ""))
    out: Printout = [header]
    for place in (trip.origin, trip.destination):
        if place.alternatives:
            out.append(f"  {place.id!r} taken as the {place.kind}; it also names {', '.join(place.alternatives)}")
    out.append(f"{trip.minutes:.0f} min, {trip.km:.1f} km ({times} times)")
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    _columns(table, ("mode", "via", "min", "km"), left={"mode", "via"})
    for leg in trip.legs:
        wait = f" (wait {leg.wait_minutes:.0f})" if leg.wait_minutes >= 0.5 else ""
        table.add_row(Text(leg.mode), Text(leg.name), Text(f"{leg.minutes:.1f}{wait}"), Text(f"{leg.km:.1f}"))
    return [*out, table]


def region_table(region: Region, G: nx.MultiDiGraph) -> Table:
    """A region in numbers: each layer's count and detail, and its network's size."""
    table = Table(title=Text(f"{region.title} ({region.name} {region.version}, base year {region.base_year})"))
    _columns(table, ("layer", "count", "detail"), left={"layer", "detail"})
    for row in region.describe().itertuples():
        table.add_row(Text(str(row.layer)), Text(f"{row.count:,}"), Text(str(row.detail)))
    table.add_row(Text("graph"), Text(f"{G.number_of_nodes()} nodes"), Text(f"{G.number_of_edges()} edges"))
    return table


def places_table(places: Iterable[Place]) -> Table:
    """Places by id, kind and name."""
    table = Table(show_header=True, header_style="bold", box=None)
    for column in ("id", "kind", "name"):
        table.add_column(column)
    for place in places:
        table.add_row(Text(place.id), Text(place.kind), Text(place.name))
    return table


def catalog_table(projects: Iterable[Project]) -> Table:
    """A catalog's projects: id, category, status, opening year, cost and name."""
    table = _table(pad_edge=False)
    _columns(table, ("id", "category", "status", "opens", "USD bn", "name"), left={"id", "category", "status", "name"})
    for p in projects:
        table.add_row(
            Text(p.id),
            Text(p.category),
            Text(p.status),
            Text(str(p.opening_year)),
            Text(f"{p.cost_usd / 1e9:,.2f}"),
            Text(p.name),
        )
    return table


def catalog_notes(projects: Iterable[Project], *, base_year: int) -> list[str]:
    """What a planner reading the catalog would ask about: projects that cost nothing, and projects in
    operation now that the base year's network does not hold."""
    out = []
    for p in projects:
        if p.cost_usd == 0:
            out.append(f"{p.id} costs nothing here: {p.cost_note or 'the catalog gives no cost'}")
        if p.status == "operating" and p.opening_year > base_year:
            out.append(
                f"{p.id} is operating, but opened in {p.opening_year}, after the {base_year} base year: the base "
                "network leaves it out and a portfolio adds it, as a project"
            )
    return out


def portfolio_line(portfolio: Portfolio) -> Text:
    """A portfolio's name, size and cost, and its budget (in red when over it)."""
    line = Text()
    line.append(portfolio.name, style="bold")
    line.append(f": {count_text(len(portfolio.projects), 'project')}, {usd_text(portfolio.cost_usd)}")
    if portfolio.budget_usd:
        line.append(f", budget {usd_text(portfolio.budget_usd)}")
        if portfolio.cost_usd > portfolio.budget_usd:
            line.append(" (over budget)", style="bold red")
    return line


def score_printout(result: ScoreResult, *, shapley_table: bool = False) -> Printout:
    """A portfolio's score: its size and cost, its gains, each project's marginal contribution and Shapley
    value (with ``shapley_table``, its share of every headline), what changes nothing, and the transport
    model's runs when made."""
    chosen = result.portfolio
    import pandas as pd

    head = pd.DataFrame([result.headline()], index=pd.Index([chosen.name], name="portfolio"))
    out: Printout = [
        portfolio_line(chosen),
        headline_table(head, "gains over the base network (negative minutes are faster)"),
    ]
    if result.marginal is not None:
        title = "marginal contribution: the gain lost without each project"
        out.append(headline_table(result.marginal.drop(columns="name"), title))
    if shapley_table and result.shapley is not None:
        title = "Shapley values: each project's share of the portfolio's gain (they add up to it)"
        out.append(headline_table(result.shapley.values, title))
    out.append(HEADLINE_KEY)
    out += shapley_lines(result)
    out += [f"{pid} changes no headline: {why}" for pid, why in result.unchanged.items()]
    if len(result.scenario.unreachable):
        out.append(f"{len(result.scenario.unreachable)} unreachable pairs (see --json)")
    model = result.model is not None
    out.append(
        "times: accessibility (class speeds with fixed congestion factors)"
        + ("; the model's: assigned" if model else "")
    )
    if result.model is not None:
        out += model_printout(result.model)
    return out


def shapley_lines(result: ScoreResult) -> list[str]:
    """How a portfolio's Shapley values were found (exact or sampled), or that they were left out."""
    shares = result.shapley
    name = result.portfolio.name
    if shares is None:
        if result.marginal is not None and len(result.portfolio.projects) > 1:
            return [f"{name}: Shapley values left out for {len(result.portfolio.projects)} projects (--shapley)"]
        return []
    if shares.method == "exact":
        return [f"{name}: Shapley values exact ({shares.coalitions} sets of projects scored)"]
    se = float(shares.std_error["d_market_access_jobs_pct"].max())
    return [
        f"{name}: Shapley values sampled from {shares.permutations} build orders "
        f"(seed {shares.seed}); standard error at most {se:.3f} points of market access"
    ]


def model_printout(comparison: ModelComparison) -> Printout:
    """The transport model's headlines before and after, and each project's share in words."""
    t = _table(
        "the transport model (busy-hour assignment; base year): assigned times, where the gains above are at "
        "accessibility times"
    )
    _columns(t, ("headline", "unit", "base", "with", "change"), left={"headline", "unit"})
    from corridor.model.results import MODEL_LABELS

    for key, (label, unit, better) in MODEL_LABELS.items():
        before, after = comparison.base.summary.get(key), comparison.scenario.summary.get(key)
        change = comparison.gains.get(key)
        if before is None or after is None or change is None or before != before:
            continue
        style = "green" if change * better > 0 else ("red" if change * better < 0 else "")
        # a change of hours under an hour is told in minutes
        shown = f"{change * 60:+,.3g} min" if unit == "h" and abs(change) < 1 else f"{change:+,.3g}"
        t.add_row(
            Text(label),
            Text(unit),
            Text(f"{before:,.4g}"),
            Text(f"{after:,.4g}"),
            Text(shown, style=style),
        )
    return [t, *(f"{pid} in the model: {why}" for pid, why in comparison.explanations.items()), *comparison.notes]


def comparison_printout(
    table: pd.DataFrame, marks: dict[str, Any], results: Sequence[ScoreResult], *, base_year: int, marginal: bool
) -> Printout:
    """Portfolios compared, the best per column starred; with ``marginal``, each one's projects."""
    out: Printout = [
        headline_table(table, f"portfolios against the {base_year} base (★ best per column)", marks),
        HEADLINE_KEY,
    ]
    if not marginal:
        return out
    for result in results:
        if result.marginal is not None:
            title = f"{result.portfolio.name}: marginal contribution of each project"
            out.append(headline_table(result.marginal.drop(columns="name"), title))
        out += shapley_lines(result)
        out += [f"{result.portfolio.name}: {pid} changes no headline: {why}" for pid, why in result.unchanged.items()]
    return out


def optimisation_printout(result: OptimisationResult) -> Printout:
    """The best portfolio found: its value and cost, how sure the search is, the tables, what could not be chosen."""
    o = result.objective
    line = Text()
    line.append(f"best for {o.label}", style="bold")
    if result.confirmed is not None and result.confirmed["chosen"].any():
        chosen = result.confirmed[result.confirmed["chosen"]].iloc[0]
        whole, added = float(chosen["confirmed_value"]), float(chosen["value"])
        money = o.unit == "USD"
        line.append(
            f": {usd_text(whole) if money else objective_value(whole, o.unit)} appraised whole (added up "
            f"{usd_text(added) if money else objective_value(added, o.unit)}), "
            f"{count_text(len(result.projects), 'project')}, {usd_text(result.cost_usd)}"
        )
    else:
        line.append(
            f": {objective_value(result.value, o.unit)} {o.unit} (base {objective_value(result.base_value, o.unit)}, "
            f"change {'+' if result.change > 0 else ''}{objective_value(result.change, o.unit)}), "
            f"{count_text(len(result.projects), 'project')}, {usd_text(result.cost_usd)}"
        )
    how = (
        "proven optimal"
        if result.exact
        else f"not proven optimal; none does better than {objective_value(result.upper_bound or math.nan, o.unit)}"
    )
    if result.confirmed is not None:
        how = f"{how} by the added-up value"
    left_out = f" ({len(result.not_candidates)} of them could not be chosen, below)" if result.not_candidates else ""
    search = (
        f"{how}: {result.method}, {count_text(result.candidates, 'candidate')}{left_out}, "
        f"{result.scored:,} portfolios scored in {result.seconds:.1f} s ({result.runner})"
    )
    return [
        line,
        search,
        *confirmed_lines(result),
        *optimisation_tables(result),
        *free_project_lines(result),
        *(f"{pid} could not be chosen: {why}" for pid, why in result.not_candidates.items()),
    ]


def confirmed_lines(result: OptimisationResult) -> list[str]:
    """The answer and its runners-up valued the full way (the appraisal of each set whole), and which was taken."""
    if result.confirmed is None or not len(result.confirmed):
        return []
    money = result.objective.unit == "USD"

    def text(x: float) -> str:
        return usd_text(x) if money else f"{objective_value(x, result.objective.unit)} {result.objective.unit}"

    lines = [
        "the search adds up each project's own appraisal; the answer and its runners-up appraised whole "
        "(their projects modelled together; * the answer):"
    ]
    for _, row in result.confirmed.iterrows():
        sign = "+" if row["together"] > 0 else ""
        lines.append(
            f"{'*' if row['chosen'] else ' '} {' '.join(row['projects']) or '(nothing built)'}: "
            f"{text(row['confirmed_value'])} appraised whole, {text(row['value'])} added up "
            f"(together {sign}{text(row['together'])}: what the projects do together, and the model's noise)"
        )
    if not bool(result.confirmed["chosen"].iloc[0]):
        lines.append(
            "the search's best set is worth less appraised whole than a runner-up: the answer is that runner-up"
        )
    return lines


def free_project_lines(result: OptimisationResult) -> list[str]:
    """Why a chosen project that costs nothing is in the answer (and in every point of the frontier it improves)."""
    if result.chosen is None or not len(result.chosen):
        return []
    free = result.chosen[result.chosen["cost_usd"] == 0]
    return [
        f"{pid} costs nothing in the catalog ({row['cost_note'] or 'no cost given'}): every portfolio it improves "
        "takes it, so it is in the answer and along the frontier at no cost"
        for pid, row in free.iterrows()
    ]


def sensitivity_printout(result: SensitivityResult) -> Printout:
    """The sensitivity run's tables, the inputs drawn and how long it took."""
    inputs = ", ".join(f"{name} {row['low']:g}–{row['high']:g}" for name, row in result.inputs.iterrows())
    return [
        *sensitivity_tables(result),
        f"inputs drawn ({result.method}, seed {result.seed}): {inputs}",
        f"{result.draws} draws in {result.seconds:.1f} s ({result.runner})",
    ]


# ------------------------------------------------------------------ the transport model and the appraisal


def assignment_line(run: ModelRun) -> str:
    """How well a model run converged: the assignment's gap, the feedback loops and the time taken."""
    a = run.assignment
    return (
        f"peak-hour assignment: relative gap {a['relative_gap']:.1e} after {a['iterations']} iterations "
        f"({a['engine']}, {a['assignment_s'][-1]:.2f} s); after {len(a['feedback_change'])} feedback loops the "
        f"assigned link times are within {a['feedback_change'][-1]:.2%} of the times the demand saw; "
        f"the whole model run {a['seconds']:.1f} s"
    )


def _ratio_text(value: float, spec: str) -> str:
    """A number in a format, ``n/a`` when missing."""
    return format(value, spec) if value == value else "n/a"


def volume_printout(
    links: pd.DataFrame, gateways: pd.DataFrame, run: ModelRun, *, scope: str, top: int = 15
) -> Printout:
    """The busiest road links and every gateway's volume of a model run, and how well it converged."""
    t = _table(f"busiest road links, {scope} (a day, both directions)", pad_edge=True)
    columns = ("link", "name", "class", "cars veh", "trucks veh", "vehicles", "cars PCU", "V/C peak", "km/h peak")
    _columns(t, columns, left={"link", "name", "class"})
    for r in links.sort_values("vehicles_day", ascending=False).head(top).to_dict("records"):
        t.add_row(
            Text(str(r["link_id"])),
            Text(str(r["name"])),
            Text(str(r["link_class"])),
            Text(f"{r['cars_veh_day']:,.0f}"),
            Text(f"{r['trucks_day']:,.0f}"),
            Text(f"{r['vehicles_day']:,.0f}"),
            Text(f"{r['cars_day']:,.0f}"),
            Text(f"{r['volume_capacity']:.2f}"),
            Text(f"{r['congested_speed_kph']:.0f}"),
        )
    g = _table(f"gateways, {scope}")
    _columns(g, ("gateway", "volume", "unit", "capacity", "utilisation", "delay h"), left={"gateway", "unit"})
    for r in gateways.to_dict("records"):
        g.add_row(
            Text(str(r["gateway_id"])),
            Text(f"{r['volume']:,.0f}"),
            Text(str(r["unit"])),
            Text(_ratio_text(r["capacity"], ",.0f")),
            Text(_ratio_text(r["utilisation"], ".0%")),
            Text(f"{r['delay_h']:.2f}"),
        )
    key = (
        "cars veh: cars, jeepneys and buses, as vehicles; trucks veh: container trucks; vehicles = cars veh + "
        "trucks veh; cars PCU: the cars in passenger car units (what the capacity counts)"
    )
    return [t, key, g, assignment_line(run)]


def _money(x: float) -> str:
    """USD as millions, whole."""
    return "n/a" if x != x else f"{x / 1e6:,.0f}"


def _ratio(x: float) -> str:
    """A ratio with two decimals, ``n/a`` when missing."""
    return "n/a" if x != x else f"{x:.2f}"


def _pct(x: float) -> str:
    """A rate in percent with one decimal, ``none`` when missing."""
    return "none" if x != x else f"{x:.1%}"


def appraisal_printout(
    appraisals: Sequence[Appraisal], assumptions: Sequence[dict[str, Any]], *, assumptions_table: bool = False
) -> Printout:
    """The appraisals: the measures of each portfolio, its benefits by class, each project's worth, what the
    projects do together, the notes, and every assumption (as a table with ``assumptions_table``, else a
    line that says where they are)."""
    t = _table("appraisal (USD million, economic prices)")
    _columns(t, ("portfolio", "cost", "PV benefits", "PV costs", "NPV", "BCR", "EIRR"), left={"portfolio"})
    for a in appraisals:
        t.add_row(
            Text(a.name),
            Text(_money(a.cost_usd)),
            Text(_money(a.pv_benefits_usd)),
            Text(_money(a.pv_costs_usd)),
            Text(_money(a.npv_usd)),
            Text(_ratio(a.bcr)),
            Text(_pct(a.eirr)),
        )
    out: Printout = [t]
    for a in appraisals:
        out += _appraised_portfolio(a)
    if not assumptions_table:
        return [
            *out,
            f"{count_text(len(assumptions), 'assumption')} behind these figures (parameter, value, unit, source): "
            "--assumptions prints them; --json and the files of --out hold them",
        ]
    a_table = _table("assumptions")
    for column in ("parameter", "value", "unit", "source"):
        a_table.add_column(column, overflow="fold")
    for row in assumptions:
        a_table.add_row(Text(row["parameter"]), Text(str(row["value"])), Text(row["unit"]), Text(row["source"]))
    return [*out, a_table]


def _appraised_portfolio(a: Appraisal) -> Printout:
    """One portfolio's benefits by class, each project's marginal worth, and its notes."""
    b = _table(None, pad_edge=True)
    b.add_column(f"{a.name}: benefits by class")
    b.add_column("PV (USD million)", justify="right")
    for k, v in a.pv_by_class_usd.items():
        b.add_row(Text(k), Text(_money(v)))
    out: Printout = [b]
    if len(a.projects):
        p = _table(f"{a.name}: each project's marginal worth (USD million)", pad_edge=True)
        columns = ("project", "opens", "cost", "benefit/yr first", "benefit/yr forecast", "NPV", "BCR", "EIRR")
        _columns(p, columns, left={"project"})
        for pid, r in a.projects.iterrows():
            p.add_row(
                Text(str(pid) + (f" (with {r['with']})" if r["with"] else "")),
                Text(str(r["opening_year"])),
                Text(_money(r["cost_usd"])),
                Text(_money(r["benefit_first_modelled_year_usd"])),
                Text(_money(r["benefit_forecast_year_usd"])),
                Text(_money(r["npv_usd"])),
                Text(_ratio(r["bcr"])),
                Text(_pct(r["eirr"])),
            )
        out.append(p)
        out += interaction_lines(a)
    return [*out, *(f"{a.name}: {note}" for note in a.notes)]


def tntp_lines(result: dict[str, Any], name: str) -> list[str]:
    """A TNTP network's assignment: its size, gap, iterations, objective and flows."""
    flows = [link["flow"] for link in result["links"]]
    return [
        f"{name}: {result['n_links']} links, {result['n_zones']} zones; "
        f"relative gap {result['relative_gap']:.2e} after {result['iterations']} iterations "
        f"({result['engine']}, {result['seconds']:.2f} s); Beckmann objective {result['objective']:,.6g}",
        f"flow: total {sum(flows):,.0f}, busiest link {max(flows):,.0f} (--json for every link)",
    ]
