"""The HTML analysis report: content, escaping, empty case, demo section, size cap."""

from __future__ import annotations

import html
import re
from pathlib import Path

from markupsafe import escape
from report_samples import FORMULA, HOSTILE, make_alerts, make_context, with_counts

from filon.report import MAX_TABLE_ROWS, TYPOLOGY_TITLES, write_report
from filon.report.charts import Bar, bar_chart
from filon.report.format import flatten_evidence, fmt_usd

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "data-standard.md"


def _render(tmp_path: Path, alerts: list[dict], context: dict) -> str:
    out = write_report(tmp_path / "sub" / "report.html", alerts, context)
    assert out == tmp_path / "sub" / "report.html"
    assert out.is_file()
    return out.read_text(encoding="utf-8")


def test_writes_a_self_contained_page(tmp_path, alerts, context):
    page = _render(tmp_path, alerts, context)
    assert page.startswith("<!DOCTYPE html>")
    assert context["title"] in page
    # offline: nothing is fetched from elsewhere
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)=["\']?(https?:)?//', page)
    assert "@import" not in page
    assert "<svg" in page and "<title" in page  # charts with accessible titles
    assert '<th scope="col"' in page
    assert "@media print" in page
    # no leftover temporary file
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["report.html"]


def test_every_alert_subject_appears(tmp_path, alerts, context):
    page = _render(tmp_path, alerts, context)
    for a in alerts:
        assert html.escape(a["subject_id"], quote=False) in page, a["subject_id"]


def test_key_figures_and_money_format(tmp_path, alerts, context):
    page = _render(tmp_path, alerts, context)
    assert "USD 1,234,567" in page  # the hostile alert's value at risk
    assert fmt_usd(1234567.4) == "USD 1,234,567"
    assert fmt_usd(None) == "not estimated"
    assert fmt_usd(float("nan")) == "not estimated"
    total = sum(a["value_at_risk_usd"] for a in alerts if a["value_at_risk_usd"] is not None)
    assert fmt_usd(total) in page


def test_hostile_strings_are_escaped(tmp_path, alerts, context):
    context["title"] = "Report " + HOSTILE
    context["source"] = '"><script>alert(3)</script>'
    context["files"] = {"alerts.csv": 'javascript:alert("x")', "evil": '"><script>alert(4)</script>'}
    context["row_counts"] = {HOSTILE: 3}
    context["detectors"][0]["description"] = HOSTILE
    page = _render(tmp_path, alerts, context)
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "alert(3)</script>" not in page and "alert(4)</script>" not in page
    assert 'href="javascript:' not in page
    # the only scripts are the page's own (one block, allowed by its CSP hash)
    assert page.count("<script") == 1
    assert "Content-Security-Policy" in page and "'sha256-" in page
    # formulas are shown as text, never as links
    assert str(escape(FORMULA)) in page
    assert 'href="http://x"' not in page


def test_hostile_strings_are_escaped_in_svg(tmp_path, context):
    alerts = [{"alert_id": "1", "typology": HOSTILE, "subject_type": "actor", "subject_id": "x",
               "country": "<b>PE</b>", "period": "2024", "score": 0.5, "value_at_risk_usd": 10.0,
               "evidence": {}, "explanation": ""}]
    page = _render(tmp_path, alerts, context)
    assert HOSTILE not in page and "<b>PE</b>" not in page
    svg = bar_chart([Bar(HOSTILE, 1, HOSTILE, HOSTILE)], title=HOSTILE)
    assert HOSTILE not in str(svg) and "&lt;script&gt;" in str(svg)


def test_evidence_is_flattened_and_sources_listed():
    view = flatten_evidence({
        "exported_fine_kg": 1475.8,
        "supply": {"production_kg": 467.4, "trades": {"bought_kg": 0}},
        "value_usd": 1234567.8,
        "sources": [{"file": "exports.csv", "row": 12, "table": "exports"}],
        "lots": [{"lot_id": "L1"}],
    })
    items = dict(view.items)
    assert items["exported_fine_kg"] == "1,475.8 kg"
    assert items["supply.production_kg"] == "467.4 kg"
    assert items["supply.trades.bought_kg"] == "0 kg"
    assert items["value_usd"] == "USD 1,234,568"
    assert items["lots.0.lot_id"] == "L1"
    assert view.sources == ["exports.csv:12 (exports)"]
    # evidence still in JSON text is read, not shown raw
    assert dict(flatten_evidence('{"a": {"b_kg": 2}}').items) == {"a.b_kg": "2 kg"}


def test_empty_alerts_page(tmp_path):
    ctx = make_context()
    page = _render(tmp_path, [], ctx)
    assert "No alerts" in page
    assert 'id="all-alerts"' not in page and "<svg" not in page
    for d in ctx["detectors"]:
        assert d["title"] in page
    assert "0 (none)" in page
    for table, n in ctx["row_counts"].items():
        assert f"<code>{table}</code>" in page
    assert "10,320" in page  # production rows, formatted


def test_minimal_context_does_not_fail(tmp_path):
    page = _render(tmp_path, [{"alert_id": "x", "score": None, "value_at_risk_usd": float("nan"),
                               "evidence": None}], {})
    assert "filon analysis report" in page


def test_demo_ground_truth_section(tmp_path, alerts, context):
    context["ground_truth"] = [
        {"typology": "mass_balance_break", "subject_type": "actor", "subject_id": "T1", "expected": "fire", "found": True},
        {"typology": "mass_balance_break", "subject_type": "actor", "subject_id": "T2", "expected": "fire", "found": False},
        {"typology": "mass_balance_break", "subject_type": "actor", "subject_id": "T3", "expected": "silent", "found": True},
        {"typology": "undervaluation", "subject_type": "declaration", "subject_id": "D1", "expected": "silent", "found": False},
    ]
    page = _render(tmp_path, alerts, context)
    assert "Planted cases (demo data)" in page
    assert "Demo data." in page
    section = page[page.index('id="planted"'):page.index('id="detectors"')]
    row = section[section.index("<code class=\"small muted\">mass_balance_break</code>"):]
    assert re.findall(r'<td class="num">(\d+)</td>', row)[:4] == ["1", "1", "1", "0"]
    assert "T2" in section and "missed" in section
    assert "T3" in section and "false alarm" in section
    # no section without ground truth
    context.pop("ground_truth")
    assert 'id="planted"' not in _render(tmp_path, alerts, context)


def test_table_is_capped_with_a_note(tmp_path):
    alerts = make_alerts(MAX_TABLE_ROWS + 500)
    ctx = with_counts(make_context(), alerts)
    page = _render(tmp_path, alerts, ctx)
    body = page[page.index('id="alerts-table"'):]
    body = body[:body.index("</table>")]
    assert body.count("<tr data-typ=") == MAX_TABLE_ROWS
    assert 'id="cap-note"' in page
    assert "top 2,000 of 2,500 alerts" in page
    assert '<a href="alerts.csv">alerts.csv</a>' in page
    # the table holds the strongest alerts
    best = max(alerts, key=lambda a: a["score"])
    assert best["alert_id"] in body


def test_top_alerts_order_and_cards(tmp_path):
    alerts = make_alerts(120)
    page = _render(tmp_path, alerts, with_counts(make_context(), alerts))
    assert page.count('<article class="card') == 50
    ranked = sorted(alerts, key=lambda a: (-a["score"], -(a["value_at_risk_usd"] or -1)))
    first = page.index('id="alert-1"')
    assert ranked[0]["alert_id"] in page[first:page.index('id="alert-2"')]


def test_every_spec_typology_has_a_title():
    if SPEC.exists():
        section = SPEC.read_text(encoding="utf-8").split("## Regional typology codes", 1)[1]
        codes = {c for pair in re.findall(r"^\| `([a-z_]+)`(?: / `([a-z_]+)`)? \|", section, re.M)
                 for c in pair if c}
        assert len(codes) >= 19
        assert codes <= set(TYPOLOGY_TITLES), codes - set(TYPOLOGY_TITLES)
    assert len(TYPOLOGY_TITLES) >= 19
    for code, title in TYPOLOGY_TITLES.items():
        assert ": " in title, code
