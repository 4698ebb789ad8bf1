"""REINFO listing → actors (miners) + mining_rights (formalization entries)."""

from __future__ import annotations

from pathlib import Path

import pytest

from filon.errors import InvalidData
from filon.ingest.adapters import get_adapter
from filon.ingest.adapters.pe_reinfo import EXTRA_COLUMNS

convert = get_adapter("pe_reinfo").convert


@pytest.fixture
def converted(fixtures_dir: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    return tmp_path, convert(fixtures_dir / "pe_reinfo" / "reinfo_madre_de_dios.csv", tmp_path)


def test_one_actor_per_miner(converted, check) -> None:
    out, _ = converted
    actors = {a["actor_id"]: a for a in check(out, "actors")}
    assert len(actors) == 5
    rosa = actors["PE-RUC-10422334454"]
    assert (rosa["name"], rosa["kind"], rosa["tax_id_scheme"], rosa["roles"]) == (
        "QUISPE HUAMAN ROSA ELENA", "person", "PE-RUC", "miner")
    assert actors["PE-RUC-20604455660"]["kind"] == "company"
    assert actors["PE-RUC-20604455660"]["roles"] == "miner;processor"  # ACTIVIDAD BENEFICIO
    assert actors["PE-RUC-20607778885"]["name"] == "MINERA ARTESANAL LOS CASTAÑOS E.I.R.L."  # stripped
    assert actors["PE-RUC-10455667785"]["name"].startswith("=HYPERLINK(")


def test_rights_status_regime_and_area(converted, check) -> None:
    out, warnings = converted
    rights = {r["right_id"]: r for r in check(out, "mining_rights", extra=EXTRA_COLUMNS)}
    assert len(rights) == 7
    assert {r["regime"] for r in rights.values()} == {"formalization"}
    assert rights["070001456"]["status"] == "suspended"
    assert rights["070002789"]["status"] == "cancelled"  # EXCLUIDO
    assert rights["070004120"]["status"] == "active"
    first = rights["070001456"]
    assert (first["holder_id"], first["admin_area"], first["granted_on"], first["country"]) == (
        "PE-RUC-10422334454", "170102", "2019-05-03", "PE")
    assert first["right_name"] == "SAN JUAN DE INAMBARI"


def test_shared_right_code_gets_one_entry_per_miner(converted, rows_of) -> None:
    out, warnings = converted
    ids = {r["right_id"] for r in rows_of(out / "mining_rights.csv")}
    assert {"070000123-10422334454", "070000123-20604455660"} <= ids and "070000123" not in ids
    assert any("several registered miners" in w for w in warnings)


def test_repeated_entry_keeps_latest_inscription(converted, rows_of) -> None:
    out, warnings = converted
    rights = {r["right_id"]: r for r in rows_of(out / "mining_rights.csv")}
    assert rights["070003011"]["status"] == "active"  # 30/11/2021 VIGENTE beats 10/01/2020 SUSPENDIDO
    assert rights["070003011"]["granted_on"] == "2021-11-30"  # code padded back to 9 digits
    assert any("latest inscription" in w for w in warnings)


def test_utm_points_become_lon_lat(converted, rows_of) -> None:
    out, _ = converted
    rights = {r["right_id"]: r for r in rows_of(out / "mining_rights.csv")}
    lon, lat = float(rights["070001456"]["lon"]), float(rights["070001456"]["lat"])
    assert lon == pytest.approx(-70.2905, abs=1e-3) and lat == pytest.approx(-13.1022, abs=1e-3)
    assert rights["070005233"]["lat"] == "" and rights["070005233"]["geometry"] == ""


def test_missing_column(tmp_path: Path) -> None:
    src = tmp_path / "reinfo.csv"
    src.write_text("RUC,MINERO INFORMAL,CODIGO UNICO\n10422334454,X,070000123\n", encoding="utf-8")
    with pytest.raises(InvalidData) as err:
        convert(src, tmp_path / "out")
    assert "reinfo.csv" in str(err.value) and "'ESTADO'" in str(err.value) and "'CODIGO UNICO'" in str(err.value)


@pytest.mark.parametrize(("cells", "column", "value"), [
    ("10422334454,X,070000123,VIGENTE,2017-02-31", "FECHA DE INSCRIPCION", "2017-02-31"),
    ("10422334454,X,070000123,EN TRAMITE,12/02/2017", "ESTADO", "EN TRAMITE"),
    ("1042233445,X,070000123,VIGENTE,12/02/2017", "RUC", "1042233445"),
])
def test_unparseable_value(tmp_path: Path, cells: str, column: str, value: str) -> None:
    src = tmp_path / "reinfo.csv"
    src.write_text("RUC,MINERO INFORMAL,CODIGO UNICO,ESTADO,FECHA DE INSCRIPCION\n" + cells + "\n", encoding="utf-8")
    with pytest.raises(InvalidData) as err:
        convert(src, tmp_path / "out")
    assert (err.value.row, err.value.column, err.value.value) == (2, column, value)
    assert "line 2" in str(err.value)
