"""Typology sections of the report: figures and charts beyond the alert list.

Each module listed in `MODULES` (under `filon.report.sections`) defines

    def section(ctx: DetectContext, alerts: list[dict]) -> Section | None

which queries the analysed tables (engine-neutral SQL through `ctx.query`) and the run's alerts
(dicts with evidence parsed) and returns a `Section`, or None when it has nothing to show (its
tables are empty). `html` must be built with `markupsafe.escape` on every data string and contain
only inline markup and SVG: the page has no external resources. A section that fails is replaced
by a short notice; it never costs the analyst the rest of the report.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup

from filon.detect.context import DetectContext

log = logging.getLogger(__name__)

#: Section modules, in the order the report shows them.
MODULES: tuple[str, ...] = ("supply", "mirror", "valuation", "ownership", "geo", "inputs", "tracks", "risk")


@dataclass(frozen=True)
class Section:
    key: str        # HTML id (letters, digits, dashes)
    title: str      # heading, plain text
    intro: str      # one or two plain sentences: what the analyst sees and how to read it
    html: Markup    # the body: tables and inline SVG, everything escaped


SectionFn = Callable[[DetectContext, list[dict]], "Section | None"]


def build_sections(ctx: DetectContext, alerts: list[dict]) -> list[Section]:
    """Every section with something to show, in `MODULES` order."""
    out: list[Section] = []
    for name in MODULES:
        module = importlib.import_module(f"filon.report.sections.{name}")
        try:
            found = module.section(ctx, alerts)
        except Exception as err:  # a broken chart must not cost the analyst the report
            log.exception("report section %s failed", name)
            found = Section(key=f"section-{name}", title=f"{name} (not drawn)",
                            intro=f"This section could not be drawn: {type(err).__name__}: {err}. "
                                  "The alerts above are complete.", html=Markup(""))
        if found is not None:
            out.append(found)
    return out
