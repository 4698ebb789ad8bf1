"""The sums `input_overuse` compares, kept between runs (`filon.detect.tally`), and the SQL that picks
the actor-years worth judging from them.

An actor's declared gold is that of every right it holds (`mining_rights.holder_id`) or operates
(`production.producer_id`, on any record of the right): one record counts for every actor linked to
its right, so sums per actor do not grow by addition when a batch links a right to a new operator.
A production batch seldom does (the same producers declaring another month): the tallies that read
the links (`actor_production_tally`: per actor, year and right, so an actor-year's rights are
counted too; `purchases_tally`: whether each purchase was made with a linked right in force;
`limits_tally`: the most gold under which an actor-year's purchases exceed what it explains) depend on
their digest (`OPERATORS` and `mining_rights`), and are computed from every row again only when they
move. Otherwise a batch adds its own sums (production to the actors linked to its rights,
purchases to their buyer).

Judging every actor-year in Python costs seconds at national scale, while a handful fire: the
candidates are picked in SQL (`candidates_sql`: the declared gold against the kept limits, the same
rules with a little slack for the order floating-point sums are taken in), and only those are
judged exactly, with their evidence.
"""

from __future__ import annotations

import hashlib
from typing import Any

from filon.detect.parameters import Parameters
from filon.detect.tally import Tally
from filon.engine.duckdb import sql_literal

#: The rights each producer operates (`production.producer_id`), with their records.
OPERATORS = Tally(
    "input_overuse_operators",
    """SELECT producer_id, right_id, count(*) AS records FROM production WHERE producer_id IS NOT NULL
       GROUP BY producer_id, right_id""",
    keys=("producer_id", "right_id"), sources=("production",), lookups=())

#: A right in force on the purchase's date (status and dates as in inactive_right_production).
_IN_FORCE = """(r.granted_on IS NULL OR r.granted_on <= {i}.date) AND (r.expires_on IS NULL OR {i}.date <= r.expires_on)
               AND (r.status = 'active' OR (r.status = 'expired' AND r.expires_on IS NOT NULL))"""


def literals(items: Any) -> str:
    """`items` as a list of SQL string literals for IN (...); `''` when there are none (matches nothing)."""
    return ", ".join(sql_literal(str(x)) for x in items) or "''"


def links_sql(operators: str, rights: str | None = None) -> str:
    """(actor_id, right_id): the rights each actor holds or operates (`operators`: the `OPERATORS` tally);
    with `rights` (SQL of a right_id column), only those rights' links."""
    only = f" WHERE right_id IN ({rights})" if rights else ""
    return f"""SELECT holder_id AS actor_id, right_id FROM mining_rights{only}
               UNION SELECT producer_id AS actor_id, right_id FROM {operators}{only}"""


def links_digest(ctx: Any, operators: str) -> str:
    """A digest of the operator links (the holders' are in mining_rights, whose fingerprint is known)."""
    rows = ctx.query(f"SELECT producer_id AS a, right_id AS r FROM {operators}")
    return hashlib.sha256("\n".join(sorted(f"{r['a']}\t{r['r']}" for r in rows)).encode()).hexdigest()[:24]


def purchases_tally(p: Parameters, banned: dict[str, dict[str, str]], operators: str, digest: str) -> Tally:
    """Per actor, year, input, unit and country: quantity (and in the input's canonical unit, NULL when
    the unit does not fit it), records, and the records without an authorization, without a linked
    right in force, and of an input `banned` (input -> country -> first day) on that date."""
    when = " ".join(f"WHEN i.input = {sql_literal(str(item))} AND i.country = {sql_literal(str(c))} "
                    f"AND i.date >= DATE '{d}' THEN 1" for item, by_country in banned.items() for c, d in by_country.items())
    # no WITH: the limits read this SQL twice, and Spark takes no CTE name twice in one query
    in_force = f"""SELECT DISTINCT b.record_id FROM inputs b JOIN ({links_sql(operators)}) l ON l.actor_id = b.actor_id
                   JOIN mining_rights r ON r.right_id = l.right_id WHERE {_IN_FORCE.format(i="b")}"""
    sql = f"""
    SELECT i.actor_id, strftime(i.date, '%Y') AS year, i.input, i.unit, i.country,
           sum(i.quantity) AS quantity, sum(i.quantity * f.factor) AS canonical, count(*) AS records,
           count(CASE WHEN i.authorization_id IS NULL OR trim(i.authorization_id) = '' THEN 1 END) AS no_auth,
           count(CASE WHEN n.record_id IS NULL THEN 1 END) AS no_right,
           count(CASE {when or 'WHEN 1 = 0 THEN 1'} END) AS banned
    FROM inputs i LEFT JOIN ({in_force}) n ON n.record_id = i.record_id
    LEFT JOIN {factors(p)} f ON f.input = i.input AND f.unit = i.unit
    WHERE i.quantity IS NOT NULL
    GROUP BY i.actor_id, strftime(i.date, '%Y'), i.input, i.unit, i.country"""
    return Tally("input_overuse_purchases", sql, ("actor_id", "year", "input", "unit", "country"),
                 sources=("inputs",), lookups=("mining_rights",), depends=digest)


def actor_production_tally(operators: str, digest: str) -> Tally:
    """Per actor, year and right it holds or operates: the right's fine gold and other metals' records.
    Only the links of the rights the production rows name are read: a batch's sums then join its
    few rights' links, not the whole register's."""
    sql = f"""
    SELECT l.actor_id, left(p.period, 4) AS year, p.right_id,
           sum(CASE WHEN p.commodity = 'Au' THEN p.fine_mass_kg ELSE 0 END) AS au_kg,
           count(CASE WHEN p.commodity <> 'Au' AND p.fine_mass_kg > 0 THEN 1 END) AS other_rows
    FROM production p JOIN ({links_sql(operators, "SELECT right_id FROM production")}) l ON l.right_id = p.right_id
    GROUP BY l.actor_id, left(p.period, 4), p.right_id"""
    return Tally("input_overuse_actor_production", sql, ("actor_id", "year", "right_id"), sources=("production",),
                 lookups=("mining_rights",), depends=digest)


def actor_years_sql(production: str, actors: list[str] | None = None) -> str:
    """(actor_id, year, au_kg, other_rows, rights) from the `actor_production_tally` (of `actors` only)."""
    where = f" WHERE actor_id IN ({literals(actors)})" if actors is not None else ""
    return f"""SELECT actor_id, year, sum(au_kg) AS au_kg, sum(other_rows) AS other_rows, count(*) AS rights
               FROM {production}{where} GROUP BY actor_id, year"""


def _values(columns: dict[str, str], rows: list[tuple]) -> str:
    """A relation of literal `rows` with `columns` (name: SQL type), portable across engines."""
    def lit(v: Any, kind: str) -> str:
        return f"CAST({'NULL' if v is None else repr(float(v)) if kind == 'DOUBLE' else sql_literal(str(v))} AS {kind})"
    if not rows:
        return "(SELECT " + ", ".join(f"CAST(NULL AS {k}) AS {c}" for c, k in columns.items()) + " WHERE 1 = 0)"
    return "(" + " UNION ALL ".join(
        "SELECT " + ", ".join(f"{lit(v, k)} AS {c}" for v, (c, k) in zip(row, columns.items())) for row in rows) + ")"


def factors(p: Parameters) -> str:
    """(input, unit, factor): the units each input converts from, to its canonical unit."""
    return _values({"input": "VARCHAR", "unit": "VARCHAR", "factor": "DOUBLE"},
                   [(item, unit, f) for item, dim in p.input_dimension.items()
                    for unit, f in p.unit_factors.get(dim, {}).items()])


def _uses(p: Parameters) -> str:
    """(input, method, ratio): the highest use per kg of gold of each input by each method."""
    return _values({"input": "VARCHAR", "method": "VARCHAR", "ratio": "DOUBLE"},
                   [(item, m, r) for item, by in p.max_use_per_kg_au.items() for m, r in by.items()]
                   + [(item, None, 0.0) for item, by in p.max_use_per_kg_au.items() if not by])


def _every(p: Parameters) -> str:
    """(input, ratio): the highest use of each input by any method (an actor whose rights' scales are unknown)."""
    return f"(SELECT input, max(ratio) AS ratio FROM {_uses(p)} u GROUP BY input)"


def limits_tally(p: Parameters, operators: str, purchases: str, digest: str) -> Tally:
    """Per actor-year of purchases (the `purchases` tally): whether some purchases lack an authorization
    or a right in force or are banned (`flagged`), the inputs bought in units that do not fit them,
    the scales of the actor's rights, and the most declared gold under which its purchases exceed what
    the gold explains (`all_kg`: every input; `gold_kg`: the gold-only ones, for an actor declaring
    other metals too), as `input_overuse._assess` judges with a relative slack of 1e-6, so that the
    actor-years it flags are a subset of those below the limit. None of this reads production amounts:
    no source, kept while the purchases, the links, the register and the parameters are the same, so
    a production batch only compares its actors' new gold with the limits."""
    from filon.detect.incremental import params_key

    by_scale = _values({"scale": "VARCHAR", "method": "VARCHAR"},
                       [(s, m) for s, methods in p.methods_by_scale.items() for m in methods])
    minimum = _values({"input": "VARCHAR", "min_excess": "DOUBLE"}, list(p.min_excess.items()))
    flagged = (f"(input IN ({literals(p.authorization_required)}) AND no_auth > 0) "
               f"OR (input IN ({literals(p.right_required)}) AND no_right > 0) OR banned > 0")
    sql = f"""
    WITH scales AS ({scales_sql(operators)}),
    unlisted AS (SELECT actor_id, max(CASE WHEN scale IN ({literals(p.methods_by_scale)}) THEN 0 ELSE 1 END) AS every_method,
                        string_agg(scale, ';') AS scales
                 FROM scales GROUP BY actor_id),
    scoped AS (SELECT s.actor_id, u.input, max(u.ratio) AS ratio FROM scales s JOIN {by_scale} m ON m.scale = s.scale
               JOIN {_uses(p)} u ON u.method = m.method GROUP BY s.actor_id, u.input),
    bought AS (SELECT actor_id, year, input, sum(canonical) AS bought FROM {purchases} WHERE canonical IS NOT NULL
               GROUP BY actor_id, year, input),
    used AS (
      SELECT b.actor_id, b.year, b.input, b.bought, greatest(coalesce(me.min_excess, 0), 0) AS least,
             {float(p.margin)!r} * CASE WHEN o.actor_id IS NULL OR o.every_method = 1 THEN e.ratio
                                        ELSE coalesce(sc.ratio, 0) END AS per_kg
      FROM bought b JOIN {_every(p)} e ON e.input = b.input
      LEFT JOIN unlisted o ON o.actor_id = b.actor_id
      LEFT JOIN scoped sc ON sc.actor_id = b.actor_id AND sc.input = b.input
      LEFT JOIN {minimum} me ON me.input = b.input),
    limits AS (
      SELECT actor_id, year, input,
             CASE WHEN bought - least < -1e-6 * (abs(bought) + least) - 1e-9 THEN NULL
                  WHEN per_kg > 0 THEN (bought - least + 1e-6 * (abs(bought) + least) + 1e-9) / per_kg * (1 + 1e-9)
                  ELSE 1e300 END AS au_kg
      FROM used),
    bought_by AS (
      SELECT actor_id, year, max(CASE WHEN {flagged} THEN 1 ELSE 0 END) AS flagged,
             string_agg(DISTINCT CASE WHEN canonical IS NULL THEN input || ' in ' || unit END, '; ') AS not_converted
      FROM {purchases} GROUP BY actor_id, year)
    SELECT f.actor_id, f.year, f.flagged, f.not_converted, min(o.scales) AS scales, max(l.au_kg) AS all_kg,
           max(CASE WHEN l.input IN ({literals(p.gold_only_inputs)}) THEN l.au_kg END) AS gold_kg
    FROM bought_by f LEFT JOIN limits l ON l.actor_id = f.actor_id AND l.year = f.year
    LEFT JOIN unlisted o ON o.actor_id = f.actor_id
    GROUP BY f.actor_id, f.year, f.flagged, f.not_converted
    HAVING f.flagged = 1 OR f.not_converted IS NOT NULL OR max(l.au_kg) IS NOT NULL"""
    return Tally("input_overuse_limits", sql, ("actor_id", "year"), sources=(), lookups=("inputs", "mining_rights"),
                 depends=f"{digest}:{params_key(p)}")


def scales_sql(operators: str) -> str:
    """(actor_id, scale) of the rights linked to each actor."""
    return f"""SELECT DISTINCT l.actor_id, coalesce(r.scale, 'unknown') AS scale
               FROM ({links_sql(operators)}) l JOIN mining_rights r ON r.right_id = l.right_id"""


def candidates_sql(limits: str, production: str) -> str:
    """The actor-years of `limits` (`limits_tally`) that may fire, given the gold the `production`
    tally declares for them (`candidate`), or whose purchases are in units that do not fit."""
    return f"""
    SELECT actor_id, year, scales, not_converted, candidate FROM (
      SELECT t.actor_id, t.year, t.scales, t.not_converted,
             coalesce(t.flagged = 1 OR coalesce(a.au_kg, 0)
                      <= CASE WHEN coalesce(a.other_rows, 0) = 0 THEN t.all_kg ELSE t.gold_kg END, FALSE) AS candidate
      FROM {limits} t LEFT JOIN ({actor_years_sql(production)}) a ON a.actor_id = t.actor_id AND a.year = t.year) c
    WHERE candidate OR not_converted IS NOT NULL
    ORDER BY actor_id, year"""


def purchase_rows_sql(purchases: str, actors: list[str]) -> str:
    """The purchases of `actors` per year, input and unit (the rows `input_overuse._assess` reads)."""
    return f"""SELECT actor_id, year, input, unit, min(country) AS country, sum(quantity) AS quantity,
                      sum(records) AS records, sum(no_auth) AS no_auth, sum(no_right) AS no_right, sum(banned) AS banned
               FROM {purchases} WHERE actor_id IN ({literals(actors)})
               GROUP BY actor_id, year, input, unit ORDER BY actor_id, year, input, unit"""
