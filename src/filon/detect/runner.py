"""`filon analyze`: run every registered detector on a workspace or a package folder.

Outputs are written into a hidden folder first and moved into place at the end, so an
interrupted run never leaves a half-written alerts.csv beside an old report.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filon import __version__
from filon.detect import incremental
from filon.detect.kept import kept_values
from filon.detect.alerts import Alert, sort_key
from filon.detect.context import DetectContext
from filon.detect.history import CHANGE_COLUMNS, compare, previous_alerts
from filon.detect.output import write_csv, write_json, write_parquet
from filon.detect.parameters import load_overrides, resolve
from filon.detect.registry import Detector, all_detectors
from filon.detect.tally import TallyStore
from filon.engine.base import engine_for
from filon.errors import UsageError
from filon.risk.aggregates import prefetch
from filon.risk.output import write_risk
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
    #: Detectors whose alerts were taken from the last run's state (nothing they read had changed).
    reused: list[str] = field(default_factory=list)
    #: Detectors run only on the subjects the new batches touch (the others' alerts kept).
    scoped: list[str] = field(default_factory=list)
    risk_reused: bool = False

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
    from filon.ingest.load import (
        ingest_package,  # a package folder needs validating first
    )

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
                 full: bool = False, progress: Progress = lambda _m: None) -> AnalysisResult:
    """Run the chosen detectors (all by default) with the default thresholds, or those of
    `params` (a YAML file of overrides, see parameters.yaml), and write alerts and the report.

    A detector whose inputs have not changed since the last run into `out` is not run again
    (see `filon.detect.incremental`); `full` runs everything regardless."""
    chosen = select_detectors(detectors)
    overrides = load_overrides(params) if params else {}
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".filon-", dir=out) as tmpname, ExitStack() as cleanup:
        tmp = Path(tmpname)
        ws = open_source(Path(source), progress, tmp)
        ctx = DetectContext(engine_for(engine, ws))
        cleanup.callback(ctx.engine.close)  # whatever fails below (closing twice is harmless)
        result = AnalysisResult(out=out, alerts=[])
        prints = incremental.fingerprints(ws)
        last = None if full else incremental.load_state(out, ws)
        if (Path(source) / MANIFEST).exists():  # a throw-away workspace leaves nothing for a next run
            ctx.kept = kept_values(out, prints, read=not full)
            if engine == "duckdb":
                ctx.tallies = TallyStore(out / incremental.STATE_DIR / "tallies", ws, prints, read=not full,
                                         background=True)
                cleanup.callback(ctx.tallies.wait)  # the tallies kept for the next run are written beside it
        state = incremental.RunState(workspace=str(ws.path.resolve()),
                                     detectors=dict(last.detectors) if last else {})
        scoped = incremental.ScopedConnection(ws)  # shared by the scoped runs, opened by the first
        pending = prefetch(ctx, resolve("risk", overrides))  # the ranking's aggregates, on the idle core
        try:
            for det in chosen:
                p = resolve(det.params, overrides)
                pkey = incremental.params_key(p)
                found = last.reusable(det.code, det.version, pkey, prints, ctx) if last else None
                if found is not None:
                    progress(f"{det.code}: inputs unchanged since the last run, alerts reused")
                    result.reused.append(det.code)
                else:
                    added = last.new_batches(det.code, det.version, pkey, prints, ws, det.scope, ctx) \
                        if last and engine == "duckdb" else None
                    try:
                        if added:
                            progress(f"running {det.code} on the subjects of the new batches")
                            found, reads, globals_ = _run_scoped(det, p, scoped, added, last.detectors[det.code], ctx)
                            result.scoped.append(det.code)
                        else:
                            progress(f"running {det.code}")
                            ctx.reads, ctx.globals = set(), {}
                            found = det.run(ctx, p)
                            reads, globals_ = ctx.reads, ctx.globals
                        state.detectors[det.code] = incremental.DetectorState(
                            det.version, pkey, incremental.input_key(reads, prints),
                            [incremental.alert_state(a) for a in found], globals_)
                    except Exception as err:  # one broken detector must not hide the others' findings
                        result.failures[det.code] = f"{type(err).__name__}: {err}"
                        state.detectors.pop(det.code, None)
                        found = []
                    finally:
                        ctx.reads = None
                result.alerts.extend(found)
                result.detectors.append({"code": det.code, "version": det.version, "title": det.title,
                                         "description": det.description, "alerts": len(found),
                                         "overrides": overrides.get(det.params) or {},
                                         "failed": result.failures.get(det.code)})
        finally:
            scoped.close()
            if pending is not None:
                pending.join()
        state.batches = incremental.batches_by_table(ws)
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
        alerts_key = incremental.params_key({"rows": rows})
        cleanup.enter_context(_frozen_heap())
        _score_risk(ctx, ws, alerts_key, result, tmp, resolve("risk", overrides), prints,
                    last.risk if last else None, state, progress)
        progress("writing the report")
        try:
            from filon.report.sections import SectionCache

            cache = SectionCache(incremental.params_key({"alerts": alerts_key, "risk": state.risk}), prints,
                                 previous=last.sections if last else {})
            _write_report(tmp / "report.html", rows, ws, source, result, ground_truth, ctx, cache)
            state.sections = cache.entries
        finally:
            ctx.engine.close()
        incremental.drop_state(out)  # until the outputs it describes are in place
        for name in OUTPUT_FILES:
            os.replace(tmp / name, out / name)
        if (tmp / "risk_calibration.json").exists():
            os.replace(tmp / "risk_calibration.json", out / "risk_calibration.json")
        if (Path(source) / MANIFEST).exists():  # a throw-away workspace has nothing to follow
            incremental.save_state(state, tmp, out)
        shutil.rmtree(tmp / "workspace", ignore_errors=True)
    return result


@contextmanager
def _frozen_heap() -> Iterator[None]:
    """Keep the garbage collector off the objects already alive (alerts, kept values, parsed
    state) while the risk ranking and the report allocate: otherwise one full collection walks
    them all during the report (0.15–0.2 s of an incremental run at ×10, more than the report
    itself). They are handed back to the collector when the run ends."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _run_scoped(det: Detector, p: Any, scoped: incremental.ScopedConnection, added: dict[str, set[str]],
                last: incremental.DetectorState, full: DetectContext) -> tuple[list[Alert], set[str], dict[str, str]]:
    """Run `det` on the rows of the subjects the new batches touch (on the connection the scoped
    runs share); keep the last run's alerts about every other subject."""
    from filon.engine.duckdb import DuckDBEngine

    assert det.scope is not None
    con, keys = scoped.narrow(det.scope, added)
    ctx = DetectContext(DuckDBEngine(con), reads=set(), full=full, scope_keys=keys,
                        filtered=scoped.narrowed_now, tallies=full.tallies)
    fresh = [a for a in det.run(ctx, p) if det.scope.alert_key(a) in keys]
    kept = [a for a in (Alert(**x) for x in last.alerts) if det.scope.alert_key(a) not in keys]
    return kept + fresh, ctx.reads | set(last.inputs), {**last.globals, **ctx.globals}


def _score_risk(ctx: DetectContext, ws: Workspace, alerts_key: str, result: AnalysisResult, tmp: Path,
                p: Any, prints: dict[str, str], last: dict[str, Any] | None, state: incremental.RunState,
                progress: Progress) -> None:
    """risk.csv and indicators.csv: taken from the last run when its alerts, the tables the
    ranking read, its parameters and the triage decisions are all unchanged; computed otherwise."""
    decisions = ws.path / "derived" / "triage.csv"
    key = {"params": incremental.params_key(p), "alerts": alerts_key,
           "triage": incremental.file_key(decisions)}
    if last and all(last.get(k) == v for k, v in key.items()) \
            and incremental.input_key(list(last.get("inputs", {})), prints) == last.get("inputs") \
            and all((result.out / name).exists() for name in ("risk.csv", "indicators.csv")):
        progress("risk: alerts and inputs unchanged since the last run, ranking reused")
        for name in ("risk.csv", "indicators.csv", "risk_calibration.json"):
            if (result.out / name).exists():
                shutil.copyfile(result.out / name, tmp / name)
        result.risk_reused = True
        state.risk = last
        try:
            from filon.risk.output import reuse_result

            reuse_result(ctx, result.alerts, tmp)  # the report's risk section shows it without recomputing
        except (OSError, ValueError, KeyError):
            pass  # the section computes it then
        return
    progress("scoring risk")
    ctx.reads = set()
    try:
        write_risk(ctx, result.alerts, tmp, p, decisions=decisions)
        state.risk = {**key, "inputs": incremental.input_key(ctx.reads, prints)}
    except Exception as err:  # the alerts stand without the ranking; say so rather than lose them
        result.failures["risk scoring"] = f"{type(err).__name__}: {err}"
        state.risk = None
        for name in ("risk.csv", "indicators.csv"):
            (tmp / name).write_text("", encoding="utf-8")
    finally:
        ctx.reads = None


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
                  ground_truth: list[dict[str, Any]] | None, ctx: DetectContext, cache: Any = None) -> None:
    from filon.report import write_report
    from filon.report.sections import build_sections

    alerts = [{**r, "evidence": json.loads(r["evidence"])} for r in rows]
    context = {
        "title": "filon analysis", "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": str(source), "standard_version": load_standard().version, "filon_version": __version__,
        "row_counts": ws.row_counts(), "detectors": result.detectors,
        "files": {k: v for k, v in OUTPUT_FILES.items() if k != "report.html"},
        "sections": build_sections(ctx, alerts, cache),
        "changes": None if result.first_run else result.changes,
    }
    if ground_truth is not None:
        context["ground_truth"] = score_ground_truth(result.alerts, ground_truth)
    write_report(path, alerts, context)
