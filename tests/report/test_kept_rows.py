"""Rows kept between runs for the report (`filon.report.sections._kept`): the unit-value chart of
a run that takes the last run's declarations and adds a new batch's is the chart of every
declaration, and whatever the rows were computed from changing makes them be computed again."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from filon.demo import generate_region
from filon.detect import incremental
from filon.detect.context import DetectContext
from filon.detect.kept import kept_values
from filon.detect.parameters import defaults
from filon.detect.valuation import declarations_sql
from filon.engine.duckdb import DuckDBEngine
from filon.ingest.load import ingest_package
from filon.report.sections import _kept, valuation
from filon.store.workspace import Workspace

SQL = declarations_sql(defaults("valuation"))
QUERY_ADDED = _kept._query_added


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A region without its last 60 export declarations (base), and those (batch)."""
    root = tmp_path_factory.mktemp("kept")
    generate_region(root / "region", seed=5, scale=0.05)
    base, batch = root / "base", root / "batch"
    shutil.copytree(root / "region", base, ignore=shutil.ignore_patterns(".*", "ground_truth.csv"))
    batch.mkdir()
    with (root / "region" / "exports.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for folder, part in ((base, rows[:-60]), (batch, rows[-60:])):
        with (folder / "exports.csv").open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(part)
    return base, batch


def context(ws: Workspace, out: Path, read: bool = True) -> DetectContext:
    ctx = DetectContext(DuckDBEngine(ws.connect()))
    ctx.kept = kept_values(out, incremental.fingerprints(ws), read=read)
    return ctx


def points(metals: dict[str, valuation.Drawn]) -> dict[str, tuple[int, int, list[tuple]]]:
    return {m: (d.valued, d.flagged, [tuple(r[c] for c in valuation.COLUMNS) for r in d.rows]) for m, d in metals.items()}


@pytest.fixture
def runs(packages: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Workspace, Path, set[str]]:
    """The workspace after a first run (a full one: the rows shared by the detectors are kept) and
    the new batch, the folder of that run, and flagged declarations old and new."""
    monkeypatch.setattr(valuation, "MAX_POINTS", 100)  # so that the unflagged declarations are sampled
    base, batch = packages
    ingest_package(base, tmp_path / "ws")
    ws, out = Workspace(tmp_path / "ws"), tmp_path / "out"
    first = context(ws, out, read=False)
    first.query_shared(SQL)  # as the valuation detectors leave them
    valuation.drawn(first, SQL, set())
    ingest_package(batch, tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    ids = [r[0] for r in ws.connect().execute("SELECT declaration_id FROM exports ORDER BY _batch_id, _source_row").fetchall()]
    return ws, out, {ids[3], ids[10], ids[-1], ids[-5]}


def test_a_new_batch_is_added_to_the_kept_declarations(runs: tuple[Workspace, Path, set[str]],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    ws, out, flagged = runs
    expected = points(valuation._sample_sql(DetectContext(DuckDBEngine(ws.connect())), SQL, flagged))
    added = []
    monkeypatch.setattr(_kept, "_query_added", lambda *a: added.append(a[3]) or QUERY_ADDED(*a))
    ctx = context(ws, out)
    ctx.reads = set()
    assert points(valuation.drawn(ctx, SQL, flagged)) == expected
    assert len(added) == 1 and len(added[0]) == 1  # the new batch only, not every declaration
    assert {"exports", "assays", "prices"} <= ctx.reads
    assert sum(n for n, _, _ in expected.values()) > 100 and sum(f for _, f, _ in expected.values()) >= 2
    again = context(ws, out)  # the next run, with no new batch, queries no declaration
    monkeypatch.setattr(again, "query_arrow", None)
    assert points(valuation.drawn(again, SQL, flagged)) == expected and len(added) == 1


def test_changed_prices_or_a_removed_batch_recompute_every_row(runs: tuple[Workspace, Path, set[str]],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    ws, out, flagged = runs
    expected = points(valuation._sample_sql(DetectContext(DuckDBEngine(ws.connect())), SQL, flagged))
    monkeypatch.setattr(_kept, "_query_added", None)  # neither may extend the kept rows
    ctx = context(ws, out)
    ctx.kept.prints = {**ctx.kept.prints, "prices": "other prices"}
    assert points(valuation.drawn(ctx, SQL, flagged)) == expected

    meta = out / ".filon-state" / "values" / f"{valuation.KEPT_AS}.json"
    info = json.loads(meta.read_text())
    meta.write_text(json.dumps({**info, "batches": info["batches"] + ["a batch removed since"]}))
    assert points(valuation.drawn(context(ws, out), SQL, flagged)) == expected


def test_without_kept_values_the_database_samples(runs: tuple[Workspace, Path, set[str]]) -> None:
    ws, _, flagged = runs
    ctx = DetectContext(DuckDBEngine(ws.connect()))  # a throw-away workspace keeps nothing
    assert _kept.kept_rows(ctx, "x", "SELECT 1", "exports", valuation.SCHEMA, ("declaration_id",)) is None
    assert points(valuation.drawn(ctx, SQL, flagged)) == points(valuation._sample_sql(ctx, SQL, flagged))
