"""production_over_capacity: declared fine metal against capacity × days × the plausible grade ceiling."""

from __future__ import annotations

from pathlib import Path

import pytest

import filon.detect.production_over_capacity  # noqa: F401  (registers the detector)
from filon.detect.runner import run_analysis

CODE = "production_over_capacity"
PRICES = "date,commodity,price_usd,unit,source\n2024-01-01,Au,2000,troy_oz,WB\n2024-07-01,Au,2200,troy_oz,WB\n"
AU_KG = 32.1507466


def run(package: Path, out: Path):
    return run_analysis(package, out, detectors=[CODE]).alerts


def append(path: Path, rows: list[str]) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write("".join(r + "\n" for r in rows))


def test_fixture_rights_are_within_capacity(package: Path, tmp_path: Path) -> None:
    assert run(package, tmp_path) == []


def test_fires_above_the_scale_ceiling_not_on_a_big_producer(package: Path, tmp_path: Path) -> None:
    (package / "prices.csv").write_text(PRICES, encoding="utf-8")
    # PE-R002: artisanal, 25 t/day × 366 days = 9150 t; 1 + 274 kg = 275 kg fine → 30.05 g/t > 20 g/t.
    # PE-R001: small, 350 t/day; 20.6 + 1000 kg → 7.97 g/t: the largest producer, but plausible.
    append(package / "production.csv", ["PE-P101,PE,PE-R002,,2024-06,Au,dore,330,274,",
                                         "PE-P102,PE,PE-R001,,2024-05,Au,dore,1200,1000,"])
    [alert] = run(package, tmp_path)
    assert (alert.subject_type, alert.subject_id, alert.period, alert.country) == ("right", "PE-R002", "2024", "PE")
    ev = alert.evidence
    assert ev["implied_grade_gpt"] == pytest.approx(275_000 / 9150, rel=1e-4) and ev["over_ceiling"] is True
    assert ev["ceiling_gpt"] == 20.0 and ev["excess_fine_kg"] == pytest.approx(275 - 183, rel=1e-6)
    assert alert.score == pytest.approx(0.5 + 0.5 * (275 / 183 - 1) / 2, rel=1e-3)
    assert alert.value_at_risk_usd == pytest.approx(92 * 2100 * AU_KG, rel=1e-6)
    assert {s["id"] for s in ev["sources"]} == {"PE-P003", "PE-P101"}
    assert all(s["file"].endswith("production.csv") for s in ev["sources"])


def test_robust_outlier_among_peers_below_the_ceiling(package: Path, tmp_path: Path) -> None:
    # Twelve small Bolivian rights of 100 t/day near 1 g/t, one at 12 g/t (z >> 3.5 and over half the
    # ceiling: fires, weakly), one at 8 g/t (an outlier too, but a plausible rich vein: silent).
    rights, prod = [], []
    grades = [0.8, 0.9, 1.0, 1.1, 1.2, 0.95, 1.05, 0.85, 1.15, 1.0, 0.9, 1.1, 12.0, 8.0]
    for i, g in enumerate(grades):
        rights.append(f"BO-X{i:02d},BO,BO-A001,cooperative_area,active,small,Au,100,100,2001-01-01,,La Paz,")
        prod.append(f"BO-Y{i:02d},BO,BO-X{i:02d},,2023,Au,dore,,{g * 100 * 365 / 1000:.4f},")
    append(package / "mining_rights.csv", rights)
    append(package / "production.csv", prod)
    [alert] = run(package, tmp_path)
    assert alert.subject_id == "BO-X12" and alert.period == "2023" and alert.evidence["over_ceiling"] is False
    assert alert.evidence["robust_z"] > 3.5 and 0.3 <= alert.score < 0.5
    assert alert.value_at_risk_usd is None  # no 2023 price in the package
