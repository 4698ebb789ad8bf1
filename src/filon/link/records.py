"""Gather every party named in a workspace into one frame of records to resolve.

A record is one name in one row: an actor, a consignee on an export declaration, an importer
or exporter on an import record, an owner known only by name, a watch-list entry. Records
that normalize to the same name, legal form, tax id, country and kind form one *signature*;
Splink compares signatures, not rows, because customs tables repeat the same consignee
thousands of times and comparing identical rows teaches the model nothing and costs O(n²).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, NamedTuple

import duckdb
import pyarrow as pa

from filon.link.normalize import (
    NormalTaxId,
    min_rotation,
    normalize_name,
    normalize_tax_id_for_matching,
)


@dataclass(frozen=True)
class NameSource:
    """Where names live: table, key column, name column, and the columns (or SQL) giving context."""

    table: str
    key: str
    name: str
    country: str = "NULL"
    kind: str = "NULL"
    tax_id: str = "NULL"
    scheme: str = "NULL"
    where: str = ""


#: Every column of the standard that names a party. An owner given by `owner_id` is an actor
#: already, so only `owner_name` is a record of its own.
SOURCES: tuple[NameSource, ...] = (
    NameSource("actors", "actor_id", "name", "country", "kind", "tax_id", "tax_id_scheme"),
    NameSource("exports", "declaration_id", "consignee_name", "destination_country"),
    NameSource("imports", "record_id", "importer_name", "country"),
    NameSource("imports", "record_id", "exporter_name", "origin_country"),
    NameSource("ownership", "record_id", "owner_name", where="owner_id IS NULL OR trim(owner_id) = ''"),
    NameSource("sanctions", "entry_id", "name", "country", "kind", "tax_id"),
)

PERSON_KINDS = {"person", "natural_person", "individual"}


def read_sources(con: duckdb.DuckDBPyConnection) -> list[tuple[str, ...]]:
    """Raw rows (source_table, source_column, record_key, name, country, kind, tax_id, scheme)."""
    rows: list[tuple[str, ...]] = []
    for s in SOURCES:
        condition = f"{s.name} IS NOT NULL AND trim(CAST({s.name} AS VARCHAR)) <> ''"
        if s.where:
            condition += f" AND ({s.where})"
        sql = (f"SELECT '{s.table}', '{s.name}', CAST({s.key} AS VARCHAR), CAST({s.name} AS VARCHAR), "
               f"CAST({s.country} AS VARCHAR), CAST({s.kind} AS VARCHAR), CAST({s.tax_id} AS VARCHAR), "
               f"CAST({s.scheme} AS VARCHAR) FROM {s.table} WHERE {condition}")
        rows.extend(con.execute(sql).fetchall())
    return rows


def entity_kind(given: str | None, organisation: bool) -> str | None:
    """person / organisation when the row says so or the name shows it; None when unknown."""
    given = (given or "").strip().lower()
    if given:
        return "person" if given in PERSON_KINDS else "organisation"
    return "organisation" if organisation else None


def build_records(raw: list[tuple[str, ...]]) -> tuple[pa.Table, pa.Table]:
    """Normalize raw rows; return (records with their signature id, one row per signature).

    Each distinct name and each distinct tax id is normalized once (a registry repeats names,
    customs tables repeat consignees thousands of times, and a benchmark's million rows hold
    nearly a million names: the per-name work is what costs). Signature rows carry the
    comparison columns Splink reads; candidate pairs are made from them by `blocking.py`.
    """
    names, taxes = normalize_distinct(list(dict.fromkeys(r[3] for r in raw)),
                                      list(dict.fromkeys((r[6], r[7], (r[4] or "").strip().upper() or None)
                                                         for r in raw)))
    sig_index: dict[tuple[object, ...], int] = {}
    sig_names: list[NameFeatures] = []
    sig_kind: list[str | None] = []
    sig_country: list[str | None] = []
    sig_tax: list[NormalTaxId] = []
    counts: list[int] = []
    out_sig: list[int] = []
    out_country: list[str | None] = []
    for _table, _column, _key, name, raw_country, kind, tax_id, scheme in raw:
        nf = names[name]
        country = (raw_country or "").strip().upper() or None
        tid = taxes[(tax_id, scheme, country)]
        kind_value = entity_kind(kind, nf.organisation)
        ident = (nf.rotation, nf.legal_form, kind_value, country, tid.key, tid.alt_key, tid.valid, tid.verified)
        i = sig_index.get(ident)
        if i is None:
            i = sig_index[ident] = len(sig_names)
            sig_names.append(nf)
            sig_kind.append(kind_value)
            sig_country.append(country)
            sig_tax.append(tid)
            counts.append(0)
        counts[i] += 1
        out_sig.append(i)
        out_country.append(country)
    ids = [signature_id_of(ident) for ident in sig_index]
    columns: list[Any] = list(zip(*raw)) if raw else [() for _ in range(8)]
    records = pa.table({"source_table": pa.array(columns[0], pa.string()),
                        "source_column": pa.array(columns[1], pa.string()),
                        "record_key": pa.array(columns[2], pa.string()),
                        "name": pa.array(columns[3], pa.string()),
                        "country": pa.array(out_country, pa.string()),
                        "signature": pa.array(ids, pa.string()).take(pa.array(out_sig, pa.int64()))})
    feats: list[Any] = list(zip(*sig_names)) if sig_names else [() for _ in NameFeatures._fields]
    fields = dict(zip(NameFeatures._fields, feats))
    taxcols: list[Any] = list(zip(*((t.key, t.alt_key, t.valid, t.verified) for t in sig_tax))) if sig_tax else [()] * 4
    signatures = pa.table({
        "unique_id": ids, "name_core": fields["core"], "name_key": fields["key"], "name_rotation": fields["rotation"],
        "name_tokens": fields["tokens"], "name_ends": fields["ends"], "drop_rotations": fields["drop_rotations"],
        "legal_form": fields["legal_form"], "organisation": fields["organisation"], "kind": sig_kind,
        "country": sig_country, "tax_key": taxcols[0], "tax_alt": taxcols[1], "tax_valid": taxcols[2],
        "tax_verified": taxcols[3], "n_records": counts,
    }, schema=SIGNATURE_SCHEMA)
    return records, signatures


def normalize_distinct(names: list[str | None], taxes: list[tuple[object, object, object]]
                       ) -> tuple[dict[str | None, NameFeatures], dict[tuple[object, object, object], NormalTaxId]]:
    """`name_features` of each name and `normalize_tax_id_for_matching` of each (tax id, scheme, country).

    Python, one core: some 40 µs a name and tax id, 40 s for a million distinct ones. A second
    process halves that on two free cores, but costs a fresh interpreter importing filon and
    pickling the results back (no gain at 100,000 names), and a spawned process re-runs the
    caller's main script unless it is guarded; left out until the normalization moves to SQL.
    """
    features, ids = _normalize_chunk(names, taxes)
    return dict(zip(names, features)), dict(zip(taxes, ids))


def _normalize_chunk(names: list[str | None], taxes: list[tuple[object, object, object]]
                     ) -> tuple[list[NameFeatures], list[NormalTaxId]]:
    return [name_features(n) for n in names], [normalize_tax_id_for_matching(*t) for t in taxes]  # type: ignore[arg-type]


class NameFeatures(NamedTuple):
    """What the model and the blocking read of one name, computed once per distinct name."""

    core: str | None
    key: str | None
    rotation: str | None
    tokens: list[str]
    ends: list[str]
    drop_rotations: list[str]
    legal_form: str | None
    organisation: bool


def name_features(name: str | None) -> NameFeatures:
    nn = normalize_name.__wrapped__(name)  # the callers' dictionary caches it; spare the LRU cache
    return NameFeatures(nn.core or None, nn.key or None, nn.rotation or None, list(nn.tokens), word_ends(nn.tokens),
                        drop_rotations(nn.tokens) if not nn.organisation else [], nn.legal_form, nn.organisation)


def drop_rotations(tokens: tuple[str, ...]) -> list[str]:
    """The name's word cycle with one word left out, for names of three words or more: "QUISPE
    MAMANI JUAN" is "QUISPE MAMANI JUAN CARLOS" with its second given name dropped, in either
    order of surnames and given names (both read the same cycle), while "MAMANI QUISPE JUAN" is not."""
    if len(tokens) < 3:
        return []
    return sorted({" ".join(min_rotation(tokens[:i] + tokens[i + 1:])) for i in range(len(tokens))})


SIGNATURE_SCHEMA = pa.schema([
    ("unique_id", pa.string()), ("name_core", pa.string()), ("name_key", pa.string()), ("name_rotation", pa.string()),
    ("name_tokens", pa.list_(pa.string())), ("name_ends", pa.list_(pa.string())),
    ("drop_rotations", pa.list_(pa.string())), ("legal_form", pa.string()), ("organisation", pa.bool_()),
    ("kind", pa.string()),
    ("country", pa.string()), ("tax_key", pa.string()), ("tax_alt", pa.string()), ("tax_valid", pa.bool_()),
    ("tax_verified", pa.bool_()), ("n_records", pa.int64()),
])


def signature_id(features: dict[str, object]) -> str:
    """Stable id of a normalized record, so reruns and incremental batches agree on it."""
    return signature_id_of(tuple(features[k] for k in ("name_rotation", "legal_form", "kind", "country", "tax_key",
                                                         "tax_alt", "tax_valid", "tax_verified")))


def signature_id_of(values: tuple[object, ...]) -> str:
    """`signature_id` of the values (name_rotation, legal_form, kind, country, tax_key, tax_alt,
    tax_valid, tax_verified), in that order."""
    return hashlib.sha1("\x1f".join(str(v or "") for v in values).encode()).hexdigest()[:16]


def word_ends(tokens: tuple[str, ...]) -> list[str]:
    """First and last three letters of each word ("QUI<", ">SPE"): a typo inside a word keeps one
    of them, so two names whose words all match up to a typo share at least one end per word.
    A cheap test (list intersection) that spares the costly word-by-word edit distance."""
    return sorted({e for t in tokens for e in (f"{t[:3]}<", f">{t[-3:]}")})


NAME_FREQUENCY_SQL = """
WITH total AS (SELECT count(*)::DOUBLE AS n, greatest(avg(tax_valid::INT), 0.01) AS coverage FROM {table}),
words AS (SELECT name_key, unnest(tokens) AS word   -- a repeated word (QUISPE QUISPE) counts twice
          FROM (SELECT name_key, any_value(name_tokens) AS tokens FROM {table} WHERE name_key IS NOT NULL GROUP BY name_key)),
word_share AS (SELECT word, count(*) / (SELECT n FROM total) AS share
               FROM (SELECT DISTINCT unique_id, unnest(name_tokens) AS word FROM {table}) GROUP BY word),
variants AS (SELECT word, unnest(list_append(list_transform(range(1, length(word) + 1),
                                                            j -> word[:j - 1] || word[j + 1:]), word)) AS v
             FROM word_share),
near AS (SELECT DISTINCT a.word, b.word AS other FROM variants a JOIN variants b USING (v)),
fuzzy_share AS (SELECT near.word, least(sum(word_share.share), 1.0) AS share
                FROM near JOIN word_share ON word_share.word = near.other GROUP BY near.word),
by_words AS (SELECT name_key, exp(sum(ln(w.share))) AS share, exp(sum(ln(f.share))) AS fuzzy
             FROM words JOIN word_share w USING (word) JOIN fuzzy_share f USING (word) GROUP BY name_key),
namesakes AS (SELECT name_key, max(ids) AS ids FROM (
                  SELECT name_key, count(DISTINCT tax_key) FILTER (WHERE tax_valid) AS ids
                  FROM {table} WHERE name_key IS NOT NULL GROUP BY name_key, legal_form, country)
              GROUP BY name_key),
tf AS (SELECT name_key, share, fuzzy,
              greatest(least(share, {one_party} / (SELECT n FROM total)),
                       (greatest(ids, 1) - 1) / (SELECT coverage * n FROM total)) AS tf_name_key
       FROM by_words JOIN namesakes USING (name_key))
SELECT name_key, tf_name_key, greatest(share, tf_name_key) AS tf_name_words,
       greatest(least(fuzzy, {one_party} / (SELECT n FROM total)), tf_name_key) AS tf_name_fuzzy,
       greatest(fuzzy, share, tf_name_key) AS tf_name_fuzzy_words
FROM tf
"""


#: Other parties expected to bear a name known from one party only: the pair being weighed is that
#: party's, so its own records say nothing of namesakes; half a party, not one, is the prudent guess.
ONE_PARTY = 0.1


def name_frequencies(con: duckdb.DuckDBPyConnection, table: str) -> pa.Table:
    """How often a random record carries each name (`tf_name_key`) and how often a random record's
    name holds all of its words (`tf_name_words`), for Splink's term-frequency adjustment.

    Counting each name's own occurrences, as Splink does by default, fails here: signatures
    of one party collapse identical spellings, so nearly every name is seen once or twice and
    a rare name cannot be told from a name seen twice because two people carry it. The share
    is estimated instead as the product of its words' shares (words of a name are nearly
    independent: QUISPE is common, QUISPE MAMANI JUAN CARLOS is rare, ISAIAS BYRON OSORIO
    rarer still), never above half a party in all the records (`ONE_PARTY`: MINERA INAMBARI is made
    of common words but written by one firm only, and counting how often it is written would count
    that firm's own other records, the very pair being weighed), and never below the share of the
    namesakes known to differ: a name carried
    with k different valid tax ids (with one legal form, in one country: MINERA EL ROBLE SAC and
    MINERA EL ROBLE EIRL are no namesakes) is held by k - 1 other parties among those with a tax id,
    so by about (k - 1) / coverage other parties in all (coverage: share of records with a
    valid tax id). A name without id then does not join one of two namesakes by name alone.

    `tf_name_fuzzy` and `tf_name_fuzzy_words` are the same with each word's share replaced by the
    share of the words within one typo of it (MARIA: MARIA, MARIO, MARINA...): how often a random
    name lies within a typo of this one, for the typo levels. The misspelt side's own words are
    nearly unseen, so without this two misspelt names would look rarer than either party's name.

    `tf_name_words` is the chance that another name holds all these words (and maybe more):
    the product of the words' shares without the cap by the observed share, which says how
    often this very name is written, not how often a longer name contains it. It weighs the
    levels where one name's words are all in the other (a given name dropped): METALURGICA
    BRILLANTE is written by one firm, but METALURGICA ORIENTE BRILLANTE is another one.
    """
    return con.execute(NAME_FREQUENCY_SQL.format(table=table, one_party=ONE_PARTY)).to_arrow_table()
