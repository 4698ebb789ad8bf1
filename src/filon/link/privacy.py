"""Privacy-preserving linkage: countries share keyed Bloom-filter encodings, never names or tax ids.

Encoding (each country, with a secret shared by the countries and withheld from the linker):

- name: a cryptographic long-term key (CLK, Schnell, Bachteler & Reiher 2009): the bigrams of
  each word of the normalized name (legal form, accents, particles and word order removed,
  `normalize.normalize_name`) are hashed into one 1024-bit Bloom filter with k positions per
  bigram by double hashing, g_i = (h1 + i * h2) mod 1024, h1 and h2 HMAC-SHA256 of the bigram
  under two keys derived from the secret. Similar names give similar filters, so the Dice
  coefficient of two CLKs approximates the bigram similarity of the names.
- tax id and the exact name: keyed HMAC-SHA256 (truncated to 128 bits) of the normalized tax
  id (and of a Colombian NIT's alternative base) and of the sorted name words; equal values
  mean equal inputs, nothing else is learned from them without the secret.
- country and kind stay clear (they are needed to compare and say little), so do whether the
  tax id passed its check digit and the record keys (which each country chooses).

Every field gets its own key (HMAC of the secret and the field name), so a value's HMAC in one
field cannot be matched with the same value's in another. `encoding.json` carries the
settings and a keyed fingerprint of the secret, so a linker can check that both parties used
the same secret and settings without learning it.

Linking (`link_encoded`): candidate pairs share a tax-id HMAC, a name HMAC, or one of
`privacy_lsh_bands` Hamming-LSH keys (random bit positions of the CLK, seeded publicly: the
positions reveal nothing the CLK does not); each pair gets the Dice coefficient of its CLKs
(numpy popcount on uint64 words). Pairs are made, scored and thinned a batch at a time, names once
per distinct CLK, so memory follows the pairs that can link (`candidate_pairs`, `privacy_blocks`). A same verified tax id decides; two different valid tax ids
veto (as in clear text); otherwise the Dice coefficient must reach `privacy_dice_threshold`,
with country and kind not contradicting, and a name carried with several different valid tax
ids (known namesakes) never links on the name alone. Clustering is `resolve.cluster`, the same
constrained clustering as in clear text.

Security properties and limits (see docs/link-privacy.md): the linker learns which records
are similar and how similar, never a name or an id, *as long as the secret stays with the
countries*. With the secret a dictionary attack recovers every tax id (few millions of valid
ids) and most names, so the secret must be long, random, exchanged out of band, and rotated
after a linkage. Without the secret, Bloom-filter encodings remain open to frequency and
pattern-mining attacks (Kuzu et al. 2011; Christen et al. 2017-2018): the most frequent
filters and bit patterns map onto the most frequent names and bigrams of a public census or
registry, and Andean surnames are very skewed (QUISPE, MAMANI), which helps the attacker.
Exact HMACs leak equality (and so frequency): the commonest name HMACs are the commonest
names. Hardening not applied here, at some cost in accuracy: balancing, xor-folding, salting
with a stable per-record attribute, random bit noise, or record-level Bloom filters. The scheme
protects against a curious linker; it is no protection against a party that holds the secret.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from filon.detect.parameters import Parameters, defaults
from filon.errors import UsageError
from filon.link import privacy_blocks
from filon.link.memory import entity_ids
from filon.link.normalize import (
    NormalName,
    fold,
    normalize_folded,
    normalize_tax_id_for_matching,
)
from filon.link.records import entity_kind
from filon.link.resolve import cluster_labels

ENCODED_FILE = "encoded.parquet"
SETTINGS_FILE = "encoding.json"
SCHEME_VERSION = "filon-clk-1"
MIN_SECRET_BYTES = 16
ENCODED_SCHEMA = pa.schema([
    ("record_key", pa.string()), ("source_table", pa.string()), ("source_column", pa.string()),
    ("name_clk", pa.string()), ("name_hmac", pa.string()), ("tax_hmac", pa.string()), ("tax_alt_hmac", pa.string()),
    ("tax_valid", pa.bool_()), ("tax_verified", pa.bool_()), ("country", pa.string()), ("kind", pa.string()),
])


def read_secret(path: Path) -> bytes:
    """The shared secret, from a file (never a command-line argument, which other users can see)."""
    try:
        secret = Path(path).read_bytes().strip()
    except FileNotFoundError:
        raise UsageError(f"{path}: secret file not found") from None
    if len(secret) < MIN_SECRET_BYTES:
        raise UsageError(f"{path}: the secret has {len(secret)} bytes; use at least {MIN_SECRET_BYTES} random bytes "
                         "(e.g. `openssl rand -hex 32 > secret.key`), exchanged between the countries out of band")
    return secret


def field_key(secret: bytes, name: str) -> bytes:
    """A key per field, so one value's HMAC in one field never equals its HMAC in another."""
    return hmac.new(secret, f"{SCHEME_VERSION}:{name}".encode(), hashlib.sha256).digest()


def fingerprint(secret: bytes) -> str:
    """A keyed fingerprint: equal for equal secrets, useless to recover the secret."""
    return field_key(secret, "fingerprint").hex()[:16]


def bigrams(tokens: tuple[str, ...]) -> set[str]:
    """Bigrams of each word padded with spaces, so word order does not matter ('QUISPE' -> ' Q', 'QU', ..., 'E ')."""
    return {f" {t} "[i:i + 2] for t in tokens for i in range(len(t) + 1)}


class ClkEncoder:
    """CLK of a set of bigrams by double hashing with two HMAC-SHA256 keys (Schnell et al. 2009)."""

    def __init__(self, secret: bytes, bits: int, hashes: int) -> None:
        if bits % 64:
            raise ValueError("CLK length must be a multiple of 64 bits")
        self.bits, self.hashes = bits, hashes
        self.key1, self.key2 = field_key(secret, "name-clk-1"), field_key(secret, "name-clk-2")

        self._cache: dict[str, list[int]] = {}

    def positions(self, gram: str) -> list[int]:
        """Bit positions of one bigram (cached: a registry has a few thousand distinct bigrams)."""
        found = self._cache.get(gram)
        if found is None:
            found = self._cache[gram] = self._positions(gram)
        return found

    def _positions(self, gram: str) -> list[int]:
        h1 = int.from_bytes(hmac.new(self.key1, gram.encode(), hashlib.sha256).digest()[:8], "big")
        h2 = int.from_bytes(hmac.new(self.key2, gram.encode(), hashlib.sha256).digest()[:8], "big")
        return [(h1 + i * h2) % self.bits for i in range(self.hashes)]

    def encode(self, grams: set[str]) -> bytes:
        bitset = np.zeros(self.bits, dtype=np.uint8)
        for gram in grams:
            bitset[self.positions(gram)] = 1
        return np.packbits(bitset).tobytes()

    def encode_many(self, gram_sets: list[set[str]], chunk: int = 100_000) -> list[str]:
        """`encode` of each set of bigrams, base64: each distinct bigram's filter is made once and a
        CLK is the bitwise OR of its bigrams' filters (numpy, `chunk` CLKs at a time)."""
        index: dict[str, int] = {}
        ids = [[index.setdefault(g, len(index)) for g in grams] for grams in gram_sets]
        own = np.zeros((len(index) + 1, self.bits), dtype=np.uint8)  # the last row: no bigram, no bit
        for gram, i in index.items():
            own[i, self.positions(gram)] = 1
        packed = np.packbits(own, axis=1).view(np.uint64)  # OR 64 bits at a time; the bytes stay in order
        out: list[str] = []
        for s in range(0, len(ids), chunk):
            part = [x or [len(index)] for x in ids[s:s + chunk]]
            offsets = np.cumsum([0] + [len(x) for x in part[:-1]])
            flat = np.fromiter((i for x in part for i in x), dtype=np.int64)
            clks = np.bitwise_or.reduceat(packed[flat], offsets, axis=0) if len(part) else packed[:0]
            out += [base64.b64encode(row.tobytes()).decode() for row in clks]
        return out


    def encode_names(self, names: list[tuple[str, ...]], chunk: int = 100_000) -> list[str]:
        """`encode(bigrams(tokens))` of each name's tokens, base64. A name's bigrams are the union of
        its words' (each word is padded on its own), so its CLK is the OR of its words' CLKs: each
        distinct word (far fewer than names) is encoded once, and names are ORs of uint64 rows."""
        index: dict[str, int] = {}
        ids = [[index.setdefault(w, len(index)) for w in words] for words in names]
        empty = len(index)  # the last row: no word, no bit
        word_clks = self.encode_many([bigrams((w,)) for w in index] + [set()])
        packed = np.frombuffer(b"".join(base64.b64decode(c) for c in word_clks), dtype=np.uint64)
        packed = packed.reshape(empty + 1, -1)
        out: list[str] = []
        for s in range(0, len(ids), chunk):
            part = [x or [empty] for x in ids[s:s + chunk]]
            offsets = np.cumsum([0] + [len(x) for x in part[:-1]])
            flat = np.fromiter((i for x in part for i in x), dtype=np.int64)
            clks = np.bitwise_or.reduceat(packed[flat], offsets, axis=0) if len(part) else packed[:0]
            out += [base64.b64encode(row.tobytes()).decode() for row in clks]
        return out


def keyed_hmac(key: bytes, value: str | None) -> str | None:
    return None if value is None else hmac.digest(key, value.encode(), "sha256")[:16].hex()  # one C call


def encode_rows(raw: list[tuple[Any, ...]], secret: bytes, p: Parameters | None = None) -> pa.Table:
    """Encode raw rows (table, column, key, name, country, kind, tax_id, scheme): no clear name or id remains.

    Each distinct folded name, token list, tax id and value to hash is worked on once (a million
    records hold far fewer), CLKs are made from word CLKs (`ClkEncoder.encode_names`), and the
    columns are filled a column at a time."""
    p = p or defaults("link")
    clk = ClkEncoder(secret, p.privacy_clk_bits, p.privacy_hashes_per_bigram)
    name_key, tax_key = field_key(secret, "name-exact"), field_key(secret, "tax-id")
    collecting = gc.isenabled()
    gc.disable()  # millions of small tuples, no cycles: the collector would rescan them again and again
    try:
        cols: list[Any] = list(zip(*raw)) if raw else [() for _ in range(8)]
        folded: dict[str, NormalName] = {}
        names = {n: folded.get(f) or folded.setdefault(f, normalize_folded(f))
                 for n in dict.fromkeys(cols[3]) for f in (fold(n or ""),)}
        tokens = list(dict.fromkeys(nn.tokens for nn in names.values()))
        clk_of = dict(zip(tokens, clk.encode_names(tokens)))
        name_hmac = {k: keyed_hmac(name_key, k or None) for k in dict.fromkeys(nn.key for nn in names.values())}
        by_name = {n: (clk_of[nn.tokens], name_hmac[nn.key], nn.organisation) for n, nn in names.items()}
        countries = {c: (c or "").strip().upper() or None for c in dict.fromkeys(cols[4])}
        country = [countries[c] for c in cols[4]]
        tax_of = list(zip(cols[6], cols[7], country))
        by_tax: dict[tuple[Any, Any, Any], tuple[Any, ...]] = {}
        tax_hmac: dict[str | None, str | None] = {None: None}
        for t in dict.fromkeys(tax_of):
            tid = normalize_tax_id_for_matching(*t)
            for k in (tid.key, tid.alt_key):
                if k not in tax_hmac:
                    tax_hmac[k] = keyed_hmac(tax_key, k)
            by_tax[t] = (tax_hmac[tid.key], tax_hmac[tid.alt_key], tid.valid, tid.verified)
        # column by column: a few list passes over the rows instead of eleven appends per row
        named = [by_name[n] for n in cols[3]]
        taxed = [by_tax[t] for t in tax_of]
        kinds = {k: entity_kind(*k) for k in dict.fromkeys(zip(cols[5], (x[2] for x in named)))}
        out = {"record_key": list(cols[2]), "source_table": list(cols[0]), "source_column": list(cols[1]),
               "name_clk": [x[0] for x in named], "name_hmac": [x[1] for x in named],
               "tax_hmac": [x[0] for x in taxed], "tax_alt_hmac": [x[1] for x in taxed],
               "tax_valid": [x[2] for x in taxed], "tax_verified": [x[3] for x in taxed], "country": country,
               "kind": [kinds[k] for k in zip(cols[5], (x[2] for x in named))]}
        return pa.table(out, schema=ENCODED_SCHEMA)
    finally:
        if collecting:
            gc.enable()


def write_encoded(table: pa.Table, secret: bytes, out: Path, p: Parameters | None = None) -> None:
    p = p or defaults("link")
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out / ENCODED_FILE)
    (out / SETTINGS_FILE).write_text(json.dumps(encoding_settings(secret, p), indent=1), encoding="utf-8")


def encoding_settings(secret: bytes, p: Parameters) -> dict[str, Any]:
    return {"scheme": SCHEME_VERSION, "clk_bits": p.privacy_clk_bits, "hashes_per_bigram": p.privacy_hashes_per_bigram,
            "secret_fingerprint": fingerprint(secret)}


def read_encoded(folder: Path) -> tuple[pa.Table, dict[str, Any]]:
    folder = Path(folder)
    if not (folder / ENCODED_FILE).exists():
        raise UsageError(f"{folder} holds no {ENCODED_FILE}: make it with 'filon link SOURCE --encode-only'")
    return pq.read_table(folder / ENCODED_FILE), json.loads((folder / SETTINGS_FILE).read_text(encoding="utf-8"))


def check_compatible(settings: list[dict[str, Any]]) -> None:
    """Encodings made with other secrets or settings cannot be compared: say so, never link noise."""
    if any(s != settings[0] for s in settings[1:]):
        raise UsageError("the encodings were made with different secrets or settings "
                         f"({'; '.join(json.dumps(s, sort_keys=True) for s in settings)}); re-encode both with the "
                         "same secret file and parameters")


def clk_matrix(encoded: pa.Table) -> np.ndarray:
    """CLKs as an (n, bits/64) uint64 array, for vectorized popcounts."""
    raw = b"".join(base64.b64decode(s) for s in encoded["name_clk"].to_pylist())
    return np.frombuffer(raw, dtype=">u8").reshape(encoded.num_rows, -1).astype(np.uint64)


def dice(clks: np.ndarray, left: np.ndarray, right: np.ndarray, chunk: int = 1_000_000) -> np.ndarray:
    """Dice coefficient 2|A∩B| / (|A| + |B|) of the CLKs of each pair (left[i], right[i])."""
    ones = np.bitwise_count(clks).sum(axis=1, dtype=np.int64)
    out = np.empty(len(left), dtype=np.float64)
    for s in range(0, len(left), chunk):
        li, ri = left[s:s + chunk], right[s:s + chunk]
        both = np.bitwise_count(clks[li] & clks[ri]).sum(axis=1, dtype=np.int64)
        total = ones[li] + ones[ri]
        out[s:s + chunk] = np.where(total > 0, 2 * both / np.maximum(total, 1), 0.0)
    return out


def lsh_keys(clks: np.ndarray, bands: int, bits_per_band: int, seed: int = 20090101) -> np.ndarray:
    """Hamming LSH: for each band, the CLK's bits at `bits_per_band` random positions as one int64.

    Two CLKs that differ in a share d of their bits agree on a band with probability about
    (1 - d) ** bits_per_band, so similar names meet in some band and unrelated ones rarely do.
    """
    n, words = clks.shape
    rng = np.random.default_rng(seed)
    positions = [rng.choice(words * 64, size=bits_per_band, replace=False) for _ in range(bands)]
    columns = np.ascontiguousarray(clks.T)  # a word of every CLK, contiguous
    out = np.empty((n, bands), dtype=np.int64)
    one = np.uint64(1)
    for b in range(bands):  # bit j of the key: CLK bit positions[b][j] (word p // 64, most significant first)
        key = np.zeros(n, dtype=np.uint64)
        for j, p in enumerate(positions[b].tolist()):
            key |= ((columns[p // 64] >> np.uint64(63 - p % 64)) & one) << np.uint64(j)
        out[:, b] = key
    return out


@dataclass
class LinkedEncoded:
    entity_of: dict[tuple[str, str, str, str], str]   # (party, source_table, source_column, record_key) -> entity
    candidate_pairs: int                               # pairs scored (Dice), repeats across blocks included
    linked_pairs: int
    seconds: dict[str, float] = field(default_factory=dict)


def candidate_pairs(encoded: pa.Table, p: Parameters, tax: np.ndarray, alt: np.ndarray, clk: np.ndarray,
                    namesake: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Index pairs (i < j) that could link, with their Dice coefficients, and how many pairs were scored.

    Records sharing a tax-id HMAC (`tax`, `alt`: codes, -1 for none) are paired and scored as they
    are. Names are compared once per distinct CLK (`clk`: codes; equal names give equal CLKs), among
    the records whose name is no known namesake's (`namesake`: such a name links nothing by itself,
    and the pairs it makes with a shared tax id are the tax-id blocks'): CLKs sharing an LSH band
    key are paired and scored a batch at a time (`privacy_blocks`), and the pairs reaching
    `privacy_dice_threshold` are fanned out to their records, as are the records carrying one CLK
    (Dice 1: the same name). Blocks over `privacy_max_block` are skipped."""
    n = encoded.num_rows
    rows = np.arange(n, dtype=np.int64)
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    scored = 0
    clks = clk_matrix(encoded)
    ones = np.bitwise_count(clks).sum(axis=1, dtype=np.int64)
    both = np.concatenate([tax, alt])
    for left, right in privacy_blocks.block_pairs(both[both >= 0], np.concatenate([rows, rows])[both >= 0],
                                                  np.zeros(int((both >= 0).sum()), np.int64), p.privacy_max_block):
        found.append((left, right, privacy_blocks.dice(clks, ones, left, right)))
        scored += len(left)
    open_rows = rows[~namesake]
    codes_, first = np.unique(clk[open_rows], return_index=True)
    members = privacy_blocks.Members(np.searchsorted(codes_, clk[open_rows]), open_rows, len(codes_))
    left, right = members.within(p.privacy_max_block)
    found.append((left, right, np.ones(len(left))))
    distinct = clks[open_rows[first]]
    keys = lsh_keys(distinct, p.privacy_lsh_bands, p.privacy_lsh_bits_per_band)
    ones = np.bitwise_count(distinct).sum(axis=1, dtype=np.int64)
    similar: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for b in range(keys.shape[1]):
        band = list(privacy_blocks.similar_pairs(keys[:, b], keys[:, (b + 1) % keys.shape[1]], distinct, ones,
                                                 p.privacy_max_block, p.privacy_dice_threshold))
        scored += privacy_blocks.pair_count(keys[:, b], p.privacy_max_block)
        if band:
            similar.append(privacy_blocks.unique_pairs(*(np.concatenate(x) for x in zip(*band)), stable=False))
    if similar:
        a, c, score = privacy_blocks.unique_pairs(*(np.concatenate(x) for x in zip(*similar)), stable=False)
        left, right, k = members.cross(a, c)
        found.append((left, right, score[k]))
    return (*privacy_blocks.unique_pairs(*(np.concatenate(x) for x in zip(*found))), scored)


def same_tax(tax: np.ndarray, alt: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Whether each pair shares a tax-id HMAC (or a bare NIT's other reading)."""
    has_tax = (tax[left] >= 0) & (tax[right] >= 0)
    return has_tax & ((tax[left] == tax[right]) | (alt[left] == tax[right]) & (alt[left] >= 0)
                      | (tax[left] == alt[right]) & (alt[right] >= 0))


def link_encoded(parties: list[pa.Table], p: Parameters | None = None, names: list[str] | None = None) -> LinkedEncoded:
    """Link encoded records of several parties (within and across) into entities."""
    p = p or defaults("link")
    names = names or [chr(ord("A") + i) for i in range(len(parties))]
    t0 = time.perf_counter()
    encoded = pa.concat_tables(parties)
    n = encoded.num_rows
    party = np.repeat(np.array(names, dtype=object), [t.num_rows for t in parties])
    col = codes(encoded, (("tax_hmac", "tax_alt_hmac"), ("name_hmac",), ("country",), ("kind",), ("name_clk",)))
    tax, alt = col["tax_hmac"], col["tax_alt_hmac"]
    valid = np.asarray(encoded["tax_valid"].fill_null(False), dtype=bool)
    namesake = _namesakes(col["name_hmac"], tax, valid & (alt < 0))
    left, right, score, scored = candidate_pairs(encoded, p, tax, alt, col["name_clk"], namesake)
    t1 = time.perf_counter()
    verified = np.asarray(encoded["tax_verified"].fill_null(False), dtype=bool)
    has_tax = (tax[left] >= 0) & (tax[right] >= 0)
    shared = same_tax(tax, alt, left, right)
    vetoed = valid[left] & valid[right] & has_tax & ~shared & (alt[left] < 0) & (alt[right] < 0)
    decisive = shared & verified[left] & verified[right]
    conflict = np.zeros(len(left), dtype=bool)
    for c in ("country", "kind"):
        a, b = col[c][left], col[c][right]
        conflict |= (a >= 0) & (b >= 0) & (a != b)
    common = namesake[left] | namesake[right]
    by_name = (score >= p.privacy_dice_threshold) & ~conflict & ~common
    by_tax = shared & (score >= p.privacy_dice_with_tax_id)
    keep = ~vetoed & (decisive | by_name | by_tax)
    prob = np.where(decisive, 1.0, np.where(by_tax, np.maximum(score, p.match_threshold), score))
    # constrained clustering (`resolve.cluster_labels`, as `resolve.cluster` runs it), ids by smallest member
    ids = [str(i) for i in range(n)]
    decisive_tax = np.where(valid & (alt < 0), tax, -1)
    labels = cluster_labels(n, left[keep], right[keep], prob[keep], np.zeros(int(keep.sum()), dtype=bool), 0.0,
                            decisive_tax, [], np.full(n, -1, dtype=np.int64), ids)
    entity = entity_ids(pa.table({"unique_id": pa.array(ids, pa.string())}), labels).to_pylist()
    keys = zip(party, *(encoded[c].to_pylist() for c in ("source_table", "source_column", "record_key")))
    return LinkedEncoded(dict(zip(keys, entity)), scored, int(keep.sum()),
                         {"block": t1 - t0, "score_cluster": time.perf_counter() - t1})


def codes(table: pa.Table, groups: tuple[tuple[str, ...], ...]) -> dict[str, np.ndarray]:
    """Columns as int64 codes (-1 for null); columns of one group share a dictionary, so codes compare."""
    out = {}
    for group in groups:
        values = pa.chunked_array([c for name in group for c in table[name].cast(pa.string()).chunks], pa.string())
        encoded = values.dictionary_encode().combine_chunks().indices
        flat = np.asarray(encoded.fill_null(-1), dtype=np.int64)
        for k, name in enumerate(group):
            out[name] = flat[k * table.num_rows:(k + 1) * table.num_rows]
    return out


def _namesakes(name: np.ndarray, tax: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Per record: is its name carried with two or more different valid tax ids (known namesakes)?
    Such a name never links on the name alone."""
    keep = (name >= 0) & (tax >= 0) & valid
    pairs = np.unique(np.stack([name[keep], tax[keep]], axis=1), axis=0)
    names, counts = np.unique(pairs[:, 0], return_counts=True) if len(pairs) else (np.array([], np.int64),) * 2
    return np.isin(name, names[counts > 1]) & (name >= 0)


def encode_source(source: Path, secret_file: Path, out: Path, params: Path | None = None) -> int:
    """Encode every party named in a workspace or package folder into `out`; return the record count."""
    import tempfile

    from filon.detect.parameters import load_overrides, resolve
    from filon.link.pipeline import open_workspace
    from filon.link.records import read_sources

    p = resolve("link", load_overrides(params) if params else None)
    secret = read_secret(secret_file)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".filon-encode-", dir=out) as tmp:
        ws, _ = open_workspace(Path(source), Path(tmp), lambda _m: None)
        con = ws.connect()
        try:
            raw = read_sources(con)
        finally:
            con.close()
    write_encoded(encode_rows(raw, secret, p), secret, out, p)
    return len(raw)


ENTITY_COLUMNS = ("party", "source_table", "source_column", "record_key", "entity_id")


def link_encoded_folders(folders: list[Path], out: Path, params: Path | None = None) -> LinkedEncoded:
    """Link the encodings in `folders` (one per party, named by folder) and write OUT/entities.csv."""
    import csv

    from filon.detect.parameters import load_overrides, resolve

    if len(folders) < 2:
        raise UsageError("privacy-preserving linkage needs the encodings of at least two parties")
    p = resolve("link", load_overrides(params) if params else None)
    loaded = [read_encoded(f) for f in folders]
    check_compatible([s for _t, s in loaded])
    names = [Path(f).name for f in folders]
    if len(set(names)) < len(names):
        names = [f"{i + 1}-{n}" for i, n in enumerate(names)]
    result = link_encoded([t for t, _s in loaded], p, names)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "entities.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(ENTITY_COLUMNS)
        writer.writerows((*key, entity) for key, entity in result.entity_of.items())
    return result
