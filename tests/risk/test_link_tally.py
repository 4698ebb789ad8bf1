"""The trade and sourcing links built from the kept trade sums (`propagation.trade_tally`).

The links must be those the row-level definition gives (seller ↔ buyer by √(share of the seller's
sales × share of the buyer's purchases), right → buyer), and a batch of trades must give, by adding
its sums to the kept ones, the links a computation from every trade gives; a batch removed (or
`--full`) computes the sums from all rows again.
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

from filon.detect.context import DetectContext
from filon.detect.incremental import STATE_DIR, fingerprints
from filon.detect.kept import kept_values
from filon.detect.parameters import defaults
from filon.detect.tally import TallyStore
from filon.engine.duckdb import DuckDBEngine
from filon.ingest.load import ingest_package
from filon.risk.propagation import (
    Link,
    LinkTable,
    _build_links,
    build_links,
    right_node,
)
from filon.standard.model import load_standard
from filon.store.remove import remove_batch
from filon.store.workspace import LINEAGE, Workspace

ACTORS = ("PE-A001", "PE-A002", "PE-A003", "PE-A004")
RIGHTS = ("PE-R001", "PE-R002", "PE-R003")


def random_trades(rng: random.Random, n: int, start: int = 0) -> list[dict[str, Any]]:
    """Trades touching every case: no buyer or seller, a seller selling to itself, no fine mass or
    none > 0, no origin, a buyer whose only purchases are from itself."""
    return [{"record_id": f"T{start + i}", "country": "PE", "date": f"2024-{rng.randint(1, 12):02d}-01",
             "seller_id": rng.choice(ACTORS + (None,)), "buyer_id": rng.choice(ACTORS + ("CO-A001",)),
             "commodity": "Au", "fine_mass_kg": rng.choice((None, 0.0, round(rng.uniform(0.1, 20), 3),
                                                              round(rng.uniform(0.1, 20), 3))),
             "origin_right_id": rng.choice(RIGHTS + (None,))} for i in range(n)]


def expected_links(trades: list[dict[str, Any]], p: Any) -> dict[str, dict[tuple[str, str], float]]:
    """The trade and sourcing links by their row-level definition, node -> (to, label) -> strength."""
    pairs: dict[tuple[str, str], float] = defaultdict(float)
    origins: dict[tuple[str, str | None], float] = defaultdict(float)
    for t in trades:
        kg = t["fine_mass_kg"]
        if kg is None or kg <= 0:
            continue
        if t["seller_id"] is not None and t["buyer_id"] is not None and t["seller_id"] != t["buyer_id"]:
            pairs[(t["seller_id"], t["buyer_id"])] += kg
        if t["origin_right_id"] is not None:
            origins[(t["origin_right_id"], t["buyer_id"])] += kg
    sold, bought, cited = defaultdict(float), defaultdict(float), defaultdict(float)
    for (s, b), kg in pairs.items():
        sold[s] += kg
        bought[b] += kg
    for (r, _), kg in origins.items():
        cited[r] += kg
    out: dict[str, dict[tuple[str, str], float]] = defaultdict(dict)

    def add(a: str, b: str, strength: float, forward: str, backward: str | None) -> None:
        if strength >= p.min_link_weight:
            out[a][(b, forward)] = strength
            if backward:
                out[b][(a, backward)] = strength

    for (s, b), kg in pairs.items():
        add(s, b, p.trade_link_weight * math.sqrt(kg / sold[s] * kg / bought[b]), "sells to", "buys from")
    for (r, b), kg in origins.items():
        if bought.get(b):
            add(right_node(r), b, p.trade_link_weight * math.sqrt(kg / cited[r] * min(1.0, kg / bought[b])),
                "is the origin of gold bought by", None)
    return out


def as_dict(links: LinkTable) -> dict[str, dict[tuple[str, str], float]]:
    return {n: {(link.to, link.label): link.strength for link in links.get(n, ())} for n in links.nodes
            if links.get(n, ())}


def close(a: dict[str, dict[tuple[str, str], float]], b: dict[str, dict[tuple[str, str], float]]) -> bool:
    return a.keys() == b.keys() and all(a[n].keys() == b[n].keys() and all(
        math.isclose(a[n][k], b[n][k], rel_tol=1e-12) for k in a[n]) for n in a)


def trades_connection(trades: list[dict[str, Any]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    cols = [(c.name, c.storage_type) for c in load_standard().tables["trades"].columns] + list(LINEAGE)
    con.execute(f"CREATE TABLE trades ({', '.join(f'{c} {t}' for c, t in cols)})")
    con.executemany(f"INSERT INTO trades VALUES ({', '.join('?' for _ in cols)})",
                    [[t.get(c) for c, _ in cols] for t in trades])
    return con


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_links_are_the_row_level_links(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    trades = random_trades(random.Random(seed), 200)
    monkeypatch.setattr("filon.risk.propagation.load_graph", lambda ctx: type("G", (), {"links": []})())
    p = defaults("risk")
    got = as_dict(_build_links(DetectContext(DuckDBEngine(trades_connection(trades))), p))
    want = expected_links(trades, p)
    assert close(got, want) and len(want) > 4


def test_table_from_columns_keeps_each_nodes_links_in_the_order_added() -> None:
    links = {"A": [Link("B", 0.5, "sells to"), Link("C", 0.2, "owns (20%)")], "B": [Link("A", 0.5, "buys from")],
             "C": []}
    table = LinkTable(links)
    assert [table.get(n, ()) for n in "ABC"] == [links["A"], links["B"], ()] and table.nodes == ["A", "B", "C"]


# -- kept between runs ------------------------------------------------------------------------


def write_trades(folder: Path, trades: list[dict[str, Any]], package: bool) -> Path:
    if package:
        shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "valid_package", folder)
    else:
        folder.mkdir()
    cols = [c.name for c in load_standard().tables["trades"].columns]
    with open(folder / "trades.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows({c: t.get(c) for c in cols} for t in trades if t["seller_id"] and t["fine_mass_kg"])
    return folder


class Run:
    """The links of workspace `ws` as a run into `out` builds them (kept values and tallies), recording
    the rows each tally was computed over."""

    def __init__(self, ws: Path, out: Path, read: bool = True) -> None:
        workspace = Workspace(ws)
        prints = fingerprints(workspace)
        self.ctx = DetectContext(DuckDBEngine(workspace.connect()))
        self.ctx.kept = kept_values(out, prints, read)
        self.ctx.tallies = TallyStore(out / STATE_DIR / "tallies", workspace, prints, read)
        self.over: list[dict[str, Any]] = []
        inner = self.ctx.tallies._over
        self.ctx.tallies._over = lambda tally, only: self.over.append(dict(only)) or inner(tally, only)

    def links(self) -> LinkTable:
        try:
            return build_links(self.ctx, defaults("risk"))
        finally:
            self.ctx.engine.close()


def same_tables(a: LinkTable, b: LinkTable) -> bool:
    """Same nodes and links in the same order, strengths up to the order sums were added in."""
    return (a.nodes, a.labels, list(a.offsets), list(a.to), list(a.label)) == \
        (b.nodes, b.labels, list(b.offsets), list(b.to), list(b.label)) and \
        all(math.isclose(x, y, rel_tol=1e-12) for x, y in zip(a.strength, b.strength))


def test_a_batch_of_trades_adds_its_sums_and_gives_the_links_of_every_trade(tmp_path: Path) -> None:
    ws, out = tmp_path / "ws", tmp_path / "out"
    ingest_package(write_trades(tmp_path / "base", random_trades(random.Random(4), 150), package=True), ws)
    first = Run(ws, out)
    first.links()
    assert first.over == [{"trades": None}]
    before = {b.batch_id for b in Workspace(ws).batches}
    ingest_package(write_trades(tmp_path / "batch", random_trades(random.Random(5), 20, start=1000), package=False), ws)
    new = {b.batch_id for b in Workspace(ws).batches} - before

    again = Run(ws, out)
    kept = again.links()
    assert again.over == [{"trades": new}]  # the new batch's trades only
    full = Run(ws, tmp_path / "full", read=False)
    assert same_tables(kept, full.links()) and full.over == [{"trades": None}]

    unchanged = Run(ws, out)
    assert same_tables(unchanged.links(), kept) and unchanged.over == []  # the kept links as they are

    remove_batch(Workspace(ws), min(new), force=True)  # its sums cannot be taken back out
    removed = Run(ws, out)
    assert same_tables(removed.links(), Run(ws, tmp_path / "full2", read=False).links())
    assert removed.over == [{"trades": None}]
