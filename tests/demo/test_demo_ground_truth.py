"""Ground truth: every typology of the spec is planted (fire) and shadowed by a look-alike (silent),
and naive reference rules (demo_oracles.py) find exactly the planted cases."""

from __future__ import annotations

import demo_oracles as o
import duckdb
import pytest

#: The "Regional typology codes" table of the data standard (docs: shared spec, section Alert output).
TYPOLOGIES = (
    "export_without_supply", "production_over_capacity", "inactive_right_production",
    "national_export_exceeds_supply", "mirror_trade_gap", "undervaluation", "overvaluation",
    "content_misdeclaration", "new_exporter_surge", "mass_balance_break", "opaque_ownership", "sanctioned_party",
    "shared_controller", "unlicensed_disturbance", "protected_area_disturbance", "production_without_disturbance",
    "displacement", "input_overuse", "route_deviation",
)
SUBJECT_TYPES = {"actor", "right", "declaration", "lot", "country", "country_pair", "area", "asset"}


def subjects(con: duckdb.DuckDBPyConnection, typology: str, expected: str = "fire") -> set[str]:
    return {s for s, _ in o.truth(con, typology, expected)}


def test_every_typology_has_fire_and_silent(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("SELECT typology, expected, count(*) FROM ground_truth GROUP BY ALL").fetchall()
    counts = {(t, e): n for t, e, n in rows}
    assert {t for t, _ in counts} == set(TYPOLOGIES)
    for t in TYPOLOGIES:
        assert counts.get((t, "fire"), 0) >= 1, t
        assert counts.get((t, "silent"), 0) >= 1, t


def test_ground_truth_rows_are_well_formed(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("SELECT typology, subject_type, subject_id, country, period, expected, note "
                       "FROM ground_truth").fetchall()
    keys = [(t, s, p) for t, _, s, _, p, _, _ in rows]
    assert len(keys) == len(set(keys))
    tables = {"actor": ("actors", "actor_id"), "right": ("mining_rights", "right_id"),
              "declaration": ("exports", "declaration_id"), "asset": ("movements", "asset_id")}
    for typology, stype, sid, country, period, expected, note in rows:
        assert stype in SUBJECT_TYPES and expected in ("fire", "silent") and note
        assert country in ("PE", "CO", "BO", "EC")
        assert period is None or len(period) in (4, 7, 10)
        if stype in tables:
            table, col = tables[stype]
            assert con.execute(f"SELECT count(*) FROM {table} WHERE {col} = ?", [sid]).fetchone()[0] > 0, sid
        elif stype == "area":
            n = con.execute("SELECT (SELECT count(*) FROM detections WHERE detection_id = $1) + "
                            "(SELECT count(*) FROM operations WHERE operation_id = $1)", [sid]).fetchone()[0]
            assert n == 1, sid
        elif stype == "country_pair":
            assert len(sid) == 5 and sid[2] == ">"


def test_no_subject_is_both_fire_and_silent(con: duckdb.DuckDBPyConnection) -> None:
    clash = con.execute("""SELECT typology, subject_id, period FROM ground_truth GROUP BY ALL
                           HAVING count(DISTINCT expected) > 1""").fetchall()
    assert not clash


# --- the most important property: mass balance -------------------------------------------------

@pytest.mark.parametrize("union", [True, False], ids=["holder+operator", "operator-else-holder"])
def test_mass_balance_breaks_are_exactly_the_planted_ones(con: duckdb.DuckDBPyConnection, union: bool) -> None:
    """Actor-years with out > in x 1.05 and out - in > 1 kg: exactly the planted mass_balance_break cases
    among traders, processors and cooperatives, and exactly the export_without_supply cases elsewhere."""
    breaks = o.balance_breaks(con, "Au", union=union)
    population = o.mbb_population(con)
    assert {b for b in breaks if b[0] in population} == o.truth(con, "mass_balance_break")
    assert {b for b in breaks if b[0] not in population} == o.truth(con, "export_without_supply")
    assert len(o.truth(con, "mass_balance_break")) >= 3
    countries = con.execute("""SELECT count(DISTINCT country) FROM ground_truth
                               WHERE typology = 'mass_balance_break' AND expected = 'fire'""").fetchone()[0]
    assert countries >= 3


def test_mass_balance_silent_cases_stay_within_tolerance(con: duckdb.DuckDBPyConnection) -> None:
    breaks = o.balance_breaks(con, "Au")
    assert not (o.truth(con, "mass_balance_break", "silent") & breaks)


def test_every_other_actor_balances_within_5_percent(con: duckdb.DuckDBPyConnection) -> None:
    """Even without the 1 kg floor, no unplanted actor-year sells more than 105 % of what it received."""
    planted = o.truth(con, "mass_balance_break") | o.truth(con, "export_without_supply")
    assert o.balance_breaks(con, "Au", min_kg=0.0) == planted


def test_copper_balances(con: duckdb.DuckDBPyConnection) -> None:
    assert not o.balance_breaks(con, "Cu")


# --- country level ---------------------------------------------------------------------------

def test_national_exports_exceed_supply_only_where_planted(con: duckdb.DuckDBPyConnection) -> None:
    fired, ratios = o.national_breaks(con)
    assert {(c, y) for c, y in fired} == {(s, p) for s, p in o.truth(con, "national_export_exceeds_supply")}
    assert all(r < 0.98 for k, r in ratios.items() if k not in fired)
    assert all(r > 1.1 for k, r in ratios.items() if k in fired)


def test_mirror_gaps_only_where_planted(con: duckdb.DuckDBPyConnection) -> None:
    fired, gaps = o.mirror_gaps(con, tolerance=0.2)
    assert fired == o.truth(con, "mirror_trade_gap")
    assert all(abs(g) < 0.06 for k, g in gaps.items() if k not in fired)


# --- declarations ----------------------------------------------------------------------------

def test_valuation_outliers_only_where_planted(con: duckdb.DuckDBPyConnection) -> None:
    ratio = o.valuation(con)
    assert {d for d, r in ratio.items() if r < 0.75} == subjects(con, "undervaluation")
    assert {d for d, r in ratio.items() if r > 1.3} == subjects(con, "overvaluation")


def test_hidden_gold_only_where_planted(con: duckdb.DuckDBPyConnection) -> None:
    assert o.hidden_content(con) == subjects(con, "content_misdeclaration")


def test_new_exporter_surge_only_where_planted(con: duckdb.DuckDBPyConnection) -> None:
    new = o.new_exporters(con)
    surging = {a for a, (_, kg, median) in new.items() if kg >= median}
    assert surging == subjects(con, "new_exporter_surge")
    assert subjects(con, "new_exporter_surge", "silent") & set(new)  # a small newcomer exists


# --- rights ----------------------------------------------------------------------------------

def test_capacity_breaks_only_where_planted(con: duckdb.DuckDBPyConnection) -> None:
    grades = o.implied_grade(con)
    assert {r for (r, _), g in grades.items() if g > 20} == subjects(con, "production_over_capacity")
    assert max(g for (r, _), g in grades.items() if r not in subjects(con, "production_over_capacity")) < 12


def test_inactive_right_activity_only_where_planted(con: duckdb.DuckDBPyConnection) -> None:
    assert o.inactive_rights(con) == subjects(con, "inactive_right_production")


# --- territory -------------------------------------------------------------------------------

def test_disturbance_cases_only_where_planted(con: duckdb.DuckDBPyConnection) -> None:
    unlicensed, protected, unseen = o.disturbance(con)
    assert unlicensed == subjects(con, "unlicensed_disturbance")
    assert protected == subjects(con, "protected_area_disturbance")
    assert unseen == subjects(con, "production_without_disturbance")


def test_displacement_only_after_the_planted_operation(con: duckdb.DuckDBPyConnection) -> None:
    counts = o.displacement(con)
    rising = {op for op, (before, after) in counts.items() if after >= 2 * before + 5}
    assert rising == subjects(con, "displacement")
    assert subjects(con, "displacement", "silent") <= set(counts)


def test_route_deviations_only_where_planted(con: duckdb.DuckDBPyConnection) -> None:
    assert o.route_deviations(con) == subjects(con, "route_deviation")


def test_input_overuse_only_where_planted(con: duckdb.DuckDBPyConnection) -> None:
    assert o.input_overuse(con) == o.truth(con, "input_overuse")


# --- registry --------------------------------------------------------------------------------

def test_registry_cases_only_where_planted(con: duckdb.DuckDBPyConnection) -> None:
    opaque, sanctioned, shared = o.registry_cases(con)
    assert opaque == subjects(con, "opaque_ownership")
    assert sanctioned == subjects(con, "sanctioned_party")
    assert shared == subjects(con, "shared_controller")
