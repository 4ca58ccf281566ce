"""The ``corridor`` command: thin commands over the library.

Bad input prints one line and exits with status 2; ``-v`` shows the
traceback.
"""

from __future__ import annotations

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
console = Console()
err_console = Console(stderr=True)


class ModeChoice(StrEnum):
    road = "road"
    rail = "rail"
    any = "any"


class _State:
    verbose: int = 0


STATE = _State()

RegionOpt = Annotated[
    str, typer.Option("--region", "-r", help="Bundled region name or a folder with a region.yaml.")
]
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
    level = (
        logging.ERROR
        if quiet
        else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    )
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def _load(region: str, settings_path: Path | None) -> tuple[Any, Any, Any]:
    from corridor.network import build_network
    from corridor.region import load_region
    from corridor.settings import load_settings

    settings = load_settings(settings_path)
    reg = load_region(region)
    return reg, settings, build_network(reg, settings)


@app.command()
def route(
    origin: Annotated[str, typer.Argument(metavar="FROM", help="Place id, place name, or 'lat,lon'.")],
    destination: Annotated[str, typer.Argument(metavar="TO", help="Place id, place name, or 'lat,lon'.")],
    mode: Annotated[
        ModeChoice, typer.Option("--mode", "-m", help="Travel by road, rail or any.")
    ] = ModeChoice.any,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    region: RegionOpt = "luzon",
    settings: SettingsOpt = None,
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
        from corridor.osm import graph_from_file

        cfg = load_settings(settings)
        with err_console.status(f"reading {network}", spinner="dots") if not as_json else _null():
            G = graph_from_file(network, cfg)
    else:
        _, cfg, G = _load(region, settings)
    places = PlaceIndex(G, snap_max_km=cfg.snap_max_km)
    trip = find_route(G, origin, destination, mode=mode.value, places=places)
    if as_json:
        typer.echo(json.dumps(trip.to_dict(), ensure_ascii=False))
        return
    console.print(f"[bold]{trip.origin.name}[/] → [bold]{trip.destination.name}[/] by {trip.mode}")
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


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


@app.command("map")
def map_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the HTML map.")] = Path(
        "maps/luzon_base.html"
    ),
    region: RegionOpt = "luzon",
    settings: SettingsOpt = None,
) -> None:
    """Write the interactive map of the base network (zones, gateways, roads, rail)."""
    from corridor.maps import base_map, save_map

    reg, _, G = _load(region, settings)
    path = save_map(base_map(G, reg), out)
    console.print(f"wrote {path}")


@app.command()
def info(region: RegionOpt = "luzon", settings: SettingsOpt = None) -> None:
    """Summarise a region and its base network."""
    reg, _, G = _load(region, settings)
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
    for _, d in sorted(
        G.nodes(data=True), key=lambda nd: (str(nd[1].get("kind")), str(nd[1].get("place_id")))
    ):
        if d.get("place_id") is None or (kind and d.get("kind") != kind):
            continue
        table.add_row(str(d["place_id"]), str(d["kind"]), str(d.get("name", "")))
    for gid, g in G.graph.get("gateway_groups", {}).items():
        if not kind or kind == "gateway_group":
            table.add_row(gid, "gateway_group", g["name"])
    console.print(table)


@app.command()
def fetch(
    place: Annotated[
        str, typer.Argument(help="A place name for the geocoder, e.g. 'Quezon City, Philippines'.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the network (.graphml).")],
    cache: Annotated[Path, typer.Option(help="Folder for cached Overpass responses.")] = Path(
        ".cache/overpass"
    ),
    settings: SettingsOpt = None,
) -> None:
    """Download a place's roads from OpenStreetMap (needs the internet) and save them as GraphML."""
    import osmnx as ox

    from corridor._io import atomic_path
    from corridor.osm import graph_from_place
    from corridor.settings import load_settings

    cfg = load_settings(settings)
    with err_console.status(f"downloading {place} from OpenStreetMap", spinner="dots"):
        G = graph_from_place(place, cfg, cache_dir=cache)
    for _, _, d in G.edges(data=True):
        d.pop("geometry", None)
    with atomic_path(out) as tmp:
        ox.save_graphml(G, tmp)
    console.print(f"wrote {out}: {G.number_of_nodes()} nodes, {G.number_of_edges()} edges")


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
