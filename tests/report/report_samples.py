"""Sample alerts and run context for the report tests (and for rendering an example page)."""

from __future__ import annotations

import random

HOSTILE = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x")'

_TYPOLOGIES = [
    ("export_without_supply", "actor"),
    ("mass_balance_break", "actor"),
    ("mirror_trade_gap", "country_pair"),
    ("undervaluation", "declaration"),
    ("production_over_capacity", "right"),
    ("inactive_right_production", "right"),
    ("new_exporter_surge", "actor"),
    ("protected_area_disturbance", "area"),
]
_COUNTRIES = ["PE", "PE", "PE", "CO", "CO", "BO", "EC"]


def make_alert(i: int, rng: random.Random) -> dict:
    typ, st = _TYPOLOGIES[i % len(_TYPOLOGIES)]
    country = _COUNTRIES[rng.randrange(len(_COUNTRIES))]
    if st == "country_pair":
        subject = f"{country}>{rng.choice(['CH', 'AE', 'IN', 'US'])}"
    elif st == "declaration":
        subject = f"DEC-{country}-{i:06d}"
    elif st == "right":
        subject = f"R-{country}-{i:05d}"
    elif st == "area":
        subject = f"DET-{i:05d}"
    else:
        subject = f"ACT-{country}-{i:05d}"
    exported = round(rng.uniform(50, 2000), 1)
    explained = round(exported * rng.uniform(0.1, 0.8), 1)
    return {
        "alert_id": f"A{i:07d}",
        "typology": typ,
        "subject_type": st,
        "subject_id": subject,
        "country": country,
        "period": f"{rng.choice([2022, 2023, 2024])}",
        "score": round(rng.uniform(0.3, 1.0), 3),
        "value_at_risk_usd": None if i % 9 == 4 else round((exported - explained) * rng.uniform(55_000, 70_000), 2),
        "evidence": {
            "exported_fine_kg": exported,
            "supply": {"production_kg": explained, "purchases_kg": 0.0, "imports_kg": 0},
            "gap_pct": round(100 * (exported - explained) / exported, 1),
            "price_usd_per_kg": 61234.5,
            "destinations": ["CH", "AE"],
            "sources": [{"file": "exports.csv", "row": 10 + i, "table": "exports"},
                        {"file": "production.csv", "row": 3 + i, "table": "production"}],
        },
        "explanation": f"{subject} exported {exported:,.1f} kg of fine gold in the period but its production, "
                       f"purchases and imports explain only {explained:,.1f} kg.",
    }


def make_alerts(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    return [make_alert(i, rng) for i in range(n)]


def hostile_alert() -> dict:
    return {
        "alert_id": "A-HOSTILE",
        "typology": "sanctioned_party",
        "subject_type": "actor",
        "subject_id": HOSTILE,
        "country": "PE",
        "period": "2024-03",
        "score": 0.99,
        "value_at_risk_usd": 1234567.4,
        "evidence": {
            "matched_name": HOSTILE,
            "owner": {"name": FORMULA, "list_name": "<img src=x onerror=alert(2)>"},
            "sources": [{"file": "sanctions<b>.csv", "row": 4, "table": "sanctions"}],
        },
        "explanation": f"Owner {FORMULA} matches a sanctions list entry {HOSTILE}.",
    }


def make_context(**overrides) -> dict:
    detectors = [
        {"code": code, "version": "1.0", "title": code.replace("_", " ").capitalize(),
         "description": f"Checks the {code.replace('_', ' ')} pattern.", "alerts": 0}
        for code in ["export_without_supply", "mass_balance_break", "mirror_trade_gap", "undervaluation",
                     "overvaluation", "production_over_capacity", "inactive_right_production",
                     "new_exporter_surge", "protected_area_disturbance", "sanctioned_party", "route_deviation"]
    ]
    ctx = {
        "title": "Gold flows analysis: demo package",
        "generated_at": "2025-11-25T19:26:00+00:00",
        "source": "filon-demo/package",
        "standard_version": "0.1",
        "filon_version": "0.1.0",
        "row_counts": {"actors": 1240, "mining_rights": 860, "production": 10320, "trades": 5400,
                       "exports": 2210, "imports": 96, "ownership": 0},
        "detectors": detectors,
        "files": {"alerts.csv": "alerts.csv", "alerts.parquet": "alerts.parquet", "alerts.json": "alerts.json"},
    }
    ctx.update(overrides)
    return ctx


def with_counts(ctx: dict, alerts: list[dict]) -> dict:
    """Fill each detector's alert count from the alerts (as the pipeline would)."""
    counts: dict[str, int] = {}
    for a in alerts:
        counts[a["typology"]] = counts.get(a["typology"], 0) + 1
    for d in ctx["detectors"]:
        d["alerts"] = counts.get(d["code"], 0)
    return ctx


