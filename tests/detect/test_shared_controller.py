"""shared_controller fires on one hand over a trading miner, processor and exporter; not on two firms or investors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from filon.detect.context import DetectContext
from filon.detect.parameters import Parameters, defaults
from filon.detect.shared_controller import detect
from filon.engine.duckdb import DuckDBEngine
from filon.ingest.load import ingest_package
from filon.store.workspace import Workspace
from tests.graph.packages import add_actors, add_links, add_trades


def run(package: Path, tmp_path: Path, params: Parameters | None = None) -> list:
    ingest_package(package, tmp_path / "ws")
    return detect(DetectContext(DuckDBEngine(Workspace(tmp_path / "ws").connect())), params or defaults("shared_controller"))


def controlled_chain(package: Path) -> None:
    """PE-P001 holds 60 % of miner PE-A001, all of trader/exporter PE-A003 through a holding, and
    directs the cooperative PE-A004; A001 and A004 both sell to A003."""
    add_actors(package, ("PE-P001", "PE", "Huaman Ccori Lucio", "person", "", ""),
               ("PE-H001", "PE", "Inversiones Lucio S.A.C.", "company", "2015-01-01", ""))
    add_links(package, ("OW-1", "PE-A001", "PE-P001", "", 60, "shareholding", "2012-02-14"),
              ("OW-2", "PE-A001", "", "Quispe Rojas Ana", 40, "shareholding", "2012-02-14"),
              ("OW-3", "PE-H001", "PE-P001", "", 100, "shareholding", "2015-01-01"),
              ("OW-4", "PE-A003", "PE-H001", "", 100, "shareholding", "2023-11-02"),
              ("OW-5", "PE-A004", "PE-P001", "", None, "director", "2016-01-01"))
    add_trades(package, ("PE-T010", "PE-A004", "PE-A003", 50_000.0))


def test_fires_on_a_controller_of_a_trading_chain(package: Path, tmp_path: Path) -> None:
    controlled_chain(package)
    [alert] = run(package, tmp_path)
    assert (alert.typology, alert.subject_type, alert.subject_id, alert.country) == ("shared_controller", "actor", "PE-P001", "PE")
    ev = alert.evidence
    by_id = {c["actor_id"]: c for c in ev["controlled"]}
    assert set(by_id) == {"PE-A001", "PE-A003", "PE-A004"}
    assert by_id["PE-A003"]["via"] == ["PE-H001"] and by_id["PE-A003"]["basis"] == "ownership"
    assert by_id["PE-A004"]["basis"] == "director" and by_id["PE-A001"]["share_pct"] == [60.0, 60.0]
    assert {(t["seller_id"], t["buyer_id"]) for t in ev["trade_links"]} == {("PE-A001", "PE-A003"), ("PE-A004", "PE-A003")}
    assert alert.value_at_risk_usd == 686_000 + 688_000 + 50_000
    assert set(ev["roles"]) == {"miner", "processor", "trader", "exporter"}
    assert 0.5 <= alert.score <= 1.0 and 0.0 <= ev["betweenness_percentile"] <= 1.0
    assert {s["id"] for s in ev["sources"]} == {"OW-1", "OW-3", "OW-4", "OW-5"}
    assert "Huaman Ccori Lucio" in alert.explanation


def test_the_holding_in_between_gives_no_second_alert(package: Path, tmp_path: Path) -> None:
    controlled_chain(package)
    # The holding directs the miner and the cooperative too: it controls the same chain as its owner.
    add_links(package, ("OW-6", "PE-A001", "PE-H001", "", None, "director", "2015-01-01"),
              ("OW-7", "PE-A004", "PE-H001", "", None, "director", "2016-01-01"))
    assert [a.subject_id for a in run(package, tmp_path)] == ["PE-P001"]


def test_silent_on_two_firms_and_on_a_small_investor(package: Path, tmp_path: Path) -> None:
    add_actors(package, ("PE-P002", "PE", "Condori Vilca Rosa", "person", "", ""),
               ("PE-P003", "PE", "Mamani Apaza Luis", "person", "", ""))
    add_links(package, ("OW-1", "PE-A001", "PE-P002", "", 100, "shareholding", "2012-02-14"),
              ("OW-2", "PE-A003", "PE-P002", "", 100, "shareholding", "2023-11-02"),
              ("OW-3", "PE-A004", "PE-P003", "", 5, "shareholding", "2016-01-01"))
    assert run(package, tmp_path) == []
    two = defaults("shared_controller").replace(min_controlled_actors=2, min_trade_links=1)
    assert [a.subject_id for a in run(package, tmp_path / "two", two)] == ["PE-P002"]


def test_silent_when_the_controlled_firms_do_not_trade(package: Path, tmp_path: Path) -> None:
    add_actors(package, ("PE-P002", "PE", "Condori Vilca Rosa", "person", "", ""))
    add_links(package, ("OW-1", "PE-A001", "PE-P002", "", 100, "shareholding", "2012-02-14"),
              ("OW-2", "CO-A001", "PE-P002", "", 100, "shareholding", "2018-09-21"),
              ("OW-3", "EC-A001", "PE-P002", "", 100, "shareholding", "2016-03-08"))
    assert run(package, tmp_path) == []


# -- an incremental run ------------------------------------------------------------------------

TRADES_HEADER = ("record_id,country,date,seller_id,buyer_id,commodity,product,gross_mass_kg,fine_mass_kg,value_usd,"
                 "origin_right_id,lot_id,document_ref\n")


def ingest_trades(ws: Path, folder: Path, *rows: tuple[str, str, str, str, float]) -> None:
    """Ingest a batch of (record_id, date, seller_id, buyer_id, value_usd) trades of 2 kg fine dore."""
    folder.mkdir()
    (folder / "trades.csv").write_text(TRADES_HEADER + "".join(
        f"{r},PE,{d},{s},{b},Au,dore,2.5,2.0,{v},,,\n" for r, d, s, b, v in rows), encoding="utf-8")
    ingest_package(folder, ws)


def analysed(ws: Path, out: Path, full: bool = False) -> list[dict]:
    from filon.detect.runner import run_analysis

    return [a.to_row() for a in run_analysis(ws, out, detectors=["shared_controller"], full=full).alerts]


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """How many times the graph's candidates and the centrality are computed."""
    from filon.detect import shared_controller

    calls: Counter = Counter()
    for name in ("candidates", "centrality"):
        inner = getattr(shared_controller, name)
        monkeypatch.setattr(shared_controller, name,
                            lambda *a, _inner=inner, _name=name: calls.update([_name]) or _inner(*a))
    return calls


def test_an_incremental_run_keeps_what_trades_do_not_change(package: Path, tmp_path: Path, counted: Counter) -> None:
    """Trades between partners who traded before: the pairs' sums grow, the graph's candidates and the
    centrality are the last run's; a new pair computes the centrality again; each time the alert is
    the one a full run gives."""
    controlled_chain(package)
    ws, out = tmp_path / "ws", tmp_path / "out"
    ingest_package(package, ws)
    analysed(ws, out)
    assert counted == {"candidates": 1, "centrality": 1}

    counted.clear()
    ingest_trades(ws, tmp_path / "known", ("PE-T901", "2024-08-01", "PE-A004", "PE-A003", 20_000.0),
                  ("PE-T902", "2023-01-15", "PE-A004", "PE-A003", 5_000.0))
    [alert] = analysed(ws, out)
    assert counted == {}
    assert alert == analysed(ws, tmp_path / "full1", full=True)[0]
    links = {(t["seller_id"], t["buyer_id"]): t for t in json.loads(alert["evidence"])["trade_links"]}
    assert links[("PE-A004", "PE-A003")] == {"seller_id": "PE-A004", "buyer_id": "PE-A003", "trades": 3,
                                             "value_usd": 75_000.0, "fine_kg": 5.0, "first_date": "2023-01-15",
                                             "last_date": "2024-08-01"}
    assert alert["value_at_risk_usd"] == 686_000 + 688_000 + 75_000

    counted.clear()
    ingest_trades(ws, tmp_path / "new", ("PE-T903", "2024-09-01", "PE-A002", "PE-A004", 1_000.0))
    alerts = analysed(ws, out)
    assert counted == {"centrality": 1}
    assert alerts == analysed(ws, tmp_path / "full2", full=True)

    counted.clear()
    analysed(ws, out, full=True)  # --full takes nothing from the last run
    assert counted == {"candidates": 1, "centrality": 1}


def test_a_removed_batch_or_changed_actors_compute_again(package: Path, tmp_path: Path, counted: Counter) -> None:
    from filon.store.remove import remove_batch

    controlled_chain(package)
    ws, out = tmp_path / "ws", tmp_path / "out"
    ingest_package(package, ws)
    before = {b.batch_id for b in Workspace(ws).batches}
    ingest_trades(ws, tmp_path / "new", ("PE-T903", "2024-09-01", "PE-A002", "PE-A004", 1_000.0),
                  ("PE-T904", "2024-09-02", "PE-A004", "PE-A003", 1_000.0))
    analysed(ws, out)

    counted.clear()  # the batch's pairs and sums are gone: the tally is summed from all rows again
    remove_batch(Workspace(ws), next(b.batch_id for b in Workspace(ws).batches if b.batch_id not in before), force=True)
    [alert] = analysed(ws, out)
    assert counted == {"centrality": 1}
    assert alert == analysed(ws, tmp_path / "full", full=True)[0] and alert["value_at_risk_usd"] == 1_424_000

    counted.clear()  # another actor: the graph is another one
    (tmp_path / "actors").mkdir()
    (tmp_path / "actors" / "actors.csv").write_text(
        (package / "actors.csv").read_text(encoding="utf-8").splitlines()[0]
        + '\nPE-P777,PE,"Nuevo Actor",person,,,,,,\n', encoding="utf-8")
    ingest_package(tmp_path / "actors", ws)
    assert analysed(ws, out) == [alert]
    assert counted["candidates"] == 1


def test_chain_pairs_and_chains_are_the_same_by_either_way(tmp_path: Path) -> None:
    """The chain pairs' query binds the actors as one JSON text on DuckDB (thousands of placeholders
    were slow to bind): it must give what the placeholders give, for ids with any characters, and the
    chains found through the sellers' index must be those found by walking every pair."""
    import duckdb

    from filon.detect.shared_controller import _chain_pairs, chain_of, sales_of

    odd = ["A-1", "A-2", "B'3", 'C"4', "D,5", "E\x1f6", "É-7", "F 8", "G\\9", "H]10"]
    con = duckdb.connect()
    con.execute("CREATE TABLE p (seller_id VARCHAR, buyer_id VARCHAR, value_usd DOUBLE)")
    rows = [(s, b, float(i * len(odd) + j)) for i, s in enumerate(odd) for j, b in enumerate(odd) if (i + j) % 3 == 0]
    con.executemany("INSERT INTO p VALUES (?, ?, ?)", rows)
    ctx = DetectContext(DuckDBEngine(con))
    actors = {odd[k] for k in (0, 2, 3, 5, 6, 9)}
    fast = _chain_pairs(ctx, "p", actors)

    class Other(DuckDBEngine):
        name = "other"
    slow = _chain_pairs(DetectContext(Other(con)), "p", actors)
    assert fast and list(fast) == list(slow) and fast == slow
    assert all(s in actors and b in actors for s, b in fast)
    everything = _chain_pairs(ctx, "p", set(odd))
    index = sales_of(everything)
    for k in range(len(odd)):
        members = set(odd[k:k + 5]) | {odd[(3 * k) % len(odd)]}
        assert chain_of(members, everything, index) == chain_of(members, everything)
