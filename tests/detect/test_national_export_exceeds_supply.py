"""national_export_exceeds_supply fires when a country exports more than it produced and imported."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

import filon.detect.national_export_exceeds_supply  # noqa: F401  (registers the detector)
from filon.detect.context import DetectContext
from filon.detect.incremental import fingerprints
from filon.detect.national_export_exceeds_supply import detect
from filon.detect.parameters import Parameters, defaults
from filon.detect.tally import TallyStore
from filon.engine.duckdb import DuckDBEngine
from filon.ingest.load import ingest_package
from filon.store.workspace import Workspace

CODE = "national_export_exceeds_supply"
VALID = Path(__file__).parents[1] / "fixtures" / "valid_package"
IMPORTS_HEADER = "record_id,country,period,origin_country,hs_code,net_mass_kg,value_usd,importer_name,exporter_name,level"


def run(package: Path, tmp_path: Path, params: Parameters | None = None):
    ingest_package(package, tmp_path / "ws")
    return detect(DetectContext(DuckDBEngine(Workspace(tmp_path / "ws").connect())), params or defaults("national_export_exceeds_supply"))


def add_exports(package: Path, *rows: tuple[str, str, str, str, str]) -> None:
    """(declaration, country, product, net kg, fine kg) rows, exported in June 2024."""
    with (package / "exports.csv").open("a", encoding="utf-8") as fh:
        for decl, country, product, net, fine in rows:
            fh.write(f"{decl},{country},2024-06-10,{country}-A001,CH,7108120000,Au,{product},X,ORO,,{net},{fine},"
                     f"3900000,1,air,\n")


def test_silent_when_exports_are_below_production(package: Path, tmp_path: Path) -> None:
    # PE exports 21.6 kg of the 59.8 kg it produced; BO 6.5 of 6.9 kg.
    assert run(package, tmp_path) == []


def test_fires_when_exports_exceed_production(package: Path, tmp_path: Path) -> None:
    (package / "prices.csv").write_text("date,commodity,price_usd,unit,source\n2024-01-01,Au,2000,troy_oz,WB\n",
                                        encoding="utf-8")
    add_exports(package, ("D-1", "PE", "dore", "70", "60"))
    [alert] = run(package, tmp_path)
    assert (alert.subject_type, alert.subject_id, alert.country, alert.period) == ("country", "PE", "PE", "2024")
    ev = alert.evidence
    assert ev["exported_kg"] == 81.6 and ev["produced_kg"] == 59.8 and ev["imported_kg"] == 0
    assert ev["unexplained_kg"] == pytest.approx(21.8)
    assert alert.score == pytest.approx((21.8 / 81.6) / 0.5)
    assert alert.value_at_risk_usd == pytest.approx(21.8 * 2000 * 32.1507466)
    assert ev["sources"][0]["id"] == "D-1" and ev["sources"][0]["file"].endswith("exports.csv")


def test_imports_into_the_country_count_as_supply(package: Path, tmp_path: Path) -> None:
    add_exports(package, ("D-1", "PE", "dore", "70", "60"))
    (package / "imports.csv").write_text(IMPORTS_HEADER + "\nI-1,PE,2024-03,BO,710812,25,1500000,,,aggregate\n"
                                         "I-2,CH,2024-03,PE,710812,500,30000000,,,aggregate\n", encoding="utf-8")
    # 25 kg into PE at bullion purity covers the 21.8 kg; CH's import from PE is not PE's supply.
    assert run(package, tmp_path) == []


def test_tolerance_and_estimated_fine_mass(package: Path, tmp_path: Path) -> None:
    # 43 kg of bullion without a fine mass: 42.8 kg at typical purity, 64.4 kg in all, 7.7 % over production.
    add_exports(package, ("D-2", "PE", "bullion", "43", ""))
    assert run(package, tmp_path) == []
    [alert] = run(package, tmp_path / "strict", defaults("national_export_exceeds_supply").replace(tolerance=0.0, min_excess_kg=1.0))
    assert alert.evidence["exports_with_estimated_fine_mass"] == 1
    assert alert.evidence["exported_kg"] == pytest.approx(21.6 + 43 * 0.995)


def test_no_production_records_is_a_coverage_gap(package: Path, tmp_path: Path) -> None:
    add_exports(package, ("D-3", "EC", "dore", "60", "50"))  # no Ecuadorian production shared
    assert run(package, tmp_path) == []


def exports_batch(folder: Path, *rows: tuple[str, str, str, str, str]) -> Path:
    """A package of only (declaration, country, product, net kg, fine kg) exports of June 2024."""
    folder.mkdir(parents=True)
    header = (VALID / "exports.csv").read_text(encoding="utf-8").splitlines()[0]
    (folder / "exports.csv").write_text(header + "\n", encoding="utf-8")
    add_exports(folder, *rows)
    return folder


def comparable(alerts: list) -> list[dict]:
    """Alerts as dicts, floats to 9 significant digits: the kept sums are added in another order."""
    def norm(v):
        if isinstance(v, float):
            return float(f"{v:.9g}")
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        return v
    return [norm(asdict(a)) for a in alerts]


def tally_run(ws_path: Path, folder: Path, p: Parameters) -> tuple[list, list]:
    """The detector with its national tally kept in `folder` (and the batches each computation of
    the tally read), and the same without a store (every sum from the rows, in the query)."""
    ws = Workspace(ws_path)
    store = TallyStore(folder, ws, fingerprints(ws))
    over: list = []
    inner = store._over
    store._over = lambda tally, only: over.append(dict(only)) or inner(tally, only)  # type: ignore[method-assign]
    kept = detect(DetectContext(DuckDBEngine(ws.connect()), tallies=store), p)
    plain = detect(DetectContext(DuckDBEngine(ws.connect())), p)
    assert comparable(kept) == comparable(plain)
    return kept, over


@pytest.mark.parametrize("fires", [True, False])
def test_a_batch_adds_its_sums_to_the_kept_national_tally(package: Path, tmp_path: Path, fires: bool) -> None:
    """The tally of the last run plus a batch's declarations gives the alerts of a full computation,
    whether the batch makes the country fire (60 kg more exported than produced) or not (3 kg)."""
    (package / "prices.csv").write_text("date,commodity,price_usd,unit,source\n2024-01-01,Au,2000,troy_oz,WB\n",
                                        encoding="utf-8")
    p, folder = defaults(CODE), tmp_path / "out" / "tallies"
    ingest_package(package, tmp_path / "ws")
    assert tally_run(tmp_path / "ws", folder, p) == ([], [{"exports": None, "production": None, "imports": None}])
    before = {b.batch_id for b in Workspace(tmp_path / "ws").batches}
    ingest_package(exports_batch(tmp_path / "batch", ("D-1", "PE", "dore", "70", "60") if fires
                                 else ("D-1", "PE", "dore", "3.5", "3")), tmp_path / "ws")
    new = {b.batch_id for b in Workspace(tmp_path / "ws").batches} - before
    alerts, over = tally_run(tmp_path / "ws", folder, p)
    assert over == [{"exports": new, "production": set(), "imports": set()}]  # the batch's rows only
    if fires:
        [alert] = alerts
        assert alert.evidence["exported_kg"] == 81.6 and alert.evidence["produced_kg"] == 59.8
        assert [s["id"] for s in alert.evidence["sources"]][0] == "D-1"
    else:
        assert alerts == []


def test_evidence_lists_each_alerts_largest_declarations(package: Path, tmp_path: Path) -> None:
    """One query gives every alert its own largest declarations, by fine mass then id."""
    add_exports(package, ("D-1", "PE", "dore", "70", "60"), ("D-3", "PE", "dore", "30", "25"),
                ("D-2", "PE", "dore", "30", "25"), ("D-4", "BO", "dore", "40", "30"))
    alerts = run(package, tmp_path, defaults(CODE).replace(max_sources=3))
    assert [(a.subject_id, [s["id"] for s in a.evidence["sources"]]) for a in alerts] == \
           [("BO", ["D-4", "BO-201-2024-C-4512"]), ("PE", ["D-1", "D-2", "D-3"])]
