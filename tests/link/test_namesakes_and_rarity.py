"""Known namesakes are held for review; name rarity estimates; typo-tolerant blocking keys."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from filon.link.records import fuzzy_pairs, name_frequencies, word_ends
from filon.link.resolve import namesake_capped, namesake_names


def test_namesakes_hold_name_only_pairs_below_threshold() -> None:
    names = namesake_names(["JUAN MAMANI QUISPE", "JUAN MAMANI QUISPE", "ROSA CONDORI"], ["PE-RUC:1", "PE-RUC:2", "PE-RUC:3"])
    assert names == {"JUAN MAMANI QUISPE"}
    row = {"match_probability": 0.97, "gamma_tax_id": -1, "name_key_l": "JUAN MAMANI QUISPE", "name_key_r": "X"}
    assert namesake_capped(row, names, 0.8) < 0.8
    assert namesake_capped(row | {"gamma_tax_id": 3}, names, 0.8) == 0.97      # the tax id agrees: decided
    assert namesake_capped(row | {"name_key_l": "ROSA CONDORI"}, names, 0.8) == 0.97


def test_rare_names_get_lower_frequencies_than_common_ones() -> None:
    sigs = pa.table({
        "unique_id": [str(i) for i in range(6)],
        "name_key": ["JUAN MAMANI QUISPE", "JOSE MAMANI QUISPE", "MAMANI QUISPE ROSA", "BYRON ISAIAS OSORIO",
                     "JUAN MAMANI QUISPE", None],
        "name_tokens": [["QUISPE", "MAMANI", "JUAN"], ["QUISPE", "MAMANI", "JOSE"], ["QUISPE", "MAMANI", "ROSA"],
                        ["OSORIO", "ISAIAS", "BYRON"], ["QUISPE", "MAMANI", "JUAN"], []],
        "tax_key": ["a", "b", "c", "d", "e", None], "tax_valid": [True] * 5 + [False]})
    con = duckdb.connect()
    con.register("s", sigs)
    tf = dict(zip(*name_frequencies(con, "s").to_pydict().values()))
    assert tf["BYRON ISAIAS OSORIO"] < tf["JOSE MAMANI QUISPE"] < tf["JUAN MAMANI QUISPE"]


def test_fuzzy_keys_survive_a_typo_in_each_word() -> None:
    assert set(fuzzy_pairs(["FUNDICION", "REFINERIA"])) & set(fuzzy_pairs(["FUDNICION", "RFEINERIA"]))
    assert set(word_ends(("QUISPE",))) & set(word_ends(("QUIPSE",)))
