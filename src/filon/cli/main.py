"""Entry point: the Typer app, and the one place where errors become messages and exit codes."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from filon import __version__
from filon.cli import analyze, batches, demo, graph, ingest, interchange, ledger, link, scan, standard, validate
from filon.cli import risk as risk_cli
from filon.cli import serve
from filon.cli.console import err_console
from filon.errors import FilonError

HELP = """filon compares mining, customs, trade, ownership and satellite data across the
Andean-Amazon region to surface gold laundering that no single agency can see alone.

\b
Start with:
  filon demo                         build a demo region, analyse it, write a report
\b
Your own data (a folder of CSV/Parquet files in the regional standard):
  filon validate DATA                say exactly what is wrong: file, row, column, fix
  filon ingest DATA --workspace WS   load it into a local warehouse
  filon analyze WS --out RESULTS     run every detector; write alerts and report.html
  filon standard show TABLE          the columns a table needs
  filon params [DETECTOR]            every threshold and why; override with analyze --params
  filon graph ACTOR --workspace WS   who owns and controls an actor, drawn with red flags
  filon scan BEFORE.tif AFTER.tif    mining scars from a before/after satellite image pair
  filon link WS --out OUT            resolve actors and names across registries into entities
  filon ledger build|verify|export   tamper-evident chain of custody for lots, samples and assays
  filon score-declaration FILE -w WS red/amber/green lanes for new export declarations
  filon watch WS --out OUT           re-analyse; digest of what changed (optional webhook)
  filon serve WS [--demo]            the analyst workspace in a browser: alerts, map, triage
"""

app = typer.Typer(help=HELP, no_args_is_help=True, add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False,
                  context_settings={"help_option_names": ["-h", "--help"]})
app.command("validate")(validate.validate)
app.command("ingest")(ingest.ingest)
app.command("analyze")(analyze.analyze)
app.command("params")(analyze.params)
app.command("export-ftm")(interchange.export_ftm)
app.command("graph")(graph.graph)
app.command("scan")(scan.scan)
app.command("link")(link.link)
app.command("score-declaration")(risk_cli.score_declaration)
app.command("watch")(risk_cli.watch)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.add_typer(batches.app, name="batches")
app.add_typer(standard.app, name="standard")
app.add_typer(ledger.app, name="ledger")
app.add_typer(ingest.adapters_app, name="adapters")

_state = {"debug": False}


@app.callback()
def _options(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks (for bug reports)."),
    version: bool = typer.Option(False, "--version", help="Print filon's version and exit."),
) -> None:
    _state["debug"] = debug
    if version:
        typer.echo(f"filon {__version__}")
        raise typer.Exit(0)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; FilonError becomes a clear message and exit code, never a traceback."""
    _state["debug"] = "--debug" in (argv if argv is not None else sys.argv)
    try:
        code = app(args=argv, standalone_mode=False)
    except FilonError as err:
        if _state["debug"]:
            raise
        err_console.print(f"[red]Error:[/] {escape(str(err))}", markup=True, highlight=False)
        sys.exit(err.exit_code)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("Interrupted; nothing was changed.")
        sys.exit(130)
    except Exception as err:  # usage errors from the argument parser, and true bugs
        if hasattr(err, "show") and hasattr(err, "exit_code"):  # click's UsageError (vendored by typer)
            err.show()
            sys.exit(2)
        if _state["debug"]:
            raise
        err_console.print(f"[red]Unexpected error:[/] {type(err).__name__}: {escape(str(err))}\n"
                          "This is a bug in filon. Run the same command with --debug and report the output.",
                          markup=True, highlight=False)
        sys.exit(3)
    sys.exit(code if isinstance(code, int) else 0)
