"""mass_balance_break fires on a node that sells more than it sourced, and stays silent otherwise."""

from __future__ import annotations

import json
from pathlib import Path

from filon.detect import all_detectors
from filon.detect.context import DetectContext
from filon.detect.parameters import Parameters, defaults
from filon.engine.duckdb import DuckDBEngine
from filon.ingest.load import ingest_package
from filon.store.workspace import Workspace


def run(package: Path, tmp_path: Path, params: Parameters | None = None):
    ingest_package(package, tmp_path / "ws")
    det = all_detectors()["mass_balance_break"]
    return det.run(DetectContext(DuckDBEngine(Workspace(tmp_path / "ws").connect())), params or det.defaults())


def add_trades(package: Path, rows: list[str]) -> None:
    with (package / "trades.csv").open("a", encoding="utf-8") as fh:
        for r in rows:
            fh.write(r + "\n")


def add_prices(package: Path) -> None:
    (package / "prices.csv").write_text(
        "date,commodity,price_usd,unit,source\n2024-01-01,Au,2000,troy_oz,WB\n2024-02-01,Au,2100,troy_oz,WB\n",
        encoding="utf-8")


def test_silent_on_a_balanced_region(package: Path, tmp_path: Path) -> None:
    assert run(package, tmp_path) == []


def test_fires_on_a_trader_selling_gold_it_never_bought(package: Path, tmp_path: Path) -> None:
    add_prices(package)
    # PE-A003 bought 21.6 kg and exported 21.6 kg; it now also sells 30 kg to the Colombian processor.
    add_trades(package, ["PE-T900,PE,2024-05-10,PE-A003,PE-A004,Au,bullion,,30,1900000,,LOT-X,F9-1"])
    [alert] = run(package, tmp_path)
    assert (alert.subject_type, alert.subject_id, alert.country, alert.period) == ("actor", "PE-A003", "PE", "2024")
    ev = alert.evidence
    assert ev["bought_kg"] == 21.6 and ev["sold_kg"] == 30 and ev["exported_kg"] == 21.6
    assert ev["unexplained_kg"] == 30.0
    assert abs(alert.score - min(1.0, (30 / 51.6) / 0.5)) < 1e-9
    price_per_kg = 2050 * 32.1507466
    assert abs(alert.value_at_risk_usd - 30 * price_per_kg) < 1
    assert ev["sources"][0]["id"] == "PE-T900" and ev["sources"][0]["row"] == 5
    assert ev["sources"][0]["file"].endswith("trades.csv")
    assert "30.0 kg" in alert.explanation
    json.dumps(alert.to_row())
    assert alert.alert_id == alert.to_row()["alert_id"] and alert.alert_id.startswith("AL-")


def test_tolerance_allows_small_stock_differences(package: Path, tmp_path: Path) -> None:
    # 0.8 kg more than sourced (21.6 kg): within 5 %, and under the 1 kg minimum.
    add_trades(package, ["PE-T901,PE,2024-05-10,PE-A003,PE-A004,Au,dore,,0.8,50000,,,"])
    assert run(package, tmp_path) == []
    assert len(run(package, tmp_path / "strict", defaults("mass_balance_break").replace(tolerance=0.0, min_excess_kg=0.1))) == 1


def test_production_of_held_rights_counts_as_supply(package: Path, tmp_path: Path) -> None:
    # Cooperative PE-A004 produced 38.2 kg on its right PE-R003 and sells 45 kg: 6.8 kg (15 %) unexplained.
    add_trades(package, ["PE-T902,PE,2024-06-01,PE-A004,PE-A003,Au,dore,,45,2900000,PE-R003,,"])
    alerts = run(package, tmp_path)
    # PE-A003 now buys more than it exported: no alert for it; the cooperative fires.
    assert [a.subject_id for a in alerts] == ["PE-A004"]
    assert alerts[0].evidence["produced_kg"] == 38.2 and alerts[0].evidence["unexplained_kg"] == 6.8


def test_a_miner_selling_more_than_it_produced_is_a_node_too(package: Path, tmp_path: Path) -> None:
    # Miner PE-A001 produced 20.6 kg and sold 20.6 kg; a further 5 kg sale has no source. It exports nothing.
    add_trades(package, ["PE-T904,PE,2024-06-01,PE-A001,PE-A003,Au,dore,,5,330000,PE-R001,,"])
    [alert] = run(package, tmp_path)
    assert alert.subject_id == "PE-A001" and alert.evidence["unexplained_kg"] == 5.0
    assert alert.evidence["produced_kg"] == 20.6 and alert.evidence["sold_kg"] == 25.6


def test_an_exporters_export_years_are_left_to_export_without_supply(package: Path, tmp_path: Path) -> None:
    # A pure exporter (no trader role) ships 30 kg more than it bought: export_without_supply's case.
    actors = package / "actors.csv"
    actors.write_text(actors.read_text().replace("E.I.R.L.,company,20613456784,PE-RUC,2023-11-02,\"Calle Los Pinos 118, "
                                                 "Miraflores, Lima\",150122,trader;exporter",
                                                 "E.I.R.L.,company,20613456784,PE-RUC,2023-11-02,\"Calle Los Pinos 118, "
                                                 "Miraflores, Lima\",150122,exporter"))
    add_trades(package, ["PE-T900,PE,2024-05-10,PE-A003,PE-A004,Au,bullion,,30,1900000,,,"])
    assert run(package, tmp_path) == []


def test_stock_carried_from_the_previous_months_is_supply(package: Path, tmp_path: Path) -> None:
    # PE-A004 buys 20 kg in November 2023 and sells it in January 2024: the rolling window carries it.
    with (package / "production.csv").open("a", encoding="utf-8") as fh:
        fh.write("PE-P910,PE,PE-R001,,2023-11,Au,dore,,20,1200000\n")  # what PE-A001 sells it
    add_trades(package, ["PE-T910,PE,2023-11-20,PE-A001,PE-A004,Au,dore,,20,1200000,,,",
                         "PE-T911,PE,2024-01-15,PE-A004,PE-A003,Au,dore,,58.2,3500000,,,"])
    assert run(package, tmp_path) == []
    [alert] = run(package, tmp_path / "nocarry", defaults("mass_balance_break").replace(carry_months=0))
    assert alert.subject_id == "PE-A004" and alert.period == "2024" and alert.evidence["opening_stock_kg"] == 0
    # Bought five months before: outside the three-month window, so January's sale is unexplained.
    p = package / "trades.csv"
    p.write_text(p.read_text().replace("PE-T910,PE,2023-11-20", "PE-T910,PE,2023-07-20"))
    [late] = run(package, tmp_path / "late")
    assert late.subject_id == "PE-A004" and late.evidence["opening_stock_kg"] == 0


def test_alert_ids_are_stable(package: Path, tmp_path: Path) -> None:
    add_trades(package, ["PE-T900,PE,2024-05-10,PE-A003,PE-A004,Au,bullion,,30,1900000,,,"])
    first = run(package, tmp_path)[0].alert_id
    add_trades(package, ["PE-T903,PE,2024-05-11,PE-A003,PE-A004,Au,bullion,,3,190000,,,"])
    assert run(package, tmp_path / "again")[0].alert_id == first
