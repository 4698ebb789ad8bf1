"""The analysis report: one self-contained HTML page an analyst can open offline or print.

    from filon.report import write_report
    write_report(Path("out/report.html"), alerts, context)

`alerts` are dicts with the alert columns of the data standard (evidence already
parsed from JSON); `context` describes the run (title, generated_at, source,
standard_version, filon_version, row_counts, detectors, files and, for the demo,
ground_truth). See `html.build_view` for how each key is used.

The page has no external resources (no CDN, fonts or scripts): CSS is inline,
charts are SVG drawn in Python, and a few lines of vanilla JavaScript sort and
filter the alert table. Every string from the data is HTML-escaped.
"""

from __future__ import annotations

import os
import pathlib
import tempfile

from .html import MAX_CARDS, MAX_TABLE_ROWS, build_view, render_html
from .typologies import TYPOLOGY_TITLES, typology_name, typology_title

__all__ = [
    "MAX_CARDS",
    "MAX_TABLE_ROWS",
    "TYPOLOGY_TITLES",
    "build_view",
    "render_html",
    "typology_name",
    "typology_title",
    "write_report",
]


def write_report(out_path: pathlib.Path, alerts: list[dict], context: dict) -> pathlib.Path:
    """Write the HTML report to `out_path` and return that path.

    The file is written atomically (a temporary file in the same folder, then
    renamed), so an interrupted run never leaves half a report behind. Missing
    parent folders are created.
    """
    out_path = pathlib.Path(out_path)
    page = render_html(alerts, context)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp", dir=out_path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(page)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out_path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return out_path
