"""Known namesakes are held for review; name rarity estimates; typo-tolerant blocking."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from filon.link.blocking import candidate_pairs
from filon.link.records import drop_rotations, name_frequencies, word_ends
from filon.link.resolve import ambiguous_signatures, capped_probabilities


def test_ambiguous_signatures_hold_name_only_pairs_below_threshold() -> None:
    sigs = pa.table({
        "unique_id": ["j1", "j2", "j3", "r1", "e1", "e2", "e3", "e4"],
        "name_key": ["JUAN MAMANI QUISPE"] * 3 + ["CONDORI ROSA"] + ["EL MINERA ROBLE"] * 4,
        "legal_form": [None] * 4 + ["SAC", "EIRL", "EIRL", None],
        "country": ["PE", "PE", "PE", "PE", "PE", "PE", "PE", "PE"],
        "tax_key": ["PE-RUC:1", "PE-RUC:2", None, "PE-RUC:3", "PE-RUC:4", "PE-RUC:5", None, None],
        "tax_alt": pa.nulls(8, pa.string()), "tax_valid": [True, True, False, True, True, True, False, False]})
    # j3 may be either Juan; e4 (no legal form) either firm; e3 is the EIRL; r1 has no namesake
    assert set(ambiguous_signatures(sigs).to_pylist()) == {"j1", "j2", "j3", "e4"}
    rows = pa.table({"unique_id_l": ["j1", "j1", "r1", "e2"], "unique_id_r": ["j3", "j2", "j3", "e3"],
                     "match_probability": [0.97, 0.97, 0.97, 0.97], "gamma_tax_id": [-1, 3, -1, -1]})
    capped = capped_probabilities(rows, ambiguous_signatures(sigs), 0.8)
    assert capped[0] < 0.8                              # a namesake's name alone decides nothing
    assert capped[1] == 0.97                            # the tax id agrees: decided
    assert capped[2] < 0.8 and capped[3] == 0.97        # any pair with an ambiguous side; the EIRL is not


def test_rare_names_get_lower_frequencies_than_common_ones() -> None:
    sigs = pa.table({
        "unique_id": [str(i) for i in range(6)],
        "name_key": ["JUAN MAMANI QUISPE", "JOSE MAMANI QUISPE", "MAMANI QUISPE ROSA", "BYRON ISAIAS OSORIO",
                     "JUAN MAMANI QUISPE", None],
        "name_tokens": [["QUISPE", "MAMANI", "JUAN"], ["QUISPE", "MAMANI", "JOSE"], ["QUISPE", "MAMANI", "ROSA"],
                        ["OSORIO", "ISAIAS", "BYRON"], ["QUISPE", "MAMANI", "JUAN"], []],
        "tax_key": ["a", "b", "c", "d", "e", None], "tax_valid": [True] * 5 + [False],
        "legal_form": pa.nulls(6, pa.string()), "country": ["PE"] * 6})
    con = duckdb.connect()
    con.register("s", sigs)
    freq = name_frequencies(con, "s").to_pylist()
    tf = {r["name_key"]: r["tf_name_key"] for r in freq}
    assert tf["BYRON ISAIAS OSORIO"] < tf["JOSE MAMANI QUISPE"] < tf["JUAN MAMANI QUISPE"]
    for r in freq:  # holding these words, or words within a typo of them, is at least as likely as the name
        assert r["tf_name_key"] <= r["tf_name_words"] <= r["tf_name_fuzzy_words"] and r["tf_name_key"] <= r["tf_name_fuzzy"]


def test_word_ends_survive_a_typo() -> None:
    assert set(word_ends(("QUISPE",))) & set(word_ends(("QUIPSE",)))


def test_a_dropped_given_name_keeps_the_word_cycle() -> None:
    assert "MAMANI JUAN QUISPE" not in drop_rotations(("QUISPE", "MAMANI", "JUAN", "CARLOS"))
    assert "JUAN QUISPE MAMANI" in drop_rotations(("QUISPE", "MAMANI", "JUAN", "CARLOS"))   # CARLOS dropped
    assert "JUAN QUISPE MAMANI" in drop_rotations(("JUAN", "CARLOS", "QUISPE", "MAMANI"))   # given names first
    assert drop_rotations(("QUISPE", "JUAN")) == []


def test_blocking_meets_spellings_of_one_party_and_not_strangers() -> None:
    names = {
        "a1": "FUNDICION REFINERIA", "a2": "FUDNICION RFEINERIA",                       # a typo in each word
        "b1": "QUISPE MAMANI JUAN CARLOS", "b2": "JUAN QUISPE MAMANI",                  # a given name dropped
        "c1": "DORADO CORPORACION", "c2": "DORAOD CORPORAAION",                         # a typo in each word
        "d1": "HURTADO MENA GUILLERMO WASHINGTON", "d2": "HUTRADO MENA GUILLERMO",       # a typo and a name dropped
        "e1": "SANDRA CONDORI", "e2": "SNADRA CONDORI",                                 # one typo
        "f1": "CONDORI APAZA WILBER", "f2": "MINERA SOL", "f3": "X Y",                    # strangers...
    }
    sigs = pa.table({"unique_id": list(names), "name_key": [" ".join(sorted(n.split())) for n in names.values()],
                     "tax_key": [None] * (len(names) - 2) + ["PE-RUC:1", "PE-RUC:1"],   # ...but f2, f3 share a tax id
                     "tax_alt": pa.nulls(len(names), pa.string()),
                     "organisation": [n.startswith(("FUNDICION", "DORADO", "MINERA")) for n in names.values()]})
    ids = sigs["unique_id"].to_pylist()
    pairs = {(ids[a], ids[b]) for a, b in zip(*candidate_pairs(sigs, 1000, 100))}
    assert {("a1", "a2"), ("b1", "b2"), ("c1", "c2"), ("d1", "d2"), ("e1", "e2"), ("f2", "f3")} <= pairs
    assert not {p for p in pairs if "f1" in p}
