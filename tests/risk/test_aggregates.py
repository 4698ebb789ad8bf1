"""The indicators' aggregates kept period by period: a new batch recomputes only the periods it touches."""

from __future__ import annotations

import csv
import math
import shutil
from pathlib import Path

import pytest

import filon.risk.aggregates as aggregates_module
from filon.detect.context import DetectContext
from filon.detect.incremental import fingerprints
from filon.detect.kept import KeptValues
from filon.detect.parameters import defaults
from filon.engine.base import engine_for
from filon.ingest.load import ingest_package
from filon.risk.aggregates import SOURCES, aggregates
from filon.store.workspace import Workspace


def _hold_back_latest(package: Path, dest: Path, share: float) -> tuple[Path, Path, set[str]]:
    """dest/base (the package without its latest exports) and dest/batch (those), and their years."""
    base, batch = dest / "base", dest / "batch"
    shutil.copytree(package, base)
    batch.mkdir()
    with open(package / "exports.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields, rows = reader.fieldnames, sorted(reader, key=lambda r: (r["date"], r["declaration_id"]))
    n = max(1, int(len(rows) * share))
    for folder, part in ((base, rows[:-n]), (batch, rows[-n:])):
        with open(folder / "exports.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=fields)
            w.writeheader()
            w.writerows(part)
    return base, batch, {r["date"][:4] for r in rows[-n:]}


def _computed(ws: Path, kept: KeptValues | None, p) -> dict[str, aggregates_module.Aggregates]:
    ctx = DetectContext(engine_for("duckdb", Workspace(ws)), kept=kept)
    try:
        return {s: aggregates(ctx, s, p) for s in SOURCES}
    finally:
        ctx.engine.close()


def _same(a: aggregates_module.Aggregates, b: aggregates_module.Aggregates) -> bool:
    """Equal, sums up to their summation order (DuckDB's parallel sums differ in the last bits)."""
    def close(x, y) -> bool:
        if isinstance(x, float) and isinstance(y, float):
            return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-6)
        return x == y

    def parts(table) -> dict:
        return {tuple(r[c] for c in ("part", "kind", "sid", "country", "period", "item")): (r["records"], r["value_usd"])
                for r in table.to_pylist()}

    pa, pb = parts(a.parts), parts(b.parts)
    return (len(a.nodes) == len(b.nodes) and pa.keys() == pb.keys()
            and all(r.keys() == s.keys() and all(close(r[k], s[k]) for k in r) for r, s in zip(a.nodes, b.nodes))
            and all(pa[k][0] == pb[k][0] and close(pa[k][1], pb[k][1]) for k in pa))


def test_a_new_batch_recomputes_only_the_periods_it_touches(regions, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    region = next(iter(regions.values()))
    p = defaults("risk")
    base, batch, years = _hold_back_latest(region.package, tmp_path, 0.02)
    ws = tmp_path / "ws"
    ingest_package(base, ws)
    key = b"k" * 32
    _computed(ws, KeptValues(tmp_path / "kept", fingerprints(Workspace(ws)), key), p)  # the last run: keeps them
    ingest_package(batch, ws)

    computed: list[str] = []
    flows: list[tuple] = []
    local, flows_sql = aggregates_module._local, aggregates_module.flows_sql
    monkeypatch.setattr(aggregates_module, "_local", lambda ctx, sql: computed.append(sql) or local(ctx, sql))
    monkeypatch.setattr(aggregates_module, "flows_sql",
                        lambda p, source, periods=None, batches=None: flows.append((source, periods, batches))
                        or flows_sql(p, source, periods, batches))
    again = _computed(ws, KeptValues(tmp_path / "kept", fingerprints(Workspace(ws)), key), p)
    assert len(computed) == 1, "trades and production are unchanged: taken whole from the last run"
    [new_batch] = [b.batch_id for b in Workspace(ws).batches if b.table == "exports"][-1:]
    recomputed = [f for f in flows if f[1] is not None]
    assert recomputed and all(source == "exports" and set(periods) <= years for source, periods, _ in recomputed)
    assert all(batches == [new_batch] for *_, batches in recomputed), \
        "the latest periods' flows are kept: only the new declarations' flows are computed"

    monkeypatch.setattr(aggregates_module, "_local", local)
    monkeypatch.setattr(aggregates_module, "flows_sql", flows_sql)
    in_line = _computed(ws, None, p)
    assert all(_same(again[s], in_line[s]) for s in SOURCES) and again["exports"].nodes


def test_kept_flows_of_a_period_are_not_used_when_another_table_changed(regions, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A period's kept flow rows were priced with the last run's prices: new prices recompute them all."""
    region = next(iter(regions.values()))
    p = defaults("risk")
    base, batch, _years = _hold_back_latest(region.package, tmp_path, 0.02)
    lines = (base / "prices.csv").read_text(encoding="utf-8").splitlines()
    header, last = lines[0], lines[-1]
    ws = tmp_path / "ws"
    ingest_package(base, ws)
    key = b"k" * 32
    _computed(ws, KeptValues(tmp_path / "kept", fingerprints(Workspace(ws)), key), p)
    date, *rest = last.split(",")
    (batch / "prices.csv").write_text(f"{header}\n{int(date[:4]) + 1}{date[4:]},{','.join(rest)}\n", encoding="utf-8")
    ingest_package(batch, ws)

    flows: list[tuple] = []
    flows_sql = aggregates_module.flows_sql
    monkeypatch.setattr(aggregates_module, "flows_sql",
                        lambda p, source, periods=None, batches=None: flows.append((source, periods, batches))
                        or flows_sql(p, source, periods, batches))
    again = _computed(ws, KeptValues(tmp_path / "kept", fingerprints(Workspace(ws)), key), p)
    assert [f for f in flows if f[1] is not None] and all(f[2] is None for f in flows), "every period recomputed whole"
    monkeypatch.setattr(aggregates_module, "flows_sql", flows_sql)
    in_line = _computed(ws, None, p)
    assert all(_same(again[s], in_line[s]) for s in SOURCES)


def test_only_the_latest_periods_keep_their_flow_rows(regions, tmp_path: Path) -> None:
    region = next(iter(regions.values()))
    p = defaults("risk")
    ws = tmp_path / "ws"
    ingest_package(region.package, ws)
    kept = KeptValues(tmp_path / "kept", fingerprints(Workspace(ws)), b"k" * 32)
    kept.put("indicator_flows_exports_1999", ("old",), (), "a period no longer among the latest")
    _computed(ws, kept, p)
    years = sorted({r["date"][:4] for r in csv.DictReader(open(region.package / "exports.csv", encoding="utf-8"))})
    flows = sorted(f.stem for f in (tmp_path / "kept").glob("indicator_flows_exports_*.pickle"))
    assert flows == [f"indicator_flows_exports_{y}" for y in years[-aggregates_module.FLOW_PERIODS:]]
