"""GPX, NMEA 0183 and Traccar exports → movements: clean fixtures, then every kind of damage."""

from __future__ import annotations

import csv
import json
import shutil
from functools import reduce
from pathlib import Path

import pytest

from filon.errors import InvalidData
from filon.ingest.adapters import gpx_tracks, nmea, traccar
from filon.validate import validate_package

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tracking"


def rows(out: Path) -> list[dict[str, str]]:
    with (out / "movements.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def said(warnings: list[str], text: str) -> bool:
    return any(text in w for w in warnings)


def checksum(body: str) -> str:
    return f"{reduce(lambda a, c: a ^ ord(c), body, 0):02X}"


# --- GPX --------------------------------------------------------------------------------------

def test_gpx_fixture_sorted_deduplicated_and_counted(tmp_path: Path) -> None:
    warnings = gpx_tracks.convert(FIXTURES / "track.gpx", tmp_path)
    out = rows(tmp_path)
    assert {r["asset_id"] for r in out} == {"TRK-GPX-01", "track-trk2"}
    first = [r for r in out if r["asset_id"] == "TRK-GPX-01"]
    assert [r["time"][11:19] for r in first] == ["14:20:00", "14:21:00", "14:22:00", "14:23:00", "14:24:00",
                                                 "14:25:00", "14:26:00"]
    assert first[0]["lat"] == "-12.7" and first[0]["lon"] == "-69.5"
    assert said(warnings, "10 position(s) of 2 asset(s)") and said(warnings, "1 position(s) were out of time order")
    assert said(warnings, "1 repeated position(s)") and said(warnings, "1 track point(s) without <time>")
    assert len({r["movement_id"] for r in out}) == len(out)


@pytest.mark.parametrize(("module", "fixture"), [(gpx_tracks, "track.gpx"), (nmea, "receiver.nmea"),
                                                  (traccar, "positions.json"), (traccar, "tc_positions.csv")])
def test_output_is_a_valid_movements_table(module, fixture: str, tmp_path: Path) -> None:
    module.convert(FIXTURES / fixture, tmp_path)
    staged = validate_package(tmp_path)
    try:
        assert staged.report.valid, [str(p) for p in staged.report.errors]
        assert set(staged.report.rows_read) == {"movements"}
    finally:
        staged.close()


def test_gpx_refuses_entities_xxe(tmp_path: Path) -> None:
    bad = tmp_path / "xxe.gpx"
    bad.write_text('<?xml version="1.0"?>\n<!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
                   '<gpx><trk><name>&x;</name><trkseg></trkseg></trk></gpx>\n')
    with pytest.raises(InvalidData, match="DTD or entities"):
        gpx_tracks.convert(bad, tmp_path / "out")


def test_gpx_truncated_names_the_line(tmp_path: Path) -> None:
    text = (FIXTURES / "track.gpx").read_text()
    bad = tmp_path / "cut.gpx"
    bad.write_text(text[: len(text) // 2])
    with pytest.raises(InvalidData, match=r"line \d+.*truncated") as err:
        gpx_tracks.convert(bad, tmp_path / "out")
    assert "cut.gpx" in str(err.value) and "again" in str(err.value)


def test_gpx_out_of_range_and_swapped_coordinates(tmp_path: Path) -> None:
    bad = tmp_path / "swap.gpx"
    bad.write_text('<gpx><trk><trkseg>\n<trkpt lat="-12.6" lon="-69.2"><time>2023-01-01T00:00:00Z</time></trkpt>\n'
                   '<trkpt lat="-169.2" lon="-12.6"><time>2023-01-01T00:01:00Z</time></trkpt>\n</trkseg></trk></gpx>')
    with pytest.raises(InvalidData, match=r"line 3: .*swapped"):
        gpx_tracks.convert(bad, tmp_path / "out")


def test_gpx_bad_time_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "t.gpx"
    bad.write_text('<gpx><trk><trkseg>\n<trkpt lat="-12.6" lon="-69.2"><time>yesterday</time></trkpt>\n'
                   '</trkseg></trk></gpx>')
    with pytest.raises(InvalidData, match="line 2.*ISO 8601"):
        gpx_tracks.convert(bad, tmp_path / "out")


# --- NMEA -------------------------------------------------------------------------------------

def test_nmea_fixture_checksums_and_tolerance(tmp_path: Path) -> None:
    warnings = nmea.convert(FIXTURES / "receiver.nmea", tmp_path)
    out = rows(tmp_path)
    assert len(out) == 12 and {r["asset_id"] for r in out} == {"receiver"}
    assert out[0]["time"] == "2023-05-14T05:40:00Z"
    assert float(out[0]["lat"]) == pytest.approx(-12.6) and float(out[0]["lon"]) == pytest.approx(-69.19)
    assert said(warnings, "2 corrupt sentence(s)")  # one bad checksum, one cut-off last line
    assert said(warnings, "1 void fix(es)") and said(warnings, "11 GGA sentence(s) repeating")


def test_nmea_too_many_bad_checksums_refused_naming_the_first(tmp_path: Path) -> None:
    lines = (FIXTURES / "receiver.nmea").read_text().splitlines()
    damaged = [ln[:-2] + "00" if ln.startswith("$GPRMC") and i in (3, 7, 11) else ln for i, ln in enumerate(lines)]
    bad = tmp_path / "bad.nmea"
    bad.write_text("\n".join(damaged))
    first_bad = next(i for i, ln in enumerate(damaged, start=1) if ln != lines[i - 1])
    with pytest.raises(InvalidData, match=rf"row {first_bad}.*fail their checksum"):
        nmea.convert(bad, tmp_path / "out")


def test_nmea_gga_before_any_rmc_is_counted_not_guessed(tmp_path: Path) -> None:
    gga = "GPGGA,120000.00,1236.0000,S,06911.4000,W,1,08,0.9,210.4,M,-8.1,M,,"
    rmc = "GPRMC,120100.00,A,1236.1000,S,06911.5000,W,10.0,90.0,010223,,,A"
    f = tmp_path / "a.nmea"
    f.write_text(f"${gga}*{checksum(gga)}\n${rmc}*{checksum(rmc)}\n")
    warnings = nmea.convert(f, tmp_path / "out")
    assert len(rows(tmp_path / "out")) == 1 and said(warnings, "1 GGA sentence(s) before the first RMC")


def test_nmea_out_of_range_longitude(tmp_path: Path) -> None:
    rmc = "GPRMC,120100.00,A,1236.1000,S,19911.5000,W,10.0,90.0,010223,,,A"
    f = tmp_path / "a.nmea"
    f.write_text(f"${rmc}*{checksum(rmc)}\n")
    with pytest.raises(InvalidData, match="line 1: .*outside WGS84"):
        nmea.convert(f, tmp_path / "out")


def test_nmea_without_positions_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "a.nmea"
    f.write_text("hello\nworld\n")
    with pytest.raises(InvalidData, match="no \\$..RMC"):
        nmea.convert(f, tmp_path / "out")


# --- Traccar ----------------------------------------------------------------------------------

def test_traccar_json_fixture(tmp_path: Path) -> None:
    warnings = traccar.convert(FIXTURES / "positions.json", tmp_path)
    out = rows(tmp_path)
    assert [r["time"][11:16] for r in out] == ["12:00", "12:02", "12:04", "12:06", "12:10"]
    assert {r["asset_id"] for r in out} == {"traccar-7"}
    assert said(warnings, "1 position(s) were out of time order") and said(warnings, "1 repeated position(s)")
    assert said(warnings, "1 fix(es) flagged invalid")


def test_traccar_csv_fixture_tolerates_a_cut_off_last_line(tmp_path: Path) -> None:
    warnings = traccar.convert(FIXTURES / "tc_positions.csv", tmp_path)
    assert len(rows(tmp_path)) == 5 and said(warnings, "1 cut-off last line")


def test_traccar_csv_gap_in_the_middle_is_an_error(tmp_path: Path) -> None:
    lines = (FIXTURES / "tc_positions.csv").read_text().splitlines()
    lines[2] = lines[2].replace("-4.060000", "")
    f = tmp_path / "p.csv"
    f.write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(InvalidData, match="line 3: no latitude"):
        traccar.convert(f, tmp_path / "out")


def test_traccar_truncated_json(tmp_path: Path) -> None:
    text = (FIXTURES / "positions.json").read_text()
    f = tmp_path / "p.json"
    for cut in (40, 3):
        f.write_text(text[:-cut])
        with pytest.raises(InvalidData, match="not valid JSON.*truncated"):
            traccar.convert(f, tmp_path / "out")


def test_traccar_swapped_coordinates_name_the_position(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "positions.json").read_text())
    data[1]["latitude"], data[1]["longitude"] = -178.85, -3.95  # longitude written as latitude and back
    f = tmp_path / "p.json"
    f.write_text(json.dumps(data))
    with pytest.raises(InvalidData, match=r"line 2: .*swapped"):
        traccar.convert(f, tmp_path / "out")


def test_folder_of_files_and_registry_shape(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(FIXTURES / "positions.json", src / "a.json")
    shutil.copy(FIXTURES / "tc_positions.csv", src / "b.csv")
    traccar.convert(src, tmp_path / "out")
    assert {r["asset_id"] for r in rows(tmp_path / "out")} == {"traccar-7", "traccar-9"}
    for module in (gpx_tracks, nmea, traccar):
        assert module.ADAPTER.tables == ("movements",) and module.ADAPTER.name == module.__name__.rsplit(".", 1)[1]
