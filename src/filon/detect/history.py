"""What changed since the last run: new, changed and resolved alerts.

An analysis writes into the same results folder run after run. Before replacing the previous
alerts, the runner compares them with the new ones by their stable `alert_id` (typology,
subject and period, not the figures), so an analyst sees what is new since the last run, what
moved (score, value at risk or evidence) and what no longer fires. Alerts of detectors that did
not run this time (`--detectors` chose others) are neither compared nor called resolved.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

#: Columns of changes.csv.
CHANGE_COLUMNS = ("alert_id", "status", "typology", "subject_type", "subject_id", "country", "period",
                  "previous_score", "score", "previous_value_at_risk_usd", "value_at_risk_usd", "explanation")


def previous_alerts(out: Path) -> list[dict[str, Any]] | None:
    """The alerts of the last run written into `out`, or None when there was none (or it is unreadable:
    a damaged previous file must not stop today's analysis; everything then counts as new)."""
    path = out / "alerts.json"
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return rows if isinstance(rows, list) and all(isinstance(r, dict) and "alert_id" in r for r in rows) else None


def compare(previous: list[dict[str, Any]] | None, current: list[dict[str, Any]],
            detectors_run: set[str]) -> list[dict[str, Any]]:
    """One change row per alert that is new, changed or resolved (unchanged ones are left out).

    With no previous run, nothing is listed: a first run has no "since".
    """
    if previous is None:
        return []
    before = {r["alert_id"]: r for r in previous if r.get("typology") in detectors_run}
    after = {r["alert_id"]: r for r in current}
    changes = []
    for aid, now in after.items():
        old = before.get(aid)
        if old is None:
            changes.append(_row(aid, "new", None, now))
        elif _differs(old, now):
            changes.append(_row(aid, "changed", old, now))
    for aid, old in before.items():
        if aid not in after:
            changes.append(_row(aid, "resolved", old, None))
    order = {"new": 0, "changed": 1, "resolved": 2}
    changes.sort(key=lambda c: (order[c["status"]], -(c["score"] or c["previous_score"] or 0), c["alert_id"]))
    return changes


def _differs(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return not all(_same(_parsed(old.get(k)), _parsed(new.get(k))) for k in ("score", "value_at_risk_usd", "evidence"))


def _parsed(v: Any) -> Any:
    """JSON text (evidence as alerts.csv writes it) parsed; anything else as it is."""
    if isinstance(v, str):
        try:
            return json.loads(v)
        except ValueError:
            return v
    return v


def _same(a: Any, b: Any) -> bool:
    """Whether two values (at any depth) say the same thing to an analyst. Numbers are compared with
    `_close`, so that adding the same figures in another order never reads as a change."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if _number(a) and _number(b) and (isinstance(a, float) or isinstance(b, float)):
        return _close(float(a), float(b))
    return a == b


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _close(a: float, b: float) -> bool:
    """Equal up to summation order. Two cases: a figure kept at full precision moves in its last bits
    (relative gap ≤ 1e-9); a figure rounded for display (a detector writes 280.8405 kg as 280.841 or,
    summed in another order, 280.84) moves by one unit of its last decimal. The second is accepted
    only for a gap of at most one such unit and at most 1e-4 of the value: 280.84 → 280.86 kg, or a
    score 0.5 → 0.6, is a change."""
    if a == b:
        return True
    gap, scale = abs(a - b), max(abs(a), abs(b))
    if gap <= 1e-9 * scale:
        return True
    unit = 10.0 ** -max(_decimals(a), _decimals(b))
    return gap <= unit * (1 + 1e-6) and gap <= 1e-4 * scale


def _decimals(v: float) -> int:
    """Digits after the decimal point in the shortest text that reads back as `v` (280.84 → 2)."""
    exponent = Decimal(repr(v)).as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _row(aid: str, status: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any]:
    ref = new or old or {}
    return {"alert_id": aid, "status": status, "typology": ref.get("typology"),
            "subject_type": ref.get("subject_type"), "subject_id": ref.get("subject_id"),
            "country": ref.get("country"), "period": ref.get("period"),
            "previous_score": old.get("score") if old else None, "score": new.get("score") if new else None,
            "previous_value_at_risk_usd": old.get("value_at_risk_usd") if old else None,
            "value_at_risk_usd": new.get("value_at_risk_usd") if new else None,
            "explanation": ref.get("explanation")}
