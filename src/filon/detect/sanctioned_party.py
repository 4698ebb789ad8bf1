"""sanctioned_party: a company dealing in minerals is, or is owned or controlled by, a listed party.

Every actor that deals in minerals (it has a supply-chain role, or it appears in exports, trades,
production or as a mining-right holder) is screened against the `sanctions` table (sanctions, PEP
and watch lists, including OpenSanctions entities loaded with the `opensanctions_ftm` adapter), and
so is everyone above it in `ownership`: owners, directors, nominees and beneficial owners, through
chains of `owner_id` links (any control kind) and the free-text `owner_name` at their ends. Links
that ended before, or began after, the period of the data's trades and exports are not followed.

A tax id equal after normalisation decides a match; two different tax ids decide a non-match, so a
homonym with another RUC stays silent. Otherwise names must agree (see `_screening`: legal forms,
accents and word order do not matter, each word must match) at `min_name_similarity`, a higher bar
when the countries differ, and never across a person / organisation divide. One alert per actor,
with every match, the names compared, the fields that agreed or disagreed, and the ownership path.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from filon.detect._screening import (
    ListEntry,
    WatchList,
    compare_names,
    name_tokens,
    same_tax_id,
    tax_keys,
)
from filon.detect.alerts import Alert
from filon.detect.context import DetectContext
from filon.detect.parameters import Parameters
from filon.detect.incremental import Scope
from filon.detect.registry import detector

_PERSON = {"person", "individual", "natural_person", "natural person", "persona"}
_ORGANISATION = {"company", "organization", "organisation", "legalentity", "legal_entity", "entity", "cooperative",
                 "public_body", "public body", "business", "empresa", "sociedad"}


def _kind(value: Any) -> str | None:
    """person / organisation / other (vessels, aircraft...) / None (unknown)."""
    text = str(value or "").strip().lower()
    if not text:
        return None
    return "person" if text in _PERSON else "organisation" if text in _ORGANISATION else "other"


@dataclass(frozen=True)
class Party:
    """Someone screened: an actor of the package, or an owner known only by name."""

    key: str
    name: str
    actor_id: str | None
    kind: str | None
    country: str | None
    tax_id: str | None


def _watch_list(ctx: DetectContext, p: Parameters) -> WatchList:
    rows = ctx.query("""SELECT entry_id, name, kind, country, tax_id, list_name, reason, _source_file AS file,
                        _source_row AS row FROM sanctions ORDER BY entry_id""")
    return WatchList((ListEntry(r["entry_id"], r["name"], r["kind"], r["country"], r["tax_id"], r["list_name"],
                                r["reason"], r["file"], r["row"]) for r in rows), int(p.max_block_size))


def _links(ctx: DetectContext) -> dict[str, list[dict[str, Any]]]:
    """Ownership and control links by owned actor, keeping those in force during the data's period."""
    # Which links were out of force during the period the flows span is a figure over all the data,
    # recorded so that an incremental run checks it has not changed (the period itself moves with every
    # batch). Recording the few ids left out, not the thousands of links kept, keeps that check cheap;
    # the rest is the ownership table, whose batches the run checks anyway (ingest keeps ids unique).
    out_of_force = {r["record_id"] for r in ctx.query_global("""
      SELECT o.record_id
      FROM ownership o, (SELECT min(date) AS lo, max(date) AS hi
                         FROM (SELECT date FROM exports UNION ALL SELECT date FROM trades) f) w
      WHERE NOT ((o.end_date IS NULL OR w.lo IS NULL OR o.end_date >= w.lo)
                 AND (o.start_date IS NULL OR w.hi IS NULL OR o.start_date <= w.hi)
                 AND (o.start_date IS NULL OR o.end_date IS NULL OR o.end_date >= o.start_date))
      ORDER BY o.record_id""")}
    rows = ctx.query("""
      SELECT record_id, subject_id, owner_id, owner_name, share_pct, control_kind, start_date, end_date,
             _source_file AS file, _source_row AS row
      FROM ownership ORDER BY subject_id, record_id""")
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if r["record_id"] not in out_of_force:
            out[r["subject_id"]].append(r)
    return out


def _dealers(ctx: DetectContext) -> dict[str, float]:
    """Actors dealing in minerals, with the value of what they exported or sold (USD); in a scoped
    run only those the run is about."""
    rows = _rows_of(ctx, """
      WITH moved AS (
        SELECT exporter_id AS actor_id, value_usd AS v FROM exports UNION ALL
        SELECT seller_id, value_usd FROM trades UNION ALL SELECT buyer_id, 0 FROM trades UNION ALL
        SELECT producer_id, 0 FROM production UNION ALL SELECT holder_id, 0 FROM mining_rights UNION ALL
        SELECT actor_id, 0 FROM actors WHERE roles IS NOT NULL AND roles <> '')
      SELECT actor_id, sum(coalesce(v, 0)) AS value_usd FROM moved WHERE actor_id IS NOT NULL GROUP BY actor_id""",
                    ctx.scope_keys)
    return {r["actor_id"]: float(r["value_usd"] or 0.0) for r in rows}


def _actors(ctx: DetectContext, ids: set[str] | None) -> dict[str, dict[str, Any]]:
    """Actor rows by id: all of them, or only `ids`."""
    rows = _rows_of(ctx, "SELECT actor_id, name, kind, country, tax_id, _source_file AS file, _source_row AS row "
                         "FROM actors", ids)
    return {r["actor_id"]: r for r in rows}


def _rows_of(ctx: DetectContext, sql: str, ids: Collection[str] | None) -> list[dict[str, Any]]:
    """The rows of `sql` whose `actor_id` is one of `ids` (every row when None). Filtered in Arrow,
    before rows become Python dicts: a scoped run then converts a few hundred rows, not one per
    actor of the country (tens of thousands, which took most of its time)."""
    if ids is None:
        return ctx.query(sql)
    table = ctx.query_arrow(sql)
    keep = pc.is_in(pc.cast(table["actor_id"], pa.string()), value_set=pa.array(sorted(ids), pa.string()))
    return table.filter(keep).to_pylist()


def _walk(actor_id: str, links: dict[str, list[dict[str, Any]]], max_depth: int) -> Iterator[tuple[str, list[dict]]]:
    """(party key, path of links) for the actor itself and everyone above it, breadth first.

    Party keys are actor ids, or `name:<owner_name>` for owners known by name only. Each actor is
    visited once (its shortest path), so ownership cycles end the walk instead of looping."""
    yield actor_id, []
    seen = {actor_id}
    frontier: list[tuple[str, list[dict]]] = [(actor_id, [])]
    for _ in range(max_depth):
        nxt = []
        for node, path in frontier:
            for link in links.get(node, ()):
                owner = link["owner_id"]
                if owner:
                    if owner in seen:
                        continue
                    seen.add(owner)
                    nxt.append((owner, path + [link]))
                    yield owner, path + [link]
                elif link["owner_name"]:
                    yield f"name:{link['owner_name']}", path + [link]
        frontier = nxt


def _screen(party: Party, watch: WatchList, p: Parameters) -> list[dict[str, Any]]:
    """Every list entry that is this party, with how the fields compared."""
    tokens, taxes = name_tokens(party.name), tax_keys(party.tax_id)
    found = []
    for e in watch.candidates(tokens, taxes):
        tax = same_tax_id(taxes, e.taxes)
        if tax is False:
            continue  # two different tax ids: two different parties, whatever the names
        match = compare_names(tokens, e.tokens)
        kinds, countries = (party.kind, _kind(e.kind)), (party.country, (e.country or "").upper() or None)
        agreed, disagreed = [], []
        for field, (a, b) in (("kind", kinds), ("country", countries)):
            if a and b:
                (agreed if a == b else disagreed).append(field)
        if tax:
            basis, confidence = "tax_id", 1.0
            agreed.insert(0, "tax_id")
        else:
            needed = p.min_name_similarity + (p.country_mismatch_margin if "country" in disagreed else 0.0)
            if "kind" in disagreed or match.similarity < needed or len(match.pairs) < int(p.min_matched_tokens):
                continue
            basis, confidence = "name", match.similarity
        (agreed if match.similarity >= p.min_name_similarity else disagreed).append("name")
        found.append({
            "basis": basis, "confidence": round(confidence, 4), "entry_id": e.entry_id, "listed_name": e.name,
            "list_name": e.list_name, "reason": e.reason, "listed_kind": e.kind, "listed_country": e.country,
            "listed_tax_id": e.tax_id, "screened_name": party.name, "screened_kind": party.kind,
            "screened_country": party.country, "screened_tax_id": party.tax_id,
            "name_similarity": round(match.similarity, 4),
            "matched_words": [f"{a}={b}" + ("" if s == 1 else f" ({s:.2f})") for a, b, s in match.pairs],
            "unmatched_words": list(match.unmatched), "agreed": agreed, "disagreed": disagreed,
            "_source": {"table": "sanctions", "id": e.entry_id, "file": e.source_file, "row": e.source_row},
        })
    return found


def _party(key: str, actors: dict[str, dict[str, Any]]) -> Party:
    if key.startswith("name:"):
        return Party(key, key[5:], None, None, None, None)
    a = actors.get(key, {})
    return Party(key, a.get("name") or key, key, _kind(a.get("kind")), (a.get("country") or "").upper() or None,
                 a.get("tax_id"))


def _path_text(actor: Party, path: list[dict], actors: dict[str, dict[str, Any]]) -> str:
    parts = [actor.name]
    for link in path:
        who = actors.get(link["owner_id"], {}).get("name") or link["owner_id"] or link["owner_name"]
        how = link["control_kind"] or "owner"
        share = f"{link['share_pct']:g} % " if link["share_pct"] is not None else ""
        parts.append(f"{who} ({share}{how})")
    return " <- ".join(parts)


@detector("sanctioned_party", version="1.0", title="Listed party in the ownership chain", subject_type="actor",
          tables=("actors", "ownership", "sanctions", "exports", "trades", "production", "mining_rights"),
          scope=Scope({"exports": ("t.exporter_id",), "trades": ("t.seller_id", "t.buyer_id"),
                       "production": ("t.producer_id",)}))
def detect(ctx: DetectContext, p: Parameters) -> list[Alert]:
    """A company dealing in minerals is itself on a sanctions, PEP or watch list, or is owned or
    controlled (through any chain of owners, directors, nominees or beneficial owners) by a listed
    party: gold bought from or through it may finance the listed party or launder its funds."""
    watch = _watch_list(ctx, p)
    if not watch.entries:
        return []
    links, dealers = _links(ctx), _dealers(ctx)
    subjects = sorted(d for d in dealers if ctx.in_scope(d))
    depth = int(p.max_depth)
    # A scoped run reads the actors it screens (its subjects and everyone above them), not all of them.
    above = None if ctx.scope_keys is None else {k for a in subjects for k, _ in _walk(a, links, depth)}
    actors = _actors(ctx, above)
    cache: dict[str, list[dict[str, Any]]] = {}
    alerts = []
    for actor_id in subjects:
        subject = _party(actor_id, actors)
        matches = []
        for key, path in _walk(actor_id, links, depth):
            if key not in cache:
                cache[key] = _screen(_party(key, actors), watch, p)
            for m in cache[key]:
                matches.append({**m, "depth": len(path), "path": _path_text(subject, path, actors),
                                "score": round(m["confidence"] * p.depth_decay ** len(path), 4),
                                "_links": path})
        if matches:
            alerts.append(_alert(subject, matches, dealers[actor_id], actors, p))
    return alerts


def _alert(subject: Party, matches: list[dict[str, Any]], value_usd: float, actors: dict[str, dict[str, Any]],
           p: Parameters) -> Alert:
    matches.sort(key=lambda m: (-m["score"], m["depth"], m["entry_id"]))
    best = matches[0]
    sources = []
    if subject.actor_id in actors:
        a = actors[subject.actor_id]
        sources.append({"table": "actors", "id": subject.actor_id, "file": a["file"], "row": a["row"]})
    for m in matches[: int(p.max_matches)]:
        sources += [{"table": "ownership", "id": link["record_id"], "file": link["file"], "row": link["row"]}
                    for link in m["_links"]] + [m["_source"]]
    unique_sources = list({(s["table"], s["id"]): s for s in sources}.values())
    kept = [{k: v for k, v in m.items() if not k.startswith("_")} for m in matches[: int(p.max_matches)]]
    who = ("is itself" if best["depth"] == 0 else
           f"is owned or controlled (path: {best['path']}) by '{best['screened_name']}', which is")
    evidence_of = ("the same tax id " + str(best["listed_tax_id"]) if best["basis"] == "tax_id" else
                   f"name similarity {best['name_similarity']:.2f}")
    agreed = ", ".join(best["agreed"]) or "none"
    disagreed = f"; disagree: {', '.join(best['disagreed'])}" if best["disagreed"] else ""
    return Alert(
        typology="sanctioned_party", subject_type="actor", subject_id=subject.actor_id or subject.key,
        country=subject.country, period=None, score=min(1.0, best["score"]),
        value_at_risk_usd=value_usd or None,
        explanation=(f"{subject.name} {who} listed as '{best['listed_name']}' on {best['list_name'] or 'a watch list'} "
                     f"({evidence_of}; agree: {agreed}{disagreed})."),
        evidence={"matches": kept, "match_count": len(matches), "best_path": best["path"],
                  "value_exported_or_sold_usd": round(value_usd, 2), "sources": unique_sources})
