"""The on-disk cache: a second scorer of the same network starts from it; any change of the inputs misses."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from corridor import build_network, load_catalog, portfolio_from_ids
from corridor.access.scorer import PortfolioScorer
from corridor.paths.cache import DiskCache, graph_digest
from corridor.paths.engine import available_backends, compile_network
from corridor.settings import Settings

from .conftest import ROOT

CATALOG = load_catalog(ROOT / "data" / "luzon")
BACKENDS = available_backends()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_second_scorer_reads_everything_and_scores_the_same(tmp_path, luzon, luzon_graph, backend):
    first = DiskCache(tmp_path)
    cold = PortfolioScorer(luzon_graph, region=luzon, backend=backend, cache=first)
    per_mode = 3 if backend == "cch" else 2  # compiled arrays, base matrix (and the CCH order)
    assert first.hits == 0 and first.misses == per_mode * len(cold.modes)
    second = DiskCache(tmp_path)
    warm = PortfolioScorer(luzon_graph, region=luzon, backend=backend, cache=second)
    assert second.misses == 0 and second.hits == per_mode * len(warm.modes)
    for m in cold.modes:
        a, b = cold.compiled[m], warm.compiled[m]
        assert a.n == b.n and a.nodes == b.nodes and a.out_index == b.out_index and a.in_index == b.in_index
        assert a.pt_index == b.pt_index and a.edge_keys == b.edge_keys
        for name in ("tail", "head", "weight", "lon", "lat", "pt_arc"):
            x, y = getattr(a, name), getattr(b, name)
            assert (x is None and y is None) or np.array_equal(x, y, equal_nan=True), name
        np.testing.assert_array_equal(cold.base_times_s[m], warm.base_times_s[m])
    p = portfolio_from_ids(["bcib", "nscr_tutuban_malolos", "bauan_terminal"], CATALOG)
    assert warm.summary(p) == cold.summary(p)
    fresh = PortfolioScorer(luzon_graph, region=luzon, backend=backend)
    assert fresh.summary(p) == pytest.approx(cold.summary(p), rel=1e-12)


def test_changed_inputs_miss(tmp_path, luzon, luzon_graph):
    PortfolioScorer(luzon_graph, region=luzon, backend="scipy", cache=tmp_path)
    # other settings build another network: new compiled networks; only the rail matrix, whose arrays the
    # expressway speed does not touch, is the same entry
    slower = build_network(luzon, Settings().replace(speeds_kph={"expressway": 60.0}))
    assert graph_digest(slower) != graph_digest(luzon_graph)
    again = DiskCache(tmp_path)
    warm = PortfolioScorer(slower, region=luzon, backend="scipy", cache=again)
    assert again.hits == 1 and again.misses == 2 * len(warm.modes) - 1
    fresh = PortfolioScorer(slower, region=luzon, backend="scipy")
    for m in fresh.modes:
        np.testing.assert_array_equal(warm.base_times_s[m], fresh.base_times_s[m])
    # one road's time changed by hand: the same
    edited = luzon_graph.copy()
    u, v, k = next((u, v, k) for u, v, k, d in edited.edges(keys=True, data=True) if d["mode"] == "road")
    edited.edges[u, v, k]["travel_time"] += 1.0
    third = DiskCache(tmp_path)
    scorer = PortfolioScorer(edited, region=luzon, backend="scipy", cache=third)
    assert third.hits == 1 and third.misses == 2 * len(scorer.modes) - 1
    assert np.array_equal(scorer.compiled["any"].weight, compile_network(edited, "any").weight)


def test_a_damaged_or_unwritable_cache_is_recomputed(tmp_path, luzon, luzon_graph, caplog):
    PortfolioScorer(luzon_graph, region=luzon, backend="scipy", cache=tmp_path)
    for entry in tmp_path.glob("matrix-*.npz"):
        entry.write_bytes(b"not an archive")
    cache = DiskCache(tmp_path)
    with caplog.at_level(logging.WARNING, logger="corridor.paths.cache"):
        scorer = PortfolioScorer(luzon_graph, region=luzon, backend="scipy", cache=cache)
    assert cache.misses == len(scorer.modes) and "cannot read the cache entry" in caplog.text
    blocked = tmp_path / "a_file"
    blocked.write_text("in the way")
    with caplog.at_level(logging.WARNING, logger="corridor.paths.cache"):
        PortfolioScorer(luzon_graph, region=luzon, backend="scipy", cache=blocked / "cache")
    assert "going on without it" in caplog.text


@pytest.mark.slow
def test_the_command_keeps_its_cache(tmp_path, monkeypatch, capsys):
    from corridor.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CORRIDOR_CACHE_DIR")  # the default folder, in the working folder
    portfolio = str(ROOT / "portfolios" / "lec_core.yaml")
    assert main(["score", portfolio, "--no-shapley"]) == 0
    first = capsys.readouterr().out
    entries = sorted(p.name for p in (tmp_path / ".cache" / "corridor").iterdir())
    assert any(n.startswith("compiled-any-") for n in entries) and any(n.startswith("matrix-") for n in entries)
    assert main(["score", portfolio, "--no-shapley"]) == 0
    assert capsys.readouterr().out == first
    assert sorted(p.name for p in (tmp_path / ".cache" / "corridor").iterdir()) == entries
    assert main(["score", portfolio, "--no-shapley", "--no-cache", "--cache-dir", "elsewhere"]) == 0
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.slow
def test_a_model_run_is_read_back_whole_and_its_scenario_too(tmp_path, luzon, luzon_graph):
    """A cached run equals the run, to every cell; a scenario warmed by the read-back run has the same key."""
    import numpy as np
    import pandas as pd

    from corridor.model.loop import run_key, run_model
    from corridor.settings import Settings

    cache = DiskCache(tmp_path)
    settings = Settings().replace(assignment={**Settings().assignment.model_dump(), "feedback_iterations": 2})
    made = run_model(luzon_graph, luzon, settings, cache=cache)
    read = run_model(luzon_graph, luzon, settings, cache=cache)
    assert (cache.misses, cache.hits) == (1, 1)
    for name in ("links", "gateways", "zones"):
        pd.testing.assert_frame_equal(getattr(read, name), getattr(made, name))
    assert all(np.array_equal(read.matrices[k], made.matrices[k], equal_nan=True) for k in made.matrices)
    assert (read.summary, read.calibration, read.assignment) == (made.summary, made.calibration, made.assignment)
    assert run_key(luzon_graph, luzon, settings, calibration=made.calibration, warm=made) == run_key(
        luzon_graph, luzon, settings, calibration=read.calibration, warm=read
    )
    other = settings.replace(value_of_time_php_per_h=settings.value_of_time_php_per_h * 1.1)
    assert run_key(luzon_graph, luzon, other) != run_key(luzon_graph, luzon, settings)
