"""Contract: what every adapter writes passes the package validator `filon ingest` runs next.

Only warnings are allowed (an extra file such as mirror_exports.csv, extra columns, formula-like
names kept as text); any error means an adapter and the standard have drifted apart.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from filon.ingest.adapters import get_adapter

package = pytest.importorskip("filon.validate.package")

CASES = [
    ("comtrade", "comtrade"), ("pe_customs", "pe_customs"), ("pe_reinfo", "pe_reinfo"),
    ("geojson_areas", "geo/areas"), ("geojson_detections", "geo/detections"),
]


@pytest.mark.parametrize(("name", "fixture"), CASES)
def test_fixture_output_validates(name: str, fixture: str, fixtures_dir: Path, tmp_path: Path) -> None:
    get_adapter(name).convert(fixtures_dir / fixture, tmp_path)
    with package.validate_package(tmp_path) as staged:
        report = staged.report
    assert report.valid, [str(p) for p in report.errors]
    assert set(report.rows_read) == set(get_adapter(name).tables)


@pytest.mark.parametrize(("name", "source"), [
    ("worldbank_prices", "trade/gold_price_annual_usd_oz_worldbank.csv"),
    ("geojson_detections", "geo/amw_mining_detections_2023_madre_de_dios.geojson"),
])
def test_real_data_output_validates(name: str, source: str, shared_data: Path, tmp_path: Path) -> None:
    get_adapter(name).convert(shared_data / source, tmp_path)
    with package.validate_package(tmp_path) as staged:
        report = staged.report
    assert report.valid, [str(p) for p in report.errors]
