"""A demo region (scale 0.1) with hand-written parties appended: known links and known non-links."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from filon.demo import generate_region
from filon.standard.taxid import co_nit_check_digit, pe_ruc_check_digit


def ruc(body: str) -> str:
    return body + pe_ruc_check_digit(body)


RUC_SOL, RUC_JUAN, RUC_JUAN2 = ruc("2060999001"), ruc("1041234567"), ruc("1047654321")
NIT_DORADO = "901777555"
ACTORS = [
    ("HW-A1", "PE", "MINERA SOL DE PATAZ S.A.C.", "company", RUC_SOL, "PE-RUC"),
    ("HW-A2", "PE", "QUILLA YANARICO JUAN CARLOS", "person", RUC_JUAN, "PE-RUC"),
    ("HW-A3", "PE", "QUILLA YANARICO JUAN CARLOS", "person", RUC_JUAN2, "PE-RUC"),  # a homonym
    ("HW-A4", "CO", "C.I. METALES DORADO DEL CAUCA S.A.S.", "company",
     f"{NIT_DORADO}-{co_nit_check_digit(NIT_DORADO)}", "CO-NIT"),
    ("HW-A5", "BO", "TINTAYA HUARACHI WALTER", "person", "", ""),
]
SANCTIONS = [
    ("HW-S1", "Minera Sol de Pataz Sociedad Anónima Cerrada", "company", "PE", f"{RUC_SOL[:2]}-{RUC_SOL[2:10]}-{RUC_SOL[10]}"),
    ("HW-S2", "METALES DORADO DEL CAUCA SAS", "company", "CO", NIT_DORADO),
    ("HW-S3", "Juan Carlos Quilla Yanarico", "person", "PE", RUC_JUAN),
    ("HW-S4", "TINTAYA HUARACHI WILBER", "person", "BO", ""),
]
OWNERS = [("HW-O1", "HW-A1", "Tintaya Huarachi, Walter")]
#: (key, key) pairs that must share an entity, and pairs that must not.
MUST_LINK = [("HW-A1", "HW-S1"), ("HW-A4", "HW-S2"), ("HW-A2", "HW-S3"), ("HW-A5", "HW-O1")]
MUST_NOT_LINK = [("HW-A2", "HW-A3"), ("HW-S3", "HW-A3"), ("HW-A5", "HW-S4"), ("HW-A1", "HW-A4")]


def append(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    with path.open("a", encoding="utf-8", newline="") as fh:
        csv.DictWriter(fh, header, lineterminator="\n").writerows(rows)


def add_hand_written(folder: Path) -> None:
    append(folder / "actors.csv", [{"actor_id": a, "country": c, "name": n, "kind": k, "tax_id": t,
                                    "tax_id_scheme": s, "incorporation_date": "2010-01-01"}
                                   for a, c, n, k, t, s in ACTORS])
    append(folder / "sanctions.csv", [{"entry_id": e, "name": n, "kind": k, "country": c, "tax_id": t,
                                       "list_name": "hand", "reason": "test"} for e, n, k, c, t in SANCTIONS])
    append(folder / "ownership.csv", [{"record_id": r, "subject_id": s, "owner_name": n, "share_pct": "100",
                                       "control_kind": "shareholding", "start_date": "2011-01-01"}
                                      for r, s, n in OWNERS])


@pytest.fixture(scope="session")
def demo_small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("link-demo") / "package"
    generate_region(folder, seed=7, scale=0.1)
    add_hand_written(folder)
    return folder


@pytest.fixture
def package_copy(demo_small: Path, tmp_path: Path) -> Path:
    target = tmp_path / "package"
    shutil.copytree(demo_small, target)
    return target


def entity_of(entities_csv: Path) -> dict[str, str]:
    with entities_csv.open(encoding="utf-8", newline="") as fh:
        return {r["record_key"]: r["entity_id"] for r in csv.DictReader(fh)}
