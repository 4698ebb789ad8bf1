"""The Splink model: comparisons with domain meaning, near-linear blocking, unsupervised training.

Comparisons read the normalized signature columns (`records.py`):

- tax id: the same *verified* id decides (a check digit makes a coincidence impossible);
  the same unverified id (bare NIT, BO-NIT, a wrong check digit) only counts as strong evidence;
  two different valid ids count strongly against (and `resolve.py` vetoes the pair).
- name: same words in the same order up to moving the given names; same words in another
  order; a given name dropped (the same word cycle less one word); one name's words within the
  other's in any order; a typo (edit distance); a typo in several words; similar spelling
  (Jaro-Winkler); half the words shared.
- legal form, country, kind (person / organisation): weak evidence, learned.

Name levels are weighed by the name's rarity (Splink term-frequency adjustment, with the
frequencies estimated from word rarity, see `records.name_frequencies`): the weight of such a
level is log2(m / frequency), where the frequency is how often a random record carries the
name (or, for the levels where one name holds the other's words, a name holding these words).
So the same rare name decides more than the same QUISPE MAMANI JUAN, whose namesakes fill a
registry, and the weight does not hang on how many rare coincidences a random sample of pairs
happened to contain (a million random pairs of 100,000 records hold a dozen true matches and
almost no exact names: the u of such a level, sampled, says more about the sample than the name).

Blocking (`blocking.py`) keeps cost near-linear: candidate pairs are made in SQL from keys that
spellings of one party share (same words, a word dropped, a typo in one word, word ends) and
handed to Splink as its blocked pairs.
Parameters: u of the common levels by random sampling; m of legal form, country and kind by EM
on pairs sharing a name when there are enough of them (sampled to `link.em_max_pairs`); m of tax
id and name from the documented priors of `parameters.yaml` (section `link`), u of the tax-id
agreement levels too (`link.tax_id_u`): tax ids are reliable by construction (check digits),
and name m values cannot be learned without bias once identical records are collapsed.
"""

from __future__ import annotations

import logging
from typing import Any

from splink import Linker, block_on

from filon.detect.parameters import Parameters

TAX_LEVELS = (
    ("tax_key_l = tax_key_r AND tax_verified_l AND tax_verified_r", "same verified tax id"),
    ("tax_key_l = tax_key_r OR tax_alt_l = tax_key_r OR tax_key_l = tax_alt_r", "same tax id, not verifiable"),
    ("tax_valid_l AND tax_valid_r", "different valid tax ids"),
    ("TRUE", "different tax ids, at least one invalid"),
)
_INTERSECT = "len(list_intersect(name_tokens_l, name_tokens_r))"
_SHORTER = "least(len(name_tokens_l), len(name_tokens_r))"
#: Words of the shorter name (by word count) lying within `max_typo_edits` of some word of the other:
#: typos in several words, with or without a given name dropped (HURTAO MENA GUILLERMO ~ HURTADO MENA
#: GUILLERMO WASHINGTON), which the whole-name edit distance misses.
#: Words of this many letters or more may differ by one edit more (TRANNSCORTE, TRANSPORTE): two slips
#: in a long word still leave it far from any other word.
LONG_WORD = 8


def near_words(edits: int) -> str:
    shorter, longer = (f"CASE WHEN len(name_tokens_l) <= len(name_tokens_r) THEN name_tokens_{a} ELSE name_tokens_{b} END"
                       for a, b in (("l", "r"), ("r", "l")))
    within = f"{edits} + (length(x) >= {LONG_WORD})::INTEGER"
    return (f"len(list_filter({shorter}, lambda x: len(list_filter({longer}, lambda y: CASE WHEN x = y THEN TRUE "
            f"WHEN abs(length(x) - length(y)) <= {within} THEN damerau_levenshtein(x, y) <= {within} ELSE FALSE END)) > 0))")


def name_levels(p: Parameters) -> tuple[tuple[str, str], ...]:
    return (
        ("name_rotation_l = name_rotation_r", "same name (given names before or after surnames)"),
        ("name_key_l = name_key_r", "same words in another order"),
        ("list_contains(drop_rotations_l, name_rotation_r) OR list_contains(drop_rotations_r, name_rotation_l)",
         "a given name dropped"),
        (f"NOT (organisation_l OR organisation_r) AND {_SHORTER} >= 2 AND {_INTERSECT} = {_SHORTER}",
         "one name's words all in the other (persons)"),
        # Cheap guards first, in a CASE so that DuckDB cannot reorder them: damerau_levenshtein costs
        # ~25 µs a pair, the guards ~0.1 µs.
        ((f"CASE WHEN abs(length(name_key_l) - length(name_key_r)) <= {p.max_typo_edits} AND "
          f"jaro_winkler_similarity(name_key_l, name_key_r) >= {p.jaro_winkler_similar} "
          f"THEN damerau_levenshtein(name_key_l, name_key_r) <= {p.max_typo_edits} ELSE FALSE END"),
         "spelling differs by a typo"),
        ((f"CASE WHEN len(name_tokens_l) = len(name_tokens_r) AND {_SHORTER} >= 2 AND "
          f"len(list_intersect(name_ends_l, name_ends_r)) >= {_SHORTER} "
          f"THEN {near_words(p.max_typo_edits)} = {_SHORTER} ELSE FALSE END"),
         "every word within a typo of a word of the other"),
        ((f"CASE WHEN len(name_tokens_l) <> len(name_tokens_r) AND {_SHORTER} >= 2 AND "
          "len(CASE WHEN len(name_tokens_l) > len(name_tokens_r) THEN drop_rotations_l ELSE drop_rotations_r END) > 0 "
          f"AND len(list_intersect(name_ends_l, name_ends_r)) >= {_SHORTER} "
          f"THEN {near_words(p.max_typo_edits)} = {_SHORTER} ELSE FALSE END"),
         "typos and a given name dropped"),
        (f"jaro_winkler_similarity(name_key_l, name_key_r) >= {p.jaro_winkler_similar}", "spelling similar"),
        (f"{_INTERSECT} * 2 >= greatest(len(name_tokens_l), len(name_tokens_r))", "half the words shared"),
        ("TRUE", "names differ"),
    )


def same_or_different(column: str) -> tuple[tuple[str, str], ...]:
    return ((f"{column}_l = {column}_r", f"same {column.replace('_', ' ')}"),
            ("TRUE", f"different {column.replace('_', ' ')}"))


#: Name levels weighed by the name's frequency, and the frequency column each reads: how often a
#: random record carries this name (`name_key`), a name holding all these words (`name_words`,
#: for the levels where one name's words are all in the other's), a name within a typo of it
#: (`name_fuzzy`), or a name holding words within a typo of these (`name_fuzzy_words`). Looser levels are not:
#: SANCHEZ HUAMAN ALBERTO and SANCHEZ HUAMAN BEATRIZ are similar, both rare.
NAME_TF_COLUMNS = ("name_key", "name_key", "name_words", "name_words", "name_fuzzy", "name_fuzzy", "name_fuzzy_words")
#: The frequency columns: copies of `name_key`, each with its own frequency table.
TF_COLUMNS = tuple(dict.fromkeys(NAME_TF_COLUMNS))


def comparison(column: str, null_sql: str, levels: tuple[tuple[str, str], ...], m_prior: tuple[float, ...],
               fixed: bool = False, tf: list[dict[str, Any]] | None = None,
               u_fixed: tuple[float, ...] = ()) -> dict[str, Any]:
    if len(m_prior) != len(levels):
        raise ValueError(f"link.m_priors.{column} needs {len(levels)} values, one per level")
    out = [{"sql_condition": null_sql, "label_for_charts": f"{column} missing", "is_null_level": True}]
    for i, ((sql, label), m) in enumerate(zip(levels, m_prior)):
        level = {"sql_condition": sql, "label_for_charts": label, "m_probability": m, "fix_m_probability": fixed}
        if tf and i < len(tf):
            level |= tf[i]
        if i < len(u_fixed):
            level |= {"u_probability": u_fixed[i], "fix_u_probability": True}
        out.append(level)
    return {"output_column_name": column, "comparison_levels": out, "comparison_description": column}


def name_tf(p: Parameters) -> list[dict[str, Any]]:
    """Term-frequency adjustment of the name levels, on frequencies estimated by
    `records.name_frequencies` (not counted by Splink). Each level is weighed by its own u
    (`disable_tf_exact_match_detection`), which `set_name_u` fixes to the median frequency:
    the level's weight is then log2(m / median frequency) and the adjustment log2(median /
    this name's frequency), together log2(m / frequency)."""
    if not p.name_rarity:
        return []
    return [{"tf_adjustment_column": col, "tf_adjustment_weight": 1.0, "tf_minimum_u_value": p.name_frequency_floor,
             "disable_tf_exact_match_detection": True} for col in NAME_TF_COLUMNS]


def settings(p: Parameters) -> dict[str, Any]:
    """The Splink settings dictionary (a plain dict, so it is saved and reloaded as JSON)."""
    m = p.m_priors
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": [
            comparison("tax_id", "tax_key_l IS NULL OR tax_key_r IS NULL", TAX_LEVELS, m["tax_id"], fixed=True,
                       u_fixed=tuple(p.tax_id_u)),
            comparison("name", "name_key_l IS NULL OR name_key_r IS NULL", name_levels(p), m["name"], fixed=True,
                       tf=name_tf(p)),
            comparison("legal_form", "legal_form_l IS NULL OR legal_form_r IS NULL",
                       same_or_different("legal_form"), m["legal_form"]),
            comparison("country", "country_l IS NULL OR country_r IS NULL", same_or_different("country"), m["country"]),
            comparison("kind", "kind_l IS NULL OR kind_r IS NULL", same_or_different("kind"), m["kind"]),
        ],
        "blocking_rules_to_generate_predictions": blocking_rules(),
        "retain_intermediate_calculation_columns": True,
        "retain_matching_columns": True,
    }


def blocking_rules() -> list[Any]:
    """None: `blocking.candidate_pairs` makes the candidate pairs and `splink_run` registers them as
    Splink's blocked pairs, so Splink scores exactly those (a model saved with rules of its own is
    from an earlier version, see `splink_run.compatible`)."""
    return []


def set_name_u(linker: Linker, medians: dict[str, float]) -> None:
    """Fix the u of the frequency-weighed name levels to the median frequency of their column."""
    for comp in linker._settings_obj.comparisons:
        if comp.output_column_name != "name":
            continue
        for level in comp.comparison_levels:
            if level.is_null_level or not level._has_tf_adjustments:
                continue
            level.u_probability = max(medians.get(level._tf_adjustment_input_column.input_name, 0.0), 1e-12)
            level._fix_u_probability = True


def floor_m(linker: Linker, floor: float) -> int:
    """Keep every learned m at or above `floor`: EM on a few hundred pairs can drive a level's m
    to zero (no party ever seen in two countries), which would veto cross-border matches."""
    raised = 0
    for comp in linker._settings_obj.comparisons:
        for level in comp.comparison_levels:
            if level.is_null_level or level._fix_m_probability or level.m_probability is None:
                continue
            if level.m_probability < floor:
                level.m_probability = floor
                raised += 1
    return raised


def train(linker: Linker, p: Parameters, n_signatures: int, blocked_pairs: dict[str, int],
          log: logging.Logger) -> list[str]:
    """Estimate the model in place; return notes on what was estimated and what kept its prior."""
    notes = []
    linker.training.estimate_probability_two_random_records_match(
        ["l.tax_key = r.tax_key AND l.tax_verified AND r.tax_verified",
         "l.name_key = r.name_key AND l.country = r.country"], recall=p.prior_recall)
    core = linker._settings_obj.core_model_settings
    floor = min(0.5, p.expected_duplicates / max(1, n_signatures - 1))
    if core.probability_two_random_records_match < floor:
        core.probability_two_random_records_match = floor
        notes.append(f"prior match probability set from link.expected_duplicates ({floor:.2g})")
    linker.training.estimate_u_using_random_sampling(max_pairs=p.u_sample_pairs, seed=1, num_chunks=1,
                                                     min_count_per_level=None)
    pairs = blocked_pairs.get("name_key", 0)
    if pairs < p.em_min_pairs:
        notes.append(f"EM skipped: {pairs} pairs share a name (< link.em_min_pairs {p.em_min_pairs}); priors kept")
    else:
        # Pairs sharing a name teach how often legal form, country and kind disagree within one
        # party. Pairs sharing a tax id are not used: records identical in name and tax id are
        # collapsed into one signature beforehand, so those pairs over-represent spelling errors.
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("name_key"), max_pairs=p.em_max_pairs if pairs > p.em_max_pairs else None,
            record_sample_proportion=1.0, estimate_without_term_frequencies=True, fix_u_probabilities=True)
        floored = floor_m(linker, p.m_floor)
        notes.append(f"m estimated by EM on {pairs} pairs sharing a name"
                     + (f"; {floored} m value(s) raised to link.m_floor" if floored else ""))
    for note in notes:
        log.info(note)
    return notes
