"""`filon ingest` and `filon adapters`: load packages, directly or from national shapes."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from filon.cli.console import console, show_report
from filon.ingest.load import IngestRejected, ingest_package, ingest_with_adapter

adapters_app = typer.Typer(help="Adapters that read national and international shapes into the standard.",
                           no_args_is_help=True)


def ingest(
    source: Path = typer.Argument(..., help="Package folder in the standard, or a file/folder for --adapter."),
    workspace: Path = typer.Option(..., "--workspace", "-w", help="Workspace folder (created if missing)."),
    adapter: str = typer.Option("", "--adapter", "-a", help="Read SOURCE with this adapter (see 'filon adapters list')."),
    tables: str = typer.Option("", "--tables", "-t", help="Only these tables, comma-separated."),
) -> None:
    """Validate a package and load it into a workspace, all or nothing.

    Files already loaded (same content) are skipped, so running it twice changes nothing.
    If any file is invalid, nothing is loaded and the problems are listed.
    """
    wanted = [t.strip() for t in tables.split(",") if t.strip()] or None
    with console.status("ingesting…") as status:
        progress = lambda m: status.update(escape(m))  # noqa: E731
        try:
            if adapter:
                result, warnings = ingest_with_adapter(source, workspace, adapter, tables=wanted, progress=progress)
                for warning in warnings:
                    console.print(f"[yellow]warning[/] ({escape(adapter)}): {escape(warning)}")
            else:
                result = ingest_package(source, workspace, tables=wanted, progress=progress)
        except IngestRejected as err:
            status.stop()
            show_report(err.report)
            raise
    if result.report.warnings:
        show_report(result.report)
    for b in result.loaded:
        console.print(f"[green]loaded[/] {b.table}: {b.rows:,} rows from {escape(b.origin or b.source_file)} (batch {b.batch_id})")
    for b in result.skipped:
        console.print(f"[dim]already loaded[/] {b.table} from {escape(b.origin or b.source_file)} (batch {b.batch_id})")
    console.print(f"Workspace: {escape(str(workspace))}")


@adapters_app.command("list")
def list_adapters() -> None:
    """Show every adapter with the tables it produces."""
    from filon.ingest.adapters import list_adapters as _list

    table = Table(title="Adapters (use with: filon ingest SOURCE --adapter NAME --workspace WS)")
    for col in ("name", "reads", "tables"):
        table.add_column(col, overflow="fold")
    for a in _list():
        table.add_row(a.name, a.title, ", ".join(a.tables))
    console.print(table)
