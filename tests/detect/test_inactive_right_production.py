"""inactive_right_production: production or sales attributed to a right not in force at that date."""

from __future__ import annotations

from pathlib import Path


import filon.detect.inactive_right_production  # noqa: F401  (registers the detector)
from tests.conftest import rewrite
from filon.detect.runner import run_analysis


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
