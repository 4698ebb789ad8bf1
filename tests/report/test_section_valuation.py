"""Report section `valuation`: the same chart whether the declarations come from the rows the
detectors shared (a full run) or from the narrow sampling query (an incremental run)."""

from __future__ import annotations

import pytest

from filon.demo import generate_region
from filon.detect.context import DetectContext
from filon.detect.parameters import defaults
from filon.detect.registry import all_detectors
from filon.detect.valuation import declarations_sql
from filon.engine.duckdb import DuckDBEngine
from filon.ingest.load import ingest_package
from filon.report.sections import valuation
from filon.store.workspace import Workspace


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("valuation")
    generate_region(root / "region", seed=5, scale=0.05)
    ingest_package(root / "region", root / "ws")
    return Workspace(root / "ws")


def test_shared_rows_and_narrow_sql_draw_the_same_points(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(valuation, "MAX_POINTS", 100)  # so that the unflagged declarations are sampled
    sql = declarations_sql(defaults("valuation"))
    shared, narrow = (DetectContext(DuckDBEngine(workspace.connect())) for _ in range(2))
    detectors = all_detectors()
    alerts = [{**a.to_row(), "evidence": a.evidence}
              for code in valuation.TYPOLOGIES for a in detectors[code].run(shared, detectors[code].defaults())]
    alerts.append({**alerts[0], "subject_id": "it's <a\\quoted> id"})  # must be escaped in the SQL
    assert sql in shared._shared  # the detectors left every row there

    narrow.reads = set()
    from_shared = valuation.drawn(shared, sql, {a["subject_id"] for a in alerts})
    from_sql = valuation.drawn(narrow, sql, {a["subject_id"] for a in alerts})
    assert sql not in narrow._shared and {"exports", "prices", "assays"} <= narrow.reads

    assert from_shared.keys() == from_sql.keys() and len(from_sql) >= 1
    for metal, d in from_sql.items():
        assert (d.valued, d.flagged) == (from_shared[metal].valued, from_shared[metal].flagged)
        assert [r["declaration_id"] for r in d.rows] == [r["declaration_id"] for r in from_shared[metal].rows]
    au = from_sql["Au"]
    assert au.flagged > 0 and len(au.rows) < au.valued  # flagged ones and a sample are both exercised
    assert valuation.section(narrow, alerts) == valuation.section(shared, alerts)
