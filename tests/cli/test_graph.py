"""`filon graph`: an actor's ownership neighbourhood as SVG, GraphML and JSON, from a package or a workspace."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import typer
from typer.testing import CliRunner

from filon.cli.graph import graph
from filon.errors import UsageError
from filon.ingest.load import ingest_package
from tests.graph.packages import add_actors, offshore_layers

app = typer.Typer()
app.command("graph")(graph)
app.command("noop")(lambda: None)  # two commands, so `graph` stays a subcommand as in filon's CLI


def test_draws_a_package_neighbourhood(package: Path, tmp_path: Path) -> None:
    offshore_layers(package)
    result = CliRunner().invoke(app, ["graph", "PE-A003", "--workspace", str(package), "--out", str(tmp_path / "g")])
    assert result.exit_code == 0, result.output
    svg = (tmp_path / "g" / "PE-A003.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "Northstar Holdings Ltd." in svg and "100 %" in svg and "nominee 100 %" in svg
    assert "secrecy jurisdiction" in svg and "fresh incorporation" in svg  # red flags with their labels
    data = json.loads((tmp_path / "g" / "PE-A003.json").read_text(encoding="utf-8"))
    assert {n["id"] for n in data["nodes"]} >= {"PE-A003", "PE-H001", "VG-H001", "name:ALPHA-NOMINEES-LTD"}
    assert {f["code"] for n in data["nodes"] if n["id"] == "VG-H001" for f in n["flags"]} == {"secrecy"}
    assert data["links"][0]["source"]["file"].endswith("ownership.csv")
    root = ET.parse(tmp_path / "g" / "PE-A003.graphml").getroot()
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    assert len(root.findall(".//g:node", ns)) == len(data["nodes"])
    assert len(root.findall(".//g:edge", ns)) == len(data["links"]) + len(data["trades"])


def test_hops_limit_the_drawing_and_workspaces_work(package: Path, tmp_path: Path) -> None:
    offshore_layers(package)
    ingest_package(package, tmp_path / "ws")
    result = CliRunner().invoke(app, ["graph", "PE-A003", "-w", str(tmp_path / "ws"), "-o", str(tmp_path / "g"), "-k", "1"])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "g" / "PE-A003.json").read_text(encoding="utf-8"))
    assert {n["id"] for n in data["nodes"]} == {"PE-A003", "PE-H001"}


def test_escapes_names_in_the_svg(package: Path, tmp_path: Path) -> None:
    add_actors(package, ("PE-X001", "PE", "Minera <b>Oro</b> S.A.C.", "company", "2001-01-01", "miner"),
               ("PE-X002", "PE", "Holding & Co S.A.C.", "company", "1990-01-01", ""))
    (package / "ownership.csv").write_text("record_id,subject_id,owner_id,owner_name,share_pct,control_kind,start_date,end_date\n"
                                           "OW-1,PE-X001,PE-X002,,100,shareholding,2001-01-01,\n", encoding="utf-8")
    CliRunner().invoke(app, ["graph", "PE-X001", "-w", str(package), "-o", str(tmp_path / "g")])
    svg = (tmp_path / "g" / "PE-X001.svg").read_text(encoding="utf-8")
    assert "<b>" not in svg and "&lt;b&gt;Oro" in svg and "Holding &amp; Co" in svg
    ET.fromstring(svg)  # well-formed XML


def test_unknown_actor_and_bad_date_are_explained(package: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["graph", "PE-NOPE", "-w", str(package), "-o", str(tmp_path / "g")])
    assert isinstance(result.exception, UsageError) and "PE-NOPE" in str(result.exception)
    assert "actors table" in str(result.exception)
    result = CliRunner().invoke(app, ["graph", "PE-A003", "-w", str(package), "-o", str(tmp_path / "g"), "--as-of", "2024-13-01"])
    assert isinstance(result.exception, UsageError) and "YYYY-MM-DD" in str(result.exception)
    with pytest.raises(UsageError, match="does not exist"):
        graph("PE-A003", tmp_path / "missing", tmp_path / "g", 2, "")
