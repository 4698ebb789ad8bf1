"""`filon batches`: list and remove what was loaded into a workspace."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from filon.cli.console import console
from filon.store.remove import remove_batch
from filon.store.workspace import Workspace

app = typer.Typer(help="List or remove loaded batches (one batch = one file loaded into one table).",
                  no_args_is_help=True)


@app.command("list")
def list_batches(workspace: Path = typer.Argument(..., help="Workspace folder.")) -> None:
    """Every batch with its table, rows, source file and time."""
    ws = Workspace(workspace)
    table = Table(title=f"Batches in {escape(str(workspace))}")
    table.add_column("batch", no_wrap=True)
    table.add_column("table", no_wrap=True)
    for col in ("rows", "source file", "loaded at", "adapter"):
        table.add_column(col, overflow="fold")
    for b in ws.batches:
        table.add_row(b.batch_id, b.table, f"{b.rows:,}", escape(b.origin or b.source_file), b.ingested_at, b.adapter or "")
    console.print(table)


@app.command("remove")
def remove(
    workspace: Path = typer.Argument(..., help="Workspace folder."),
    batch_id: str = typer.Argument(..., help="Batch id (or its first 6+ characters) from 'filon batches list'."),
    force: bool = typer.Option(False, "--force", help="Remove even if rows of other batches refer to it."),
) -> None:
    """Remove one batch; refuses if other loaded rows still refer to its rows, unless --force."""
    batch = remove_batch(Workspace(workspace), batch_id, force=force)
    console.print(f"removed batch {batch.batch_id} ({batch.table}, {batch.rows:,} rows from {escape(batch.source_file)})")
