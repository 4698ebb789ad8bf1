"""national_export_exceeds_supply fires when a country exports more than it produced and imported."""

from __future__ import annotations

from pathlib import Path

import pytest

import filon.detect.national_export_exceeds_supply  # noqa: F401  (registers the detector)
from filon.detect.context import DetectContext
from filon.detect.national_export_exceeds_supply import detect
from filon.detect.parameters import Parameters, defaults
from filon.engine.duckdb import DuckDBEngine
from filon.ingest.load import ingest_package
from filon.store.workspace import Workspace

CODE = "national_export_exceeds_supply"
IMPORTS_HEADER = "record_id,country,period,origin_country,hs_code,net_mass_kg,value_usd,importer_name,exporter_name,level"


def run(package: Path, tmp_path: Path, params: Parameters | None = None):
    ingest_package(package, tmp_path / "ws")
    return detect(DetectContext(DuckDBEngine(Workspace(tmp_path / "ws").connect())), params or defaults("national_export_exceeds_supply"))


def add_exports(package: Path, *rows: tuple[str, str, str, str, str]) -> None:
    """(declaration, country, product, net kg, fine kg) rows, exported in June 2024."""
    with (package / "exports.csv").open("a", encoding="utf-8") as fh:
        for decl, country, product, net, fine in rows:
            fh.write(f"{decl},{country},2024-06-10,{country}-A001,CH,7108120000,Au,{product},X,ORO,,{net},{fine},"
                     f"3900000,1,air,\n")


def test_silent_when_exports_are_below_production(package: Path, tmp_path: Path) -> None:
    # PE exports 21.6 kg of the 59.8 kg it produced; BO 6.5 of 6.9 kg.
    assert run(package, tmp_path) == []


def test_fires_when_exports_exceed_production(package: Path, tmp_path: Path) -> None:
    (package / "prices.csv").write_text("date,commodity,price_usd,unit,source\n2024-01-01,Au,2000,troy_oz,WB\n",
                                        encoding="utf-8")
    add_exports(package, ("D-1", "PE", "dore", "70", "60"))
    [alert] = run(package, tmp_path)
    assert (alert.subject_type, alert.subject_id, alert.country, alert.period) == ("country", "PE", "PE", "2024")
    ev = alert.evidence
    assert ev["exported_kg"] == 81.6 and ev["produced_kg"] == 59.8 and ev["imported_kg"] == 0
    assert ev["unexplained_kg"] == pytest.approx(21.8)
    assert alert.score == pytest.approx((21.8 / 81.6) / 0.5)
    assert alert.value_at_risk_usd == pytest.approx(21.8 * 2000 * 32.1507466)
    assert ev["sources"][0]["id"] == "D-1" and ev["sources"][0]["file"].endswith("exports.csv")


def test_imports_into_the_country_count_as_supply(package: Path, tmp_path: Path) -> None:
    add_exports(package, ("D-1", "PE", "dore", "70", "60"))
    (package / "imports.csv").write_text(IMPORTS_HEADER + "\nI-1,PE,2024-03,BO,710812,25,1500000,,,aggregate\n"
                                         "I-2,CH,2024-03,PE,710812,500,30000000,,,aggregate\n", encoding="utf-8")
    # 25 kg into PE at bullion purity covers the 21.8 kg; CH's import from PE is not PE's supply.
    assert run(package, tmp_path) == []


def test_tolerance_and_estimated_fine_mass(package: Path, tmp_path: Path) -> None:
    # 43 kg of bullion without a fine mass: 42.8 kg at typical purity, 64.4 kg in all, 7.7 % over production.
    add_exports(package, ("D-2", "PE", "bullion", "43", ""))
    assert run(package, tmp_path) == []
    [alert] = run(package, tmp_path / "strict", defaults("national_export_exceeds_supply").replace(tolerance=0.0, min_excess_kg=1.0))
    assert alert.evidence["exports_with_estimated_fine_mass"] == 1
    assert alert.evidence["exported_kg"] == pytest.approx(21.6 + 43 * 0.995)


def test_no_production_records_is_a_coverage_gap(package: Path, tmp_path: Path) -> None:
    add_exports(package, ("D-3", "EC", "dore", "60", "50"))  # no Ecuadorian production shared
    assert run(package, tmp_path) == []
