"""A labelled benchmark for entity resolution: parties, their other spellings, and hard negatives.

The demo region names every party one way and draws names unique, so it cannot say how well
linkage copes with what Andean registries really hold. This generator draws parties whose
names follow the registries' own distributions (a few surnames, QUISPE, MAMANI, CONDORI,
HUANCA, RODRIGUEZ..., carried by very many people) and writes each party once as a registry
would (with its tax id) and zero to three times more as other agencies do: given names first
or after a comma, a given name dropped, accents and case changed, legal forms spelled out,
abbreviated without dots or dropped, one or two typos, tax ids reformatted or left out.

Hard negatives keep precision honest: homonyms (the same name, another valid tax id) and
near-homonyms (the same surnames and first given name, another second given name, another
id). The answer key (`truth`) is known by construction. Records come out as the raw rows
`records.build_records` reads, so the benchmark exercises the very normalization and model
the pipeline uses, at any size (a million records in about a minute), without a workspace.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from itertools import accumulate

from filon.demo.names import GIVEN_FEMALE, GIVEN_MALE, PREFIXES, SURNAMES, WORDS
from filon.demo.taxids import TaxIdFactory
from filon.link.normalize import normalize_name
from filon.link.variants import ACCENTS

COUNTRIES = ("PE", "CO", "BO", "EC")
SCHEMES = {"PE": "PE-RUC", "CO": "CO-NIT", "BO": "BO-NIT", "EC": "EC-RUC"}
#: Legal forms as registries abbreviate them, and as other agencies write them instead.
FORM_SPELLINGS: dict[str, tuple[str, ...]] = {
    "S.A.C.": ("Sociedad Anónima Cerrada", "SAC", "S.A.C"),
    "S.A.S.": ("SAS", "Sociedad por Acciones Simplificada", "S.A.S"),
    "S.R.L.": ("SRL", "Sociedad de Responsabilidad Limitada", "S.C.R.L."),
    "E.I.R.L.": ("EIRL", "Empresa Individual de Responsabilidad Limitada"),
    "S.A.": ("SA", "Sociedad Anónima", "S.A"),
    "LTDA.": ("LIMITADA", "LTDA"),
    "CIA. LTDA.": ("Compañía Limitada", "CIA LTDA", "C. LTDA."),
}
FORMS_BY_COUNTRY = {"PE": ("S.A.C.", "S.A.C.", "E.I.R.L.", "S.R.L.", "S.A."), "CO": ("S.A.S.", "S.A.S.", "LTDA.", "S.A."),
                    "BO": ("S.R.L.", "S.A.", "LTDA."), "EC": ("CIA. LTDA.", "S.A.")}
#: Extra given names so the name space is as large as a national registry's.
MORE_GIVEN = ("ABEL", "ADOLFO", "AGUSTIN", "ALFREDO", "AMADOR", "ANGEL", "AURELIO", "BENITO", "CELSO", "CIRILO",
              "CLAUDIO", "CRISTIAN", "DANIEL", "DARIO", "EDUARDO", "EFRAIN", "ELIAS", "EMILIO", "ERNESTO", "FAUSTO",
              "FIDEL", "GERMAN", "GREGORIO", "GUILLERMO", "HECTOR", "HILARIO", "IGNACIO", "JACINTO", "JAVIER",
              "LEONCIO", "LORENZO", "MARCELINO", "MARCO", "NICOLAS", "OSCAR", "PABLO", "PASCUAL", "RENE", "RUBEN",
              "SANTIAGO", "SIMON", "TOMAS", "VALENTIN", "YONY", "ZENON", "AIDA", "ALICIA", "BERTHA", "CLARA",
              "DELIA", "EDITH", "ELENA", "ELSA", "FELICITAS", "GLENDA", "HILDA", "INES", "IRMA", "JULIA",
              "LOURDES", "MARGARITA", "MARLENY", "NELLY", "OLGA", "PAULINA", "RUTH", "SILVIA", "TERESA", "VILMA")
SOURCE_TABLES = (("sanctions", "name"), ("ownership", "owner_name"), ("exports", "consignee_name"),
                 ("imports", "importer_name"))


@dataclass
class Benchmark:
    """Raw rows for `build_records` and the answer key: (table, column, key) -> true entity."""

    raw: list[tuple[str, ...]] = field(default_factory=list)
    truth: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def add(self, table: str, column: str, key: str, name: str, country: str | None, kind: str | None,
            tax_id: str, scheme: str | None, entity: str) -> None:
        self.raw.append((table, column, key, name, country, kind, tax_id or None, scheme))
        self.truth[(table, column, key)] = entity


class _Weighted:
    """Draws from a pool with Zipf-like weights: the first names of the pool are the common ones."""

    def __init__(self, pool: tuple[str, ...], exponent: float) -> None:
        self.pool = pool
        self.cum = list(accumulate(1 / (i + 1) ** exponent for i in range(len(pool))))

    def draw(self, rng: random.Random) -> str:
        return rng.choices(self.pool, cum_weights=self.cum)[0]


def _surname_pools() -> dict[str, _Weighted]:
    every = tuple(dict.fromkeys(s for pool in SURNAMES.values() for s in pool))
    return {c: _Weighted(SURNAMES[c] + tuple(s for s in every if s not in SURNAMES[c]), 0.8) for c in COUNTRIES}


GIVEN_SINGLE = tuple(dict.fromkeys(w for g in GIVEN_MALE + GIVEN_FEMALE for w in g.split() if w not in ("DE",))) + MORE_GIVEN


def make_benchmark(n_entities: int, *, seed: int = 1, person_share: float = 0.6, homonym_share: float = 0.04,
                   near_homonym_share: float = 0.04, missing_id: float = 0.4, typo_share: float = 0.25) -> Benchmark:
    """Draw `n_entities` parties (plus hard negatives) and their records; about 2 records per party."""
    rng = random.Random(seed)
    taxids = TaxIdFactory(random.Random(seed + 1))
    surnames = _surname_pools()
    given = _Weighted(GIVEN_SINGLE, 0.6)
    bench = Benchmark()
    counter = 0
    company_names: set[str] = set()  # registrars refuse a company name already taken

    def emit(entity: str, name: str, country: str, person: bool, tax_id: str) -> None:
        nonlocal counter
        kind = "person" if person else "company"
        counter += 1
        bench.add("actors", "name", f"A{counter:08d}", name, country, kind, tax_id, SCHEMES[country], entity)
        for _ in range(rng.choices((0, 1, 2, 3), (0.35, 0.35, 0.22, 0.08))[0]):
            counter += 1
            table, column = rng.choice(SOURCE_TABLES)
            spelled = person_variant(name, rng, typo_share) if person else company_variant(name, rng, typo_share)
            known_kind = kind if table == "sanctions" else None
            tid = "" if rng.random() < missing_id else reformat_tax_id(tax_id, SCHEMES[country], rng)
            bench.add(table, column, f"R{counter:08d}", spelled, country if rng.random() < 0.95 else None,
                      known_kind, tid, None, entity)

    for e in range(n_entities):
        country = rng.choice(COUNTRIES)
        person = rng.random() < person_share
        entity = f"E{e:08d}"
        if person:
            s1, s2 = surnames[country].draw(rng), surnames[country].draw(rng)
            names = [given.draw(rng)] + ([given.draw(rng)] if rng.random() < 0.6 else [])
            name = f"{s1} {s2} {' '.join(names)}"
        else:
            name = company_name(country, rng)
            while normalize_name(name).key in company_names:
                name = company_name(country, rng)
            company_names.add(normalize_name(name).key)
        emit(entity, name, country, person, taxids.new(country, person))
        if person and rng.random() < homonym_share:  # the same name, another person
            emit(f"{entity}-H", name, country, True, taxids.new(country, True))
        if person and rng.random() < near_homonym_share:  # a relative: same surnames, another given name
            other = f"{s1} {s2} {names[0]} {given.draw(rng)}"
            if other != name:
                emit(f"{entity}-N", other, country, True, taxids.new(country, True))
    return bench


def reformat_tax_id(tax_id: str, scheme: str, rng: random.Random) -> str:
    """The same id as another agency writes it: NIT without its check digit or with dots, RUC with dashes."""
    if scheme == "CO-NIT":
        base, _, digit = tax_id.partition("-")
        return rng.choice((base, f"{int(base):,}".replace(",", ".") + f"-{digit}", tax_id))
    if scheme == "PE-RUC" and rng.random() < 0.5:
        return f"{tax_id[:2]}-{tax_id[2:10]}-{tax_id[10:]}"
    return tax_id


def company_name(country: str, rng: random.Random) -> str:
    """PREFIX WORD [WORD] FORM, words from the demo's vocabulary and surnames (family firms)."""
    role = rng.choice(tuple(PREFIXES))
    words = [rng.choice(WORDS) if rng.random() < 0.7 else rng.choice(SURNAMES[country])]
    if rng.random() < 0.6:
        words.append(rng.choice(WORDS) if rng.random() < 0.5 else rng.choice(SURNAMES[country]))
    prefix = "C.I. " if country == "CO" and rng.random() < 0.2 else ""
    return f"{prefix}{rng.choice(PREFIXES[role])} {' '.join(words)} {rng.choice(FORMS_BY_COUNTRY[country])}"


def person_variant(name: str, rng: random.Random, typo_share: float) -> str:
    """'QUISPE MAMANI JUAN CARLOS' as another agency writes it."""
    words = name.split()
    surnames, given = words[:2], words[2:]
    choice = rng.random()
    if choice < 0.3:
        text = " ".join(given + surnames).title()
    elif choice < 0.5:
        text = f"{' '.join(surnames)}, {' '.join(given).title()}"
    elif choice < 0.65 and len(given) > 1:
        text = " ".join(surnames + given[:1])
    elif choice < 0.8:
        text = " ".join(ACCENTS.get(w, w) for w in words)
    else:
        text = name
    return typos(text, rng, typo_share)


def company_variant(name: str, rng: random.Random, typo_share: float) -> str:
    """'MINERA SOL S.A.C.' as another agency writes it: the form spelled out, abbreviated or dropped."""
    text = name
    for form, spellings in FORM_SPELLINGS.items():
        if text.endswith(" " + form):
            stem = text[: -len(form) - 1]
            choice = rng.random()
            text = stem if choice < 0.15 else f"{stem} {rng.choice(spellings)}" if choice < 0.8 else text
            break
    if text.startswith("C.I. ") and rng.random() < 0.5:
        text = text[5:]
    if rng.random() < 0.4:
        text = text.title()
    return typos(text, rng, typo_share)


def typos(text: str, rng: random.Random, share: float) -> str:
    """One typo with probability `share`, a second with `share` of that."""
    if rng.random() < share:
        text = typo(text, rng)
        if rng.random() < share:
            text = typo(text, rng)
    return text


def typo(text: str, rng: random.Random) -> str:
    """A keyboard slip inside one word of five letters or more: swap, drop, double or replace a letter."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    op = rng.random()
    if op < 0.4:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    elif op < 0.6:
        w = w[:j] + w[j + 1:]
    elif op < 0.75:
        w = w[:j] + w[j] + w[j:]
    else:
        letter = rng.choice("AEIOURSTNLCM")
        w = w[:j] + (letter.lower() if w[j].islower() else letter) + w[j + 1:]
    words[i] = w
    return " ".join(words)
