"""new_exporter_surge: a recently created actor exports large volumes soon after appearing.

An actor appears on its `incorporation_date`; without one, on the first date it is seen in `trades` or
`exports`, unless that is within `grace_months` of the start of the package's data (then it was most likely
active before the data begins, and its age is unknown). It surges when its first export comes within
`max_delay_months` of appearing and, in the `window_months` from that first export, it exports:
  - at least the `peer_percentile` of its country's exporters' yearly export values (large for the country), and
  - at least `min_value_usd` (large in absolute terms, so a country with few small exporters does not alert).
Fresh companies with no track record that take over large flows are a classic vehicle for laundering.
"""

from __future__ import annotations

from filon.detect._supply import exports_fine_sql, reference_purity
from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.parameters import Parameters
from filon.detect.registry import detector
from filon.detect.tally import Tally

#: Per exporter, declaring country and year: its first declaration and the value it exported. Both
#: the newcomers' first exports and their country's peer thresholds come from it, so a new batch of
#: declarations adds its own sums instead of a pass over every declaration (`filon.detect.tally`).
EXPORTER_YEARS = Tally(
    "new_exporter_surge_exporter_years",
    """SELECT exporter_id, country, year(date) AS year, min(date) AS first_export, sum(value_usd) AS value_usd
       FROM exports GROUP BY exporter_id, country, year(date)""",
    keys=("exporter_id", "country", "year"), sources=("exports",), lookups=(), extremes=(("first_export", "min"),))

#: The first date each actor is seen exporting, selling or buying (the NULL actor's row keeps the
#: dates of records without one, so the least of all is where the data starts).
FIRST_SEEN = Tally(
    "new_exporter_surge_first_seen",
    """SELECT actor_id, min(d) AS first_seen FROM (
         SELECT exporter_id AS actor_id, date AS d FROM exports UNION ALL
         SELECT seller_id, date FROM trades UNION ALL SELECT buyer_id, date FROM trades) s
       GROUP BY actor_id""",
    keys=("actor_id",), sources=("exports", "trades"), lookups=(), extremes=(("first_seen", "min"),))


def _surge_sql(p: Parameters, years: str, seen: str) -> str:
    """The surging newcomers, from the `EXPORTER_YEARS` and `FIRST_SEEN` relations `years` and `seen`
    and, for their first window only, the declarations themselves."""
    return f"""
    WITH start AS (SELECT min(first_seen) AS data_start FROM {seen}),
    firsts AS (SELECT exporter_id AS actor_id, min(first_export) AS first_export, min(country) AS exp_country
               FROM {years} GROUP BY exporter_id),
    new AS (
      SELECT f.actor_id, f.first_export, coalesce(a.country, f.exp_country) AS country, a.name,
             a.incorporation_date, s.first_seen,
             coalesce(a.incorporation_date,
                      CASE WHEN s.first_seen >= st.data_start + INTERVAL '{int(p.grace_months)}' MONTH
                           THEN s.first_seen END) AS appeared
      FROM firsts f CROSS JOIN start st LEFT JOIN actors a ON a.actor_id = f.actor_id
      LEFT JOIN {seen} s ON s.actor_id = f.actor_id),
    win AS (
      SELECT n.*, sum(e.value_usd) AS window_value_usd, count(*) AS declarations, max(e.date) AS last_export
      FROM new n JOIN exports e ON e.exporter_id = n.actor_id
       AND e.date < n.first_export + INTERVAL '{int(p.window_months)}' MONTH
      WHERE n.appeared IS NOT NULL AND n.first_export <= n.appeared + INTERVAL '{int(p.max_delay_months)}' MONTH
      GROUP BY ALL),
    ranked AS (SELECT country, value_usd AS v, cume_dist() OVER (PARTITION BY country ORDER BY value_usd) AS pr
               FROM {years}),
    thr AS (SELECT country, min(v) AS peer_threshold_usd, count(*) AS peer_years FROM ranked
            WHERE pr >= {p.peer_percentile} GROUP BY ALL)
    SELECT w.*, t.peer_threshold_usd, t.peer_years FROM win w JOIN thr t ON t.country = w.country
    WHERE w.window_value_usd >= t.peer_threshold_usd AND w.window_value_usd >= {p.min_value_usd}
    ORDER BY w.actor_id"""


def _window_detail(ctx: DetectContext, p: Parameters, actor: str, first_export: object) -> tuple[dict, list[dict]]:
    """Fine mass by commodity and the largest declarations of the actor's first export window."""
    rows = ctx.query(f"""SELECT declaration_id, commodity, kg, value_usd, _source_file AS file, _source_row AS row
        FROM ({exports_fine_sql(reference_purity(ctx))}) e
        WHERE exporter_id = ? AND date < CAST(? AS DATE) + INTERVAL '{int(p.window_months)}' MONTH
        ORDER BY value_usd DESC, declaration_id""", [actor, str(first_export)])
    fine: dict[str, float] = {}
    for r in rows:
        if r["commodity"] and r["kg"] is not None:
            fine[r["commodity"]] = round(fine.get(r["commodity"], 0.0) + r["kg"], 3)
    sources = [{"flow": "exported", "id": r["declaration_id"], "value_usd": r["value_usd"], "file": r["file"],
                "row": r["row"]} for r in rows[: int(p.max_sources)]]
    return fine, sources


@detector("new_exporter_surge", version="1.0", title="New exporter surge", subject_type="actor",
          tables=("exports", "trades", "actors"))
def detect(ctx: DetectContext, p: Parameters) -> list[Alert]:
    """A company incorporated (or first seen) recently exports, within its first year of exporting, as much as
    the country's largest established exporters: fresh companies without a track record that suddenly carry
    large flows are a common front for laundering gold of illegal origin."""
    alerts = []
    for r in ctx.query(_surge_sql(p, ctx.tally(EXPORTER_YEARS), ctx.tally(FIRST_SEEN))):
        ratio = r["window_value_usd"] / r["peer_threshold_usd"]
        delay_days = (r["first_export"] - r["appeared"]).days
        fine, sources = _window_detail(ctx, p, r["actor_id"], r["first_export"])
        basis = "incorporated" if r["incorporation_date"] else "first seen"
        name = r["name"] or r["actor_id"]
        alerts.append(Alert(
            typology="new_exporter_surge", subject_type="actor", subject_id=r["actor_id"], country=r["country"],
            period=str(r["first_export"].year), score=p.max_score * min(1.0, ratio / p.full_score_ratio),
            value_at_risk_usd=r["window_value_usd"],
            explanation=(f"{name}, {basis} on {r['appeared']}, began exporting {delay_days} days later and shipped "
                         f"USD {r['window_value_usd']:,.0f} in its first {p.window_months} months, {ratio:.1f} times "
                         f"the top-quartile yearly exports of {r['country']}'s exporters."),
            evidence={
                "appeared_on": r["appeared"], "appearance_basis": basis, "incorporation_date": r["incorporation_date"],
                "first_seen": r["first_seen"], "first_export": r["first_export"], "last_export_in_window": r["last_export"],
                "days_to_first_export": delay_days, "window_months": p.window_months,
                "window_value_usd": round(r["window_value_usd"], 2), "window_declarations": r["declarations"],
                "window_fine_kg": fine, "peer_percentile": p.peer_percentile,
                "peer_threshold_usd": round(r["peer_threshold_usd"], 2), "peer_exporter_years": r["peer_years"],
                "ratio_to_peer_threshold": round(ratio, 3), "min_value_usd": p.min_value_usd, "sources": sources,
            }))
    return alerts
