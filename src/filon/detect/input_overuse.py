"""input_overuse: an actor buys controlled inputs its declared production cannot explain.

Mercury, cyanide, explosives and fuel are consumed in proportion to the gold recovered. For each
actor and year, purchases (`inputs`) are converted to one unit per input (kg of mercury, cyanide
and explosives; litres of fuel) and compared with what the fine gold declared through the rights
the actor holds (`mining_rights.holder_id`) or operates (`production.producer_id`) can explain:
gold × the highest consumption per kg of gold among the mining methods plausible for the scale of
those rights (`max_use_per_kg_au` and `methods_by_scale`; unknown scale: every method), × a
`margin` for stock carried between years. Generous on purpose: only purchases several times what
any method would use fire. Findings, each with its own score:

  - **overuse**: bought beyond explained × margin, by at least `min_excess` (a drum, not a rounding);
  - **no_authorization**: purchases of an input that needs a permit without an authorization_id;
  - **no_right_in_force**: purchases, of an input only miners use, by an actor that held or operated
    no right in force on that date (status and dates as in inactive_right_production);
  - **banned**: an input bought where and when it is banned in mining (mercury in Colombia).

Units are never compared across dimensions: a quantity whose unit is unknown or does not fit its
input (diesel in kg, mercury in litres) is listed in the evidence under `not_converted` and in a
log warning, not dropped and not guessed. An actor who also declares other metals than gold is
assessed for overuse only on inputs in `gold_only_inputs` (explosives and fuel also serve copper or
zinc mining). Value at risk: the gold the excess input could have recovered (excess ÷ the highest
ratio, the smallest such amount) at the year's reference price.

The sums come from tallies kept between runs (`_inputs`): a production or inputs batch adds its own
sums, and only the actor-years the rules may flag are judged here, with their evidence.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from filon.detect import _inputs as q
from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.parameters import Parameters
from filon.detect.prices import yearly_price_sql
from filon.detect.incremental import Scope
from filon.detect.registry import detector

log = logging.getLogger(__name__)


def _sources_sql(actors: list[str]) -> str:
    return f"""SELECT actor_id, strftime(date, '%Y') AS year, record_id, date, input, quantity, unit,
                      authorization_id, _source_file, _source_row
               FROM inputs WHERE actor_id IN ({q.literals(actors)}) ORDER BY actor_id, date, record_id"""


@detector("input_overuse", version="1.0", title="Controlled inputs beyond declared production",
          subject_type="actor", tables=("inputs", "production", "mining_rights", "prices"),
          scope=Scope({"inputs": ("t.actor_id",)}))
def detect(ctx: DetectContext, p: Parameters) -> list[Alert]:
    """An actor buys mercury, cyanide, explosives or fuel far beyond what the gold it declares could
    consume, buys without authorization or without a mining right in force, or buys a banned input:
    the inputs feed undeclared (illegal) mining, whose gold is then laundered elsewhere."""
    operators = ctx.tally(q.OPERATORS)
    digest = q.links_digest(ctx, operators)
    purchases = ctx.tally(q.purchases_tally(p, p.banned, operators, digest))
    production = ctx.tally(q.actor_production_tally(operators, digest))
    limits = ctx.tally(q.limits_tally(p, operators, purchases, digest))
    prices = {r["year"]: r for r in ctx.query(yearly_price_sql()) if r["commodity"] == "Au"}
    keys, scales = [], {}
    # a scoped run is about some buyers (the tallies hold everyone's sums, `inputs` their rows)
    for r in ctx.query(q.candidates_sql(limits, production)):
        if not ctx.in_scope(r["actor_id"]):
            continue
        if r["not_converted"]:
            log.warning("input_overuse: actor %s in %s has purchases in units that do not fit the input, not "
                        "compared: %s", r["actor_id"], r["year"],
                        "; ".join(sorted(set(r["not_converted"].split("; ")), key=lambda u: u.split(" in ", 1))))
        if r["candidate"]:
            keys.append((r["actor_id"], r["year"]))
            scales[r["actor_id"]] = set(r["scales"].split(";")) if r["scales"] else set()
    if not keys:
        return []
    actors = sorted({a for a, _ in keys})
    produced = {(r["actor_id"], r["year"]): r for r in ctx.query(q.actor_years_sql(production, actors))}
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in ctx.query(q.purchase_rows_sql(purchases, actors)):
        groups[(r["actor_id"], r["year"])].append(r)
    found = {}
    for key in keys:
        result = _assess(groups[key], produced.get(key), scales.get(key[0], set()), p)
        if result is not None:
            found[key] = result
    if not found:
        return []
    sources: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for s in ctx.query(_sources_sql(sorted({a for a, _ in found}))):
        sources[(s["actor_id"], s["year"])].append(s)
    return [_alert(key, found[key], sources.get(key, []), prices.get(key[1]), p) for key in sorted(found)]


def _methods(scales: set[str], p: Parameters) -> set[str]:
    every = {m for by in p.max_use_per_kg_au.values() for m in by}
    if not scales or any(s not in p.methods_by_scale for s in scales):
        return every
    return {m for s in scales for m in p.methods_by_scale[s]}


def _canonical(item: str, unit: str, p: Parameters) -> tuple[str, float] | None:
    """(canonical unit, factor) for `item` bought in `unit`, or None when they do not fit."""
    dimension = p.input_dimension.get(item)
    factors = p.unit_factors.get(dimension or "", {})
    if unit not in factors:
        return None
    return p.canonical_unit[dimension], factors[unit]


def _assess(rows: list[dict], prod: dict | None, scales: set[str], p: Parameters) -> dict | None:
    au_kg = float(prod["au_kg"] or 0.0) if prod else 0.0
    other_metals = bool(prod and prod["other_rows"])
    methods = _methods(scales, p)
    bought: dict[str, dict] = {}
    not_converted = []
    counts = {"no_authorization": 0, "no_right_in_force": 0, "banned": 0}
    for r in rows:
        item = r["input"]
        if item in p.authorization_required:
            counts["no_authorization"] += int(r["no_auth"])
        if item in p.right_required:
            counts["no_right_in_force"] += int(r["no_right"])
        counts["banned"] += int(r["banned"])
        unit = _canonical(item, r["unit"], p)
        if unit is None:
            not_converted.append({"input": item, "unit": r["unit"], "quantity": r["quantity"], "records": r["records"]})
            continue
        entry = bought.setdefault(item, {"input": item, "unit": unit[0], "bought": 0.0, "records": 0, "as_recorded": []})
        entry["bought"] += float(r["quantity"]) * unit[1]
        entry["records"] += int(r["records"])
        entry["as_recorded"].append({"quantity": r["quantity"], "unit": r["unit"]})
    overuse, gold_excess = [], []
    for item, entry in sorted(bought.items()):
        ratios = {m: r for m, r in p.max_use_per_kg_au.get(item, {}).items() if m in methods}
        assessed = item in p.max_use_per_kg_au and (not other_metals or item in p.gold_only_inputs)
        ratio, method = max(((r, m) for m, r in ratios.items()), default=(0.0, None))
        explained = au_kg * ratio
        allowed = explained * p.margin
        excess = entry["bought"] - allowed
        entry.update(assessed=assessed, method=method, max_per_kg_au=ratio, explained=round(explained, 3),
                     allowed=round(allowed, 3), bought=round(entry["bought"], 3),
                     ratio_to_explained=None if explained <= 0 else round(entry["bought"] / explained, 2))
        if assessed and excess > 0 and excess >= p.min_excess.get(item, 0.0):
            entry["excess"] = round(excess, 3)
            overuse.append(entry)
            # Unrounded, for the value at risk: rounding at a half (105.5025) would flip with the engine's sum order.
            gold_excess.append(excess / ratio if ratio > 0 else 0.0)
    if not (overuse or any(counts.values())):
        return None
    return {"rows": rows, "au_kg": au_kg, "other_metals": other_metals, "scales": sorted(scales),
            "methods": sorted(methods), "bought": list(bought.values()), "overuse": overuse,
            "gold_excess_kg": sum(gold_excess),
            "not_converted": not_converted, "counts": counts, "rights": int(prod["rights"]) if prod else 0}


def _alert(key: tuple[str, str], f: dict, sources: list[dict], price: dict | None, p: Parameters) -> Alert:
    actor_id, year = key
    reasons, score = [], 0.0
    for e in f["overuse"]:
        over = e["bought"] / e["allowed"] if e["allowed"] > 0 else float("inf")
        score = max(score, 0.5 + 0.5 * min(1.0, (over - 1.0) / (p.full_score_ratio - 1.0)))
    if f["overuse"]:
        reasons.append("overuse")
    for reason, weight in (("no_authorization", p.no_authorization_score), ("no_right_in_force", p.no_right_score),
                           ("banned", p.banned_score)):
        if f["counts"][reason]:
            reasons.append(reason)
            score = max(score, weight)
    gold_equiv = f["gold_excess_kg"]
    usd_per_kg = price["usd_per_kg"] if price else None
    var = gold_equiv * usd_per_kg if gold_equiv and usd_per_kg else None
    parts = []
    for e in f["overuse"]:
        parts.append(f"{e['bought']:,.0f} {e['unit']} of {e['input']} where {f['au_kg']:,.2f} kg of declared gold "
                     f"explains at most {e['allowed']:,.0f} {e['unit']}")
    labels = {"no_authorization": "without authorization", "no_right_in_force": "with no mining right in force",
              "banned": "of a banned input"}
    parts += [f"{f['counts'][r]} purchase(s) {labels[r]}" for r in reasons if r in labels]
    return Alert(
        typology="input_overuse", subject_type="actor", subject_id=actor_id, country=f["rows"][0]["country"],
        period=year, score=min(1.0, score), value_at_risk_usd=var,
        explanation=f"Actor {actor_id} in {year}: {'; '.join(parts)}.",
        evidence={
            "reasons": reasons, "declared_au_kg": round(f["au_kg"], 4), "rights": f["rights"],
            "other_metals_declared": f["other_metals"], "right_scales": f["scales"], "methods_considered": f["methods"],
            "margin": p.margin, "inputs": f["bought"], "not_converted": f["not_converted"],
            "authorization": {"purchases_without": f["counts"]["no_authorization"],
                              "required_for": list(p.authorization_required)},
            "purchases_without_right_in_force": f["counts"]["no_right_in_force"],
            "purchases_banned": f["counts"]["banned"],
            "unexplained_gold_equivalent_kg": round(gold_equiv, 4), "reference_usd_per_kg": usd_per_kg,
            "sources": [{"table": "inputs", "id": s["record_id"], "date": str(s["date"]), "input": s["input"],
                         "quantity": s["quantity"], "unit": s["unit"], "authorization_id": s["authorization_id"],
                         "file": s["_source_file"], "row": s["_source_row"]} for s in sources[:p.max_sources]],
        })
