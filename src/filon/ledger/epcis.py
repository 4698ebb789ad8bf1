"""Interchange with GS1 EPCIS 2.0 JSON-LD, the event vocabulary of the UN Transparency Protocol.

| custody event      | EPCIS event         | action  | bizStep (CBV)           | lots and mass                          |
|--------------------|---------------------|---------|-------------------------|----------------------------------------|
| lot_created        | ObjectEvent         | ADD     | commissioning           | quantityList; bizLocation = the right  |
| split              | TransformationEvent | -       | repackaging             | inputQuantityList -> outputQuantityList|
| merge              | AggregationEvent    | ADD     | packing                 | childQuantityList -> parentID          |
| processing         | TransformationEvent | -       | creating_class_instance | inputQuantityList -> outputQuantityList|
| transfer           | TransactionEvent    | ADD     | shipping                | quantityList; sourceList/destinationList owning_party |
| sampling           | ObjectEvent         | OBSERVE | sampling                | quantityList (the sample's mass)       |
| assay_result       | ObjectEvent         | OBSERVE | inspecting              | sensorElementList, one report per analyte |
| export_declaration | ObjectEvent         | OBSERVE | departing               | quantityList; destinationList = country|
| seizure            | ObjectEvent         | OBSERVE | holding (disposition non_sellable_other) | quantityList          |

Identifiers are URNs: lots `urn:filon:lot:ID` (as `epcClass`, quantities in kg, uom `KGM`),
actors `urn:filon:actor:ID`, rights `urn:filon:right:ID`, countries `urn:filon:country:CC`,
events `urn:filon:event:ID`. Whatever EPCIS has no field for (the custodian, the sample id,
commitments, declared values) travels as an extension field `filon:NAME` under the `filon`
namespace, so a filon event survives export and import unchanged. Documents written by other
systems (no `filon:` fields) are read through the table above: the custodian is the
`owning_party` or `possessing_party` source, and the event type follows from type and bizStep.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from filon.errors import InvalidData
from filon.ledger.events import check_event

CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
           {"filon": "https://w3id.org/filon/custody#"}]
CBV = "https://ref.gs1.org/cbv/"
LOT, ACTOR, RIGHT, COUNTRY, EVENT = ("urn:filon:lot:", "urn:filon:actor:", "urn:filon:right:",
                                     "urn:filon:country:", "urn:filon:event:")
#: custody type -> (EPCIS type, action, bizStep)
MAPPING: dict[str, tuple[str, str | None, str]] = {
    "lot_created": ("ObjectEvent", "ADD", "commissioning"),
    "split": ("TransformationEvent", None, "repackaging"),
    "merge": ("AggregationEvent", "ADD", "packing"),
    "processing": ("TransformationEvent", None, "creating_class_instance"),
    "transfer": ("TransactionEvent", "ADD", "shipping"),
    "sampling": ("ObjectEvent", "OBSERVE", "sampling"),
    "assay_result": ("ObjectEvent", "OBSERVE", "inspecting"),
    "export_declaration": ("ObjectEvent", "OBSERVE", "departing"),
    "seizure": ("ObjectEvent", "OBSERVE", "holding"),
}
_BY_STEP = {(t, step): ctype for ctype, (t, _a, step) in MAPPING.items()}


def _strip(value: str, prefix: str) -> str:
    return value[len(prefix):] if isinstance(value, str) and value.startswith(prefix) else value


def _qty(items: list[dict]) -> list[dict]:
    return [{"epcClass": LOT + i["lot"], "quantity": i["kg"], "uom": "KGM"} for i in items]


def _event_time(time: str) -> str:
    return time if "T" in time else time + "T00:00:00Z"


def to_epcis_event(event: dict) -> dict:
    """One custody event as an EPCIS 2.0 event (exact round trip through `from_epcis_event`)."""
    etype = event["type"]
    kind, action, step = MAPPING[etype]
    out: dict[str, Any] = {"type": kind, "eventID": EVENT + event["event_id"],
                           "eventTime": _event_time(event["time"]), "eventTimeZoneOffset": "+00:00"}
    if action:
        out["action"] = action
    out["bizStep"] = step
    used = {"type", "event_id", "time", "inputs", "outputs", "lot", "kg", "to_actor", "right_id",
            "destination_country"}
    lot_qty = _qty([{"lot": event["lot"], "kg": event.get("kg", 0)}]) if event.get("lot") else []
    if etype == "lot_created":
        out["quantityList"] = _qty(event["outputs"])
        if event.get("right_id"):
            out["bizLocation"] = {"id": RIGHT + event["right_id"]}
    elif kind == "TransformationEvent":
        out["inputQuantityList"], out["outputQuantityList"] = _qty(event["inputs"]), _qty(event["outputs"])
    elif etype == "merge":
        out["parentID"] = LOT + event["outputs"][0]["lot"]
        out["childQuantityList"] = _qty(event["inputs"])
        out["filon:outputKg"] = event["outputs"][0]["kg"]
    else:
        out["quantityList"] = lot_qty
    if etype == "transfer":
        out["bizTransactionList"] = [{"type": "inv", "bizTransaction": "urn:filon:document:" +
                                      str(event.get("document_ref") or event["event_id"])}]
        out["sourceList"] = [{"type": "owning_party", "source": ACTOR + event["actor"]}]
        out["destinationList"] = [{"type": "owning_party", "destination": ACTOR + event["to_actor"]}]
    else:
        out["sourceList"] = [{"type": "possessing_party", "source": ACTOR + event["actor"]}]
    if etype == "export_declaration" and event.get("destination_country"):
        out["destinationList"] = [{"type": "location", "destination": COUNTRY + event["destination_country"]}]
    if etype == "seizure":
        out["disposition"] = "non_sellable_other"
    if etype == "assay_result":
        out["sensorElementList"] = [{"sensorReport": [{"type": "filon:" + k, "value": v}
                                                      for k, v in sorted(event["results"].items())]}]
        used.add("results")
    if etype in ("sampling", "assay_result", "export_declaration", "seizure", "transfer") and "kg" not in event:
        out["filon:noMass"] = True
    if _event_time(event["time"]) != event["time"]:
        out["filon:time"] = event["time"]
    out["filon:eventType"] = etype
    out["filon:actor"] = event["actor"]
    for key, value in event.items():
        if key not in used and key != "actor":
            out["filon:" + key] = value
    return out


def to_epcis_document(events: list[dict], created: str | None = None) -> dict:
    return {"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": created or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "epcisBody": {"eventList": [to_epcis_event(e) for e in events]}}


def _custody_type(doc: dict, where: str) -> str:
    if doc.get("filon:eventType"):
        return doc["filon:eventType"]
    kind, step = doc.get("type"), _strip(_strip(str(doc.get("bizStep", "")), CBV + "BizStep-"), "urn:epcglobal:cbv:bizstep:")
    if (kind, step) in _BY_STEP:
        return _BY_STEP[(kind, step)]
    fallback = {"TransformationEvent": "processing", "AggregationEvent": "merge", "TransactionEvent": "transfer"}
    if kind in fallback:
        return fallback[kind]
    if kind == "ObjectEvent" and doc.get("action") == "ADD":
        return "lot_created"
    raise InvalidData("this EPCIS event has no custody meaning", file=where, column="bizStep", value=step,
                      fix=f"use one of the bizSteps {', '.join(s for _t, _a, s in MAPPING.values())}")


def _lots(items: list[dict] | None) -> list[dict]:
    return [{"lot": _strip(i["epcClass"], LOT), "kg": i.get("quantity", 0)} for i in items or []]


def _party(entries: list[dict] | None, key: str) -> str | None:
    for entry in entries or []:
        if _strip(str(entry.get("type", "")), CBV + "SDT-") in ("owning_party", "possessing_party"):
            return _strip(entry[key], ACTOR)
    return None


def from_epcis_event(doc: dict, where: str = "EPCIS event") -> dict:
    """A custody event from an EPCIS 2.0 event; raises InvalidData naming the field when it cannot."""
    etype = _custody_type(doc, where)
    event: dict[str, Any] = {"type": etype, "event_id": _strip(doc.get("eventID", ""), EVENT),
                             "time": doc.get("filon:time") or doc.get("eventTime", "")}
    actor = doc.get("filon:actor") or _party(doc.get("sourceList"), "source")
    if actor:
        event["actor"] = actor
    quantities = _lots(doc.get("quantityList"))
    if etype == "lot_created":
        event["outputs"] = quantities
        location = (doc.get("bizLocation") or {}).get("id", "")
        if location.startswith(RIGHT):
            event["right_id"] = _strip(location, RIGHT)
    elif doc.get("type") == "TransformationEvent":
        event["inputs"], event["outputs"] = _lots(doc.get("inputQuantityList")), _lots(doc.get("outputQuantityList"))
    elif etype == "merge":
        event["inputs"] = _lots(doc.get("childQuantityList"))
        kg = doc.get("filon:outputKg", sum(i["kg"] for i in event["inputs"]))
        event["outputs"] = [{"lot": _strip(doc.get("parentID", ""), LOT), "kg": kg}]
    elif quantities:
        event["lot"] = quantities[0]["lot"]
        if not doc.get("filon:noMass"):
            event["kg"] = quantities[0]["kg"]
    if etype == "transfer":
        to = _party(doc.get("destinationList"), "destination")
        if to:
            event["to_actor"] = to
    if etype == "export_declaration":
        for d in doc.get("destinationList") or []:
            if str(d.get("destination", "")).startswith(COUNTRY):
                event["destination_country"] = _strip(d["destination"], COUNTRY)
    if etype == "assay_result":
        event["results"] = {_strip(_strip(r["type"], "filon:"), "gs1:"): r["value"]
                            for s in doc.get("sensorElementList") or [] for r in s.get("sensorReport") or []
                            if "value" in r}
    skip = {"filon:eventType", "filon:actor", "filon:time", "filon:outputKg", "filon:noMass"}
    for key, value in doc.items():
        if key.startswith("filon:") and key not in skip:
            event[key[len("filon:"):]] = value
    if not event.get("actor") and etype == "assay_result" and event.get("lab"):
        event["actor"] = "lab:" + str(event["lab"])
    check_event(event, where)
    return event


def from_epcis_document(doc: dict, where: str = "EPCIS document") -> list[dict]:
    if doc.get("type") != "EPCISDocument":
        raise InvalidData("not an EPCIS document", file=where, column="type", value=doc.get("type"),
                          fix="give an EPCIS 2.0 JSON-LD document with \"type\": \"EPCISDocument\"")
    events = (doc.get("epcisBody") or {}).get("eventList")
    if not isinstance(events, list):
        raise InvalidData("no event list", file=where, column="epcisBody.eventList",
                          fix="put the events in epcisBody.eventList")
    return [from_epcis_event(e, f"{where}, event {n}") for n, e in enumerate(events, start=1)]
