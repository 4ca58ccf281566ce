"""The ``corridor`` command: thin commands over the library.

Bad input prints one line and exits with status 2; ``-v`` shows the
traceback.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import traceback
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from corridor import __version__
from corridor.errors import CorridorError

app = typer.Typer(
    name="corridor",
    help="Plan the Luzon Economic Corridor: networks, routes and maps.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# wide tables stay readable when output goes to a file or a CI log
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


class ModeChoice(StrEnum):
    road = "road"
    rail = "rail"
    any = "any"


class _State:
    verbose: int = 0


STATE = _State()

RegionOpt = Annotated[str, typer.Option("--region", "-r", help="Bundled region name or a folder with a region.yaml.")]
SettingsOpt = Annotated[
    Path | None, typer.Option("--settings", "-s", help="Settings file (.toml or .yaml); defaults otherwise.")
]


def _version(value: bool) -> None:
    if value:
        console.print(f"corridor {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More output; tracebacks.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    STATE.verbose = verbose
    level = logging.ERROR if quiet else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


RoadsOpt = Annotated[
    Path | None,
    typer.Option(
        "--roads",
        help="Use a real road network (.npz from 'corridor fetch', .osm.pbf, .osm, .graphml) "
        "instead of the region's strategic roads.",
    ),
]


def _load(region: str, settings_path: Path | None, roads: Path | None = None) -> tuple[Any, Any, Any]:
    from corridor.network import build_network
    from corridor.region import load_region
    from corridor.settings import load_settings

    settings = load_settings(settings_path)
    reg = load_region(region)
    road_graph = None
    if roads is not None:
        from corridor.osm_arrays import load_roads

        with err_console.status(f"reading {roads}", spinner="dots"):
            road_graph = load_roads(roads, settings, bbox=reg.bbox)
    return reg, settings, build_network(reg, settings, roads=road_graph)


@app.command()
def route(
    origin: Annotated[str, typer.Argument(metavar="FROM", help="Place id, place name, or 'lat,lon'.")],
    destination: Annotated[str, typer.Argument(metavar="TO", help="Place id, place name, or 'lat,lon'.")],
    mode: Annotated[ModeChoice, typer.Option("--mode", "-m", help="Travel by road, rail or any.")] = ModeChoice.any,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    region: RegionOpt = "luzon",
    settings: SettingsOpt = None,
    portfolio: Annotated[
        Path | None, typer.Option("--portfolio", "-p", help="Route on the network with this portfolio built.")
    ] = None,
    projects: Annotated[
        str | None,
        typer.Option("--projects", help="Route with these catalog projects built (ids, comma-separated)."),
    ] = None,
    roads: RoadsOpt = None,
    network: Annotated[
        Path | None,
        typer.Option(
            "--network",
            help="Route on an OpenStreetMap file (.osm, .osm.bz2, .osm.pbf, .graphml) "
            "instead of the region; FROM and TO are then 'lat,lon'.",
        ),
    ] = None,
) -> None:
    """Print the fastest trip between two places: minutes, kilometres and legs."""
    from corridor.engine import route as find_route
    from corridor.network import PlaceIndex
    from corridor.settings import load_settings

    if network is not None:
        from corridor.osm_arrays import load_roads

        cfg = load_settings(settings)
        with err_console.status(f"reading {network}", spinner="dots") if not as_json else contextlib.nullcontext():
            G = load_roads(network, cfg)
    else:
        reg, cfg, G = _load(region, settings, roads)
        chosen = _portfolio(reg, portfolio, projects)
        if chosen is not None:
            from corridor.scenario import apply_portfolio

            G = apply_portfolio(G, chosen, settings=cfg, region=reg).G
    places = PlaceIndex(G, snap_max_km=cfg.snap_max_km)
    trip = find_route(G, origin, destination, mode=mode.value, places=places)
    if as_json:
        typer.echo(json.dumps(trip.to_dict(), ensure_ascii=False))
        return
    scenario = G.graph.get("scenario")
    on = f" with {scenario}" if scenario else ""
    console.print(f"[bold]{trip.origin.name}[/] → [bold]{trip.destination.name}[/] by {trip.mode}{on}")
    console.print(f"{trip.minutes:.0f} min, {trip.km:.1f} km")
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("mode")
    table.add_column("via")
    table.add_column("min", justify="right")
    table.add_column("km", justify="right")
    for leg in trip.legs:
        wait = f" (wait {leg.wait_minutes:.0f})" if leg.wait_minutes >= 0.5 else ""
        table.add_row(leg.mode, leg.name, f"{leg.minutes:.1f}{wait}", f"{leg.km:.1f}")
    console.print(table)


def _portfolio(reg: Any, portfolio: Path | None, projects: str | None) -> Any:
    """The portfolio a command was given: a file, catalog ids, or none."""
    from corridor.errors import PortfolioError
    from corridor.projects import load_catalog, load_portfolio, portfolio_from_ids

    if portfolio is not None and projects is not None:
        raise PortfolioError("give --portfolio or --projects, not both")
    if portfolio is not None:
        return load_portfolio(portfolio, catalog_path=reg.path / "projects.yaml")
    if projects is not None:
        ids = [p.strip() for p in projects.split(",") if p.strip()]
        return portfolio_from_ids(ids, load_catalog(reg.path))
    return None


@app.command("map")
def map_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the HTML map.")] = Path(
        "maps/luzon_base.html"
    ),
    region: RegionOpt = "luzon",
    settings: SettingsOpt = None,
    roads: RoadsOpt = None,
    portfolio: Annotated[
        Path | None, typer.Option("--portfolio", "-p", help="Draw the network with this portfolio built.")
    ] = None,
    projects: Annotated[
        str | None, typer.Option("--projects", help="Draw the network with these catalog projects built.")
    ] = None,
) -> None:
    """Write the interactive map of the network (zones, gateways, roads, rail), base or with projects built."""
    from corridor.maps import base_map, save_map

    reg, cfg, G = _load(region, settings, roads)
    chosen = _portfolio(reg, portfolio, projects)
    title = None
    if chosen is not None:
        from corridor.scenario import apply_portfolio

        G = apply_portfolio(G, chosen, settings=cfg, region=reg).G
        title = f"{reg.title}: {reg.base_year} network with {chosen.name}"
    path = save_map(base_map(G, reg, title=title), out)
    console.print(f"wrote {path}")


@app.command()
def info(region: RegionOpt = "luzon", settings: SettingsOpt = None, roads: RoadsOpt = None) -> None:
    """Summarise a region and its base network."""
    reg, _, G = _load(region, settings, roads)
    table = Table(title=f"{reg.title} ({reg.name} {reg.version}, base year {reg.base_year})")
    table.add_column("layer")
    table.add_column("count", justify="right")
    table.add_column("detail")
    by_region = reg.zones.groupby("region").population_2020.sum()
    table.add_row(
        "zones",
        str(len(reg.zones)),
        "; ".join(f"{k} {v:,}" for k, v in by_region.items()) + " (2020 population)",
    )
    table.add_row(
        "gateways",
        str(len(reg.gateways)),
        ", ".join(f"{t} {n}" for t, n in reg.gateways["type"].value_counts().sort_index().items()),
    )
    table.add_row("economic zones", str(len(reg.economic_zones)), "")
    operating = reg.road_links[reg.road_links.status == "operating"]
    table.add_row(
        "road links",
        str(len(reg.road_links)),
        f"{operating.length_m.sum() / 1000:,.0f} km operating in {reg.base_year}",
    )
    table.add_row(
        "rail stations",
        str(len(reg.rail_stations)),
        ", ".join(f"{r['name']} ({r.status})" for _, r in reg.rail_lines.iterrows()),
    )
    table.add_row("graph", f"{G.number_of_nodes()} nodes", f"{G.number_of_edges()} edges")
    console.print(table)


@app.command()
def places(
    kind: Annotated[
        str | None, typer.Option(help="Only this kind: zone, gateway, economic_zone, station, junction.")
    ] = None,
    region: RegionOpt = "luzon",
) -> None:
    """List the places that route accepts, with their ids."""
    _, _, G = _load(region, None)
    table = Table(show_header=True, header_style="bold", box=None)
    table.add_column("id")
    table.add_column("kind")
    table.add_column("name")
    for _, d in sorted(G.nodes(data=True), key=lambda nd: (str(nd[1].get("kind")), str(nd[1].get("place_id")))):
        if d.get("place_id") is None or (kind and d.get("kind") != kind):
            continue
        table.add_row(str(d["place_id"]), str(d["kind"]), str(d.get("name", "")))
    for gid, g in G.graph.get("gateway_groups", {}).items():
        if not kind or kind == "gateway_group":
            table.add_row(gid, "gateway_group", g["name"])
    console.print(table)


@app.command()
def fetch(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output: .npz for --region, .graphml for --place.")],
    region: Annotated[str | None, typer.Option("--region", "-r", help="The roads of a region's box.")] = None,
    place: Annotated[str | None, typer.Option("--place", help="A place through Overpass.")] = None,
    url: Annotated[str | None, typer.Option(help="The .osm.pbf to cut the region from.")] = None,
    cache: Annotated[Path, typer.Option(help="Folder for downloads and Overpass responses.")] = Path(".cache/osm"),
    settings: SettingsOpt = None,
) -> None:
    """Download real roads from OpenStreetMap (needs the internet); use them with --roads."""
    from corridor.errors import OSMError
    from corridor.settings import load_settings

    cfg = load_settings(settings)
    if (region is None) == (place is None):
        raise OSMError("give --region NAME (an extract cut to the region) or --place NAME (Overpass), not both")
    if region is not None:
        from corridor.osm_arrays import PHILIPPINES_PBF_URL, fetch_region_roads
        from corridor.region import load_region

        reg = load_region(region)
        arrays = fetch_region_roads(reg, out, url=url or PHILIPPINES_PBF_URL, cache_dir=cache, settings=cfg)
        console.print(f"wrote {out}: {arrays.n_nodes:,} junctions, {arrays.n_arcs:,} road arcs")
        return
    import osmnx as ox

    from corridor._io import atomic_path
    from corridor.osm import graph_from_place

    with err_console.status(f"downloading {place} from OpenStreetMap", spinner="dots"):
        G = graph_from_place(str(place), cfg, cache_dir=cache / "overpass")
    for _, _, d in G.edges(data=True):
        d.pop("geometry", None)
    with atomic_path(out) as tmp:
        ox.save_graphml(G, tmp)
    console.print(f"wrote {out}: {G.number_of_nodes()} nodes, {G.number_of_edges()} edges")


def _fmt(value: float, column: str) -> str:
    if value != value or value in (float("inf"), float("-inf")):  # nan or inf
        return "n/a"
    if column == "cost_usd_bn":
        return f"{value:,.2f}"
    return f"{value:+,.2f}"


HEADLINE_TITLES = {
    "cost_usd_bn": "cost (USD bn)",
    "d_to_seaport_min": "Δ to seaport (min)",
    "d_to_airport_min": "Δ to airport (min)",
    "d_door_to_ship_h": "Δ door-to-ship (h)",
    "d_pop_90min_port_m": "Δ pop ≤90 min of port (M)",
    "d_market_access_pop_pct": "Δ market access pop (%)",
    "d_market_access_jobs_pct": "Δ market access jobs (%)",
    "d_gateway_od_min": "Δ gateway OD (min)",
}


def _headline_table(frame: Any, title: str, marks: dict[str, Any] | None = None) -> Table:
    table = Table(title=title, header_style="bold", box=None, pad_edge=False)
    table.add_column(frame.index.name or "")
    for column in frame.columns:
        table.add_column(HEADLINE_TITLES.get(column, column), justify="right")
    for label, row in frame.iterrows():
        cells = []
        for column in frame.columns:
            value = row[column]
            text = _fmt(value, column) if isinstance(value, float) else str(value)
            if marks and marks.get(column) == label:
                text = f"[bold green]{text} ★[/]"
            cells.append(text)
        table.add_row(str(label), *cells)
    return table


@app.command()
def score(
    portfolio: Annotated[Path, typer.Argument(help="A portfolio file (YAML).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    marginal: Annotated[bool, typer.Option(help="Also score the portfolio without each project.")] = True,
    region: RegionOpt = "luzon",
    settings: SettingsOpt = None,
    roads: RoadsOpt = None,
) -> None:
    """Print a portfolio's cost and its gains over the base network."""
    from corridor.portfolio import score as score_portfolio

    reg, cfg, G = _load(region, settings, roads)
    chosen = _portfolio(reg, portfolio, None)
    result = score_portfolio(G, chosen, settings=cfg, region=reg, marginal=marginal)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, default=str))
        return
    import pandas as pd

    budget = f", budget USD {chosen.budget_usd / 1e9:,.2f} bn" if chosen.budget_usd else ""
    over = " [bold red](over budget)[/]" if chosen.budget_usd and chosen.cost_usd > chosen.budget_usd else ""
    console.print(
        f"[bold]{chosen.name}[/]: {len(chosen.projects)} projects, USD {chosen.cost_usd / 1e9:,.2f} bn{budget}{over}"
    )
    head = pd.DataFrame([result.headline()], index=pd.Index([chosen.name], name="portfolio"))
    console.print(_headline_table(head, "gains over the base network (negative minutes are faster)"))
    if result.marginal is not None:
        console.print(
            _headline_table(
                result.marginal.drop(columns="name"),
                "marginal contribution: the gain lost without each project",
            )
        )
    if len(result.scenario.unreachable):
        console.print(f"[yellow]{len(result.scenario.unreachable)} unreachable pairs[/] (see --json)")


@app.command()
def compare(
    portfolios: Annotated[list[Path], typer.Argument(help="Portfolio files (YAML).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder for compare.csv and compare.md.")] = None,
    marginal: Annotated[bool, typer.Option(help="Also show each project's marginal contribution.")] = True,
    region: RegionOpt = "luzon",
    settings: SettingsOpt = None,
    roads: RoadsOpt = None,
) -> None:
    """Compare portfolios: one row each, gains and cost as columns, the best per column marked."""
    from corridor.portfolio import best_marks
    from corridor.portfolio import compare as compare_portfolios

    reg, cfg, G = _load(region, settings, roads)
    chosen = [_portfolio(reg, p, None) for p in portfolios]
    names = [p.name for p in chosen]
    if len(set(names)) != len(names):
        from corridor.errors import PortfolioError

        raise PortfolioError(f"two portfolios have the same name ({', '.join(names)}); names label the rows")
    table, results = compare_portfolios(G, chosen, settings=cfg, region=reg, marginal=marginal)
    marks = best_marks(table)
    console.print(_headline_table(table, "portfolios against the 2025 base (★ best per column)", marks))
    if marginal:
        for result in results:
            if result.marginal is not None:
                console.print(
                    _headline_table(
                        result.marginal.drop(columns="name"),
                        f"{result.portfolio.name}: marginal contribution of each project",
                    )
                )
    if out is not None:
        written = _write_compare(table, marks, results, out)
        console.print("wrote " + ", ".join(str(p) for p in written))


def _write_compare(table: Any, marks: dict[str, Any], results: list[Any], out: Path) -> list[Path]:
    from corridor._io import atomic_path

    out.mkdir(parents=True, exist_ok=True)
    csv_path, md_path, prov_path = out / "compare.csv", out / "compare.md", out / "compare.provenance.json"
    with atomic_path(csv_path) as tmp:
        table.to_csv(tmp, float_format="%.4f")
    lines = [
        "| portfolio | " + " | ".join(HEADLINE_TITLES.get(c, c) for c in table.columns) + " |",
        "|---|" + "---:|" * len(table.columns),
    ]
    for label, row in table.iterrows():
        cells = []
        for column in table.columns:
            text = _fmt(row[column], column)
            cells.append(f"**{text}** ★" if marks.get(column) == label else text)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("★ best per column. Changes are scenario minus the 2025 base; negative minutes are faster.")
    for result in results:
        if result.marginal is None:
            continue
        m = result.marginal.drop(columns="name")
        lines += [
            "",
            f"### {result.portfolio.name}: marginal contribution of each project",
            "",
            "| project | " + " | ".join(HEADLINE_TITLES.get(c, c) for c in m.columns) + " |",
            "|---|" + "---:|" * len(m.columns),
        ]
        for label, row in m.iterrows():
            lines.append(f"| {label} | " + " | ".join(_fmt(row[c], c) for c in m.columns) + " |")
    with atomic_path(md_path) as tmp:
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    provenance = {r.portfolio.name: r.provenance for r in results}
    with atomic_path(prov_path) as tmp:
        tmp.write_text(json.dumps(provenance, indent=2, default=str), encoding="utf-8")
    return [csv_path, md_path, prov_path]


@app.command()
def schema(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder for the two .schema.json files.")] = None,
) -> None:
    """Export the JSON Schemas of project and portfolio files, for editors."""
    from corridor._io import atomic_path
    from corridor.projects import json_schemas

    schemas = json_schemas()
    if out is None:
        typer.echo(json.dumps(schemas, indent=2))
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, body in schemas.items():
        path = out / f"{name}.schema.json"
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(body, indent=2), encoding="utf-8")
        console.print(f"wrote {path}")


@app.command("projects")
def projects_cmd(region: RegionOpt = "luzon") -> None:
    """List the catalog's projects: id, category, status, opening year, cost."""
    from corridor.projects import load_catalog
    from corridor.region import region_path

    catalog = load_catalog(region_path(region))
    table = Table(header_style="bold", box=None, pad_edge=False)
    for column in ("id", "category", "status", "opens", "USD bn", "name"):
        table.add_column(column, justify="right" if column in {"opens", "USD bn"} else "left")
    for p in catalog.values():
        table.add_row(p.id, p.category, p.status, str(p.opening_year), f"{p.cost_usd / 1e9:,.2f}", p.name)
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status (2 on bad input)."""
    args = sys.argv[1:] if argv is None else argv
    try:
        app(args=args, standalone_mode=True)
    except CorridorError as exc:
        if STATE.verbose:
            traceback.print_exc()
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 2
    except SystemExit as exc:  # click's own exit, usage errors included (status 2)
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
