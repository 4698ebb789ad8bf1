"""The one parameters file: every detector's thresholds documented, overridable per run, checked."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from filon.cli.main import main
from filon.detect import parameters
from filon.detect.parameters import defaults, documented, load_overrides, resolve
from filon.detect.registry import all_detectors
from filon.errors import UsageError

DETECT = Path(parameters.__file__).parent


def test_every_detector_has_a_documented_section() -> None:
    sections = documented()
    for det in all_detectors().values():
        assert det.params in sections, f"{det.code}: no section {det.params!r} in parameters.yaml"
    for section, entries in sections.items():
        for name, entry in entries.items():
            assert len(entry["why"].split()) >= 4, f"{section}.{name}: say why this default"


def test_every_parameter_is_used_and_every_used_parameter_exists() -> None:
    """`p.name` in a detector module reads parameters.yaml: both sides must agree."""
    used: dict[str, set[str]] = {}
    for det in all_detectors().values():
        module = DETECT / f"{det.run.__module__.rsplit('.', 1)[-1]}.py"
        tree = ast.parse(module.read_text())
        names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
                 and isinstance(n.value, ast.Name) and n.value.id == "p"}
        used.setdefault(det.params, set()).update(names)
    for section, names in used.items():
        known = set(documented()[section])
        assert names - {"replace", "section"} <= known, f"{section}: undocumented {names - known}"
        assert known <= names, f"{section}: parameters nobody reads: {known - names}"


def test_override_file_changes_only_what_it_names(tmp_path: Path) -> None:
    f = tmp_path / "p.yaml"
    f.write_text("valuation:\n  margin: 0.3\nmirror_trade_gap:\n  min_gap_usd: 100000\n")
    over = load_overrides(f)
    p = resolve("valuation", over)
    assert p.margin == 0.3 and p.payable_concentrate == defaults("valuation").payable_concentrate
    assert resolve("mirror_trade_gap", over).min_gap_usd == 100000.0  # an int where a float is expected


def test_a_copied_defaults_file_is_a_valid_override_file(tmp_path: Path) -> None:
    f = tmp_path / "all.yaml"
    f.write_text(parameters.defaults_text())
    over = load_overrides(f)
    assert resolve("production_over_capacity", over) == defaults("production_over_capacity")


@pytest.mark.parametrize("text, says", [
    ("valuaton:\n  margin: 0.3\n", "'valuaton' is not a detector section"),
    ("valuation:\n  marjin: 0.3\n", "valuation.marjin is not a parameter"),
    ("valuation:\n  margin: wide\n", "valuation.margin must be a number"),
    ("valuation:\n  margin: -0.2\n", "cannot be negative"),
    ("mass_balance_break:\n  node_roles: trader\n", "must be a list"),
    ("valuation:\n  margin: [0.3\n", "is not valid YAML"),
    ("- margin\n", "expected sections by detector"),
])
def test_bad_override_files_say_what_to_fix(tmp_path: Path, text: str, says: str) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(UsageError, match=says) as err:
        load_overrides(f)
    assert str(f) in str(err.value)


def cli(args: list[str]) -> int:
    with pytest.raises(SystemExit) as done:
        main(args)
    return int(done.value.code)


def test_analyze_with_params_changes_the_alerts(package: Path, tmp_path: Path, capsys) -> None:
    # PE-A003 bought 21.6 kg and exported it all; it now also sells 30 kg it never bought.
    trades = package / "trades.csv"
    trades.write_text(trades.read_text() + "PE-T900,PE,2024-05-10,PE-A003,PE-A004,Au,bullion,,30,1900000,,LOT-X,F9-1\n")
    base = tmp_path / "base"
    assert cli(["analyze", str(package), "--out", str(base), "-d", "mass_balance_break"]) == 0
    lenient = tmp_path / "lenient.yaml"
    lenient.write_text("mass_balance_break:\n  tolerance: 100.0\n")
    loose = tmp_path / "loose"
    assert cli(["analyze", str(package), "--out", str(loose), "-d", "mass_balance_break", "--params", str(lenient)]) == 0
    typo = tmp_path / "typo.yaml"
    typo.write_text("mass_balance_break:\n  tolerence: 1.0\n")
    assert cli(["analyze", str(package), "--out", str(tmp_path / "x"), "--params", str(typo)]) == 2
    assert "tolerence is not a parameter" in capsys.readouterr().err
    assert len((base / "alerts.csv").read_text().splitlines()) > 1
    assert len((loose / "alerts.csv").read_text().splitlines()) == 1  # header only


def test_params_command_prints_the_reasoning(capsys) -> None:
    assert cli(["params", "valuation"]) == 0
    out = capsys.readouterr().out
    assert "margin" in out and "payable_concentrate" in out
