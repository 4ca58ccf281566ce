"""Project and portfolio files: the catalog, the schema, and one-line errors for bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corridor.errors import PortfolioError, ProjectError, ScenarioError
from corridor.inputs.project_files import json_schemas, load_catalog, load_portfolio, load_projects, portfolio_from_ids
from corridor.inputs.projects import CATEGORIES
from corridor.network.scenario import apply_portfolio

from .conftest import ROOT

CATALOG_PATH = ROOT / "data" / "luzon" / "projects.yaml"
REQUIRED_IDS = [
    "nscr_tutuban_malolos",
    "nscr_malolos_clark",
    "nscr_south",
    "scmb_freight_rail",
    "clark_runway_2",
    "subic_port_expansion",
    "bauan_terminal",
    "bcib",
    "mm_subway",
    "nlex_slex_connector",
    "cllex_phase2",
    "mrt7",
    "manila_bay_expressway",
    "nmia",
    "sangley_airport",
    "pnr_south_long_haul",
    "clark_food_hub",
]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CATALOG_PATH.parent)


def test_catalog_has_the_corridor_projects(catalog):
    assert [pid for pid in REQUIRED_IDS if pid not in catalog] == []
    for p in catalog.values():
        assert p.category in CATEGORIES
        assert p.source and p.cost_usd >= 0 and p.price_year >= 2010
        if p.cost_local is not None:  # the published figure, its currency and the rate used
            assert p.cost_local.amount / p.cost_local.per_usd == pytest.approx(p.cost_usd, rel=0.01)
            assert p.cost_local.rate_source
    assert catalog["bcib"].cost_usd == 3.91e9
    assert catalog["scmb_freight_rail"].cost_usd == 3.2e9
    assert catalog["nscr_malolos_clark"].requires == ["nscr_tutuban_malolos"]
    assert "subic_clark_railway" in catalog["scmb_freight_rail"].conflicts


def test_a_gateway_upgrade_raises_the_capacity_of_the_gateway(catalog, luzon):
    upgrades = [(p, e) for p in catalog.values() for e in p.edits if e.type == "gateway_upgrade" and e.capacity]
    assert upgrades
    for project, edit in upgrades:
        base = luzon.gateways.loc[edit.gateway]
        assert edit.capacity > base["capacity"] and edit.capacity_unit == base["capacity_unit"], project.id
    # Subic's terminals: 600,000 TEU a year, to 1 million after the expansion (LUZON_FACTS S80)
    subic = catalog["subic_port_expansion"]
    assert luzon.gateways.loc["subic_port", "capacity"] == 600_000 and subic.edits[0].capacity == 1_000_000
    assert "600,000 to 1 million TEU/yr" in subic.name and "S80" in subic.source


def test_the_three_portfolios_load():
    committed = load_portfolio(ROOT / "portfolios" / "committed.yaml")
    core = load_portfolio(ROOT / "portfolios" / "lec_core.yaml")
    full = load_portfolio(ROOT / "portfolios" / "lec_full.yaml")
    assert {
        "scmb_freight_rail",
        "subic_port_expansion",
        "bauan_terminal",
        "clark_runway_2",
        "clark_food_hub",
    } == set(core.ids)
    assert set(committed.ids) < set(full.ids) and set(core.ids) < set(full.ids)
    assert core.budget_usd == 5e9 and core.cost_usd < core.budget_usd
    assert all(status in {"under_construction", "operating"} for status in (p.status for p in committed.projects))
    assert str(ROOT / "portfolios" / "lec_core.yaml") in core.source_files


def test_json_schemas_export_and_validate_the_catalog():
    schemas = json_schemas()
    assert set(schemas) == {"project", "portfolio"}
    text = json.dumps(schemas)
    for edit in ("new_line", "upgrade", "close", "gateway_upgrade", "new_gateway", "new_node", "investment"):
        assert f'"{edit}"' in text
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    jsonschema.validate(yaml.safe_load(CATALOG_PATH.read_text()), schemas["project"])
    jsonschema.validate(yaml.safe_load((ROOT / "portfolios" / "lec_core.yaml").read_text()), schemas["portfolio"])


def test_inline_projects_include_and_overrides(tmp_path):
    (tmp_path / "mine.yaml").write_text("""\
- id: my_bypass
  name: My bypass
  category: road
  cost_usd: 1.0e8
  price_year: 2025
  status: proposal
  opening_year: 2030
  source: a planner's idea
  edits:
    - {type: new_line, mode: road, name: Bypass, stops: [bacoor_jn, dasmarinas_jn]}
""")
    (tmp_path / "p.yaml").write_text("""\
name: mixed
budget_usd: 2.0e9
include: [mine.yaml]
projects:
  - bauan_terminal
  - id: my_port_road
    name: Port road upgrade
    category: road
    cost_usd: 5.0e7
    price_year: 2025
    status: proposal
    opening_year: 2027
    source: a planner's idea
    edits:
      - {type: upgrade, select: {links: [bts-06]}, speed_kph: 60}
overrides:
  bauan_terminal: {cost_usd: 9.0e8}
""")
    p = load_portfolio(tmp_path / "p.yaml")
    assert p.ids == ["bauan_terminal", "my_port_road", "my_bypass"]
    assert p.projects[0].cost_usd == 9e8 and p.projects[0].cost_local is None
    assert p.cost_usd == pytest.approx(9e8 + 5e7 + 1e8)
    assert len(p.source_files) == 3  # the portfolio, the catalog, the included file


# ---------------------------------------------------------------- bad files


def _write(tmp_path: Path, text: str, name: str = "p.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _portfolio_error(path: Path) -> str:
    with pytest.raises(PortfolioError) as info:
        load_portfolio(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


def test_unknown_id(tmp_path):
    path = _write(tmp_path, "name: x\nprojects:\n  - bauan_terminal\n  - bcb\n")
    message = _portfolio_error(path)
    assert f"{path}:4:" in message and "'bcb' is not in the catalog" in message and "closest: bcib" in message


def test_duplicate_id(tmp_path):
    path = _write(tmp_path, "name: x\nprojects:\n  - bcib\n  - nmia\n  - bcib\n")
    message = _portfolio_error(path)
    assert f"{path}:5:" in message and "'bcib' is listed twice" in message and "p.yaml:3" in message


def test_missing_requires(tmp_path):
    path = _write(tmp_path, "name: x\nprojects:\n  - nscr_malolos_clark\n")
    message = _portfolio_error(path)
    assert f"{path}:3:" in message and "requires 'nscr_tutuban_malolos'" in message


def test_conflicts_present(tmp_path):
    path = _write(tmp_path, "name: x\nprojects:\n  - scmb_freight_rail\n  - subic_clark_railway\n")
    message = _portfolio_error(path)
    assert "conflicts with 'subic_clark_railway'" in message and f"{path}:3:" in message


def test_override_of_absent_project(tmp_path):
    path = _write(tmp_path, "name: x\nprojects: [bcib]\noverrides:\n  nmia: {cost_usd: 1}\n")
    message = _portfolio_error(path)
    assert "override of project 'nmia', which is not in the portfolio" in message and f"{path}:4:" in message


def test_malformed_yaml(tmp_path):
    path = _write(tmp_path, "name: x\nprojects: [bcib\n")
    assert "not valid YAML" in _portfolio_error(path)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("name: x\nbudget_usd: 5\nprojects:\n  - [bcib\n", 4),  # the bracket opened on line 4 is never closed
        ('name: "x\nbudget_usd: 5\nprojects:\n  - bcib\n', 1),  # the quote opened on line 1 is never closed
        ("name: x\nprojects:\n  - bcib\n - nmia\n", 4),
        ("name: x\nprojects:\n  - bcib\nfoo", 4),  # no newline at the end
    ],
)
def test_malformed_yaml_is_placed_on_a_line_of_the_file(tmp_path, text, line):
    path = _write(tmp_path, text)
    message = _portfolio_error(path)
    assert "not valid YAML" in message and message.startswith(f"{path}:{line}: ")


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("name: x\nbudget_usd: -5\nprojects: [bcib]\n", 2, "field 'budget_usd': input should be greater than"),
        ("name: x\nbudget_usd: five\nprojects: [bcib]\n", 2, "field 'budget_usd': input should be a valid number"),
        ("name: x\nprojects: [bcib]\n\nbudget_usd: -5\n", 4, "(got -5)"),
        ("projects: [bcib]\nname: ''\n", 2, "field 'name'"),
        ("name: x\nprojects: [bcib]\ndescription:\n  - a list\n", 3, "field 'description'"),
        ("name: x\nprojects: [bcib]\ninclude: [a.yaml, 5]\n", 3, "field 'include.1'"),
        ("name: x\nprojects: [bcib]\noverrides:\n  bcib:\n    name: B\n    cost_usd: -1\n", 6, "cost_usd"),
    ],
)
def test_a_bad_field_is_placed_on_its_own_line(tmp_path, text, line, expected):
    path = _write(tmp_path, text)
    message = _portfolio_error(path)
    assert message.startswith(f"{path}:{line}: ") and expected in message


def test_a_bad_field_of_an_edit_is_placed_on_its_own_line(tmp_path):
    path = _write(
        tmp_path,
        """\
name: x
projects:
  - id: p1
    name: P
    category: road
    cost_usd: 1
    price_year: 2025
    status: proposal
    opening_year: 2030
    source: t
    edits:
      - type: new_line
        mode: road
        name: L
        stops: [bacoor_jn, dasmarinas_jn]
        speed_kph: 0
""",
    )
    message = _portfolio_error(path)
    assert message.startswith(f"{path}:16: project 'p1', field 'edits.0.new_line.speed_kph': ")


def test_an_unknown_portfolio_field_names_the_accepted_ones(tmp_path):
    path = _write(tmp_path, "name: x\nprojets: [bcib]\n")
    with pytest.raises(PortfolioError) as info:
        load_portfolio(path)
    error = info.value
    assert (error.path, error.line, error.field) == (path, 2, "projets")
    assert "closest: projects" in str(error)
    assert error.allowed == "name, description, catalog, include, projects, budget_usd, overrides"


def test_an_unknown_override_field_names_the_accepted_ones(tmp_path):
    path = _write(tmp_path, "name: x\nprojects: [bcib]\noverrides:\n  bcib:\n    name: B\n    cots_usd: 1\n")
    with pytest.raises(PortfolioError) as info:
        load_portfolio(path)
    error = info.value
    assert (error.line, error.field) == (6, "overrides.bcib.cots_usd")
    assert "closest: cost_usd" in str(error) and error.allowed is not None
    assert {"cost_usd", "opening_year", "edits"} <= set(error.allowed.split(", "))


def test_an_unknown_edit_field_names_the_fields_of_its_type(tmp_path):
    path = _write(
        tmp_path,
        "- {id: p1, name: P, category: port, cost_usd: 1, price_year: 2025, status: proposal,\n"
        "   opening_year: 2030, source: t,\n"
        "   edits: [{type: gateway_upgrade, gateway: subic_port, capacty: 5}]}\n",
        "projects.yaml",
    )
    with pytest.raises(ProjectError) as info:
        load_projects(path)
    error = info.value
    assert error.field == "edits.0.gateway_upgrade.capacty" and "closest: capacity" in str(error)
    assert error.allowed == "type, gateway, handling_h, capacity, capacity_unit, movements_per_h"


@pytest.mark.parametrize("key", ["include", "catalog"])
def test_a_missing_named_file_is_placed_on_the_portfolio_line(tmp_path, key):
    value = "[nope.yaml]" if key == "include" else "nope.yaml"
    path = _write(tmp_path, f"name: x\nprojects: [bcib]\n{key}: {value}\n")
    with pytest.raises(PortfolioError) as info:
        load_portfolio(path)
    error = info.value
    assert (error.path, error.line, error.field, error.value) == (path, 3, key, "nope.yaml")
    assert str(tmp_path / "nope.yaml") in str(error) and str(error).startswith(f"{path}:3: field '{key}': ")


def test_a_missing_include_is_placed_on_its_item_line(tmp_path):
    (tmp_path / "mine.yaml").write_text("[]\n")
    path = _write(tmp_path, "name: x\nprojects: [bcib]\ninclude:\n  - mine.yaml\n  - gone.yaml\n")
    message = _portfolio_error(path)
    assert message.startswith(f"{path}:5: field 'include': ") and str(tmp_path / "gone.yaml") in message


def test_schema_error_names_line_project_and_field(tmp_path):
    path = _write(
        tmp_path,
        """\
- id: bad_rail
  name: Bad rail
  category: rail
  cost_usd: 1.0e9
  price_year: 2025
  status: proposal
  opening_year: 2030
  source: test
  edits:
    - type: new_line
      mode: rail
      name: Line
      stops: [lrt1_baclaran, lrt1_edsa]
""",
        "projects.yaml",
    )
    with pytest.raises(ProjectError) as info:
        load_projects(path)
    message = str(info.value)
    assert f"{path}:10:" in message and "'bad_rail'" in message and "needs speed_kph and headway_min" in message


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("category", "spaceport", "field 'category'"),
        ("status", "dreaming", "field 'status'"),
        ("cost_usd", "-5", "greater than or equal to 0"),
        ("colour", "red", "field 'colour': is not a known field (accepted: id, name, category, cost_usd,"),
        ("cots_usd", "1", "field 'cots_usd': is not a known field; closest: cost_usd (accepted: id, name,"),
    ],
)
def test_bad_project_fields(tmp_path, field, value, expected):
    text = {
        "id": "p1",
        "name": "P",
        "category": "road",
        "cost_usd": "1",
        "price_year": "2025",
        "status": "proposal",
        "opening_year": "2030",
        "source": "t",
    }
    text[field] = value
    body = "".join(f"  {k}: {v}\n" for k, v in text.items())
    body = "- " + body[2:] + "  edits:\n    - {type: investment, place: fab, jobs: 10}\n"
    path = _write(tmp_path, body, "projects.yaml")
    with pytest.raises(ProjectError) as info:
        load_projects(path)
    assert expected in str(info.value) and "'p1'" in str(info.value) and f"{path}:" in str(info.value)


def test_cost_must_match_local_cost(tmp_path):
    path = _write(
        tmp_path,
        """\
- id: p1
  name: P
  category: road
  cost_usd: 1.0e9
  price_year: 2025
  cost_local: {amount: 1.0e9, currency: PHP, per_usd: 57.5, year: 2025, rate_source: test}
  status: proposal
  opening_year: 2030
  source: t
  edits: [{type: investment, place: fab, jobs: 10}]
""",
        "projects.yaml",
    )
    with pytest.raises(ProjectError, match="does not match cost_local"):
        load_projects(path)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ("{type: upgrade, select: {links: [nlex-99]}, speed_kph: 120}", "unknown link 'nlex-99'"),
        (
            "{type: new_line, mode: road, name: R, stops: [bacoor_jn, dasmarinas_jun]}",
            "closest: dasmarinas_jn",
        ),
        ("{type: close, select: {along: [manila, atlantis]}}", "unknown place 'atlantis'"),
        ("{type: gateway_upgrade, gateway: bauan_port, capacity: 5}", "unknown place 'bauan_port'"),
        ("{type: investment, place: nlex_bocaue, jobs: 5}", "investments go to a zone"),
        (
            "{type: new_gateway, id: far, name: Far, gateway_type: seaport, lat: 10.0, lon: 124.0}",
            "outside the region",
        ),
        ("{type: open, links: [nlex-01]}", "already operates in the base network"),
    ],
)
def test_edit_with_unknown_place_or_link(tmp_path, luzon, luzon_graph, edit, expected):
    path = _write(
        tmp_path,
        f"""\
name: x
projects:
  - id: mine
    name: Mine
    category: road
    cost_usd: 1
    price_year: 2025
    status: proposal
    opening_year: 2030
    source: t
    edits:
      - {edit}
""",
    )
    portfolio = load_portfolio(path)
    with pytest.raises(ScenarioError) as info:
        apply_portfolio(luzon_graph, portfolio, region=luzon)
    message = str(info.value)
    assert f"{path}:3:" in message and "project 'mine', edit 1" in message and expected in message


def test_projects_option_checks_ids(catalog):
    with pytest.raises(PortfolioError, match="'nmiaa' is not in the catalog; closest: nmia"):
        portfolio_from_ids(["nmiaa"], catalog)
    with pytest.raises(PortfolioError, match="requires 'nscr_tutuban_malolos'"):
        portfolio_from_ids(["nscr_malolos_clark"], catalog)
