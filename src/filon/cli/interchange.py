"""`filon export-ftm`: the region as FollowTheMoney entities, for Aleph, yente and other FtM tools."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer
from rich.markup import escape

from filon.cli.console import console
from filon.detect.runner import open_source
from filon.engine.duckdb import DuckDBEngine
from filon.interchange.ftm_export import export_entities


def export_ftm(
    source: Path = typer.Argument(..., help="Workspace (made by 'filon ingest') or package folder."),
    out: Path = typer.Option(..., "--out", "-o", help="FtM JSON lines file to write (one entity per line)."),
    dataset: str = typer.Option("filon", "--dataset", help="Prefix of every entity id (letters, digits, - and _)."),
) -> None:
    """Write actors, ownership and control links, mining rights and export declarations as
    FollowTheMoney entities (Company, Person, Ownership, Directorship, License, EconomicActivity...).

    Every entity passes FtM's own validation. Ids are stable, so exporting again updates entities
    downstream instead of duplicating them.
    """
    with tempfile.TemporaryDirectory(prefix="filon-ftm-") as tmp, console.status("exporting…") as status:
        workspace = open_source(source, lambda m: status.update(escape(m)), Path(tmp))
        engine = DuckDBEngine(workspace.connect())
        summary = export_entities(lambda sql: engine.query(sql), out, dataset)
    for schema, n in summary["entities"].items():
        console.print(f"{schema}: {n:,}")
    for where, n in summary["dropped_values"].items():
        console.print(f"[yellow]warning[/]: {n:,} value(s) of {escape(where)} are not valid for FtM and were left out")
    console.print(f"Written: {escape(str(out))}")
