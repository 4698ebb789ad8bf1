"""`filon link` as an analyst runs it (the command function, mounted on a Typer app)."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from filon.cli.link import link
from filon.errors import InvalidData, UsageError

app = typer.Typer()
app.command()(link)
app.command("noop")(lambda: None)  # two commands, so Typer keeps the sub-command name


def test_link_writes_entities_and_review(package_copy: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["link", str(package_copy), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "entities" in result.output
    for name in ("entities.csv", "review.csv", "model.json"):
        assert (tmp_path / "out" / name).exists()


def test_bad_decisions_file_names_row_column_and_fix(package_copy: Path, tmp_path: Path) -> None:
    bad = tmp_path / "decisions.csv"
    bad.write_text("record_key_l,record_key_r,decision\nHW-A1,HW-S1,maybe\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["link", str(package_copy), "--out", str(tmp_path / "out"), "--decisions", str(bad)])
    assert isinstance(result.exception, InvalidData)
    message = str(result.exception)
    assert "row 2" in message and "column 'decision'" in message and "accept or reject" in message


def test_unknown_engine_and_missing_source(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["link", str(tmp_path), "--engine", "spark"])
    assert isinstance(result.exception, UsageError)
    result = CliRunner().invoke(app, ["link", str(tmp_path / "nowhere")])
    assert isinstance(result.exception, UsageError) and "not a folder" in str(result.exception)
