"""Name and tax-id matching for screening parties against watch lists.

Why a module of its own: matching is where screening goes wrong both ways (a missed listed owner,
or a miner named like a listed smuggler), so the rules are small, explicit and tested here:

- tax ids are compared after normalisation (separators, a leading country prefix and a Colombian
  check digit do not matter); equal ids decide a match, two different ids decide a non-match;
- names are transliterated to ASCII (`rigour`), case-folded, stripped of punctuation, legal forms
  (S.A.C., E.I.R.L., S.R.L., LTDA, CIA., S.A.S., C.I. ...) and particles (de, la, y ...), and
  compared as *sets* of tokens, so "QUISPE MAMANI, Juan Carlos" equals "Juan Carlos Quispe Mamani";
- two tokens are the same when equal or within a small edit distance (rigour's Levenshtein
  distance: one edit per five characters, at most two), so "WILBER" never passes for "WALTER";
- the similarity of two names is the share of their characters covered by matched tokens, on
  both sides, so extra words ("COMERCIALIZADORA", "TRADING") count against a match;
- candidates are found by blocking on the phonetic key (metaphone) of each token: the cost grows
  with the number of names, not with the product of names and list entries.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from rigour.names import remove_org_types
from rigour.text import ascii_text, levenshtein, metaphone

#: Legal-form and designation tokens (after dots are collapsed) that say nothing about identity.
LEGAL_FORMS = frozenset({
    "sac", "saa", "sa", "eirl", "srl", "ltda", "ltd", "limitada", "cia", "sas", "ci", "spa", "sl", "inc",
    "llc", "fze", "fzco", "dmcc", "corp", "gmbh", "ag", "bv", "plc", "pvt", "sacs", "scrl", "eu", "ep",
    "co", "company", "limited", "sociedad", "anonima", "cerrada", "rl", "cv",
})
#: Particles of Spanish and Portuguese names and firms; too common to identify anyone.
PARTICLES = frozenset({"de", "del", "la", "las", "los", "el", "y", "e", "da", "do", "dos", "das", "the",
                       "of", "and", "en"})
_DOTTED = re.compile(r"\b(?:[A-Za-z]\.){2,}(?:[A-Za-z]\b\.?)?")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_MAX_NAME = 300  # characters; longer "names" are truncated (hostile or garbled input)


@lru_cache(maxsize=65536)
def name_tokens(name: str | None) -> tuple[str, ...]:
    """Sorted identity tokens of a name: ASCII, lower case, no punctuation, legal forms or particles."""
    if not name:
        return ()
    text = _ascii(str(name)[:_MAX_NAME])
    text = _DOTTED.sub(lambda m: m.group().replace(".", ""), text)
    text = _NON_WORD.sub(" ", text.lower())
    text = remove_org_types(text, replacement=" ")
    tokens = [t for t in text.split() if t not in LEGAL_FORMS and t not in PARTICLES]
    return tuple(sorted(tokens))


#: Anything but ASCII and the Latin letters of U+00C0-U+024F (Ñ, É, Ç, Ã, Ø, Ł ...).
_NOT_LATIN = re.compile(r"[^\x00-\x7f" + "".join(
    c for c in map(chr, range(0xC0, 0x250)) if unicodedata.category(c).startswith("L")) + "]")


def _ascii(text: str) -> str:
    """`ascii_text(text)`, word by word through a cache when the text is ASCII and Latin letters.

    rigour transliterates a string it has not seen in ~20 µs per character, so screening a
    country's actors spent seconds on accented names, whose words repeat far more than the names
    (3,350 accented names, 391 distinct words). A word of those letters transliterates alone as it
    does in its name (each of them maps to ASCII, tested); other scripts go whole, since their
    rules look across words and a string that mixes scripts is transliterated differently."""
    if text.isascii():
        return text  # what ascii_text returns, without the call
    if _NOT_LATIN.search(text):
        return ascii_text(text)
    return " ".join(map(_ascii_word, text.split(" ")))


@lru_cache(maxsize=65536)
def _ascii_word(word: str) -> str:
    return ascii_text(word)


def token_similarity(a: str, b: str) -> float:
    """1 for equal tokens, Levenshtein similarity within 20 % edits, else 0 (digits must be equal)."""
    if a == b:
        return 1.0
    if a.isdigit() or b.isdigit() or min(len(a), len(b)) < 4:
        return 0.0
    longest = max(len(a), len(b))
    edits = levenshtein(a, b)
    if edits > min(2, max(1, int(longest * 0.2))):
        return 0.0
    return 1.0 - edits / longest


@dataclass(frozen=True)
class NameMatch:
    similarity: float  # 0..1, share of both names' characters covered by matched tokens
    pairs: tuple[tuple[str, str, float], ...]  # matched (token, token, similarity)
    unmatched: tuple[str, ...]  # tokens of either name left without a partner


def compare_names(left: tuple[str, ...], right: tuple[str, ...]) -> NameMatch:
    """Greedy best-pair alignment of two token sets (order-free), weighted by token length."""
    if not left or not right:
        return NameMatch(0.0, (), left + right)
    scored = sorted(((token_similarity(a, b), -(len(a) + len(b)), i, j)
                     for i, a in enumerate(left) for j, b in enumerate(right)), reverse=True)
    used_l: set[int] = set()
    used_r: set[int] = set()
    pairs = []
    covered = 0.0
    for sim, _, i, j in scored:
        if sim <= 0 or i in used_l or j in used_r:
            continue
        used_l.add(i)
        used_r.add(j)
        pairs.append((left[i], right[j], round(sim, 3)))
        covered += sim * (len(left[i]) + len(right[j]))
    total = sum(map(len, left)) + sum(map(len, right))
    unmatched = tuple(t for i, t in enumerate(left) if i not in used_l) + tuple(
        t for j, t in enumerate(right) if j not in used_r)
    return NameMatch(covered / total, tuple(pairs), unmatched)


_NOT_ALNUM = re.compile(r"[^A-Z0-9]")
_COUNTRY_PREFIX = re.compile(r"^[A-Z]{2}(?=\d)")
_CHECK_DIGIT = re.compile(r"[\d.\s]+-\s*\d")


def tax_keys(value: str | None) -> frozenset[str]:
    """Spellings under which a tax id matches: alphanumerics only, without a leading country prefix,
    and for a dashed id (Colombian NIT with check digit) also the base before the dash."""
    if not value:
        return frozenset()
    text = str(value).strip().upper()[:64]
    keys = set()
    base = text.split("-")[0] if text.count("-") == 1 and _CHECK_DIGIT.fullmatch(text) else None
    for raw in (text, base):
        if raw:
            key = _COUNTRY_PREFIX.sub("", _NOT_ALNUM.sub("", raw))
            if len(key) >= 4:
                keys.add(key)
    return frozenset(keys)


def same_tax_id(a: frozenset[str], b: frozenset[str]) -> bool | None:
    """True when the ids agree, False when both are given and differ, None when one is missing.

    A Colombian NIT written without its check digit agrees with the same base written with it
    (`860002964` and `8600029644` / `860002964-4`)."""
    if not a or not b:
        return None
    if a & b:
        return True
    return any(len(x) == len(y) + 1 and x.startswith(y) and x.isdigit() for x in a for y in b) or any(
        len(y) == len(x) + 1 and y.startswith(x) and y.isdigit() for x in a for y in b)


@dataclass
class ListEntry:
    entry_id: str
    name: str
    kind: str | None
    country: str | None
    tax_id: str | None
    list_name: str | None
    reason: str | None
    source_file: str | None = None
    source_row: int | None = None
    tokens: tuple[str, ...] = field(default=())
    taxes: frozenset[str] = field(default=frozenset())


class WatchList:
    """List entries indexed by tax-id key and by the phonetic key of each name token."""

    def __init__(self, entries: Iterable[ListEntry], max_block: int) -> None:
        self.entries: list[ListEntry] = []
        self.by_tax: dict[str, list[int]] = defaultdict(list)
        self.by_key: dict[str, list[int]] = defaultdict(list)
        self.max_block = max_block
        for e in entries:
            e.tokens = name_tokens(e.name)
            e.taxes = tax_keys(e.tax_id)
            n = len(self.entries)
            self.entries.append(e)
            for k in e.taxes:
                self.by_tax[k].append(n)
            for k in {phonetic_key(t) for t in e.tokens}:
                self.by_key[k].append(n)

    def candidates(self, tokens: tuple[str, ...], taxes: frozenset[str]) -> list[ListEntry]:
        """Entries sharing a tax-id key, or a phonetic key of a name token. Keys shared by more than
        `max_block` entries (very common words) are used only when the name has no rarer key."""
        found: set[int] = {i for k in taxes for i in self.by_tax.get(k, ())}
        blocks = [self.by_key[k] for k in {phonetic_key(t) for t in tokens} if k in self.by_key]
        rare = [b for b in blocks if len(b) <= self.max_block]
        for block in rare or sorted(blocks, key=len)[:1]:
            found.update(block)
        return [self.entries[i] for i in sorted(found)]


@lru_cache(maxsize=65536)
def phonetic_key(token: str) -> str:
    """Metaphone of a token (digits and tokens without a key stand for themselves). Cached: a
    country's names share few words, and screening all its actors asks for each many times."""
    return (metaphone(token) if not token.isdigit() else "") or token
