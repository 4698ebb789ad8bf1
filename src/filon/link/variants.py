"""A noisy copy of a demo package, to measure linkage where spellings really differ.

The demo writes every party's name the same way everywhere, which makes linking it trivial.
This adds watch-list entries and ownership filings that name existing actors the way other
agencies do: given names first, a given name dropped, legal forms spelled out or abbreviated,
accents and case changed, one typo, tax ids formatted differently or left out; and, for
precision, homonyms: the same person's name with another valid tax id (another person).
Every added row is appended to `.link_truth.csv` with the party it really names.
"""

from __future__ import annotations

import csv
import random
import shutil
from pathlib import Path

from filon.demo.link_truth import LINK_TRUTH
from filon.demo.taxids import TaxIdFactory

SPELLED_OUT = {"S.A.C.": "Sociedad Anónima Cerrada", "S.R.L.": "Sociedad Comercial de Responsabilidad Limitada",
               "E.I.R.L.": "EIRL", "S.A.S.": "SAS", "CIA. LTDA.": "Compañía Limitada", "LTDA.": "Limitada",
               "S.A.": "S.A"}
ACCENTS = {"NUNEZ": "NÚÑEZ", "ZUNIGA": "ZÚÑIGA", "PEREZ": "PÉREZ", "LOPEZ": "LÓPEZ", "GARCIA": "GARCÍA",
           "RODRIGUEZ": "RODRÍGUEZ", "SANCHEZ": "SÁNCHEZ", "MARIA": "MARÍA", "JOSE": "JOSÉ", "RAMIREZ": "RAMÍREZ"}


def person_variant(name: str, rng: random.Random) -> str:
    """'QUISPE MAMANI JUAN CARLOS' as another agency writes it."""
    words = name.split()
    surnames, given = words[:2], words[2:]
    choice = rng.random()
    if choice < 0.3:
        text = " ".join(given + surnames).title()
    elif choice < 0.55:
        text = f"{' '.join(surnames)}, {' '.join(given).title()}"
    elif choice < 0.75 and len(given) > 1:
        text = " ".join(surnames + given[:1])
    else:
        text = " ".join(ACCENTS.get(w, w) for w in words)
    return typo(text, rng) if rng.random() < 0.25 else text


def company_variant(name: str, rng: random.Random) -> str:
    """'C.I. METALES DORADO S.A.S.' as another agency writes it."""
    text = name
    for short, long in SPELLED_OUT.items():
        if text.endswith(" " + short):
            text = text[: -len(short)] + long
            break
    if text.startswith("C.I. ") and rng.random() < 0.5:
        text = text[5:]
    if rng.random() < 0.4:
        text = text.title()
    return typo(text, rng) if rng.random() < 0.2 else text


def typo(text: str, rng: random.Random) -> str:
    """Swap two adjacent letters inside one long word."""
    words = text.split(" ")
    long_words = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not long_words:
        return text
    i = rng.choice(long_words)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def tax_id_variant(tax_id: str, scheme: str, rng: random.Random) -> str:
    if not tax_id or rng.random() < 0.4:
        return ""
    if scheme == "CO-NIT":
        base, _, digit = tax_id.partition("-")
        return base if rng.random() < 0.5 else f"{int(base):,}".replace(",", ".") + f"-{digit}"
    if scheme == "PE-RUC":
        return f"{tax_id[:2]}-{tax_id[2:10]}-{tax_id[10:]}" if rng.random() < 0.5 else tax_id
    return tax_id


def make_noisy(package: Path, out: Path, *, share: float = 0.3, homonyms: float = 0.05, copies: int = 1,
               seed: int = 1) -> int:
    """Copy `package` to `out` and add variant rows for `share` of the actors (`copies` each);
    return the number of rows added."""
    rng = random.Random(seed)
    shutil.copytree(package, out)
    with (out / "actors.csv").open(encoding="utf-8", newline="") as fh:
        actors = [a for a in csv.DictReader(fh) if a["kind"] in ("person", "company") and a["country"] in
                  ("PE", "CO", "BO", "EC")]
    taxids = TaxIdFactory(random.Random(seed + 1))
    taxids.used.update(a["tax_id"] for a in actors)
    entries, truth = [], []
    for actor in actors:
        for c in range(copies):
            if rng.random() < share:
                make = person_variant if actor["kind"] == "person" else company_variant
                key = f"SANV-{len(entries) + 1:07d}"
                entries.append({"entry_id": key, "name": make(actor["name"], rng), "kind": actor["kind"],
                                "country": actor["country"],
                                "tax_id": tax_id_variant(actor["tax_id"], actor["tax_id_scheme"], rng),
                                "list_name": "noisy copy", "reason": f"variant {c + 1} of {actor['actor_id']}"})
                truth.append((key, actor["actor_id"]))
            if actor["kind"] == "person" and actor["tax_id"] and rng.random() < homonyms:
                key = f"SANV-{len(entries) + 1:07d}"
                entries.append({"entry_id": key, "name": actor["name"], "kind": "person", "country": actor["country"],
                                "tax_id": taxids.new(actor["country"], True), "list_name": "noisy copy",
                                "reason": f"homonym of {actor['actor_id']}, another person"})
                truth.append((key, f"HOMONYM:{key}"))
    _append(out / "sanctions.csv", entries)
    with (out / LINK_TRUTH).open("a", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        for key, entity in truth:
            writer.writerow([key, "sanctions", "name", entity])
    return len(entries)


def _append(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    with path.open("a", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, header, lineterminator="\n")
        writer.writerows(rows)
