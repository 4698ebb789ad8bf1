"""production_over_capacity: a right declares more metal in a year than its plant can process.

A right's authorized capacity (tonnes of ore per day) bounds the ore it can treat in a year:
capacity_tpd × the days of the year (generous on purpose: full capacity every day, no stops).
Dividing the year's declared fine metal by that tonnage gives the *implied grade*: the run-of-mine
grade the ore must have had, at 100 % recovery, to yield what was declared. Two tests:

  - **bound**: the implied grade exceeds the plausible maximum for the right's scale (`max_grade_gpt`).
    Artisanal and small alluvial and vein workings rarely mine more than 10-20 g/t gold run-of-mine;
    medium and large mines dilute with bulk mining, so their ceilings are lower. The ceilings are
    set at the top of those ranges so that only declarations impossible in practice fire.
  - **outlier**: the implied grade is a robust outlier (median/MAD z-score of its logarithm, since
    grades are log-normal) among rights of the same country, scale, metal and year, *and* at least
    `outlier_min_share` of the ceiling: an unusual but plausible rich vein (a few g/t) stays silent.

Score: outliers below the ceiling score 0.3-0.5; above the ceiling 0.5 rising to 1 at
`full_score_ratio` × the ceiling. Value at risk = fine metal beyond the bound (the ceiling, or the
peers' outlier limit) × the year's mean reference price. Rights without a capacity are skipped.

The fine metal per right, metal and year is a tally kept between runs (`RIGHT_YEARS`): a production
batch adds its own rows' sums, and a scoped run grades the rights of the country-years it touches
from it, peers and all, without reading the production rows but the firing rights' (their evidence).
SQL picks the right-years that may fire (with a little slack) and Python judges those exactly.
"""

from __future__ import annotations

import math

from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.prices import yearly_price_sql
from filon.detect.parameters import Parameters
from filon.detect.incremental import Scope
from filon.detect.registry import detector
from filon.detect.tally import Tally
from filon.engine.duckdb import sql_literal

def production_tally(name: str, keys: dict[str, str]) -> Tally:
    """Per `keys` (column -> SQL over a production record), the fine metal the records declaring some
    declare, how many, and their first and last period: kept between runs (`filon.detect.tally`), so
    a production batch adds its own rows' sums. Summed as decimals: exact whatever the order, so the
    last run's sums plus a batch's are bit for bit those of all the rows (floating-point sums would
    move in their last bits, and with them a peer median or a rounded figure of an alert)."""
    groups = ", ".join(keys.values())
    columns = ", ".join(f"{sql} AS {column}" for column, sql in keys.items())
    return Tally(name, f"""SELECT {columns}, sum(CAST(fine_mass_kg AS DECIMAL(38, 9))) AS fine_kg, count(*) AS records,
                                  min(period) AS first_period, max(period) AS last_period
                           FROM production WHERE fine_mass_kg > 0 GROUP BY {groups}""",
                 keys=tuple(keys), sources=("production",), lookups=(),
                 extremes=(("first_period", "min"), ("last_period", "max")))


#: Per right, metal and year (what a right is graded on).
RIGHT_YEARS = production_tally("production_by_right_year",
                               {"right_id": "right_id", "commodity": "commodity", "year": "left(period, 4)"})

#: Relative slack of the SQL that picks the right-years worth judging: judged again exactly in Python
#: (`_judge`), so a right-year at a threshold is never lost to the order the two compute in.
SLACK = 1e-6


def _loosened(threshold: float) -> float:
    """`threshold` lowered by the `SLACK`, for the SQL that picks candidates."""
    return float(threshold) - SLACK * (abs(float(threshold)) + 1.0)


def _sql(p: Parameters, tally: str, groups: str) -> str:
    """The right-years of the peer groups `groups` (`_peer_groups`) that may fire, with their peers'
    statistics, from the `RIGHT_YEARS` relation `tally`."""
    ceilings = " ".join(f"WHEN c.commodity = '{m}' AND c.scale_ = '{s}' THEN CAST({g} AS DOUBLE)"
                        for m, by in p.max_grade_gpt.items() for s, g in by.items())
    return f"""
    WITH cap AS (
      SELECT y.right_id, y.commodity, y.year, CAST(y.fine_kg AS DOUBLE) AS fine_kg, y.records, y.first_period,
             y.last_period, r.country, r.holder_id, coalesce(r.scale, '{p.default_scale}') AS scale_, r.capacity_tpd,
             CAST(CASE WHEN CAST(y.year AS INTEGER) % 4 = 0 THEN 366 ELSE 365 END AS DOUBLE) AS days
      FROM {tally} y JOIN mining_rights r ON r.right_id = y.right_id
      WHERE r.capacity_tpd > 0 AND y.fine_kg > 0 AND ({groups})),
    graded AS (
      SELECT c.*, c.fine_kg * 1000.0 / (c.capacity_tpd * c.days) AS grade_gpt,
             ln(c.fine_kg * 1000.0 / (c.capacity_tpd * c.days)) AS ln_grade,
             CASE {ceilings} END AS ceiling_gpt
      FROM cap c),
    peer_med AS (
      SELECT country, scale_, commodity, year, median(ln_grade) AS med, count(*) AS peers
      FROM graded GROUP BY country, scale_, commodity, year),
    peer_mad AS (
      SELECT g.country, g.scale_, g.commodity, g.year, median(abs(g.ln_grade - m.med)) AS mad
      FROM graded g JOIN peer_med m ON m.country = g.country AND m.scale_ = g.scale_
           AND m.commodity = g.commodity AND m.year = g.year
      GROUP BY g.country, g.scale_, g.commodity, g.year)
    SELECT g.*, m.med, m.peers, d.mad, px.usd_per_kg, px.source AS price_source
    FROM graded g
    JOIN peer_med m ON m.country = g.country AND m.scale_ = g.scale_ AND m.commodity = g.commodity AND m.year = g.year
    JOIN peer_mad d ON d.country = g.country AND d.scale_ = g.scale_ AND d.commodity = g.commodity AND d.year = g.year
    LEFT JOIN ({yearly_price_sql()}) px ON px.commodity = g.commodity AND px.year = g.year
    WHERE (g.ceiling_gpt IS NOT NULL AND g.grade_gpt > g.ceiling_gpt * {_loosened(1.0)!r})
       OR (m.peers >= {float(p.min_peers)!r} AND d.mad > 0
           AND g.ln_grade - m.med >= {_loosened(p.outlier_z)!r} * 1.4826 * d.mad
           AND (g.ceiling_gpt IS NULL OR g.grade_gpt >= {_loosened(p.outlier_min_share)!r} * g.ceiling_gpt))
    ORDER BY g.right_id, g.year, g.commodity"""


#: Rights are compared with their peers of the same country, scale, metal and year: a new production
#: record can move the peer median, so an incremental run re-runs the whole country-year.
PEER_GROUP = Scope({"production": ("t.country || '|' || left(t.period, 4)",)},
                   alert_key=lambda a: f"{a.country}|{a.period}")


def _peer_groups(ctx: DetectContext) -> str:
    """Condition (on the right's `r.country` and the tally's `y.year`) picking the peer groups a run
    is about: in a scoped run the country-years the new rows touch, whole (their peers' statistics
    need every right of them); TRUE otherwise."""
    if ctx.scope_keys is None:
        return "TRUE"
    keys = ", ".join(sql_literal(k) for k in sorted(ctx.scope_keys)) or "NULL"
    return f"r.country || '|' || y.year IN ({keys})"


def _judge(r: dict, p: Parameters) -> tuple[dict, float | None, float | None, bool] | None:
    """(row, robust z, outlier limit, over the ceiling) when right-year `r` fires, else None."""
    ceiling, grade = r["ceiling_gpt"], r["grade_gpt"]
    z, outlier_limit = None, None
    if r["peers"] >= p.min_peers and r["mad"] and r["mad"] > 0:
        z = (r["ln_grade"] - r["med"]) / (1.4826 * r["mad"])
        outlier_limit = math.exp(r["med"] + p.outlier_z * 1.4826 * r["mad"])
    over = ceiling is not None and grade > ceiling
    outlier = z is not None and z >= p.outlier_z and (ceiling is None or grade >= p.outlier_min_share * ceiling)
    return (r, z, outlier_limit, over) if over or outlier else None


def _sources(ctx: DetectContext, rights: list[str]) -> dict[tuple, list[dict]]:
    """The production records of `rights` (those that fire: a few) by right, year and metal. Every
    row of theirs, even in a scoped run (narrowed on the records' country, where the tally sums all
    of a right's records, whatever country they name)."""
    out: dict[tuple, list[dict]] = {}
    if not rights:
        return out
    for s in ctx.query_whole(f"""
            SELECT right_id, left(period, 4) AS year, commodity, record_id, period, _source_file, _source_row
            FROM production WHERE fine_mass_kg > 0 AND right_id IN ({", ".join(sql_literal(r) for r in rights)})
            ORDER BY right_id, period, record_id"""):
        out.setdefault((s["right_id"], s["year"], s["commodity"]), []).append(s)
    return out


@detector("production_over_capacity", version="1.0", title="Production beyond the right's capacity",
          subject_type="right", tables=("production", "mining_rights", "prices"),
          scope=PEER_GROUP)
def detect(ctx: DetectContext, p: Parameters) -> list[Alert]:
    """A mining right declares more fine metal in a year than its authorized ore capacity could yield at
    the richest grade plausible for its scale, or an implied grade far above its peers': the right's
    papers are likely giving a legal origin to metal mined elsewhere."""
    rows = ctx.query(_sql(p, ctx.tally(RIGHT_YEARS), _peer_groups(ctx)))
    flagged = [found for r in rows if (found := _judge(r, p)) is not None]
    sources = _sources(ctx, sorted({r["right_id"] for r, *_ in flagged}))
    return [_alert(r, z, outlier_limit, over, sources.get((r["right_id"], r["year"], r["commodity"]), []), p)
            for r, z, outlier_limit, over in flagged]


def _alert(r: dict, z: float | None, outlier_limit: float | None, over: bool, srcs: list[dict],
           p: Parameters) -> Alert:
    ceiling, grade = r["ceiling_gpt"], r["grade_gpt"]
    if over:
        bound = ceiling
        score = 0.5 + 0.5 * min(1.0, (grade / ceiling - 1.0) / (p.full_score_ratio - 1.0))
    else:
        bound = max(outlier_limit or 0.0, p.outlier_min_share * ceiling if ceiling else 0.0)
        share = grade / ceiling if ceiling else 1.0
        score = 0.3 + 0.2 * min(1.0, max(0.0, (share - p.outlier_min_share) / (1.0 - p.outlier_min_share)))
    ore_t = r["capacity_tpd"] * r["days"]
    excess_kg = max(0.0, r["fine_kg"] - bound * ore_t / 1000.0)
    var = excess_kg * r["usd_per_kg"] if r["usd_per_kg"] else None
    why = (f"above the {ceiling:g} g/t plausible for {'an' if r['scale_'][0] in 'aeiou' else 'a'} {r['scale_']} right" if over else
           f"a robust outlier (z = {z:.1f}) among {r['peers']} {r['scale_']} {r['country']} rights")
    return Alert(
        typology="production_over_capacity", subject_type="right", subject_id=r["right_id"],
        country=r["country"], period=r["year"], score=min(1.0, score), value_at_risk_usd=var,
        explanation=(f"Right {r['right_id']} declares {r['fine_kg']:,.2f} kg fine {r['commodity']} in {r['year']}, "
                     f"which at its capacity of {r['capacity_tpd']:g} t/day every day implies ore at "
                     f"{grade:,.1f} g/t, {why}."),
        evidence={
            "commodity": r["commodity"], "scale": r["scale_"], "holder_id": r["holder_id"],
            "capacity_tpd": r["capacity_tpd"], "days": int(r["days"]), "max_ore_t": round(ore_t, 1),
            "declared_fine_kg": round(r["fine_kg"], 4), "implied_grade_gpt": round(grade, 3),
            "ceiling_gpt": ceiling, "over_ceiling": over, "peer_count": r["peers"],
            "peer_median_gpt": round(math.exp(r["med"]), 3), "robust_z": None if z is None else round(z, 2),
            "peer_outlier_limit_gpt": None if outlier_limit is None else round(outlier_limit, 3),
            "excess_fine_kg": round(excess_kg, 4), "reference_usd_per_kg": r["usd_per_kg"],
            "price_source": r["price_source"], "production_records": r["records"],
            "first_period": r["first_period"], "last_period": r["last_period"],
            "sources": [{"table": "production", "id": s["record_id"], "period": s["period"],
                         "file": s["_source_file"], "row": s["_source_row"]} for s in srcs[:p.max_sources]],
        })
