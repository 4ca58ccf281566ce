"""The ``corridor`` command: thin commands over the library.

Bad input prints one line and exits with status 2 (usage errors too); ``-v``
shows the traceback. User text is never read as terminal markup.
"""

from __future__ import annotations

import json
import logging
import re
import signal
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from corridor._version import __version__
from corridor.errors import CorridorError, PortfolioError, UsageError, WorkerError

#: click's base error, reached through typer's public BadParameter (typer may vendor click)
_CLICK_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


#: the width of what a command prints when not on a terminal (on one, the terminal's)
OUTPUT_WIDTH = 100


def _console(stderr: bool = False) -> Console:
    """A console on stdout or stderr, 100 characters wide when not a terminal (a log, a file, a pipe)."""
    stream = sys.stderr if stderr else sys.stdout
    # tables wrap their headings to fit; ids are never cut (see corridor.present.tables)
    return Console(file=stream, width=None if stream.isatty() else OUTPUT_WIDTH, highlight=False, soft_wrap=False)


#: characters a terminal would obey rather than show (escape sequences, backspace, bell...): never printed
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _printable(item: Any) -> Any:
    """Text (or a table's cells, headings and title) with control characters removed: a name from a file can
    neither move the cursor, clear the screen nor retitle the terminal."""
    if isinstance(item, str):
        return _CONTROL.sub("", item)
    if isinstance(item, Text):
        return Text(_CONTROL.sub("", item.plain), style=item.style) if _CONTROL.search(item.plain) else item
    if isinstance(item, Table):
        item.title = _printable(item.title) if item.title is not None else None
        for column in item.columns:
            column.header = _printable(column.header)
            column._cells = [_printable(cell) for cell in column._cells]
    return item


def _say(*parts: str | Text, stderr: bool = False) -> None:
    """Print plain text (never parsed as markup, control characters removed)."""
    _console(stderr).print(*(_printable(p) for p in parts), markup=False, highlight=False, soft_wrap=True)


def _error_line(message: str) -> None:
    """Print ``error: <message>`` on stderr, as plain text."""
    _console(stderr=True).print(_printable(f"error: {message}"), markup=False, highlight=False, soft_wrap=True)


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


def _scheduler(value: str | None) -> str | None:
    """A ``--scheduler`` address checked for its form as the command line is read."""
    if value is None:
        return None
    from corridor.parallel import check_scheduler_address

    try:
        return check_scheduler_address(value)
    except WorkerError as exc:
        raise typer.BadParameter(f"{value!r} is not a Dask scheduler's address; give tcp://HOST:PORT") from exc


SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        callback=_scheduler,
        help="Run the sweep on a Dask cluster: its scheduler's address, tcp://HOST:PORT.",
    ),
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
        envvar="CORRIDOR_CACHE_DIR",
        help="Folder of the on-disk cache of compiled networks, CCH orders, base matrices and model runs "
        "(or the environment's CORRIDOR_CACHE_DIR).",
    ),
]
#: corridor.search.sensitivity.MAX_DRAWS, named here so that a bad --draws is refused before anything loads
MAX_DRAWS = 100_000
#: corridor.paths.cache.DEFAULT_CACHE_DIR, named here so that the command starts without importing the engine
DEFAULT_CACHE_DIR = ".cache/corridor"
OfflineOpt = Annotated[
    bool,
    typer.Option(
        "--offline/--online",
        help="Write Leaflet and the rest of what a map page links into it, so it opens with no network (the "
        "default; only the basemap's tiles need it), or link them from public CDNs (--online: about 1 MB smaller).",
    ),
]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Neither read nor write the on-disk cache.")]
ObjectiveOpt = Annotated[
    str,
    typer.Option(
        "--objective",
        help="market_access (jobs within reach, population-weighted; the default), time_to_port, npv (each "
        "project's NPV from its own appraisal by the transport model, added up; the answer appraised whole; "
        "minutes the first time), npv_screening (a fast screening at the base year's demand) or freight_cost (the "
        "containers' cost of reaching a port, at the base year's demand).",
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


def _status(message: str, *, quiet: bool = False) -> AbstractContextManager[Any]:
    """A spinner on stderr that shows ``message`` while a step runs (none when ``quiet``)."""
    return nullcontext() if quiet else _console(stderr=True).status(Text(message), spinner="dots")


@contextmanager
def _progress(message: str, *, quiet: bool = False, prefix: str = "") -> Iterator[Callable[[str], None]]:
    """A spinner on stderr that shows ``message``, and a function that replaces it (``prefix`` put before)."""
    with _status(message, quiet=quiet) as status:

        def say(text: str) -> None:
            if status is not None:
                status.update(Text(prefix + text))

        yield say


def _show(printout: Iterable[Any]) -> None:
    """Print what a command shows: rich tables, and lines of plain text (never parsed as markup), wrapped
    at the console's width."""
    console = _console()
    for item in printout:
        if isinstance(item, str | Text):
            console.print(_printable(item), markup=False, highlight=False)
        else:
            console.print(_printable(item))


def _print_result(
    result: Any, printout: Callable[[Any], Iterable[Any]], *, as_json: bool, written: Sequence[Path]
) -> None:
    """A command's result: one JSON object (``--json``), or its tables and lines and the files it wrote."""
    if as_json:
        _echo_json(result.to_dict())
        return
    _show(printout(result))
    if written:
        _say("wrote " + ", ".join(str(p) for p in written))


def _region_and_settings(region: str, settings_path: Path | None) -> tuple[Any, Any]:
    """The region a command works on, and the settings (checked against the region's congestion areas)."""
    from corridor.inputs.region import load_region
    from corridor.settings import load_settings

    reg = load_region(region)
    return reg, load_settings(settings_path, areas=reg.congestion_areas.index)


def _load(region: str, settings_path: Path | None, roads: Path | None = None) -> tuple[Any, Any, Any]:
    """The region, the settings and the base network a command works on."""
    from corridor.network.build import build_network

    with _status(f"reading the region {region}"):
        reg, settings = _region_and_settings(region, settings_path)
    road_graph = None
    if roads is not None:
        from corridor.paths.road_arrays import load_roads

        with _status(f"reading {roads}"):
            road_graph = load_roads(roads, settings, bbox=reg.bbox)
    with _status(f"building the network of {reg.name}"):
        return reg, settings, build_network(reg, settings, roads=road_graph)


def _load_for_scoring(region: str, settings_path: Path | None, roads: Path | None) -> tuple[Any, Any, Any]:
    """The region, the settings and the network that score, compare and optimize work on.

    A road network file of arrays (``.npz``, ``.osm.pbf``) is joined to the
    region as arrays (:mod:`corridor.paths.array_network`): no graph of the roads.
    """
    if roads is None or not roads.name.lower().endswith((".npz", ".pbf")):
        return _load(region, settings_path, roads)
    from corridor.paths.array_network import network_from_arrays
    from corridor.paths.road_arrays import load_road_arrays, road_arrays_from_pbf

    with _status(f"reading the region {region}"):
        reg, settings = _region_and_settings(region, settings_path)
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
        raise UsageError("give --portfolio or --projects, not both")
    if portfolio is not None:
        return load_portfolio(portfolio, catalog_path=reg.path / "projects.yaml")
    if projects is not None:
        ids = [p.strip() for p in projects.split(",") if p.strip()]
        return portfolio_from_ids(ids, load_catalog(reg.path))
    return None


def _portfolios(reg: Any, paths: list[Path]) -> list[Any]:
    """The portfolio files a command compares, each with a name of its own (the names label the rows)."""
    chosen = [_portfolio(reg, p, None) for p in paths]
    names = [p.name for p in chosen]
    if len(set(names)) != len(names):
        raise PortfolioError("two portfolios have the same name; names label the rows", value=names)
    return chosen


def _disk(cache_dir: Path, no_cache: bool) -> Any:
    """The on-disk cache of a command (None with ``--no-cache``)."""
    if no_cache:
        return None
    from corridor.paths.cache import DiskCache

    return DiskCache(cache_dir)


def _scorer(G: Any, reg: Any, cfg: Any, *, cache_dir: Path | None) -> Any:
    """The scorer of a network, its compiled arrays kept in ``cache_dir`` (None: no cache on disk)."""
    from corridor.access.scorer import PortfolioScorer

    return PortfolioScorer(G, settings=cfg, region=reg, cache=cache_dir)


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
    cache_dir: CacheDirOpt = Path(DEFAULT_CACHE_DIR),
    no_cache: NoCacheOpt = False,
) -> None:
    """Print the fastest trip between two places: minutes, kilometres and legs."""
    from corridor.network.places import PlaceIndex
    from corridor.paths.routes import route as find_route
    from corridor.present.tables import route_printout

    chosen = None
    if network is not None:
        G, cfg = _network_graph(network, region, settings, quiet=as_json)
        if times is TimesChoice.assigned:
            raise UsageError("assigned times need the region's model; --network takes accessibility times")
    elif portfolio is None and projects is None and roads is None and times is TimesChoice.accessibility:
        G, cfg = _base_network(region, settings, None if no_cache else cache_dir)
    else:
        reg, cfg, G = _load(region, settings, roads)
        chosen = _portfolio(reg, portfolio, projects)
        G = _route_graph(G, reg, cfg, chosen, times=times, quiet=as_json, cache=_disk(cache_dir, no_cache))
    scenario = network is None and chosen is not None  # a point snaps to the network with the projects built
    places = PlaceIndex(G, snap_max_km=cfg.snap_max_km, project_nodes=scenario)
    trip = find_route(G, origin, destination, mode=mode.value, places=places)
    if as_json:
        _echo_json({**trip.to_dict(), "times": times.value})
        return
    _show(route_printout(trip, times=times.value, scenario=G.graph.get("scenario")))


def _base_network(region: str, settings: Path | None, cache_dir: Path | None) -> tuple[Any, Any]:
    """The region's base network and the settings, read back from the cache when it was built before."""
    from corridor.network.stored import network_key, read_network, write_network

    key = network_key(region, settings) if cache_dir is not None else None
    if key is not None and cache_dir is not None:
        G = read_network(cache_dir, key)
        if G is not None:  # its settings were checked against the region when it was built
            from corridor.settings import load_settings

            return G, load_settings(settings)
    _, cfg, G = _load(region, settings)
    if key is not None and cache_dir is not None:
        write_network(cache_dir, key, G)
    return G, cfg


def _network_graph(network: Path, region: str, settings: Path | None, *, quiet: bool) -> tuple[Any, Any]:
    """The roads of an OpenStreetMap file, with the region's congestion rule where they lie in its areas."""
    from corridor.network.build import with_congestion
    from corridor.paths.road_arrays import load_roads

    reg, cfg = _region_and_settings(region, settings)
    with _status(f"reading {network}", quiet=quiet):
        return with_congestion(load_roads(network, cfg), reg, cfg), cfg


def _route_graph(G: Any, reg: Any, cfg: Any, chosen: Any, *, times: TimesChoice, quiet: bool, cache: Any) -> Any:
    """The network a route is found on: with the portfolio built, and with the model's assigned times."""
    if times is TimesChoice.assigned:
        from corridor.access.modelled import model_runs
        from corridor.model.results import assigned_graph

        with _progress("running the base-year model", quiet=quiet) as say:
            _, run, H = model_runs(G, chosen, region=reg, settings=cfg, progress=say, cache=cache)
        return assigned_graph(H, run)
    if chosen is not None:
        from corridor.network.scenario import apply_portfolio

        return apply_portfolio(G, chosen, settings=cfg, region=reg).G
    return G


MetricOpt = Annotated[
    str | None,
    typer.Option(
        "--metric",
        help="The per-zone change shaded at first: d_to_seaport_min (default), d_to_airport_min, d_door_to_ship_min, "
        "d_market_access_pop_pct or d_market_access_jobs_pct.",
    ),
]


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
    offline: OfflineOpt = True,
    cache_dir: CacheDirOpt = Path(DEFAULT_CACHE_DIR),
    no_cache: NoCacheOpt = False,
) -> None:
    """Write an interactive map: the base network, or what a portfolio changes (projects, zones, reach, traffic)."""
    from corridor.present.formats import file_stem
    from corridor.present.maps import base_map, save_map

    reg, cfg, G = _load(region, settings, roads)
    chosen = _portfolio(reg, portfolio, projects)
    if chosen is None:
        if metric is not None:
            raise UsageError("a metric is shaded on the map of a portfolio: give one", value=metric)
        path = save_map(base_map(G, reg), out or Path(f"maps/{reg.name}_base.html"), offline=offline)
    else:
        cache = _disk(cache_dir, no_cache)
        fmap = _portfolio_map(G, reg, cfg, chosen, metric=metric, traffic=traffic and roads is None, cache=cache)
        path = save_map(fmap, out or Path(f"maps/{file_stem(chosen.name)}.html"), offline=offline)
    _say(f"wrote {path}")


def _portfolio_map(G: Any, reg: Any, cfg: Any, chosen: Any, *, metric: str | None, traffic: bool, cache: Any) -> Any:
    """The map of what a portfolio changes; with ``traffic``, the model's link volumes on it."""
    from corridor.present.briefing import brief, map_metrics
    from corridor.present.maps import check_metric, portfolio_map

    check_metric(metric, map_metrics())  # before the model's seconds
    volumes = None
    if traffic:
        from corridor.access.modelled import model_runs
        from corridor.model.results import link_volumes

        with _progress("running the base-year model") as say:
            _, run, _ = model_runs(G, chosen, region=reg, settings=cfg, progress=say, cache=cache)
        volumes = link_volumes(run)
    with _status(f"scoring {chosen.name}"):
        view = brief(G, chosen, region=reg, settings=cfg, volumes=volumes).view
    return portfolio_map(G, view, reg, metric=metric)


@app.command()
def info(region: RegionOpt = "luzon", settings: SettingsOpt = None, roads: RoadsOpt = None) -> None:
    """Summarise a region and its base network."""
    from corridor.present.tables import region_table

    reg, _, G = _load(region, settings, roads)
    _show([region_table(reg, G)])


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
    from corridor.present.tables import places_table

    if kind is not None and kind not in KIND_ORDER:
        raise CorridorError("--kind: unknown kind of place", value=kind, allowed=KIND_ORDER)
    _, _, G = _load(region, None)
    _show([places_table(PlaceIndex(G).listing(kind))])


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
    from corridor.access.scores import score as score_portfolio
    from corridor.access.sweeps import scorer_pool
    from corridor.present.tables import score_printout

    if model and roads is not None:
        raise UsageError(f"--model needs {_MODEL_NEEDS_STRATEGIC_ROADS}")
    reg, cfg, G = _load_for_scoring(region, settings, roads)
    chosen = _portfolio(reg, portfolio, None)
    scorer = _scorer(G, reg, cfg, cache_dir=None if no_cache else cache_dir)
    with scorer_pool(scorer, chosen.projects, workers=workers, scheduler=scheduler) as summaries:
        message = f"running the transport model with and without {chosen.name}" if model else f"scoring {chosen.name}"
        with _status(message):
            result = score_portfolio(
                G,
                chosen,
                settings=cfg,
                region=reg,
                marginal=marginal,
                scorer=scorer,
                shapley_values=shapley,
                summaries=summaries,
                model=model,
            )
    if as_json:
        _echo_json(result.to_dict())
        return
    _show(score_printout(result, shapley_table=bool(shapley)))


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
    offline: OfflineOpt = True,
    cache_dir: CacheDirOpt = Path(DEFAULT_CACHE_DIR),
    no_cache: NoCacheOpt = False,
) -> None:
    """Compare portfolios: one row each, gains and cost as columns, the best per column marked."""
    from corridor.access.scores import best_marks
    from corridor.access.scores import compare as compare_portfolios
    from corridor.access.sweeps import scorer_pool
    from corridor.present.outputs import write_comparison
    from corridor.present.tables import comparison_printout

    reg, cfg, G = _load_for_scoring(region, settings, roads)
    chosen = _portfolios(reg, portfolios)
    if map_out is not None and len(chosen) < 2:
        raise UsageError("a comparison map needs two portfolios or more", value=len(chosen))
    scorer = _scorer(G, reg, cfg, cache_dir=None if no_cache else cache_dir)
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
    _show(comparison_printout(table, marks, results, base_year=reg.base_year, marginal=marginal))
    if out is not None:
        written = write_comparison(table, marks, results, out)
        _say("wrote " + ", ".join(str(p) for p in written))
    if map_out is not None:
        from corridor.paths.array_network import ArrayNetwork
        from corridor.present.maps import save_map

        if isinstance(G, ArrayNetwork):  # a map draws the roads: their graph is built for it
            _, _, G = _load(region, settings, roads)
        _say(f"wrote {save_map(_comparison_map(G, reg, cfg, results, metric=metric), map_out, offline=offline)}")


def _comparison_map(G: Any, reg: Any, cfg: Any, results: list[Any], *, metric: str | None) -> Any:
    """The map of the first portfolio beside the others, from their scores."""
    from corridor.present.briefing import scored_briefs, zone_differences
    from corridor.present.maps import comparison_map

    views = [b.view for b in scored_briefs(G, results, region=reg, settings=cfg)]
    return comparison_map(G, views, zone_differences(views), reg, metric=metric)


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
    offline: OfflineOpt = True,
    cache_dir: CacheDirOpt = Path(DEFAULT_CACHE_DIR),
    no_cache: NoCacheOpt = False,
) -> None:
    """Write a report of portfolios: report.html (opens without the internet), report.md, charts, maps, tables.

    With --appraise, each portfolio's NPV, BCR and EIRR, each project's BCR (in
    its table and on the maps) and every assumption; with --optimum, the
    optimiser's Pareto frontier.
    """
    from corridor.present.outputs import read_optimum
    from corridor.present.report import build_report

    if appraise and roads is not None:
        raise UsageError("the appraisal runs the transport model on the region's strategic roads: leave out --roads")
    pareto, pareto_value = read_optimum(optimum) if optimum is not None else (None, "value")
    reg, cfg, G = _load(region, settings, roads)
    chosen = _portfolios(reg, portfolios)
    if pareto is not None and optimum is not None:
        from corridor.inputs.project_files import load_catalog
        from corridor.present.outputs import check_optimum_projects

        try:
            catalog = set(load_catalog(reg.path))
        except CorridorError:  # a region without a catalog: the portfolios' projects alone
            catalog = set()
        known = catalog | {p.id for pf in chosen for p in pf.projects}
        check_optimum_projects(pareto, known, optimum)
    cache = _disk(cache_dir, no_cache)
    appraisals, rows = (
        _appraisals(G, reg, cfg, chosen, projects=True, workers=workers, cache=cache) if appraise else (None, [])
    )
    with _progress(f"scoring {len(chosen)} portfolios") as say:
        written = build_report(
            G,
            chosen,
            out,
            region=reg,
            settings=cfg,
            metric=metric,
            appraisals=appraisals,
            assumptions=rows,
            pareto=pareto,
            pareto_value=pareto_value,
            progress=say,
            offline=offline,
        )
    _say(f"wrote {written[0]} and {len(written) - 1} more files in {written[0].parent}")


def _appraisals(
    G: Any, reg: Any, cfg: Any, chosen: list[Any], *, projects: bool, workers: int, cache: Any, quiet: bool = False
) -> tuple[list[Any], list[dict[str, Any]]]:
    """The portfolios' appraisals, with a spinner that tells the model runs, and the assumptions they used."""
    from corridor.appraisal.appraise import appraise, assumptions
    from corridor.present.formats import count_text

    message = f"appraising {count_text(len(chosen), 'portfolio')}"
    with _progress(message, quiet=quiet, prefix="appraising: ") as say:
        done = appraise(
            G, chosen, region=reg, settings=cfg, projects=projects, workers=workers, progress=say, cache=cache
        )
    return done, assumptions(cfg)


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
    cache_dir: CacheDirOpt = Path(DEFAULT_CACHE_DIR),
    no_cache: NoCacheOpt = False,
) -> None:
    """Run the base-year model and set every published figure beside the model's; exit 1 when a target misses.

    Travel times and distances, port and airport volumes, road counts, rail
    boardings and Metro Manila's speeds: each with its tolerance, a pass mark
    and its source. Rows marked 'check' are shown for information.
    """
    from corridor.validate import (
        failed_targets,
        validation_payload,
        validation_printout,
        validation_table,
        write_validation,
    )

    reg, cfg, G = _load(region, settings)
    from corridor.access.modelled import model_runs

    with _progress("running the base-year model", quiet=as_json) as say:
        base, _, _ = model_runs(G, None, region=reg, settings=cfg, progress=say, cache=_disk(cache_dir, no_cache))
    table = validation_table(G, reg, cfg, base)
    if as_json:
        _echo_json(validation_payload(table, base))
    else:
        _show(validation_printout(table, base))
    if out is not None:
        from corridor.present.tables import assignment_line

        written = write_validation(table, out, notes=[assignment_line(base) + "."], provenance=base.provenance)
        _say("wrote " + ", ".join(str(p) for p in written), stderr=as_json)
    failed = failed_targets(table)
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
    cache_dir: CacheDirOpt = Path(DEFAULT_CACHE_DIR),
    no_cache: NoCacheOpt = False,
) -> None:
    """Daily vehicles by class on every road link and each gateway's yearly volume, from the model's assignment.

    The base year, or with a portfolio the scenario (the base year's
    calibration kept). Cars are in passenger-car units (jeepneys and buses
    included); trucks are container trucks.
    """
    from corridor.access.modelled import model_runs, throughput_notes
    from corridor.model.results import gateway_volumes, link_volumes
    from corridor.present.payloads import volumes_payload
    from corridor.present.tables import volume_printout

    reg, cfg, G = _load(region, settings)
    chosen = _portfolio(reg, portfolio, projects)
    with _progress("running the base-year model", quiet=as_json) as say:
        base, run, _ = model_runs(G, chosen, region=reg, settings=cfg, progress=say, cache=_disk(cache_dir, no_cache))
    notes = [] if chosen is None else throughput_notes(chosen, base, run)
    links = link_volumes(run)
    gateways = gateway_volumes(run)
    if out is not None:
        from corridor.present.outputs import write_link_volumes

        write_link_volumes(links, out)
    if as_json:
        payload = volumes_payload(links, gateways, run, scenario=None if chosen is None else chosen.name)
        _echo_json({**payload, "notes": notes})
    else:
        scope = "the base year" if chosen is None else chosen.name
        _show([*volume_printout(links, gateways, run, scope=scope, top=top), *notes])
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
    show_assumptions: Annotated[
        bool,
        typer.Option(
            "--assumptions",
            help="Also print every assumption (parameter, value, unit, source); --json and the --out files always "
            "hold them.",
        ),
    ] = False,
    region: RegionOpt = "luzon",
    settings: SettingsOpt = None,
    cache_dir: CacheDirOpt = Path(DEFAULT_CACHE_DIR),
    no_cache: NoCacheOpt = False,
) -> None:
    """Appraise portfolios in money: NPV, BCR and EIRR from the transport model, with every assumption used.

    Benefits by the rule of a half for persons, containers and air passengers
    in the base year and a forecast year; costs from the catalog in economic
    prices, spread over construction, with operation, maintenance and residual
    value; discounted at the settings' rate over their horizon.
    """
    from corridor.present.payloads import appraisal_payload
    from corridor.present.tables import appraisal_printout

    reg, cfg, G = _load(region, settings)
    chosen = _portfolios(reg, portfolios)
    cache = _disk(cache_dir, no_cache)
    done, rows = _appraisals(G, reg, cfg, chosen, projects=per_project, workers=workers, cache=cache, quiet=as_json)
    written: list[Path] = []
    if out is not None:
        from corridor.present.outputs import write_appraisal

        written = write_appraisal(done, rows, out)
    if as_json:
        if written:
            _say("wrote " + ", ".join(str(p) for p in written), stderr=True)
        _echo_json(appraisal_payload(done, rows))
        return
    _show(appraisal_printout(done, rows, assumptions_table=show_assumptions))  # the results first
    if written:
        _say("wrote " + ", ".join(str(p) for p in written))


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
    from corridor.present.payloads import without_timings
    from corridor.present.tables import tntp_lines

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
        _echo_json(without_timings(result))
        return
    _show(tntp_lines(result, tntp_net.name))
    if not result["converged"]:
        _say(f"the gap {gap:g} was not reached in {max_iter} iterations", stderr=True)
        raise typer.Exit(1)


def _ids(text: str | None, option: str = "--must") -> list[str]:
    """Ids of a comma-separated option; none when not given (given, it must name one)."""
    ids = [t.strip() for t in (text or "").split(",") if t.strip()]
    if text is not None and not ids:
        raise UsageError(f"{option} names no project; give ids separated by commas, or leave {option} out")
    return ids


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
    from corridor.present.outputs import write_optimisation
    from corridor.present.tables import optimisation_printout
    from corridor.search.optimiser import check_candidate_count, optimise

    if roads is not None and objective in ("npv", "npv_screening", "freight_cost"):
        raise UsageError(f"the {objective} objective needs {_MODEL_NEEDS_STRATEGIC_ROADS}")
    must_ids, exclude_ids = _ids(must), _ids(exclude, "--exclude")
    pool, _ = _candidates(_region_and_settings(region, settings)[0], candidates)
    check_candidate_count(len(pool))  # before the network is built
    reg, cfg, G = _load_for_scoring(region, settings, roads)
    scorer = _scorer(G, reg, cfg, cache_dir=None if no_cache else cache_dir)
    with _progress("searching", quiet=as_json, prefix="appraising each candidate on its own: ") as say:
        result = optimise(
            scorer,
            pool,
            budget_usd=budget,
            objective=objective,
            must=must_ids,
            exclude=exclude_ids,
            method=method,  # type: ignore[arg-type]
            pareto=pareto,
            workers=workers,
            scheduler=scheduler,
            progress=False if as_json else None,
            steps=say,
        )
    written = write_optimisation(result, out) if out is not None else []
    _print_result(result, optimisation_printout, as_json=as_json, written=written)


@app.command()
def sensitivity(
    portfolios: Annotated[list[Path], typer.Argument(help="Portfolio files (YAML) to rank.")],
    draws: Annotated[
        int, typer.Option("--draws", "-n", min=2, max=MAX_DRAWS, help="Draws of the uncertain inputs.")
    ] = 200,
    seed: Annotated[
        int, typer.Option("--seed", min=0, max=2**32 - 1, help="Seed of the draws: the same seed, the same answer.")
    ] = 0,
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
    cache_dir: CacheDirOpt = Path(DEFAULT_CACHE_DIR),
    no_cache: NoCacheOpt = False,
) -> None:
    """Rank portfolios and their projects under draws of speeds, decay, port handling, costs and delays."""
    from corridor.present.outputs import write_sensitivity
    from corridor.present.tables import sensitivity_printout
    from corridor.search.sensitivity import sensitivity as run_sensitivity

    reg, cfg = _region_and_settings(region, settings)
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
        cache=_disk(cache_dir, no_cache),
    )
    written = write_sensitivity(result, out) if out is not None else []
    _print_result(result, sensitivity_printout, as_json=as_json, written=written)


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
    from corridor.inputs.region import load_region
    from corridor.present.tables import catalog_notes, catalog_table

    reg = load_region(region)
    projects = list(load_catalog(reg.path).values())
    _show([catalog_table(projects), *catalog_notes(projects, base_year=reg.base_year)])


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


#: options that name a file or folder: an empty name would be read as the working folder
_PATH_OPTIONS = frozenset(
    {"--out", "-o", "--map", "--optimum", "--settings", "--candidates", "--roads", "--network", "--cache-dir"}
)


def _empty_path_option(args: list[str]) -> str | None:
    """The first option of :data:`_PATH_OPTIONS` given an empty name (``--out ''`` or ``--out=``), if any."""
    end = args.index("--") if "--" in args else len(args)
    for i, arg in enumerate(args[:end]):
        name, eq, value = arg.partition("=")
        if name in _PATH_OPTIONS and (
            (eq and not value.strip()) or (not eq and i + 1 < end and not args[i + 1].strip())
        ):
            return name
    return None


def _run(args: list[str]) -> int:
    empty = _empty_path_option(args)
    if empty is not None:
        _error_line(f"{empty} names no file or folder (an empty name); give one, such as {empty} results/")
        return 2
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
