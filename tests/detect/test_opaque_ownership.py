"""opaque_ownership fires on layered, offshore, nominee, fresh or circular control; not on plain holdings."""

from __future__ import annotations

from pathlib import Path

import pytest

from filon.detect.context import DetectContext
from filon.detect.opaque_ownership import detect
from filon.detect.parameters import Parameters, defaults
from filon.engine.duckdb import DuckDBEngine
from filon.errors import UsageError
from filon.ingest.load import ingest_package
from filon.store.workspace import Workspace
from tests.graph.packages import add_actors, add_links, offshore_layers


def run(package: Path, tmp_path: Path, params: Parameters | None = None) -> list:
    ingest_package(package, tmp_path / "ws")
    return detect(DetectContext(DuckDBEngine(Workspace(tmp_path / "ws").connect())), params or defaults("opaque_ownership"))


def transparent(package: Path) -> None:
    """EC-A001 under an old domestic holding held by two people; CO-A001 under an old Canadian parent."""
    add_actors(package, ("EC-H001", "EC", "Inversiones Nambija Cia. Ltda.", "company", "1999-02-01", ""),
               ("CA-P001", "CA", "Maple Gold Mining Inc.", "company", "1990-06-01", ""))
    add_links(package, ("OW-10", "EC-A001", "EC-H001", "", 100, "shareholding", "2016-03-08"),
              ("OW-11", "EC-H001", "", "Jaramillo Celi Rosa", 60, "shareholding", "1999-02-01"),
              ("OW-12", "EC-H001", "", "Jaramillo Celi Pedro", 40, "shareholding", "1999-02-01"),
              ("OW-13", "CO-A001", "CA-P001", "", 100, "shareholding", "2018-09-21"))


def test_fires_on_offshore_layers_with_a_nominee_and_a_fresh_holding(package: Path, tmp_path: Path) -> None:
    offshore_layers(package)
    transparent(package)
    [alert] = run(package, tmp_path)
    assert (alert.typology, alert.subject_type, alert.subject_id, alert.country) == ("opaque_ownership", "actor", "PE-A003", "PE")
    ind = alert.evidence["indicators"]
    assert set(ind) == {"layers", "secrecy", "fresh", "nominee", "no_ubo"}
    assert ind["layers"]["corporate_layers"] == 2
    assert ind["secrecy"]["nodes"][0]["node_id"] == "VG-H001"
    assert "62 days" in ind["fresh"]["nodes"][0]["detail"] and ind["fresh"]["nodes"][0]["records"] == ["OW-1"]
    assert ind["nominee"]["nodes"][0]["node_id"] == "name:ALPHA-NOMINEES-LTD"
    assert alert.score == pytest.approx(1 - 0.75 * 0.65 * 0.75 * 0.7 * 0.8, abs=1e-4)
    [(exported_and_sold,)] = Workspace(tmp_path / "ws").connect().execute("""SELECT sum(v) FROM (
        SELECT value_usd AS v FROM exports WHERE exporter_id = 'PE-A003'
        UNION ALL SELECT value_usd FROM trades WHERE seller_id = 'PE-A003')""").fetchall()
    assert alert.value_at_risk_usd == pytest.approx(exported_and_sold) and exported_and_sold > 0
    assert {s["id"] for s in alert.evidence["sources"]} == {"OW-1", "OW-2", "OW-3"}
    assert all(s["file"].endswith("ownership.csv") and s["row"] >= 2 for s in alert.evidence["sources"])
    assert "PE-A003" in alert.explanation and "secrecy jurisdiction" in alert.explanation


def test_silent_on_a_plain_domestic_holding_and_an_old_foreign_parent(package: Path, tmp_path: Path) -> None:
    transparent(package)
    assert run(package, tmp_path) == []
    # The foreign parent shows one indicator (no natural person above it): only a single-indicator rule fires.
    loose = defaults("opaque_ownership").replace(min_indicators=1, min_score=0.1)
    assert [a.subject_id for a in run(package, tmp_path / "loose", loose)] == ["CO-A001"]


def test_fires_on_circular_ownership(package: Path, tmp_path: Path) -> None:
    add_actors(package, ("BO-H001", "BO", "Inversiones Tipuani S.R.L.", "company", "2005-01-01", ""),
               ("BO-H002", "BO", "Holding Illimani S.R.L.", "company", "2005-01-01", ""))
    add_links(package, ("OW-20", "BO-A001", "BO-H001", "", 100, "shareholding", "2006-01-01"),
              ("OW-21", "BO-H001", "BO-H002", "", 100, "shareholding", "2006-01-01"),
              ("OW-22", "BO-H002", "BO-H001", "", 100, "shareholding", "2006-01-01"))
    [alert] = run(package, tmp_path)
    assert alert.subject_id == "BO-A001"
    assert set(alert.evidence["indicators"]) == {"circular", "layers", "no_ubo"}
    assert alert.evidence["indicators"]["circular"]["nodes"] == ["BO-H001", "BO-H002"]


def test_a_replaced_secrecy_list_is_used_and_a_bad_one_is_explained(package: Path, tmp_path: Path) -> None:
    offshore_layers(package)
    mine = tmp_path / "havens.csv"
    mine.write_text("country,source\nKY,my list\n", encoding="utf-8")
    [alert] = run(package, tmp_path, defaults("opaque_ownership").replace(secrecy_jurisdictions_file=str(mine)))
    assert "secrecy" not in alert.evidence["indicators"]
    mine.write_text("country,source\nVirgin Islands,my list\n", encoding="utf-8")
    with pytest.raises(UsageError, match="row 2, column country.*alpha-2"):
        run(package, tmp_path / "bad", defaults("opaque_ownership").replace(secrecy_jurisdictions_file=str(mine)))
    with pytest.raises(UsageError, match="not found.*secrecy_jurisdictions_file"):
        run(package, tmp_path / "missing", defaults("opaque_ownership").replace(secrecy_jurisdictions_file=str(tmp_path / "nope.csv")))


def test_silent_without_ownership_data(package: Path, tmp_path: Path) -> None:
    assert run(package, tmp_path) == []


def test_a_scoped_run_takes_the_judgements_kept_by_the_last_run(package: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """An actor's alert but its value depends on the ownership graph alone: judged once for every actor
    and kept, a scoped run looks its subjects up (judging nobody); with nothing kept it judges them."""
    from filon.detect import opaque_ownership
    from filon.detect.incremental import fingerprints
    from filon.detect.kept import KeptValues

    offshore_layers(package)
    transparent(package)
    ingest_package(package, tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    p = defaults("opaque_ownership")

    def context(kept: bool) -> DetectContext:
        return DetectContext(DuckDBEngine(ws.connect()),
                             kept=KeptValues(tmp_path / "kept", fingerprints(ws), b"k" * 32) if kept else None)

    [full] = detect(context(True), p)
    judged: list[object] = []
    real = opaque_ownership._judge
    monkeypatch.setattr(opaque_ownership, "_judge", lambda *a: judged.append(a[3:]) or real(*a))
    for kept in (True, False):
        whole = context(kept)
        assert detect(DetectContext(whole.engine, full=whole, scope_keys=frozenset({"PE-A003", "EC-A001"})), p) == [full]
        assert detect(DetectContext(whole.engine, full=whole, scope_keys=frozenset({"EC-A001"})), p) == []
    assert judged == [(frozenset({"PE-A003", "EC-A001"}),), (frozenset({"EC-A001"}),)]  # only when nothing is kept
