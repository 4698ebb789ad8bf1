"""Actor risk on the demo regions: planted actors rank in the top 5 %, distractors do not."""

from __future__ import annotations

import csv
import json

import pytest

from filon.detect.parameters import defaults
from filon.risk.contributions import (
    Contribution,
    combine,
    money_factor,
    period_end,
    recency,
)
from filon.risk.propagation import Link, propagate
from tests.risk.conftest import REGIONS

SEEDS = [s for s, _ in REGIONS]


def _actor_ranks(region) -> tuple[dict[str, int], int]:
    rows = [r for r in region.risk_rows() if r["subject_type"] == "actor"]
    return {r["subject_id"]: int(r["rank"]) for r in rows}, max(1, len(rows) // 20)


@pytest.mark.parametrize("seed", SEEDS)
def test_planted_actors_rank_in_the_top_five_percent(regions, seed: int) -> None:
    region = regions[seed]
    ranks, top = _actor_ranks(region)
    fire = {t["subject_id"] for t in region.truth if t["subject_type"] == "actor" and t["expected"] == "fire"}
    inside = {a for a in fire if ranks.get(a, 10**9) <= top}
    assert len(inside) >= 0.8 * len(fire), {a: ranks.get(a) for a in sorted(fire - inside)}


def _implicated(region) -> set[str]:
    """Actors that planted cases of any typology point at: actor subjects, and the exporters and
    holders of planted declarations and rights (an actor 'silent' for one typology may be the
    exporter of a planted undervalued declaration, and then it should rank high)."""
    def column(table: str, key: str, value: str) -> dict[str, str]:
        with open(region.package / f"{table}.csv", newline="", encoding="utf-8") as fh:
            return {r[key]: r[value] for r in csv.DictReader(fh)}

    exporter = column("exports", "declaration_id", "exporter_id")
    holder = column("mining_rights", "right_id", "holder_id")
    out = set()
    for t in region.truth:
        if t["expected"] == "fire":
            sid = t["subject_id"]
            out.add({"declaration": exporter, "right": holder}.get(t["subject_type"], {}).get(sid, sid))
    return out


@pytest.mark.parametrize("seed", SEEDS)
def test_distractors_stay_outside_the_top_five_percent(regions, seed: int) -> None:
    region = regions[seed]
    ranks, top = _actor_ranks(region)
    silent = {t["subject_id"] for t in region.truth if t["subject_type"] == "actor" and t["expected"] == "silent"}
    silent -= _implicated(region)
    assert silent
    assert not {a: ranks[a] for a in silent if ranks[a] <= top}


def test_risk_csv_is_complete_and_explained(regions) -> None:
    region = regions[SEEDS[0]]
    rows = region.risk_rows()
    assert list(rows[0]) == ["subject_type", "subject_id", "country", "risk_score", "rank", "reasons"]
    kinds = {r["subject_type"] for r in rows}
    assert kinds == {"actor", "facility", "customs_office", "admin_area", "country_pair"}
    for kind in kinds:
        mine = [r for r in rows if r["subject_type"] == kind]
        assert [int(r["rank"]) for r in mine] == list(range(1, len(mine) + 1))
        scores = [float(r["risk_score"]) for r in mine]
        assert scores == sorted(scores, reverse=True) and all(0.0 <= s <= 1.0 for s in scores)
        for r in mine:
            reasons = json.loads(r["reasons"])
            assert bool(reasons) == (float(r["risk_score"]) > 0), r
    actors = {r["subject_id"] for r in rows if r["subject_type"] == "actor"}
    with open(region.package / "actors.csv", encoding="utf-8") as fh:
        assert {line.split(",")[0] for line in fh.read().splitlines()[1:]} <= actors  # every actor has a rank


def test_declaration_alerts_count_for_their_exporter(regions) -> None:
    region = regions[SEEDS[0]]
    decl = next(a for a in region.alerts if a.typology == "undervaluation")
    row = next(r for r in region.risk_rows() if r["subject_id"] == decl.evidence["exporter_id"])
    reasons = json.loads(row["reasons"])
    assert any(x.get("alert_id") == decl.alert_id and x["via"] == f"declaration {decl.subject_id}" for x in reasons)


def test_a_hub_spreads_its_risk_thinly_and_caps_hold() -> None:
    p = defaults("risk")
    spokes = [f"S{i}" for i in range(200)]
    links = {"HUB": [Link(s, 0.5 / len(spokes) ** 0.5, "sells to") for s in spokes],
             **{s: [Link("HUB", 0.5 / len(spokes) ** 0.5, "buys from")] for s in spokes},
             "OWNER": [Link("BAD", 1.0, "owns (100%)")], "BAD": [Link("OWNER", 1.0, "is owned (100%) by")]}
    reached = propagate({"HUB": 1.0, "BAD": 1.0}, links, p)
    assert max(r.value for s in spokes for r in reached[s]) < 0.05
    assert reached["OWNER"][0].value == p.edge_cap  # a full-strength owner link passes no more than the cap
    assert reached["OWNER"][0].path == ("BAD", "—is owned (100%) by→", "OWNER")


def test_scoring_parts() -> None:
    p = defaults("risk")
    assert combine([0.5, 0.5]) == 0.75
    assert money_factor(None, p) == p.value_floor and money_factor(p.value_full_usd * 10, p) == 1.0
    assert period_end("2024-02").day == 29 and period_end("2023").month == 12
    assert recency("2021-12", period_end("2024-12"), 36.0) == pytest.approx(0.5, abs=0.01)
    assert Contribution(0.3, "alert", "x", "AL-1").reason() == {"kind": "alert", "contribution": 0.3,
                                                                 "typology": "x", "alert_id": "AL-1"}


def test_report_section_shows_actors_and_corridors_escaped(regions) -> None:
    from filon.detect.context import DetectContext
    from filon.engine.base import engine_for
    from filon.report.sections.risk import section
    from filon.risk.contributions import alert_dicts
    from filon.store.workspace import Workspace

    region = regions[SEEDS[0]]
    alerts = alert_dicts(region.alerts)
    top = next(r for r in region.risk_rows() if r["subject_type"] == "actor")
    ctx = DetectContext(engine_for("duckdb", Workspace(region.workspace)))
    try:
        alerts[0]["explanation"] = "<script>alert(1)</script>"
        found = section(ctx, alerts)
    finally:
        ctx.engine.close()
    assert found is not None and found.key == "risk"
    assert top["subject_id"] in found.html and "customs office" in found.html and "<script" not in found.html


def test_actors_resolved_into_one_entity_share_risk(monkeypatch) -> None:
    from filon.risk.propagation import _build_links

    class Ctx:
        def query(self, sql: str, params=None):
            if "FROM entities" in sql:
                return [{"entity_id": "E1", "actor_id": "A", "p": 0.97}, {"entity_id": "E1", "actor_id": "B", "p": 0.99}]
            return []

        def tally(self, tally):
            return f"({tally.query()})"

        def query_arrow(self, sql: str):
            import pyarrow as pa

            return pa.table({"kind": pa.array([], pa.string()), "a": pa.array([], pa.string()),
                             "b": pa.array([], pa.string()), "kg": pa.array([], pa.float64())})

    monkeypatch.setattr("filon.risk.propagation.load_graph", lambda ctx: type("G", (), {"links": []})())
    links = _build_links(Ctx(), defaults("risk"))  # the links themselves, not their keeping
    assert links["A"] == [Link("B", 0.97, "is the same party as")]
    assert links["B"] == [Link("A", 0.97, "is the same party as")]


def test_zero_scoring_actors_are_ranked_by_id_and_written_escaped() -> None:
    """Actors nothing points at are kept as ids (a nation's worth): they still get a row each, ranked after
    the scored ones in id order, merged with actors reached by a path of no weight, and escaped."""
    from filon.risk.actors import ActorRisk, ranked
    from filon.risk.output import RiskResult

    weightless = ActorRisk("C", "PE", 0.0, 0.0, [Contribution(0.0, "linked", path=("X", "—owns→", "C"))])
    risks = {"HOT": ActorRisk("HOT", "PE", 0.8, 0.0, [Contribution(0.8, "alert", "x", "AL-1")]), "C": weightless}
    actors = {"=HYPERLINK(1)": "CO", "B": "@BO", "C": "PE", "HOT": "PE"}
    scored, zero = ranked(risks, actors)
    assert [r.actor_id for r in scored] == ["HOT"] and zero == ["=HYPERLINK(1)", "B", "C"]
    node = {"subject_type": "facility", "subject_id": "-F1", "country": "PE", "risk_score": 0.5,
            "reasons": [{"kind": "x"}], "rank": 1}
    top = {"subject_type": "actor", "subject_id": "HOT", "country": "PE", "risk_score": 0.8,
           "reasons": scored[0].reasons(3), "rank": 1}
    result = RiskResult([top, node], risks, [], zero_actors=zero, countries=actors, top_reasons=3)
    rows = [list(r) for r in result.cells()]
    assert [r[:5] for r in rows] == [["actor", "HOT", "PE", 0.8, 1], ["actor", "'=HYPERLINK(1)", "CO", 0.0, 2],
                                     ["actor", "B", "'@BO", 0.0, 3], ["actor", "C", "PE", 0.0, 4],
                                     ["facility", "'-F1", "PE", 0.5, 1]]
    assert rows[1][5] == rows[2][5] == "[]" and json.loads(rows[3][5])[0]["kind"] == "linked"
