"""inactive_right_production: production or sales attributed to a right not in force at that date."""

from __future__ import annotations

from pathlib import Path

import pytest

import filon.detect.inactive_right_production  # noqa: F401  (registers the detector)
from filon.detect.runner import run_analysis
from filon.ingest.load import ingest_package
from filon.store.workspace import Workspace
from tests.conftest import rewrite


def run(package: Path, out: Path):
    return run_analysis(package, out, detectors=["inactive_right_production"]).alerts


def append(path: Path, rows: list[str]) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write("".join(r + "\n" for r in rows))


def test_fixture_rights_are_in_force(package: Path, tmp_path: Path) -> None:
    assert run(package, tmp_path) == []


def test_production_after_expiry_fires(package: Path, tmp_path: Path) -> None:
    # PE-R001 expired at the end of January 2024; its February production is out of force.
    rewrite(package / "mining_rights.csv", "active,small,Au,936.1,350,2012-06-01,2042-06-01",
            "expired,small,Au,936.1,350,2012-06-01,2024-01-31")
    [alert] = run(package, tmp_path)
    assert (alert.subject_type, alert.subject_id, alert.period, alert.country) == ("right", "PE-R001", "2024-02", "PE")
    assert alert.evidence["reasons"] == ["after_expiry"] and alert.evidence["production_records"] == 1
    assert alert.score == 0.9 and alert.value_at_risk_usd == 650700
    assert alert.evidence["sources"][0]["id"] == "PE-P002"


def test_stopping_at_expiry_and_selling_stock_soon_after_is_silent(package: Path, tmp_path: Path) -> None:
    rewrite(package / "mining_rights.csv", "active,small,Au,936.1,350,2012-06-01,2042-06-01",
            "expired,small,Au,936.1,350,2012-06-01,2024-02-29")
    # The March sale (PE-T003) cites the right a few days after expiry: stock mined before.
    assert run(package, tmp_path) == []


def test_production_before_the_grant_fires_but_not_after(package: Path, tmp_path: Path) -> None:
    rewrite(package / "mining_rights.csv", "2019-10-15", "2024-01-15")  # PE-R002 granted mid-January
    assert run(package, tmp_path) == []  # its January output overlaps the grant month
    rewrite(package / "mining_rights.csv", "2024-01-15", "2024-02-01")
    [alert] = run(package, tmp_path / "later")
    assert alert.subject_id == "PE-R002" and alert.evidence["reasons"] == ["before_grant"]


def test_sales_citing_an_undated_cancelled_right(package: Path, tmp_path: Path) -> None:
    append(package / "mining_rights.csv", ["PE-R009,PE,PE-A002,concession,cancelled,small,Au,100,50,2009-05-12,,,"])
    append(package / "trades.csv", ["PE-T900,PE,2024-05-10,PE-A002,PE-A003,Au,dore,,2,130000,PE-R009,,"])
    [alert] = run(package, tmp_path)
    assert (alert.subject_id, alert.period, alert.score) == ("PE-R009", "2024-05", 0.6)
    assert alert.evidence["status_date_known"] is False and alert.evidence["trades_citing"] == 1


# -- an incremental run ------------------------------------------------------------------------


def ingest_batch(ws: Path, folder: Path, table: str, rows: list[str]) -> None:
    """Ingest `rows` of `table` (its fixture header) as a new batch."""
    folder.mkdir()
    header = (Path(__file__).resolve().parents[1] / "fixtures" / "valid_package" / f"{table}.csv").read_text(
        encoding="utf-8").splitlines()[0]
    (folder / f"{table}.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    ingest_package(folder, ws)


def test_an_incremental_run_flags_the_new_batches_alone(package: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The flagged records are kept: a new batch's are flagged by themselves and added to them, giving the
    alert a full run gives; a changed register of rights flags every record again."""
    from filon.detect.tally import TallyStore

    rewrite(package / "mining_rights.csv", "active,small,Au,936.1,350,2012-06-01,2042-06-01",
            "expired,small,Au,936.1,350,2012-06-01,2024-01-31")
    ws, out = tmp_path / "ws", tmp_path / "out"
    ingest_package(package, ws)
    [first] = run_analysis(ws, out, detectors=["inactive_right_production"]).alerts
    over, inner = [], TallyStore._over
    monkeypatch.setattr(TallyStore, "_over",  # this detector's tally alone (the risk step keeps its own)
                        lambda self, tally, only: (tally.name.startswith("inactive_right") and over.append(only))
                        or inner(self, tally, only))
    late_sale = "PE-T950,PE,2024-08-10,PE-A001,PE-A003,Au,dore,,2,130000,PE-R001,,"
    before = {b.batch_id for b in Workspace(ws).batches}
    ingest_batch(ws, tmp_path / "b1", "trades", [late_sale])
    ingest_batch(ws, tmp_path / "b2", "trades", ["PE-T951,PE,2024-09-11,PE-A001,PE-A003,Au,dore,,1,65000,PE-R001,,",
                                                 "PE-T952,PE,2024-09-12,PE-A002,PE-A003,Au,dore,,1,65000,,,"])
    ingest_batch(ws, tmp_path / "b3", "production", ["PE-P950,PE,PE-R001,,2024-05,Au,dore,1.8,1.5,97500"])
    r = run_analysis(ws, out, detectors=["inactive_right_production"])
    new = {b.batch_id for b in Workspace(ws).batches} - before
    assert r.scoped == ["inactive_right_production"] and len(over) == 1
    assert {t: ids for t, ids in over[0].items() if ids} == {
        "trades": {b.batch_id for b in Workspace(ws).batches if b.table == "trades" and b.batch_id in new},
        "production": {b.batch_id for b in Workspace(ws).batches if b.table == "production" and b.batch_id in new}}
    [alert] = r.alerts
    full = run_analysis(ws, tmp_path / "full", detectors=["inactive_right_production"]).alerts
    assert [alert.to_row()] == [a.to_row() for a in full]
    assert alert.evidence["trades_citing"] == 2 and alert.evidence["production_records"] == 2
    assert alert.value_at_risk_usd == first.value_at_risk_usd + 97500

    over.clear()  # another right's term changes: every record is flagged again
    ingest_batch(ws, tmp_path / "b4", "mining_rights",
                 ["PE-R009,PE,PE-A002,concession,cancelled,small,Au,100,50,2009-05-12,,,"])
    again = run_analysis(ws, out, detectors=["inactive_right_production"])
    assert not again.scoped and over == [{"production": None, "trades": None}]
    assert [a.to_row() for a in again.alerts] == [a.to_row() for a in full]
