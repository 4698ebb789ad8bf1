"""new_exporter_surge fires on a fresh company exporting large volumes at once, not on old or small ones."""

from __future__ import annotations

from pathlib import Path

import pytest

import filon.detect.new_exporter_surge  # noqa: F401  (registers the detector)
from filon.detect.context import DetectContext
from filon.detect.new_exporter_surge import detect
from filon.detect.parameters import Parameters, defaults
from filon.engine.duckdb import DuckDBEngine
from filon.ingest.load import ingest_package
from filon.store.workspace import Workspace

CODE = "new_exporter_surge"


def run(package: Path, tmp_path: Path, params: Parameters | None = None):
    ingest_package(package, tmp_path / "ws")
    return detect(DetectContext(DuckDBEngine(Workspace(tmp_path / "ws").connect())), params or defaults("new_exporter_surge"))


def add_exports(package: Path, exporter: str, *rows: tuple[str, str, float]) -> None:
    """(declaration, date, value in USD) rows of 60 kg fine dore each."""
    with (package / "exports.csv").open("a", encoding="utf-8") as fh:
        for decl, date, value in rows:
            fh.write(f"{decl},PE,{date},{exporter},CH,7108120000,Au,dore,X,ORO,,70,60,{value},235,air,\n")


def test_silent_on_a_small_new_exporter(package: Path, tmp_path: Path) -> None:
    # PE-A003 (incorporated 2023-11-02) exported USD 1.45 M from February 2024: new, but small.
    assert run(package, tmp_path) == []
    [alert] = run(package, tmp_path / "nofloor", defaults("new_exporter_surge").replace(min_value_usd=0))
    assert alert.subject_id == "PE-A003"


def test_fires_on_a_new_company_exporting_like_the_largest(package: Path, tmp_path: Path) -> None:
    # Established exporters ship USD 1, 2 and 8 M a year; the newcomer 1.45 M + 2 x 3.9 M in its first months,
    # so the top quartile of the four exporter-years (its own included) starts at USD 8 M.
    add_exports(package, "PE-A001", ("D-1", "2024-04-01", 8_000_000))
    add_exports(package, "PE-A004", ("D-5", "2024-04-01", 2_000_000))
    add_exports(package, "PE-A002", ("D-6", "2024-04-01", 1_000_000))
    add_exports(package, "PE-A003", ("D-2", "2024-05-01", 3_900_000), ("D-3", "2024-06-01", 3_900_000))
    [alert] = run(package, tmp_path)
    assert (alert.subject_type, alert.subject_id, alert.country, alert.period) == ("actor", "PE-A003", "PE", "2024")
    ev = alert.evidence
    assert ev["appearance_basis"] == "incorporated" and ev["days_to_first_export"] == 110
    assert ev["window_value_usd"] == 9_250_000 and ev["peer_threshold_usd"] == 8_000_000
    assert ev["window_fine_kg"] == {"Au": 141.6}
    assert alert.value_at_risk_usd == 9_250_000
    assert alert.score == pytest.approx(0.7 * (9.25 / 8) / 2)
    assert ev["sources"][0]["id"] in ("D-2", "D-3") and ev["sources"][0]["file"].endswith("exports.csv")


def test_silent_on_an_old_large_exporter(package: Path, tmp_path: Path) -> None:
    # PE-A001 was incorporated in 2012: large exports are not a newcomer's surge.
    add_exports(package, "PE-A001", ("D-1", "2024-04-01", 20_000_000))
    assert run(package, tmp_path) == []


def test_first_sighting_stands_in_for_a_missing_incorporation_date(package: Path, tmp_path: Path) -> None:
    # PE-A002 has no incorporation date; it is first seen 2024-02-07, two days into the data: its age is unknown.
    add_exports(package, "PE-A002", ("D-4", "2024-08-01", 9_000_000))
    assert run(package, tmp_path) == []
    [alert] = run(package, tmp_path / "nograce", defaults("new_exporter_surge").replace(grace_months=0))
    assert alert.subject_id == "PE-A002" and alert.evidence["appearance_basis"] == "first seen"


def test_sums_kept_from_the_last_run_plus_a_new_batch_give_the_same_alerts(package: Path, tmp_path: Path) -> None:
    # The established exporters' year is loaded first, the newcomer's surge as a later batch: the kept
    # sums (brought up to date by adding the batch's) must fire exactly as sums over every row do.
    from filon.detect.incremental import fingerprints
    from filon.detect.tally import TallyStore

    add_exports(package, "PE-A001", ("D-1", "2024-04-01", 8_000_000))
    add_exports(package, "PE-A004", ("D-5", "2024-04-01", 2_000_000))
    add_exports(package, "PE-A002", ("D-6", "2024-04-01", 1_000_000))
    ws = tmp_path / "ws"
    ingest_package(package, ws)

    def kept_run(folder: Path) -> list:
        w = Workspace(ws)
        ctx = DetectContext(DuckDBEngine(w.connect()), tallies=TallyStore(folder, w, fingerprints(w)))
        return detect(ctx, defaults(CODE))

    assert kept_run(tmp_path / "tallies") == []
    batch = tmp_path / "batch"
    batch.mkdir()
    header = (package / "exports.csv").read_text(encoding="utf-8").splitlines()[0]
    (batch / "exports.csv").write_text(header + "\n", encoding="utf-8")
    add_exports(batch, "PE-A003", ("D-2", "2024-05-01", 3_900_000), ("D-3", "2024-06-01", 3_900_000))
    ingest_package(batch, ws)
    assert (tmp_path / "tallies" / "new_exporter_surge_exporter_years.arrow").exists()
    [alert] = kept_run(tmp_path / "tallies")
    [plain] = detect(DetectContext(DuckDBEngine(Workspace(ws).connect())), defaults(CODE))
    assert alert == plain and alert.subject_id == "PE-A003" and alert.evidence["peer_threshold_usd"] == 8_000_000
