"""The supply tally (`filon.detect._supply.supply_tally`) and the store keeping it between runs
(`filon.detect.tally.TallyStore`).

The balance detectors read their sums from the tally, so it must hold, for every actor, commodity and
year, what the row-level definitions give (checked here against a plain Python computation over the
flow records, NULLs and yearly records included). A tally brought up to date by adding new batches
must equal one computed from all rows, and anything that is not pure addition (a batch removed, a
lookup table changed, other SQL, a damaged file) must compute it from all rows again.
"""

from __future__ import annotations

import csv
import math
import random
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
import pytest

from filon.detect._supply import reference_purity, supply_flows_sql, supply_tally
from filon.detect.context import DetectContext
from filon.detect.incremental import fingerprints
from filon.detect.tally import TallyStore
from filon.engine.duckdb import DuckDBEngine
from filon.ingest.load import ingest_package
from filon.standard.model import load_standard
from filon.store.remove import remove_batch
from filon.store.workspace import LINEAGE, Workspace

TABLES = ("exports", "trades", "production", "mining_rights", "imports", "actors", "prices")
ACTORS = ("A1", "A2", "A3", "A4")
NAMES = {"A1": "Uno SAC", "A2": "Dos SRL", "A3": "Tres SA", "A4": "Cuatro EIRL"}
RIGHTS = {"R1": "A1", "R2": "A2", "R3": None}  # R3: no holder recorded


def random_rows(rng: random.Random, n: int) -> dict[str, list[dict[str, Any]]]:
    """Records touching every case of the balance: exports without a fine mass (estimable or not),
    without a commodity (from the HS code, or none), NULL masses and dates, yearly and monthly
    production, production without a producer (the right's holder, or nobody), imports matched by name."""
    def date() -> str | None:
        return None if rng.random() < 0.03 else f"{rng.choice((2023, 2024, 2025))}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"

    def kg() -> float | None:
        return None if rng.random() < 0.1 else round(rng.uniform(0.5, 30), 3)

    exports = [{"declaration_id": f"D{i}", "country": "PE", "date": date(), "exporter_id": rng.choice(ACTORS + (None,)),
                "hs_code": rng.choice(("7108120000", "7108120000", "2616900000")),
                "commodity": rng.choice(("Au", "Au", None)), "product": rng.choice(("dore", "bullion", "ore", None)),
                "net_mass_kg": round(rng.uniform(1, 40), 3), "fine_mass_kg": kg() if rng.random() < 0.6 else None,
                "value_usd": rng.choice((None, round(rng.uniform(1e4, 1e6), 2)))} for i in range(n)]
    trades = [{"record_id": f"T{i}", "country": "PE", "date": date(), "seller_id": rng.choice(ACTORS + (None,)),
               "buyer_id": rng.choice(ACTORS), "commodity": rng.choice(("Au", "Au", "Ag", None)), "fine_mass_kg": kg(),
               "value_usd": rng.choice((None, round(rng.uniform(1e4, 1e6), 2)))} for i in range(n)]
    production = [{"record_id": f"P{i}", "country": "PE", "right_id": rng.choice(tuple(RIGHTS) + ("R9",)),
                   "producer_id": rng.choice((None, None, "A3")),
                   "period": rng.choice((f"{rng.choice((2023, 2024))}", f"{rng.choice((2023, 2024, 2025))}-{rng.randint(1, 12):02d}")),
                   "commodity": rng.choice(("Au", "Au", None)), "fine_mass_kg": kg(), "value_usd": None} for i in range(n)]
    imports = [{"record_id": f"I{i}", "country": "PE", "period": rng.choice(("2023", "2024-11", "2024-12", "2025-02")),
                "origin_country": "BO", "hs_code": rng.choice(("710812", "261690")), "net_mass_kg": kg(), "value_usd": 1.0,
                "importer_name": rng.choice((" uno sac", "DOS SRL", "Nadie SA", None))} for i in range(n // 4)]
    actors = [{"actor_id": a, "country": "PE", "name": name} for a, name in NAMES.items()]
    rights = [{"right_id": r, "country": "PE", "holder_id": h} for r, h in RIGHTS.items()]
    return {"exports": exports, "trades": trades, "production": production, "imports": imports, "actors": actors,
            "mining_rights": rights, "prices": []}


def connection(rows: dict[str, list[dict[str, Any]]], names: tuple[str, ...] = TABLES) -> duckdb.DuckDBPyConnection:
    """An in-memory connection holding `rows` as the standard's tables `names` (columns not given are NULL)."""
    con = duckdb.connect()
    tables = load_standard().tables
    for name in names:
        cols = [(c.name, c.storage_type) for c in tables[name].columns] + list(LINEAGE)
        con.execute(f"CREATE TABLE {name} ({', '.join(f'{c} {t}' for c, t in cols)})")
        for i, r in enumerate(rows[name]):
            values = [r.get(c) for c, _ in cols[:-3]] + [None, f"{name}.csv", i + 2]
            con.execute(f"INSERT INTO {name} VALUES ({', '.join('?' for _ in cols)})", values)
    return con


def expected(flows: list[dict[str, Any]], k: int) -> dict[tuple, dict[str, Any]]:
    """The balance figures by their row-level definitions: sums of each flow's records per actor,
    commodity and year, and the opening stock of a year from the records of its `k` months before
    (and pro rata k/12 of the previous year's yearly records), never negative."""
    out: dict[tuple, dict[str, Any]] = defaultdict(lambda: defaultdict(float))
    flows = [f for f in flows if f["actor_id"] is not None]
    for f in flows:
        g, kg = out[(f["actor_id"], f["commodity"], f["year"])], f["kg"]
        g[f"{f['flow']}_rows"] += 1
        if kg is not None:
            g[f"{f['flow']}_kg"] += kg
            g[f"{f['flow']}_rows_kg"] += 1
        g["estimated_rows"] += f["flow"] == "exported" and f["estimated"]
    for (actor, commodity, year), g in out.items():
        for imports in (False, True):
            terms = [(-f["kg"] if f["flow"] in ("exported", "sold") else f["kg"] * k / 12.0 if f["mi"] is None else f["kg"])
                     for f in flows if f["actor_id"] == actor and f["commodity"] == commodity and commodity is not None
                     and year is not None and f["kg"] is not None and (imports or f["flow"] != "imported")
                     and ((f["mi"] is not None and year * 12 - k <= f["mi"] < year * 12)
                          or (f["mi"] is None and f["year"] == year - 1))]
            g["opening_with_imports" if imports else "opening"] = max(0.0, sum(terms)) if terms else 0.0
    return out


@pytest.mark.parametrize("seed,k", [(1, 3), (2, 0), (3, 15), (4, 12), (5, 25)])
def test_tally_holds_the_row_level_balances(seed: int, k: int) -> None:
    con = connection(random_rows(random.Random(seed), 300))
    ctx = DetectContext(DuckDBEngine(con))
    purity = reference_purity(ctx)
    want = expected(ctx.query(f"SELECT * FROM ({supply_flows_sql(purity)})"), k)
    tally = supply_tally(purity, k)
    got = {(r["actor_id"], r["commodity"], r["year"]): r for r in ctx.query(tally.query())}
    computed_once = {(r["actor_id"], r["commodity"], r["year"]): tuple(r.values())
                     for r in ctx.query(tally.query(materialize=True))}
    assert same({key: tuple(r.values()) for key, r in got.items()}, computed_once)  # DuckDB's plan, same sums
    for key, w in want.items():
        g = got.pop(key)
        for flow in ("exported", "sold", "bought", "produced", "imported"):
            assert math.isclose(g[f"{flow}_kg"] or 0.0, w[f"{flow}_kg"], abs_tol=1e-9), (key, flow)
        for flow in ("exported", "sold", "bought", "produced"):
            assert g[f"{flow}_rows"] == w[f"{flow}_rows"], (key, flow)
        assert g["exported_rows_kg"] == w["exported_rows_kg"] and g["estimated_rows"] == w["estimated_rows"], key
        opening = max(0.0, (g["carry_kg"] or 0.0) + (g["carry_imported_kg"] or 0.0))
        assert math.isclose(opening, w["opening_with_imports"], abs_tol=1e-9), key
        assert math.isclose(max(0.0, g["carry_kg"] or 0.0), w["opening"], abs_tol=1e-9), key
    # rows left hold only the opening stock of a year nothing flowed in (yet)
    assert all(r[c] in (0, None) for r in got.values() for c in r if c.endswith(("_rows", "_rows_kg", "_kg"))
               and not c.startswith("carry")), got


# -- the store --------------------------------------------------------------------------------


def write_package(folder: Path, rows: dict[str, list[dict[str, Any]]]) -> Path:
    """A package of the tables in `rows` (each with its standard columns); the fixture's otherwise."""
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "valid_package", folder)
    return write_tables(folder, rows)


def write_tables(folder: Path, rows: dict[str, list[dict[str, Any]]]) -> Path:
    """One CSV per table of `rows` in `folder`, with the table's standard columns."""
    tables = load_standard().tables
    for name, records in rows.items():
        cols = [c.name for c in tables[name].columns]
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=cols)
            w.writeheader()
            w.writerows({c: r.get(c) for c in cols} for r in records)
    return folder


def fixture_rows(rng: random.Random, n: int, start: int = 0, fine: bool = True) -> dict[str, list[dict[str, Any]]]:
    """Rows valid for ingestion (required columns given) over the fixture's actors and rights; exports
    without a fine mass unless `fine` (so a batch leaves the reference purities as they are)."""
    actors = ("PE-A001", "PE-A002", "PE-A003", "PE-A004")

    def day() -> str:
        return f"{rng.choice((2023, 2024))}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"

    return {
        "exports": [{"declaration_id": f"X{start + i}", "country": "PE", "date": day(), "exporter_id": rng.choice(actors),
                     "destination_country": "CH", "hs_code": "7108120000", "commodity": "Au", "product": "dore",
                     "net_mass_kg": round(rng.uniform(1, 20), 2), "value_usd": 1000,
                     "fine_mass_kg": rng.choice(("", round(rng.uniform(1, 15), 2))) if fine else ""} for i in range(n)],
        "trades": [{"record_id": f"T{start + i}", "country": "PE", "date": day(), "seller_id": rng.choice(actors),
                    "buyer_id": rng.choice(actors), "commodity": "Au", "fine_mass_kg": round(rng.uniform(1, 15), 2)}
                   for i in range(n)],
        "production": [{"record_id": f"P{start + i}", "country": "PE", "right_id": rng.choice(("PE-R001", "PE-R003")),
                        "period": rng.choice(("2024", f"2023-{rng.randint(1, 12):02d}")), "commodity": "Au",
                        "fine_mass_kg": round(rng.uniform(1, 15), 2)} for i in range(n)],
    }


def tally_rows(con: Any, relation: str) -> dict[tuple, dict[str, Any]]:
    return {(r[0], r[1], r[2]): r for r in con.execute(f"SELECT * FROM {relation} ORDER BY ALL").fetchall()}


class Store:
    """A TallyStore over `ws` in `folder`, recording which rows each tally was computed over."""

    def __init__(self, ws: Workspace, folder: Path, read: bool = True) -> None:
        self.ws, self.con = ws, ws.connect()
        self.store = TallyStore(folder, ws, fingerprints(ws), read=read)
        self.over: list[dict[str, set[str] | None]] = []
        inner = self.store._over
        self.store._over = lambda tally, only: self.over.append(dict(only)) or inner(tally, only)  # type: ignore[method-assign]

    def tally(self, k: int = 3) -> dict[tuple, dict[str, Any]]:
        ctx = DetectContext(DuckDBEngine(self.con))
        return tally_rows(self.con, self.store.relation(self.con, supply_tally(reference_purity(ctx), k)))


def same(a: dict[tuple, Any], b: dict[tuple, Any]) -> bool:
    return a.keys() == b.keys() and all(
        all(x == y or isinstance(x, float) and y is not None and math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)
            for x, y in zip(a[k], b[k])) for k in a)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    rng = random.Random(7)
    ingest_package(write_package(tmp_path / "base", fixture_rows(rng, 60)), tmp_path / "ws")
    return Workspace(tmp_path / "ws")


def add_batch(tmp_path: Path, name: str, rows: dict[str, list[dict[str, Any]]]) -> Workspace:
    folder = tmp_path / name
    folder.mkdir()
    ingest_package(write_tables(folder, rows), tmp_path / "ws")
    return Workspace(tmp_path / "ws")


def test_new_batches_are_added_to_the_kept_tally(workspace: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "out" / "tallies"
    first = Store(workspace, folder)
    first.tally()
    assert first.over == [{"exports": None, "trades": None, "production": None, "imports": None}]
    ws = add_batch(tmp_path, "batch", fixture_rows(random.Random(8), 15, start=1000, fine=False))
    before = {b.batch_id for b in workspace.batches}
    new = {t: {b.batch_id for b in ws.batches if b.table == t} - before for t in ("exports", "trades", "production")}
    assert all(new.values())
    again = Store(ws, folder)
    kept = again.tally()
    assert again.over == [{**new, "imports": set()}]  # the new batches' rows only
    assert same(kept, Store(ws, tmp_path / "scratch", read=False).tally())
    unchanged = Store(ws, folder)
    assert same(unchanged.tally(), kept) and unchanged.over == []  # nothing new: the file as it is


def test_what_is_not_pure_addition_is_computed_from_all_rows(workspace: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "out" / "tallies"
    everything = {"exports": None, "trades": None, "production": None, "imports": None}
    Store(workspace, folder).tally()
    ws = add_batch(tmp_path, "batch", fixture_rows(random.Random(8), 15, start=1000, fine=False))
    Store(ws, folder).tally()

    # a batch removed: its sums cannot be taken back out
    remove_batch(ws, next(b.batch_id for b in ws.batches if b.table == "trades" and b.rows == 15), force=True)
    ws = Workspace(ws.path)
    removed = Store(ws, folder)
    assert same(removed.tally(), Store(ws, tmp_path / "scratch1", read=False).tally()) and removed.over == [everything]

    # declarations with a fine mass moving the reference purities: every estimated export changes
    purity = reference_purity(DetectContext(DuckDBEngine(ws.connect())))
    ws = add_batch(tmp_path, "assayed", fixture_rows(random.Random(9), 15, start=2000))
    assert reference_purity(DetectContext(DuckDBEngine(ws.connect()))) != purity
    moved = Store(ws, folder)
    assert same(moved.tally(), Store(ws, tmp_path / "scratch0", read=False).tally()) and moved.over == [everything]

    # a lookup table changed (a right's holder): every production record may move to another actor
    ws = add_batch(tmp_path, "rights", {"mining_rights": [{"right_id": "PE-R009", "country": "PE", "holder_id": "PE-A002",
                                                           "regime": "concession", "status": "active"}]})
    lookup = Store(ws, folder)
    assert same(lookup.tally(), Store(ws, tmp_path / "scratch2", read=False).tally()) and lookup.over == [everything]

    # other SQL (another carry window) is another tally; a damaged file is computed again
    other = Store(ws, folder)
    other.tally(k=5)
    assert other.over == [everything] and (folder / "supply_k5.arrow").exists()
    (folder / "supply_k3.arrow").write_bytes(b"not arrow")
    damaged = Store(ws, folder)
    assert same(damaged.tally(), Store(ws, tmp_path / "scratch3", read=False).tally()) and damaged.over == [everything]


def test_a_folder_that_cannot_be_written_computes_the_tally_in_the_query(workspace: Workspace, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder", encoding="utf-8")
    store = Store(workspace, tmp_path / "file" / "tallies")
    assert same(store.tally(), Store(workspace, tmp_path / "scratch", read=False).tally())


def union_largest_flows(con: Any, purity: str, flows: tuple[str, ...], actors: list[str], limit: int) -> list[tuple]:
    """The evidence query as it was: every flow's records in one union, filtered afterwards (the reference)."""
    wanted = ", ".join(f"'{f}'" for f in flows)
    return con.execute(f"""
        SELECT actor_id, commodity, year, flow, ref, kg, estimated, file, row FROM (
          SELECT actor_id, commodity, year, flow, ref, kg, estimated, _source_file AS file, _source_row AS row,
                 row_number() OVER (PARTITION BY actor_id, commodity, year ORDER BY kg DESC, ref) AS rank
          FROM ({supply_flows_sql(purity)}) f
          WHERE flow IN ({wanted}) AND NOT (flow = 'exported' AND kg IS NULL)
            AND actor_id IN ({", ".join("?" for _ in actors)}))
        WHERE rank <= {int(limit)} ORDER BY actor_id, commodity, year, rank""", actors).fetchall()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_largest_flows_reads_each_flow_apart_with_the_same_result(seed: int) -> None:
    """Each flow read on its own, filtered to the actors first, gives the records the whole union gave
    (NULL masses, estimated exports and yearly production included), for every subset of flows."""
    from filon.detect._supply import FLOWS, largest_flows

    con = connection(random_rows(random.Random(seed), 120))
    ctx = DetectContext(DuckDBEngine(con))
    purity = reference_purity(ctx)
    every = {(r[0], r[1], r[2]) for r in con.execute(f"SELECT DISTINCT actor_id, commodity, year FROM "
                                                     f"({supply_flows_sql(purity)}) f WHERE actor_id IS NOT NULL").fetchall()}
    for flows in (("exported",), ("sold", "exported"), FLOWS):
        for actors in (["A1"], ["A2", "A4"], sorted(ACTORS)):
            keys = {k for k in every if k[0] in actors}
            expected: dict[tuple, list[tuple]] = {}
            for r in union_largest_flows(con, purity, flows, sorted({k[0] for k in keys}), 3):
                if (r[0], r[1], r[2]) in keys:
                    expected.setdefault((r[0], r[1], r[2]), []).append(r)
            got = largest_flows(ctx, purity, flows, keys, 3)
            assert {k: [tuple(r.values()) for r in v] for k, v in got.items()} == expected
            assert any(len(v) == 3 for v in expected.values())


def test_node_roles_match_whole_names_in_the_list() -> None:
    """`node_sql` tests each role against the whole ;-separated names, as splitting the list did."""
    from filon.detect._supply import node_sql

    roles, kinds = ("trader", "refiner"), ("cooperative",)
    split = " OR ".join(f"list_contains(string_split(a.roles, ';'), '{r}')" for r in roles)
    con = duckdb.connect()
    con.execute("CREATE TABLE a (roles VARCHAR, kind VARCHAR)")
    con.executemany("INSERT INTO a VALUES (?, ?)", [
        (None, None), ("", None), ("trader", None), ("miner;trader", None), ("miner", None), ("subtrader", None),
        ("trader2;miner", None), ("miner;;refiner", None), ("refiner;", None), (";trader", None), ("miner", "cooperative"),
        ("miner", "company"), ("Trader", None), ("miner; trader", None)])
    got = con.execute(f"SELECT roles, kind, {node_sql(roles, kinds)} FROM a ORDER BY ALL").fetchall()
    expected = con.execute(f"SELECT roles, kind, a.roles IS NULL OR {split} OR coalesce(a.kind IN ('cooperative'), FALSE) "
                           "FROM a ORDER BY ALL").fetchall()
    assert got == expected
    assert sum(r[2] for r in got) == 7
