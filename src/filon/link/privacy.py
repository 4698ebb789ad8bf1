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
(numpy popcount on uint64 words). A same verified tax id decides; two different valid tax ids
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
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from filon.detect.parameters import Parameters, defaults
from filon.errors import UsageError
from filon.link.normalize import normalize_name, normalize_tax_id_for_matching
from filon.link.records import entity_kind
from filon.link.resolve import Pair, cluster, entity_id_for

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


def keyed_hmac(key: bytes, value: str | None) -> str | None:
    return None if value is None else hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]


def encode_rows(raw: list[tuple[Any, ...]], secret: bytes, p: Parameters | None = None) -> pa.Table:
    """Encode raw rows (table, column, key, name, country, kind, tax_id, scheme): no clear name or id remains."""
    p = p or defaults("link")
    clk = ClkEncoder(secret, p.privacy_clk_bits, p.privacy_hashes_per_bigram)
    name_key, tax_key = field_key(secret, "name-exact"), field_key(secret, "tax-id")
    cache: dict[tuple[str, ...], str] = {}
    out: dict[str, list[Any]] = {f.name: [] for f in ENCODED_SCHEMA}
    for table, column, key, name, country, kind, tax_id, scheme in raw:
        nn = normalize_name(name)
        country = (country or "").strip().upper() or None
        tid = normalize_tax_id_for_matching(tax_id, scheme, country)
        if nn.tokens not in cache:
            cache[nn.tokens] = base64.b64encode(clk.encode(bigrams(nn.tokens))).decode()
        values = {"record_key": key, "source_table": table, "source_column": column, "name_clk": cache[nn.tokens],
                  "name_hmac": keyed_hmac(name_key, nn.key or None), "tax_hmac": keyed_hmac(tax_key, tid.key),
                  "tax_alt_hmac": keyed_hmac(tax_key, tid.alt_key), "tax_valid": tid.valid,
                  "tax_verified": tid.verified, "country": country, "kind": entity_kind(kind, nn.organisation)}
        for k, v in values.items():
            out[k].append(v)
    return pa.table(out, schema=ENCODED_SCHEMA)


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
    bits = np.unpackbits(clks.astype(">u8").view(np.uint8).reshape(n, words * 8), axis=1)
    rng = np.random.default_rng(seed)
    out = np.empty((n, bands), dtype=np.int64)
    weights = (1 << np.arange(bits_per_band, dtype=np.int64))
    for b in range(bands):
        positions = rng.choice(bits.shape[1], size=bits_per_band, replace=False)
        out[:, b] = bits[:, positions].astype(np.int64) @ weights
    return out


@dataclass
class LinkedEncoded:
    entity_of: dict[tuple[str, str, str, str], str]   # (party, source_table, source_column, record_key) -> entity
    candidate_pairs: int
    linked_pairs: int
    seconds: dict[str, float] = field(default_factory=dict)


def candidate_pairs(encoded: pa.Table, clks: np.ndarray, p: Parameters) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i < j) sharing a tax-id HMAC, a name HMAC or an LSH band key; huge blocks skipped."""
    keys = lsh_keys(clks, p.privacy_lsh_bands, p.privacy_lsh_bits_per_band)
    n = encoded.num_rows
    idx = np.repeat(np.arange(n, dtype=np.int64), keys.shape[1])
    band = np.tile(np.arange(keys.shape[1], dtype=np.int64), n)
    con = duckdb.connect()
    try:
        lsh = pa.table({"i": idx, "block": (band << 40) ^ keys.reshape(-1)})
        exact = pa.table({"i": np.arange(n, dtype=np.int64), "tax": encoded["tax_hmac"], "alt": encoded["tax_alt_hmac"],
                          "nm": encoded["name_hmac"]})
        con.register("lsh", lsh)
        con.register("exact", exact)
        cap = p.privacy_max_block
        rows = con.execute(f"""
            WITH blocks AS (
                SELECT i, 'l' || block::VARCHAR AS k FROM lsh
                UNION ALL SELECT i, 't' || tax FROM exact WHERE tax IS NOT NULL
                UNION ALL SELECT i, 't' || alt FROM exact WHERE alt IS NOT NULL
                UNION ALL SELECT i, 'n' || nm FROM exact WHERE nm IS NOT NULL),
            small AS (SELECT k FROM blocks GROUP BY k HAVING count(*) BETWEEN 2 AND {cap})
            SELECT DISTINCT a.i AS l, b.i AS r FROM blocks a JOIN small USING (k) JOIN blocks b USING (k)
            WHERE a.i < b.i""").to_arrow_table()
    finally:
        con.close()
    return rows["l"].to_numpy(), rows["r"].to_numpy()


def link_encoded(parties: list[pa.Table], p: Parameters | None = None, names: list[str] | None = None) -> LinkedEncoded:
    """Link encoded records of several parties (within and across) into entities."""
    p = p or defaults("link")
    names = names or [chr(ord("A") + i) for i in range(len(parties))]
    t0 = time.perf_counter()
    encoded = pa.concat_tables(parties)
    party = np.repeat(np.array(names, dtype=object), [t.num_rows for t in parties])
    clks = clk_matrix(encoded)
    left, right = candidate_pairs(encoded, clks, p)
    t1 = time.perf_counter()
    score = dice(clks, left, right)
    col = codes(encoded, (("tax_hmac", "tax_alt_hmac"), ("name_hmac",), ("country",), ("kind",)))
    valid = np.asarray(encoded["tax_valid"].fill_null(False), dtype=bool)
    verified = np.asarray(encoded["tax_verified"].fill_null(False), dtype=bool)
    tax, alt = col["tax_hmac"], col["tax_alt_hmac"]
    has_tax = (tax[left] >= 0) & (tax[right] >= 0)
    same_tax = has_tax & ((tax[left] == tax[right]) | (alt[left] == tax[right]) & (alt[left] >= 0)
                          | (tax[left] == alt[right]) & (alt[right] >= 0))
    vetoed = valid[left] & valid[right] & has_tax & ~same_tax & (alt[left] < 0) & (alt[right] < 0)
    decisive = same_tax & verified[left] & verified[right]
    conflict = np.zeros(len(left), dtype=bool)
    for c in ("country", "kind"):
        a, b = col[c][left], col[c][right]
        conflict |= (a >= 0) & (b >= 0) & (a != b)
    namesake = _namesakes(col["name_hmac"], tax, valid & (alt < 0))
    common = namesake[left] | namesake[right]
    by_name = (score >= p.privacy_dice_threshold) & ~conflict & ~common
    by_tax = same_tax & (score >= p.privacy_dice_with_tax_id)
    keep = ~vetoed & (decisive | by_name | by_tax)
    prob = np.where(decisive, 1.0, np.where(by_tax, np.maximum(score, p.match_threshold), score))
    keys = list(zip(party, *(encoded[c].to_pylist() for c in ("source_table", "source_column", "record_key"))))
    pairs = [Pair(str(i), str(j), float(s), "") for i, j, s in zip(left[keep], right[keep], prob[keep])]
    tax_keys = {str(i): (str(t) if v and a < 0 else None) for i, (t, a, v) in enumerate(zip(tax, alt, valid))}
    clusters = cluster([str(i) for i in range(len(keys))], pairs, 0.0, tax_keys, set())
    entity = {k: entity_id_for(clusters[str(i)].members) for i, k in enumerate(keys)}
    return LinkedEncoded(entity, len(left), len(pairs), {"block": t1 - t0, "score_cluster": time.perf_counter() - t1})


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
