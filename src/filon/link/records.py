"""Gather every party named in a workspace into one frame of records to resolve.

A record is one name in one row: an actor, a consignee on an export declaration, an importer
or exporter on an import record, an owner known only by name, a watch-list entry. Records
that normalize to the same name, legal form, tax id, country and kind form one *signature*;
Splink compares signatures, not rows, because customs tables repeat the same consignee
thousands of times and comparing identical rows teaches the model nothing and costs O(n²).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from filon.link.normalize import normalize_name, normalize_tax_id_for_matching


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

    Signature rows carry the comparison columns Splink reads, plus `rare_pairs` for blocking
    (see `add_rare_tokens`).
    """
    records: dict[str, list[object]] = {c: [] for c in (
        "source_table", "source_column", "record_key", "name", "country", "signature")}
    signatures: dict[str, dict[str, object]] = {}
    for table, column, key, name, country, kind, tax_id, scheme in raw:
        nn = normalize_name(name)
        country = (country or "").strip().upper() or None
        tid = normalize_tax_id_for_matching(tax_id, scheme, country)
        features = {
            "name_core": nn.core or None, "name_key": nn.key or None, "name_rotation": nn.rotation or None, "name_tokens": list(nn.tokens),
            "name_ends": word_ends(nn.tokens),
            "legal_form": nn.legal_form, "kind": entity_kind(kind, nn.organisation), "country": country,
            "tax_key": tid.key, "tax_alt": tid.alt_key, "tax_valid": tid.valid, "tax_verified": tid.verified,
        }
        sig = signature_id(features)
        signatures.setdefault(sig, {"unique_id": sig, **features, "n_records": 0})["n_records"] += 1  # type: ignore[operator]
        for col, value in (("source_table", table), ("source_column", column), ("record_key", key),
                           ("name", name), ("country", country), ("signature", sig)):
            records[col].append(value)
    add_rare_tokens(list(signatures.values()))
    return pa.table(records), pa.Table.from_pylist(list(signatures.values()), schema=SIGNATURE_SCHEMA)


SIGNATURE_SCHEMA = pa.schema([
    ("unique_id", pa.string()), ("name_core", pa.string()), ("name_key", pa.string()), ("name_rotation", pa.string()),
    ("name_tokens", pa.list_(pa.string())), ("name_ends", pa.list_(pa.string())), ("legal_form", pa.string()), ("kind", pa.string()),
    ("country", pa.string()), ("tax_key", pa.string()), ("tax_alt", pa.string()), ("tax_valid", pa.bool_()),
    ("tax_verified", pa.bool_()),
    ("n_records", pa.int64()), ("rare_pairs", pa.list_(pa.string())), ("rare_pairs_fuzzy", pa.list_(pa.string())),
])


def signature_id(features: dict[str, object]) -> str:
    """Stable id of a normalized record, so reruns and incremental batches agree on it."""
    parts = [str(features[k] or "") for k in ("name_rotation", "legal_form", "kind", "country", "tax_key",
                                               "tax_alt", "tax_valid", "tax_verified")]
    return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:16]


def add_rare_tokens(signatures: list[dict[str, object]]) -> None:
    """Set `rare_pairs`: the pairs among each signature's three least frequent words.

    Two names of one party nearly always share two of their rarest words, whatever the word
    order, a dropped given name or a typo in a third word; a pair of words is rare enough
    that blocks on it stay small even for common surnames.
    """
    freq: Counter[str] = Counter()
    for s in signatures:
        freq.update(set(s["name_tokens"]))  # type: ignore[arg-type]
    for s in signatures:
        ranked = sorted(set(s["name_tokens"]), key=lambda t: (freq[t], t))[:3]  # type: ignore[arg-type]
        pairs = sorted(f"{a}|{b}" for i, a in enumerate(sorted(ranked)) for b in sorted(ranked)[i + 1:])
        s["rare_pairs"] = pairs or ranked
        s["rare_pairs_fuzzy"] = fuzzy_pairs(ranked)


def word_ends(tokens: tuple[str, ...]) -> list[str]:
    """First and last three letters of each word ("QUI<", ">SPE"): a typo inside a word keeps one
    of them, so two names whose words all match up to a typo share at least one end per word.
    A cheap test (list intersection) that spares the costly word-by-word edit distance."""
    return sorted({e for t in tokens for e in (f"{t[:3]}<", f">{t[-3:]}")})


def fuzzy_pairs(words: list[str]) -> list[str]:
    """Blocking keys that survive a typo in each word: the pairs of the words' first and last
    three letters. A slip inside a word (FUDNICION for FUNDICION) keeps at least one end, so
    two names with typos in two of their rarest words still share a key, which the exact rare
    pairs cannot give them (the misspelt words are the rarest of all)."""
    ends = [(f"{w[:3]}<", f">{w[-3:]}") for w in sorted(words) if len(w) >= 5]
    return sorted({f"{x}|{y}" for i, a in enumerate(ends) for b in ends[i + 1:] for x in a for y in b})


NAME_FREQUENCY_SQL = """
WITH total AS (SELECT count(*)::DOUBLE AS n, greatest(avg(tax_valid::INT), 0.01) AS coverage FROM {table}),
words AS (SELECT DISTINCT name_key, unnest(name_tokens) AS word FROM {table} WHERE name_key IS NOT NULL),
word_share AS (SELECT word, count(*) / (SELECT n FROM total) AS share
               FROM (SELECT DISTINCT unique_id, unnest(name_tokens) AS word FROM {table}) GROUP BY word),
by_words AS (SELECT name_key, exp(sum(ln(share))) AS share FROM words JOIN word_share USING (word) GROUP BY name_key),
namesakes AS (SELECT name_key, count(DISTINCT tax_key) FILTER (WHERE tax_valid) AS ids, count(*) AS seen
              FROM {table} WHERE name_key IS NOT NULL GROUP BY name_key)
SELECT name_key, greatest(least(by_words.share, seen / (SELECT n FROM total)),
                          (greatest(ids, 1) - 1) / (SELECT coverage * n FROM total)) AS tf_name_key
FROM by_words JOIN namesakes USING (name_key)
"""


def name_frequencies(con: duckdb.DuckDBPyConnection, table: str) -> pa.Table:
    """How often a random record carries each name (`tf_name_key`, for Splink's term-frequency adjustment).

    Counting each name's own occurrences, as Splink does by default, fails here: signatures
    of one party collapse identical spellings, so nearly every name is seen once or twice and
    a rare name cannot be told from a name seen twice because two people carry it. The share
    is estimated instead as the product of its words' shares (words of a name are nearly
    independent: QUISPE is common, QUISPE MAMANI JUAN CARLOS is rare, ISAIAS BYRON OSORIO
    rarer still), never above the name's observed share (MINERA INAMBARI is made of common
    words but written by one firm only), and never below the share of the namesakes known to differ: a name carried
    with k different valid tax ids is held by k - 1 other parties among those with a tax id,
    so by about (k - 1) / coverage other parties in all (coverage: share of records with a
    valid tax id). A name without id then does not join one of two namesakes by name alone.
    """
    return con.execute(NAME_FREQUENCY_SQL.format(table=table)).to_arrow_table()
