"""content_misdeclaration: assays show paying metal that the declaration does not account for."""

from __future__ import annotations

from pathlib import Path

import pytest

import filon.detect.content_misdeclaration  # noqa: F401  (registers the detector)
from filon.detect.runner import run_analysis

PRICES = "date,commodity,price_usd,unit,source\n2024-02-01,Au,2000,troy_oz,WB\n2024-02-01,Cu,8000,t,WB\n"
CU_VALUE = 800 * 8.0 * 0.9  # 800 kg fine copper at 8000 USD/t, 90 % payable


def run(package: Path, out: Path):
    return run_analysis(package, out, detectors=["content_misdeclaration"]).alerts


def setup(package: Path, exports: list[str], assays: list[str]) -> None:
    (package / "prices.csv").write_text(PRICES, encoding="utf-8")
    with (package / "exports.csv").open("a", encoding="utf-8") as fh:
        fh.write("".join(r + "\n" for r in exports))
    (package / "assays.csv").write_text("sample_id,lot_id,au_gpt,ag_gpt,cu_pct\n" + "".join(a + "\n" for a in assays),
                                        encoding="utf-8")


def cu_export(decl: str, lot: str, value: float) -> str:
    return f"{decl},PE,2024-02-20,PE-A003,CN,2603000000,Cu,concentrate,,,3100,3000,800,{value:.2f},,sea,{lot}"


def test_gold_hidden_in_copper_concentrate(package: Path, tmp_path: Path) -> None:
    setup(package, [cu_export("CU-1", "L1", CU_VALUE)], ["S1,L1,100,,26.7", "S2,L1,90,,26.5"])
    [alert] = run(package, tmp_path)
    assert (alert.subject_type, alert.subject_id, alert.period, alert.country) == ("declaration", "CU-1", "2024-02", "PE")
    gold = 95 * 3000 / 1e6 * 2000 * 32.1507466 * 0.9  # 0.285 kg of gold, 90 % payable
    assert alert.value_at_risk_usd == pytest.approx(gold) and alert.score == 1.0
    assert alert.evidence["credits"][0]["samples"] == 2
    assert [s["table"] for s in alert.evidence["sources"]] == ["exports", "assays", "assays"]


def test_trace_gold_and_declared_credits_are_silent(package: Path, tmp_path: Path) -> None:
    gold = 95 * 3000 / 1e6 * 2000 * 32.1507466 * 0.9
    setup(package, [cu_export("CU-TRACE", "L1", CU_VALUE), cu_export("CU-PAID", "L2", 800 * 8.0 + gold)],
          ["S1,L1,0.8,,26.7", "S2,L2,95,,26.5"])
    assert run(package, tmp_path) == []


def test_gold_in_gold_product_is_not_a_credit(package: Path, tmp_path: Path) -> None:
    (package / "prices.csv").write_text(PRICES, encoding="utf-8")
    (package / "assays.csv").write_text("sample_id,lot_id,au_gpt\nS1,LOT-PE-0001,846700\n", encoding="utf-8")
    assert run(package, tmp_path) == []
