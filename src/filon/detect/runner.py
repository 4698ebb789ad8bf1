"""`filon analyze`: run every registered detector on a workspace or a package folder.

Outputs are written into a hidden folder first and moved into place at the end, so an
interrupted run never leaves a half-written alerts.csv beside an old report.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from filon import __version__
from filon.detect.alerts import Alert, sort_key
from filon.detect.context import DetectContext
from filon.engine.base import engine_for
from filon.detect.output import write_csv, write_json, write_parquet
from filon.detect.history import CHANGE_COLUMNS, compare, previous_alerts
from filon.detect.parameters import load_overrides, resolve
from filon.detect.registry import Detector, all_detectors
from filon.risk.output import write_risk
from filon.errors import UsageError
from filon.standard.model import load_standard
from filon.store.workspace import MANIFEST, Workspace

Progress = Callable[[str], None]
OUTPUT_FILES = {"alerts.csv": "alerts.csv", "alerts.parquet": "alerts.parquet", "alerts.json": "alerts.json",
                "changes.csv": "changes.csv", "risk.csv": "risk.csv", "indicators.csv": "indicators.csv",
                "report.html": "report.html"}


@dataclass
class AnalysisResult:
    out: Path
    alerts: list[Alert]
    detectors: list[dict[str, Any]] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    #: New, changed and resolved alerts since the previous run into the same folder (empty on a first run).
    changes: list[dict[str, Any]] = field(default_factory=list)
    first_run: bool = True

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for a in self.alerts:
            out[a.typology] = out.get(a.typology, 0) + 1
        return out


def open_source(source: Path, progress: Progress, tmp: Path) -> Workspace:
    """A workspace as it is, or a package folder ingested into a throw-away workspace."""
    if (source / MANIFEST).exists():
        return Workspace(source)
    if not source.exists():
        raise UsageError(f"{source} does not exist. Give a workspace (made by 'filon ingest') or a package folder.")
    from filon.ingest.load import ingest_package  # a package folder needs validating first

    progress(f"{source} is a package folder: validating and loading it into a temporary workspace")
    ingest_package(source, tmp / "workspace", progress=progress)
    return Workspace(tmp / "workspace")


def select_detectors(codes: list[str] | None) -> list[Detector]:
    registry = all_detectors()
    if not codes:
        return list(registry.values())
    unknown = [c for c in codes if c not in registry]
    if unknown:
        raise UsageError(f"unknown detector(s): {', '.join(unknown)}. Available: {', '.join(registry)}")
    return [registry[c] for c in codes]


def run_analysis(source: Path, out: Path, *, detectors: list[str] | None = None, engine: str = "duckdb",
                 ground_truth: list[dict[str, Any]] | None = None, params: Path | None = None,
                 progress: Progress = lambda _m: None) -> AnalysisResult:
    """Run the chosen detectors (all by default) with the default thresholds, or those of
    `params` (a YAML file of overrides, see parameters.yaml), and write alerts and the report."""
    chosen = select_detectors(detectors)
    overrides = load_overrides(params) if params else {}
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".filon-", dir=out) as tmpname:
        tmp = Path(tmpname)
        ws = open_source(Path(source), progress, tmp)
        ctx = DetectContext(engine_for(engine, ws))
        result = AnalysisResult(out=out, alerts=[])
        for det in chosen:
            progress(f"running {det.code}")
            try:
                found = det.run(ctx, resolve(det.params, overrides))
            except Exception as err:  # one broken detector must not hide the others' findings
                result.failures[det.code] = f"{type(err).__name__}: {err}"
                found = []
            result.alerts.extend(found)
            result.detectors.append({"code": det.code, "version": det.version, "title": det.title,
                                     "description": det.description, "alerts": len(found),
                                     "overrides": overrides.get(det.params) or {},
                                     "failed": result.failures.get(det.code)})
        result.alerts.sort(key=sort_key)
        rows = [a.to_row() for a in result.alerts]
        previous = previous_alerts(out)
        result.first_run = previous is None
        ran = {d.code for d in chosen if d.code not in result.failures}
        result.changes = compare(previous, [{**r, "evidence": json.loads(r["evidence"])} for r in rows], ran)
        write_csv(tmp / "changes.csv", result.changes, CHANGE_COLUMNS)
        write_csv(tmp / "alerts.csv", rows)
        write_parquet(tmp / "alerts.parquet", rows)
        write_json(tmp / "alerts.json", rows)
        progress("scoring risk")
        try:
            write_risk(ctx, result.alerts, tmp, resolve("risk", overrides), decisions=ws.path / "derived" / "triage.csv")
        except Exception as err:  # the alerts stand without the ranking; say so rather than lose them
            result.failures["risk scoring"] = f"{type(err).__name__}: {err}"
            for name in ("risk.csv", "indicators.csv"):
                (tmp / name).write_text("", encoding="utf-8")
        progress("writing the report")
        try:
            _write_report(tmp / "report.html", rows, ws, source, result, ground_truth, ctx)
        finally:
            ctx.engine.close()
        for name in OUTPUT_FILES:
            os.replace(tmp / name, out / name)
        if (tmp / "risk_calibration.json").exists():
            os.replace(tmp / "risk_calibration.json", out / "risk_calibration.json")
        shutil.rmtree(tmp / "workspace", ignore_errors=True)
    return result


def score_ground_truth(alerts: list[Alert], truth: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mark each planted case found or not: same typology and subject, and a period that nests
    with the planted one when it is given (an alert for 2023-01 finds a case planted for 2023)."""
    fired: dict[tuple[str, str], list[str]] = {}
    for a in alerts:
        fired.setdefault((a.typology, a.subject_id), []).append(a.period or "")
    out = []
    for g in truth:
        want = (g.get("period") or "").strip()
        periods = fired.get((g["typology"], g["subject_id"]), [])
        hit = any(not want or p.startswith(want) or (p and want.startswith(p)) for p in periods)
        out.append({**g, "found": hit})
    return out


def _write_report(path: Path, rows: list[dict[str, Any]], ws: Workspace, source: Path, result: AnalysisResult,
                  ground_truth: list[dict[str, Any]] | None, ctx: DetectContext) -> None:
    from filon.report import write_report
    from filon.report.sections import build_sections

    alerts = [{**r, "evidence": json.loads(r["evidence"])} for r in rows]
    context = {
        "title": "filon analysis", "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": str(source), "standard_version": load_standard().version, "filon_version": __version__,
        "row_counts": ws.row_counts(), "detectors": result.detectors,
        "files": {k: v for k, v in OUTPUT_FILES.items() if k != "report.html"},
        "sections": build_sections(ctx, alerts),
        "changes": None if result.first_run else result.changes,
    }
    if ground_truth is not None:
        context["ground_truth"] = score_ground_truth(result.alerts, ground_truth)
    write_report(path, alerts, context)
