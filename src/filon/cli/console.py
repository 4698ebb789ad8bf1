"""Shared Rich console and the rendering of validation reports for people."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from filon.validate.problems import ValidationReport

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def show_report(report: ValidationReport, *, limit: int = 200) -> None:
    """A table of problems, errors first, then a one-line verdict."""
    problems = sorted(report.problems, key=lambda p: (p.severity != "error", p.file, p.row or 0))
    if problems and console.width < 110:  # a seven-column table is unreadable in a narrow terminal
        for p in problems[:limit]:
            mark = "[red]error[/]" if p.severity == "error" else "[yellow]warning[/]"
            where = escape(_short_path(p.file)) + (f", row {p.row}" if p.row is not None else "") + (
                f", column '{escape(p.column)}'" if p.column else "")
            value = "" if p.value is None else f" (value: {escape(repr(p.value if len(p.value) < 60 else p.value[:59] + '…'))})"
            more = f" [dim](+{p.count - 1} more rows)[/]" if p.count > 1 else ""
            console.print(f"{mark} {where}: {escape(p.message)}{value}{more}\n    [dim]fix:[/] {escape(p.fix)}")
    elif problems:
        table = Table(title=f"Problems in {escape(report.package)}", show_lines=False, expand=False)
        for col in ("", "file", "row", "column", "value", "problem", "how to fix"):
            table.add_column(col, overflow="fold")
        for p in problems[:limit]:
            mark = "[red]error[/]" if p.severity == "error" else "[yellow]warning[/]"
            more = f" [dim](+{p.count - 1} more rows)[/]" if p.count > 1 else ""
            value = "" if p.value is None else escape(p.value if len(p.value) < 40 else p.value[:39] + "…")
            table.add_row(mark, escape(_short_path(p.file)), "" if p.row is None else str(p.row),
                          escape(p.column or ""), value, escape(p.message) + more, escape(p.fix))
        console.print(table)
        if len(problems) > limit:
            console.print(f"[dim]{len(problems) - limit} more problems not shown; use --format json for all.[/]")
    rows = ", ".join(f"{t} {n:,}" for t, n in report.rows_read.items())
    if report.valid:
        console.print(f"[green]Valid[/]: {rows or 'no rows'}"
                      + (f" ({len(report.warnings)} warning(s))" if report.warnings else ""))
    else:
        console.print(f"[red]Invalid[/]: {report.error_count():,} error(s) in {len({p.file for p in report.errors})} "
                      f"file(s). Rows read: {rows or 'none'}")


def _short_path(path: str) -> str:
    parts = path.replace("\\", "/").split("/")
    return "/".join(parts[-2:]) if len(parts) > 2 else path
