"""CLI exit codes, the bulk load from workspace tables, canonical JSON."""

from __future__ import annotations

import struct
from pathlib import Path

import duckdb
import pytest
import typer
from typer.testing import CliRunner

from filon.cli import ledger as ledger_cli
from filon.errors import UsageError
from filon.ledger.canonical import canonical_text, es_number
from filon.ledger.load import custody_events
from filon.ledger.personal import PersonalStore
from filon.ledger.store import LOG_FILE, MAGIC
from tests.ledger.conftest import story

root = typer.Typer()
root.add_typer(ledger_cli.app, name="ledger")
runner = CliRunner()


def test_verify_exit_codes(ledger, tmp_path):
    ok = runner.invoke(root, ["ledger", "verify", str(ledger.folder)])
    assert ok.exit_code == 0 and "INTACT" in ok.output
    path = ledger.folder / LOG_FILE
    data = bytearray(path.read_bytes())
    (n,) = struct.unpack_from(">I", data, len(MAGIC))
    second = len(MAGIC) + 8 + n
    data[second + 20] ^= 0x20  # inside entry 1's JSON
    path.write_bytes(bytes(data))
    bad = runner.invoke(root, ["ledger", "verify", str(ledger.folder)])
    assert bad.exit_code == 1 and "TAMPERED" in bad.output and "entry 1" in bad.output
    usage = runner.invoke(root, ["ledger", "verify", str(tmp_path / "missing")])
    assert isinstance(usage.exception, UsageError) and usage.exception.exit_code == 2


def test_epcis_cli_round_trip(ledger, tmp_path):
    out = tmp_path / "d.jsonld"
    assert runner.invoke(root, ["ledger", "export-epcis", str(ledger.folder), "--out", str(out)]).exit_code == 0
    assert out.read_text().count('"eventID"') == len(story())


def test_custody_events_from_tables():
    con = duckdb.connect()
    con.execute("""CREATE TABLE trades AS SELECT * FROM (VALUES
        ('T1', 'PE', DATE '2022-01-05', 'S', 'B', 'Au', 'dore', 1.0, 'R1', 'LT-1', 'D-1'),
        ('T2', 'PE', DATE '2022-01-09', 'B', 'C', 'Au', 'dore', 1.0, NULL, 'LT-1', NULL),
        ('T3', 'PE', DATE '2022-01-09', 'B', 'C', 'Au', 'dore', 1.0, NULL, NULL, NULL))
        t(record_id, country, date, seller_id, buyer_id, commodity, product, fine_mass_kg, origin_right_id, lot_id, document_ref)""")
    con.execute("""CREATE TABLE exports AS SELECT * FROM (VALUES
        ('X1', 'PE', DATE '2022-01-20', 'E', 'IN', 'Au', 'dore', 'ACME LTD', 30.0, 25.0, 1e6, 'LOT-9'))
        t(declaration_id, country, date, exporter_id, destination_country, commodity, product, consignee_name,
          net_mass_kg, fine_mass_kg, value_usd, lot_id)""")
    con.execute("""CREATE TABLE assays AS SELECT * FROM (VALUES ('SMP-1', 'LT-1', DATE '2022-01-06', 'LAB ANDINO',
        'fire assay', 900000.0, NULL)) t(sample_id, lot_id, date, lab, method, au_gpt, hg_ppm)""")
    store = PersonalStore(Path(":memory:"))
    events = list(custody_events(con, store))
    assert [e["type"] for e in events] == ["lot_created", "transfer", "sampling", "assay_result", "transfer",
                                           "lot_created", "export_declaration"]
    assert events[0]["right_id"] == "R1" and events[2]["actor"] == "B" and events[3]["actor"] == "lab:lab-andino"
    assert "ACME" not in str(events[-1]) and events[-1]["commitments"]["consignee_name"]


@pytest.mark.parametrize("value,text", [(1.0, "1"), (0.1, "0.1"), (1e21, "1e+21"), (1e-7, "1e-7"),
                                         (123456789012345680000.0, "123456789012345680000"), (-0.5, "-0.5"),
                                         (0.000001, "0.000001"), (5e-324, "5e-324")])
def test_es_numbers(value, text):
    assert es_number(value) == text


def test_canonical_text_sorts_and_escapes():
    """Keys sort by UTF-16 code units (RFC 8785): U+1F600 (D83D DE00) before U+FF61."""
    assert canonical_text({"b": [1, "é\n"], "a": None, "\uff61": 1, "\U0001f600": 2}) == \
        '{"a":null,"b":[1,"é\\n"],"\U0001f600":2,"\uff61":1}'
