"""The production tallies of `production_over_capacity` (`RIGHT_YEARS`) and
`production_without_disturbance` (`BY_RIGHT`): kept between runs, a production batch adds its own
rows' sums, and the alerts are bit for bit those of a full run (decimal sums do not depend on the
order rows are added in), on a batch that must fire and on one that must stay silent; without a
store (another engine, a throw-away workspace) the sums are computed in the query, to the same alerts.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from filon.detect.context import DetectContext
from filon.detect.incremental import fingerprints, load_state
from filon.detect.parameters import defaults
from filon.detect.production_over_capacity import RIGHT_YEARS
from filon.detect.production_over_capacity import detect as over_capacity
from filon.detect.production_without_disturbance import BY_RIGHT
from filon.detect.production_without_disturbance import detect as without_disturbance
from filon.detect.runner import run_analysis
from filon.detect.tally import TallyStore
from filon.engine.duckdb import DuckDBEngine
from filon.ingest.load import ingest_package
from filon.store.workspace import Workspace
from tests.detect.test_supply_tally import add_batch, write_package, write_tables

CODES = ("production_over_capacity", "production_without_disturbance")
TALLIES = (RIGHT_YEARS, BY_RIGHT)
PRICES = [{"date": "2024-01-01", "commodity": "Au", "price_usd": 2000, "unit": "troy_oz", "source": "WB"}]
#: A scar on PE-R001 (so it never fires production_without_disturbance), and one in no right 4 km
#: from PE-R002 (so the satellite layer covers PE-R002 and PE-R003, which have none on them).
DETECTIONS = [
    {"detection_id": "D1", "date": "2024-02-01", "area_ha": 1.0,
     "geometry": "POLYGON ((-69.95 -12.84, -69.949 -12.84, -69.949 -12.839, -69.95 -12.839, -69.95 -12.84))"},
    {"detection_id": "D2", "date": "2024-01-15", "area_ha": 1.0,
     "geometry": "POLYGON ((-70.15 -12.98, -70.149 -12.98, -70.149 -12.979, -70.15 -12.979, -70.15 -12.98))"},
]
#: Production batches. `fires`: PE-R002 (artisanal, 25 t/day) declares 274 kg more, far beyond what its
#: capacity can yield. `silent`: PE-R001 (small, 350 t/day, scarred) declares another month within it.
BATCHES = {
    "fires": [{"record_id": "PE-P101", "country": "PE", "right_id": "PE-R002", "period": "2024-06",
               "commodity": "Au", "product": "dore", "fine_mass_kg": 274.123456789}],
    "silent": [{"record_id": "PE-P102", "country": "PE", "right_id": "PE-R001", "period": "2024-03",
                "commodity": "Au", "product": "dore", "fine_mass_kg": 9.87654321}],
}


def by_id(out: Path) -> dict[str, dict[str, Any]]:
    rows = json.loads((out / "alerts.json").read_text(encoding="utf-8"))
    return {r["alert_id"]: r for r in rows if r["typology"] in CODES}


def added(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Tally name -> the `only` of each computation of it (None per table: from all rows)."""
    calls: dict[str, list[Any]] = {}
    inner = TallyStore._over
    monkeypatch.setattr(TallyStore, "_over",
                        lambda self, tally, only: calls.setdefault(tally.name, []).append(dict(only))
                        or inner(self, tally, only))
    return calls


@pytest.mark.parametrize("batch", sorted(BATCHES))
def test_a_production_batch_adds_its_sums_and_gives_the_full_runs_alerts(
        batch: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = write_package(tmp_path / "package", {"detections": DETECTIONS, "prices": PRICES})
    ws, last = tmp_path / "ws", tmp_path / "last"
    ingest_package(package, ws)
    run_analysis(ws, last, detectors=list(CODES))
    now = add_batch(tmp_path, "batch", {"production": BATCHES[batch]})
    new = {b.batch_id for b in now.batches if b.table == "production"} - set(load_state(last, now).batches["production"])
    calls = added(monkeypatch)
    results = {}
    for mode in ("incremental", "full"):
        shutil.copytree(last, tmp_path / mode)
        results[mode] = run_analysis(ws, tmp_path / mode, detectors=list(CODES), full=mode == "full")
    assert set(results["incremental"].scoped) == set(CODES) and not results["incremental"].failures
    assert {t.name: calls[t.name][0] for t in TALLIES} == {t.name: {"production": new} for t in TALLIES}
    inc, full = by_id(tmp_path / "incremental"), by_id(tmp_path / "full")
    assert inc == full  # bit for bit: scores, values and evidence
    fired = {(r["typology"], r["subject_id"]) for r in inc.values()}
    if batch == "fires":
        assert ("production_over_capacity", "PE-R002") in fired
        [r] = [r for r in inc.values() if r["typology"] == "production_over_capacity"]
        assert r["evidence"]["declared_fine_kg"] == round(1.0 + 274.123456789, 4)
        assert {s["id"] for s in r["evidence"]["sources"]} == {"PE-P003", "PE-P101"}
    else:
        assert not any(t == "production_over_capacity" for t, _ in fired)
        assert ("production_without_disturbance", "PE-R001") not in fired
    assert ("production_without_disturbance", "PE-R002") in fired  # covered by D2, no scar of its own


def test_kept_sums_are_bit_for_bit_those_of_all_rows(tmp_path: Path) -> None:
    """Sums of many unrounded masses, brought up to date batch by batch, equal the sums computed from
    all rows at once exactly: floating-point sums taken in another order would not."""
    rng = random.Random(3)

    def rows(start: int, n: int) -> list[dict[str, Any]]:
        return [{"record_id": f"Q{start + i}", "country": "PE", "right_id": rng.choice(("PE-R001", "PE-R002", "PE-R003")),
                 "period": f"{rng.choice((2023, 2024))}-{rng.randint(1, 12):02d}", "commodity": rng.choice(("Au", "Ag")),
                 "product": "dore", "fine_mass_kg": rng.uniform(0.001, 500.0)} for i in range(n)]

    ingest_package(write_package(tmp_path / "package", {"production": rows(0, 400)}), tmp_path / "ws")
    folder = tmp_path / "tallies"
    for i in range(1, 4):
        ws = Workspace(tmp_path / "ws")
        kept, fresh = (TallyStore(f, ws, fingerprints(ws), read=read)
                       for f, read in ((folder, True), (tmp_path / f"fresh{i}", False)))
        con = ws.connect()
        for tally in TALLIES:
            got, want = (con.execute(f"SELECT * FROM {s.relation(con, tally)} ORDER BY ALL").fetchall()
                         for s in (kept, fresh))
            assert got == want
        con.close()
        add_batch(tmp_path, f"batch{i}", {"production": rows(1000 * i, 300)})


def test_without_a_store_the_sums_are_computed_in_the_query(tmp_path: Path) -> None:
    """No tally store (another engine, a package folder): the same alerts as a run keeping tallies."""
    package = write_package(tmp_path / "package", {"detections": DETECTIONS, "prices": PRICES})
    write_tables(package, {"production": csv_rows(package / "production.csv") + BATCHES["fires"]})
    ingest_package(package, tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    stored = DetectContext(DuckDBEngine(ws.connect()), tallies=TallyStore(tmp_path / "t", ws, fingerprints(ws)))
    plain = DetectContext(DuckDBEngine(ws.connect()))
    for detect, code in ((over_capacity, CODES[0]), (without_disturbance, CODES[1])):
        p = defaults(code)
        alerts = detect(stored, p)
        assert alerts and alerts == detect(plain, p)
    assert (tmp_path / "t" / f"{RIGHT_YEARS.name}.arrow").exists()


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
