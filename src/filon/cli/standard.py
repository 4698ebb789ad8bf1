"""`filon standard`: show the standard and publish it for other tools."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from filon.cli.console import console
from filon.errors import UsageError
from filon.standard import load_standard

app = typer.Typer(help="The regional data standard: show tables, export a Frictionless Data Package.",
                  no_args_is_help=True)


@app.command("show")
def show(table: str = typer.Argument("", help="A table name; all tables when omitted.")) -> None:
    """List tables, or the columns of one table with types, units and allowed values."""
    std = load_standard()
    if not table:
        t = Table(title=f"Regional minerals data standard {std.version}")
        t.add_column("table")
        t.add_column("one row is")
        t.add_column("required columns")
        for tb in std:
            t.add_row(tb.name, tb.description, ", ".join(c.name for c in tb.required))
        console.print(t)
        return
    if table not in std:
        raise UsageError(f"no table {table!r}; tables: {', '.join(std.names)}")
    tb = std[table]
    t = Table(title=f"{tb.name}: {escape(tb.description)}")
    for col in ("column", "type", "required", "unit", "allowed values / reference", "meaning"):
        t.add_column(col, overflow="fold")
    for c in tb.columns:
        allowed = ", ".join(c.values) or (".".join(c.references) if c.references else "")
        t.add_row(c.name, c.type, "yes" if c.required else "", c.unit or "", allowed, escape(c.description))
    console.print(t)


@app.command("export")
def export(
    out: Path = typer.Option(Path("."), "--out", "-o", help="Folder to write datapackage.json into."),
    package: Path = typer.Option(None, "--package", "-p", help="Describe only the tables present in this package folder, and write there by default."),
) -> None:
    """Write the standard as a Frictionless Data Package descriptor (datapackage.json).

    With --package, the descriptor points at that folder's files so that any Frictionless tool
    can validate them:  frictionless validate DATA/datapackage.json
    """
    from filon.standard.frictionless import export_datapackage

    target = package if package is not None and out == Path(".") else out
    path = export_datapackage(load_standard(), target, package)
    console.print(f"wrote {escape(str(path))}")
