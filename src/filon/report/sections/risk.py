"""Risk: the actors most at risk with why, and the corridors (customs offices, country pairs,
facilities, admin areas) whose indicators stand out, with their trend per period."""

from __future__ import annotations

from markupsafe import Markup

from filon.detect.context import DetectContext
from filon.report.charts import Bar, bar_chart, grouped_bar_chart
from filon.report.sections import Section
from filon.report.sections._html import figure, table

TOP_ACTORS = 20
TOP_NODES = 10
LABELS = {"customs_office": "customs office", "country_pair": "country pair", "facility": "facility",
          "admin_area": "admin area"}


def _reason_text(reason: dict) -> str:
    if reason.get("kind") == "alert":
        via = f" via {reason['via']}" if reason.get("via") else ""
        return f"{reason['typology']}{via} (+{reason['contribution']:.2f})"
    if reason.get("kind") == "linked":
        return f"{reason['path']} [{', '.join(reason.get('typologies') or [])}] (+{reason['contribution']:.2f})"
    return f"{reason.get('period')}: {reason.get('indicator')} = {reason.get('value')} (+{reason.get('contribution', 0):.2f})"


#: Every alert feeds the ranking this section shows.
TYPOLOGIES = None


def section(ctx: DetectContext, alerts: list[dict]) -> Section | None:
    from filon.risk.output import compute_risk, last_result

    result = last_result(ctx, alerts) or compute_risk(ctx, alerts)
    actors = [r for r in result.rows if r["subject_type"] == "actor" and r["risk_score"] > 0][:TOP_ACTORS]
    if not actors and not result.periods:
        return None
    parts = []
    if actors:
        bars = [Bar(label=r["subject_id"], value=r["risk_score"], value_text=f"{r['risk_score']:.2f}",
                    tooltip="; ".join(_reason_text(x) for x in r["reasons"][:3])) for r in actors]
        parts.append(figure(bar_chart(bars, title="Actors with the highest risk", chart_id="risk-actors",
                                      description="Risk 0–1 from own alerts and linked actors' and rights' risk."),
                            "Risk combines an actor's own alerts (weighted by typology, money at stake and age) with "
                            "the risk of its owners, trading partners and the rights it buys from, passed along links "
                            "with decay and caps."))
        parts.append(table(["rank", "actor", "country", "risk", "largest contributions"],
                           [(r["rank"], r["subject_id"], r["country"], r["risk_score"],
                             " · ".join(_reason_text(x) for x in r["reasons"][:3])) for r in actors],
                           numeric=(0, 3), caption="Top actors by risk (risk.csv has every actor)"))
    for kind, label in LABELS.items():
        nodes = [r for r in result.rows if r["subject_type"] == kind and r["risk_score"] > 0][:TOP_NODES]
        if not nodes:
            continue
        periods = sorted({n.period for n in result.periods if n.subject_type == kind})
        by_key = {(n.subject_id, n.country, n.period): n for n in result.periods if n.subject_type == kind}
        groups = [(f"{r['subject_id']}", [by_key[(r["subject_id"], r["country"], p)].score
                                          if (r["subject_id"], r["country"], p) in by_key else 0.0 for p in periods])
                  for r in nodes[:6]]
        palette = ["#d9c4a0", "#b88a3c", "#9a6400", "#5c3c00", "#1f5f8b", "#0f3550"]
        series = [(p, palette[i % len(palette)]) for i, p in enumerate(periods)]
        parts.append(figure(grouped_bar_chart(groups, series[-len(palette):], title=f"Indicator score per period: {label}",
                                              chart_id=f"risk-{kind.replace('_', '-')}",
                                              description="Score 0–1 of each period for the highest-scoring nodes."),
                            f"Trend of the six highest-scoring {label}s; a rising bar is a corridor to look at now."))
        rows = []
        for r in nodes:
            worst = max((n for n in result.periods if n.subject_type == kind and n.subject_id == r["subject_id"]
                         and n.country == r["country"]), key=lambda n: n.score)
            v = worst.values
            rows.append((r["rank"], r["subject_id"], r["country"], worst.period, worst.records, worst.value_usd,
                         _pct(v.get("high_risk_share")), _pct(v.get("dispersion")), _pct(v.get("new_actor_share")),
                         _pct(v.get("alert_density")), _pct(v.get("change")), r["risk_score"]))
        parts.append(table(["rank", label, "country", "worst period", "records", "value USD", "high-risk share",
                            "price dispersion", "new actors", "alert density", "change", "score"], rows,
                           numeric=(0, 4, 5, 6, 7, 8, 9, 10, 11),
                           caption=f"{label.capitalize()}s by indicator score (indicators.csv has every period)"))
    return Section(key="risk", title="Risk: actors and corridors",
                   intro="Who and where to look at first. Actors are ranked by their own alerts and by the risk of "
                         "those they own, are owned by, trade with or source from; corridors by the share of value "
                         "moved by high-risk actors, price dispersion, new actors, alert density and change.",
                   html=Markup("").join(parts))


def _pct(v: float | None) -> str | None:
    return None if v is None else f"{v:+.0%}" if v < 0 else f"{v:.0%}"
