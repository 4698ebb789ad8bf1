"""Mass balance at every node of the custody graph, raised as `mass_balance_break` alerts.

For each lot, from the signed events alone:
  * what left it (taken into splits, merges and processing, sampled, exported, seized) never
    exceeds the mass it was created with, beyond `mass_tolerance`;
  * a split's children never exceed their parent, a merged lot never exceeds its parts;
  * a processing event recovers between `recovery_min` and `recovery_max` of its input metal;
  * a transfer never hands over more than the lot holds; a lot is created only once.
Thresholds come from the `ledger` section of `filon/detect/parameters.yaml`. Lots that appear
without a creation event are not judged here (their mass is unknown); they are custody gaps.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from filon.detect.alerts import Alert, sort_key
from filon.detect.parameters import Parameters, defaults
from filon.ledger.events import OUTFLOW_TYPES, touched_lots

TRANSFORMS = ("lot_created", "split", "merge", "processing")
MAX_EVIDENCE_EVENTS = 25


@dataclass
class _Break:
    reason: str
    allowed_kg: float
    actual_kg: float
    event_ids: list[str]

    @property
    def excess_kg(self) -> float:
        return self.actual_kg - self.allowed_kg


@dataclass
class _Lot:
    mass_kg: float | None = None
    out_kg: float = 0.0
    events: list[dict] = field(default_factory=list)
    outflow_events: list[str] = field(default_factory=list)
    breaks: list[_Break] = field(default_factory=list)


def _events_of(source: Any) -> list[dict]:
    if hasattr(source, "envelopes"):
        return [env["event"] for _, env in source.envelopes()]
    return [e["event"] if "event" in e and "sig" in e else e for e in source]


def custody_alerts(ledger: Any, params: Parameters | None = None) -> list[Alert]:
    """Mass-balance alerts for a `Ledger`, or any iterable of events or envelopes."""
    p = params or defaults("ledger")
    lots = _balance(_events_of(ledger), p)
    alerts = [_alert(lot_id, lot, p) for lot_id, lot in lots.items() if lot.breaks]
    return sorted(alerts, key=sort_key)


def _balance(events: Iterable[dict], p: Parameters) -> dict[str, _Lot]:
    tol = 1.0 + float(p.mass_tolerance)
    lots: dict[str, _Lot] = defaultdict(_Lot)
    for event in events:
        etype, eid = event["type"], event["event_id"]
        for lot_id in dict.fromkeys(touched_lots(event)):
            lots[lot_id].events.append(event)
        ins = sum(i["kg"] for i in event.get("inputs", []))
        outs = sum(o["kg"] for o in event.get("outputs", []))
        for item in event.get("outputs", []):
            lot = lots[item["lot"]]
            if lot.mass_kg is not None:
                lot.breaks.append(_Break("created a second time", lot.mass_kg, lot.mass_kg + item["kg"], [eid]))
                lot.mass_kg += item["kg"]
            else:
                lot.mass_kg = item["kg"]
        for item in event.get("inputs", []):
            lots[item["lot"]].out_kg += item["kg"]
            lots[item["lot"]].outflow_events.append(eid)
        if etype in OUTFLOW_TYPES:
            lots[event["lot"]].out_kg += event.get("kg", 0.0)
            lots[event["lot"]].outflow_events.append(eid)
        if etype == "split" and outs > ins * tol:
            lots[event["inputs"][0]["lot"]].breaks.append(
                _Break("split into children heavier than the parent", ins * tol, outs, [eid]))
        elif etype == "merge" and outs > ins * tol:
            lots[event["outputs"][0]["lot"]].breaks.append(
                _Break("merged lot heavier than its parts", ins * tol, outs, [eid]))
        elif etype == "processing":
            _check_recovery(event, ins, outs, p, lots)
        elif etype == "transfer":
            lot = lots[event["lot"]]
            if lot.mass_kg is not None and event["kg"] > lot.mass_kg * tol:
                lot.breaks.append(_Break(f"transfer to {event['to_actor']} of more than the lot holds",
                                         lot.mass_kg * tol, event["kg"], [eid]))
    for lot in lots.values():
        if lot.mass_kg is not None and lot.out_kg > lot.mass_kg * tol:
            lot.breaks.append(_Break("more metal left the lot than it was created with",
                                     lot.mass_kg * tol, lot.out_kg, list(lot.outflow_events)))
    for lot in lots.values():
        lot.breaks = [b for b in lot.breaks if b.excess_kg >= float(p.min_excess_kg)]
    return lots


def _check_recovery(event: dict, ins: float, outs: float, p: Parameters, lots: dict[str, _Lot]) -> None:
    lot = lots[event["outputs"][0]["lot"]]
    low, high = ins * float(p.recovery_min), ins * float(p.recovery_max) * (1.0 + float(p.mass_tolerance))
    if outs > high:
        lot.breaks.append(_Break(f"processing recovered {outs / ins:.0%} of its input metal "
                                 f"(at most {float(p.recovery_max):.0%} allowed)" if ins else
                                 "processing produced metal from no input", high, outs, [event["event_id"]]))
    elif outs < low:
        lot.breaks.append(_Break(f"processing recovered only {outs / ins:.0%} of its input metal "
                                 f"(at least {float(p.recovery_min):.0%} expected): metal left undeclared",
                                 outs, low, [event["event_id"]]))


def _alert(lot_id: str, lot: _Lot, p: Parameters) -> Alert:
    worst = max(lot.breaks, key=lambda b: b.excess_kg)
    base = lot.mass_kg or worst.allowed_kg or 1.0
    share = sum(b.excess_kg for b in lot.breaks) / base if base else 1.0
    score = float(p.base_score) + (1.0 - float(p.base_score)) * min(1.0, share / float(p.full_score_excess))
    by_id = {e["event_id"]: e for e in lot.events}
    bad = next((by_id[i] for i in reversed(worst.event_ids) if i in by_id), lot.events[-1])  # the event that tipped it
    usd_per_kg = next((e["value_usd"] / e["kg"] for e in lot.events
                       if e.get("value_usd") and e.get("kg")), None)
    excess = sum(b.excess_kg for b in lot.breaks)
    reasons = "; ".join(f"{b.reason}: {b.actual_kg:.4f} kg against {b.allowed_kg:.4f} kg allowed" for b in lot.breaks)
    return Alert(
        typology="mass_balance_break", subject_type="lot", subject_id=lot_id,
        country=next((e["country"] for e in lot.events if e.get("country")), None),
        period=bad["time"][:7], score=round(min(1.0, score), 4),
        value_at_risk_usd=None if usd_per_kg is None else excess * usd_per_kg,
        explanation=f"Lot {lot_id} breaks mass balance in the signed custody log: {reasons}. "
                    f"Each event is signed by its custodian; check the lot's evidence bundle "
                    f"('filon ledger export {lot_id}').",
        evidence={"lot_mass_kg": lot.mass_kg, "left_lot_kg": round(lot.out_kg, 6), "excess_kg": round(excess, 6),
                  "breaks": [{"reason": b.reason, "allowed_kg": round(b.allowed_kg, 6),
                              "actual_kg": round(b.actual_kg, 6), "event_ids": b.event_ids[:MAX_EVIDENCE_EVENTS]}
                             for b in lot.breaks],
                  "events": lot.events[:MAX_EVIDENCE_EVENTS], "events_total": len(lot.events),
                  "parameters": dict(p)})
