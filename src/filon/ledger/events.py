"""The custody vocabulary: what each event says, and the signed envelope that goes in the log.

An event is a plain JSON object. Every event has `type`, `event_id`, `time` (ISO 8601 date or
date-time) and `actor` (the custodian who signs it). Mass moves through `inputs` and `outputs`
(lists of `{"lot", "kg"}`, fine mass in kilograms); events about one lot name it in `lot`.

| type               | required besides the common fields      | mass meaning                          |
|--------------------|-----------------------------------------|---------------------------------------|
| lot_created        | outputs (one lot); right_id optional    | the lot's starting mass               |
| split              | inputs (one lot), outputs (>= 1 lots)   | children never exceed the parent      |
| merge              | inputs (>= 1 lots), outputs (one lot)   | the merged lot never exceeds its parts|
| processing         | inputs, outputs                         | outputs/inputs within recovery bounds |
| transfer           | lot, kg, to_actor                       | custody changes, mass does not        |
| sampling           | lot, sample_id; kg (sample mass) opt.   | the sample leaves the lot             |
| assay_result       | lot, sample_id, results                 | none (results per analyte)            |
| export_declaration | lot, kg, declaration_id                 | the declared mass leaves the lot      |
| seizure            | lot, kg, authority                      | the seized mass leaves the lot        |

Personal fields never appear in clear: `commitments` maps a field name to
SHA-256(salt || value) (see `personal`). The envelope adds the signer's key id, the Ed25519
signature over the canonical event and the entry's position `seq` in the log.
"""

from __future__ import annotations

import json
import re
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from filon.errors import InvalidData
from filon.ledger.canonical import canonical_bytes
from filon.ledger.keys import KeyRegistry, b64, key_id, public_bytes, unb64

EVENT_DOMAIN = b"filon-ledger-event/1\n"

#: type -> (required fields, number of inputs, number of outputs); None = any, "1+" = at least one.
EVENT_TYPES: dict[str, tuple[tuple[str, ...], str | None, str | None]] = {
    "lot_created": ((), "0", "1"),
    "split": ((), "1", "1+"),
    "merge": ((), "1+", "1"),
    "processing": ((), "1+", "1+"),
    "transfer": (("lot", "kg", "to_actor"), "0", "0"),
    "sampling": (("lot", "sample_id"), "0", "0"),
    "assay_result": (("lot", "sample_id", "results"), "0", "0"),
    "export_declaration": (("lot", "kg", "declaration_id"), "0", "0"),
    "seizure": (("lot", "kg", "authority"), "0", "0"),
}
#: Events whose `kg` leaves the lot (counted against the lot's mass).
OUTFLOW_TYPES = ("sampling", "export_declaration", "seizure")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _count_ok(rule: str, n: int) -> bool:
    return n >= int(rule[:-1]) if rule.endswith("+") else n == int(rule)


def check_event(event: Any, where: str = "event") -> None:
    """Raise InvalidData naming the field when `event` is not a well-formed custody event."""
    def bad(column: str, message: str, fix: str, value: Any = None) -> InvalidData:
        return InvalidData(message, file=where, column=column, fix=fix,
                           value=None if value is None else str(value))

    if not isinstance(event, dict):
        raise bad("event", "an event must be a JSON object", "write the event as {\"type\": ..., ...}")
    etype = event.get("type")
    if etype not in EVENT_TYPES:
        raise bad("type", "unknown event type", f"use one of {', '.join(EVENT_TYPES)}", etype)
    required, n_in, n_out = EVENT_TYPES[etype]
    for name in ("event_id", "actor", "time", *required):
        if event.get(name) in (None, ""):
            raise bad(name, f"a {etype} event needs {name}", f"add {name}")
    for name in ("event_id", "actor"):
        if not isinstance(event[name], str):
            raise bad(name, f"{name} must be text", f"write {name} as a string", event[name])
    if not isinstance(event["time"], str) or not _TIME.match(event["time"]):
        raise bad("time", "time must be an ISO 8601 date or date-time", "write e.g. 2024-03-01 or "
                  "2024-03-01T10:00:00Z", event["time"])
    for side, rule in (("inputs", n_in), ("outputs", n_out)):
        items = event.get(side, [])
        if not isinstance(items, list) or not _count_ok(rule, len(items)):
            raise bad(side, f"a {etype} event needs {rule} {side}", f"list {side} as [{{\"lot\": ..., \"kg\": ...}}]")
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("lot"), str) or not item["lot"]:
                raise bad(f"{side}[{i}].lot", "each entry needs a lot id", "add \"lot\": \"LOT-...\"")
            _check_mass(item.get("kg"), f"{side}[{i}].kg", bad)
    if "lot" in event and not isinstance(event["lot"], str):
        raise bad("lot", "lot must be text", "write the lot id as a string", event["lot"])
    if "kg" in event:
        _check_mass(event["kg"], "kg", bad)
    if etype == "assay_result" and not isinstance(event["results"], dict):
        raise bad("results", "results must map each analyte to its value", "write {\"au_gpt\": 12.5}")
    commitments = event.get("commitments", {})
    if not isinstance(commitments, dict) or not all(isinstance(v, str) and _HEX64.match(v) for v in commitments.values()):
        raise bad("commitments", "commitments must map field names to 64 hex digits",
                  "commit personal fields with filon.ledger.personal.PersonalStore.commit")


def _check_mass(kg: Any, column: str, bad) -> None:
    if isinstance(kg, bool) or not isinstance(kg, (int, float)) or kg < 0 or kg != kg:
        raise bad(column, "mass must be a number of kilograms, zero or more", "write the fine mass in kg", kg)


def touched_lots(event: dict) -> list[str]:
    """Every lot an event names, inputs first."""
    lots = [i["lot"] for i in event.get("inputs", [])] + [o["lot"] for o in event.get("outputs", [])]
    if event.get("lot"):
        lots.append(event["lot"])
    return lots


def signing_bytes(event: dict) -> bytes:
    return EVENT_DOMAIN + canonical_bytes(event)


def sign_event(event: dict, key: Ed25519PrivateKey, kid: str | None = None) -> dict:
    """The envelope without its log position: event, key id and signature."""
    check_event(event)
    event_bytes = canonical_bytes(event)
    return {"event": event, "key_id": kid or key_id(public_bytes(key)),
            "sig": b64(key.sign(EVENT_DOMAIN + event_bytes)), _EVENT_BYTES: event_bytes}


_EVENT_BYTES = "_event_bytes"  # canonical bytes kept from signing so appending does not redo them


def leaf_bytes(signed: dict, seq: int) -> bytes:
    """The exact bytes stored and hashed as the log's leaf number `seq`: the canonical JSON of
    {event, key_id, seq, sig}, assembled around the event's canonical bytes (keys in sorted order)."""
    event_bytes = signed.get(_EVENT_BYTES) or canonical_bytes(signed["event"])
    return b"".join((b'{"event":', event_bytes, b',"key_id":', canonical_bytes(signed["key_id"]),
                     b',"seq":', str(int(seq)).encode(), b',"sig":', canonical_bytes(signed["sig"]), b"}"))


def parse_leaf(data: bytes) -> dict:
    """Parse a leaf; raises ValueError when it is not the canonical form of an envelope."""
    envelope = json.loads(data.decode("utf-8"))
    if not isinstance(envelope, dict) or set(envelope) != {"event", "key_id", "sig", "seq"}:
        raise ValueError("not an envelope with exactly event, key_id, sig and seq")
    if canonical_bytes(envelope) != data:
        raise ValueError("bytes are not in canonical form (edited by hand?)")
    return envelope


def envelope_problem(envelope: dict, registry: KeyRegistry) -> str | None:
    """Why an envelope's signature does not hold, or None when it does."""
    event = envelope["event"]
    try:
        check_event(event)
    except InvalidData as err:
        return f"the event is malformed: {err}"
    key = registry.get(envelope["key_id"])
    if key is None:
        return f"signed with key {envelope['key_id']}, which is not in the key registry"
    if key.actor_id != event["actor"]:
        return f"signed with a key of {key.actor_id}, but the custodian is {event['actor']}"
    try:
        signature = unb64(envelope["sig"])
    except ValueError:
        return "the signature is not base64"
    if not registry.verify(envelope["key_id"], signature, signing_bytes(event)):
        return f"the Ed25519 signature of {event['actor']} does not match the event's bytes"
    return None
