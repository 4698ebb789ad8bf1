"""Mass-balance alerts on the signed events; EPCIS 2.0 round trip and a hand-written document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from filon.errors import InvalidData
from filon.ledger.epcis import from_epcis_document, from_epcis_event, to_epcis_document, to_epcis_event
from filon.ledger.massbalance import custody_alerts
from tests.ledger.conftest import story

FIXTURE = Path(__file__).parents[1] / "fixtures" / "epcis" / "handwritten.jsonld"


def test_balanced_story_raises_nothing(ledger):
    assert custody_alerts(ledger) == []


def test_children_heavier_than_parent_break(ledger, keys):
    ledger.append([{"type": "split", "event_id": "x1", "time": "2024-02-01", "actor": "SUNAT",
                    "inputs": [{"lot": "L1b", "kg": 4.0}], "outputs": [{"lot": "X1", "kg": 3.0}, {"lot": "X2", "kg": 3.0}]}],
                  keys)
    alerts = {a.subject_id: a for a in custody_alerts(ledger)}
    alert = alerts["L1b"]
    assert alert.typology == "mass_balance_break" and alert.subject_type == "lot"
    assert "x1" in json.dumps(alert.evidence["breaks"]) and alert.evidence["events"]
    assert 0.5 <= alert.score <= 1.0 and alert.period == "2024-02"


def test_processing_outside_recovery_bounds_breaks():
    events = story()
    events[5] = dict(events[5], outputs=[{"lot": "D1", "kg": 9.0}])   # 112 % recovery
    alerts = custody_alerts(events)
    assert any(a.subject_id == "D1" and "recovered" in a.explanation for a in alerts)
    events[5] = dict(events[5], outputs=[{"lot": "D1", "kg": 1.0}])   # 12 % recovery
    assert any("undeclared" in a.explanation for a in custody_alerts(events))


def test_exporting_more_than_the_lot_breaks():
    events = story()
    events[8] = dict(events[8], kg=9.0, value_usd=700000.0)
    alert = next(a for a in custody_alerts(events) if a.subject_id == "D1")
    assert alert.value_at_risk_usd and alert.value_at_risk_usd > 0


def test_round_trip_of_every_event_type():
    for event in story():
        assert from_epcis_event(to_epcis_event(event)) == event
    doc = json.loads(json.dumps(to_epcis_document(story())))
    assert doc["type"] == "EPCISDocument" and from_epcis_document(doc) == story()
    kinds = {e["type"] for e in doc["epcisBody"]["eventList"]}
    assert kinds == {"ObjectEvent", "TransformationEvent", "AggregationEvent", "TransactionEvent"}


def test_handwritten_epcis_document():
    events = from_epcis_document(json.loads(FIXTURE.read_text()), str(FIXTURE))
    assert [e["type"] for e in events] == ["lot_created", "transfer", "processing", "merge", "export_declaration"]
    assert events[0]["right_id"] == "010000112" and events[0]["actor"] == "ACT-PE-00026"
    assert events[1]["to_actor"] == "ACT-PE-00014" and events[1]["kg"] == 12.5
    assert events[3]["outputs"] == [{"lot": "HW-EXP-1", "kg": 11.9}]
    assert events[4]["destination_country"] == "CH" and events[4]["declaration_id"] == "235-2024-40-000777"
    assert custody_alerts(events) == []


def test_epcis_without_custody_meaning_names_the_event():
    doc = {"type": "EPCISDocument", "epcisBody": {"eventList": [{"type": "ObjectEvent", "action": "OBSERVE",
                                                                 "bizStep": "cycle_counting"}]}}
    with pytest.raises(InvalidData, match="event 1.*bizStep"):
        from_epcis_document(doc, "doc.jsonld")
