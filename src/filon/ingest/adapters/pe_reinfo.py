"""Peru's formalization registry (REINFO) listing → `actors` + `mining_rights`.

REINFO lists, per line, a miner (by RUC) registered to work a mining right (derecho minero, by its
INGEMMET code). Its statuses are what `inactive_right_production` needs: production or sales
attributed to a suspended or excluded miner's right are the laundering route this registry
was meant to close. Actor ids are `PE-RUC-<ruc>`, as in the customs adapter.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from filon.ingest.adapters import Adapter
from filon.ingest.adapters import _peru as peru
from filon.ingest.adapters._geo import utm_to_lonlat
from filon.ingest.adapters._package import Row, write_table
from filon.ingest.adapters._parse import bad_value, detect_decimal, iso_date, number, required_value
from filon.ingest.adapters._read import Field, SourceTable, plain_key, read_table, source_files

FIELDS = (
    Field("ruc", ("RUC", "NUMERO RUC", "NUMERO DE RUC")),
    Field("name", ("NOMBRE / RAZON SOCIAL", "NOMBRE O RAZON SOCIAL", "MINERO INFORMAL", "RAZON SOCIAL",
                   "NOMBRE", "DECLARANTE")),
    Field("code", ("CODIGO UNICO", "CODIGO UNICO DERECHO MINERO", "CODIGO DERECHO MINERO", "CODIGO")),
    Field("status", ("ESTADO", "ESTADO REINFO", "SITUACION")),
    Field("right_name", ("NOMBRE DERECHO MINERO", "NOMBRE DEL DERECHO MINERO", "DERECHO MINERO"), False),
    Field("department", ("DEPARTAMENTO",), False),
    Field("province", ("PROVINCIA",), False),
    Field("district", ("DISTRITO",), False),
    Field("ubigeo", ("UBIGEO", "CODIGO UBIGEO"), False),
    Field("date", ("FECHA DE INSCRIPCION", "FECHA INSCRIPCION", "FECHA"), False),
    Field("person", ("TIPO DE PERSONA", "TIPO PERSONA"), False),
    Field("activity", ("ACTIVIDAD", "ACTIVIDAD MINERA"), False),
    Field("scale", ("ESTRATO", "CONDICION", "CONDICION DEL MINERO"), False),
    Field("east", ("ESTE", "COORDENADA ESTE", "UTM ESTE"), False),
    Field("north", ("NORTE", "COORDENADA NORTE", "UTM NORTE"), False),
    Field("zone", ("ZONA", "ZONA UTM", "HUSO"), False),
)
EXTRA_COLUMNS = ("right_name", "lat", "lon")  # kept beside the standard columns (see description)
_STATUS = {"VIGENTE": "active", "ACTIVO": "active", "SUSPENDIDO": "suspended", "EXCLUIDO": "cancelled",
           "CANCELADO": "cancelled", "BAJA": "cancelled", "RETIRADO": "cancelled", "VENCIDO": "expired"}
_SCALE = {"PPM": "small", "PEQUENO PRODUCTOR MINERO": "small", "PMA": "artisanal",
          "PRODUCTOR MINERO ARTESANAL": "artisanal"}
_PERU_BOX = (-81.5, -18.5, -68.5, 0.1)  # lon/lat bounds used to catch swapped or non-WGS84 points


def _status(src: SourceTable, line: int, value: str) -> str:
    status = _STATUS.get(plain_key(value))
    if status is None:
        raise bad_value(src, line, "status", value, f"one of {', '.join(_STATUS)}",
                        "use the registry's status words (VIGENTE, SUSPENDIDO, EXCLUIDO)")
    return status


def _lonlat(src: SourceTable, line: int, row: dict[str, str], mark: str,
            notes: dict[str, int]) -> tuple[float | None, float | None]:
    """WGS84 lon/lat of the ESTE/NORTE/ZONA point; Peru is south of the equator, zones 17-19."""
    east = number(src, line, "east", row.get("east", ""), mark)
    north = number(src, line, "north", row.get("north", ""), mark)
    if not east or not north:
        return None, None
    zone = re.match(r"\s*(\d{2})", row.get("zone", ""))
    if not zone or zone.group(1) not in ("17", "18", "19"):
        notes["UTM point(s) without a zone 17, 18 or 19 were not converted to lon/lat"] += 1
        return None, None
    lon, lat = utm_to_lonlat(float(east), float(north), int(zone.group(1)))
    if not (_PERU_BOX[0] <= lon <= _PERU_BOX[2] and _PERU_BOX[1] <= lat <= _PERU_BOX[3]):
        notes["UTM point(s) fall outside Peru (swapped ESTE/NORTE, or not WGS84?); lon/lat left empty"] += 1
        return None, None
    return round(lon, 6), round(lat, 6)


def _kind(person_type: str, ruc: str) -> str | None:
    """TIPO DE PERSONA (NATURAL / JURIDICA) when given, else what the RUC prefix implies."""
    key = plain_key(person_type)
    return "person" if "NATURAL" in key else "company" if "JURIDICA" in key else peru.ruc_kind(ruc)


def _admin_area(row: dict[str, str]) -> str | None:
    """The 6-digit UBIGEO (Excel drops its leading zero), else "DEPARTAMENTO / PROVINCIA / DISTRITO"."""
    ubigeo = re.sub(r"\.0+$", "", row.get("ubigeo", ""))
    if ubigeo.isdigit():
        return ubigeo.zfill(6)
    return " / ".join(v for v in (row.get("department"), row.get("province"), row.get("district")) if v) or None


def _entries(path: Path, actors: dict[str, Row], entries: dict[tuple[str, str], Row],
             notes: dict[str, int], warnings: list[str]) -> None:
    """Add one listing: one actor per RUC, one entry per (right code, RUC), latest inscription wins."""
    src = read_table(path, FIELDS, warnings)
    mark = detect_decimal([r.get(k, "") for _, r in src.rows for k in ("east", "north")],
                          "," if src.delimiter == ";" else ".")
    for line, row in src.rows:
        ruc = peru.ruc(src, line, "ruc", required_value(src, line, "ruc", row["ruc"], "the miner's RUC"))
        code = required_value(src, line, "code", row["code"], "the mining right's code")
        code = code.zfill(9) if code.isdigit() and len(code) < 9 else code  # Excel drops leading zeros
        actor_id = peru.actor_id(ruc)
        actor = actors.setdefault(actor_id, {
            "actor_id": actor_id, "country": "PE",
            "name": required_value(src, line, "name", row["name"], "the miner's name"),
            "kind": _kind(row.get("person", ""), ruc), "tax_id": ruc, "tax_id_scheme": "PE-RUC", "roles": "miner"})
        if "BENEFICIO" in plain_key(row.get("activity", "")):
            actor["roles"] = "miner;processor"
        lon, lat = _lonlat(src, line, row, mark, notes)
        entry: Row = {
            "right_id": code, "country": "PE", "holder_id": actor_id, "regime": "formalization",
            "status": _status(src, line, row["status"]), "scale": _SCALE.get(plain_key(row.get("scale", ""))),
            "granted_on": iso_date(src, line, "date", row.get("date", "")), "admin_area": _admin_area(row),
            "right_name": row.get("right_name") or None, "lat": lat, "lon": lon}
        previous = entries.get((code, ruc))
        if previous is not None:
            notes["line(s) repeat a miner on the same right; the latest inscription was kept"] += 1
            if previous["status"] != entry["status"]:
                notes["repeated line(s) disagree on the status; the latest inscription's was kept"] += 1
            if str(previous["granted_on"] or "") > str(entry["granted_on"] or ""):
                continue
        entries[(code, ruc)] = entry


def _right_ids(entries: dict[tuple[str, str], Row]) -> tuple[list[Row], int]:
    """right_id = the code; `<code>-<ruc>` for every miner of a code registered to several miners.

    The standard has one holder per right, REINFO has many miners per right; suffixing only the
    shared codes keeps the plain code (what production and trade records cite) wherever it is unique.
    """
    holders: dict[str, int] = defaultdict(int)
    for code, _ in entries:
        holders[code] += 1
    for (code, ruc), entry in entries.items():
        if holders[code] > 1:
            entry["right_id"] = f"{code}-{ruc}"
    return list(entries.values()), sum(1 for n in holders.values() if n > 1)


def convert(source: Path, out_dir: Path) -> list[str]:
    """Convert a REINFO listing (or a folder of them) into `actors.csv` and `mining_rights.csv`."""
    warnings: list[str] = []
    actors: dict[str, Row] = {}
    entries: dict[tuple[str, str], Row] = {}
    notes: dict[str, int] = defaultdict(int)
    for path in source_files(source, (".csv", ".txt")):
        _entries(path, actors, entries, notes, warnings)
    rights, shared = _right_ids(entries)
    warnings += [f"{n} {text}" for text, n in notes.items()]
    if shared:
        warnings.append(f"{shared} right code(s) have several registered miners; "
                        "their right_id is <code>-<ruc>")
    write_table(out_dir, "actors", actors.values())
    write_table(out_dir, "mining_rights", rights, extra_columns=EXTRA_COLUMNS)
    return warnings


ADAPTER = Adapter(
    name="pe_reinfo",
    title="Peru REINFO formalization registry listing: miners and their registry entries",
    description=(
        "Reads a REINFO (Registro Integral de Formalización Minera) listing with headers such as RUC, "
        "NOMBRE / RAZON SOCIAL or MINERO INFORMAL, CODIGO UNICO, NOMBRE DERECHO MINERO, DEPARTAMENTO, "
        "PROVINCIA, DISTRITO, UBIGEO, ESTADO, FECHA DE INSCRIPCION, TIPO DE PERSONA, ACTIVIDAD and "
        "optional ESTE/NORTE/ZONA (UTM WGS84, southern hemisphere). Writes `actors` (one per RUC: "
        "PE-RUC-<ruc>, role miner, plus processor when ACTIVIDAD is BENEFICIO) and `mining_rights` "
        "(one per miner and right: regime formalization; status VIGENTE → active, SUSPENDIDO → "
        "suspended, EXCLUIDO → cancelled; right_id = CODIGO UNICO, or <code>-<ruc> when several "
        "miners are registered on one right; granted_on = inscription date; admin_area = UBIGEO). "
        "A miner repeated on one right keeps its latest inscription. Extra columns beyond the "
        "standard: right_name, and lat/lon of the UTM point (standard 0.1 only holds polygons). "
        "Data: REINFO, published by Peru's Ministry of Energy and Mines (MINEM), public."
    ),
    tables=("actors", "mining_rights"),
    convert=convert,
)
