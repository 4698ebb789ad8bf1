"""Early warning: after each analysis, only what is new — alerts new, changed or resolved, and
risk that moved — as OUT/digest.json and OUT/digest.html, optionally POSTed to a webhook.

Alert ids are stable (typology, subject, period), and the runner compares each run with the
previous one written into the same folder, so an alert is announced once: when it appears,
when its figures change, when it stops firing. Risk moves compare risk.csv before and after
the run, by subject, and are announced from a change of `watch_min_move`. A "changed" alert is announced when its score or
its value at risk moved (`watch_score_change`, `watch_value_change`); a change of evidence alone
(often the last digit of a rounded sum, which depends on the engine's summation order) stays in
changes.csv and is counted in the digest, not announced. The first run into
a folder has no "since": it announces every alert as new, once.
"""

from __future__ import annotations

import csv
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup

from filon.detect.context import DetectContext
from filon.detect.history import previous_alerts
from filon.detect.parameters import Parameters, defaults
from filon.engine.base import engine_for
from filon.errors import UsageError
from filon.risk.lanes_model import TRIAGE_FILE
from filon.store.workspace import MANIFEST, Workspace

Key = tuple[str, str, str]


@dataclass
class Digest:
    generated_at: str
    workspace: str
    first_run: bool
    analysis_seconds: float
    alerts: list[dict[str, Any]] = field(default_factory=list)
    risk_moves: list[dict[str, Any]] = field(default_factory=list)
    evidence_only_changes: int = 0
    #: How incremental the analysis was: detectors whose alerts were reused, and run on new subjects only.
    reused: list[str] = field(default_factory=list)
    scoped: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.alerts and not self.risk_moves

    def to_dict(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for a in self.alerts:
            counts[a["status"]] = counts.get(a["status"], 0) + 1
        return {"generated_at": self.generated_at, "workspace": self.workspace, "first_run": self.first_run,
                "analysis_seconds": round(self.analysis_seconds, 2), "empty": self.empty,
                "evidence_only_changes": self.evidence_only_changes,
                "detectors_reused": self.reused, "detectors_scoped": self.scoped,
                "counts": {**counts, "risk_moves": len(self.risk_moves)},
                "alerts": self.alerts, "risk_moves": self.risk_moves}


def read_risk(path: Path) -> dict[Key, dict[str, Any]] | None:
    """risk.csv by (subject_type, subject_id, country); None when there is none yet."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return {(r["subject_type"], r["subject_id"], r["country"]): r for r in csv.DictReader(fh)}
    except (OSError, KeyError):
        return None


def risk_moves(before: dict[Key, dict[str, Any]] | None, after: dict[Key, dict[str, Any]], p: Parameters) -> list[dict[str, Any]]:
    """Subjects whose risk_score moved by at least `watch_min_move` (or appeared, or vanished, that high)."""
    if before is None:
        return []
    out = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        s0 = float(old["risk_score"]) if old else 0.0
        s1 = float(new["risk_score"]) if new else 0.0
        if abs(s1 - s0) < p.watch_min_move:
            continue
        reasons = json.loads(new["reasons"]) if new and new.get("reasons") else []
        out.append({"subject_type": key[0], "subject_id": key[1], "country": key[2] or None,
                    "status": "new" if old is None else "gone" if new is None else "up" if s1 > s0 else "down",
                    "previous_score": s0 if old else None, "score": s1 if new else None,
                    "previous_rank": int(old["rank"]) if old else None, "rank": int(new["rank"]) if new else None,
                    "top_reason": reasons[0] if reasons else None})
    out.sort(key=lambda m: (-abs(float(m["score"] or 0) - float(m["previous_score"] or 0)),
                            str(m["subject_type"]), str(m["subject_id"])))
    return out


def run_watch(ws_path: Path, out: Path, webhook: str | None = None, engine: str = "duckdb",
              progress=lambda _m: None) -> Digest:
    """Analyse the workspace into `out`, then write (and optionally POST) the digest of what changed."""
    from filon.detect.runner import run_analysis
    from filon.risk.output import write_risk

    ws_path, out = Path(ws_path), Path(out)
    if not (ws_path / MANIFEST).exists():
        raise UsageError(f"{ws_path} is not a filon workspace. 'filon watch' follows a workspace over time; "
                         f"create one with: filon ingest DATA --workspace {ws_path}")
    if webhook and not webhook.startswith(("http://", "https://")):
        raise UsageError(f"--webhook {webhook!r} must be an http:// or https:// URL")
    p = defaults("risk")
    before = read_risk(out / "risk.csv")
    previous = {r["alert_id"]: r for r in previous_alerts(out) or []}
    first_run = not (out / "alerts.json").exists()
    started = time.time()
    result = run_analysis(ws_path, out, engine=engine, progress=progress)
    seconds = time.time() - started
    risk_path = out / "risk.csv"
    if not risk_path.exists() or risk_path.stat().st_mtime < started:  # the runner did not write it (not wired)
        progress("scoring risk")
        ctx = DetectContext(engine_for(engine, Workspace(ws_path)))
        try:
            write_risk(ctx, result.alerts, out, p, decisions=ws_path / TRIAGE_FILE)
        finally:
            ctx.engine.close()
    after = read_risk(risk_path) or {}
    if first_run:
        alerts = [{**{k: v for k, v in a.to_row().items() if k != "evidence"}, "status": "new"} for a in result.alerts]
    else:
        current = {a.alert_id: a.to_row() for a in result.alerts}
        alerts = [c for c in result.changes if c["status"] != "changed"
                  or material(previous.get(c["alert_id"]), current.get(c["alert_id"]), p)]
    digest = Digest(datetime.now(UTC).isoformat(timespec="seconds"), str(ws_path), first_run, seconds,
                    alerts, risk_moves(before, after, p),
                    evidence_only_changes=0 if first_run else len(result.changes) - len(alerts),
                    reused=list(result.reused), scoped=list(result.scoped))
    payload = json.dumps(digest.to_dict(), ensure_ascii=False, indent=2, default=str)
    (out / "digest.json").write_text(payload, encoding="utf-8")
    (out / "digest.html").write_text(render_html(digest), encoding="utf-8")
    if webhook and not digest.empty:
        post(webhook, payload.encode("utf-8"), out)
    return digest


def material(old: dict[str, Any] | None, new: dict[str, Any] | None, p: Parameters) -> bool:
    """A changed alert is news when its score or its money at risk moved, not its evidence's last digits."""
    if old is None or new is None:
        return True
    s0, s1 = float(old.get("score") or 0.0), float(new.get("score") or 0.0)
    v0, v1 = float(old.get("value_at_risk_usd") or 0.0), float(new.get("value_at_risk_usd") or 0.0)
    return abs(s1 - s0) >= p.watch_score_change or abs(v1 - v0) > p.watch_value_change * max(abs(v0), abs(v1), 1.0)


def post(url: str, body: bytes, out: Path, timeout: float = 15.0) -> None:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8",
                                              "User-Agent": "filon-watch"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if not 200 <= response.status < 300:
                raise urllib.error.HTTPError(url, response.status, response.reason, response.headers, None)
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise UsageError(f"could not POST the digest to {url}: {err}. The digest is saved in {out / 'digest.json'}; "
                         "send that file once the receiver is reachable (the next run announces only newer changes).") from None


def render_html(d: Digest) -> str:
    """A small self-contained page; every data string escaped."""
    def table(rows: list[dict[str, Any]], cols: tuple[str, ...]) -> Markup:
        head = Markup("").join(Markup("<th>{}</th>").format(c) for c in cols)
        body = Markup("").join(
            Markup("<tr>{}</tr>").format(Markup("").join(
                Markup("<td>{}</td>").format("" if r.get(c) is None else _short(r.get(c))) for c in cols))
            for r in rows)
        return Markup("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>").format(head, body)

    summary = ("Nothing new since the last run." if d.empty else
               f"{len(d.alerts)} alert change(s) and {len(d.risk_moves)} risk move(s)"
               + (" (first run: every alert is new)." if d.first_run else " since the last run."))
    parts = [Markup("<h1>filon watch digest</h1><p>{} — workspace {} — analysis took {:.1f} s ({} detector(s) reused "
                    "unchanged, {} run on the new rows' subjects only)</p><p><b>{}</b></p>")
             .format(d.generated_at, d.workspace, d.analysis_seconds, len(d.reused), len(d.scoped), summary)]
    if d.alerts:
        parts.append(Markup("<h2>Alerts new, changed or resolved</h2>"))
        parts.append(table(d.alerts, ("status", "typology", "subject_type", "subject_id", "country", "period",
                                      "score", "value_at_risk_usd", "explanation")))
    if d.risk_moves:
        parts.append(Markup("<h2>Risk moves</h2>"))
        parts.append(table(d.risk_moves, ("status", "subject_type", "subject_id", "country", "previous_score", "score",
                                          "previous_rank", "rank", "top_reason")))
    style = ("body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;font-size:13px}"
             "td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}th{background:#f3f3f3}")
    return str(Markup("<!doctype html><html><head><meta charset='utf-8'><title>filon watch digest</title>"
                      "<style>{}</style></head><body>{}</body></html>").format(Markup(style), Markup("").join(parts)))


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
    return text if len(text) <= 300 else text[:299] + "…"
