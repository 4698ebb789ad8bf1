"""`filon score-declaration` and `filon watch`: risk lanes for new declarations, and early warning."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import typer
from rich.markup import escape

from filon.cli.console import console


def score_declaration(
    file: Path = typer.Argument(..., help="CSV (or Parquet) of export declarations in the standard's exports shape."),
    workspace: Path = typer.Option(..., "--workspace", "-w", help="Workspace whose actors, prices and assays judge them."),
    out: Path = typer.Option(Path("filon-lanes"), "--out", "-o", help="Folder for lanes.csv."),
) -> None:
    """Give each declaration a lane (red: inspect, amber: check documents, green: release) with its
    score and reasons; writes OUT/lanes.csv. The first call on a workspace prepares its risk model
    (runs the detectors) and caches it in WS/derived/risk/; later calls take milliseconds."""
    from filon.risk.lanes import read_declarations, score_declarations, write_lanes
    from filon.risk.lanes_model import load_or_build
    from filon.store.workspace import Workspace

    ws = Workspace(workspace)
    with console.status("preparing…") as status:
        model = load_or_build(ws, progress=lambda m: status.update(escape(m)))
        started = time.perf_counter()
        cols = read_declarations(file)
        rows = score_declarations(cols, model)
        path = write_lanes(Path(out) / "lanes.csv", rows)
        seconds = time.perf_counter() - started
    lanes = Counter(r["lane"] for r in rows)
    console.print(f"{len(rows):,} declaration(s) in {seconds:.2f} s: [red]{lanes['red']:,} red[/], "
                  f"[yellow]{lanes['amber']:,} amber[/], [green]{lanes['green']:,} green[/] "
                  f"(red above {model.red_cutoff:.3f}, amber above {model.amber_cutoff:.3f}, "
                  f"calibrated on the workspace's {model.calibrated_on:,} declarations).")
    console.print(f"Lanes: [bold]{escape(str(path.resolve()))}[/]")


def watch(
    workspace: Path = typer.Argument(..., help="Workspace to analyse (from 'filon ingest')."),
    out: Path = typer.Option(Path("filon-watch"), "--out", "-o", help="Results folder, the same every run."),
    webhook: str = typer.Option("", "--webhook", help="URL to POST the digest to as JSON (only when it is not empty)."),
    engine: str = typer.Option("duckdb", "--engine", "-e", help="duckdb (default) or spark."),
) -> None:
    """Analyse the workspace, then report only what changed since the last run into OUT: new, changed
    and resolved alerts and risk moves (OUT/digest.html, OUT/digest.json)."""
    from filon.risk.watch import run_watch

    with console.status("analysing…") as status:
        digest = run_watch(workspace, out, webhook or None, engine, progress=lambda m: status.update(escape(m)))
    if digest.empty:
        console.print("Nothing new since the last run.")
    else:
        counts = digest.to_dict()["counts"]
        console.print(", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items())
                      + (" (first run: every alert is new)" if digest.first_run else ""))
    console.print(f"Digest: [bold]{escape(str((Path(out) / 'digest.html').resolve()))}[/]"
                  + (f"; sent to {escape(webhook)}" if webhook and not digest.empty else ""))
