"""Typology sections of the report: figures and charts beyond the alert list.

Each module listed in `MODULES` (under `filon.report.sections`) defines

    TYPOLOGIES = ("undervaluation", "overvaluation")   # the alerts it is given; None for all
    def section(ctx: DetectContext, alerts: list[dict]) -> Section | None

which queries the analysed tables (engine-neutral SQL through `ctx.query`) and the run's alerts
(dicts with evidence parsed) and returns a `Section`, or None when it has nothing to show (its
tables are empty). `html` must be built with `markupsafe.escape` on every data string and contain
only inline markup and SVG: the page has no external resources. A section that fails is replaced
by a short notice; it never costs the analyst the rest of the report.

In an incremental analysis a section whose alerts and tables are unchanged is taken from the last
run (`SectionCache`). One that must be drawn again keeps its costly parts for the next run where
they depend on less than the whole section: `ctx.memo(..., keep=NAME)` for a value of tables a
batch rarely touches (the ownership drawings, the production sums), `_kept.kept_rows` for the rows
of a table that grows by batches (every valued declaration of the unit-value chart).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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


def build_sections(ctx: DetectContext, alerts: list[dict], cache: SectionCache | None = None) -> list[Section]:
    """Every section with something to show, in `MODULES` order.

    With a `cache` (an incremental analysis), a section whose alerts and tables are those of the
    last run is taken from it rather than drawn again."""
    out: list[Section] = []
    for name in MODULES:
        module = importlib.import_module(f"filon.report.sections.{name}")
        typologies = getattr(module, "TYPOLOGIES", None)
        mine = alerts if typologies is None else [a for a in alerts if a.get("typology") in typologies]
        key = None if cache is None or typologies is None else _alerts_key(mine)
        found = cache.get(name, key) if cache else None
        if found is None:
            found = _draw(name, module, ctx, mine, cache, key)
        if found is not None:
            out.append(found)
    return out


def _alerts_key(alerts: list[dict]) -> str:
    from filon.detect.incremental import params_key

    return params_key({"alerts": alerts})


def _draw(name: str, module: Any, ctx: DetectContext, alerts: list[dict], cache: SectionCache | None,
          key: str | None) -> Section | None:
    from filon.detect.incremental import tables_in

    reads, globals_ = ctx.reads, ctx.globals
    ctx.reads, ctx.globals = set(), {}
    try:
        found = module.section(ctx, alerts)
        if cache is not None:  # a figure over the whole data counts as reading the tables behind it
            cache.put(name, found, ctx.reads.union(*(tables_in(sql) for sql in ctx.globals)), key)
    except Exception as err:  # a broken chart must not cost the analyst the report
        log.exception("report section %s failed", name)
        found = Section(key=f"section-{name}", title=f"{name} (not drawn)",
                        intro=f"This section could not be drawn: {type(err).__name__}: {err}. "
                              "The alerts above are complete.", html=Markup(""))
    finally:
        ctx.reads, ctx.globals = reads, globals_
    return found


@dataclass
class SectionCache:
    """Sections drawn by the last run (`previous`), valid while their alerts (`alerts_key`, or the
    key of the alerts of the section's typologies) and the tables each section read (their
    fingerprints, `prints`) are unchanged; `entries` collects this run's for the next one."""

    alerts_key: str
    prints: dict[str, str]
    previous: dict[str, dict] = field(default_factory=dict)
    entries: dict[str, dict] = field(default_factory=dict)

    def get(self, name: str, key: str | None = None) -> Section | None:
        entry = self.previous.get(name)
        if not entry or entry.get("alerts") != (key or self.alerts_key) or entry.get("section") is None:
            return None
        if any(self.prints.get(t, "") != fp for t, fp in entry.get("inputs", {}).items()):
            return None
        self.entries[name] = entry
        s = entry["section"]
        return Section(key=s["key"], title=s["title"], intro=s["intro"], html=Markup(s["html"]))

    def put(self, name: str, section: Section | None, reads: set[str], key: str | None = None) -> None:
        if section is None:
            return
        self.entries[name] = {"alerts": key or self.alerts_key,
                              "inputs": {t: self.prints.get(t, "") for t in sorted(reads)},
                              "section": {"key": section.key, "title": section.title, "intro": section.intro,
                                          "html": str(section.html)}}
