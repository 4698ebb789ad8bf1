"""`filon demo`: generate the demo region, ingest it, analyse it and point at the report."""

from __future__ import annotations

import csv
import shutil
import time
from pathlib import Path

import typer
from rich.markup import escape

from filon.cli.analyze import show_result
from filon.cli.console import console
from filon.detect.runner import run_analysis
from filon.errors import UsageError
from filon.standard import load_standard
from filon.ingest.load import ingest_package

MARKER = ".filon-demo"


def demo(
    out: Path = typer.Option(Path("filon-demo"), "--out", "-o", help="Folder for the demo package, workspace and results."),
    seed: int = typer.Option(7, help="Random seed: the same seed gives the same region."),
    scale: float = typer.Option(1.0, help="Volume of rows relative to the default region (0.1 for a quick look)."),
) -> None:
    """Build a realistic four-country demo region with planted cases, analyse it, write the report.

    Everything runs offline. The region is synthetic: its planted cases (and the distractors
    that must stay silent) are listed in OUT/ground_truth.csv and scored in the report.
    """
    from filon.demo import generate_region

    if scale <= 0:
        raise UsageError("--scale must be positive, e.g. 1.0 or 0.1")
    _prepare(out)
    started = time.perf_counter()
    with console.status("generating the demo region…") as status:
        summary = generate_region(out / "package", seed=seed, scale=scale)
        shutil.move(str(out / "package" / "ground_truth.csv"), out / "ground_truth.csv")
        status.update("validating and ingesting…")
        ingest_package(out / "package", out / "workspace", progress=lambda m: status.update(escape(m)))
        with (out / "ground_truth.csv").open(encoding="utf-8") as fh:
            truth = list(csv.DictReader(fh))
        result = run_analysis(out / "workspace", out / "results", ground_truth=truth,
                              progress=lambda m: status.update(escape(m)))
    rows = {t: n for t, n in summary.counts.items() if t in load_standard()}
    console.print(f"Demo region: {sum(rows.values()):,} rows in {len(rows)} tables "
                  f"({escape(str(out / 'package'))}), built and analysed in {time.perf_counter() - started:.1f} s")
    show_result(result)
    console.print(f"Open the report in a browser: [bold]{escape(str((out / 'results' / 'report.html').resolve()))}[/]")


def _prepare(out: Path) -> None:
    """Start from an empty folder; only a previous demo's folder may be replaced."""
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists():
            raise UsageError(f"{out} exists and is not a previous demo; choose another folder with --out")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("made by filon demo; safe to delete\n", encoding="utf-8")
