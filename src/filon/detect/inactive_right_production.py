"""inactive_right_production: production or sales attributed to a right that was not in force then.

Activity is a `production` record of the right, or a `trade` naming it as `origin_right_id`.
A right is out of force:
  - before `granted_on` (the whole declared period precedes the grant);
  - after `expires_on` (the whole period follows it), whatever the status says — a status of
    `active` past the term only weakens the evidence (a renewal the register has not dated);
  - at any date, when its status is `cancelled`, `suspended` or `expired` and the register gives
    no date for it. The spec's statuses carry no date: the status is the register's state at
    extraction, so we cannot tell when it changed. We flag all such activity, at a lower score,
    and say so in the evidence: an analyst checks the date of the resolution.
Trades within `sale_grace_days` after expiry are not counted: a miner may sell metal extracted
before its title lapsed. One alert per right; its period is the first month of inactive activity.

A record is flagged or not by itself and its right, so the flagged records (a few among millions) are
a tally (`filon.detect.tally`): an incremental run flags a new batch's records alone and adds them to
the last run's, where reading the rights a batch touches meant reading a third of every table.
"""

from __future__ import annotations

from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.incremental import Scope
from filon.detect.parameters import Parameters
from filon.detect.registry import detector
from filon.detect.tally import Tally

INACTIVE = ("cancelled", "suspended", "expired")


def _sql(p: Parameters) -> str:
    """Each activity record out of its right's term (`reason` says how), with how many times it occurs."""
    return f"""
    WITH act AS (
      SELECT right_id, 'production' AS kind, record_id AS ref, period, commodity, fine_mass_kg, value_usd,
             CAST(CASE WHEN length(period) = 4 THEN period || '-01-01' ELSE period || '-01' END AS DATE) AS start_d,
             CASE WHEN length(period) = 4 THEN CAST(period || '-12-31' AS DATE)
                  ELSE last_day(CAST(period || '-01' AS DATE)) END AS end_d,
             _source_file, _source_row FROM production
      UNION ALL
      SELECT origin_right_id, 'trade', record_id, strftime(date, '%Y-%m'), commodity, fine_mass_kg, value_usd,
             date, date, _source_file, _source_row
      FROM trades WHERE origin_right_id IS NOT NULL),
    flagged AS (
      SELECT a.*, r.country, r.holder_id, r.status, r.granted_on, r.expires_on, CASE
          WHEN r.granted_on IS NOT NULL AND a.end_d < r.granted_on THEN 'before_grant'
          WHEN r.expires_on IS NOT NULL AND a.start_d > CASE WHEN a.kind = 'trade'
               THEN r.expires_on + INTERVAL {int(p.sale_grace_days)} DAY ELSE r.expires_on END THEN 'after_expiry'
          WHEN r.status IN ('cancelled', 'suspended') THEN 'status_undated'
          WHEN r.status = 'expired' AND r.expires_on IS NULL THEN 'status_undated' END AS reason
      FROM act a JOIN mining_rights r ON r.right_id = a.right_id)
    SELECT {FLAGGED}, count(*) AS n FROM flagged WHERE reason IS NOT NULL GROUP BY {FLAGGED}"""


#: What an alert says of a flagged record (`n` counts a record present twice twice, as the rows did).
FLAGGED_COLUMNS = ("right_id", "kind", "ref", "period", "commodity", "fine_mass_kg", "value_usd", "_source_file",
                   "_source_row", "country", "holder_id", "status", "granted_on", "expires_on", "reason")
FLAGGED = ", ".join(FLAGGED_COLUMNS)


def flagged_tally(p: Parameters) -> Tally:
    """The activity records out of their right's term, with how many times each occurs, kept between runs."""
    return Tally(f"inactive_right_g{int(p.sale_grace_days)}", _sql(p), keys=FLAGGED_COLUMNS,
                 sources=("production", "trades"), lookups=("mining_rights",))


@detector("inactive_right_production", version="1.0", title="Production on an inactive right", subject_type="right",
          tables=("production", "trades", "mining_rights"),
          scope=Scope({"production": ("t.right_id",), "trades": ("t.origin_right_id",)}))
def detect(ctx: DetectContext, p: Parameters) -> list[Alert]:
    """Production is declared for, or sales cite as origin, a mining right that was not in force at
    that date (before its grant, after its expiry, or cancelled or suspended): the right's papers are
    being used to give a legal origin to metal mined elsewhere."""
    by_right: dict[str, list[dict]] = {}
    for r in ctx.query(f"SELECT * FROM {ctx.tally(flagged_tally(p))} t "
                       "ORDER BY right_id, period, kind, ref, _source_file, _source_row"):
        if ctx.in_scope(r["right_id"]):  # a scoped run is about some rights (the tally holds every right's records)
            by_right.setdefault(r["right_id"], []).extend([r] * r["n"])
    alerts = []
    for right_id, rows in by_right.items():
        first = rows[0]
        reasons = sorted({r["reason"] for r in rows})
        dated = [r for r in rows if r["reason"] != "status_undated"
                 and not (r["reason"] == "after_expiry" and r["status"] == "active")]
        produced = [r for r in rows if r["kind"] == "production"]
        traded = [r for r in rows if r["kind"] == "trade"]
        basis = produced or traded
        kg = sum(r["fine_mass_kg"] or 0.0 for r in basis)
        value = sum(r["value_usd"] or 0.0 for r in basis) or None
        commodities = sorted({r["commodity"] for r in basis if r["commodity"]})
        what = f"{len(produced)} production records" if produced else f"{len(traded)} sales citing it"
        when = {"before_grant": f"before its grant on {first['granted_on']}",
                "after_expiry": f"after it expired on {first['expires_on']}",
                "status_undated": f"while the register shows it {first['status']} (no date given)"}
        alerts.append(Alert(
            typology="inactive_right_production", subject_type="right", subject_id=right_id, country=first["country"],
            period=min(r["period"] for r in rows), score=p.dated_score if dated else p.undated_score,
            value_at_risk_usd=value,
            explanation=(f"Right {right_id} ({first['status']}) has {what} of {kg:,.2f} kg fine "
                         f"{'/'.join(commodities) or 'metal'} from {rows[0]['period']} to {rows[-1]['period']}, "
                         f"{'; '.join(when[x] for x in reasons)}."),
            evidence={
                "status": first["status"], "granted_on": _date(first["granted_on"]), "expires_on": _date(first["expires_on"]),
                "holder_id": first["holder_id"], "reasons": reasons, "status_date_known": bool(dated),
                "first_period": rows[0]["period"], "last_period": rows[-1]["period"],
                "production_records": len(produced), "trades_citing": len(traded),
                "production_fine_kg": round(sum(r["fine_mass_kg"] or 0.0 for r in produced), 4),
                "traded_fine_kg": round(sum(r["fine_mass_kg"] or 0.0 for r in traded), 4),
                "commodities": commodities, "sale_grace_days": p.sale_grace_days,
                "sources": [{"table": "production" if r["kind"] == "production" else "trades", "id": r["ref"],
                             "period": r["period"], "file": r["_source_file"], "row": r["_source_row"]}
                            for r in rows[:p.max_sources]],
            }))
    return alerts


def _date(value: object) -> str | None:
    return None if value is None else str(value)
