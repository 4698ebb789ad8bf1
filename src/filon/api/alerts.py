"""Alerts of the latest analysis (`WS/results/alerts.json`), filtered, sorted and paged in memory.

The file is re-read when its modification time changes, so a finished background analysis
shows up without a restart. A few thousand alerts filter in well under a millisecond, which
is what keeps the alert list fast under many concurrent analysts.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Evidence keys that name an actor involved in the alert besides its subject.
ACTOR_KEYS = ("exporter_id", "holder_id", "actor_id", "buyer_id", "seller_id")
SORTS = {"score": lambda a: (a["score"], a.get("value_at_risk_usd") or 0.0),
         "value": lambda a: a.get("value_at_risk_usd") or 0.0,
         "period": lambda a: a.get("period") or "",
         "typology": lambda a: a["typology"],
         "country": lambda a: a.get("country") or ""}


@dataclass
class AlertFilter:
    typology: list[str] | None = None
    country: list[str] | None = None
    period: str | None = None        # prefix: "2023" matches "2023-05"
    min_score: float | None = None
    q: str | None = None             # part of the subject id or the explanation
    status: list[str] | None = None  # triage status (needs the triage map)
    actor: str | None = None

    def matches(self, a: dict[str, Any], status_of: dict[str, str]) -> bool:
        if self.typology and a["typology"] not in self.typology:
            return False
        if self.country and (a.get("country") or "") not in self.country:
            return False
        if self.period and not (a.get("period") or "").startswith(self.period):
            return False
        if self.min_score is not None and a["score"] < self.min_score:
            return False
        if self.q and self.q.lower() not in (a["subject_id"] + " " + a["explanation"]).lower():
            return False
        if self.status and status_of.get(a["alert_id"], "new") not in self.status:
            return False
        if self.actor and self.actor not in a["_actors"]:
            return False
        return True


class AlertStore:
    def __init__(self, results: Path) -> None:
        self.results = Path(results)
        self._lock = threading.Lock()
        self._mtime: float | None = None
        self._alerts: list[dict[str, Any]] = []
        self._by_id: dict[str, dict[str, Any]] = {}

    @property
    def path(self) -> Path:
        return self.results / "alerts.json"

    def all(self) -> list[dict[str, Any]]:
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            return []
        if mtime != self._mtime:
            with self._lock:
                if mtime != self._mtime:
                    alerts = json.loads(self.path.read_text(encoding="utf-8"))
                    for a in alerts:
                        a["_actors"] = _actors(a)
                        a["month"] = (a.get("period") or "")[:7] if len(a.get("period") or "") >= 7 else None
                    self._alerts, self._by_id, self._mtime = alerts, {a["alert_id"]: a for a in alerts}, mtime
        return self._alerts

    def get(self, alert_id: str) -> dict[str, Any] | None:
        self.all()
        return self._by_id.get(alert_id)

    def select(self, flt: AlertFilter, scope: frozenset[str] | None, status_of: dict[str, str],
               sort: str = "-score") -> list[dict[str, Any]]:
        key = sort.lstrip("-")
        rows = [a for a in self.all() if (scope is None or (a.get("country") or "") in scope) and flt.matches(a, status_of)]
        rows.sort(key=lambda a: a["alert_id"])
        rows.sort(key=SORTS.get(key, SORTS["score"]), reverse=sort.startswith("-"))
        return rows

    def aggregates(self) -> dict[str, Any]:
        """Counts for every country: what any signed-in user may see of the whole region."""
        alerts = self.all()
        return {"total": len(alerts),
                "by_typology": dict(Counter(a["typology"] for a in alerts).most_common()),
                "by_country": dict(sorted(Counter(a.get("country") or "-" for a in alerts).items())),
                "by_month": dict(sorted(Counter((a.get("period") or "-")[:7] for a in alerts).items())),
                "value_at_risk_usd": round(sum(a.get("value_at_risk_usd") or 0.0 for a in alerts), 2)}


def public(alert: dict[str, Any], *, evidence: bool = False) -> dict[str, Any]:
    """The alert as the API returns it (internal keys dropped; evidence only on request)."""
    out = {k: v for k, v in alert.items() if not k.startswith("_") and (evidence or k != "evidence")}
    out["actors"] = alert["_actors"]
    return out


def _actors(alert: dict[str, Any]) -> list[str]:
    found = [alert["subject_id"]] if alert["subject_type"] == "actor" else []
    ev = alert.get("evidence") or {}
    found += [str(ev[k]) for k in ACTOR_KEYS if isinstance(ev.get(k), str)]
    return list(dict.fromkeys(found))


def lineage(alert: dict[str, Any], batches: list[Any]) -> list[dict[str, Any]]:
    """The source records behind an alert: table, record id, file and row, and the batch that
    loaded that file (matched by file name, as the evidence names the file it was read from)."""
    by_file: dict[str, Any] = {}
    for b in batches:
        by_file.setdefault(Path(b.source_file).name, b)
        if b.origin:
            by_file.setdefault(Path(b.origin).name, b)
    out = []
    for src in (alert.get("evidence") or {}).get("sources") or []:
        if not isinstance(src, dict):
            continue
        file = str(src.get("file") or "")
        batch = by_file.get(Path(file).name)
        out.append({"table": src.get("table") or (batch.table if batch else None), "record_id": src.get("id"),
                    "file": file, "row": src.get("row"), "batch_id": batch.batch_id if batch else None,
                    "sha256": batch.sha256 if batch else None, "ingested_at": batch.ingested_at if batch else None})
    return out
