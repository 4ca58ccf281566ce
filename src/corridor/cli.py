"""The ``corridor`` command: thin commands over the library.

Bad input prints one line and exits with status 2 (usage errors too); ``-v``
shows the traceback. User text is never read as terminal markup.
"""

from __future__ import annotations

import json
import logging
import math
import signal
import sys
import traceback
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from corridor._version import __version__
from corridor.errors import CorridorError, PortfolioError

#: click's base error, reached through typer's public BadParameter (typer may vendor click)
_CLICK_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def _console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    # wide tables stay readable when output goes to a file or a CI log
    return Console(file=stream, width=None if stream.isatty() else 200, highlight=False, soft_wrap=False)


def _say(*parts: str | Text, stderr: bool = False) -> None:
    """Print plain text (never parsed as markup)."""
    _console(stderr).print(*parts, markup=False, highlight=False, soft_wrap=True)


def _error_line(message: str) -> None:
    _console(stderr=True).print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)


class _Group(TyperGroup):
    """Runs a command and turns corridor's errors into one line and exit status 2 (``-v``: the traceback too)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CorridorError as exc:
            if ctx.params.get("verbose"):
                traceback.print_exc()
            _error_line(str(exc))
            ctx.exit(2)


app = typer.Typer(
    name="corridor",
    cls=_Group,
    help="Plan the Luzon Economic Corridor: networks, routes, portfolios and maps.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class ModeChoice(StrEnum):
    road = "road"
    rail = "rail"
    transit = "transit"
    any = "any"
    freight = "freight"


class TimesChoice(StrEnum):
    accessibility = "accessibility"
    assigned = "assigned"


RegionOpt = Annotated[str, typer.Option("--region", "-r", help="Bundled region name or a folder with a region.yaml.")]
SettingsOpt = Annotated[
    Path | None, typer.Option("--settings", "-s", help="Settings file (.toml or .yaml); defaults otherwise.")
]
RoadsOpt = Annotated[
    Path | None,
    typer.Option(
        "--roads",
        help="Use a real road network (.npz from 'corridor fetch', .osm.pbf, .osm, .graphml) "
        "instead of the region's strategic roads.",
    ),
]
PortfolioOpt = Annotated[Path | None, typer.Option("--portfolio", "-p", help="A portfolio file (YAML) to build.")]
ProjectsOpt = Annotated[
    str | None, typer.Option("--projects", help="Catalog projects to build (ids, comma-separated).")
]
WorkersOpt = Annotated[
    int, typer.Option("--workers", "-w", min=1, help="Run the sweep on this many local processes (1: in-process).")
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option("--scheduler", help="Run the sweep on a Dask cluster: its scheduler's address, tcp://HOST:PORT."),
]
ShapleyOpt = Annotated[
    bool | None,
    typer.Option(
        "--shapley/--no-shapley",
        help="Each project's Shapley value (exact up to 15 projects, sampled above); by default up to 12 projects.",
    ),
]
CacheDirOpt = Annotated[
    Path,
    typer.Option(
        "--cache-dir",
        help="Folder of the on-disk cache of compiled networks, CCH orders and base matrices.",
    ),
]
#: corridor.paths.cache.DEFAULT_CACHE_DIR, named here so that the command starts without importing the engine
DEFAULT_CACHE_DIR = ".cache/corridor"
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Neither read nor write the on-disk cache.")]
ObjectiveOpt = Annotated[
    str,
    typer.Option(
        "--objective",
        help="market_access (jobs within reach, population-weighted; the default), time_to_port, npv (the "
        "screening's present value of time savings at the base year's demand, less the present value of economic "
        "costs; appraise the result with 'corridor appraise') or freight_cost (the containers' cost of reaching "
        "a port, at the base year's demand).",
    ),
]


def _version(value: bool) -> None:
    if value:
        _say(f"corridor {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More output; tracebacks.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    level = logging.ERROR if quiet else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def _folder_out(value: Path | None) -> Path | None:
    """An ``--out`` folder checked as the command line is read, before any work: not a file, not empty."""
    if value is None:
        return None
    if not str(value).strip():
        raise typer.BadParameter("no folder given; give a folder such as reports/")
    if value.exists() and not value.is_dir():
        raise typer.BadParameter(f"{value} is a file, not a folder")
    return value


def _echo_json(payload: Any) -> None:
    """Print one JSON object (text as it is, not escaped; anything else as its string)."""
    typer.echo(json.dumps(payload, ensure_ascii=False, default=str))


def _assignment_stats(run: Any) -> dict[str, Any]:
    """A model run's assignment figures without its per-iteration lists, for JSON."""
    return {k: v for k, v in run.assignment.items() if not isinstance(v, list)}


def _status(message: str, *, quiet: bool = False) -> AbstractContextManager[Any]:
    return nullcontext() if quiet else _console(stderr=True).status(Text(message), spinner="dots")


def _load(region: str, settings_path: Path | None, roads: Path | None = None) -> tuple[Any, Any, Any]:
    """The region, the settings and the base network a command works on."""
    from corridor.inputs.region import load_region
    from corridor.network.build import build_network
    from corridor.settings import load_settings

    reg = load_region(region)
    settings = load_settings(settings_path, areas=reg.congestion_areas.index)
    road_graph = None
    if roads is not None:
        from corridor.paths.road_arrays import load_roads

        with _status(f"reading {roads}"):
            road_graph = load_roads(roads, settings, bbox=reg.bbox)
    return reg, settings, build_network(reg, settings, roads=road_graph)


def _load_for_scoring(region: str, settings_path: Path | None, roads: Path | None) -> tuple[Any, Any, Any]:
    """The region, the settings and the network that score, compare and optimize work on.

    A road network file of arrays (``.npz``, ``.osm.pbf``) is joined to the
    region as arrays (:mod:`corridor.paths.array_network`): no graph of the roads.
    """
    if roads is None or not roads.name.lower().endswith((".npz", ".pbf")):
        return _load(region, settings_path, roads)
    from corridor.inputs.region import load_region
    from corridor.paths.array_network import network_from_arrays
    from corridor.paths.road_arrays import load_road_arrays, road_arrays_from_pbf
    from corridor.settings import load_settings

    reg = load_region(region)
    settings = load_settings(settings_path, areas=reg.congestion_areas.index)
    with _status(f"reading {roads}"):
        if roads.name.lower().endswith(".npz"):
            arrays = load_road_arrays(roads)
        else:
            arrays = road_arrays_from_pbf(roads, settings, bbox=reg.bbox)
        return reg, settings, network_from_arrays(reg, arrays, settings)


#: why the transport model's commands refuse --roads
_MODEL_NEEDS_STRATEGIC_ROADS = "the transport model, which runs on the region's strategic roads: leave out --roads"


def _portfolio(reg: Any, portfolio: Path | None, projects: str | None) -> Any:
    """The portfolio a command was given: a file, catalog ids, or none."""
    from corridor.inputs.project_files import load_catalog, load_portfolio, portfolio_from_ids

    if portfolio is not None and projects is not None:
        raise PortfolioError("give --portfolio or --projects, not both")
    if portfolio is not None:
        return load_portfolio(portfolio, catalog_path=reg.path / "projects.yaml")
    if projects is not None:
        ids = [p.strip() for p in projects.split(",") if p.strip()]
        return portfolio_from_ids(ids, load_catalog(reg.path))
    return None


@app.command()
def route(
    origin: Annotated[str, typer.Argument(metavar="FROM", help="Place id, place name, or 'lat,lon'.")],
    destination: Annotated[str, typer.Argument(metavar="TO", help="Place id, place name, or 'lat,lon'.")],
    mode: Annotated[
        ModeChoice,
        typer.Option(
            "--mode",
            "-m",
            help="Travel by road (car), rail, transit (public transport), any (the faster of car and transit) "
            "or freight.",
        ),
    ] = ModeChoice.any,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    region: RegionOpt = "luzon",
    settings: SettingsOpt = None,
    portfolio: PortfolioOpt = None,
    projects: ProjectsOpt = None,
    roads: RoadsOpt = None,
    network: Annotated[
        Path | None,
        typer.Option(
            "--network",
            help="Route on an OpenStreetMap file (.osm, .osm.bz2, .osm.pbf, .graphml) "
            "instead of the region; FROM and TO are then 'lat,lon'.",
        ),
    ] = None,
    times: Annotated[
        TimesChoice,
        typer.Option(
            "--times",
            help="Road times: 'accessibility' (class speeds with fixed congestion factors; fast) or 'assigned' "
            "(the peak hour of the calibrated model, seconds more).",
        ),
    ] = TimesChoice.accessibility,
) -> None:
    """Print the fastest trip between two places: minutes, kilometres and legs."""
    from corridor.network.places import PlaceIndex
    from corridor.paths.routes import route as find_route
    from corridor.settings import load_settings

    if network is not None:
        from corridor.paths.road_arrays import load_roads

        cfg = load_settings(settings)
        with _status(f"reading {network}", quiet=as_json):
            G = load_roads(network, cfg)
        if times is TimesChoice.assigned:
            raise PortfolioError("assigned times need the region's model; --network takes accessibility times")
    else:
        reg, cfg, G = _load(region, settings, roads)
        chosen = _portfolio(reg, portfolio, projects)
        if times is TimesChoice.assigned:
            from corridor.model.results import assigned_graph

            _, run, H = _model_runs(G, reg, cfg, chosen, quiet=as_json)
            G = assigned_graph(H, run)
        elif chosen is not None:
            from corridor.network.scenario import apply_portfolio

            G = apply_portfolio(G, chosen, settings=cfg, region=reg).G
    trip = find_route(G, origin, destination, mode=mode.value, places=PlaceIndex(G, snap_max_km=cfg.snap_max_km))
    if as_json:
        _echo_json({**trip.to_dict(), "times": times.value})
        return
    scenario = G.graph.get("scenario")
    header = Text()
    header.append(trip.origin.name, style="bold")
    header.append(" → ")
    header.append(trip.destination.name, style="bold")
    header.append(f" by {trip.mode}" + (f" with {scenario}" if scenario else ""))
    _say(header)
    for place in (trip.origin, trip.destination):
        if place.alternatives:
            _say(f"  {place.id!r} taken as the {place.kind}; it also names {', '.join(place.alternatives)}")
    _say(f"{trip.minutes:.0f} min, {trip.km:.1f} km ({times.value} times)")
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column, justify in (("mode", "left"), ("via", "left"), ("min", "right"), ("km", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for leg in trip.legs:
        wait = f" (wait {leg.wait_minutes:.0f})" if leg.wait_minutes >= 0.5 else ""
        table.add_row(Text(leg.mode), Text(leg.name), Text(f"{leg.minutes:.1f}{wait}"), Text(f"{leg.km:.1f}"))
    _console().print(table)


MetricOpt = Annotated[
    str | None,
    typer.Option(
        "--metric",
        help="The per-zone change shaded at first: d_to_seaport_min (default), d_to_airport_min, d_door_to_ship_h, "
        "d_market_access_pop_pct or d_market_access_jobs_pct.",
    ),
]


def _file_stem(name: str) -> str:
    """A file name made of a portfolio's name: letters, digits, '-' and '_' only."""
    import re

    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")[:60] or "portfolio"


@app.command("map")
def map_cmd(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Where to write the HTML map (maps/<region>_base.html, or maps/<portfolio>.html)."
        ),
    ] = None,
    region: RegionOpt = "luzon",
    settings: SettingsOpt = None,
    roads: RoadsOpt = None,
    portfolio: PortfolioOpt = None,
    projects: ProjectsOpt = None,
    metric: MetricOpt = None,
    traffic: Annotated[
        bool,
        typer.Option(help="With a portfolio, also run the transport model and draw its traffic (seconds more)."),
    ] = True,
) -> None:
    """Write an interactive map: the base network, or what a portfolio changes (projects, zones, reach, traffic)."""
    from corridor.present.maps import base_map, portfolio_map, save_map

    reg, cfg, G = _load(region, settings, roads)
    chosen = _portfolio(reg, portfolio, projects)
    if chosen is None:
        if metric is not None:
            raise PortfolioError("a metric is shaded on the map of a portfolio: give one", value=metric)
        path = save_map(base_map(G, reg), out or Path(f"maps/{reg.name}_base.html"))
    else:
        from corridor.present.briefing import brief, map_metrics
        from corridor.present.maps import check_metric

        check_metric(metric, map_metrics())  # before the model's seconds
        volumes = None
        if traffic and roads is None:
            from corridor.model.results import link_volumes

            _, run, _ = _model_runs(G, reg, cfg, chosen)
            volumes = link_volumes(run)
        with _status(f"scoring {chosen.name}"):
            view = brief(G, chosen, region=reg, settings=cfg, volumes=volumes).view
        fmap = portfolio_map(G, view, reg, metric=metric)
        path = save_map(fmap, out or Path(f"maps/{_file_stem(chosen.name)}.html"))
    _say(f"wrote {path}")


@app.command()
def info(region: RegionOpt = "luzon", settings: SettingsOpt = None, roads: RoadsOpt = None) -> None:
    """Summarise a region and its base network."""
    reg, _, G = _load(region, settings, roads)
    frame = reg.describe()
    table = Table(title=Text(f"{reg.title} ({reg.name} {reg.version}, base year {reg.base_year})"))
    for column, justify in (("layer", "left"), ("count", "right"), ("detail", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in frame.itertuples():
        table.add_row(Text(str(row.layer)), Text(f"{row.count:,}"), Text(str(row.detail)))
    table.add_row(Text("graph"), Text(f"{G.number_of_nodes()} nodes"), Text(f"{G.number_of_edges()} edges"))
    _console().print(table)


@app.command()
def places(
    kind: Annotated[
        str | None,
        typer.Option(help="Only this kind: zone, gateway_group, gateway, economic_zone, station, junction."),
    ] = None,
    region: RegionOpt = "luzon",
) -> None:
    """List the places that route accepts, with their ids."""
    from corridor.network.places import KIND_ORDER, PlaceIndex

    if kind is not None and kind not in KIND_ORDER:
        raise CorridorError("--kind: unknown kind of place", value=kind, allowed=KIND_ORDER)
    _, _, G = _load(region, None)
    table = Table(show_header=True, header_style="bold", box=None)
    for column in ("id", "kind", "name"):
        table.add_column(column)
    for place in PlaceIndex(G).listing(kind):
        table.add_row(Text(place.id), Text(place.kind), Text(place.name))
    _console().print(table)


@app.command()
def fetch(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output: .npz for --region, .graphml for --place.")],
    region: Annotated[str | None, typer.Option("--region", "-r", help="The roads of a region's box.")] = None,
    place: Annotated[str | None, typer.Option("--place", help="A place through Overpass.")] = None,
    url: Annotated[
        str | None, typer.Option(help="The .osm.pbf to cut the region from: a URL, or a file of this machine.")
    ] = None,
    cache: Annotated[Path, typer.Option(help="Folder for downloads and Overpass responses.")] = Path(".cache/osm"),
    settings: SettingsOpt = None,
) -> None:
    """Download real roads from OpenStreetMap (needs the internet); use them with --roads."""
    from corridor.errors import OSMError
    from corridor.settings import load_settings

    cfg = load_settings(settings)
    if region is None and place is None:
        raise OSMError("give --region NAME (an extract cut to the region) or --place NAME (Overpass)")
    if region is not None and place is not None:
        raise OSMError("give --region NAME or --place NAME, not both")
    if region is not None:
        from corridor.inputs.region import load_region
        from corridor.paths.road_arrays import PHILIPPINES_PBF_URL, fetch_region_roads

        arrays = fetch_region_roads(
            load_region(region), out, url=url or PHILIPPINES_PBF_URL, cache_dir=cache, settings=cfg
        )
        _say(f"wrote {out}: {arrays.n_nodes:,} junctions, {arrays.n_arcs:,} road arcs")
        return
    from corridor.network.osm import graph_from_place, save_graphml

    with _status(f"downloading {place} from OpenStreetMap"):
        G = graph_from_place(str(place), cfg, cache_dir=cache / "overpass")
    save_graphml(G, out)
    _say(f"wrote {out}: {G.number_of_nodes()} nodes, {G.number_of_edges()} edges")


@app.command()
def score(
    portfolio: Annotated[Path, typer.Argument(help="A portfolio file (YAML).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    marginal: Annotated[bool, typer.Option(help="Also score the portfolio without each project.")] = True,
    shapley: ShapleyOpt = None,
    model: Annotated[
        bool,
        typer.Option(
            "--model/--no-model",
            help="Also run the transport model with and without the portfolio (and each project): freight cost, "
            "gateway delays, traffic; seconds a run.",
        ),
    ] = False,
    region: RegionOpt = "luzon",
    settings: SettingsOpt = None,
    roads: RoadsOpt = None,
    workers: WorkersOpt = 1,
    scheduler: SchedulerOpt = None,
    cache_dir: CacheDirOpt = Path(DEFAULT_CACHE_DIR),
    no_cache: NoCacheOpt = False,
) -> None:
    """Print a portfolio's cost and its gains over the base network (accessibility times; --model adds the model's)."""
    import pandas as pd

    from corridor.access.scorer import PortfolioScorer
    from corridor.access.scores import score as score_portfolio
    from corridor.access.sweeps import scorer_pool
    from corridor.present.report import count_text, headline_table, usd_text

    if model and roads is not None:
        raise PortfolioError(f"--model needs {_MODEL_NEEDS_STRATEGIC_ROADS}")
    reg, cfg, G = _load_for_scoring(region, settings, roads)
    chosen = _portfolio(reg, portfolio, None)
    scorer = PortfolioScorer(G, settings=cfg, region=reg, cache=None if no_cache else cache_dir)
    with scorer_pool(scorer, chosen.projects, workers=workers, scheduler=scheduler) as summaries:
        result = score_portfolio(
            G,
            chosen,
            settings=cfg,
            region=reg,
            marginal=marginal,
            scorer=scorer,
            shapley_values=shapley,
            summaries=summaries,
        )
    if model:
        from corridor.access.modelled import compare_model

        with _status(f"running the transport model with and without {chosen.name}", quiet=as_json):
            result.model = compare_model(G, chosen, region=reg, settings=cfg, marginal=marginal)
        for pid, why in result.model.explanations.items():
            if pid in result.unchanged:
                result.unchanged[pid] += f"; in the transport model: {why}"
    if as_json:
        _echo_json(result.to_dict())
        return
    line = Text()
    line.append(chosen.name, style="bold")
    line.append(f": {count_text(len(chosen.projects), 'project')}, {usd_text(chosen.cost_usd)}")
    if chosen.budget_usd:
        line.append(f", budget {usd_text(chosen.budget_usd)}")
        if chosen.cost_usd > chosen.budget_usd:
            line.append(" (over budget)", style="bold red")
    _say(line)
    head = pd.DataFrame([result.headline()], index=pd.Index([chosen.name], name="portfolio"))
    out = _console()
    out.print(headline_table(head, "gains over the base network (negative minutes are faster)"))
    if result.marginal is not None:
        out.print(
            headline_table(
                result.marginal.drop(columns="name"), "marginal contribution: the gain lost without each project"
            )
        )
    _say_shapley(result)
    for pid, why in result.unchanged.items():
        _say(f"{pid} changes no headline: {why}")
    if len(result.scenario.unreachable):
        _say(f"{len(result.scenario.unreachable)} unreachable pairs (see --json)")
    _say(
        "times: accessibility (class speeds with fixed congestion factors)"
        + ("; the model's: assigned" if model else "")
    )
    if result.model is not None:
        _say_model(result.model)


def _say_model(comparison: Any) -> None:
    """The transport model's headlines before and after, and each project's share in words."""
    from corridor.model.results import MODEL_LABELS

    t = Table(title=Text("the transport model (busy-hour assignment; base year)"), header_style="bold", box=None)
    for column in ("headline", "unit", "base", "with", "change"):
        t.add_column(column, justify="left" if column in {"headline", "unit"} else "right")
    for key, (label, unit, better) in MODEL_LABELS.items():
        before, after = comparison.base.summary.get(key), comparison.scenario.summary.get(key)
        change = comparison.gains.get(key)
        if before is None or after is None or change is None or before != before:
            continue
        style = "green" if change * better > 0 else ("red" if change * better < 0 else "")
        t.add_row(
            Text(label),
            Text(unit),
            Text(f"{before:,.4g}"),
            Text(f"{after:,.4g}"),
            Text(f"{change:+,.3g}", style=style),
        )
    _console().print(t)
    for pid, why in comparison.explanations.items():
        _say(f"{pid} in the model: {why}")


def _unique_names(chosen: list[Any]) -> None:
    names = [p.name for p in chosen]
    if len(set(names)) != len(names):
        raise PortfolioError("two portfolios have the same name; names label the rows", value=names)


@app.command()
def compare(
    portfolios: Annotated[list[Path], typer.Argument(help="Portfolio files (YAML).")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", callback=_folder_out, help="Folder for compare.csv and compare.md.")
    ] = None,
    map_out: Annotated[
        Path | None,
        typer.Option(
            "--map", help="Also write a map of the first portfolio beside each other one and its difference (HTML)."
        ),
    ] = None,
    metric: MetricOpt = None,
    marginal: Annotated[bool, typer.Option(help="Also show each project's marginal contribution.")] = True,
    shapley: ShapleyOpt = None,
    region: RegionOpt = "luzon",
    settings: SettingsOpt = None,
    roads: RoadsOpt = None,
    workers: WorkersOpt = 1,
    scheduler: SchedulerOpt = None,
    cache_dir: CacheDirOpt = Path(DEFAULT_CACHE_DIR),
    no_cache: NoCacheOpt = False,
) -> None:
    """Compare portfolios: one row each, gains and cost as columns, the best per column marked."""
    from corridor.access.scorer import PortfolioScorer
    from corridor.access.scores import best_marks
    from corridor.access.scores import compare as compare_portfolios
    from corridor.access.sweeps import scorer_pool
    from corridor.present.report import headline_table, write_comparison

    reg, cfg, G = _load_for_scoring(region, settings, roads)
    chosen = [_portfolio(reg, p, None) for p in portfolios]
    _unique_names(chosen)
    if map_out is not None and len(chosen) < 2:
        raise PortfolioError("a comparison map needs two portfolios or more", value=len(chosen))
    scorer = PortfolioScorer(G, settings=cfg, region=reg, cache=None if no_cache else cache_dir)
    everything = list({p.id: p for pf in chosen for p in pf.projects}.values())
    with scorer_pool(scorer, everything, workers=workers, scheduler=scheduler) as summaries:
        table, results = compare_portfolios(
            G,
            chosen,
            settings=cfg,
            region=reg,
            marginal=marginal,
            scorer=scorer,
            shapley_values=shapley,
            summaries=summaries,
        )
    marks = best_marks(table)
    console = _console()
    console.print(headline_table(table, f"portfolios against the {reg.base_year} base (★ best per column)", marks))
    if marginal:
        for result in results:
            if result.marginal is not None:
                console.print(
                    headline_table(
                        result.marginal.drop(columns="name"),
                        f"{result.portfolio.name}: marginal contribution of each project",
                    )
                )
            _say_shapley(result)
            for pid, why in result.unchanged.items():
                _say(f"{result.portfolio.name}: {pid} changes no headline: {why}")
    if out is not None:
        written = write_comparison(table, marks, results, out)
        _say("wrote " + ", ".join(str(p) for p in written))
    if map_out is not None:
        from corridor.paths.array_network import ArrayNetwork
        from corridor.present.maps import save_map

        if isinstance(G, ArrayNetwork):  # a map draws the roads: their graph is built for it
            _, _, G = _load(region, settings, roads)
        fmap = _comparison_map(G, reg, cfg, results, metric=metric)
        _say(f"wrote {save_map(fmap, map_out)}")


def _comparison_map(G: Any, reg: Any, cfg: Any, results: list[Any], *, metric: str | None) -> Any:
    """The map of the first portfolio beside the others, from their scores."""
    from corridor.access.scorer import PortfolioScorer
    from corridor.present.briefing import brief, zone_difference
    from corridor.present.maps import comparison_map

    scorer = PortfolioScorer(G, settings=cfg, region=reg)
    views = [brief(G, r.portfolio, region=reg, settings=cfg, scorer=scorer, result=r).view for r in results]
    differences = [zone_difference(views[0].zones, v.zones) for v in views[1:]]
    return comparison_map(G, views, differences, reg, metric=metric)


@app.command()
def report(
    portfolios: Annotated[list[Path], typer.Argument(help="Portfolio files (YAML).")],
    out: Annotated[
        Path, typer.Option("--out", "-o", callback=_folder_out, help="Folder for the report, its charts and maps.")
    ] = Path("reports"),
    metric: MetricOpt = None,
    appraise: Annotated[
        bool,
        typer.Option(
            "--appraise",
            help="Also appraise each portfolio and its projects in money (NPV, BCR, EIRR; the transport model runs: "
            "minutes).",
        ),
    ] = False,
    workers: Annotated[
        int, typer.Option("--workers", min=0, help="Processes for the appraisal's model runs (0: one a core).")
    ] = 0,
    optimum: Annotated[
        Path | None,
        typer.Option(
            "--optimum", help="An optimum.json from 'corridor optimize --out': its Pareto frontier, table and chart."
        ),
    ] = None,
    region: RegionOpt = "luzon",
    settings: SettingsOpt = None,
    roads: RoadsOpt = None,
) -> None:
    """Write a report of portfolios: report.html (opens without the internet), report.md, charts, maps, tables.

    With --appraise, each portfolio's NPV, BCR and EIRR, each project's BCR (in
    its table and on the maps) and every assumption; with --optimum, the
    optimiser's Pareto frontier.
    """
    from corridor.access.scorer import PortfolioScorer
    from corridor.access.scores import best_marks
    from corridor.present.briefing import brief, zone_difference
    from corridor.present.maps import comparison_map, portfolio_map
    from corridor.present.report import read_optimum, write_report

    if appraise and roads is not None:
        raise PortfolioError(
            "the appraisal runs the transport model on the region's strategic roads: leave out --roads"
        )
    pareto, pareto_value = read_optimum(optimum) if optimum is not None else (None, "value")
    reg, cfg, G = _load(region, settings, roads)
    chosen = [_portfolio(reg, p, None) for p in portfolios]
    _unique_names(chosen)
    appraisals, rows = _appraisals(G, reg, cfg, chosen, projects=True, workers=workers) if appraise else (None, [])
    bcr = {a.name: {str(pid): float(r["bcr"]) for pid, r in a.projects.iterrows()} for a in appraisals or ()}
    with _status(f"scoring {len(chosen)} portfolios"):
        scorer = PortfolioScorer(G, settings=cfg, region=reg)
        done = [brief(G, p, region=reg, settings=cfg, scorer=scorer, bcr=bcr.get(p.name)) for p in chosen]
    table = _headline_frame([b.result.headline() for b in done], [b.result.portfolio.name for b in done])
    maps: dict[str, tuple[Any, str]] = {}
    stems: set[str] = set()
    for b in done:
        stem = _file_stem(b.result.portfolio.name)
        while stem.lower() in stems:
            stem += "_"
        stems.add(stem.lower())
        maps[f"maps/{stem}.html"] = (
            portfolio_map(G, b.view, reg, metric=metric),
            f"{b.result.portfolio.name}: its projects, the change per zone, the reach of each port and airport",
        )
    if len(done) > 1:
        views = [b.view for b in done]
        differences = [zone_difference(views[0].zones, v.zones) for v in views[1:]]
        maps["maps/compare.html"] = (
            comparison_map(G, views, differences, reg, metric=metric),
            f"{views[0].name} beside each other portfolio, and their difference",
        )
    written = write_report(
        done,
        table,
        best_marks(table),
        out,
        settings=cfg,
        region=reg,
        maps=maps,
        pareto=pareto,
        pareto_value=pareto_value,
        appraisals=appraisals,
        assumptions=rows,
    )
    _say(f"wrote {written[0]} and {len(written) - 1} more files in {written[0].parent}")


def _appraisals(
    G: Any, reg: Any, cfg: Any, chosen: list[Any], *, projects: bool, workers: int, quiet: bool = False
) -> tuple[list[Any], list[dict[str, Any]]]:
    """The portfolios' appraisals, with a spinner that tells the model runs, and the assumptions they used."""
    from corridor.appraisal.appraise import appraise, assumptions
    from corridor.present.report import count_text

    with _status(f"appraising {count_text(len(chosen), 'portfolio')}", quiet=quiet) as status:

        def say(message: str) -> None:
            if status is not None:
                status.update(Text(f"appraising: {message}"))

        done = appraise(G, chosen, region=reg, settings=cfg, projects=projects, workers=workers, progress=say)
    return done, assumptions(cfg)


def _headline_frame(rows: list[dict[str, float]], names: list[str]) -> Any:
    """The comparison table: one row per portfolio, indexed by name."""
    import pandas as pd

    return pd.DataFrame(rows, index=pd.Index(names, name="portfolio"))


def _model_runs(G: Any, reg: Any, cfg: Any, chosen: Any, *, quiet: bool = False) -> tuple[Any, Any, Any]:
    """The base year's model run and, with a portfolio, the scenario's (calibrated on the base year)."""
    from corridor.model.loop import run_model

    with _status("running the base-year model", quiet=quiet):
        base = run_model(G, reg, cfg)
    if chosen is None:
        return base, base, G
    from corridor.network.scenario import apply_portfolio

    H = apply_portfolio(G, chosen, settings=cfg, region=reg).G
    with _status(f"running the model with {chosen.name}", quiet=quiet):
        run = run_model(H, reg, cfg, calibration=base.calibration, warm=base)
    return base, run, H


def _records(frame: Any) -> list[dict[str, Any]]:
    """A frame's rows as JSON-ready dicts: NaN and infinity as null, numpy numbers as Python's."""
    import math

    out = []
    for row in frame.to_dict("records"):
        clean = {}
        for key, value in row.items():
            if hasattr(value, "item"):
                value = value.item()
            clean[str(key)] = None if isinstance(value, float) and not math.isfinite(value) else value
        out.append(clean)
    return out


def _assignment_line(run: Any) -> str:
    a = run.assignment
    return (
        f"peak-hour assignment: relative gap {a['relative_gap']:.1e} after {a['iterations']} iterations "
        f"({a['engine']}, {a['assignment_s'][-1]:.2f} s); after {len(a['feedback_change'])} feedback loops the "
        f"assigned link times are within {a['feedback_change'][-1]:.2%} of the times the demand saw; "
        f"the whole model run {a['seconds']:.1f} s"
    )


@app.command()
def validate(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", callback=_folder_out, help="Folder for validation.csv, validation.md and provenance."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    region: RegionOpt = "luzon",
    settings: SettingsOpt = None,
) -> None:
    """Run the base-year model and set every published figure beside the model's; exit 1 when a target misses.

    Travel times and distances, port and airport volumes, road counts, rail
    boardings and Metro Manila's speeds: each with its tolerance, a pass mark
    and its source. Rows marked 'check' are shown for information.
    """
    from corridor.validate import KIND_TITLES, MUST_MEET, failed_targets, validation_table, write_validation

    reg, cfg, G = _load(region, settings)
    base, _, _ = _model_runs(G, reg, cfg, None, quiet=as_json)
    table = validation_table(G, reg, cfg, base)
    failed = failed_targets(table)
    targets = int(table["role"].isin(MUST_MEET).sum())
    if as_json:
        _echo_json(
            {
                "rows": _records(table),
                "targets": targets,
                "failed": failed["item"].tolist(),
                "assignment": _assignment_stats(base),
                "provenance": base.provenance,
            }
        )
    else:
        console = _console()
        for kind, title in {**KIND_TITLES, **{k: k for k in table["kind"].unique() if k not in KIND_TITLES}}.items():
            rows = table[table["kind"] == kind]
            if rows.empty:
                continue
            t = Table(title=Text(title), header_style="bold", box=None, pad_edge=False, title_justify="left")
            for column in ("item", "published", "model", "unit", "error", "tolerance", "", "role"):
                right = column in {"published", "model", "error", "tolerance"}
                t.add_column(column, justify="right" if right else "left")
            for r in rows.to_dict("records"):
                error = f"{r['error_pct']:+.1f}%" if r["error_pct"] == r["error_pct"] else "n/a"
                t.add_row(
                    Text(str(r["item"])),
                    Text(f"{r['published']:,.4g}"),
                    Text(f"{r['modelled']:,.4g}"),
                    Text(str(r["unit"])),
                    Text(error),
                    Text(f"±{r['tolerance_pct']:.0f}%"),
                    Text("✓", style="green") if r["passed"] else Text("✗", style="bold red"),
                    Text(str(r["role"])),
                )
            console.print(t)
        _say(_assignment_line(base))
        _say(f"{targets - len(failed)} of {targets} targets within tolerance")
    if out is not None:
        notes = [_assignment_line(base) + "."]
        written = write_validation(table, out, notes=notes, provenance=base.provenance)
        _say("wrote " + ", ".join(str(p) for p in written), stderr=as_json)
    if len(failed):
        _say("outside tolerance: " + ", ".join(failed["item"]), stderr=True)
        raise typer.Exit(1)


@app.command()
def volumes(
    portfolio: PortfolioOpt = None,
    projects: ProjectsOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Also write the link volumes as CSV.")] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="How many of the busiest links to print.")] = 15,
    region: RegionOpt = "luzon",
    settings: SettingsOpt = None,
) -> None:
    """Daily vehicles by class on every road link and each gateway's yearly volume, from the model's assignment.

    The base year, or with a portfolio the scenario (the base year's
    calibration kept). Cars are in passenger-car units (jeepneys and buses
    included); trucks are container trucks.
    """
    from corridor.model.results import gateway_volumes, link_volumes

    reg, cfg, G = _load(region, settings)
    chosen = _portfolio(reg, portfolio, projects)
    _, run, _ = _model_runs(G, reg, cfg, chosen, quiet=as_json)
    links = link_volumes(run)
    gateways = gateway_volumes(run)
    if out is not None:
        from corridor.files import atomic_path, output_path
        from corridor.present.report import csv_safe

        frame = links.copy()
        for column in ("link_id", "name", "link_class", "from", "to"):
            frame[column] = frame[column].map(csv_safe)
        with atomic_path(output_path(out)) as tmp:
            frame.to_csv(tmp, index=False, float_format="%.6g")
    if as_json:
        _echo_json(
            {
                "scenario": None if chosen is None else chosen.name,
                "times": "assigned",
                "links": _records(links),
                "gateways": _records(gateways),
                "summary": {k: (v if v == v else None) for k, v in run.summary.items()},
                "assignment": _assignment_stats(run),
                "provenance": run.provenance,
            }
        )
    else:
        console = _console()
        scope = "the base year" if chosen is None else chosen.name
        t = Table(title=Text(f"busiest road links, {scope} (vehicles a day, both directions)"), header_style="bold")
        t.box = None
        for column in ("link", "name", "class", "cars (PCU)", "trucks", "vehicles", "V/C peak", "km/h peak"):
            t.add_column(column, justify="left" if column in {"link", "name", "class"} else "right")
        for r in links.sort_values("vehicles_day", ascending=False).head(top).to_dict("records"):
            t.add_row(
                Text(str(r["link_id"])),
                Text(str(r["name"])),
                Text(str(r["link_class"])),
                Text(f"{r['cars_day']:,.0f}"),
                Text(f"{r['trucks_day']:,.0f}"),
                Text(f"{r['vehicles_day']:,.0f}"),
                Text(f"{r['volume_capacity']:.2f}"),
                Text(f"{r['congested_speed_kph']:.0f}"),
            )
        console.print(t)
        g = Table(title=Text(f"gateways, {scope}"), header_style="bold", box=None)
        for column in ("gateway", "volume", "unit", "capacity", "utilisation", "delay h"):
            g.add_column(column, justify="left" if column in {"gateway", "unit"} else "right")
        for r in gateways.to_dict("records"):
            g.add_row(
                Text(str(r["gateway_id"])),
                Text(f"{r['volume']:,.0f}"),
                Text(str(r["unit"])),
                Text(f"{r['capacity']:,.0f}" if r["capacity"] == r["capacity"] else "n/a"),
                Text(f"{r['utilisation']:.0%}" if r["utilisation"] == r["utilisation"] else "n/a"),
                Text(f"{r['delay_h']:.2f}"),
            )
        console.print(g)
        _say(_assignment_line(run))
    if out is not None:
        _say(f"wrote {out}", stderr=as_json)


@app.command()
def appraise(
    portfolios: Annotated[list[Path], typer.Argument(help="Portfolio files (YAML).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    per_project: Annotated[
        bool, typer.Option("--projects/--no-projects", help="Also appraise each project (two model runs each).")
    ] = True,
    workers: Annotated[int, typer.Option("--workers", min=0, help="Processes for the model runs (0: one a core).")] = 0,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", callback=_folder_out, help="Folder for appraisal.csv (yearly flows) and appraisal.md."
        ),
    ] = None,
    region: RegionOpt = "luzon",
    settings: SettingsOpt = None,
) -> None:
    """Appraise portfolios in money: NPV, BCR and EIRR from the transport model, with every assumption used.

    Benefits by the rule of a half for persons, containers and air passengers
    in the base year and a forecast year; costs from the catalog in economic
    prices, spread over construction, with operation, maintenance and residual
    value; discounted at the settings' rate over their horizon.
    """
    reg, cfg, G = _load(region, settings)
    chosen = [_portfolio(reg, p, None) for p in portfolios]
    _unique_names(chosen)
    done, rows = _appraisals(G, reg, cfg, chosen, projects=per_project, workers=workers, quiet=as_json)
    if out is not None:
        from corridor.present.report import write_appraisal

        written = write_appraisal(done, rows, out)
        _say("wrote " + ", ".join(str(p) for p in written), stderr=as_json)
    if as_json:
        _echo_json(
            {
                "portfolios": [a.to_dict() for a in done],
                "assumptions": {
                    r["parameter"]: {"value": r["value"], "unit": r["unit"], "source": r["source"]} for r in rows
                },
                "provenance": done[0].provenance if done else {},
            }
        )
        return
    console = _console()

    def money(x: float) -> str:
        return "n/a" if x != x else f"{x / 1e6:,.0f}"

    def ratio(x: float) -> str:
        return "n/a" if x != x else f"{x:.2f}"

    def pct(x: float) -> str:
        return "none" if x != x else f"{x:.1%}"

    t = Table(title=Text("appraisal (USD million, economic prices)"), header_style="bold", box=None)
    for column in ("portfolio", "cost", "PV benefits", "PV costs", "NPV", "BCR", "EIRR"):
        t.add_column(column, justify="left" if column == "portfolio" else "right")
    for a in done:
        t.add_row(
            Text(a.name),
            Text(money(a.cost_usd)),
            Text(money(a.pv_benefits_usd)),
            Text(money(a.pv_costs_usd)),
            Text(money(a.npv_usd)),
            Text(ratio(a.bcr)),
            Text(pct(a.eirr)),
        )
    console.print(t)
    for a in done:
        b = Table(title=Text(f"{a.name}: present value of benefits by class (USD million)"), header_style="bold")
        b.box = None
        b.add_column("class")
        b.add_column("PV", justify="right")
        for k, v in a.pv_by_class_usd.items():
            b.add_row(Text(k), Text(money(v)))
        console.print(b)
        if len(a.projects):
            p = Table(title=Text(f"{a.name}: each project's marginal worth (USD million)"), header_style="bold")
            p.box = None
            for column in ("project", "opens", "cost", "benefit/yr first", "benefit/yr forecast", "NPV", "BCR", "EIRR"):
                p.add_column(column, justify="left" if column == "project" else "right")
            for pid, r in a.projects.iterrows():
                label = str(pid) + (f" (with {r['with']})" if r["with"] else "")
                p.add_row(
                    Text(label),
                    Text(str(r["opening_year"])),
                    Text(money(r["cost_usd"])),
                    Text(money(r["benefit_first_modelled_year_usd"])),
                    Text(money(r["benefit_forecast_year_usd"])),
                    Text(money(r["npv_usd"])),
                    Text(ratio(r["bcr"])),
                    Text(pct(r["eirr"])),
                )
            console.print(p)
        for note in a.notes:
            _say(f"{a.name}: {note}")
    a_table = Table(title=Text("assumptions"), header_style="bold", box=None)
    for column in ("parameter", "value", "unit", "source"):
        a_table.add_column(column, overflow="fold")
    for row in rows:
        a_table.add_row(Text(row["parameter"]), Text(str(row["value"])), Text(row["unit"]), Text(row["source"]))
    console.print(a_table)


class EngineChoice(StrEnum):
    auto = "auto"
    aequilibrae = "aequilibrae"
    corridor = "corridor"


@app.command("assign")
def assign_cmd(
    tntp_net: Annotated[Path, typer.Option("--tntp-net", help="A TNTP network file (*_net.tntp).")],
    tntp_trips: Annotated[Path, typer.Option("--tntp-trips", help="Its TNTP trip table (*_trips.tntp).")],
    gap: Annotated[
        float, typer.Option("--gap", min=1e-12, max=0.5, help="Relative gap to reach: (TSTT - SPTT) / TSTT.")
    ] = 1e-4,
    engine: Annotated[
        EngineChoice, typer.Option("--engine", help="AequilibraE's bi-conjugate Frank-Wolfe, corridor's, or auto.")
    ] = EngineChoice.auto,
    max_iter: Annotated[int, typer.Option("--max-iter", min=1, help="Most all-or-nothing assignments.")] = 500,
    toll_factor: Annotated[
        float | None, typer.Option("--toll-factor", help="Cost per unit of toll (the file's when not given).")
    ] = None,
    distance_factor: Annotated[
        float | None, typer.Option("--distance-factor", help="Cost per unit of length (the file's when not given).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object with every link.")] = False,
) -> None:
    """Assign a TNTP test network's trips to user equilibrium (BPR links); zones carry no through traffic."""
    from corridor.model.tntp import assign_tntp

    with _status(f"assigning {tntp_trips.name}", quiet=as_json):
        result = assign_tntp(
            tntp_net,
            tntp_trips,
            gap=gap,
            engine=engine.value,
            max_iter=max_iter,
            toll_factor=toll_factor,
            distance_factor=distance_factor,
        )
    if as_json:
        _echo_json(result)
        return
    flows = [link["flow"] for link in result["links"]]
    _say(
        f"{tntp_net.name}: {result['n_links']} links, {result['n_zones']} zones; "
        f"relative gap {result['relative_gap']:.2e} after {result['iterations']} iterations "
        f"({result['engine']}, {result['seconds']:.2f} s); Beckmann objective {result['objective']:,.6g}"
    )
    _say(f"flow: total {sum(flows):,.0f}, busiest link {max(flows):,.0f} (--json for every link)")
    if not result["converged"]:
        _say(f"the gap {gap:g} was not reached in {max_iter} iterations", stderr=True)
        raise typer.Exit(1)


def _say_shapley(result: Any) -> None:
    shares = result.shapley
    if shares is None:
        if result.marginal is not None and len(result.portfolio.projects) > 1:
            count = len(result.portfolio.projects)
            _say(f"{result.portfolio.name}: Shapley values left out for {count} projects (--shapley)")
        return
    if shares.method == "exact":
        _say(f"{result.portfolio.name}: Shapley values exact ({shares.coalitions} sets of projects scored)")
    else:
        se = float(shares.std_error["d_market_access_jobs_pct"].max())
        _say(
            f"{result.portfolio.name}: Shapley values sampled from {shares.permutations} build orders "
            f"(seed {shares.seed}); standard error at most {se:.3f} points of market access"
        )


def _ids(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def _candidates(reg: Any, path: Path | None) -> tuple[list[Any], bool]:
    """The projects to choose from: a project file's or a portfolio file's, else the region's catalog."""
    from corridor.files import load_yaml, read_text
    from corridor.inputs.project_files import load_catalog, load_portfolio, load_projects

    if path is None:
        return list(load_catalog(reg.path).values()), True
    data = load_yaml(read_text(path, error=PortfolioError), path=path, error=PortfolioError)
    if isinstance(data, dict) and "name" in data:
        return list(load_portfolio(path, catalog_path=reg.path / "projects.yaml").projects), False
    return load_projects(path), False


@app.command()
def optimize(
    budget: Annotated[float, typer.Option("--budget", "-b", help="The budget in USD (10e9 is 10 billion).")],
    objective: ObjectiveOpt = "market_access",
    candidates: Annotated[
        Path | None,
        typer.Option("--candidates", help="A project file or portfolio file whose projects are the candidates."),
    ] = None,
    must: Annotated[str | None, typer.Option("--must", help="Ids to fund whatever else (comma-separated).")] = None,
    exclude: Annotated[str | None, typer.Option("--exclude", help="Ids never to fund (comma-separated).")] = None,
    method: Annotated[
        str, typer.Option("--method", help="exact (branch and bound), heuristic, or auto (exact up to 25 candidates).")
    ] = "auto",
    pareto: Annotated[bool, typer.Option("--pareto/--no-pareto", help="Also find the Pareto frontier.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", callback=_folder_out, help="Folder for optimum.json and the Pareto table and chart."
        ),
    ] = None,
    region: RegionOpt = "luzon",
    settings: SettingsOpt = None,
    roads: RoadsOpt = None,
    workers: WorkersOpt = 1,
    scheduler: SchedulerOpt = None,
    cache_dir: CacheDirOpt = Path(DEFAULT_CACHE_DIR),
    no_cache: NoCacheOpt = False,
) -> None:
    """Find the best set of projects within a budget (requires and conflicts respected), and the Pareto frontier."""
    from corridor.access.scorer import PortfolioScorer
    from corridor.present.report import count_text, objective_value, optimisation_tables, usd_text, write_optimisation
    from corridor.search.optimiser import optimise

    if roads is not None and objective in ("npv", "freight_cost"):
        raise PortfolioError(f"the {objective} objective needs {_MODEL_NEEDS_STRATEGIC_ROADS}")
    reg, cfg, G = _load_for_scoring(region, settings, roads)
    pool, _ = _candidates(reg, candidates)
    scorer = PortfolioScorer(G, settings=cfg, region=reg, cache=None if no_cache else cache_dir)
    with _status("searching", quiet=as_json):
        result = optimise(
            scorer,
            pool,
            budget_usd=budget,
            objective=objective,
            must=_ids(must),
            exclude=_ids(exclude),
            method=method,  # type: ignore[arg-type]
            pareto=pareto,
            workers=workers,
            scheduler=scheduler,
            progress=False if as_json else None,
        )
    written = write_optimisation(result, out) if out is not None else []
    if as_json:
        _echo_json(result.to_dict())
        return
    o = result.objective
    line = Text()
    line.append(f"best for {o.label}", style="bold")
    line.append(
        f": {objective_value(result.value, o.unit)} {o.unit} (base {objective_value(result.base_value, o.unit)}, "
        f"change {'+' if result.change > 0 else ''}{objective_value(result.change, o.unit)}), "
        f"{count_text(len(result.projects), 'project')}, {usd_text(result.cost_usd)}"
    )
    _say(line)
    how = (
        "proven optimal"
        if result.exact
        else f"not proven optimal; none does better than {objective_value(result.upper_bound or math.nan, o.unit)}"
    )
    _say(
        f"{how}: {result.method}, {count_text(result.candidates, 'candidate')}"
        f"{f' ({len(result.not_candidates)} of them could not be chosen, below)' if result.not_candidates else ''}, "
        f"{result.scored:,} portfolios scored "
        f"in {result.seconds:.1f} s ({result.runner})"
    )
    console = _console()
    for table in optimisation_tables(result):
        console.print(table)
    for pid, why in result.not_candidates.items():
        _say(f"{pid} could not be chosen: {why}")
    if written:
        _say("wrote " + ", ".join(str(p) for p in written))


@app.command()
def sensitivity(
    portfolios: Annotated[list[Path], typer.Argument(help="Portfolio files (YAML) to rank.")],
    draws: Annotated[int, typer.Option("--draws", "-n", min=2, help="Draws of the uncertain inputs.")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the draws: the same seed, the same answer.")] = 0,
    objective: ObjectiveOpt = "market_access",
    year: Annotated[
        int | None,
        typer.Option(
            "--year", help="Score the portfolios as they stand in this year (delayed projects may not operate)."
        ),
    ] = None,
    top_k: Annotated[int, typer.Option("--top-k", min=1, help="How many projects count as a portfolio's top.")] = 3,
    sampling: Annotated[str, typer.Option("--sampling", help="lhs (Latin hypercube) or sobol.")] = "lhs",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", callback=_folder_out, help="Folder for sensitivity.json and its tables."),
    ] = None,
    region: RegionOpt = "luzon",
    settings: SettingsOpt = None,
    workers: WorkersOpt = 1,
    scheduler: SchedulerOpt = None,
) -> None:
    """Rank portfolios and their projects under draws of speeds, decay, port handling, costs and delays."""
    from corridor.inputs.region import load_region
    from corridor.present.report import sensitivity_tables, write_sensitivity
    from corridor.search.sensitivity import sensitivity as run_sensitivity
    from corridor.settings import load_settings

    reg = load_region(region)
    cfg = load_settings(settings, areas=reg.congestion_areas.index)
    chosen = [_portfolio(reg, p, None) for p in portfolios]
    result = run_sensitivity(
        reg,
        chosen,
        draws=draws,
        seed=seed,
        settings=cfg,
        objective=objective,
        year=year,
        top_k=top_k,
        method=sampling,  # type: ignore[arg-type]
        workers=workers,
        scheduler=scheduler,
        progress=False if as_json else None,
    )
    written = write_sensitivity(result, out) if out is not None else []
    if as_json:
        _echo_json(result.to_dict())
        return
    console = _console()
    for table in sensitivity_tables(result):
        console.print(table)
    inputs = ", ".join(f"{name} {row['low']:g}–{row['high']:g}" for name, row in result.inputs.iterrows())
    _say(f"inputs drawn ({result.method}, seed {result.seed}): {inputs}")
    _say(f"{result.draws} draws in {result.seconds:.1f} s ({result.runner})")
    if written:
        _say("wrote " + ", ".join(str(p) for p in written))


@app.command()
def schema(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", callback=_folder_out, help="Folder for the two .schema.json files.")
    ] = None,
) -> None:
    """Export the JSON Schemas of project and portfolio files, for editors."""
    from corridor.inputs.project_files import json_schemas, save_json_schemas

    if out is None:
        typer.echo(json.dumps(json_schemas(), indent=2))
        return
    for path in save_json_schemas(out):
        _say(f"wrote {path}")


@app.command("projects")
def projects_cmd(region: RegionOpt = "luzon") -> None:
    """List the catalog's projects: id, category, status, opening year, cost."""
    from corridor.inputs.project_files import load_catalog
    from corridor.inputs.region import region_path

    catalog = load_catalog(region_path(region))
    table = Table(header_style="bold", box=None, pad_edge=False)
    for column in ("id", "category", "status", "opens", "USD bn", "name"):
        table.add_column(column, justify="right" if column in {"opens", "USD bn"} else "left")
    for p in catalog.values():
        table.add_row(
            Text(p.id),
            Text(p.category),
            Text(p.status),
            Text(str(p.opening_year)),
            Text(f"{p.cost_usd / 1e9:,.2f}"),
            Text(p.name),
        )
    _console().print(table)


class _Terminated(BaseException):
    """SIGTERM, raised where the program stands so that every temporary file is cleaned up on the way out."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status.

    2 on bad input (usage errors included), 130 when interrupted (Ctrl-C),
    143 when terminated (SIGTERM); each prints one line, and no partial
    output is left behind.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: leave signals alone
        previous = None
    try:
        return _run(args)
    except _Terminated:
        _error_line("terminated")
        return 143
    except KeyboardInterrupt:
        _error_line("interrupted")
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


#: the options of ``corridor`` itself, taken wherever they stand (``corridor score x.yaml -v``)
_GLOBAL_FLAGS = frozenset({"-v", "-vv", "-vvv", "--verbose", "-q", "--quiet"})


def _global_flags_first(args: list[str]) -> list[str]:
    """The arguments with ``-v``/``-q`` moved before the command (none after a ``--``)."""
    end = args.index("--") if "--" in args else len(args)
    flags = [a for a in args[:end] if a in _GLOBAL_FLAGS]
    return [*flags, *(a for a in args[:end] if a not in _GLOBAL_FLAGS), *args[end:]]


def _run(args: list[str]) -> int:
    try:
        code = app(args=_global_flags_first(args), standalone_mode=False, prog_name="corridor")
    except typer.Abort:
        _error_line("interrupted")
        return 130
    except _CLICK_ERROR as exc:  # usage: a missing argument, an unknown option or choice
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        message = str(exc.format_message()).replace("Value error, ", "")  # type: ignore[attr-defined]
        if message.strip():  # no arguments at all: the help is printed, and nothing was wrong to say
            _error_line(f"{message}{hint}")
        return int(getattr(exc, "exit_code", 2))
    if code == 130:  # Ctrl-C, which typer turns into exit status 130
        _error_line("interrupted")
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
