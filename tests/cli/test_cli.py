"""The CLI as a user meets it: exit codes, readable errors, no tracebacks unless --debug."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from filon.cli.main import main
from tests.conftest import rewrite


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(args)
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def test_help_explains_the_workflow(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    for word in ("filon demo", "filon validate", "filon ingest", "filon analyze"):
        assert word in out


def test_validate_exit_codes(package: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["validate", str(package)], capsys)[0] == 0
    rewrite(package / "trades.csv", ",2024-02-05,", ",2024-02-31,")
    code, out, _ = run(["validate", str(package)], capsys)
    assert code == 1 and "trades.csv" in out and "2024-02-31" in out and "YYYY-MM-DD" in out
    code, out, _ = run(["validate", str(package), "--format", "json"], capsys)
    data = json.loads(out)
    assert code == 1 and data["valid"] is False
    [p] = [p for p in data["problems"] if p["severity"] == "error"]
    assert (p["row"], p["column"], p["value"], p["code"]) == (2, "date", "2024-02-31", "bad_date")


def test_usage_errors_exit_2_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["validate", str(tmp_path / "missing")], capsys)
    assert code == 2 and "does not exist" in err and "Traceback" not in err + out
    code, _, err = run(["validate", str(tmp_path), "--tables", "nonsense"], capsys)
    assert code == 2 and "unknown table" in err
    code, _, err = run(["validate"], capsys)
    assert code == 2


def test_ingest_and_batches(package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "ws"
    code, out, _ = run(["ingest", str(package), "--workspace", str(ws)], capsys)
    assert code == 0 and "loaded trades: 3 rows" in out
    code, out, _ = run(["ingest", str(package), "--workspace", str(ws)], capsys)
    assert code == 0 and "already loaded" in out
    code, out, _ = run(["batches", "list", str(ws)], capsys)
    assert code == 0 and "mining_rights" in out
    rewrite(package / "exports.csv", ",PE-A003,AE,", ",PE-A999,AE,")
    code, out, err = run(["ingest", str(package), "--workspace", str(tmp_path / "ws2")], capsys)
    assert code == 1 and "PE-A999" in out and "nothing was ingested" in err
    assert not (tmp_path / "ws2" / "tables").exists()


def test_standard_show(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["standard", "show", "exports"], capsys)
    assert code == 0 and "destination_country" in out
    code, _, err = run(["standard", "show", "nope"], capsys)
    assert code == 2 and "no table" in err


def test_standard_export(package: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(["standard", "export", "--package", str(package)], capsys)
    assert code == 0
    descriptor = json.loads((package / "datapackage.json").read_text())
    assert {r["name"] for r in descriptor["resources"]} >= {"actors", "trades"}


def test_narrow_terminal_lists_problems(package: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    from filon.cli import console as ui

    monkeypatch.setattr(ui.console, "width", 80)
    rewrite(package / "trades.csv", ",2024-02-05,", ",05/02/2024,")
    code, out, _ = run(["validate", str(package)], capsys)
    assert code == 1 and "row 2, column 'date'" in out and "fix: write dates as YYYY-MM-DD" in out
