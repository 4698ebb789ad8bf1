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
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
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
from filon.detect.incremental import Scope
from filon.detect.parameters import Parameters
from filon.detect.registry import detector
from filon.detect.tally import Tally

T = TypeVar("T")
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


#: Ownership links, ordered by `_links` (in Arrow, on the few a scoped run follows: cheaper than
#: sorting the national table in SQL).
LINKS_SQL = """
  SELECT record_id, subject_id, owner_id, owner_name, share_pct, control_kind, start_date, end_date,
         _source_file AS file, _source_row AS row
  FROM ownership"""


def _links(ctx: DetectContext, subjects: Collection[str] | None, depth: int) -> dict[str, list[dict[str, Any]]]:
    """Ownership and control links by owned actor, keeping those in force during the data's period:
    all of them, or those a walk of `depth` levels up from `subjects` may follow (a scoped run)."""
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
    table = ctx.query_arrow(LINKS_SQL)
    if table.num_rows and subjects is not None:
        table = _reachable(table, subjects, depth)
    if table.num_rows:  # (an engine may give an empty result no columns)
        table = table.sort_by([("subject_id", "ascending"), ("record_id", "ascending")])
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in table.to_pylist():
        if r["record_id"] not in out_of_force:
            out[r["subject_id"]].append(r)
    return out


def _reachable(links: pa.Table, subjects: Collection[str], depth: int) -> pa.Table:
    """The rows of `links` whose subject is within `depth - 1` links above one of `subjects` (those
    `_walk` may follow). Found level by level in Arrow, so only they become Python dicts: a scoped
    run follows a few thousand links, not the country's."""
    owned, owner = pc.cast(links["subject_id"], pa.string()), pc.cast(links["owner_id"], pa.string())
    wanted = np.zeros(links.num_rows, dtype=bool)
    seen: set[str] = set()
    level = set(subjects)
    for _ in range(depth):
        if not level:
            break
        seen |= level
        here = pc.is_in(owned, value_set=pa.array(sorted(level), pa.string()))
        wanted |= here.to_numpy(zero_copy_only=False)
        level = set(pc.filter(owner, here).drop_null().to_pylist()) - seen
    return links.filter(pa.array(wanted))


#: Each exporter's declared exports and each seller's sales (USD), with their records: sums that only
#: grow by addition, kept between runs as a tally (`filon.detect.tally`) that an incremental run brings up
#: to date by adding a new batch's sums. Sales come from trades, two million rows at national scale,
#: whose sums by seller cost a scoped run 0.2-0.5 s at ×30 when taken again over every row.
VALUE_SQL = """SELECT actor_id, sum(value_usd) FILTER (WHERE flow = 'exported') AS exported_usd,
      count(*) FILTER (WHERE flow = 'exported') AS exported_rows,
      sum(value_usd) FILTER (WHERE flow = 'sold') AS sold_usd, count(*) FILTER (WHERE flow = 'sold') AS sold_rows
    FROM (SELECT exporter_id AS actor_id, 'exported' AS flow, CAST(value_usd AS DOUBLE) AS value_usd FROM exports
          UNION ALL SELECT seller_id, 'sold', CAST(value_usd AS DOUBLE) FROM trades) f
    WHERE actor_id IS NOT NULL GROUP BY actor_id"""
VALUE_TALLY = Tally("exported_and_sold", VALUE_SQL, ("actor_id",), sources=("exports", "trades"), lookups=())
#: Actors dealing in minerals otherwise: buying, producing, holding a mining right, or with a role.
DEALING_SQL = """SELECT DISTINCT actor_id FROM (
    SELECT buyer_id AS actor_id FROM trades UNION ALL SELECT producer_id FROM production UNION ALL
    SELECT holder_id FROM mining_rights UNION ALL SELECT actor_id FROM actors WHERE roles IS NOT NULL AND roles <> '') d
    WHERE actor_id IS NOT NULL ORDER BY actor_id"""
#: Owners known by name only (what `_walk` yields as `name:<owner_name>`).
NAMED_OWNERS_SQL = """SELECT DISTINCT owner_name FROM ownership
    WHERE coalesce(owner_id, '') = '' AND coalesce(owner_name, '') <> '' ORDER BY owner_name"""


def exported_and_sold(ctx: DetectContext, ids: Collection[str] | None) -> dict[str, float | None]:
    """Actor -> what it exported and sold to other actors over the data (USD; None when no value
    is recorded), for the actors among `ids` (every one when None) that did either. The value at
    risk of both ownership typologies (`opaque_ownership` takes it from here). Taken from the tally
    over every row (`VALUE_TALLY`), even in a scoped run."""
    whole = ctx.full or ctx
    ctx.uses(*VALUE_TALLY.tables)
    table = whole.memo(("sanctioned_party", "exported_and_sold"),
                       lambda: whole.query_arrow(f"SELECT * FROM {whole.tally(VALUE_TALLY)} t"), VALUE_TALLY.tables)
    return {r["actor_id"]: None if r["exported_usd"] is None and r["sold_usd"] is None else
            (r["exported_usd"] or 0.0) + (r["sold_usd"] or 0.0) for r in _pick(table, ids)}


def _dealers(ctx: DetectContext) -> set[str]:
    """Every actor dealing in minerals: exporting or selling (`exported_and_sold`) or `DEALING_SQL`."""
    dealing = _whole(ctx, "mineral_dealers", _table(DEALING_SQL), ("trades", "production", "mining_rights", "actors"))
    return set(exported_and_sold(ctx, None)) | {r["actor_id"] for r in _pick(dealing, None)}


#: A scoped run is about the actors the new rows name in these roles. Each role makes an actor a dealer
#: (an exporter or a seller has exported or sold, a buyer or producer is in `DEALING_SQL`), so a
#: scoped run's subjects are its keys themselves: it need not find the country's dealers (`_subjects`).
SCOPE = Scope({"exports": ("t.exporter_id",), "trades": ("t.seller_id", "t.buyer_id"), "production": ("t.producer_id",)})


def _subjects(ctx: DetectContext) -> list[str]:
    """The actors screened: every dealer (`_dealers`), or in a scoped run the actors it is about (all
    dealers: see `SCOPE`), without the whole-table queries that find the others."""
    if ctx.scope_keys is not None:
        return sorted(ctx.scope_keys)
    return sorted(_dealers(ctx))


def _whole(ctx: DetectContext, name: str, compute: Callable[[DetectContext], T], tables: tuple[str, ...],
           parts: Any = (), keep: bool = True) -> T:
    """`compute` over all the data (reading `tables`), once per analysis, and with `keep` kept for the
    next one while they (and `parts`) are unchanged (`DetectContext.memo`). Figures per actor or per
    party only: a scoped run takes them too, as a subject's figures are the same over all the rows as
    over its own, to which the run is narrowed (and whole tables are read faster than narrowed ones)."""
    whole = ctx.full or ctx
    ctx.uses(*tables)
    return whole.memo(("sanctioned_party", name, parts), lambda: compute(whole), tables, keep=name if keep else None)


def _table(sql: str) -> Callable[[DetectContext], pa.Table]:
    return lambda ctx: ctx.query_arrow(sql)


def _pick(table: pa.Table, ids: Collection[str] | None) -> list[dict[str, Any]]:
    """The rows of `table` whose `actor_id` is one of `ids` (every row when None), as dicts. Filtered
    in Arrow, before rows become Python dicts: a scoped run then converts a few hundred rows, not one
    per actor of the country (tens of thousands, which took most of its time)."""
    return _only(table, "actor_id", ids).to_pylist()


def _only(table: pa.Table, column: str, ids: Collection[str] | None) -> pa.Table:
    """The rows of `table` whose `column` is one of `ids` (every row when None)."""
    if ids is None or not table.num_rows:  # (an engine may give an empty result no columns)
        return table
    return table.filter(pc.is_in(pc.cast(table[column], pa.string()), value_set=pa.array(sorted(ids), pa.string())))


ACTORS_SQL = "SELECT actor_id, name, kind, country, tax_id, _source_file AS file, _source_row AS row FROM actors"


@dataclass
class Screening:
    """Parties (actors, owners known by name only) screened against the watch list, with the actors'
    rows, which the alerts quote. Screening is most of a full run, and a scoped one meets thousands
    of owners above its subjects, so every party of the workspace is screened once and kept between
    runs while the actors, the ownership records and the list are unchanged (`_screening`)."""

    actors: pa.Table  # ACTORS_SQL
    named: pa.Array  # party keys of the owners known by name only
    matches: dict[str, list[dict[str, Any]]]  # party key -> what it matches (parties matching nothing left out)

    def of(self, keys: Collection[str], watch: WatchList, p: Parameters) -> dict[str, list[dict[str, Any]]]:
        """The matches of each of `keys`. A key not screened (an actor id the links or the flows name
        but `actors` lacks) is screened now, as the name it is known by."""
        wanted = list(keys)
        ids = pc.cast(self.actors["actor_id"], pa.string()).chunks if self.actors.num_rows else []
        screened = pa.chunked_array([self.named, *ids], pa.string()).combine_chunks()
        done = pc.is_in(pa.array(wanted, pa.string()), value_set=screened).to_pylist()
        return {k: self.matches.get(k, []) if known else _screen(_party(k, {}), watch, p)
                for k, known in zip(wanted, done)}

    def rows(self, ids: Collection[str]) -> dict[str, dict[str, Any]]:
        """The actors' rows of `ids`, by id."""
        return {r["actor_id"]: r for r in _pick(self.actors, ids)}


def _screening(ctx: DetectContext, watch: WatchList, p: Parameters, keys: Collection[str]) -> Screening:
    """Every party screened against `watch` (the `sanctions` table read with parameters `p`): kept
    between runs. With nothing kept (no signing key), a scoped run screens the parties `keys` alone."""
    from filon.detect.incremental import params_key

    if ctx.scope_keys is not None and (ctx.full or ctx).kept is None:
        return _screen_parties(ctx, watch, p, keys)
    return _whole(ctx, "sanctions_screening", lambda whole: _screen_parties(whole, watch, p),
                  ("actors", "ownership", "sanctions"), params_key(p))


def _screen_parties(ctx: DetectContext, watch: WatchList, p: Parameters,
                    keys: Collection[str] | None = None) -> Screening:
    """Each actor and each owner known by name only (of `keys`, when given) screened against `watch`."""
    table = _only(ctx.query_arrow(ACTORS_SQL), "actor_id", keys)
    if table.num_rows:  # one file name per batch, not per row, in what is kept
        table = table.set_column(table.schema.get_field_index("file"), "file", pc.dictionary_encode(table["file"]))
    actors = {r["actor_id"]: r for r in table.to_pylist()}
    named = [f"name:{r['owner_name']}" for r in ctx.query(NAMED_OWNERS_SQL)]
    named = named if keys is None else [k for k in named if k in keys]
    matches = {k: found for k in [*actors, *named] if (found := _screen(_party(k, actors), watch, p))}
    return Screening(table, pa.array(named, pa.string()), matches)


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
          scope=SCOPE)
def detect(ctx: DetectContext, p: Parameters) -> list[Alert]:
    """A company dealing in minerals is itself on a sanctions, PEP or watch list, or is owned or
    controlled (through any chain of owners, directors, nominees or beneficial owners) by a listed
    party: gold bought from or through it may finance the listed party or launder its funds."""
    watch = _watch_list(ctx, p)
    if not watch.entries:
        return []
    subjects = _subjects(ctx)
    depth = int(p.max_depth)
    links = _links(ctx, None if ctx.scope_keys is None else subjects, depth)
    walks = {a: list(_walk(a, links, depth)) for a in subjects}
    parties = {k for walk in walks.values() for k, _ in walk}
    screening = _screening(ctx, watch, p, parties)
    matches_of = screening.of(parties, watch, p)
    hits = {a: found for a, walk in walks.items() if (found := [(path, m) for k, path in walk for m in matches_of[k]])}
    # Actor rows only for the alerts: their subjects and the owners on their paths.
    actors = screening.rows({*hits, *(link["owner_id"] for found in hits.values() for path, _ in found for link in path
                                    if link["owner_id"])})
    value = exported_and_sold(ctx, hits) if hits else {}  # (a full run has read them already, in `_dealers`)
    alerts = []
    for actor_id, found in hits.items():
        subject = _party(actor_id, actors)
        matches = [{**m, "depth": len(path), "path": _path_text(subject, path, actors),
                    "score": round(m["confidence"] * p.depth_decay ** len(path), 4), "_links": path}
                   for path, m in found]
        alerts.append(_alert(subject, matches, float(value.get(actor_id) or 0.0), actors, p))
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
