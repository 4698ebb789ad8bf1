"""Typology sections of the report: drawn from the analysed tables, escaped, never fatal."""

from __future__ import annotations

from pathlib import Path

import pytest

from filon.detect.runner import run_analysis
from filon.report import sections


def add_mirror_and_prices(package: Path) -> None:
    (package / "imports.csv").write_text(
        "record_id,country,period,origin_country,hs_code,net_mass_kg,value_usd,importer_name,exporter_name,level\n"
        "CH-2024-1,CH,2024,PE,710812,13.7,771000,,,aggregate\n"
        "AE-2024-1,AE,2024,PE,710812,11.8,708000,,,aggregate\n")
    (package / "prices.csv").write_text("date,commodity,price_usd,unit,source\n"
                                        "2024-01-31,Au,2050,troy_oz,test\n2024-02-29,Au,2030,troy_oz,test\n")


def test_sections_show_balance_mirror_and_unit_values(package: Path, tmp_path: Path) -> None:
    add_mirror_and_prices(package)
    run_analysis(package, tmp_path / "out")
    page = (tmp_path / "out" / "report.html").read_text()
    for key in ("supply-balance", "mirror-trade", "unit-values"):
        assert f'<section id="{key}"' in page and f'href="#{key}"' in page
    assert "Fine Au balance by country and year" in page
    assert "<circle" in page  # unit values are plotted


def test_a_hostile_value_is_escaped(package: Path, tmp_path: Path) -> None:
    add_mirror_and_prices(package)
    exports = package / "exports.csv"
    exports.write_text(exports.read_text().replace("235-2024-40-001234", '"<img src=x onerror=alert(1)>"'))
    run_analysis(package, tmp_path / "out")
    page = (tmp_path / "out" / "report.html").read_text()
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # shown, as text
    assert "<img src=x" not in page


def test_a_failing_section_costs_only_itself(package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from filon.report.sections import mirror

    def broken(ctx, alerts):
        raise RuntimeError("boom")

    add_mirror_and_prices(package)
    monkeypatch.setattr(mirror, "section", broken)
    run_analysis(package, tmp_path / "out")
    page = (tmp_path / "out" / "report.html").read_text()
    assert "could not be drawn: RuntimeError: boom" in page
    assert '<section id="supply-balance"' in page and '<section id="detectors"' in page


def test_empty_tables_give_no_section(package: Path, tmp_path: Path) -> None:
    from filon.detect.context import DetectContext
    from filon.engine.duckdb import DuckDBEngine
    from filon.ingest.load import ingest_package
    from filon.store.workspace import Workspace

    for f in package.glob("*.csv"):
        if f.name != "actors.csv":
            f.unlink()
    ingest_package(package, tmp_path / "ws")
    ctx = DetectContext(DuckDBEngine(Workspace(tmp_path / "ws").connect()))
    assert sections.build_sections(ctx, []) == []
