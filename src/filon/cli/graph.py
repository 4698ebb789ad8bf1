"""`filon graph ACTOR_ID`: draw who owns and controls an actor, and what it owns, as SVG, GraphML and JSON."""

from __future__ import annotations

import re
import tempfile
from datetime import date
from pathlib import Path

import typer
from rich.markup import escape

from filon.cli.console import console
from filon.detect.context import DetectContext
from filon.detect.runner import open_source
from filon.engine.duckdb import DuckDBEngine
from filon.errors import UsageError
from filon.graph.ownership import load_graph
from filon.graph.render import to_graphml, to_json, to_svg
from filon.graph.views import actor_neighbourhood


def _as_of(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of {text!r} is not a date; write YYYY-MM-DD, e.g. --as-of 2024-06-30") from None


def graph(
    actor_id: str = typer.Argument(..., help="actor_id of the actor to centre the drawing on."),
    workspace: Path = typer.Option(..., "--workspace", "-w", help="Workspace (from 'filon ingest') or a package folder."),
    out: Path = typer.Option(Path("filon-graph"), "--out", "-o", help="Folder for ACTOR.svg, ACTOR.graphml and ACTOR.json."),
    hops: int = typer.Option(3, "--hops", "-k", min=1, max=6, help="Ownership or control links to follow from the actor."),
    as_of: str = typer.Option("", "--as-of", help="Links valid on this date (YYYY-MM-DD); default: the end of the data."),
) -> None:
    """Draw the ownership and control neighbourhood of ACTOR_ID (owners above, holdings below,
    shares on the links, red flags on the nodes) and write it as SVG, GraphML and JSON."""
    when = _as_of(as_of)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".filon-", dir=out) as tmp:
        ws = open_source(workspace, lambda m: console.print(escape(m)), Path(tmp))
        engine = DuckDBEngine(ws.connect())
        try:
            ctx = DetectContext(engine)
            known = ctx.query("SELECT count(*) AS n FROM actors WHERE actor_id = ?", [actor_id])[0]["n"]
            g = load_graph(ctx, as_of=when)
            if not known and actor_id not in g.nodes:
                raise UsageError(f"{actor_id!r} is not an actor_id of {workspace} (actors table) nor an owner in its "
                                 "ownership table. Check the id; owners known only by name have ids like "
                                 "'name:ATLANTIC-NOMINEE-SERVICES-LTD'.")
            hood = actor_neighbourhood(ctx, g, actor_id, hops)
        finally:
            engine.close()
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", actor_id)
    files = {"svg": to_svg(g, hood), "graphml": to_graphml(g, hood), "json": to_json(g, hood)}
    for ext, text in files.items():
        (out / f"{stem}.{ext}").write_text(str(text), encoding="utf-8")
    console.print(f"{len(hood.nodes)} node(s), {len(hood.links)} ownership or control link(s), {len(hood.trades)} trading "
                  f"pair(s) as of {g.as_of or 'any date'}. Wrote [bold]{escape(str(out / stem))}[/].svg, .graphml, .json")
