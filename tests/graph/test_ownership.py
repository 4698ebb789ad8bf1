"""Ownership graph: effective shares on chains, parallel paths, cycles, ranges, dates; UBOs and control."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filon.errors import InvalidData
from filon.graph.ownership import (
    OwnershipGraph,
    build_graph,
    controllers,
    cycles,
    effective_ownership,
    layers,
    name_node_id,
    ultimate_owners,
)


def own(subject: str, owner: str, share: float | None = None, kind: str = "shareholding", **extra: object) -> dict:
    key = "owner_name" if owner.islower() or " " in owner else "owner_id"
    return {"record_id": f"{subject}<{owner}:{kind}", "subject_id": subject, key: owner, "share_pct": share,
            "control_kind": kind, **extra}


def actors(**kinds: str) -> list[dict]:
    return [{"actor_id": a, "name": f"NAME {a}", "kind": k, "country": "PE"} for a, k in kinds.items()]


PEOPLE = actors(A="company", B="company", C="company", D="company", P="person", Q="person", R="person")


def test_chain_multiplies_shares() -> None:
    g = build_graph([own("A", "B", 60), own("B", "C", 50), own("C", "P", 100)], PEOPLE)
    e = effective_ownership(g)
    assert e.share("A", "B") == pytest.approx((0.6, 0.6))
    assert e.share("A", "C") == pytest.approx((0.3, 0.3))
    assert e.share("A", "P") == pytest.approx((0.3, 0.3))
    assert layers(g, "A") == [["B"], ["C"], ["P"]]


def test_parallel_paths_add_up() -> None:
    g = build_graph([own("A", "B", 50), own("A", "C", 50), own("B", "P", 40), own("C", "P", 60), own("B", "Q", 60)], PEOPLE)
    assert effective_ownership(g).share("A", "P") == pytest.approx((0.5, 0.5))
    assert [u.node_id for u in ultimate_owners(g, "A", 25.0)] == ["P", "Q"]
    assert [u.node_id for u in ultimate_owners(g, "A", 40.0)] == ["P"]


def test_cycle_converges_to_closed_form() -> None:
    # A owns 50 % of B, B owns 50 % of A, C (a person here: P) owns the other 50 % of A.
    g = build_graph([own("B", "A", 50), own("A", "B", 50), own("A", "P", 50)], PEOPLE)
    e = effective_ownership(g)
    assert e.converged
    assert e.share("A", "P") == pytest.approx((2 / 3, 2 / 3), abs=1e-5)   # 0.5 / (1 - 0.25); walks under 1e-6 are pruned
    assert e.share("B", "P") == pytest.approx((1 / 3, 1 / 3), abs=1e-5)
    assert e.circular == {"A", "B"}
    assert cycles(g) == [["A", "B"]]


def test_full_cycle_is_capped_and_reported() -> None:
    g = build_graph([own("A", "B", 100), own("B", "A", 100), own("C", "A", 100)], PEOPLE)
    e = effective_ownership(g)
    assert max(e.low.data) <= 1.0
    assert e.circular == {"A", "B"}
    assert ultimate_owners(g, "C", 25.0) == []


def test_ranges_give_bounds_not_points() -> None:
    g = build_graph([own("A", "B", None, share_min=20, share_max=40), own("B", "P", 50), own("A", "Q", 60)], PEOPLE)
    assert effective_ownership(g).share("A", "P") == pytest.approx((0.1, 0.2))
    [p] = [u for u in ultimate_owners(g, "A", 15.0) if u.node_id == "P"]
    assert (p.low_pct, p.high_pct, p.certain) == (10.0, 20.0, False)


def test_missing_share_is_bounded_by_what_is_left() -> None:
    g = build_graph([own("A", "P", 70), own("A", "Q")], PEOPLE)
    assert effective_ownership(g).share("A", "Q") == pytest.approx((0.0, 0.3))


def test_over_100_percent_is_scaled_and_warned() -> None:
    g = build_graph([own("A", "P", 80), own("A", "Q", 80)], PEOPLE)
    assert effective_ownership(g).share("A", "P") == pytest.approx((0.5, 0.5))
    assert "160" in g.warnings[0] and "A" in g.warnings[0]


def test_only_links_valid_at_the_date_count() -> None:
    rows = [own("A", "P", 100, start_date="2010-01-01", end_date="2018-05-01"),
            own("A", "Q", 100, start_date="2018-05-01")]
    assert [u.node_id for u in ultimate_owners(build_graph(rows, PEOPLE, as_of=date(2015, 1, 1)), "A", 25)] == ["P"]
    assert [u.node_id for u in ultimate_owners(build_graph(rows, PEOPLE, as_of=date(2020, 1, 1)), "A", 25)] == ["Q"]
    both = build_graph(rows, PEOPLE, period=(date(2017, 1, 1), date(2019, 1, 1)))
    assert {link.owner for link in both.links} == {"P", "Q"}


def test_nominee_and_director_are_control_not_ownership() -> None:
    g = build_graph([own("A", "B", 100, kind="nominee"), own("A", "P", kind="director"), own("B", "Q", 100)], PEOPLE)
    assert effective_ownership(g).of("A") == {}
    assert ultimate_owners(g, "A", 25.0) == []
    found = {c.node_id: c for c in controllers(g, "A")}
    assert found["B"].basis == "nominee" and found["P"].basis == "director"
    assert found["Q"].basis == "ownership" and found["Q"].via == ("B",)


def test_declared_beneficial_owner_is_an_ultimate_owner() -> None:
    g = build_graph([own("A", "P", 100), own("A", "Q", 100, kind="beneficial")], PEOPLE)
    by_id = {u.node_id: u for u in ultimate_owners(g, "A", 25.0)}
    assert by_id["P"].basis == "ownership" and by_id["Q"].basis == "declared beneficial"
    assert {c.node_id for c in controllers(g, "A")} == {"P", "Q"}


def test_minority_stakes_do_not_control() -> None:
    g = build_graph([own("A", "P", 5), own("A", "Q", 95)], PEOPLE)
    assert [c.node_id for c in controllers(g, "A", 50.0)] == ["Q"]


def test_name_only_owners_get_stable_ids_and_person_guess() -> None:
    g = build_graph([own("A", "FUNDACION PRIVADA LOS ALISIOS", 60), own("A", "QUISPE MAMANI JUAN", 40)], PEOPLE)
    fund, person = name_node_id("Fundación Privada  Los Alisios"), name_node_id("QUISPE MAMANI JUAN")
    assert fund == "name:FUNDACION-PRIVADA-LOS-ALISIOS"
    assert not g.node(fund).natural_person and g.node(person).natural_person
    assert [u.node_id for u in ultimate_owners(g, "A", 25.0) if u.natural_person] == [person]


@pytest.mark.parametrize(("row", "message"), [
    ({"record_id": "R1", "subject_id": "A", "share_pct": 10}, "neither owner_id nor owner_name"),
    ({"record_id": "R2", "subject_id": "A", "owner_id": "P", "share_pct": 140}, "outside 0-100"),
    ({"record_id": "R3", "subject_id": "A", "owner_id": "P", "start_date": "2023-02-31"}, "YYYY-MM-DD"),
    ({"record_id": "R4", "subject_id": "A", "owner_id": "P", "share_min": 50, "share_max": 10}, "swap"),
])
def test_bad_rows_name_the_record_and_the_fix(row: dict, message: str) -> None:
    with pytest.raises(InvalidData, match=message) as err:
        build_graph([row], PEOPLE)
    assert row["record_id"] in str(err.value)


@st.composite
def ownership_tables(draw: st.DrawFn) -> list[dict]:
    n = draw(st.integers(2, 8))
    rows = []
    for s in range(n):
        owners = draw(st.lists(st.integers(0, n + 2), max_size=4, unique=True))
        cuts = sorted(draw(st.lists(st.floats(0, 100), min_size=len(owners), max_size=len(owners))))
        prev = 0.0
        for o, cut in zip(owners, cuts):
            owner = f"C{o}" if o < n else f"P{o}"
            rows.append({"record_id": f"{s}-{o}", "subject_id": f"C{s}", "owner_id": owner,
                         "share_pct": round(cut - prev, 6)})
            prev = cut
    return rows


@settings(max_examples=150, deadline=None)
@given(ownership_tables())
def test_terminal_owners_never_hold_more_than_everything(rows: list[dict]) -> None:
    g = build_graph(rows)
    e = effective_ownership(g)
    for subject in {r["subject_id"] for r in rows}:
        terminal_total = sum(hi for o, (_, hi) in e.of(subject).items() if not any(x.equity for x in g.links_into(o)))
        assert terminal_total <= 1.0 + 1e-6
        assert all(0.0 <= lo <= hi <= 1.0 + 1e-9 for lo, hi in e.of(subject).values())


def test_graph_survives_pickling_as_kept_between_runs() -> None:
    import pickle

    g = build_graph([own("A", "B", 60), own("B", "C", 50), own("C", "P", 100)], PEOPLE)
    back = pickle.loads(pickle.dumps(g))
    assert back.nodes == g.nodes and back.links == g.links
    assert [n.natural_person for n in back.nodes.values()] == [n.natural_person for n in g.nodes.values()]


def _same_graph(back: OwnershipGraph, g: OwnershipGraph) -> None:
    """Every view of `back` (a graph read back from its columns) equals `g`'s, in the same order."""
    assert list(back.nodes.items()) == list(g.nodes.items()) and list(back.links) == list(g.links)
    for index in ("owners_of", "holdings_of"):
        assert list(getattr(back, index).items()) == list(getattr(g, index).items())
        assert len(getattr(back, index)) == len(getattr(g, index))
    for n in [*g.nodes, "nobody"]:
        assert back.links_into(n) == g.links_into(n) and back.links_from(n) == g.links_from(n)
        assert (n in back.owners_of) == (n in g.owners_of) and back.effective.of(n) == g.effective.of(n)
    assert back.effective.circular == g.effective.circular and back.effective.ids == g.effective.ids
    assert (back.effective.low is back.effective.high) == (g.effective.low is g.effective.high)
    assert (back.as_of, back.period, back.warnings) == (g.as_of, g.period, g.warnings)
    assert cycles(back) == cycles(g) and layers(back, "A") == layers(g, "A")


@settings(max_examples=60, deadline=None)
@given(ownership_tables(), st.booleans())
def test_a_graph_read_back_from_its_columns_is_the_same_graph(rows: list[dict], named: bool) -> None:
    """A kept graph is pickled as columns and builds its nodes and links as they are asked for: the
    same nodes, links, indexes (orders included) and effective ownership as the graph it was."""
    import pickle

    rows = [*rows, own("C0", "FUNDACION LOS ALISIOS", None), own("C1", "C0", None, share_min=10, share_max=30),
            own("C1", "P9", kind="director", start_date="2020-01-31")] if named else rows
    people = [*PEOPLE, {"actor_id": "C0", "name": "Señor Ñu S.A.C.", "kind": "company", "country": "PE",
                        "incorporation_date": "2019-12-01", "roles": "miner; exporter"}]
    g = build_graph(rows, people, as_of=date(2024, 1, 1))
    _same_graph(pickle.loads(pickle.dumps(g)), g)
    again = pickle.loads(pickle.dumps(pickle.loads(pickle.dumps(g))))  # a graph read back pickles as well
    _same_graph(again, g)


def test_an_empty_graph_survives_pickling() -> None:
    import pickle

    g = build_graph([])
    back = pickle.loads(pickle.dumps(g))
    assert dict(back.nodes) == {} and list(back.links) == [] and dict(back.owners_of) == {} and back.effective.of("A") == {}


@pytest.mark.parametrize("ranged", [False, True])
def test_effective_rows_read_from_the_matrices_equal_scipy_rows(ranged: bool) -> None:
    """`of` reads a row straight from the CSR arrays: the same owners, order and bounds as scipy's rows."""
    rows = [own("A", "B", 60), own("A", "C", None, share_min=10, share_max=30) if ranged else own("A", "C", 20),
            own("B", "C", 50), own("C", "P", 100), own("B", "Q", 50), own("D", "A", 100)]
    e = effective_ownership(build_graph(rows, PEOPLE))
    assert (e.low is e.high) is not ranged
    for subject in [*e.ids, "nobody"]:
        i = e.index.get(subject)
        expected = {} if i is None else {
            e.ids[j]: (dict(zip(e.low.getrow(i).indices, e.low.getrow(i).data)).get(j, 0.0), h)
            for j, h in zip(e.high.getrow(i).indices, e.high.getrow(i).data)}
        assert list(e.of(subject).items()) == list(expected.items())
    assert e.of("A")["P"] == pytest.approx((0.4, 0.6) if ranged else (0.5, 0.5))
