"""Build the report's view model from alerts and context, and render it to HTML.

All figures are computed here in Python; the Jinja2 template only lays them out.
The template environment has autoescape ON: every string that comes from the
analysed data (names, ids, evidence, explanations) is escaped when rendered.
The only `Markup` values handed to the template are the SVG charts, which
`charts.py` builds from escaped text, and the static script `templates/table.js`.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import math
from functools import lru_cache
from importlib import resources
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any, Iterable
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from .charts import BAR_FILL_ALT, Bar, bar_chart, heat_colour
from .format import (
    as_float,
    clip,
    flatten_evidence,
    fmt_number,
    fmt_score,
    fmt_usd,
    fmt_usd_short,
    score_band,
)
from .typologies import SUBJECT_TYPES, TYPOLOGY_TITLES, typology_name, typology_title

__all__ = ["MAX_CARDS", "MAX_TABLE_ROWS", "build_view", "render_html"]

#: Alerts shown as detailed cards.
MAX_CARDS = 50
#: Alerts shown in the full (sortable) table; the rest are in alerts.csv.
MAX_TABLE_ROWS = 2000
#: Countries shown as columns of the country x typology table (the rest are summed).
MAX_HEAT_COUNTRIES = 12
#: Bars in one chart.
MAX_BARS = 30


# --------------------------------------------------------------------------- helpers

def _text(value: Any, missing: str = "") -> str:
    """A display string for any scalar; NaN and None become `missing`."""
    if value is None:
        return missing
    if isinstance(value, float) and not math.isfinite(value):
        return missing
    return str(value)


def _country_name(code: str) -> str:
    try:
        from filon.standard.countries import get
    except Exception:  # pragma: no cover - the report must not fail on this
        return ""
    c = get(code) if code else None
    return c.name if c else ""


def _country_label(code: str) -> str:
    name = _country_name(code)
    return f"{name} ({code})" if name else (code or "(no country)")


def _when(iso: Any) -> str:
    """`2025-11-25 19:26 UTC` from an ISO timestamp; the input as given if unparseable."""
    s = _text(iso)
    if not s:
        return "unknown date"
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        return s
    if dt.tzinfo is None:
        return dt.strftime("%Y-%m-%d %H:%M")
    off = dt.utcoffset()
    if off is not None and off.total_seconds() == 0:
        return dt.strftime("%Y-%m-%d %H:%M UTC")
    return dt.strftime("%Y-%m-%d %H:%M (UTC%z)")


def _href(path: Any) -> str | None:
    """A relative link to one of the other output files, or None if it is not a plain path.

    Every character that could start a scheme (`javascript:`) or break out of
    the attribute is percent-encoded, so the result is always a relative path.
    """
    s = _text(path).strip().replace("\\", "/")
    if not s:
        return None
    return quote(s, safe="/._-~")


def _sort_key(a: dict) -> tuple[float, float, str]:
    """Descending score, then descending value at risk (missing last), then id."""
    s = as_float(a.get("score"))
    v = as_float(a.get("value_at_risk_usd"))
    return (-(s if s is not None else -1.0), -(v if v is not None else -1.0), _text(a.get("alert_id")))


def _row(rank: int, a: dict) -> dict:
    """The few display fields of one alert (table row)."""
    score = as_float(a.get("score"))
    var = as_float(a.get("value_at_risk_usd"))
    typ = _text(a.get("typology"))
    st = _text(a.get("subject_type"))
    country = _text(a.get("country"))
    return {
        "rank": rank,
        "alert_id": clip(_text(a.get("alert_id")), 120),
        "alert_id_short": clip(_text(a.get("alert_id")), 28),
        "typology": typ,
        "typology_name": typology_name(typ),
        "typology_title": typology_title(typ),
        "subject_type": st,
        "subject_label": SUBJECT_TYPES.get(st, st or "subject"),
        "subject_id": clip(_text(a.get("subject_id")), 200),
        "country": clip(country, 40),
        "country_name": _country_name(country),
        "period": clip(_text(a.get("period")), 40),
        "score": score,
        "score_text": fmt_score(score),
        "score_pct": round(100 * min(max(score or 0.0, 0.0), 1.0), 1),
        "band": score_band(score),
        "var": var,
        "var_text": fmt_usd(var),
        "explanation": clip(_text(a.get("explanation")), 300),
    }


def _card(rank: int, a: dict) -> dict:
    """A table row plus the full explanation and the readable evidence."""
    d = _row(rank, a)
    d["explanation"] = clip(_text(a.get("explanation")), 2000)
    d["evidence"] = flatten_evidence(a.get("evidence"))
    return d


# --------------------------------------------------------------------------- view model

def _ground_truth(cases: Iterable[dict]) -> dict:
    per: dict[str, Counter] = defaultdict(Counter)
    odd: list[dict] = []
    for c in cases:
        typ = _text(c.get("typology"))
        expected = _text(c.get("expected")).lower()
        found = bool(c.get("found"))
        if expected == "fire":
            outcome = "hit" if found else "miss"
        else:
            outcome = "false_alarm" if found else "quiet"
        per[typ][outcome] += 1
        if outcome in ("miss", "false_alarm"):
            odd.append({
                "typology": typ, "typology_name": typology_name(typ),
                "subject": f"{SUBJECT_TYPES.get(_text(c.get('subject_type')), _text(c.get('subject_type')))} "
                           f"{clip(_text(c.get('subject_id')), 200)}".strip(),
                "outcome": "missed (should have fired)" if outcome == "miss" else "false alarm (should stay silent)",
            })
    rows = []
    total: Counter = Counter()
    for typ in sorted(per, key=lambda t: (t not in TYPOLOGY_TITLES, t)):
        c = per[typ]
        total.update(c)
        rows.append({"typology": typ, "typology_name": typology_name(typ), "typology_title": typology_title(typ),
                     "hit": c["hit"], "miss": c["miss"], "false_alarm": c["false_alarm"], "quiet": c["quiet"],
                     "ok": c["miss"] == 0 and c["false_alarm"] == 0})
    return {"rows": rows, "total": dict(total), "odd": odd[:200], "odd_hidden": max(0, len(odd) - 200)}


def build_view(alerts: list[dict], context: dict) -> dict:
    """Every figure the template needs, computed once."""
    alerts = list(alerts or [])
    ctx = dict(context or {})
    n = len(alerts)

    by_typ: Counter = Counter()
    by_country: Counter = Counter()
    by_pair: Counter = Counter()
    var_by_country: dict[str, float] = defaultdict(float)
    var_n_by_country: Counter = Counter()
    total_var = 0.0
    n_var = 0
    n_high = 0
    for a in alerts:
        typ = _text(a.get("typology"))
        country = _text(a.get("country"))
        by_typ[typ] += 1
        by_country[country] += 1
        by_pair[(typ, country)] += 1
        v = as_float(a.get("value_at_risk_usd"))
        if v is not None:
            total_var += v
            n_var += 1
            var_by_country[country] += v
            var_n_by_country[country] += 1
        s = as_float(a.get("score"))
        if s is not None and s >= 0.8:
            n_high += 1

    # Top alerts without sorting 100k rows when only the first 2,000 are shown.
    top = heapq.nsmallest(MAX_TABLE_ROWS, alerts, key=_sort_key) if n > MAX_TABLE_ROWS else sorted(alerts, key=_sort_key)
    cards = [_card(i + 1, a) for i, a in enumerate(top[:MAX_CARDS])]
    rows = [_row(i + 1, a) for i, a in enumerate(top)]

    detectors = []
    for d in ctx.get("detectors") or []:
        count = int(as_float(d.get("alerts")) or 0)
        code = _text(d.get("code"))
        detectors.append({
            "code": code, "version": _text(d.get("version")),
            "title": _text(d.get("title")) or typology_title(code),
            "description": clip(_text(d.get("description")), 1000), "alerts": count,
        })
    n_detectors = len(detectors)

    # Charts ------------------------------------------------------------------
    typ_order = sorted(by_typ, key=lambda t: (-by_typ[t], t))
    typ_chart = None
    if by_typ:
        bars = [Bar(typology_name(t), by_typ[t], f"{by_typ[t]:,} alert{'s' if by_typ[t] != 1 else ''}",
                    f"{typology_title(t)} ({t}): {by_typ[t]:,} alerts") for t in typ_order[:MAX_BARS]]
        typ_chart = bar_chart(bars, title="Alerts per typology",
                              description="Number of alerts raised by each typology, largest first.",
                              chart_id="chart-typology")
    var_chart = None
    if var_by_country:
        order = sorted(var_by_country, key=lambda c: (-var_by_country[c], c))
        bars = [Bar(_country_label(c), max(var_by_country[c], 0.0), fmt_usd_short(var_by_country[c]),
                    f"{_country_label(c)}: {fmt_usd(var_by_country[c])} over {var_n_by_country[c]:,} alerts")
                for c in order[:MAX_BARS]]
        var_chart = bar_chart(bars, title="Value at risk per country",
                              description="Sum of the estimated value at risk of the alerts addressed to each "
                                          "country, in US dollars, largest first.",
                              colour=BAR_FILL_ALT, chart_id="chart-var")

    # Country x typology heat table ------------------------------------------
    countries_sorted = sorted(by_country, key=lambda c: (-by_country[c], c))
    heat_cols = countries_sorted[:MAX_HEAT_COUNTRIES]
    other_cols = countries_sorted[MAX_HEAT_COUNTRIES:]
    heat_max = max(by_pair.values(), default=0)
    heat_rows = []
    for t in typ_order[:60]:
        cells = []
        for c in heat_cols:
            k = by_pair.get((t, c), 0)
            bg, fg = heat_colour(k, heat_max)
            cells.append({"count": k, "bg": bg, "fg": fg})
        if other_cols:
            k = sum(by_pair.get((t, c), 0) for c in other_cols)
            bg, fg = heat_colour(k, heat_max)
            cells.append({"count": k, "bg": bg, "fg": fg})
        heat_rows.append({"typology": t, "name": typology_name(t), "title": typology_title(t),
                          "cells": cells, "total": by_typ[t]})
    heat_header = [{"code": c or "—", "name": _country_name(c)} for c in heat_cols]
    if other_cols:
        heat_header.append({"code": f"Other ({len(other_cols)})", "name": ", ".join(other_cols[:30])})
    heat_totals = [by_country[c] for c in heat_cols] + ([sum(by_country[c] for c in other_cols)] if other_cols else [])

    # Files, row counts, ground truth ------------------------------------------
    files = [{"name": _text(k), "path": _text(v), "href": _href(v)} for k, v in (ctx.get("files") or {}).items()]
    csv_file = next((f for f in files if f["path"].lower().endswith(".csv") or f["name"].lower().endswith(".csv")), None)
    row_counts = [{"table": _text(k), "rows": int(as_float(v) or 0)} for k, v in (ctx.get("row_counts") or {}).items()]
    gt = ctx.get("ground_truth")

    fired = [t for t in typ_order if t]
    return {
        "title": _text(ctx.get("title")) or "filon analysis report",
        "generated_at": _text(ctx.get("generated_at")),
        "generated_when": _when(ctx.get("generated_at")),
        "source": _text(ctx.get("source")) or "(not recorded)",
        "standard_version": _text(ctx.get("standard_version")) or "?",
        "filon_version": _text(ctx.get("filon_version")) or "?",
        "n_alerts": n,
        "n_alerts_text": fmt_number(n),
        "n_high": n_high,
        "total_var_text": fmt_usd(total_var if n_var else None, missing="not estimated"),
        "total_var_short": fmt_usd_short(total_var) if n_var else "",
        "n_var": n_var,
        "countries": [{"code": c, "label": _country_label(c), "count": by_country[c]} for c in countries_sorted if c],
        "n_countries": len([c for c in by_country if c]),
        "typologies_fired": fired,
        "n_typologies_fired": len(fired),
        "n_detectors": n_detectors,
        "typology_chart": typ_chart,
        "var_chart": var_chart,
        "var_missing": n - n_var,
        "heat_header": heat_header,
        "heat_rows": heat_rows,
        "heat_totals": heat_totals,
        "cards": cards,
        "max_cards": MAX_CARDS,
        "rows": rows,
        "rows_capped": n > MAX_TABLE_ROWS,
        "max_rows": MAX_TABLE_ROWS,
        "table_typologies": sorted({r["typology"] for r in rows}),
        "table_countries": sorted({r["country"] for r in rows}),
        "detectors": detectors,
        "silent_detectors": sum(1 for d in detectors if d["alerts"] == 0),
        "row_counts": row_counts,
        "total_rows": sum(r["rows"] for r in row_counts),
        "files": files,
        "csv_file": csv_file,
        "ground_truth": _ground_truth(gt) if gt else None,
        "sections": list(ctx.get("sections") or []),
        "changes": _changes(ctx.get("changes")),
    }


def _changes(rows: list[dict] | None) -> dict | None:
    """Counts and the first rows of what changed since the previous run (None on a first run)."""
    if rows is None:
        return None
    counts = Counter(r["status"] for r in rows)
    return {"new": counts["new"], "changed": counts["changed"], "resolved": counts["resolved"],
            "rows": [{**r, "typology_name": typology_name(r["typology"] or "")} for r in rows[:MAX_CARDS * 4]],
            "hidden": max(0, len(rows) - MAX_CARDS * 4)}


# --------------------------------------------------------------------------- rendering

_ENV: jinja2.Environment | None = None


def _env() -> jinja2.Environment:
    global _ENV
    if _ENV is None:
        _ENV = jinja2.Environment(
            loader=jinja2.PackageLoader("filon.report", "templates"),
            autoescape=True,  # always: the data is untrusted
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            bytecode_cache=_bytecode_cache(),
        )
        _ENV.filters["num"] = fmt_number
    return _ENV


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """The compiled template, kept between processes: compiling it costs a CLI run a tenth of a
    second, loading it a millisecond. Jinja keeps it in a folder of the user's own (it checks the
    owner and the permissions), keyed by the template's source; None where there is no such folder."""
    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


@lru_cache(maxsize=1)
def _script() -> tuple[Markup, str]:
    """The page's static JavaScript and its CSP hash.

    The Content-Security-Policy of the page allows only this exact script to
    run, so even a string that escaped escaping could not execute.
    """
    js = (resources.files("filon.report") / "templates" / "table.js").read_text(encoding="utf-8")
    if "</" in js:  # pragma: no cover - guard for whoever edits table.js
        raise ValueError("table.js must not contain '</'")
    digest = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii")
    return Markup(js), f"sha256-{digest}"


def render_html(alerts: list[dict], context: dict) -> str:
    """The whole report as one self-contained HTML string."""
    view = build_view(alerts, context)
    script, script_hash = _script()
    return _env().get_template("report.html.j2").render(script=script, script_hash=script_hash, **view)
