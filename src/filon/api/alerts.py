"""Alerts of the latest analysis (`WS/results/alerts.json`), loaded once per analysis and indexed.

The alert list is what every analyst opens all day, so the work is done when an analysis lands,
not per request: `AlertTable` holds the alerts with each one's list-row JSON already built
(checked against the API's `AlertCore` model), the positions in every sort order, and those
orders split by country, so a country-scoped page is a lookup and a slice. Selections with
other filters are kept (the latest few hundred), keyed by the table and (for status filters) the
triage version, so they are never served stale.

The file is re-read when its modification time changes, so a finished background analysis
shows up without a restart (`filon analyze` replaces the file whole, never in place).
"""

from __future__ import annotations

import itertools
import json
import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from filon.api.schemas import AlertCore
from filon.errors import FilonError

#: Evidence keys that name an actor involved in the alert besides its subject.
ACTOR_KEYS = ("exporter_id", "holder_id", "actor_id", "buyer_id", "seller_id")
SORTS = {"score": lambda a: (a["score"], a.get("value_at_risk_usd") or 0.0),
         "value": lambda a: a.get("value_at_risk_usd") or 0.0,
         "period": lambda a: a.get("period") or "",
         "typology": lambda a: a["typology"],
         "country": lambda a: a.get("country") or ""}
SELECTIONS_KEPT = 256
_generations = itertools.count(1)


@dataclass(frozen=True)
class AlertFilter:
    typology: tuple[str, ...] | None = None
    country: tuple[str, ...] | None = None
    period: str | None = None        # prefix: "2023" matches "2023-05"
    min_score: float | None = None
    q: str | None = None             # part of the subject id or the explanation
    status: tuple[str, ...] | None = None  # triage status (needs the triage map)
    actor: str | None = None

    def rest(self) -> AlertFilter:
        """This filter without its country part (which the indexes answer)."""
        return AlertFilter(self.typology, None, self.period, self.min_score, self.q, self.status, self.actor)

    def matches(self, a: dict[str, Any], status_of: dict[str, str]) -> bool:
        if self.typology and a["typology"] not in self.typology:
            return False
        if self.country and (a.get("country") or "") not in self.country:
            return False
        if self.period and not (a.get("period") or "").startswith(self.period):
            return False
        if self.min_score is not None and a["score"] < self.min_score:
            return False
        if self.q and self.q.lower() not in a["_text"]:
            return False
        if self.status and status_of.get(a["alert_id"], "new") not in self.status:
            return False
        if self.actor and self.actor not in a["_actors"]:
            return False
        return True

    @property
    def empty(self) -> bool:
        return self == AlertFilter()


@dataclass
class AlertTable:
    """One analysis' alerts with their prebuilt rows and sort orders."""

    mtime: float
    alerts: list[dict[str, Any]]
    by_id: dict[str, dict[str, Any]]
    rows: list[bytes]                     # AlertCore JSON of each alert, without its closing brace
    generation: int = field(default_factory=lambda: next(_generations))
    _orders: dict[tuple[str, frozenset[str] | None], tuple[int, ...]] = field(default_factory=dict)
    _aggregates: dict[str, Any] | None = None

    @classmethod
    def load(cls, path: Path, mtime: float) -> AlertTable:
        try:
            alerts = json.loads(path.read_text(encoding="utf-8"))
            rows = []
            for a in alerts:
                a["_actors"] = _actors(a)
                a["_text"] = (a["subject_id"] + " " + a["explanation"]).lower()
                period = a.get("period") or ""
                a["month"] = period[:7] if len(period) >= 7 else None
                rows.append(AlertCore.model_validate(public(a)).model_dump_json().encode()[:-1])
        except (OSError, ValueError, KeyError, TypeError, ValidationError) as err:
            raise FilonError(f"{path} is not a readable alerts file ({type(err).__name__}: {str(err)[:300]}). "
                             "Run the analysis again (filon analyze, or POST /api/analysis).") from err
        return cls(mtime, alerts, {a["alert_id"]: a for a in alerts}, rows)

    def order(self, sort: str, countries: frozenset[str] | None) -> tuple[int, ...]:
        """Positions of the alerts of `countries` (None: all) in the order `sort` asks for.

        Ties are broken by alert_id, ascending in both directions, so pages never overlap."""
        key = (sort, countries)
        found = self._orders.get(key)
        if found is None:
            if countries is None:
                by_key = SORTS.get(sort.lstrip("-"), SORTS["score"])
                ids = sorted(range(len(self.alerts)), key=lambda i: self.alerts[i]["alert_id"])
                ids.sort(key=lambda i: by_key(self.alerts[i]), reverse=sort.startswith("-"))
                found = tuple(ids)
            else:
                found = tuple(i for i in self.order(sort, None) if (self.alerts[i].get("country") or "") in countries)
            self._orders[key] = found   # a benign race: two threads build the same tuple
        return found

    def page_json(self, found: tuple[int, ...], offset: int, limit: int, triage_json: Callable[[str], bytes]) -> bytes:
        """An `AlertPage` as JSON: the prebuilt rows of the page, each closed with its triage decision."""
        page = found[offset: offset + limit]
        nxt = offset + limit if offset + limit < len(found) else None
        items = b",".join(b'%s,"triage":%s}' % (self.rows[i], triage_json(self.alerts[i]["alert_id"])) for i in page)
        return b'{"total":%d,"limit":%d,"offset":%d,"next_offset":%s,"items":[%s]}' % (
            len(found), limit, offset, b"null" if nxt is None else b"%d" % nxt, items)

    def aggregates(self) -> dict[str, Any]:
        """Counts for every country: what any signed-in user may see of the whole region."""
        if self._aggregates is None:
            alerts = self.alerts
            self._aggregates = {
                "total": len(alerts),
                "by_typology": dict(Counter(a["typology"] for a in alerts).most_common()),
                "by_country": dict(sorted(Counter(a.get("country") or "-" for a in alerts).items())),
                "by_month": dict(sorted(Counter((a.get("period") or "-")[:7] for a in alerts).items())),
                "value_at_risk_usd": round(sum(a.get("value_at_risk_usd") or 0.0 for a in alerts), 2)}
        return self._aggregates


_EMPTY = AlertTable(0.0, [], {}, [])


class AlertStore:
    def __init__(self, results: Path) -> None:
        self.results = Path(results)
        self._file = str(self.path)
        self._lock = threading.Lock()
        self._table = _EMPTY
        self._selections: OrderedDict[tuple, tuple[int, ...]] = OrderedDict()

    @property
    def path(self) -> Path:
        return self.results / "alerts.json"

    def _mtime(self) -> float | None:
        try:
            return os.stat(self._file).st_mtime
        except FileNotFoundError:
            return None

    def fresh(self) -> AlertTable | None:
        """The table if it is up to date (one stat call), else None: then call `table()`,
        which reads the file (async code does that in a worker thread)."""
        mtime = self._mtime()
        if mtime is None:
            return _EMPTY
        table = self._table
        return table if table.mtime == mtime else None

    def table(self) -> AlertTable:
        mtime = self._mtime()
        if mtime is None:
            return _EMPTY
        if self._table.mtime != mtime:
            with self._lock:
                if self._table.mtime != mtime:
                    self._table = AlertTable.load(self.path, mtime)
                    self._selections = OrderedDict()
        return self._table

    def all(self) -> list[dict[str, Any]]:
        return self.table().alerts

    def get(self, alert_id: str) -> dict[str, Any] | None:
        return self.table().by_id.get(alert_id)

    def aggregates(self) -> dict[str, Any]:
        return self.table().aggregates()

    def positions(self, table: AlertTable, flt: AlertFilter, scope: frozenset[str] | None,
                  status_of: dict[str, str], sort: str = "-score", triage_version: int = 0) -> tuple[int, ...]:
        """Positions in `table` of the alerts in `scope` that match `flt`, in `sort` order."""
        countries = scope
        if flt.country:
            countries = frozenset(flt.country) if scope is None else scope & frozenset(flt.country)
        base = table.order(sort, countries)
        rest = flt.rest()
        if rest.empty:
            return base
        key = (table.generation, rest, countries, sort, triage_version if rest.status else 0)
        found = self._selections.get(key)
        if found is None:
            alerts = table.alerts
            found = tuple(i for i in base if rest.matches(alerts[i], status_of))
            with self._lock:
                self._selections[key] = found
                while len(self._selections) > SELECTIONS_KEPT:
                    self._selections.popitem(last=False)
        return found

    def select(self, flt: AlertFilter, scope: frozenset[str] | None, status_of: dict[str, str],
               sort: str = "-score", triage_version: int = 0) -> list[dict[str, Any]]:
        table = self.table()
        return [table.alerts[i] for i in self.positions(table, flt, scope, status_of, sort, triage_version)]


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
        row = src.get("row")
        out.append({"table": src.get("table") or (batch.table if batch else None), "record_id": src.get("id"),
                    "file": file, "row": row if isinstance(row, int) else None,
                    "batch_id": batch.batch_id if batch else None,
                    "sha256": batch.sha256 if batch else None, "ingested_at": batch.ingested_at if batch else None})
    return out

