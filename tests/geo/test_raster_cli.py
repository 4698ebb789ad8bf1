"""`filon scan` from the command line: progress, summary, exit codes and messages."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from shapely.geometry import box
from typer.testing import CliRunner

from filon.cli import main as cli_main
from filon.cli.scan import scan
from filon.geo.raster.synthetic import Scene, write_pair


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Path, Path]:
    return write_pair(Scene(size=300, scars=[(box(50, 50, 150, 120), "turbid_water")]), tmp_path_factory.mktemp("cli"))


def scan_app() -> typer.Typer:
    """`scan` as a subcommand, as the lead wires it into filon's app."""
    app = typer.Typer()
    app.command("scan")(scan)
    app.command("noop")(lambda: None)
    return app


def exit_code(args: list[str], monkeypatch) -> int:
    """Through filon's own `main`, which turns FilonError into a message and an exit code."""
    monkeypatch.setattr(cli_main, "app", scan_app())
    with pytest.raises(SystemExit) as done:
        cli_main.main(args)
    return done.value.code


def test_scan_writes_the_three_files_and_says_what_it_found(pair, tmp_path) -> None:
    out = tmp_path / "out"
    res = CliRunner().invoke(scan_app(), ["scan", str(pair[0]), str(pair[1]), "--out", str(out), "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert "1 disturbance(s), 70.0 ha (turbid water 70.0 ha) on 2023-09-15" in " ".join(res.output.split())
    assert (out / "detections.csv").exists()


def test_options_reach_the_scan(pair, tmp_path) -> None:
    params = tmp_path / "p.yaml"
    params.write_text("scan:\n  min_area_ha: 100\n")
    args = ["scan", str(pair[0]), str(pair[1]), "-o", str(tmp_path / "a")]
    res = CliRunner().invoke(scan_app(), [*args, "--params", str(params), "--date", "2024-02-29"])
    assert res.exit_code == 0 and "0 disturbance(s)" in res.output and "2024-02-29" in res.output
    res = CliRunner().invoke(scan_app(), [*args, "--min-area-ha", "80"])
    assert res.exit_code == 0 and "0 disturbance(s)" in res.output


def test_errors_are_messages_with_exit_codes(pair, tmp_path, monkeypatch, capsys) -> None:
    args = ["scan", str(pair[0]), str(pair[1]), "--out", str(tmp_path / "o")]
    assert exit_code(["scan", str(pair[0]), str(tmp_path / "missing.tif"), "--out", str(tmp_path / "o")], monkeypatch) == 2
    assert "missing.tif not found" in capsys.readouterr().err
    assert exit_code([*args, "--date", "15/09/2023"], monkeypatch) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
    assert exit_code([*args, "--preset", "modis"], monkeypatch) == 2
    assert "sentinel2-l2a" in capsys.readouterr().err
