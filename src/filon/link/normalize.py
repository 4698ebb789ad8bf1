"""Normalization for entity resolution: tax ids, legal forms and names, as registries write them.

Registries, customs declarations and watch lists spell the same party differently:
"MINERA SOL S.A.C." and "Minera Sol Sociedad Anónima Cerrada"; "QUISPE MAMANI, Juan Carlos"
and "Juan Carlos Quispe Mamani"; NIT "860.002.964-4" and "860002964". Matching works on the
forms produced here, so every spelling difference that carries no information is removed
once, before any comparison, and what is removed (the legal form) is kept beside the name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rigour.names.org_types import extract_org_types

from filon.standard.taxid import (
    check_digit_verified,
    check_tax_id,
    co_nit_check_digit,
    normalize_tax_id,
)

#: The tax-id scheme a bare tax id most likely uses, from the party's country.
SCHEME_BY_COUNTRY = {"PE": "PE-RUC", "CO": "CO-NIT", "EC": "EC-RUC", "BO": "BO-NIT"}

#: Andean legal forms, spelled out or abbreviated (after accents and dots are removed), and
#: their comparison code. Longest phrases first so "SOCIEDAD ANONIMA CERRADA" is not read as SA.
LEGAL_FORMS: tuple[tuple[str, str], ...] = tuple(sorted((
    ("SOCIEDAD ANONIMA CERRADA", "SAC"), ("SAC", "SAC"),
    ("SOCIEDAD ANONIMA ABIERTA", "SAA"), ("SAA", "SAA"),
    ("SOCIEDAD ANONIMA", "SA"), ("SA", "SA"),
    ("SOCIEDAD POR ACCIONES SIMPLIFICADA", "SAS"), ("SAS", "SAS"),
    ("EMPRESA INDIVIDUAL DE RESPONSABILIDAD LIMITADA", "EIRL"), ("EIRL", "EIRL"),
    ("SOCIEDAD COMERCIAL DE RESPONSABILIDAD LIMITADA", "SRL"),
    ("SOCIEDAD DE RESPONSABILIDAD LIMITADA", "SRL"), ("SRL", "SRL"), ("SCRL", "SRL"),
    ("COMPANIA LIMITADA", "CIALTDA"), ("CIA LTDA", "CIALTDA"), ("CIA LTD", "CIALTDA"), ("C LTDA", "CIALTDA"),
    ("CIA LIMITADA", "CIALTDA"), ("CIA", "CIALTDA"),
    ("LIMITADA", "LTDA"), ("LTDA", "LTDA"),
    ("SOCIEDAD EN COMANDITA", "SCS"), ("SOCIEDAD DE HECHO", "SDH"),
    ("SPA", "SPA"), ("SOCIETA PER AZIONI", "SPA"),
), key=lambda p: -len(p[0])))
#: Colombia's "C.I." (comercializadora internacional) is a trade licence, often left out.
DESIGNATIONS = ("CI",)
#: Words that only an organisation's name carries: a name with one is not a person's.
ORG_WORDS = frozenset((
    "MINERA", "MINERO", "MINEROS", "COMERCIALIZADORA", "EXPORTADORA", "INVERSIONES", "CORPORACION", "GRUPO",
    "COOPERATIVA", "ASOCIACION", "FUNDACION", "EMPRESA", "COMPANIA", "SOCIEDAD", "HOLDING", "HOLDINGS",
    "TRADING", "METALES", "REFINERIA", "REFINERY", "REFINERS", "REFINING", "BULLION", "SERVICES", "SERVICIOS",
    "TRANSPORTES", "LOGISTICA", "INTERNACIONAL", "PLANTA", "PROCESADORA", "METALURGICA", "NEGOCIACIONES",
    "INMOBILIARIA", "FUNDICION", "JOYERIA", "NOMINEE", "NOMINEES", "CAPITAL", "RESOURCES", "MINING",
    "INVESTMENTS", "METALS", "GOLD", "SUPERINTENDENCIA", "DIRECCION", "SERVICIO", "ADUANA", "MINISTERIO",
    "BANCO", "BANK", "AFFINAGE", "AFFINERIA", "SMELTING", "NONFERROUS",
))

#: Particles that join Spanish names ("DE LA CRUZ", "SAN JUAN DE LOS ANDES") and carry no identity.
PARTICLES = frozenset(("DE", "DEL", "LA", "LAS", "LOS", "EL", "Y", "E"))
_PUNCT = re.compile(r"[^\w\s]")
_DOTTED = re.compile(r"\b(?:\w\.){2,}\w?\.?|\b\w\.(?=\w)")


@dataclass(frozen=True)
class NormalName:
    """A name reduced for comparison.

    `core` is the name without legal form, designation, accents, case and punctuation;
    `tokens` its words without particles (DE, LA, Y...); `rotation` the smallest rotation of
    the words, so "QUISPE MAMANI, JUAN" and "JUAN QUISPE MAMANI" (given names moved to the
    front) share it while "MAMANI QUISPE JUAN" (surnames swapped: usually another person) does
    not; `key` the words sorted, the looser match; `legal_form` the recognised form's code.
    """

    core: str
    tokens: tuple[str, ...]
    key: str
    rotation: str
    legal_form: str | None
    organisation: bool


def fold(text: str) -> str:
    """Upper case without accents, punctuation or repeated spaces ("Zúñiga, S.A." -> "ZUNIGA SA").

    Dots inside abbreviations are removed first so "S.A.C." becomes "SAC" and not "S A C".
    """
    text = str(text or "")
    if not text.isascii():  # most names are plain ASCII: skip the Unicode decomposition
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = text.upper()
    if "." in text:
        text = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), text)
    return " ".join(_PUNCT.sub(" ", text).split())


#: Any legal-form phrase as a whole word sequence: names without one (most person names) skip the
#: phrase-by-phrase search.
_ANY_FORM = re.compile(r"(?<!\S)(?:" + "|".join(re.escape(p) for p, _c in LEGAL_FORMS) + r")(?!\S)")
_FORM_RANK = {p: i for i, (p, _c) in enumerate(LEGAL_FORMS)}
_FORM_CODE = dict(LEGAL_FORMS)
#: Spelled-out legal forms (several words or a long word), matched at the end of a name up to one
#: typo per word of five letters or more: "Sociedsd por Acciones Simplificada", "Emprsea Individual
#: de Responsabilidad Limitada". Abbreviations (SAC, SRL) are too short to tell a typo from another form.
_SPELLED_FORMS: tuple[tuple[tuple[str, ...], str], ...] = tuple(
    (tuple(p.split()), c) for p, c in LEGAL_FORMS if " " in p or len(p) > 5)


def within_one_edit(a: str, b: str) -> bool:
    """Whether `a` and `b` differ by at most one edit (a letter changed, added, dropped, or two swapped)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        return a[i + 1:] == b[i + 1:] or (a[i + 2:] == b[i + 2:] and a[i:i + 2] == b[i:i + 2][::-1])
    return a[i + 1:] == b[i:] if la > lb else a[i:] == b[i + 1:]


def _deletions(word: str) -> set[str]:
    """The word and every word one letter shorter: two words within one edit share one of these."""
    return {word} | {word[:i] + word[i + 1:] for i in range(len(word))}


#: Last word of each spelled-out form, and its one-letter deletions -> the forms ending so: a
#: name whose last word meets none of them ends in no spelled-out form (a dictionary look-up per
#: name instead of a comparison with every form).
_FORM_ENDS: dict[str, list[int]] = {}
for _i, (_words, _code) in enumerate(_SPELLED_FORMS):
    for _v in (_deletions(_words[-1]) if len(_words[-1]) >= 5 else {_words[-1]}):
        _FORM_ENDS.setdefault(_v, []).append(_i)


_FORM_HEADS = frozenset(w[-1][:2] for w, _c in _SPELLED_FORMS)
_FORM_TAILS = frozenset(w[-1][-2:] for w, _c in _SPELLED_FORMS)


def _fuzzy_form(tokens: list[str]) -> tuple[int, str] | None:
    """(words taken, code) of the longest spelled-out legal form ending `tokens` with at most one
    typo per word of five letters or more (an exactly spelled form is found before this)."""
    if not tokens:
        return None
    last = tokens[-1]
    if len(last) < 4 or (last[:2] not in _FORM_HEADS and last[-2:] not in _FORM_TAILS):
        return None  # a typo keeps a word's first two letters or its last two
    found = {i for v in (_deletions(last) if len(last) >= 4 else {last}) for i in _FORM_ENDS.get(v, ())}
    best = None
    for i in sorted(found):
        words, code = _SPELLED_FORMS[i]
        n = len(words)
        if len(tokens) <= n or (best and best[0] >= n):
            continue
        tail = tokens[-n:]
        if all(t == w or (len(w) >= 5 and within_one_edit(t, w)) for t, w in zip(tail, words)):
            best = (n, code)
    return best


@lru_cache(maxsize=200_000)
def normalize_name(name: str | None) -> NormalName:
    """Fold a name, take its legal form out and sort its tokens (cached: names repeat a lot)."""
    return normalize_folded(fold(name or ""))


def normalize_folded(text: str) -> NormalName:
    """`normalize_name` of a name already folded (`fold`): spellings differing only in case, accents
    or punctuation fold alike, so a caller holding many spellings normalizes each folded form once."""
    padded = f" {text} "
    form, phrase = None, ""
    # The longest form at the end of the name, or spelled out (longer than four letters) anywhere.
    forms = [m.group(0) for m in _ANY_FORM.finditer(text)]
    if forms:
        ok = [f for f in forms if len(f) > 4 or padded.endswith(f" {f} ")]
        if ok:
            phrase = min(ok, key=_FORM_RANK.__getitem__)
            form = _FORM_CODE[phrase]
            padded = padded.replace(f" {phrase} ", " ", 1)
    fuzzy = _fuzzy_form(text.split())
    if fuzzy and (form is None or fuzzy[0] > len(phrase.split())):  # a longer form spelled with a typo
        form, padded = fuzzy[1], " " + " ".join(text.split()[: -fuzzy[0]]) + " "
    tokens = [t for t in padded.split() if t not in DESIGNATIONS or len(padded.split()) == 1]
    rest = " ".join(tokens)
    if form is None and rest:
        found = extract_org_types(rest)
        if found:  # a foreign form rigour knows (LLC, LTD, GMBH, PVT LTD...): keep rigour's code
            matched, code = found[-1]
            folded = fold(matched)
            if rest.endswith(folded) and rest != folded:
                rest = rest[: -len(folded)].strip()
                form = fold(code).replace(" ", "")
    tokens = rest.split()
    if not tokens:  # the name is only a legal form ("S.A."): keep it as the name
        tokens, form = text.split(), None
        rest = text
    organisation = form is not None or any(t in ORG_WORDS for t in tokens)
    tokens = [t for t in tokens if t not in PARTICLES] or tokens
    return NormalName(core=rest, tokens=tuple(tokens), key=" ".join(sorted(tokens)),
                      rotation=" ".join(min_rotation(tokens)), legal_form=form,
                      organisation=organisation)


def min_rotation(tokens: list[str] | tuple[str, ...]) -> list[str]:
    """The smallest rotation of the words (the one starting at the smallest word, when it is unique)."""
    tokens = list(tokens)
    if not tokens:
        return []
    first = min(tokens)
    if tokens.count(first) == 1:
        i = tokens.index(first)
        return tokens[i:] + tokens[:i]
    return min(tokens[i:] + tokens[:i] for i in range(len(tokens)))


@dataclass(frozen=True)
class NormalTaxId:
    """A tax id ready for matching.

    `key` is scheme-prefixed and, for a Colombian NIT, the base without its check digit, so
    "860002964-4" and "860002964" share it. `alt_key` is set for a bare NIT whose last digit is
    the check digit of the rest ("8600029644": base and digit written without the dash).
    `verified` is true only when a check digit was actually verified: only then does a match,
    or a difference, decide anything.
    """

    key: str | None
    alt_key: str | None
    valid: bool
    verified: bool


EMPTY_TAX_ID = NormalTaxId(None, None, False, False)


#: Schemes whose check digit tells them apart when a record gives neither scheme nor country.
GUESSABLE_SCHEMES = ("PE-RUC", "EC-RUC", "CO-NIT")


def guess_scheme(value: str) -> str:
    """The scheme whose check digit the id passes, for records naming no country (a customs
    consignee, a list entry): "20131312955" is a RUC, "800.197.268-4" a NIT; else "other"."""
    for scheme in GUESSABLE_SCHEMES:
        if check_digit_verified(scheme, normalize_tax_id(scheme, value)):
            return scheme
    return "other"


def normalize_tax_id_for_matching(value: str | None, scheme: str | None, country: str | None) -> NormalTaxId:
    """Scheme from the record or, when absent, from the country; then clean, check and key it."""
    if value is None or not str(value).strip():
        return EMPTY_TAX_ID
    scheme = (scheme or "").strip() or SCHEME_BY_COUNTRY.get((country or "").strip().upper()) or guess_scheme(str(value))
    digits = re.sub(r"[\s.\-/]", "", str(value))
    if scheme == "other" and digits.isdigit() and not (country or "").strip():
        # No scheme, no country, no check digit passed: most likely a Bolivian NIT or a bare
        # Colombian NIT. Match either, but never veto on it (the scheme, hence validity, is unknown).
        return NormalTaxId(key=f"BO-NIT:{digits}", alt_key=f"CO-NIT:{digits}", valid=False, verified=False)
    clean = normalize_tax_id(scheme, str(value))
    verified = check_digit_verified(scheme, clean)
    valid = verified or check_tax_id(scheme, clean) is None  # a verified id is valid: check it once
    alt = None
    if scheme == "CO-NIT":
        base, _, digit = clean.partition("-")
        clean = base
        if not digit and len(base) > 5 and base.isdigit() and co_nit_check_digit(base[:-1]) == base[-1]:
            alt = f"{scheme}:{base[:-1]}"
    elif scheme == "other":
        clean = re.sub(r"[\s.\-/]", "", clean).upper()
    return NormalTaxId(key=f"{scheme}:{clean}", alt_key=alt, valid=valid, verified=verified)
