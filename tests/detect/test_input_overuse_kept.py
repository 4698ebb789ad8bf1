"""input_overuse from kept tallies: the same findings as judging every actor-year from the rows, and
tallies brought up to date by a batch's own sums only while the actor-right links stay the same."""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
import pytest

from filon.detect.context import DetectContext
from filon.detect.incremental import fingerprints
from filon.detect.input_overuse import _assess, detect
from filon.detect.parameters import defaults
from filon.detect.tally import TallyStore
from filon.engine.duckdb import DuckDBEngine
from filon.ingest.load import ingest_package
from filon.store.remove import remove_batch
from filon.store.workspace import Workspace
from tests.detect.test_incremental import close
from tests.detect.test_supply_tally import connection as supply_connection
from tests.detect.test_supply_tally import write_package, write_tables

P = defaults("input_overuse")
TABLES = ("inputs", "production", "mining_rights", "prices")

# The rules as the detector applied them before it kept tallies: every actor-year's purchases, gold
# and scales straight from the rows.
LINKS = """SELECT holder_id AS actor_id, right_id FROM mining_rights
           UNION SELECT producer_id AS actor_id, right_id FROM production WHERE producer_id IS NOT NULL"""
ROW_PURCHASES = f"""
    WITH links AS ({LINKS}),
    in_force AS (
      SELECT DISTINCT i.record_id FROM inputs i JOIN links l ON l.actor_id = i.actor_id
      JOIN mining_rights r ON r.right_id = l.right_id
      WHERE (r.granted_on IS NULL OR r.granted_on <= i.date) AND (r.expires_on IS NULL OR i.date <= r.expires_on)
        AND (r.status = 'active' OR (r.status = 'expired' AND r.expires_on IS NOT NULL)))
    SELECT i.actor_id, strftime(i.date, '%Y') AS year, i.input, i.unit, min(i.country) AS country,
           sum(i.quantity) AS quantity, count(*) AS records,
           sum(CASE WHEN i.authorization_id IS NULL OR trim(i.authorization_id) = '' THEN 1 ELSE 0 END) AS no_auth,
           sum(CASE WHEN f.record_id IS NULL THEN 1 ELSE 0 END) AS no_right,
           sum(CASE WHEN i.input = 'mercury' AND i.country = 'CO' AND i.date >= DATE '2018-07-15' THEN 1 ELSE 0 END) AS banned
    FROM inputs i LEFT JOIN in_force f ON f.record_id = i.record_id
    WHERE i.quantity IS NOT NULL GROUP BY ALL ORDER BY i.actor_id, year, i.input, i.unit"""
ROW_PRODUCTION = f"""
    WITH links AS ({LINKS})
    SELECT l.actor_id, left(p.period, 4) AS year,
           sum(CASE WHEN p.commodity = 'Au' THEN p.fine_mass_kg ELSE 0 END) AS au_kg,
           count(DISTINCT CASE WHEN p.commodity <> 'Au' AND p.fine_mass_kg > 0 THEN p.commodity END) AS other_rows,
           count(DISTINCT p.right_id) AS rights
    FROM production p JOIN links l ON l.right_id = p.right_id GROUP BY ALL"""
ROW_SCALES = f"""WITH links AS ({LINKS}) SELECT DISTINCT l.actor_id, coalesce(r.scale, 'unknown') AS scale
                 FROM links l JOIN mining_rights r ON r.right_id = l.right_id"""


def expected(ctx: DetectContext) -> tuple[dict[tuple[str, str], dict[str, Any]], int]:
    """Every actor-year the rules flag, judged from the rows, and how many actor-years bought."""
    produced = {(r["actor_id"], r["year"]): r for r in ctx.query(ROW_PRODUCTION)}
    scales: dict[str, set[str]] = defaultdict(set)
    for r in ctx.query(ROW_SCALES):
        scales[r["actor_id"]].add(r["scale"])
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in ctx.query(ROW_PURCHASES):
        groups[(r["actor_id"], r["year"])].append(r)
    out = {}
    for key, rows in groups.items():
        found = _assess(rows, produced.get(key), scales.get(key[0], set()), P)
        if found is not None:
            out[key] = found
    return out, len(groups)


def random_rows(rng: random.Random, n: int) -> dict[str, list[dict[str, Any]]]:
    """Rights of every scale (one the parameters do not list, one unknown), holders and operators,
    gold and other metals, and purchases around the thresholds, in units that fit their input or not."""
    actors = [f"A{i}" for i in range(20)]
    rights = [{"right_id": f"R{i}", "country": "PE", "holder_id": rng.choice(actors[:18] + [None]),
               "scale": rng.choice(("artisanal", "small", "small", "medium", "large", "odd", None)),
               "status": rng.choice(("active", "active", "active", "expired", "suspended")),
               "granted_on": rng.choice((None, "2020-01-01", "2020-01-01", "2024-03-01")),
               "expires_on": rng.choice((None, None, "2023-06-30", "2030-01-01"))} for i in range(30)]
    production = [{"record_id": f"P{i}", "country": "PE", "right_id": rng.choice([r["right_id"] for r in rights] + ["R99"]),
                   "producer_id": rng.choice((None, None, None, "A6", "A19")),
                   "period": rng.choice(("2023", "2024", f"{rng.choice((2023, 2024))}-{rng.randint(1, 12):02d}")),
                   "commodity": rng.choice(("Au", "Au", "Au", "Ag")),
                   "fine_mass_kg": rng.choice((None, 0.0, round(rng.uniform(0.01, 3), 3)))} for i in range(n)]
    units = {"mercury": ("kg", "g", "L"), "cyanide": ("kg", "t"), "explosives": ("kg", "t"),
             "diesel": ("L", "m3", "gal", "kg"), "gasoline": ("L", "gal"), "machinery": ("unit",)}
    scale = {"kg": 1.0, "g": 1000.0, "t": 0.001, "L": 1.0, "m3": 0.001, "gal": 0.26, "unit": 1.0}
    base = {"mercury": 8.0, "cyanide": 900.0, "explosives": 800.0, "diesel": 9000.0, "gasoline": 2500.0, "machinery": 3}
    inputs = []
    for i in range(n):
        item = rng.choice(tuple(units))
        unit = rng.choice(units[item])
        inputs.append({"record_id": f"I{i}", "country": rng.choice(("PE",) * 12 + ("CO",)),
                       "date": f"{rng.choice((2023, 2024))}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                       "actor_id": rng.choice(actors), "input": item, "unit": unit,
                       "quantity": round(base[item] * scale[unit] * rng.uniform(0.05, 4), 3),
                       "authorization_id": "" if rng.random() < 0.02 else "AUT-1"})
    prices = [{"date": "2023-06-01", "commodity": "Au", "price_usd": 1900, "unit": "troy_oz", "source": "WB"},
              {"date": "2024-06-01", "commodity": "Au", "price_usd": 2300, "unit": "troy_oz", "source": "WB"}]
    return {"inputs": inputs, "production": production, "mining_rights": rights, "prices": prices}


def connection(rows: dict[str, list[dict[str, Any]]]) -> duckdb.DuckDBPyConnection:
    return supply_connection(rows, TABLES)


@pytest.mark.parametrize("seed", range(6))
def test_the_candidates_hold_every_actor_year_the_rules_flag(seed: int) -> None:
    ctx = DetectContext(DuckDBEngine(connection(random_rows(random.Random(seed), 400))))
    want, bought = expected(ctx)
    overuse_only = [k for k, f in want.items() if f["overuse"] and not any(f["counts"].values())]
    assert overuse_only and len(want) < bought  # the quantities decide, and some actor-years stay silent
    got = {(a.subject_id, a.period): a for a in detect(ctx, P)}
    assert got.keys() == want.keys()
    for key, a in got.items():
        w = want[key]
        assert a.evidence["declared_au_kg"] == pytest.approx(round(w["au_kg"], 4), abs=1e-9)
        assert a.evidence["rights"] == w["rights"] and a.evidence["right_scales"] == w["scales"]
        assert [(e["input"], e["method"], e.get("excess") is None) for e in a.evidence["inputs"]] == [
            (e["input"], e["method"], e.get("excess") is None) for e in w["bought"]]
        assert [e["bought"] for e in a.evidence["inputs"]] == pytest.approx([e["bought"] for e in w["bought"]])
        assert {r: a.evidence[f] for r, f in (("no_right_in_force", "purchases_without_right_in_force"),
                                              ("banned", "purchases_banned"))} == {
            r: w["counts"][r] for r in ("no_right_in_force", "banned")}


# -- kept between runs ---------------------------------------------------------------------------

RIGHTS = ("PE-R001", "PE-R002", "PE-R003")


def production(rng: random.Random, n: int, start: int, producer: str | None = None) -> list[dict[str, Any]]:
    return [{"record_id": f"P{start + i}", "country": "PE", "right_id": rng.choice(RIGHTS), "producer_id": producer,
             "period": f"{rng.choice((2023, 2024))}-{rng.randint(1, 12):02d}", "commodity": "Au",
             "fine_mass_kg": round(rng.uniform(0.01, 0.5), 3)} for i in range(n)]


def purchases(rng: random.Random, n: int, start: int) -> list[dict[str, Any]]:
    return [{"record_id": f"I{start + i}", "country": "PE", "actor_id": rng.choice(("PE-A001", "PE-A002", "PE-A003", "PE-A004")),
             "date": f"{rng.choice((2023, 2024))}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
             "input": rng.choice(("mercury", "cyanide")), "unit": "kg", "quantity": round(rng.uniform(1, 400), 1),
             "authorization_id": rng.choice(("", "AUT-1"))} for i in range(n)]


class Run:
    """input_overuse on workspace `ws` with tallies kept in `folder`, recording which batches each
    tally was computed over (None: every row)."""

    def __init__(self, ws: Path, folder: Path, read: bool = True) -> None:
        workspace = Workspace(ws)
        store = TallyStore(folder, workspace, fingerprints(workspace), read=read)
        self.over: dict[str, dict[str, set[str] | None]] = {}
        inner = store._over
        store._over = lambda tally, only: self.over.__setitem__(tally.name, dict(only)) or inner(tally, only)  # type: ignore[method-assign]
        ctx = DetectContext(DuckDBEngine(workspace.connect()), tallies=store)
        self.alerts = {a.alert_id: a for a in detect(ctx, P)}
        self.fresh = {a.alert_id: a for a in detect(DetectContext(DuckDBEngine(workspace.connect())), P)}

    def same_as_fresh(self) -> bool:
        """The alerts equal those computed from every row (numbers up to summation order)."""
        return self.alerts.keys() == self.fresh.keys() and all(
            close([a.score, a.value_at_risk_usd, a.evidence], [b.score, b.value_at_risk_usd, b.evidence])
            for a, b in ((self.alerts[k], self.fresh[k]) for k in self.alerts))


def add(tmp_path: Path, name: str, rows: dict[str, list[dict[str, Any]]]) -> set[str]:
    before = {b.batch_id for b in Workspace(tmp_path / "ws").batches}
    (tmp_path / name).mkdir()
    ingest_package(write_tables(tmp_path / name, rows), tmp_path / "ws")
    return {b.batch_id for b in Workspace(tmp_path / "ws").batches} - before


def test_a_batch_adds_its_own_sums_while_the_links_stay(tmp_path: Path) -> None:
    rng = random.Random(3)
    ingest_package(write_package(tmp_path / "base", {"production": production(rng, 40, 0, None),
                                                     "inputs": purchases(rng, 40, 0)}), tmp_path / "ws")
    folder = tmp_path / "out" / "tallies"
    first = Run(tmp_path / "ws", folder)
    assert first.alerts and first.same_as_fresh()
    assert all(v is None for only in first.over.values() for v in only.values())

    # a month of production from rights already linked: production sums added, purchases as they were
    new = add(tmp_path, "month", {"production": production(rng, 10, 100)})
    month = Run(tmp_path / "ws", folder)
    assert month.same_as_fresh()
    assert month.over == {"input_overuse_operators": {"production": new},
                          "input_overuse_actor_production": {"production": new}}

    # new purchases: the purchases tally moves by the batch's own sums, and the limits drawn from it
    new = add(tmp_path, "bought", {"inputs": purchases(rng, 15, 100)})
    bought = Run(tmp_path / "ws", folder)
    assert bought.same_as_fresh()
    assert bought.over == {"input_overuse_purchases": {"inputs": new}, "input_overuse_limits": {}}

    # a right operated by a new producer: every actor's gold, scales and rights in force may move
    add(tmp_path, "operator", {"production": production(rng, 5, 200, "PE-A003")})
    operator = Run(tmp_path / "ws", folder)
    assert operator.same_as_fresh()
    assert {n for n, only in operator.over.items() if all(v is None for v in only.values())} == {
        "input_overuse_purchases", "input_overuse_actor_production", "input_overuse_limits"}


def test_what_is_not_pure_addition_is_computed_from_all_rows(tmp_path: Path) -> None:
    rng = random.Random(4)
    ingest_package(write_package(tmp_path / "base", {"production": production(rng, 40, 0, None),
                                                     "inputs": purchases(rng, 40, 0)}), tmp_path / "ws")
    folder = tmp_path / "out" / "tallies"
    Run(tmp_path / "ws", folder)
    new = add(tmp_path, "month", {"production": production(rng, 10, 100), "inputs": purchases(rng, 10, 100)})
    Run(tmp_path / "ws", folder)
    every = {"input_overuse_operators", "input_overuse_purchases", "input_overuse_actor_production"}

    def from_all_rows(run: Run) -> set[str]:
        return {n for n, only in run.over.items() if only and all(v is None for v in only.values())}

    # a batch removed: its sums cannot be taken back out
    ws = Workspace(tmp_path / "ws")
    remove_batch(ws, next(b for b in new if any(x.batch_id == b and x.table == "production" for x in ws.batches)),
                 force=True)
    removed = Run(tmp_path / "ws", folder)
    assert removed.same_as_fresh() and removed.over.keys() == {"input_overuse_operators",
                                                               "input_overuse_actor_production"}
    assert from_all_rows(removed) == set(removed.over)
    # a right's holder changed (a lookup): every tally reading the links again
    add(tmp_path, "holder", {"mining_rights": [{"right_id": "PE-R009", "country": "PE", "holder_id": "PE-A003",
                                                "regime": "concession", "status": "active", "scale": "small"}]})
    lookup = Run(tmp_path / "ws", folder)
    assert lookup.same_as_fresh() and from_all_rows(lookup) >= {"input_overuse_purchases",
                                                                "input_overuse_actor_production"}
    assert "input_overuse_limits" in lookup.over
    # --full: every tally from all rows, and kept
    full = Run(tmp_path / "ws", folder, read=False)
    assert full.same_as_fresh() and from_all_rows(full) == every and "input_overuse_limits" in full.over
    assert Run(tmp_path / "ws", folder).over == {}  # nothing new: the kept tallies as they are
