"""Model settings: speeds, congestion, access and transfer times, appraisal.

:class:`Settings` is frozen and refuses unknown keys. Make a variant with
:meth:`Settings.replace` (or ``model_copy(update=...)``); load one from a TOML
or YAML file with :func:`load_settings`.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from corridor.checks import accepted_fields, closest_hint, key_error, line_at, no_bool_for_number, pydantic_problem
from corridor.errors import SettingsError
from corridor.files import LineLoader, load_yaml, read_text, strip_lines

__all__ = [
    "DEFAULT_SPEEDS_KPH",
    "CATEGORIES",
    "ROAD_CLASSES",
    "AirSettings",
    "AssignmentSettings",
    "DemandSettings",
    "FreightSettings",
    "Settings",
    "load_settings",
    "parameters",
]

#: Average operating speeds by link class (km/h), before congestion. Road
#: classes cover the bundled region's classes and OpenStreetMap's ``highway``
#: values, so OSM networks share one table. Expressways: 100 km/h limit
#: (LUZON_FACTS S65), 80 km/h operating average calibrated against the
#: published corridor travel times (data/luzon/calibration.csv).
DEFAULT_SPEEDS_KPH: dict[str, float] = {
    "expressway": 80.0,
    "motorway": 80.0,
    "motorway_link": 45.0,
    "trunk": 45.0,
    "trunk_link": 35.0,
    "primary": 40.0,
    "primary_link": 30.0,
    "secondary": 32.0,
    "secondary_link": 25.0,
    "tertiary": 28.0,
    "tertiary_link": 22.0,
    "unclassified": 25.0,
    "residential": 20.0,
    "living_street": 10.0,
    "service": 15.0,
    "road": 25.0,
}

#: The road classes that tables by class (speeds, congestion, lane capacities, ...) accept.
ROAD_CLASSES: tuple[str, ...] = tuple(DEFAULT_SPEEDS_KPH)
#: the categories of projects (a project file's ``category``; tables of settings keyed by category)
CATEGORIES = ("rail", "road", "bridge", "port", "airport", "logistics", "energy", "industry", "agriculture")


def _known_keys(value: dict[Any, Any], known: Sequence[str], what: str, *, keys: Sequence[str] = ()) -> None:
    """Refuse a key of a table that is not one of ``known`` (a typing error would be silently unused)."""
    for key in value:
        if key not in known:
            raise key_error(
                f"unknown {what}{closest_hint(str(key), known)}", keys=[*keys, key], value=key, allowed=known
            )


def _class_table(value: dict[Any, Any]) -> dict[Any, Any]:
    _known_keys(value, [*ROAD_CLASSES, "default"], "road class")
    return value


#: Speed multipliers by congestion area and road class, for the fast accessibility times: the base
#: year's assigned speeds over the class speeds, length-weighted (corridor validate shows both):
#: Metro Manila's roads run at 57% of their class speed, its expressways at 95-99%.
DEFAULT_CONGESTION_FACTORS: dict[str, dict[str, float]] = {
    "metro_manila": {"expressway": 0.95, "default": 0.57},
}


def _p(default: Any, source: str, unit: str = "", **constraints: Any) -> Any:
    """A model parameter: its default, the source of its value (or the word assumption) and its unit."""
    return Field(default, description=unit, json_schema_extra={"source": source}, **constraints)


class _Group(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_number(cls, value: Any, info: ValidationInfo) -> Any:
        return no_bool_for_number(cls, info.field_name, value)

    @model_validator(mode="before")
    @classmethod
    def _tables_over_defaults(cls, data: Any) -> Any:
        """A partial table (lane capacities by class, ...) changes only the keys it names."""
        if isinstance(data, dict):
            for name, info in cls.model_fields.items():
                if isinstance(data.get(name), dict) and isinstance(info.default, dict):
                    data = {**data, name: {**info.default, **data[name]}}
        return data


class DemandSettings(_Group):
    """Person travel: trips, their distribution, the choice between road and rail, vehicles."""

    trip_rate_per_day: float = _p(
        1.5,
        "assumption: motorised trips a person a day, a norm of Asian megacities (MUCEP 2014 figures not read)",
        "trips/person/day",
        gt=0,
        le=10,
    )
    mean_trip_km: float = _p(
        12.0,
        "calibrated: the mean length of a motorised trip that leaves its zone, to which the gravity model's "
        "cost function is fitted on the uncongested network; set so the EDSA and CAVITEX counts are met "
        "(corridor validate), within the range of the literature (about 9 km in Metro Manila, 20 km for trips "
        "with an end outside it: an assumption, MUCEP figures not read)",
        "km",
        gt=0,
        le=300,
    )
    intrazonal_speed_kph: float = _p(
        15.0, "assumption: a trip within its own zone, about half the zone's radius on local streets", "km/h", ge=1
    )
    value_of_time_pt_php_per_h: float = _p(
        165.0,
        "MMUTIS PHP 60/h (1999 prices, LUZON_FACTS S97) times the PSA CPI's 2.75 rise from 1999 to 2024 (derived)",
        "PHP/h",
        gt=0,
    )
    car_cost_php_per_km: float = _p(
        9.0, "assumption: fuel (about 12 km/L at PHP 62/L) plus tyres, maintenance and depreciation", "PHP/km", ge=0
    )
    pt_fare_base_php: float = _p(13.0, "LTFRB jeepney minimum fare from October 2023, first 4 km", "PHP", ge=0)
    pt_fare_php_per_km: float = _p(
        1.80, "LTFRB traditional jeepney rate per km beyond 4 km (2022, unchanged)", "PHP/km", ge=0
    )
    rail_fare_base_php: float = _p(13.29, "LRT-1 and LRT-2 boarding fare from August 2023 (DOTr)", "PHP", ge=0)
    rail_fare_php_per_km: float = _p(1.21, "LRT-1 and LRT-2 fare per km from August 2023 (DOTr)", "PHP/km", ge=0)
    road_pt_share: float = _p(
        0.75,
        "MMUTIS 78% of daily trips by public transport (LUZON research: JICA 1999); PIDS 80%, jeepneys 40%",
        "share",
        ge=0,
        le=1,
    )
    mode_choice_scale_per_php: float = _p(
        1 / 120.0,
        "assumption: a difference in generalized cost of PHP 120 (about 45 minutes of a commuter's time) "
        "changes the odds of rail against road by a factor e",
        "1/PHP",
        gt=0,
    )
    rail_boardings_per_trip: float = _p(
        1.15, "assumption: rail trips that change lines board twice", "boardings/trip", ge=1, le=3
    )
    pcu_per_road_trip: float = _p(
        0.30,
        "assumption, from road trips shared 25% car (1.5 persons, 1 PCU), 12% motorcycle (1.2, 0.5), 45% jeepney "
        "(12, 1.5), 18% bus (40, 2.0); PCU factors DPWH Highway Planning Manual (DILG Local Road Management "
        "Manual Table 3.9)",
        "PCU/person trip",
        gt=0,
        le=2,
    )
    vehicles_per_road_trip: float = _p(
        0.33, "assumption, the same road trip shares and occupancies as pcu_per_road_trip", "vehicles/person trip", gt=0
    )
    peak_hour_share: float = _p(
        0.045,
        "calibrated: the share of a day's traffic in the modelled hour. Metro Manila's arterials run near "
        "capacity from early morning to late evening (EDSA's 425,890 vehicles a day, LUZON_FACTS S87, are "
        "17,700 an hour around the clock, at 23-25 km/h), so the modelled hour is a busy hour of a long "
        "day, not a short peak's (textbook K-factors of 8-12% describe roads with a peak)",
        "share",
        gt=0,
        le=1,
    )


class FreightSettings(_Group):
    """Containers: their generation, the choice of port and of road or rail, and trucks."""

    industry_share: dict[str, float] = _p(
        {"NCR": 0.15, "III": 0.22, "IV-A": 0.30},
        "assumption: industry's share of employment by region (national 17.2%, PSA January 2025)",
        "share",
    )
    economic_zone_weight: float = _p(
        3.0,
        "assumption: a job in an economic zone (export processing) ships three times the containers of an "
        "industry job elsewhere",
        "",
        ge=0,
    )
    teu_per_truck: float = _p(
        1.6, "assumption: 60% 40-foot boxes; ATI's published truck trips imply about 2 TEU a truck", "TEU/truck", gt=0
    )
    empty_truck_share: float = _p(
        0.45,
        "assumption: imports and exports balance nationally (PPA 2023) but boxes rarely meet a return load",
        "",
        ge=0,
        lt=1,
    )
    truck_pcu: float = _p(
        2.5,
        "DPWH Highway Planning Manual: 2.5 PCU for a semi-trailer (DILG Local Road Management Manual Table 3.9)",
        "PCU",
        gt=0,
    )
    payload_t_per_teu: float = _p(10.0, "assumption: 12 t in a 20-foot box, 20 t in a 40-foot box", "t/TEU", gt=0)
    road_usd_per_tkm: float = _p(
        0.097, "LUZON_FACTS S67: 9.7 US cents per ton-km (Luzon survey of 36 firms)", "USD/t-km", gt=0
    )
    rail_discount: float = _p(
        0.30, "LUZON_FACTS S94: rail about 30% cheaper than road (DOTr); S68: 25-50% (BCDA)", "share", ge=0, lt=1
    )
    lift_php_per_teu: float = _p(
        1400.0,
        "assumption: one lift at a rail terminal, priced at PPA's handling of an empty 20-foot box (AO 12-2020)",
        "PHP/TEU",
        ge=0,
    )
    truck_vot_php_per_h: float = _p(
        400.0,
        "assumption: a truck and its crew an hour (no published freight value of time, LUZON_FACTS)",
        "PHP/h",
        gt=0,
    )
    cargo_vot_php_per_teu_h: float = _p(20.0, "assumption: inventory cost of a loaded box an hour", "PHP/TEU/h", gt=0)
    choice_scale_per_php: float = _p(
        1 / 3000.0,
        "assumption: a cost difference of PHP 3,000 a box changes the odds between two ports or modes by e",
        "1/PHP",
        gt=0,
    )
    truck_peak_share: float = _p(
        0.04,
        "assumption: the truck ban (6-10 h and 17-22 h in Metro Manila, LUZON_FACTS S93) keeps most container "
        "trucks out of the morning peak",
        "share",
        ge=0,
        le=1,
    )
    truck_speed_limit_kph: dict[str, float] = _p(
        {"expressway": 80.0, "default": 50.0},
        "LUZON_FACTS S91 (trucks 80 km/h on NLEX, SLEX, CAVITEX, Skyway, STAR, MCX) and S65 (50 km/h on open "
        "country roads)",
        "km/h",
    )
    port_delay_alpha: float = _p(0.15, "assumption: BPR form for a terminal's dwell against its utilisation", "", ge=0)
    port_delay_beta: float = _p(4.0, "assumption: BPR form for a terminal's dwell against its utilisation", "", ge=1)

    _by_class = field_validator("truck_speed_limit_kph")(_class_table)

    @field_validator("industry_share")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        for key, share in value.items():
            if not 0 <= share <= 1:
                raise key_error(f"{share} is not a share", keys=[key], value=share, allowed="0 to 1")
        return value

    @property
    def haul_time_php_per_teu_h(self) -> float:
        """What an hour on the road costs a box: its share of the truck crew's time and the cargo's own."""
        return self.truck_vot_php_per_h / self.teu_per_truck + self.cargo_vot_php_per_teu_h


class AirSettings(_Group):
    """Air passengers: generation, the choice of airport, and capacity."""

    value_of_time_php_per_h: float = _p(
        250.0, "assumption: air travellers' time, above a car commuter's", "PHP/h", gt=0
    )
    operating_hours_per_day: float = _p(18.0, "assumption: hours a day that runways work at capacity", "h", gt=0, le=24)
    choice_scale_per_php: float = _p(
        1 / 400.0,
        "assumption: a cost difference of PHP 400 a passenger changes the odds between airports by e",
        "1/PHP",
        gt=0,
    )
    persons_per_car: float = _p(1.5, "assumption: passengers and companions a car on an airport trip", "", gt=0)
    delay_alpha: float = _p(0.15, "assumption: BPR form for processing against terminal and runway use", "", ge=0)
    delay_beta: float = _p(4.0, "assumption: BPR form for processing against terminal and runway use", "", ge=1)


class AppraisalSettings(_Group):
    """Money: what a portfolio's effects are worth, what it costs, and over which years."""

    price_year: int = _p(
        2024,
        "the year of the model's values of time (public transport at 2024 prices) and of the calibration's volumes",
        "year",
        ge=1990,
        le=2100,
    )
    screening_start_year: int = _p(
        2030,
        "assumption: the fast screening of the optimiser's npv objective counts every portfolio's benefits from "
        "this year (most of the catalog opens by then), so that no project can lower the benefits and the "
        "search's bounds hold; corridor appraise times each project's benefits by its own opening",
        "year",
        ge=1990,
        le=2100,
    )
    days_per_year: float = _p(
        300.0,
        "assumption: a year's person trips as 300 weekdays' worth (weekends and holidays carry fewer)",
        "days",
        gt=0,
        le=366,
    )
    forecast_years: int = _p(
        10,
        "assumption: the second modelled year, this many years after the base year; benefits are "
        "interpolated between the two modelled years and traffic is held at the second's level after it (no "
        "traffic growth beyond the last modelled year, as appraisal guidance commonly asks; values of time "
        "still grow, value_of_time_growth_pct)",
        "years",
        ge=1,
        le=50,
    )
    growth_persons_pct: float = _p(
        3.5,
        "assumption from observed growth in 2024: NLEX traffic +4-5%, SLEX +2%, Skyway +1%, MRT-3 riders +5.3%, "
        "LRT-2 +7.8% (TRB, DOTr via the press); GDP +5.7% (PSA)",
        "%/yr",
        ge=-10,
        le=20,
    )
    growth_containers_pct: float = _p(
        5.0,
        "assumption from LUZON_FACTS S75: MICT 2.76 to 2.95 M TEU (+6.9%) and South Harbor 1.21 to 1.29 M "
        "(+6.6%) from 2023 to 2024; taken below the last year's rise",
        "%/yr",
        ge=-10,
        le=20,
    )
    growth_air_passengers_pct: float = _p(
        4.0,
        "LUZON_FACTS S81, S82: NAIA 50.1 M passengers in 2024, 52.0 M in 2025 (+3.8%)",
        "%/yr",
        ge=-10,
        le=20,
    )
    value_of_time_growth_pct: float = _p(
        3.0,
        "assumption: values of time grow with real income per head (GDP +5.7% in 2024, PSA; population about "
        "+1.5%) at an elasticity of about 0.8; applied to persons' and air passengers' benefits, not freight's",
        "%/yr",
        ge=0,
        le=10,
    )
    tax_share_of_cost: float = _p(
        0.15,
        "LUZON_FACTS S98: NEDA's practice removes a 15% tax component from financial costs (economic prices)",
        "share",
        ge=0,
        lt=1,
    )
    construction_years: dict[str, int] = _p(
        {"rail": 6, "road": 4, "bridge": 6, "port": 3, "airport": 4, "agriculture": 2, "industry": 3, "default": 4},
        "assumption: capital spent evenly over these years before opening; rail 6, expressway 4, bridge 6 from "
        "observed Philippine durations (MRT-7 2016-2027, NSCR 2019-2032, SLEX TR4 2019-2026); ports, airports, "
        "agriculture and industry assumed",
        "years",
    )
    om_share_per_year: dict[str, float] = _p(
        {"rail": 0.025, "road": 0.016, "bridge": 0.01, "port": 0.02, "airport": 0.02, "default": 0.015},
        "assumption: operation and maintenance a year as a share of capital; rail 2.5%; road 1% routine plus "
        "an overlay of 5% every 8 years (about 1.6%); others assumed",
        "share/yr",
    )
    asset_life_years: dict[str, float] = _p(
        {"rail": 40.0, "road": 50.0, "bridge": 75.0, "port": 40.0, "airport": 40.0, "default": 40.0},
        "assumption: straight-line residual value at the end of the horizon; civil works 50 years, systems 25 "
        "(rail's mix about 40), bridges 75",
        "years",
    )
    us_cpi: dict[int, float] = _p(
        {
            2010: 218.056,
            2011: 224.939,
            2012: 229.594,
            2013: 232.957,
            2014: 236.736,
            2015: 237.017,
            2016: 240.007,
            2017: 245.120,
            2018: 251.107,
            2019: 255.657,
            2020: 258.811,
            2021: 270.970,
            2022: 292.655,
            2023: 304.702,
            2024: 313.689,
        },
        "US Bureau of Labor Statistics, CPI-U, U.S. city average, all items, annual averages (1982-84=100): "
        "re-bases each project's USD cost from its price year to price_year; a later price year is kept as it is",
        "index",
    )

    @field_validator("us_cpi")
    @classmethod
    def _indices(cls, value: dict[int, float]) -> dict[int, float]:
        for year, index in value.items():
            if not 0 < index < 1e6:
                raise key_error(f"{index} is not a price index", keys=[year], value=index, allowed="more than 0")
        return value

    @field_validator("construction_years", "om_share_per_year", "asset_life_years")
    @classmethod
    def _has_default(cls, value: dict[str, Any]) -> dict[str, Any]:
        _known_keys(value, [*CATEGORIES, "default"], "project category")
        if "default" not in value:
            raise ValueError("needs a 'default' entry for the categories it does not name")
        for key, number in value.items():
            if not 0 <= float(number) <= 200:
                raise key_error(f"{number} is out of range", keys=[key], value=number, allowed="0 to 200")
        return value

    def by_category(self, table: str, category: str) -> Any:
        """A value of one of the tables by project category (the table's default for another)."""
        values = getattr(self, table)
        return values.get(category, values["default"])


class AssignmentSettings(_Group):
    """The peak-hour road assignment: capacities, delay functions, convergence."""

    lane_capacity_pcu_h: dict[str, float] = _p(
        {
            "expressway": 2000.0,
            "trunk": 2000.0,
            "primary": 1400.0,
            "secondary": 1200.0,
            "tertiary": 1000.0,
            "default": 900.0,
        },
        "assumption: HCM-type norm of 2,000 a lane on expressways and the grade-separated trunk roads (EDSA "
        "carries 17,700 vehicles an hour on five lanes a direction, S87); DPWH basic capacity 2,400 PCU/h "
        "both ways for a 6.6-7.3 m two-lane road (1,200 a lane), more on multilane roads",
        "PCU/h/lane",
    )
    area_capacity_factor: dict[str, float] = _p(
        {"metro_manila": 0.9},
        "assumption: side friction (jeepney stops, signals, parking) in Metro Manila cuts a lane's capacity",
        "share",
    )
    urban_free_flow_factor: dict[str, float] = _p(
        {"metro_manila": 0.65},
        "calibrated: in a congestion area, signals, jeepney stops and crossings slow every road but the "
        "expressways even without traffic; set so the area's mean assigned speed meets TomTom's 22 km/h "
        "(LUZON_FACTS S49, corridor validate)",
        "share",
    )
    default_lanes: dict[str, int] = _p(
        {"expressway": 4, "trunk": 4, "primary": 2, "secondary": 2, "tertiary": 2, "default": 2},
        "assumption: both directions, where the pack gives no lanes",
        "lanes",
    )
    bpr_alpha: dict[str, float] = _p(
        {"expressway": 0.15, "default": 0.8},
        "assumption: the standard 0.15 on expressways; urban and national roads degrade faster (signals, friction)",
        "",
    )
    bpr_beta: dict[str, float] = _p({"expressway": 4.0, "default": 4.0}, "assumption: the standard BPR exponent", "")
    toll_php_per_km: dict[str, float] = _p(
        {"expressway": 3.5, "default": 0.0},
        "toll for a car a km: SLEX PHP 2.73/km in 2010 plus later increases; NLEX about PHP 408 end to end "
        "(84 km) in 2025 (TRB increments, research notes); a single rate for every expressway is an assumption",
        "PHP/km",
    )
    gap: float = _p(1e-4, "the target relative gap of the equilibrium", "", gt=0, le=0.1)
    max_iterations: int = _p(300, "assumption", "", ge=1, le=100_000)
    feedback_iterations: int = _p(
        20,
        "assumption: outer loops between congested times and demand, link times averaged by MSA (a warm "
        "start counting as one); every run makes the same number, so that the difference between two "
        "scenarios carries none of the loops' noise (a project that touches no road moves the region's car-km "
        "by under 1 km a day). Persons' benefits are the slowest to settle: at 10 loops the lec_core "
        "portfolio's persons benefit in 2035 was USD -26 M a year, at 20 loops +25 M, at 20 loops with "
        "assignments to 1e-5 +19 M (benchmarks/README.md)",
        "",
        ge=1,
        le=500,
    )
    feedback_tolerance: float = _p(
        0.0,
        "assumption: stop the loops early when the assigned link times differ from the times the demand saw by "
        "less than this share (flow-weighted); 0 never stops early (see feedback_iterations)",
        "",
        ge=0,
        le=0.5,
    )
    feedback_gap: float = _p(
        1e-3, "assumption: the relative gap of the assignments before the last loop", "", gt=0, le=0.1
    )
    engine: Literal["auto", "aequilibrae", "corridor"] = _p(
        "corridor",
        "corridor's own bi-conjugate Frank-Wolfe, checked against AequilibraE's on the test networks; on this "
        "region's small network it reaches the gap in a fraction of AequilibraE's time ('auto' or 'aequilibrae' "
        "to use AequilibraE)",
        "",
    )

    _by_class = field_validator("lane_capacity_pcu_h", "default_lanes", "bpr_alpha", "bpr_beta", "toll_php_per_km")(
        _class_table
    )


class Settings(BaseModel):
    """Every modelling assumption, in one frozen object.

    Parameters
    ----------
    speeds_kph
        Road speed by link class (km/h). A link's own ``speed_kph`` wins.
        A partial table changes only the classes it names; the others keep
        their defaults. A class must be one of :data:`ROAD_CLASSES` (the
        region's classes and OpenStreetMap's), as in every table by class.
    congestion_factors
        Per congestion area of the region (for the bundled region,
        ``metro_manila``): link class -> multiplier on speed (0 < f <= 1).
        The key ``default`` applies to road classes not listed. A partial
        table changes only the areas and classes it names. The areas are
        checked against the region's by ``load_settings(path, areas=...)``.
    access_speed_kph
        Speed on zone and economic-zone connectors (local streets, jeepney).
    gateway_access_speed_kph
        Speed on the access road of a port or airport.
    walk_speed_kph
        Walking speed, for station access and interchanges.
    pt_wait_min
        The wait for a jeepney or bus where a public transport trip boards
        one (at its origin, or leaving a station by road). Assumption: jeepney
        and bus services on the corridor's main roads run every few minutes.
    pt_road_speed_factor
        A jeepney's or bus's speed as a share of a car's on the same road.
        Assumption: they stop to board and alight passengers.
    zone_connectors
        How many nearest road junctions each zone connects to.
    connector_max_km
        Longest zone connector; a zone farther than this from every junction
        is a data error.
    station_access_max_km
        A zone, economic zone or junction within this distance of a station
        is connected to it.
    snap_max_km
        A ``lat,lon`` farther than this from the nearest node of the mode is
        refused.
    market_access_half_life_min
        Half-life of the exponential decay used by gravity market access.
    value_of_time_php_per_h
        Value of travel time, private car (LUZON_FACTS S72).
    discount_rate
        Social discount rate (NEDA-ICC, LUZON_FACTS S74).
    horizon_years
        Appraisal horizon.
    php_per_usd
        Exchange rate used to state costs in USD.
    engine_backend
        Shortest paths by ``scipy`` (compiled Dijkstra), ``cch`` (RoutingKit's
        customizable contraction hierarchies, when installed) or ``auto``
        (cch when installed). They agree to well under a second.
    engine_workers
        Processes for many-to-many searches on large networks (0: one per core).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_number(cls, value: Any, info: ValidationInfo) -> Any:
        return no_bool_for_number(cls, info.field_name, value)

    speeds_kph: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_SPEEDS_KPH))
    congestion_factors: dict[str, dict[str, float]] = Field(
        default_factory=lambda: {a: dict(f) for a, f in DEFAULT_CONGESTION_FACTORS.items()}
    )
    access_speed_kph: float = Field(25.0, ge=1, le=400)
    gateway_access_speed_kph: float = Field(30.0, ge=1, le=400)
    walk_speed_kph: float = Field(4.5, ge=0.5, le=20)
    pt_wait_min: float = Field(5.0, ge=0, le=60)
    pt_road_speed_factor: float = Field(0.7, ge=0.1, le=1)
    zone_connectors: int = Field(2, ge=1, le=10)
    connector_max_km: float = Field(25.0, gt=0, le=500)
    station_access_max_km: float = Field(1.5, gt=0, le=50)
    snap_max_km: float = Field(10.0, gt=0, le=500)
    market_access_half_life_min: float = Field(60.0, ge=1, le=1440)
    value_of_time_php_per_h: float = Field(121.67, gt=0)
    discount_rate: float = Field(0.10, ge=0, lt=1)
    horizon_years: int = Field(30, ge=1, le=100)
    php_per_usd: float = Field(56.0, gt=0)
    engine_backend: Literal["auto", "scipy", "cch"] = "auto"
    engine_workers: int = Field(0, ge=0, le=256)
    demand: DemandSettings = Field(default_factory=DemandSettings)
    freight: FreightSettings = Field(default_factory=FreightSettings)
    air: AirSettings = Field(default_factory=AirSettings)
    assignment: AssignmentSettings = Field(default_factory=AssignmentSettings)
    appraisal: AppraisalSettings = Field(default_factory=AppraisalSettings)

    @field_validator("speeds_kph", mode="before")
    @classmethod
    def _over_default_speeds(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {**DEFAULT_SPEEDS_KPH, **value}
        return value

    @field_validator("congestion_factors", mode="before")
    @classmethod
    def _over_default_factors(cls, value: Any) -> Any:
        if isinstance(value, dict):
            merged = {area: dict(factors) for area, factors in DEFAULT_CONGESTION_FACTORS.items()}
            for area, factors in value.items():
                merged[area] = {**merged.get(area, {}), **factors} if isinstance(factors, dict) else factors
            return merged
        return value

    @field_validator("speeds_kph")
    @classmethod
    def _positive_speeds(cls, value: dict[str, float]) -> dict[str, float]:
        _known_keys(value, ROAD_CLASSES, "road class")
        for link_class, speed in value.items():
            if not 1 <= speed <= 400:
                raise key_error(
                    f"speed of {link_class!r} must be between 1 and 400 km/h, got {speed}", keys=[link_class]
                )
        return value

    @field_validator("congestion_factors")
    @classmethod
    def _factors_in_range(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for area, factors in value.items():
            _known_keys(factors, [*ROAD_CLASSES, "default"], "road class", keys=[area])
            for link_class, factor in factors.items():
                if not 0.05 <= factor <= 1:
                    raise key_error(
                        f"congestion factor {area}.{link_class} must be in [0.05, 1], got {factor}",
                        keys=[area, link_class],
                    )
        return value

    def speed_kph(self, link_class: str) -> float:
        """Return the speed of a road link class.

        Raises
        ------
        SettingsError
            When the class has no speed.
        """
        try:
            return self.speeds_kph[link_class]
        except KeyError:
            raise SettingsError(
                f"no speed for link class {link_class!r}",
                field="speeds_kph",
                allowed=sorted(self.speeds_kph),
            ) from None

    @property
    def road_value_of_time_php_per_h(self) -> float:
        """The value of an hour of a person's trip on the road: car users' and public transport riders', blended.

        ``demand.road_pt_share`` of road trips ride jeepneys and buses (at
        ``demand.value_of_time_pt_php_per_h``); the rest drive (at
        ``value_of_time_php_per_h``).
        """
        d = self.demand
        return d.road_pt_share * d.value_of_time_pt_php_per_h + (1 - d.road_pt_share) * self.value_of_time_php_per_h

    def congestion_factor(self, area: str, link_class: str) -> float:
        """Return the speed multiplier for a link class inside a congestion area."""
        factors = self.congestion_factors.get(area, {})
        return factors.get(link_class, factors.get("default", 1.0))

    def replace(self, **changes: Any) -> Settings:
        """Return a validated copy with some fields changed."""
        data = self.model_dump()
        data.update(changes)
        return _validate(data, path=None)

    def digest(self) -> str:
        """Return a short hash of every value, for provenance."""
        blob = json.dumps(self.model_dump(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


#: where a key of a settings file is: its path of keys (``("speeds_kph", "trunk")``) -> a line, or None
_Lines = Callable[[Sequence[Any]], int | None]


def _validate(data: dict[str, Any], *, path: Path | None, lines: _Lines | None = None) -> Settings:
    try:
        return Settings.model_validate(strip_lines(data))
    except ValidationError as exc:
        problem = pydantic_problem(exc, data, model=Settings)
        line = lines(problem.loc) if lines is not None else None
        if exc.errors()[0]["type"] == "extra_forbidden":
            known = accepted_fields(Settings, problem.loc[:-1]) or list(Settings.model_fields)
            name = str(problem.loc[-1]) if problem.loc else ""
            hint = closest_hint(name, known)
            if not hint and len(problem.loc) > 1:  # a top-level key written inside a table
                top = closest_hint(name, Settings.model_fields)
                hint = f"{top} (a key of the file's top level, not of [{problem.loc[0]}])" if top else ""
            raise SettingsError(f"unknown key {problem.field!r}{hint}", path=path, line=line, allowed=known) from None
        raise SettingsError(problem.message, path=path, line=line, **problem.error_fields()) from None


#: the tables of a settings file by congestion area of the region
_AREA_TABLES = (
    ("congestion_factors",),
    ("assignment", "area_capacity_factor"),
    ("assignment", "urban_free_flow_factor"),
)


def _check_areas(data: dict[str, Any], areas: Iterable[str], *, path: Path | None, lines: _Lines | None) -> None:
    """Refuse a table of a congestion area that the region does not have."""
    known = sorted(str(a) for a in areas)
    for table in _AREA_TABLES:
        node: Any = data
        for part in table:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            continue
        for area in node:
            if area not in known:
                raise SettingsError(
                    f"unknown congestion area{closest_hint(str(area), known)}",
                    path=path,
                    line=lines([*table, area]) if lines is not None else None,
                    field=".".join([*table, str(area)]),
                    value=area,
                    allowed=known or "none: the region has no congestion area",
                )


_TOML_KEY = re.compile(r"""\s*(?:([A-Za-z0-9_-]+)|"((?:[^"\\]|\\.)*)"|'([^']*)')\s*""")


def _toml_key(text: str, start: int) -> tuple[list[str], int]:
    """The dotted key at ``start`` of a TOML line (bare or quoted parts), and where it ends."""
    parts: list[str] = []
    pos = start
    while True:
        m = _TOML_KEY.match(text, pos)
        if m is None or m.end() == pos:
            return parts, pos
        bare, basic, literal = m.groups()
        parts.append(bare if bare is not None else basic if basic is not None else literal)
        pos = m.end()
        if pos < len(text) and text[pos] == ".":
            pos += 1
            continue
        return parts, pos


def _toml_lines(text: str) -> dict[tuple[str, ...], int]:
    """The line of every table header and key of a TOML text, by its full path of keys (first occurrence).

    A light scan: ``tomllib`` gives no positions. Tables (``[a.b]``,
    ``[[a]]``) and dotted keys (``a.b = 1``) are followed; the lines of a
    multi-line string are passed over.
    """
    found: dict[tuple[str, ...], int] = {}
    table: list[str] = []
    in_string: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if in_string is not None:
            if raw.count(in_string) % 2 == 1:
                in_string = None
            continue
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            header = _toml_header(line)
            if header is not None:
                table = header
                _record_keys(found, [], header, number)
            continue
        parts, end = _toml_key(line, 0)
        if parts and line[end:].startswith("="):
            _record_keys(found, table, parts, number)
            in_string = _opened_string(line[end:])
    return found


def _toml_header(line: str) -> list[str] | None:
    """The keys of a table header line (``[a.b]``, ``[[a]]``); None when it is not one."""
    parts, end = _toml_key(line, 2 if line.startswith("[[") else 1)
    return parts if parts and line[end:].startswith("]") else None


def _record_keys(found: dict[tuple[str, ...], int], table: list[str], parts: list[str], number: int) -> None:
    """Record line ``number`` for a dotted key in a table and for each shorter key of it, where none is yet."""
    for k in range(1, len(parts) + 1):
        found.setdefault((*table, *parts[:k]), number)


def _opened_string(value: str) -> str | None:
    """The quotes of a multi-line string that a key's value opens and leaves open, or None."""
    for quote in ('"""', "'''"):
        if value.count(quote) % 2 == 1:
            return quote
    return None


def _line_finder(text: str, data: Any, toml: bool) -> _Lines:
    """Where a path of keys stands in the file: its own line, else its nearest table's."""
    if not toml:
        return lambda loc: line_at(data, loc)
    found = _toml_lines(text)

    def find(loc: Sequence[Any]) -> int | None:
        keys = [str(p) for p in loc]
        for k in range(len(keys), 0, -1):
            if tuple(keys[:k]) in found:
                return found[tuple(keys[:k])]
        return None

    return find


def load_settings(path: str | Path | None = None, *, areas: Iterable[str] | None = None) -> Settings:
    """Load settings from a TOML or YAML file; the defaults when ``path`` is None.

    Keys left out keep their defaults (a partial ``speeds_kph`` or
    ``congestion_factors`` table changes only what it names); an unknown key,
    road class or project category is an error.

    Parameters
    ----------
    path
        The settings file.
    areas
        The congestion areas of the region the settings are used with
        (``Region.congestion_areas.index``): a table for another area
        (``[congestion_factors.atlantis]``) is then an error. Without them,
        area names are not checked.

    Raises
    ------
    SettingsError
        When the file is missing, unreadable, not UTF-8, of another format,
        or a key or value is not accepted; with the line of the key where it
        is found.
    """
    if path is None:
        return Settings()
    path = Path(path)
    if path.suffix not in {".toml", ".yaml", ".yml"}:
        raise SettingsError("settings must be .toml, .yaml or .yml", path=path, value=path.suffix)
    text = read_text(path, error=SettingsError, what="settings file")
    toml = path.suffix == ".toml"
    if toml:
        try:
            data: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            message = str(exc).splitlines()[0]
            at = re.search(r"\s*\(at line (\d+), column \d+\)$", message)
            last = max(1, len(text.splitlines()))
            line = min(int(at.group(1)), last) if at else last if message.endswith("(at end of document)") else None
            raise SettingsError(f"not valid TOML: {message}", path=path, line=line) from None
    else:
        data = load_yaml(text, path=path, error=SettingsError, loader=LineLoader) or {}
    if not isinstance(data, dict):
        raise SettingsError("expected a mapping of settings", path=path, value=type(data).__name__)
    lines = _line_finder(text, data, toml)
    settings = _validate(data, path=path, lines=lines)
    if areas is not None:
        _check_areas(data, areas, path=path, lines=lines)
    return settings


def parameters(settings: Settings) -> list[dict[str, Any]]:
    """Every model parameter with its value, unit and source (or ``assumption``), for printing with results."""
    rows: list[dict[str, Any]] = []
    for group_name in ("demand", "freight", "air", "assignment", "appraisal"):
        group = getattr(settings, group_name)
        for name, info in type(group).model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            rows.append(
                {
                    "parameter": f"{group_name}.{name}",
                    "value": getattr(group, name),
                    "unit": info.description or "",
                    "source": str(extra.get("source", "")),
                }
            )
    return rows
