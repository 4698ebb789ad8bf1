"""mirror_trade_gap: what a partner reports importing from a country differs from what that country
reports exporting to it.

For each exporter → partner, year and HS heading (4 digits), the partner's `imports` with that origin
are compared with the exporter's `exports` to that destination, in net mass and in value, both ways
(more imported than exported: metal leaving undeclared; less: exports declared that never arrived,
phantom exports laundering money or an origin). Only years in which both countries report anything
are compared: a partner absent from `imports` is missing data, not a gap. Legitimate differences
are allowed for, and estimated from the data rather than fixed:

  - **CIF/FOB**: imports are valued CIF, exports FOB. The usual import/export ratio is the median of
    the ratio over all pair-years and headings (freight and insurance are 1-5 % for gold); mass
    ratios are centred the same way.
  - **noise**: a margin of `mad_k` robust standard deviations of those log ratios, never below
    `min_margin` (rounding, weighing, exchange-rate dates).
  - **gross vs net**: a partner may record gross weight, so the upper mass bound uses gross mass.
  - **timing**: December exports may be recorded by the partner in January; the bounds widen by
    the exporter's December shipments of the year (deficit) and of the year before (surplus), and a
    gap offset by an opposite gap the adjacent year (the two years together within margin) is dropped.
  - **reliability**: each country's weight falls with how inconsistent its *other* pairs are (their
    median absolute log mass-ratio deviation), so a sloppy reporter's gaps score lower.

One alert per pair and year (headings aggregated). Score = relative gap beyond the margin (share of
the larger side) / `full_score_gap`, capped at 1, × the pair's reliability. Value at risk = |gap| in
USD at FOB: the partner's value divided by the usual CIF/FOB ratio, minus the export value (or, when
the mass gap is the larger, the mass gap at the pair's export unit value).
"""

from __future__ import annotations

import math
from typing import Any

from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.parameters import Parameters
from filon.detect.registry import detector


def _flows_sql() -> str:
    """Pair-year-heading flows on both sides, limited to years both countries report, with December
    shipments of the year and of the year before (timing allowance)."""
    return """
    WITH ex AS (
      SELECT country AS o, destination_country AS d, CAST(year(date) AS VARCHAR) AS y, left(hs_code, 4) AS h,
             sum(net_mass_kg) AS em, sum(coalesce(gross_mass_kg, net_mass_kg)) AS egm, sum(value_usd) AS ev,
             sum(CASE WHEN month(date) = 12 THEN net_mass_kg ELSE 0 END) AS dec_m,
             sum(CASE WHEN month(date) = 12 THEN coalesce(gross_mass_kg, net_mass_kg) ELSE 0 END) AS dec_gm,
             sum(CASE WHEN month(date) = 12 THEN value_usd ELSE 0 END) AS dec_v
      FROM exports WHERE country <> destination_country GROUP BY country, destination_country, CAST(year(date) AS VARCHAR), left(hs_code, 4)),
    im AS (
      SELECT origin_country AS o, country AS d, left(period, 4) AS y, left(hs_code, 4) AS h,
             sum(net_mass_kg) AS im_m, sum(value_usd) AS im_v, count(*) AS im_records
      FROM imports WHERE origin_country <> country GROUP BY origin_country, country, left(period, 4), left(hs_code, 4)),
    ex_years AS (SELECT DISTINCT country AS c, CAST(year(date) AS VARCHAR) AS y FROM exports),
    im_years AS (SELECT DISTINCT country AS c, left(period, 4) AS y FROM imports),
    joined AS (
      SELECT coalesce(ex.o, im.o) AS o, coalesce(ex.d, im.d) AS d, coalesce(ex.y, im.y) AS y,
             coalesce(ex.h, im.h) AS h, coalesce(ex.em, 0) AS em, coalesce(ex.egm, 0) AS egm,
             coalesce(ex.ev, 0) AS ev, coalesce(ex.dec_m, 0) AS dec_m, coalesce(ex.dec_v, 0) AS dec_v,
             coalesce(im.im_m, 0) AS im_m, coalesce(im.im_v, 0) AS im_v, coalesce(im.im_records, 0) AS im_records
      FROM ex FULL OUTER JOIN im ON ex.o = im.o AND ex.d = im.d AND ex.y = im.y AND ex.h = im.h)
    SELECT j.*, coalesce(prev.dec_gm, 0) AS prev_dec_gm, coalesce(prev.dec_v, 0) AS prev_dec_v
    FROM joined j
    JOIN ex_years xy ON xy.c = j.o AND xy.y = j.y
    JOIN im_years iy ON iy.c = j.d AND iy.y = j.y
    LEFT JOIN ex prev ON prev.o = j.o AND prev.d = j.d AND prev.h = j.h
         AND prev.y = CAST(CAST(j.y AS INTEGER) - 1 AS VARCHAR)
    ORDER BY j.o, j.d, j.h, j.y"""


def _median(xs: list[float]) -> float:
    s = sorted(xs)
    n = len(s)
    return (s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2.0) if n else 0.0


def _stats(rows: list[dict[str, Any]], side_imp: str, side_exp: str) -> tuple[float, float]:
    """(median log ratio, robust sd) of imports/exports over pair-years where both sides are positive."""
    logs = [math.log(r[side_imp] / r[side_exp]) for r in rows if r[side_imp] > 0 and r[side_exp] > 0]
    med = _median(logs)
    return med, 1.4826 * _median([abs(x - med) for x in logs])


def _reliability(rows: list[dict[str, Any]], med_m: float, p: Parameters) -> dict[tuple[str, str, str], float]:
    """Weight of each (country, o, d): from how consistent the country's pair-years *other* than o>d are."""
    devs: dict[str, list[tuple[str, str, float]]] = {}
    for r in rows:
        if r["im_m"] > 0 and r["em"] > 0:
            dev = abs(math.log(r["im_m"] / r["em"]) - med_m)
            for c in (r["o"], r["d"]):
                devs.setdefault(c, []).append((r["o"], r["d"], dev))
    out = {}
    for r in rows:
        for c in (r["o"], r["d"]):
            others = [x for o, d, x in devs.get(c, []) if (o, d) != (r["o"], r["d"])]
            out[(c, r["o"], r["d"])] = (1.0 / (1.0 + _median(others) / p.half_reliability_dev)
                                        if others else p.unknown_reliability)
    return out


def _gap(imp: float, lo: float, hi: float) -> float:
    """Signed relative gap beyond [lo, hi], as a share of the larger side (0 inside the band)."""
    if imp > hi:
        return (imp - hi) / imp
    if imp < lo:
        return -(lo - imp) / lo
    return 0.0


def _assess(r: dict[str, Any], rm: float, tm: float, rv: float, tv: float) -> dict[str, float]:
    mass = _gap(r["im_m"], max(0.0, r["em"] - r["dec_m"]) * rm * math.exp(-tm),
                (r["egm"] + r["prev_dec_gm"]) * rm * math.exp(tm))
    value = _gap(r["im_v"], max(0.0, r["ev"] - r["dec_v"]) * rv * math.exp(-tv),
                 (r["ev"] + r["prev_dec_v"]) * rv * math.exp(tv))
    if abs(value) >= abs(mass):  # the gap in USD at FOB, measured on the side that drives the alert
        usd = r["im_v"] / rv - r["ev"]
    else:
        unit = r["ev"] / r["em"] if r["em"] > 0 else (r["im_v"] / rv / r["im_m"] if r["im_m"] > 0 else 0.0)
        usd = (r["im_m"] / rm - r["em"]) * unit
    return {"mass_gap": mass, "value_gap": value, "usd_gap": usd}


def _offset_by_adjacent_year(r: dict[str, Any], by_key: dict[tuple, dict[str, Any]], gap: float,
                             rm: float, tm: float) -> bool:
    """True when the adjacent year's opposite gap cancels this one (a shipment booked across year end)."""
    for dy in (-1, 1):
        other = by_key.get((r["o"], r["d"], str(int(r["y"]) + dy), r["h"]))
        if not other or other["gap"] * gap >= 0:
            continue
        imp, em, egm = r["im_m"] + other["im_m"], r["em"] + other["em"], r["egm"] + other["egm"]
        if _gap(imp, em * rm * math.exp(-tm), egm * rm * math.exp(tm)) == 0.0:
            return True
    return False


def _sources(ctx: DetectContext, o: str, d: str, y: str, limit: int) -> list[dict[str, Any]]:
    imp = ctx.query("SELECT record_id AS id, _source_file, _source_row FROM imports WHERE origin_country = ? "
                    "AND country = ? AND left(period, 4) = ? ORDER BY period, record_id", [o, d, y])
    exp = ctx.query("SELECT declaration_id AS id, _source_file, _source_row FROM exports WHERE country = ? "
                    "AND destination_country = ? AND CAST(year(date) AS VARCHAR) = ? ORDER BY date, declaration_id",
                    [o, d, y])
    out = [{"table": "imports", "id": s["id"], "file": s["_source_file"], "row": s["_source_row"]} for s in imp]
    out += [{"table": "exports", "id": s["id"], "file": s["_source_file"], "row": s["_source_row"]} for s in exp]
    return out[:limit]


@detector("mirror_trade_gap", version="1.0", title="Mirror trade gap", subject_type="country_pair",
          tables=("exports", "imports"))
def detect(ctx: DetectContext, p: Parameters) -> list[Alert]:
    """What a partner country reports importing from a country differs, in mass or value, from what
    that country reports exporting to it, beyond the CIF/FOB, weighing and year-end timing margins
    estimated from the data: metal leaving undeclared, or exports declared that never arrived."""
    rows = ctx.query(_flows_sql())
    if not rows:
        return []
    for r in rows:
        for k in ("em", "egm", "ev", "dec_m", "dec_v", "im_m", "im_v", "prev_dec_gm", "prev_dec_v"):
            r[k] = float(r[k] or 0.0)
    med_m, sd_m = _stats(rows, "im_m", "em")
    med_v, sd_v = _stats(rows, "im_v", "ev")
    rm, rv = math.exp(med_m), math.exp(med_v)
    tm, tv = max(p.min_margin, p.mad_k * sd_m), max(p.min_margin, p.mad_k * sd_v)
    rel = _reliability(rows, med_m, p)
    by_key = {}
    for r in rows:
        r.update(_assess(r, rm, tm, rv, tv))
        r["gap"] = r["mass_gap"] if abs(r["mass_gap"]) >= abs(r["value_gap"]) else r["value_gap"]
        by_key[(r["o"], r["d"], r["y"], r["h"])] = r
    flagged: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in rows:
        if abs(r["gap"]) < p.min_gap or abs(r["usd_gap"]) < p.min_gap_usd:
            continue
        if _offset_by_adjacent_year(r, by_key, r["gap"], rm, tm):
            continue
        flagged.setdefault((r["o"], r["d"], r["y"]), []).append(r)
    alerts = []
    for (o, d, y), hs_rows in sorted(flagged.items()):
        weight = min(rel[(o, o, d)], rel[(d, o, d)])
        top = max(hs_rows, key=lambda r: abs(r["gap"]))
        em, im = sum(r["em"] for r in hs_rows), sum(r["im_m"] for r in hs_rows)
        ev, iv = sum(r["ev"] for r in hs_rows), sum(r["im_v"] for r in hs_rows)
        usd_gap = sum(r["usd_gap"] for r in hs_rows)
        more = top["gap"] > 0
        ratio = (im / em) if em > 0 else None
        how = f"{ratio:.2f} times" if ratio is not None else "gold although"
        alerts.append(Alert(
            typology="mirror_trade_gap", subject_type="country_pair", subject_id=f"{o}>{d}", country=o, period=y,
            score=min(1.0, abs(top["gap"]) / p.full_score_gap) * weight, value_at_risk_usd=abs(usd_gap),
            explanation=(f"In {y} {d} reports importing {im:,.0f} kg ({iv:,.0f} USD CIF) from {o}, "
                         + (f"{how} the {em:,.0f} kg ({ev:,.0f} USD FOB) {o} declares exporting to it"
                            if em > 0 else f"while {o} declares no exports to it")
                         + f": {'more' if more else 'less'} than the CIF/FOB, weighing and year-end margins allow."),
            evidence={
                "exporter": o, "partner": d, "year": y, "direction": "imports_exceed" if more else "exports_exceed",
                "export_net_kg": round(em, 3), "import_net_kg": round(im, 3), "export_fob_usd": round(ev, 2),
                "import_cif_usd": round(iv, 2), "gap_fob_usd": round(usd_gap, 2),
                "usual_cif_fob_ratio": round(rv, 4), "usual_mass_ratio": round(rm, 4),
                "value_margin": round(tv, 4), "mass_margin": round(tm, 4), "reliability": round(weight, 3),
                "headings": [{"hs4": r["h"], "export_net_kg": round(r["em"], 3), "import_net_kg": round(r["im_m"], 3),
                              "export_fob_usd": round(r["ev"], 2), "import_cif_usd": round(r["im_v"], 2),
                              "december_export_kg": round(r["dec_m"], 3), "mass_gap": round(r["mass_gap"], 4),
                              "value_gap": round(r["value_gap"], 4)} for r in hs_rows],
                "sources": _sources(ctx, o, d, y, p.max_sources),
            }))
    return alerts
