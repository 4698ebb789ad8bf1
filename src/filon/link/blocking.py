"""Candidate pairs: which signatures Splink compares at all (blocking), made with numpy.

Comparing every pair is quadratic; blocking on a shared word, or on pairs of rare words, is
still quadratic inside the blocks of common words (QUISPE, MINERA, SANTO DOMINGO) and made
15 million pairs of 100,000 records, most of them hopeless. Here each *distinct name* gets
keys that two spellings of one party share, and that few other names share:

- the same words (any order);
- one name's words with one word left out equal to the other's (a given name dropped);
- one word within one typo, the other words equal: the name without that word with the word
  or the word minus one letter (a slip in one word, "deletion neighbourhood" of SymSpell),
  for words of three to seven letters;
- every word's first or last letters (three from five letters, else two), one choice per word
  (two typos in two words, or two in one word, keep one end of each word: "MCHNCA COLQUE"
  meets "MACHACA COLQUE"), with
  or without one word left out (typos and a given name dropped, persons' names only), for
  names of up to six words;
- the same tax id (or a bare NIT's alternative base).

Keys are 56-bit hashes (DuckDB's, once per distinct word), and the key of a set of words is the
sum of its words' hashes, so the word order never matters and nothing is sorted: every key of
every name is a vector operation. Pairs within a key are made per block size (a block of s names
gives its s(s-1)/2 pairs at once), found once per distinct name and then expanded to the
signatures carrying the names. Splink scores exactly these pairs (`splink_pairs`, registered as its
blocked pairs). A key shared by more than
`link.block_max_names` names (or a tax id on more signatures) says nothing about identity
(a placeholder id, a word every firm uses) and is skipped; so is a word-end key shared by more
than `link.block_max_fuzzy` names (QU< MA< JU< is every QUISPE MAMANI JUAN, JULIO, JUANA...:
a name that common, misspelt twice, is not told from its namesakes anyway), which keeps the
pairs near-linear in the records. On the labelled benchmark this
keeps 98 % of the true pairs across spellings with 3 % of the pairs of the earlier blocking
(rare word pairs and their fuzzy ends).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Longest names given word-end keys (2**words of them), and with a word left out (words * 2**(words - 1)).
MAX_ENDS_WORDS, MIN_DROP_ENDS_WORDS, MAX_DROP_ENDS_WORDS = 6, 4, 5
#: Words of these lengths get one-typo keys: shorter ones have too many neighbours, longer ones keep
#: their first or last three letters through a typo, which the word-end keys already use.
TYPO_WORD_LENGTHS = (3, 7)
#: A slip (a letter changed, added, dropped, or two swapped) leaves the first or the last e letters of
#: a word of at least 2e + 1 letters as they were. Three letters from five-letter words on: two
#: letters would be safe for five and six letters, but QU< MA< JU< is shared by so many names that a
#: million records made 16 million candidate pairs; a slip in the middle of a five- or six-letter
#: word (DOARDO, DORADO) is still found by the one-typo keys when it is the name's only one.
END_LETTERS = "CASE WHEN length(w) >= 5 THEN 3 ELSE 2 END"

WORDS_SQL = """
SELECT (hash(w) >> 8)::BIGINT AS hw,
       (hash(CASE WHEN length(w) <= 3 THEN w ELSE left(w, {e}) || '<' END) >> 8)::BIGINT AS hp,
       (hash(CASE WHEN length(w) <= 3 THEN w ELSE '>' || right(w, {e}) END) >> 8)::BIGINT AS hs
FROM _words ORDER BY i
"""
VARIANTS_SQL = """
SELECT DISTINCT i, (hash(v) >> 8)::BIGINT AS hv FROM (
    SELECT i, unnest(list_append(list_transform(range(1, length(w) + 1), j -> w[:j - 1] || w[j + 1:]), w)) AS v
    FROM _words WHERE length(w) BETWEEN {lo} AND {hi})
ORDER BY i
"""
_EMPTY = np.zeros(0, dtype=np.int64)


def candidate_pairs(signatures: pa.Table, max_block: int, max_fuzzy_block: int, is_new: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (left, right) of rows of `signatures` (left < right); with `is_new`, only
    pairs with at least one new row. Reads `name_key`, `organisation`, `tax_key` and `tax_alt`.
    Keys shared by more than `max_block` names (`max_fuzzy_block` for word-end keys) are skipped."""
    names = pc.dictionary_encode(signatures["name_key"].combine_chunks())
    name_of = np.asarray(names.indices.fill_null(-1), dtype=np.int64)
    person = np.zeros(len(names.dictionary), dtype=bool)
    is_person = ~np.asarray(signatures["organisation"].fill_null(True), dtype=bool) & (name_of >= 0)
    person[name_of[is_person]] = True
    a, b = _name_pairs(names.dictionary, person, max_block, max_fuzzy_block)
    # signatures carrying each name: pairs across the two names of a name pair, and within a name
    by_name = _Groups(name_of, np.arange(len(name_of), dtype=np.int64), skip_negative=True)
    # the same tax id (or a bare NIT's other reading)
    n = signatures.num_rows
    tax = pc.dictionary_encode(pa.chunked_array(signatures["tax_key"].chunks + signatures["tax_alt"].chunks,
                                                pa.string()).combine_chunks())
    codes = np.asarray(tax.indices.fill_null(-1), dtype=np.int64)
    rows = np.concatenate([np.arange(n), np.arange(n)])
    found = [by_name.cross(a, b), by_name.within(cap=None),
             _Groups(codes, rows, skip_negative=True).within(cap=max_block)]
    left, right = _unique_pairs(np.concatenate([x for x, _ in found]), np.concatenate([y for _, y in found]))
    if is_new is not None:
        keep = is_new[left] | is_new[right]
        left, right = left[keep], right[keep]
    return left, right


def splink_input(signatures: pa.Table) -> pa.Table:
    """`signatures` with `name_words`, `name_fuzzy`, `name_fuzzy_words` (the name key again, one
    column per frequency table, `model.TF_COLUMNS`)."""
    out = signatures
    for col in ("name_words", "name_fuzzy", "name_fuzzy_words"):
        out = out.append_column(col, signatures["name_key"])
    return out


def splink_pairs(signatures: pa.Table, left: np.ndarray, right: np.ndarray) -> pa.Table:
    """The candidate pairs as Splink's blocked-pairs table (`join_key_l`, `join_key_r`: unique ids,
    the smaller on the left as Splink orders them), registered for Splink to score exactly these."""
    ids = signatures["unique_id"].combine_chunks()
    lo, hi = ids.take(pa.array(left)), ids.take(pa.array(right))
    swap = pc.greater(lo, hi)
    return pa.table({"match_key": pa.array(np.zeros(len(left), dtype=np.int64)).cast(pa.string()),
                     "join_key_l": pc.if_else(swap, hi, lo), "join_key_r": pc.if_else(swap, lo, hi)})


class _Groups:
    """Values grouped by an integer key: the blocks of a blocking key."""

    def __init__(self, key: np.ndarray, value: np.ndarray, skip_negative: bool = False) -> None:
        if skip_negative:
            keep = key >= 0
            key, value = key[keep], value[keep]
        order = np.argsort(key)  # a value repeated in a block only adds pairs dropped later
        self.key, self.value = key[order], value[order]
        self.starts = np.flatnonzero(np.concatenate([[True], self.key[1:] != self.key[:-1]])) if len(self.key) \
            else _EMPTY
        self.sizes = np.diff(np.concatenate([self.starts, [len(self.key)]])) if len(self.key) else _EMPTY
        self.keys = self.key[self.starts]

    def within(self, cap: int | None) -> tuple[np.ndarray, np.ndarray]:
        """Every pair of values sharing a key, for keys held by at most `cap` values."""
        lefts, rights = [_EMPTY], [_EMPTY]
        for size in np.unique(self.sizes):
            if size < 2 or (cap is not None and size > cap):
                continue
            members = self.value[self.starts[self.sizes == size][:, None] + np.arange(size)]
            i, j = np.triu_indices(size, 1)
            lefts.append(members[:, i].ravel())
            rights.append(members[:, j].ravel())
        return np.concatenate(lefts), np.concatenate(rights)

    def block(self, keys: np.ndarray, cap: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """For each of `keys`: the start and size of its block (size 0 when absent or over `cap`)."""
        at = np.searchsorted(self.keys, keys)
        at = np.minimum(at, max(len(self.keys) - 1, 0))
        found = (self.keys[at] == keys) if len(self.keys) else np.zeros(len(keys), dtype=bool)
        size = np.where(found, self.sizes[at] if len(self.sizes) else 0, 0)
        if cap is not None:
            size = np.where(size > cap, 0, size)
        return (self.starts[at] if len(self.starts) else np.zeros(len(keys), np.int64)), size

    def cross(self, a: np.ndarray, b: np.ndarray, other: _Groups | None = None, cap: int | None = None,
              other_cap: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Every pair (x, y), x in block a[i] of these groups and y in block b[i] of `other` (these by default)."""
        other = other or self
        sa, na = self.block(a, cap)
        sb, nb = other.block(b, other_cap)
        lefts, rights = [_EMPTY], [_EMPTY]
        both = (na > 0) & (nb > 0)
        sa, na, sb, nb = sa[both], na[both], sb[both], nb[both]
        shape = na << 32 | nb
        for code in np.unique(shape):
            x, y = int(code >> 32), int(code & 0xFFFFFFFF)
            which = shape == code
            left = self.value[sa[which][:, None] + np.arange(x)]
            right = other.value[sb[which][:, None] + np.arange(y)]
            lefts.append(np.repeat(left, y, axis=1).ravel())
            rights.append(np.tile(right, (1, x)).ravel())
        return np.concatenate(lefts), np.concatenate(rights)


def _unique_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs with the smaller index first, without self-pairs or repeats, in order."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keep = lo != hi
    code = np.sort(lo[keep].astype(np.int64) << 32 | hi[keep].astype(np.int64))
    code = code[np.concatenate([[True], code[1:] != code[:-1]])] if len(code) else code
    return code >> 32, code & 0xFFFFFFFF


def _name_pairs(names: pa.Array, person: np.ndarray, max_block: int, max_fuzzy_block: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of distinct names (indices into `names`, whose words are sorted and space-separated)
    sharing a key; see the module's docstring. Word ends with a word left out are only keys of
    persons' names (`person`): a firm's name less a word is another firm's."""
    n = len(names)
    if not n:
        return _EMPTY, _EMPTY
    tokens = pc.split_pattern(names, " ")
    offsets = np.asarray(tokens.offsets, dtype=np.int64)
    enc = pc.dictionary_encode(pc.list_flatten(tokens))
    word = np.asarray(enc.indices, dtype=np.int64)
    con = duckdb.connect()
    try:
        con.register("_words", pa.table({"i": np.arange(len(enc.dictionary), dtype=np.int64), "w": enc.dictionary}))
        wh = con.execute(WORDS_SQL.format(e=END_LETTERS)).fetchnumpy()
        var = con.execute(VARIANTS_SQL.format(lo=TYPO_WORD_LENGTHS[0], hi=TYPO_WORD_LENGTHS[1])).fetchnumpy()
    finally:
        con.close()
    k = np.diff(offsets)
    name_of = np.repeat(np.arange(n, dtype=np.int64), k)
    hw, hp, hs = (np.asarray(wh[c], dtype=np.int64)[word] for c in ("hw", "hp", "hs"))
    tot = np.add.reduceat(hw, offsets[:-1])
    keys: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {t: ([], []) for t in ("ends", "drop_ends")}
    for words in range(1, MAX_ENDS_WORDS + 1):
        which = np.flatnonzero(k == words)
        if not len(which):
            continue
        at = offsets[which][:, None] + np.arange(words)
        ps, ss = hp[at], hs[at]
        short = ps == ss  # a word of three letters or less is its own end: one key, not two
        for m in range(1 << words):
            bits = ((m >> np.arange(words)) & 1).astype(bool)
            combo = np.where(bits, ss, ps).sum(axis=1)
            first = ~(short & bits).any(axis=1)
            keys["ends"][0].append(which[first])
            keys["ends"][1].append(combo[first])
            if MIN_DROP_ENDS_WORDS <= words <= MAX_DROP_ENDS_WORDS:
                for d in range(words):
                    if not (m >> d) & 1:
                        keep = person[which] & ~(short & bits & (np.arange(words) != d)).any(axis=1)
                        keys["drop_ends"][0].append(which[keep])
                        keys["drop_ends"][1].append((combo - ps[:, d])[keep])
    ends = _Groups(np.concatenate(keys["ends"][1]), np.concatenate(keys["ends"][0]))
    drop_ends = _Groups(np.concatenate(keys["drop_ends"][1] or [_EMPTY]), np.concatenate(keys["drop_ends"][0] or [_EMPTY]))
    # the words less one (names of three words or more) against the words of another name
    long_names = k[name_of] >= 3
    dropped = _Groups((tot[name_of] - hw)[long_names], name_of[long_names])
    exact = _Groups(tot, np.arange(n, dtype=np.int64))
    # one word within one typo, the other words equal: (the other words, the word or the word less a letter)
    var_word, var_hash = np.asarray(var["i"], dtype=np.int64), np.asarray(var["hv"], dtype=np.int64)
    starts = np.searchsorted(var_word, np.arange(len(enc.dictionary) + 1))
    count = np.diff(starts)[word]
    tok = np.repeat(np.arange(len(word)), count)
    within = np.arange(len(tok)) - np.repeat(np.cumsum(count) - count, count)
    rest = (tot[name_of] - hw)[tok].astype(np.uint64)
    with np.errstate(over="ignore"):
        mixed = rest * np.uint64(0x9E3779B97F4A7C15) + var_hash[starts[word][tok] + within].astype(np.uint64)
    typo = _Groups(mixed.view(np.int64), name_of[tok])
    pairs = [ends.within(max_fuzzy_block), typo.within(max_block),
             drop_ends.cross(drop_ends.keys, drop_ends.keys, other=ends, cap=max_fuzzy_block, other_cap=max_fuzzy_block),
             dropped.cross(dropped.keys, dropped.keys, other=exact, cap=max_block)]
    return _unique_pairs(np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs]))
