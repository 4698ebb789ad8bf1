"""`filon analyze`: run every detector and write alerts and the report."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from filon.cli.console import console
from filon.detect.runner import AnalysisResult, run_analysis
from filon.errors import DetectorError, UsageError


def analyze(
    source: Path = typer.Argument(..., help="Workspace (from 'filon ingest') or a package folder."),
    out: Path = typer.Option(Path("filon-results"), "--out", "-o", help="Folder for alerts.csv, alerts.parquet, alerts.json and report.html."),
    detectors: str = typer.Option("", "--detectors", "-d", help="Only these typologies, comma-separated."),
    engine: str = typer.Option("duckdb", "--engine", "-e", help="duckdb (default, embedded) or spark (needs filon[spark] and Java 17+)."),
    params: Path = typer.Option(None, "--params", "-p", help="YAML file changing detector thresholds for this run (see 'filon params')."),
    full: bool = typer.Option(False, "--full", help="Run every detector even when its inputs have not changed since the last run into OUT."),
) -> None:
    """Run every registered detector; write OUT/alerts.csv (.parquet, .json) and OUT/report.html."""
    codes = [c.strip() for c in detectors.split(",") if c.strip()] or None
    with console.status("analysing…") as status:
        result = run_analysis(source, out, detectors=codes, engine=engine, params=params, full=full, progress=lambda m: status.update(escape(m)))
    show_result(result)
    if result.failures:
        raise DetectorError("; ".join(f"detector {c} failed: {m}" for c, m in result.failures.items())
                            + ". The other detectors' alerts were written. Run with --debug and report this.")


def show_result(result: AnalysisResult) -> None:
    table = Table(title="Alerts by detector")
    table.add_column("typology")
    table.add_column("version")
    table.add_column("alerts", justify="right")
    table.add_column("run")
    for d in result.detectors:
        table.add_row(d["code"], d["version"], "[red]failed[/]" if d.get("failed") else f"{d['alerts']:,}",
                      "reused (inputs unchanged)" if d["code"] in result.reused else
                      "ran on the new rows' subjects" if d["code"] in result.scoped else "ran")
    console.print(table)
    if result.reused:
        console.print(f"{len(result.reused)} of {len(result.detectors)} detector(s) reused the last run's alerts: "
                      "nothing they read had changed (--full runs them all).")
    for a in result.alerts[:5]:
        console.print(f"  [bold]{a.score:.2f}[/] {a.typology} {escape(a.subject_id)} ({a.country or '-'}, {a.period or '-'}): "
                      f"{escape(a.explanation)}")
    console.print(f"{len(result.alerts):,} alert(s). Report: [bold]{escape(str((result.out / 'report.html').resolve()))}[/]")


def params(
    detector: str = typer.Argument("", help="Only this detector's section (typology code)."),
) -> None:
    """Print every detector threshold with the reasoning for its default (copy what you change
    into a small YAML file and pass it to 'filon analyze --params')."""
    from filon.detect.parameters import defaults_text, documented
    from filon.detect.registry import all_detectors

    if not detector:
        typer.echo(defaults_text())
        return
    section = all_detectors()[detector].params if detector in all_detectors() else detector
    table = documented().get(section)
    if table is None:
        raise UsageError(f"no detector {detector!r}. Known: {', '.join(all_detectors())}")
    out = Table(title=f"parameters of {section}")
    out.add_column("parameter")
    out.add_column("default")
    out.add_column("why")
    for name, entry in table.items():
        out.add_row(name, escape(str(entry["value"])), escape(entry["why"]))
    console.print(out)
