"""`filon validate`: check a package against the standard without changing anything."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from filon.cli.console import console, show_report
from filon.validate import validate_package


def validate(
    folder: Path = typer.Argument(..., help="Folder of table files (actors.csv, trades.parquet, ...), or one file."),
    tables: str = typer.Option("", "--tables", "-t", help="Only these tables, comma-separated (e.g. actors,trades)."),
    fmt: str = typer.Option("table", "--format", "-f", help="'table' for people, 'json' for programs."),
) -> None:
    """Check files against the regional standard: exit 0 valid, 1 invalid, 2 usage error.

    Every problem names the file, row, column, the value and how to fix it. Unknown extra
    columns are kept and reported as warnings.
    """
    if fmt not in ("table", "json"):
        raise typer.BadParameter("use --format table or --format json")
    wanted = [t.strip() for t in tables.split(",") if t.strip()] or None
    if fmt == "json":
        staged = validate_package(folder, tables=wanted)
    else:
        with console.status("validating…") as status:
            staged = validate_package(folder, tables=wanted, progress=lambda m: status.update(escape(m)))
    staged.close()
    if fmt == "json":
        typer.echo(staged.report.to_json())
    else:
        show_report(staged.report)
    raise typer.Exit(0 if staged.report.valid else 1)
