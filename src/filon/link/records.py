"""Gather every party named in a workspace into one frame of records to resolve.

A record is one name in one row: an actor, a consignee on an export declaration, an importer
or exporter on an import record, an owner known only by name, a watch-list entry. Records
that normalize to the same name, legal form, tax id, country and kind form one *signature*;
Splink compares signatures, not rows, because customs tables repeat the same consignee
thousands of times and comparing identical rows teaches the model nothing and costs O(n²).
"""

from __future__ import annotations

import gc
import hashlib
from dataclasses import dataclass
from typing import Any, NamedTuple

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from filon.link.normalize import (
    fold,
    min_rotation,
    normalize_folded,
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

    Each distinct folded name and each distinct tax id is normalized once (a registry repeats
    names, customs tables repeat consignees thousands of times, and a benchmark's million rows hold
    nearly a million names: the per-name work is what costs); the rest (which signature each row
    has, its id, the columns) is array work. Signature rows carry the comparison columns Splink
    reads; candidate pairs are made from them by `blocking.py`. The cyclic garbage collector is
    held off meanwhile: it would rescan the millions of small tuples made here again and again
    (a third of the time at a million rows) and none of them form cycles.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build(raw)
    finally:
        if collecting:
            gc.enable()


def _build(raw: list[tuple[str, ...]]) -> tuple[pa.Table, pa.Table]:
    columns: list[Any] = list(zip(*raw)) if raw else [() for _ in range(8)]
    n = len(raw)
    # names: each distinct spelling folded, each distinct folded form normalized
    name_code = _codes(columns[3])
    folded_of: dict[str, int] = {}
    fold_code = np.array([folded_of.setdefault(fold(x or ""), len(folded_of)) for x in name_code.values],
                         dtype=np.int64)
    feats = [_folded_features(t) for t in folded_of]
    feat_of_row = fold_code[name_code.codes] if n else np.zeros(0, np.int64)
    # country, kind given, tax id (per distinct value)
    country_code = _codes(columns[4])
    clean_country = [(c or "").strip().upper() or None for c in country_code.values]
    country_of: dict[str | None, int] = {}
    country_clean = np.array([country_of.setdefault(c, len(country_of)) for c in clean_country], dtype=np.int64)
    row_country = country_clean[country_code.codes] if n else np.zeros(0, np.int64)
    countries = list(country_of)
    given_code = _codes(columns[5])
    given = np.array([KIND_CODES[entity_kind(k, False)] for k in given_code.values], dtype=np.int64)
    tax_code = _codes(list(zip(columns[6], columns[7], (countries[c] for c in row_country))))
    tax_norm = [normalize_tax_id_for_matching(*t) for t in tax_code.values]  # type: ignore[arg-type]
    tax_sig = _codes(tax_norm)
    row_tax = np.asarray(tax_sig.codes, dtype=np.int64)[tax_code.codes] if n else np.zeros(0, np.int64)
    # the signature of each row: (rotation, legal form, kind, country, tax id), numbered by first appearance
    rotation = _codes([f.rotation for f in feats]).codes
    form = _codes([f.legal_form for f in feats]).codes
    organisation = np.array([f.organisation for f in feats], dtype=bool)
    row_given = given[given_code.codes] if n else np.zeros(0, np.int64)
    kind = np.where(row_given > 0, row_given,
                    np.where(organisation[feat_of_row], KIND_CODES["organisation"], 0)) if n else row_given
    parts = [rotation[feat_of_row], form[feat_of_row], kind, row_country, row_tax]
    sig_of_row, first = _group(parts)
    counts = np.bincount(sig_of_row, minlength=len(first))
    f_first = feat_of_row[first]
    tax_first = [tax_sig.values[i] for i in row_tax[first].tolist()]
    kinds = pa.array(KIND_NAMES, pa.string()).take(pa.array(kind[first]))
    sig_country = pa.array(countries, pa.string()).take(pa.array(row_country[first]))
    taxcols: list[Any] = list(zip(*((t.key, t.alt_key, t.valid, t.verified) for t in tax_first))) if n else [()] * 4
    name_cols = _feature_table(feats).take(pa.array(f_first))
    signatures = pa.table({
        "unique_id": pa.array([""] * len(first), pa.string()), **{c: name_cols[c] for c in name_cols.column_names},
        "kind": kinds, "country": sig_country, "tax_key": pa.array(taxcols[0], pa.string()),
        "tax_alt": pa.array(taxcols[1], pa.string()), "tax_valid": pa.array(taxcols[2], pa.bool_()),
        "tax_verified": pa.array(taxcols[3], pa.bool_()), "n_records": pa.array(counts, pa.int64()),
    })
    ids = signature_ids(signatures)
    signatures = signatures.set_column(0, "unique_id", ids).select(SIGNATURE_SCHEMA.names).cast(SIGNATURE_SCHEMA)
    records = pa.table({"source_table": pa.array(columns[0], pa.string()),
                        "source_column": pa.array(columns[1], pa.string()),
                        "record_key": pa.array(columns[2], pa.string()),
                        "name": pa.array(columns[3], pa.string()),
                        "country": pa.array(countries, pa.string()).take(pa.array(row_country)),
                        "signature": ids.take(pa.array(sig_of_row))})
    return records, signatures


#: entity_kind's answers as codes (0: unknown).
KIND_NAMES = (None, "person", "organisation")
KIND_CODES = {k: i for i, k in enumerate(KIND_NAMES)}


class _Coded(NamedTuple):
    codes: np.ndarray
    values: list[Any]


def _codes(items: Any) -> _Coded:
    """Each item's index among the distinct items (in order of first appearance), and those items.
    Strings (and None) are encoded by Arrow, anything else through a dictionary."""
    if isinstance(items, tuple):
        try:
            enc = pc.dictionary_encode(pa.array(items, pa.string()), null_encoding="encode")
            return _Coded(np.asarray(enc.indices, dtype=np.int64), enc.dictionary.to_pylist())
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
    seen: dict[Any, int] = {}
    codes = np.fromiter((seen.setdefault(x, len(seen)) for x in items), dtype=np.int64)
    return _Coded(codes, list(seen))


def _group(parts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Rows grouped by equal codes in every part: each row's group, numbered by first appearance,
    and each group's first row."""
    if not len(parts[0]):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    key = np.zeros(len(parts[0]), dtype=np.int64)
    span = 1
    for p in parts:
        size = int(p.max()) + 1
        if span * size >= 1 << 62:  # too many combinations for one int64: group the key so far first
            key = np.unique(key, return_inverse=True)[1].astype(np.int64)
            span = int(key.max()) + 1
        key, span = key * size + p, span * size
    _u, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[inverse.reshape(-1)], first[order]


SIGNATURE_ID_SQL = """
SELECT left(sha1(concat_ws(chr(31), coalesce(name_rotation, ''), coalesce(legal_form, ''), coalesce(kind, ''),
                           coalesce(country, ''), coalesce(tax_key, ''), coalesce(tax_alt, ''),
                           CASE WHEN tax_valid THEN 'True' ELSE '' END,
                           CASE WHEN tax_verified THEN 'True' ELSE '' END)), 16) AS id
FROM _sigs
"""


def signature_ids(signatures: pa.Table) -> pa.Array:
    """`signature_id` of every row of `signatures`, in SQL (the same hash of the same text)."""
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = true")
        con.register("_sigs", signatures.select(["name_rotation", "legal_form", "kind", "country", "tax_key",
                                                 "tax_alt", "tax_valid", "tax_verified"]))
        return con.execute(SIGNATURE_ID_SQL).to_arrow_table()["id"].combine_chunks()
    finally:
        con.close()


def _feature_table(feats: list[NameFeatures]) -> pa.Table:
    cols: list[Any] = list(zip(*feats)) if feats else [() for _ in NameFeatures._fields]
    f = dict(zip(NameFeatures._fields, cols))
    return pa.table({"name_core": pa.array(f["core"], pa.string()), "name_key": pa.array(f["key"], pa.string()),
                     "name_rotation": pa.array(f["rotation"], pa.string()),
                     "name_tokens": pa.array(f["tokens"], pa.list_(pa.string())),
                     "name_ends": pa.array(f["ends"], pa.list_(pa.string())),
                     "drop_rotations": pa.array(f["drop_rotations"], pa.list_(pa.string())),
                     "legal_form": pa.array(f["legal_form"], pa.string()),
                     "organisation": pa.array(f["organisation"], pa.bool_())})


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
    return _folded_features(fold(name or ""))


def _folded_features(text: str) -> NameFeatures:
    nn = normalize_folded(text)
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
