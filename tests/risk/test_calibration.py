"""Triage decisions recalibrate typology weights, and the ranking change is reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from filon.detect.context import DetectContext
from filon.detect.parameters import defaults
from filon.engine.base import engine_for
from filon.errors import InvalidData
from filon.risk.calibration import read_decisions, recalibrate
from filon.risk.output import write_risk
from filon.store.workspace import Workspace
from tests.risk.conftest import REGIONS


def test_dismissals_lower_a_typology_and_confirmations_raise_it() -> None:
    p = defaults("risk")
    alerts = [{"alert_id": f"A{i}", "typology": "opaque_ownership"} for i in range(10)] + \
             [{"alert_id": f"B{i}", "typology": "new_exporter_surge"} for i in range(10)]
    decisions = {**{f"A{i}": {"decision": "dismissed"} for i in range(10)},
                 **{f"B{i}": {"decision": "confirmed"} for i in range(10)}}
    weights, table = recalibrate(dict(p.typology_weights), decisions, alerts, p)
    assert weights["opaque_ownership"] < p.typology_weights["opaque_ownership"] / 3
    assert weights["new_exporter_surge"] > p.typology_weights["new_exporter_surge"]
    assert {r["typology"] for r in table} == {"opaque_ownership", "new_exporter_surge"}


def test_write_risk_applies_decisions_and_reports_the_ranking_change(regions, tmp_path: Path) -> None:
    region = regions[REGIONS[0][0]]
    dismissed = [a for a in region.alerts if a.typology in ("sanctioned_party", "export_without_supply")]
    path = tmp_path / "triage.csv"
    path.write_text("alert_id,decision\n" + "".join(f"{a.alert_id},dismissed\n" for a in dismissed), encoding="utf-8")
    ctx = DetectContext(engine_for("duckdb", Workspace(region.workspace)))
    try:
        write_risk(ctx, region.alerts, tmp_path / "out", decisions=path)
    finally:
        ctx.engine.close()
    report = json.loads((tmp_path / "out" / "risk_calibration.json").read_text(encoding="utf-8"))
    assert report["decisions"] == len(dismissed)
    assert {r["typology"] for r in report["typologies"]} == {"sanctioned_party", "export_without_supply"}
    moved = {m["subject_id"] for m in report["moves"]}
    assert {a.subject_id for a in dismissed} & moved  # the dismissed actors left the top


def test_bad_decisions_name_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "triage.csv"
    path.write_text("alert_id,decision\nAL-1,confirmed\nAL-2,maybe\n", encoding="utf-8")
    with pytest.raises(InvalidData, match=r"row 3, column 'decision'.*confirmed or dismissed"):
        read_decisions(path)
    path.write_text("id,decision\n", encoding="utf-8")
    with pytest.raises(InvalidData, match="alert_id"):
        read_decisions(path)
