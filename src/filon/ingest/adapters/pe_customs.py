"""Peruvian customs (SUNAT) export listing → `exports` + `actors`.

SUNAT's listings (and the commercial copies of them) name the exporter by RUC, so every exporter
becomes an actor `PE-RUC-<ruc>`: the same id the REINFO adapter gives a miner, which is what lets
`export_without_supply` join a miner's registry entry to its exports without entity matching.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

from filon.ingest.adapters import Adapter
from filon.ingest.adapters import _peru as peru
from filon.ingest.adapters._countries import to_iso2
from filon.ingest.adapters._package import Row, write_table
from filon.ingest.adapters._parse import bad_value, detect_decimal, iso_date, number, required_value
from filon.ingest.adapters._read import Field, plain_key, read_table, source_files

FIELDS = (
    Field("dam", ("NUMERO DAM", "NUMERO DE DAM", "NRO DAM", "N DAM", "DAM", "NUMERO DUA", "DUA",
                  "NUMERO DECLARACION")),
    Field("date", ("FECHA NUMERACION", "FECHA DE NUMERACION", "FECHA NUMERACION DAM", "FECHA")),
    Field("ruc", ("RUC EXPORTADOR", "RUC DEL EXPORTADOR", "NUMERO RUC", "RUC")),
    Field("name", ("RAZON SOCIAL EXPORTADOR", "RAZON SOCIAL DEL EXPORTADOR", "RAZON SOCIAL",
                   "EXPORTADOR", "NOMBRE EXPORTADOR")),
    Field("hs", ("SUBPARTIDA NACIONAL", "SUBPARTIDA", "PARTIDA ARANCELARIA", "PARTIDA", "NANDINA")),
    Field("country", ("PAIS DESTINO", "PAIS DE DESTINO", "DESTINO", "PAIS")),
    Field("net", ("PESO NETO (KG)", "PESO NETO KG", "PESO NETO")),
    Field("fob", ("VALOR FOB (US$)", "VALOR FOB USD", "FOB US$", "VALOR FOB", "FOB")),
    Field("gross", ("PESO BRUTO (KG)", "PESO BRUTO KG", "PESO BRUTO"), required=False),
    Field("desc", ("DESCRIPCION COMERCIAL", "DESCRIPCION DE LA MERCANCIA", "DESCRIPCION"), required=False),
    Field("customs", ("ADUANA", "CODIGO ADUANA", "CODIGO DE ADUANA"), required=False),
    Field("transport", ("VIA TRANSPORTE", "VIA DE TRANSPORTE", "VIA"), required=False),
    Field("consignee", ("CONSIGNATARIO", "CONSIGNATARIO IMPORTADOR", "IMPORTADOR"), required=False),
    Field("regime", ("REGIMEN", "CODIGO REGIMEN"), required=False),
    Field("serie", ("SERIE", "NUMERO SERIE", "SERIE DAM"), required=False),
)
DEFAULT_REGIME = "40"  # exportación definitiva: the regime of gold exports

#: HS prefix → (commodity, product); the longest matching prefix wins. A "DORE" description
#: turns unwrought gold or silver into product `dore`.
_PRODUCTS = {
    "710811": ("Au", "other"), "710812": ("Au", "bullion"), "710813": ("Au", "other"),
    "710820": ("Au", "bullion"), "7108": ("Au", "other"), "711291": ("Au", "scrap"),
    "7112": (None, "scrap"), "710691": ("Ag", "bullion"), "7106": ("Ag", "other"),
    "261610": ("Ag", "concentrate"), "261690": ("Au", "concentrate"), "2616": (None, "concentrate"),
    "2603": ("Cu", "concentrate"), "2607": ("Pb", "concentrate"), "2608": ("Zn", "concentrate"),
    "2609": ("Sn", "concentrate"), "7402": ("Cu", "other"), "7403": ("Cu", "other"),
    "7801": ("Pb", "other"), "7901": ("Zn", "other"), "8001": ("Sn", "other"), "280540": ("Hg", "other"),
}
_TRANSPORT = (("AERE", "air"), ("MARIT", "sea"), ("CARRET", "road"), ("TERREST", "road"),
              ("FERRO", "rail"), ("POSTAL", "post"), ("FLUVIAL", "river"), ("DUCTO", "pipeline"))


def classify(hs: str, description: str) -> tuple[str | None, str | None]:
    """Commodity and product of an HS code, with doré recognised from the description."""
    for size in range(len(hs), 3, -1):
        if hs[:size] in _PRODUCTS:
            commodity, product = _PRODUCTS[hs[:size]]
            if commodity in ("Au", "Ag") and hs[:4] in ("7108", "7106") and "DORE" in plain_key(description):
                product = "dore"
            return commodity, product
    return None, None


def _declaration_id(row: dict[str, str], year: str, warnings: set[str]) -> str:
    """`PE-<aduana>-<year>-<regime>-<number>` (SUNAT's full DAM number); as given if it has another form."""
    parts = re.findall(r"\d+", row["dam"])
    if len(parts) == 4:
        office, year, regime, num = parts
        return f"PE-{int(office):03d}-{year}-{int(regime):02d}-{int(num):06d}"
    if len(parts) == 1 and year:
        office = re.match(r"\d+", row.get("customs", ""))
        regime = re.sub(r"\D", "", row.get("regime", "")) or DEFAULT_REGIME
        if office:
            return f"PE-{int(office.group()):03d}-{year}-{int(regime):02d}-{int(parts[0]):06d}"
        warnings.add("no ADUANA column or code: declaration ids lack the customs office")
        return f"PE-{year}-{int(regime):02d}-{int(parts[0]):06d}"
    return row["dam"] if row["dam"].startswith("PE-") else f"PE-{row['dam']}"


def _transport(value: str) -> str | None:
    key = plain_key(value)
    return next((mode for word, mode in _TRANSPORT if word in key), value.lower() or None)


def _convert_file(path: Path, exports: list[Row], actors: dict[str, Row], names: Counter[str],
                  notes: set[str], warnings: list[str]) -> None:
    """Map one listing's rows to export rows (ids not yet unique) and actors (first name kept)."""
    src = read_table(path, FIELDS, warnings)
    mark = detect_decimal([r.get(k, "") for _, r in src.rows for k in ("net", "gross", "fob")],
                          "," if src.delimiter == ";" else ".")
    for line, row in src.rows:
        required_value(src, line, "dam", row["dam"], "the DAM number")
        ruc = peru.ruc(src, line, "ruc", required_value(src, line, "ruc", row["ruc"], "the exporter's RUC"))
        day = iso_date(src, line, "date", row["date"])
        hs = re.sub(r"\D", "", row["hs"])
        if not hs:
            raise bad_value(src, line, "hs", row["hs"], "a 10-digit subpartida nacional",
                            "write the code with digits only, e.g. 7108120000")
        hs = hs.zfill(10) if len(hs) == 9 else hs  # Excel drops the leading zero of chapters 01-09
        country = to_iso2(row["country"]) if row["country"] else None
        if row["country"] and country is None:
            raise bad_value(src, line, "country", row["country"], "a country name or ISO code",
                            "use the Spanish name (SUIZA) or the ISO code (CH)")
        commodity, product = classify(hs, row.get("desc", ""))
        office = re.match(r"\s*(\d+)", row.get("customs", ""))
        actor_id = peru.actor_id(ruc)
        exports.append({
            "declaration_id": _declaration_id(row, (day or "")[:4], notes), "country": "PE",
            "date": day, "exporter_id": actor_id, "destination_country": country, "hs_code": hs,
            "commodity": commodity, "product": product, "consignee_name": row.get("consignee") or None,
            "description": row.get("desc") or None,
            "gross_mass_kg": number(src, line, "gross", row.get("gross", ""), mark),
            "net_mass_kg": number(src, line, "net", row["net"], mark),
            "value_usd": number(src, line, "fob", row["fob"], mark),
            "customs_office": f"{int(office.group(1)):03d}" if office else row.get("customs") or None,
            "transport_mode": _transport(row.get("transport", "")),
            "_serie": row.get("serie", ""),
        })
        name = required_value(src, line, "name", row["name"], "the exporter's name")
        if actor_id not in actors:
            actors[actor_id] = {"actor_id": actor_id, "country": "PE", "name": name,
                                "kind": peru.ruc_kind(ruc), "tax_id": ruc, "tax_id_scheme": "PE-RUC",
                                "roles": "exporter"}
        elif plain_key(actors[actor_id]["name"]) != plain_key(name):
            names[actor_id] += 1


def _unique_ids(exports: list[Row], warnings: list[str]) -> None:
    """One DAM on several lines (its series/items): suffix `-S<serie>` so each row keeps its own id."""
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in exports:
        groups[row["declaration_id"]].append(row)
    numbered = 0
    for base, rows in groups.items():
        series = [r["_serie"] for r in rows]
        if len(rows) > 1:
            if all(series) and len(set(series)) == len(series):
                suffixes = [re.sub(r"\D", "", s) or s for s in series]
            else:
                suffixes, numbered = [str(i) for i in range(1, len(rows) + 1)], numbered + 1
            for row, suffix in zip(rows, suffixes, strict=True):
                row["declaration_id"] = f"{base}-S{suffix}"
        for row in rows:
            del row["_serie"]
    if numbered:
        warnings.append(f"{numbered} declaration(s) appear on several lines without distinct SERIE "
                        "numbers; their lines were numbered -S1, -S2... in file order")


def convert(source: Path, out_dir: Path) -> list[str]:
    """Convert a SUNAT export listing (or a folder of them) into `exports.csv` and `actors.csv`."""
    warnings: list[str] = []
    exports: list[Row] = []
    actors: dict[str, Row] = {}
    names: Counter[str] = Counter()
    notes: set[str] = set()
    for path in source_files(source, (".csv", ".txt")):
        _convert_file(path, exports, actors, names, notes, warnings)
    if not exports:
        warnings.append(f"{source}: the listing has a header but no declaration rows")
    _unique_ids(exports, warnings)
    warnings += sorted(notes)
    if names:
        warnings.append(f"{len(names)} RUC(s) appear under different names; the first name was kept "
                        f"({', '.join(sorted(names)[:5])})")
    write_table(out_dir, "exports", exports)
    write_table(out_dir, "actors", actors.values())
    return warnings


ADAPTER = Adapter(
    name="pe_customs",
    title="Peru customs (SUNAT) export listing: declarations and exporters",
    description=(
        "Reads a SUNAT export listing (one line per DAM or DAM series) with Spanish headers such as "
        "NUMERO DAM, FECHA NUMERACION, RUC EXPORTADOR, RAZON SOCIAL EXPORTADOR, SUBPARTIDA NACIONAL, "
        "DESCRIPCION COMERCIAL, PAIS DESTINO, PESO NETO (KG), PESO BRUTO (KG), VALOR FOB (US$), "
        "ADUANA, VIA TRANSPORTE, CONSIGNATARIO; `;` or `,` separated, UTF-8 or Latin-1, decimal "
        "comma or point. Writes `exports` (declaration_id PE-<aduana>-<year>-<regime>-<number>, "
        "regime 40 if not given, -S<serie> added when a DAM has several lines; commodity and product "
        "from the subpartida, `dore` when the description says DORE; customs_office = the aduana "
        "code; destination as ISO2 from Spanish names or codes) and `actors` (one per RUC: actor_id "
        "PE-RUC-<ruc>, kind company for RUC 20..., person for 10/15/17..., role exporter). "
        "fine_mass_kg is left empty: listings do not give the purity. Data: SUNAT, public."
    ),
    tables=("actors", "exports"),
    convert=convert,
)
