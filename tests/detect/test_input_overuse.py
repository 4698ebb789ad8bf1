"""input_overuse: purchases of controlled inputs against what declared gold explains.

Fixture actors (tests/fixtures/valid_package): PE-A001 holds small right PE-R001 (20.6 kg Au in
2024); PE-A002 holds artisanal right PE-R002 (1.0 kg, granted 2019-10-15); PE-A004 operates PE-R003
(38.2 kg); PE-A003 is a trader without rights; CO-A001 a Colombian processor without rights.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from filon.detect.context import DetectContext
from filon.detect.input_overuse import detect
from filon.detect.parameters import defaults
from filon.engine.duckdb import DuckDBEngine
from filon.ingest.load import IngestRejected, ingest_package
from filon.store.workspace import Workspace

HEADER = "record_id,country,date,actor_id,input,quantity,unit,authorization_id,admin_area,lat,lon\n"
PRICES = "date,commodity,price_usd,unit,source\n2024-01-01,Au,2000,troy_oz,WB\n2024-07-01,Au,2200,troy_oz,WB\n"
AU_KG = 32.1507466


def run(package: Path, tmp_path: Path, purchases: list[str], params=None):
    (package / "inputs.csv").write_text(HEADER + "".join(p + "\n" for p in purchases), encoding="utf-8")
    ingest_package(package, tmp_path / "ws")
    ctx = DetectContext(DuckDBEngine(Workspace(tmp_path / "ws").connect()))
    return {a.subject_id: a for a in detect(ctx, params or defaults("input_overuse"))}


def buy(n: int, actor: str, item: str, qty: float, unit: str, date: str = "2024-05-10", auth: str = "SUNAT-BF-1",
        country: str = "PE") -> str:
    return f"I{n:03d},{country},{date},{actor},{item},{qty},{unit},{auth},170102,,"


def test_mercury_beyond_declared_gold_fires_with_evidence(package: Path, tmp_path: Path) -> None:
    (package / "prices.csv").write_text(PRICES, encoding="utf-8")
    alerts = run(package, tmp_path, [buy(1, "PE-A002", "mercury", 25, "kg"), buy(2, "PE-A002", "mercury", 15000, "g",
                                                                                    date="2024-09-01")])
    a = alerts["PE-A002"]
    assert (a.typology, a.subject_type, a.period, a.country) == ("input_overuse", "actor", "2024", "PE")
    [hg] = a.evidence["inputs"]
    assert hg["bought"] == pytest.approx(40.0) and hg["explained"] == pytest.approx(5.0)  # 1 kg Au × 5 kg/kg
    assert hg["allowed"] == pytest.approx(7.5) and hg["excess"] == pytest.approx(32.5)
    assert hg["method"] == "whole_ore_amalgamation" and hg["ratio_to_explained"] == pytest.approx(8.0)
    assert a.evidence["reasons"] == ["overuse"] and a.score == 1.0  # 40 / 7.5 > full_score_ratio
    assert a.value_at_risk_usd == pytest.approx(32.5 / 5.0 * 2100 * AU_KG, rel=1e-6)
    assert {s["id"] for s in a.evidence["sources"]} == {"I001", "I002"}
    assert all(s["file"].endswith("inputs.csv") and s["row"] for s in a.evidence["sources"])
    assert "40 kg of mercury" in a.explanation and "explains at most 8 kg" in a.explanation


def test_grams_converted_and_proportionate_buyers_stay_silent(package: Path, tmp_path: Path) -> None:
    alerts = run(package, tmp_path, [
        buy(1, "PE-A002", "mercury", 2500, "g"), buy(2, "PE-A002", "mercury", 2.0, "kg"),  # 4.5 kg < 7.5
        # a legitimate producer's big fuel bill: 250 000 L + 20 m3 + 10 000 gal ≈ 307 850 L for 20.6 kg Au
        buy(3, "PE-A001", "diesel", 250000, "L"), buy(4, "PE-A001", "diesel", 20, "m3"),
        buy(5, "PE-A001", "diesel", 10000, "gal"), buy(6, "PE-A001", "cyanide", 3.5, "t"),
        buy(7, "PE-A004", "explosives", 4000, "kg")])  # operator (producer_id) of PE-R003
    assert alerts == {}


def test_incompatible_units_are_reported_not_dropped(package: Path, tmp_path: Path, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="filon.detect.input_overuse"):
        alerts = run(package, tmp_path, [buy(1, "PE-A002", "mercury", 30, "kg"), buy(2, "PE-A002", "diesel", 800, "kg"),
                                         buy(3, "PE-A001", "mercury", 2, "L")])
    nc = alerts["PE-A002"].evidence["not_converted"]
    assert nc == [{"input": "diesel", "unit": "kg", "quantity": 800.0, "records": 1}]
    assert "PE-A001" not in alerts
    assert "PE-A001" in caplog.text and "mercury in L" in caplog.text


def test_no_authorization_no_right_and_banned(package: Path, tmp_path: Path) -> None:
    alerts = run(package, tmp_path, [
        buy(1, "PE-A001", "cyanide", 100, "kg", auth=""),                   # within ratios, but no permit
        buy(2, "PE-A001", "diesel", 100, "L", auth=""),                     # fuel needs none by default
        buy(3, "PE-A003", "mercury", 3, "kg"),                              # trader: no right, below min_excess
        buy(4, "PE-A002", "cyanide", 10, "kg", date="2019-05-02"),          # before its right was granted
        buy(5, "CO-A001", "mercury", 2, "kg", date="2020-03-01", country="CO", auth="ANM-1")])
    assert alerts["PE-A001"].evidence["reasons"] == ["no_authorization"]
    assert alerts["PE-A001"].evidence["authorization"]["purchases_without"] == 1
    assert alerts["PE-A001"].score == pytest.approx(0.4)
    assert alerts["PE-A003"].evidence["reasons"] == ["no_right_in_force"]  # 3 kg: below min_excess for overuse
    assert alerts["PE-A002"].period == "2019" and alerts["PE-A002"].evidence["reasons"] == ["no_right_in_force"]
    co = alerts["CO-A001"]
    assert "banned" in co.evidence["reasons"] and co.score >= 0.7 and co.evidence["purchases_banned"] == 1


def test_min_excess_spares_a_small_unexplained_purchase(package: Path, tmp_path: Path) -> None:
    alerts = run(package, tmp_path, [buy(1, "PE-A001", "diesel", 4000, "L", date="2023-02-01")])  # no 2023 output
    assert alerts == {}
    alerts = run(package, tmp_path / "b", [buy(1, "PE-A001", "diesel", 4000, "L", date="2023-02-01")],
                 defaults("input_overuse").replace(min_excess={"diesel": 1000.0}))
    assert alerts["PE-A001"].evidence["inputs"][0]["explained"] == 0.0


def test_other_metals_leave_non_gold_inputs_unassessed(package: Path, tmp_path: Path) -> None:
    with (package / "production.csv").open("a", encoding="utf-8") as fh:
        fh.write("PE-P900,PE,PE-R001,,2024-03,Cu,concentrate,900000,250000,\n")
    alerts = run(package, tmp_path, [buy(1, "PE-A001", "explosives", 200000, "kg"),
                                     buy(2, "PE-A001", "mercury", 400, "kg")])
    ev = alerts["PE-A001"].evidence
    assert ev["other_metals_declared"] is True
    assessed = {e["input"]: e["assessed"] for e in ev["inputs"]}
    assert assessed == {"explosives": False, "mercury": True}
    assert [e["input"] for e in ev["inputs"] if "excess" in e] == ["mercury"]


def test_large_scale_rights_explain_no_mercury(package: Path, tmp_path: Path) -> None:
    text = (package / "mining_rights.csv").read_text(encoding="utf-8")
    (package / "mining_rights.csv").write_text(text.replace("PE-A001,concession,active,small", "PE-A001,concession,active,large"))
    alerts = run(package, tmp_path, [buy(1, "PE-A001", "mercury", 20, "kg")])
    [hg] = alerts["PE-A001"].evidence["inputs"]
    assert hg["explained"] == 0.0 and hg["method"] is None


def test_malformed_inputs_are_rejected_at_ingest_naming_the_cell(package: Path, tmp_path: Path) -> None:
    with pytest.raises(IngestRejected) as err:
        run(package, tmp_path, [buy(1, "PE-A002", "mercury", 5, "lbs"), "I002,PE,2024-13-40,PE-A002,mercury,1,kg,,,,"])
    text = str(err.value.report.errors) if hasattr(err.value, "report") else str(err.value)
    assert "unit" in text and "date" in text


def test_empty_inputs_table_gives_no_alert(package: Path, tmp_path: Path) -> None:
    assert run(package, tmp_path, []) == {}
