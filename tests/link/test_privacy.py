"""Privacy-preserving linkage: CLK encoding, what leaves a country, and linking on encodings."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from filon.cli.link import link
from filon.detect.parameters import defaults
from filon.errors import UsageError
from filon.link.benchmark_data import make_benchmark
from filon.link.evaluate import cluster_scores
from filon.link.privacy import (
    ClkEncoder,
    bigrams,
    check_compatible,
    clk_matrix,
    dice,
    encode_rows,
    encoding_settings,
    link_encoded,
    read_secret,
)
from filon.standard.taxid import pe_ruc_check_digit

SECRET = b"a-secret-of-enough-bytes-42"
RUC_A = "1041234567" + pe_ruc_check_digit("1041234567")
RUC_B = "1047654321" + pe_ruc_check_digit("1047654321")


def row(key: str, name: str, tax_id: str | None = None, country: str | None = "PE", table: str = "sanctions"):  # type: ignore[no-untyped-def]
    return (table, "name", key, name, country, None, tax_id, None)


def test_bigrams_ignore_word_order() -> None:
    assert bigrams(("QUISPE", "JUAN")) == bigrams(("JUAN", "QUISPE"))
    assert " Q" in bigrams(("QUISPE",)) and "E " in bigrams(("QUISPE",))


def test_clk_depends_on_secret_and_fills_a_share_of_bits() -> None:
    grams = bigrams(("QUISPE", "MAMANI", "JUAN", "CARLOS"))
    a, b = ClkEncoder(SECRET, 1024, 20), ClkEncoder(SECRET + b"x", 1024, 20)
    assert a.encode(grams) == ClkEncoder(SECRET, 1024, 20).encode(grams)
    assert a.encode(grams) != b.encode(grams)
    ones = int(np.unpackbits(np.frombuffer(a.encode(grams), np.uint8)).sum())
    assert 250 < ones < 600  # about 40 per cent of 1024 bits


def test_vectorized_dice_matches_definition() -> None:
    enc = encode_rows([row("1", "QUISPE MAMANI JUAN CARLOS"), row("2", "Juan Carlos Quispe Mamani"),
                       row("3", "QUISPE MAMANI JAUN CARLOS"), row("4", "CONDORI HUANCA ROSA")], SECRET)
    clks = clk_matrix(enc)
    left, right = np.array([0, 0, 0]), np.array([1, 2, 3])
    got = dice(clks, left, right)
    bits = np.unpackbits(clks.astype(">u8").view(np.uint8), axis=1).astype(int)
    expected = [2 * (bits[i] & bits[j]).sum() / (bits[i].sum() + bits[j].sum()) for i, j in zip(left, right)]
    assert np.allclose(got, expected)
    assert got[0] == 1.0 and 0.75 < got[1] < 1.0 and got[2] < 0.6


def test_encoding_holds_no_clear_text() -> None:
    enc = encode_rows([row("K1", "Minera Sol de Pataz S.A.C.", RUC_A), row("K2", "QUISPE MAMANI JUAN", RUC_B)], SECRET)
    text = " ".join(str(v) for col in ("name_clk", "name_hmac", "tax_hmac", "tax_alt_hmac")
                    for v in enc[col].to_pylist()).upper()
    for secret_word in ("MINERA", "PATAZ", "QUISPE", "MAMANI", RUC_A, RUC_B, RUC_A[2:10]):
        assert secret_word not in text
    assert set(enc.column_names) >= {"record_key", "source_table", "name_clk", "tax_hmac", "country", "kind"}
    assert "name" not in enc.column_names and "tax_id" not in enc.column_names


def test_secret_must_be_long_and_settings_must_agree(tmp_path: Path) -> None:
    short = tmp_path / "short.key"
    short.write_text("abc")
    with pytest.raises(UsageError, match="at least"):
        read_secret(short)
    p = defaults("link")
    with pytest.raises(UsageError, match="different secrets"):
        check_compatible([encoding_settings(SECRET, p), encoding_settings(SECRET + b"!", p)])


def test_links_variants_and_keeps_namesakes_apart() -> None:
    registry = encode_rows([row("A1", "QUILLA YANARICO JUAN CARLOS", RUC_A, table="actors"),
                            row("A2", "QUILLA YANARICO JUAN CARLOS", RUC_B, table="actors"),
                            row("A3", "MINERA SOL DE PATAZ S.A.C.", None, table="actors")], SECRET)
    lists = encode_rows([row("S1", "Juan Carlos Quilla Yanarico", f"{RUC_A[:2]}-{RUC_A[2:10]}-{RUC_A[10]}"),
                         row("S2", "Minera Sol de Pataz Sociedad Anónima Cerrada"),
                         row("S3", "QUILLA YANARICO JUAN CARLOS")], SECRET)
    entity = {k[3]: v for k, v in link_encoded([registry, lists]).entity_of.items()}
    assert entity["A1"] == entity["S1"]            # same verified RUC, other spelling
    assert entity["A3"] == entity["S2"]            # legal form spelled out
    assert entity["A1"] != entity["A2"]            # homonyms: different valid RUCs
    assert entity["S3"] not in (entity["A1"], entity["A2"])  # a known namesake's name alone decides nothing


def test_cluster_scores() -> None:
    truth = {("t", "c", str(i)): e for i, e in enumerate("AABBC")}
    assert cluster_scores(dict(truth), truth) == {"bcubed_precision": 1.0, "bcubed_recall": 1.0, "bcubed_f1": 1.0,
                                                  "adjusted_rand": 1.0}
    merged = cluster_scores({k: "X" for k in truth}, truth)
    assert merged["bcubed_recall"] == 1.0 and merged["bcubed_precision"] == pytest.approx((2 * 2 / 5 * 2 + 1 / 5) / 5)
    assert merged["adjusted_rand"] == pytest.approx(0.0)


def test_benchmark_generator_has_variants_and_hard_negatives() -> None:
    bench = make_benchmark(400, seed=2)
    assert len(bench.raw) == len(bench.truth) > 700
    assert bench.raw == make_benchmark(400, seed=2).raw
    names = [r[3] for r in bench.raw]
    assert any("Sociedad" in n or "Limitada" in n for n in names)          # legal forms spelled out
    assert any("," in n for n in names)                                      # SURNAMES, Given
    assert sum(r[6] is None for r in bench.raw) > 100                       # missing tax ids
    homonyms = [e for e in bench.truth.values() if e.endswith(("-H", "-N"))]
    assert homonyms                                                          # namesakes with other valid ids


app = typer.Typer()
app.command()(link)
app.command("noop")(lambda: None)


def test_cli_encode_then_link(package_copy: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.key"
    secret.write_bytes(SECRET)
    for party in ("peru", "colombia"):
        result = CliRunner().invoke(app, ["link", str(package_copy), "--encode-only", "--secret-file", str(secret),
                                          "--out", str(tmp_path / party)])
        assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, ["link", str(tmp_path / "peru"), str(tmp_path / "colombia"), "--privacy",
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    with (tmp_path / "out" / "entities.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_party = {(r["party"], r["source_table"], r["source_column"], r["record_key"]): r["entity_id"] for r in rows}
    same = [by_party[("peru", *k[1:])] == e for k, e in by_party.items() if k[0] == "colombia"]
    assert len(same) > 1000 and all(same)  # every record found its copy
    result = CliRunner().invoke(app, ["link", str(package_copy), "--encode-only", "--out", str(tmp_path / "x")])
    assert isinstance(result.exception, UsageError)
