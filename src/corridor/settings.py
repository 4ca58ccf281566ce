"""Model settings: speeds, congestion, access and transfer times, appraisal.

:class:`Settings` is frozen and refuses unknown keys. Make a variant with
:meth:`Settings.replace` (or ``model_copy(update=...)``); load one from a TOML
or YAML file with :func:`load_settings`.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from corridor._io import load_yaml, read_text
from corridor.checks import pydantic_problem
from corridor.errors import SettingsError

__all__ = ["Settings", "load_settings", "DEFAULT_SPEEDS_KPH"]

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

#: Speed multipliers by congestion area and road class: a 22 km/h city
#: average (TomTom 2023, LUZON_FACTS S49) against 40-50 km/h free flow on
#: arterials gives about 0.5.
DEFAULT_CONGESTION_FACTORS: dict[str, dict[str, float]] = {
    "metro_manila": {"expressway": 0.75, "default": 0.5},
}


class Settings(BaseModel):
    """Every modelling assumption, in one frozen object.

    Parameters
    ----------
    speeds_kph
        Road speed by link class (km/h). A link's own ``speed_kph`` wins.
        A partial table changes only the classes it names; the others keep
        their defaults.
    congestion_factors
        Per congestion area of the region (for the bundled region,
        ``metro_manila``): link class -> multiplier on speed (0 < f <= 1).
        The key ``default`` applies to road classes not listed. A partial
        table changes only the areas and classes it names.
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

    speeds_kph: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_SPEEDS_KPH))
    congestion_factors: dict[str, dict[str, float]] = Field(
        default_factory=lambda: {a: dict(f) for a, f in DEFAULT_CONGESTION_FACTORS.items()}
    )
    access_speed_kph: float = Field(25.0, ge=1, le=400)
    gateway_access_speed_kph: float = Field(30.0, ge=1, le=400)
    walk_speed_kph: float = Field(4.5, ge=0.5, le=20)
    pt_wait_min: float = Field(5.0, ge=0, le=60)
    zone_connectors: int = Field(2, ge=1, le=10)
    connector_max_km: float = Field(25.0, gt=0, le=500)
    station_access_max_km: float = Field(1.5, gt=0, le=50)
    snap_max_km: float = Field(10.0, gt=0, le=500)
    market_access_half_life_min: float = Field(60.0, ge=1, le=1440)
    value_of_time_php_per_h: float = Field(121.67, ge=0)
    discount_rate: float = Field(0.10, ge=0, lt=1)
    horizon_years: int = Field(30, ge=1, le=100)
    php_per_usd: float = Field(56.0, gt=0)
    engine_backend: Literal["auto", "scipy", "cch"] = "auto"
    engine_workers: int = Field(0, ge=0, le=256)

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
        for link_class, speed in value.items():
            if not 1 <= speed <= 400:
                raise ValueError(f"speed of {link_class!r} must be between 1 and 400 km/h, got {speed}")
        return value

    @field_validator("congestion_factors")
    @classmethod
    def _factors_in_range(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for area, factors in value.items():
            for link_class, factor in factors.items():
                if not 0.05 <= factor <= 1:
                    raise ValueError(f"congestion factor {area}.{link_class} must be in [0.05, 1], got {factor}")
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


def _validate(data: dict[str, Any], *, path: Path | None) -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problem = pydantic_problem(exc, data)
        if exc.errors()[0]["type"] == "extra_forbidden":
            raise SettingsError(
                f"unknown key {problem.field!r}", path=path, allowed=list(Settings.model_fields)
            ) from None
        raise SettingsError(problem.message, path=path, **problem.error_fields()) from None


def load_settings(path: str | Path | None = None) -> Settings:
    """Load settings from a TOML or YAML file; the defaults when ``path`` is None.

    Keys left out keep their defaults (a partial ``speeds_kph`` or
    ``congestion_factors`` table changes only what it names); an unknown key
    is an error.

    Raises
    ------
    SettingsError
        When the file is missing, unreadable, not UTF-8, of another format,
        or a value is out of range.
    """
    if path is None:
        return Settings()
    path = Path(path)
    if path.suffix not in {".toml", ".yaml", ".yml"}:
        raise SettingsError("settings must be .toml, .yaml or .yml", path=path, value=path.suffix)
    text = read_text(path, error=SettingsError, what="settings file")
    if path.suffix == ".toml":
        try:
            data: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"not valid TOML: {exc}".splitlines()[0], path=path) from None
    else:
        data = load_yaml(text, path=path, error=SettingsError) or {}
    if not isinstance(data, dict):
        raise SettingsError("expected a mapping of settings", path=path, value=type(data).__name__)
    return _validate(data, path=path)
