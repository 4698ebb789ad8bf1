"""Report sections that keep their costly part for the next run: the ownership drawings (kept while
the alerts drawn, the links in force, actors, ownership and trades hold) and the production side of
the supply balance (kept while production holds). A new batch of anything else (a month of customs
declarations) reuses them; the sections are the same as drawn from scratch."""

from __future__ import annotations

from pathlib import Path

import pytest

from filon.demo import generate_region
from filon.detect import opaque_ownership, shared_controller
from filon.detect.context import DetectContext
from filon.detect.kept import kept_values
from filon.detect.parameters import defaults
from filon.engine.duckdb import DuckDBEngine
from filon.graph.ownership import load_graph
from filon.graph.render import neighbourhood
from filon.graph.views import actor_neighbourhood, actor_neighbourhoods
from filon.ingest.load import ingest_package
from filon.report.sections import ownership, supply
from filon.store.workspace import Workspace


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("sections-kept")
    generate_region(root / "region", seed=7, scale=0.1)
    ingest_package(root / "region", root / "ws")
    return Workspace(root / "ws")


@pytest.fixture(scope="module")
def alerts(workspace: Workspace) -> list[dict]:
    ctx = DetectContext(DuckDBEngine(workspace.connect()))
    found = [a for code, detect in (("opaque_ownership", opaque_ownership.detect),
                                    ("shared_controller", shared_controller.detect))
             for a in detect(ctx, defaults(code))]
    return [{**a.to_row(), "evidence": a.evidence} for a in found]


def context(ws: Workspace, out: Path, prints: dict[str, str], read: bool = True) -> DetectContext:
    ctx = DetectContext(DuckDBEngine(ws.connect()))
    ctx.kept = kept_values(out, prints, read=read)
    return ctx


PRINTS = {"actors": "a", "ownership": "o", "trades": "t", "exports": "e", "production": "p", "imports": "i"}


def test_ownership_drawings_are_kept_while_their_inputs_hold(workspace: Workspace, alerts: list[dict], tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    first = ownership.section(context(workspace, tmp_path, PRINTS, read=False), alerts)
    assert first is not None and str(first.html).count("<figure") == ownership.MAX_DRAWINGS

    drawn = []
    real = ownership.actor_neighbourhoods
    monkeypatch.setattr(ownership, "actor_neighbourhoods", lambda *a: drawn.append(a) or real(*a))
    ctx = context(workspace, tmp_path, {**PRINTS, "exports": "a new batch"})
    ctx.reads = set()
    assert ownership.section(ctx, alerts) == first and drawn == []  # taken from the last run
    assert {"actors", "ownership", "trades"} <= ctx.reads  # still said, so the section cache checks them

    assert ownership.section(context(workspace, tmp_path, {**PRINTS, "trades": "new trades"}), alerts) == first
    assert len(drawn) == 1  # drawn again: the trades on the drawings may have changed
    changed = [{**a, "score": 0.0} if a["subject_id"] == alerts[0]["subject_id"] else a for a in alerts]
    ownership.section(context(workspace, tmp_path, {**PRINTS, "trades": "new trades"}), changed)
    assert len(drawn) == 2  # other alerts drawn


def test_neighbourhoods_read_together_are_those_read_one_by_one(workspace: Workspace, alerts: list[dict]) -> None:
    ctx = DetectContext(DuckDBEngine(workspace.connect()))
    graph = load_graph(ctx)
    wanted = [(str(a["subject_id"]), ownership.HOPS[a["typology"]]) for a in alerts[:6]]
    together = actor_neighbourhoods(ctx, graph, wanted)
    assert [h.centre for h in together] == [actor for actor, _ in wanted]
    for (actor, hops), hood in zip(wanted, together):
        alone = actor_neighbourhood(ctx, graph, actor, hops)
        ids = ", ".join(f"'{n}'" for n in neighbourhood(graph, actor, hops).nodes)
        own_trades = ctx.query(f"""SELECT seller_id, buyer_id, sum(value_usd) AS value_usd FROM trades
            WHERE seller_id IN ({ids}) AND buyer_id IN ({ids}) AND seller_id <> buyer_id
            GROUP BY seller_id, buyer_id ORDER BY seller_id, buyer_id""")
        assert hood == alone and hood.trades == [(t["seller_id"], t["buyer_id"], t["value_usd"]) for t in own_trades]
    assert any(h.trades for h in together) and actor_neighbourhoods(ctx, graph, []) == []


def test_supply_keeps_the_production_sums(workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = supply.section(context(workspace, tmp_path, PRINTS, read=False), [])
    assert first is not None

    ctx = context(workspace, tmp_path, {**PRINTS, "exports": "a new batch"})
    ctx.reads = set()
    real = ctx.query
    monkeypatch.setattr(ctx, "query", lambda sql, *a: real(sql, *a) if "production" not in sql else pytest.fail(sql))
    assert supply.section(ctx, []) == first
    assert {"production", "exports", "imports"} <= ctx.reads


def test_supply_balance_is_the_sum_of_every_row(workspace: Workspace) -> None:
    """The balance from production's kept sums is the one summed over the rows (as it was drawn before)."""
    from filon.detect._supply import (
        exports_fine_sql,
        imports_fine_sql,
        reference_purity,
    )

    ctx = DetectContext(DuckDBEngine(workspace.connect()))
    rows = ctx.query(f"""
        WITH f AS (
          SELECT country, commodity, CAST(year(date) AS VARCHAR) AS year, 0.0 AS p, 0.0 AS i, kg AS e
          FROM ({exports_fine_sql(reference_purity(ctx))}) x WHERE commodity IS NOT NULL AND kg IS NOT NULL
          UNION ALL SELECT country, commodity, left(period, 4), fine_mass_kg, 0.0, 0.0 FROM production
          UNION ALL SELECT country, commodity, left(period, 4), 0.0, kg, 0.0 FROM ({imports_fine_sql()}) i
          WHERE commodity IS NOT NULL)
        SELECT country, commodity, year, sum(p) AS produced, sum(i) AS imported, sum(e) AS exported
        FROM f WHERE (country, commodity) IN (SELECT DISTINCT country, commodity FROM production)
        GROUP BY country, commodity, year ORDER BY commodity, country, year""")
    seen = []
    real = ctx.query
    ctx.query = lambda sql, *a: seen.append(real(sql, *a)) or seen[-1]  # type: ignore[method-assign]
    supply.section(ctx, [])
    assert len(rows) > 3 and [r.keys() for r in seen[-1]] == [r.keys() for r in rows]
    for new, old in zip(seen[-1], rows):  # equal up to the order of summation, which DuckDB does not fix
        assert new == {k: pytest.approx(v, rel=1e-12) if isinstance(v, float) else v for k, v in old.items()}
