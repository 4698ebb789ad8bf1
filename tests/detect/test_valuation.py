"""undervaluation / overvaluation: declared value per fine kg against the reference price."""

from __future__ import annotations

import logging

from pathlib import Path

import pytest

import filon.detect.valuation  # noqa: F401  (registers the detectors)
from filon.detect.runner import run_analysis

PRICES = ("date,commodity,price_usd,unit,source\n2024-01-01,Au,2000,troy_oz,WB\n2024-02-01,Au,2100,troy_oz,WB\n"
          "2024-03-01,Au,2200,troy_oz,WB\n2024-01-01,Cu,8000,t,WB\n2024-02-01,Cu,8000,t,WB\n")
AU_KG = 32.1507466


def run(package: Path, out: Path, codes=("undervaluation", "overvaluation")):
    return run_analysis(package, out, detectors=list(codes)).alerts


def add_exports(package: Path, rows: list[str]) -> None:
    (package / "prices.csv").write_text(PRICES, encoding="utf-8")
    with (package / "exports.csv").open("a", encoding="utf-8") as fh:
        fh.write("".join(r + "\n" for r in rows))


def test_fixture_declarations_are_ordinary(package: Path, tmp_path: Path) -> None:
    (package / "prices.csv").write_text(PRICES, encoding="utf-8")
    # 756000 / (11.6 kg × 2100 USD/oz) = 0.96: an ordinary dore discount.
    assert run(package, tmp_path) == []


def test_fires_both_ways_and_uses_the_price_at_or_before_the_date(package: Path, tmp_path: Path) -> None:
    # Feb price 2100/oz: 10 kg fine is worth 675,166 USD. One at 0.5 ×, one at 1.6 ×, one at 0.95 ×.
    worth = 10 * 2100 * AU_KG
    add_exports(package, [
        f"D-LOW,PE,2024-02-28,PE-A003,CH,7108120000,Au,dore,,,12,11.8,10,{worth * 0.5:.2f},,air,",
        f"D-HIGH,PE,2024-02-10,PE-A003,CH,7108120000,Au,dore,,,12,11.8,10,{worth * 1.6:.2f},,air,",
        f"D-OK,PE,2024-02-15,PE-A003,CH,7108120000,Au,dore,,,12,11.8,10,{worth * 0.95:.2f},,air,"])
    alerts = {a.subject_id: a for a in run(package, tmp_path)}
    assert set(alerts) == {"D-LOW", "D-HIGH"}
    low, high = alerts["D-LOW"], alerts["D-HIGH"]
    assert (low.typology, low.subject_type, low.period, low.country) == ("undervaluation", "declaration", "2024-02", "PE")
    assert high.typology == "overvaluation" and high.score == 1.0
    assert low.evidence["price_date"] == "2024-02-01" and low.evidence["value_to_metal_ratio"] == pytest.approx(0.5)
    assert low.score == pytest.approx(1.0) and low.value_at_risk_usd == pytest.approx(worth * 0.5, rel=1e-6)
    assert low.evidence["sources"][0]["row"] == 5 and low.evidence["sources"][0]["file"].endswith("exports.csv")


def test_concentrate_payable_deductions_are_normal(package: Path, tmp_path: Path) -> None:
    worth = 10 * 2100 * AU_KG
    add_exports(package, [
        f"C-OK,EC,2024-02-10,PE-A003,CN,2616901000,Au,concentrate,,,200,190,10,{worth * 0.86:.2f},,sea,",
        f"C-LOW,EC,2024-02-11,PE-A003,CN,2616901000,Au,concentrate,,,200,190,10,{worth * 0.55:.2f},,sea,"])
    assert [(a.typology, a.subject_id) for a in run(package, tmp_path)] == [("undervaluation", "C-LOW")]


def test_missing_fine_mass_is_estimated_from_assays_or_counted(package: Path, tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    worth = 10 * 2100 * AU_KG
    add_exports(package, [
        f"A-LOW,PE,2024-02-10,PE-A003,CH,7108120000,Au,dore,,,12,12.5,,{worth * 0.5:.2f},,air,LOT-A",
        f"N-LOW,PE,2024-02-10,PE-A003,CH,7108120000,Au,dore,,,12,12.5,,{worth * 0.5:.2f},,air,LOT-N"])
    (package / "assays.csv").write_text("sample_id,lot_id,au_gpt\nS1,LOT-A,800000\n", encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="filon.detect.valuation"):
        [alert] = run(package, tmp_path)
    assert alert.subject_id == "A-LOW" and alert.evidence["fine_mass_basis"] == "lot assay"
    assert alert.evidence["fine_mass_kg"] == pytest.approx(10.0) and alert.score == pytest.approx(0.8)
    assert "'skipped_no_fine_mass': 1" in caplog.text and "coverage" not in alert.evidence
