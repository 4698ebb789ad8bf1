"""export_without_supply fires on an exporter shipping gold it never sourced, and stays silent otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

import filon.detect.export_without_supply  # noqa: F401  (registers the detector)
from filon.detect.context import DetectContext
from filon.detect.export_without_supply import detect
from filon.detect.parameters import Parameters, defaults
from filon.engine.duckdb import DuckDBEngine
from filon.ingest.load import ingest_package
from filon.store.workspace import Workspace

CODE = "export_without_supply"


@pytest.fixture
def package(package: Path) -> Path:
    """The fixture package with PE-A003 a pure exporter (as a trader its balance is mass_balance_break's)."""
    path = package / "actors.csv"
    text = path.read_text(encoding="utf-8")
    assert ",150122,trader;exporter" in text
    path.write_text(text.replace(",150122,trader;exporter", ",150122,exporter"), encoding="utf-8")
    return package


def run(package: Path, tmp_path: Path, params: Parameters | None = None):
    ingest_package(package, tmp_path / "ws")
    return detect(DetectContext(DuckDBEngine(Workspace(tmp_path / "ws").connect())), params or defaults("export_without_supply"))


def append(package: Path, table: str, rows: list[str], header: str | None = None) -> None:
    path = package / f"{table}.csv"
    if header and not path.exists():
        path.write_text(header + "\n", encoding="utf-8")
    with path.open("a", encoding="utf-8") as fh:
        fh.writelines(r + "\n" for r in rows)


def export(decl: str, date: str, exporter: str, fine: str, net: str = "35.0", product: str = "dore",
           country: str = "PE") -> str:
    return f"{decl},{country},{date},{exporter},CH,7108120000,Au,{product},Alpine,ORO,,{net},{fine},1950000,235,air,"


def test_silent_on_a_balanced_region(package: Path, tmp_path: Path) -> None:
    # PE-A003 exports what it bought; BO-A001 exports (6.5 kg) less than its right produced (6.9 kg).
    assert run(package, tmp_path) == []


def test_fires_on_an_exporter_shipping_more_than_it_bought(package: Path, tmp_path: Path) -> None:
    (package / "prices.csv").write_text("date,commodity,price_usd,unit,source\n2024-01-01,Au,2000,troy_oz,WB\n",
                                        encoding="utf-8")
    append(package, "exports", [export("235-2024-40-009001", "2024-05-20", "PE-A003", "30")])
    [alert] = run(package, tmp_path)
    assert (alert.subject_type, alert.subject_id, alert.country, alert.period) == ("actor", "PE-A003", "PE", "2024")
    ev = alert.evidence
    assert ev["exported_kg"] == 51.6 and ev["bought_kg"] == 21.6 and ev["unexplained_kg"] == 30.0
    assert alert.score == pytest.approx(min(1.0, (30 / 51.6) / 0.5))
    assert alert.value_at_risk_usd == pytest.approx(30 * 2000 * 32.1507466)
    assert ev["sources"][0]["id"] == "235-2024-40-009001" and ev["sources"][0]["row"] == 5  # file line (header = 1)
    assert ev["sources"][0]["file"].endswith("exports.csv")
    assert "30.0 kg" in alert.explanation


def test_missing_fine_mass_is_estimated_from_the_same_product(package: Path, tmp_path: Path) -> None:
    append(package, "exports", [export("235-2024-40-009002", "2024-05-20", "PE-A003", "", net="40.0")])
    [alert] = run(package, tmp_path)
    purity = (11.6 + 10.0) / (13.7 + 11.8)  # the PE dore declarations that give both masses: 0.847...
    purity = 0.85  # to two significant figures
    assert alert.evidence["exported_kg"] == pytest.approx(21.6 + 40 * purity, abs=1e-3)
    assert alert.evidence["exports_with_estimated_fine_mass"] == 1
    assert alert.evidence["sources"][0]["fine_mass_estimated"] is True
    assert "estimated" in alert.explanation


def test_stock_bought_before_the_year_is_carried_over(package: Path, tmp_path: Path) -> None:
    # Bought 20 kg in December 2023, exported it in January 2024.
    append(package, "trades", ["PE-T950,PE,2023-12-10,PE-A001,PE-A003,Au,dore,,20,1300000,PE-R001,,"])
    append(package, "exports", [export("235-2024-40-009003", "2024-01-15", "PE-A003", "20")])
    assert run(package, tmp_path) == []
    [alert] = run(package, tmp_path / "nocarry", defaults("export_without_supply").replace(carry_months=0))
    assert alert.evidence["unexplained_kg"] == 20.0 and alert.evidence["opening_stock_kg"] == 0


def test_own_production_and_imports_count_as_supply(package: Path, tmp_path: Path) -> None:
    # The cooperative exports 30 kg of the 38.2 kg its right produced (a yearly record).
    append(package, "exports", [export("235-2024-40-009004", "2024-06-20", "PE-A004", "30")])
    # PE-A003 exports 30 kg more, covered by gold it imported itself (matched by name).
    append(package, "exports", [export("235-2024-40-009005", "2024-05-20", "PE-A003", "30")])
    append(package, "imports", ["IMP-1,PE,2024-04,BO,710812,31,1900000,Comercializadora Oro Andino E.I.R.L.,,transaction"],
           header="record_id,country,period,origin_country,hs_code,net_mass_kg,value_usd,importer_name,exporter_name,level")
    assert run(package, tmp_path) == []


def test_trading_nodes_are_left_to_mass_balance_break(package: Path, tmp_path: Path) -> None:
    append(package, "exports", [export("235-2024-40-009001", "2024-05-20", "PE-A003", "30")])
    assert len(run(package, tmp_path)) == 1
    assert run(package, tmp_path / "as-trader", defaults("export_without_supply").replace(node_roles=("exporter",))) == []
