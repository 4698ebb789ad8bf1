"""Incremental analysis gives the alerts a full run gives.

A demo region is split: some rows of one table are held back as a new batch. The rest is
ingested and analysed (the "last run"), the batch is ingested, and the workspace is analysed
twice from copies of the last run's folder: incrementally (reusing and scoping) and with
`full=True`. Both must give the same alerts; the incremental run must actually have reused and
scoped detectors (or the test would prove nothing).
"""

from __future__ import annotations

import csv
import json
import math
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from filon.demo import generate_region
from filon.detect import all_detectors
from filon.detect.context import DetectContext
from filon.detect.incremental import load_state
from filon.detect.runner import run_analysis
from filon.engine.base import engine_for
from filon.ingest.load import ingest_package
from filon.store.workspace import Workspace

#: (table held back, share of its rows, how they are picked, detectors that must run scoped)
CASES = [
    ("exports", 0.03, "random", {"undervaluation", "overvaluation", "content_misdeclaration", "sanctioned_party",
                                 "opaque_ownership"}),
    # the newest declarations (what `filon watch` sees): the last date moves, the links in force and
    # the reference purities do not, so the ownership and supply detectors still run scoped
    ("exports", 0.02, "latest", {"undervaluation", "sanctioned_party", "opaque_ownership", "mass_balance_break",
                                 "export_without_supply"}),
    ("trades", 0.02, "latest", {"mass_balance_break", "export_without_supply", "inactive_right_production"}),
    ("production", 0.02, "random", {"production_over_capacity", "production_without_disturbance",
                                    "inactive_right_production", "mass_balance_break", "export_without_supply"}),
    ("inputs", 0.05, "random", {"input_overuse"}),
]


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("incremental-region")
    generate_region(root / "package", seed=11, scale=0.3)
    (root / "package" / "ground_truth.csv").unlink()
    return root / "package"


def split(src: Path, dest: Path, table: str, share: float, how: str, seed: int = 5) -> tuple[Path, Path]:
    base, batch = dest / "base", dest / "batch"
    shutil.copytree(src, base)
    batch.mkdir()
    with open(src / f"{table}.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields, rows = reader.fieldnames, list(reader)
    n = max(1, int(len(rows) * share))
    if how == "latest":
        key = "date" if "date" in fields else "period"
        held = set(sorted(range(len(rows)), key=lambda i: (rows[i][key], i))[-n:])
    else:
        held = set(random.Random(seed).sample(range(len(rows)), n))
    for folder, keep in ((base, lambda i: i not in held), (batch, lambda i: i in held)):
        with open(folder / f"{table}.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=fields)
            w.writeheader()
            w.writerows(r for i, r in enumerate(rows) if keep(i))
    return base, batch


def close(a: Any, b: Any) -> bool:
    """Equal, numbers up to summation-order noise (DuckDB's parallel sums differ in the last bits)."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=2e-3)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    return a == b


def by_id(out: Path) -> dict[str, dict[str, Any]]:
    rows = json.loads((out / "alerts.json").read_text(encoding="utf-8"))
    return {r["alert_id"]: r for r in rows}


SUPPLY = {"export_without_supply", "mass_balance_break"}


def incremental_and_full(ws: Path, last: Path, tmp_path: Path) -> tuple[Any, Any]:
    """Analyse `ws` incrementally and in full, each from a copy of the last run's folder `last`;
    assert both give the same alerts and return both results."""
    results = {}
    for mode in ("incremental", "full"):
        shutil.copytree(last, tmp_path / mode)
        results[mode] = run_analysis(ws, tmp_path / mode, full=mode == "full")
    inc, full = by_id(tmp_path / "incremental"), by_id(tmp_path / "full")
    assert inc.keys() == full.keys(), (sorted(inc.keys() - full.keys()), sorted(full.keys() - inc.keys()))
    differ = [k for k in inc if not close({c: inc[k][c] for c in ("score", "value_at_risk_usd", "evidence", "explanation")},
                                          {c: full[k][c] for c in ("score", "value_at_risk_usd", "evidence", "explanation")})]
    assert not differ, [(inc[k]["typology"], inc[k]["subject_id"]) for k in differ]
    assert not results["incremental"].failures
    return results["incremental"], results["full"]


@pytest.mark.parametrize("table,share,how,scoped", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_incremental_equals_full(region: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: str,
                                 share: float, how: str, scoped: set[str]) -> None:
    from filon.detect.tally import TallyStore

    base, batch = split(region, tmp_path, table, share, how)
    ws, last = tmp_path / "ws", tmp_path / "last"
    ingest_package(base, ws)
    run_analysis(ws, last)
    ingest_package(batch, ws)
    over, inner = [], TallyStore._over
    monkeypatch.setattr(TallyStore, "_over", lambda self, tally, only: over.append(only) or inner(self, tally, only))
    r, full = incremental_and_full(ws, last, tmp_path)
    assert scoped <= set(r.scoped), r.scoped
    if SUPPLY <= scoped:  # the supply tally was the last run's plus the new batch's sums
        assert {t: ids for only in over for t, ids in only.items() if ids} == {table: {
            b.batch_id for b in Workspace(ws).batches if b.table == table} - {
            b for bs in load_state(last, Workspace(ws)).batches.values() for b in bs}}, over
    assert r.reused and not full.reused
    if table == "exports":  # it reads ownership and trades only (the links in force have not moved)
        assert "shared_controller" in r.reused


def test_unchanged_workspace_reuses_everything(region: Path, tmp_path: Path) -> None:
    ingest_package(region, tmp_path / "ws")
    first = run_analysis(tmp_path / "ws", tmp_path / "out")
    again = run_analysis(tmp_path / "ws", tmp_path / "out")
    assert sorted(again.reused) == sorted(d["code"] for d in first.detectors)
    assert again.risk_reused and not again.changes
    assert [a.alert_id for a in again.alerts] == [a.alert_id for a in first.alerts]
    assert (tmp_path / "out" / "risk.csv").read_text() != ""


def test_other_parameters_or_damaged_state_run_again(region: Path, tmp_path: Path) -> None:
    ingest_package(region, tmp_path / "ws")
    run_analysis(tmp_path / "ws", tmp_path / "out")
    params = tmp_path / "p.yaml"
    params.write_text("valuation:\n  margin: 0.3\n", encoding="utf-8")
    changed = run_analysis(tmp_path / "ws", tmp_path / "out", params=params)
    assert "undervaluation" not in changed.reused and "displacement" in changed.reused
    (tmp_path / "out" / ".filon-state" / "state.json").write_text("{not json", encoding="utf-8")
    assert load_state(tmp_path / "out", Workspace(tmp_path / "ws")) is None
    assert not run_analysis(tmp_path / "ws", tmp_path / "out").reused


def test_recorded_reads_do_not_depend_on_shared_caches(region: Path, tmp_path: Path) -> None:
    """A detector run after the others (caches warm) must record the tables it reads exactly as
    when run alone (caches cold); otherwise a cache would hide an input from incremental runs."""
    ingest_package(region, tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    warm_ctx = DetectContext(engine_for("duckdb", ws))
    warm: dict[str, set[str]] = {}
    try:
        for code, det in all_detectors().items():
            warm_ctx.reads = set()
            det.run(warm_ctx, det.defaults())
            warm[code] = warm_ctx.reads
    finally:
        warm_ctx.engine.close()
    for code, det in all_detectors().items():
        cold_ctx = DetectContext(engine_for("duckdb", ws), reads=set())
        try:
            det.run(cold_ctx, det.defaults())
        finally:
            cold_ctx.engine.close()
        assert warm[code] == cold_ctx.reads, code


def test_report_sections_are_redrawn_when_their_tables_or_the_alerts_change() -> None:
    from markupsafe import Markup

    from filon.report.sections import Section, SectionCache

    drawn = Section(key="supply", title="Supply", intro="i", html=Markup("<svg></svg>"))
    first = SectionCache("alerts-1", {"exports": "a", "imports": "b"})
    first.put("supply", drawn, {"exports", "imports"})
    same = SectionCache("alerts-1", {"exports": "a", "imports": "b", "trades": "new"}, previous=first.entries)
    assert same.get("supply") == drawn  # a table it did not read changed
    assert SectionCache("alerts-1", {"exports": "changed", "imports": "b"}, previous=first.entries).get("supply") is None
    assert SectionCache("alerts-2", {"exports": "a", "imports": "b"}, previous=first.entries).get("supply") is None


def test_a_state_left_by_other_code_is_not_reused(region: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from filon.detect import incremental

    ingest_package(region, tmp_path / "ws")
    run_analysis(tmp_path / "ws", tmp_path / "out")
    assert load_state(tmp_path / "out", Workspace(tmp_path / "ws")) is not None
    monkeypatch.setattr(incremental, "code_key", lambda: "edited")
    assert load_state(tmp_path / "out", Workspace(tmp_path / "ws")) is None


def test_a_removed_batch_runs_the_balance_detectors_in_full(region: Path, tmp_path: Path) -> None:
    """The supply tally kept from the last run counts a batch since removed: its sums cannot be taken
    back out, so the balance detectors run in full and compute it from all rows again."""
    from filon.store.remove import remove_batch

    base, batch = split(region, tmp_path, "trades", 0.02, "latest")
    ws, last = tmp_path / "ws", tmp_path / "last"
    ingest_package(base, ws)
    before = {b.batch_id for b in Workspace(ws).batches}
    ingest_package(batch, ws)
    run_analysis(ws, last)
    remove_batch(Workspace(ws), next(b.batch_id for b in Workspace(ws).batches if b.batch_id not in before), force=True)
    r, _ = incremental_and_full(ws, last, tmp_path)
    assert not SUPPLY & set(r.scoped + r.reused), (r.scoped, r.reused)


def test_a_batch_moving_the_reference_purities_runs_the_balance_detectors_in_full(region: Path, tmp_path: Path) -> None:
    """New declarations of low purity move the reference purity every estimated fine mass is taken
    at: every exporter's balance may change, so the balance detectors run in full."""
    base, batch = split(region, tmp_path, "exports", 0.05, "latest")
    with open(batch / "exports.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields, rows = reader.fieldnames, list(reader)
    for r in rows:
        if r["fine_mass_kg"] and r["net_mass_kg"]:
            r["fine_mass_kg"] = f"{float(r['net_mass_kg']) * 0.3:.3f}"
    with open(batch / "exports.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    ws, last = tmp_path / "ws", tmp_path / "last"
    ingest_package(base, ws)
    run_analysis(ws, last)
    ingest_package(batch, ws)
    r, _ = incremental_and_full(ws, last, tmp_path)
    assert not SUPPLY & set(r.scoped + r.reused), (r.scoped, r.reused)
    assert "undervaluation" in r.scoped  # the purities are the supply detectors' figure, not every detector's
