"""GeoJSON reference polygons (protected areas, indigenous territories, admin units) → `areas`.

`protected_area_disturbance` intersects detections with these polygons, so every feature must
arrive as a valid (Multi)Polygon: invalid rings are repaired and counted, never dropped. The
standard needs a `kind` for each area but `convert` only receives paths, so the kind is read
from the data itself (see `area_kind`).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from filon.errors import InvalidData
from filon.ingest.adapters import Adapter
from filon.ingest.adapters._countries import to_iso2
from filon.ingest.adapters._geo import geometry_key, load_features, pick, polygonal, repair_warnings, to_wkt, unique_id
from filon.ingest.adapters._package import Row, write_table
from filon.ingest.adapters._read import plain_key, source_files
from filon.standard import load_standard

#: File-name words → kind, checked in this order (a name can hold several words).
_FILE_WORDS = (
    (("INDIGEN", "RESGUARDO", "TIOC", "COMUNIDADES NATIVAS"), "indigenous_territory"),
    (("WDPA", "PROTECTED", "PROTEGID", "SERNANP"), "protected_area"),
    (("CORRIDOR", "CORREDOR"), "mining_corridor"),
    (("EXCLUSION",), "exclusion_zone"),
    (("ADMIN", "DEPARTAMENT", "PROVINCIA", "DISTRIT", "MUNICIPI", "CANTON", "GADM", "LIMITE"), "admin_area"),
)
_WDPA_KEYS = ("WDPAID", "WDPA_PID", "DESIG_ENG", "IUCN_CAT")
_PREFIX = {"protected_area": "PA", "indigenous_territory": "IT", "admin_area": "ADM",
           "mining_corridor": "MC", "exclusion_zone": "EZ"}
_ID_KEYS = ("area_id", "WDPAID", "WDPA_PID", "id", "id_field", "IDDIST", "MPIO_CCNCT", "DPA_CANTON",
            "FIRST_IDPR", "DPA_PROVIN", "FIRST_IDDP", "DPTO_CCDGO", "UBIGEO", "CODIGO", "GID_2", "GID_1")
_NAME_KEYS = ("name", "NAME", "NOMBRE", "name_field", "NOMBDIST", "MPIO_CNMBR", "DPA_DESCAN", "NOMBPROV",
              "DPA_DESPRO", "NOMBDEP", "DPTO_CNMBR", "ORIG_NAME")
_COUNTRY_KEYS = ("country", "country_code", "ISO3", "ISO_A3", "ISO2", "ISO_A2", "country_iso3", "GID_0")
_FILE_COUNTRIES = {"PERU": "PE", "COLOMBIA": "CO", "ECUADOR": "EC", "BOLIVIA": "BO"}


def area_kind(path: Path, properties: dict[str, Any]) -> str | None:
    """Kind of a file's areas: a `kind` property with a standard value, else a file-name word
    (indigenous, wdpa/protected, corridor, exclusion, admin/distritos...), else WDPA attributes
    (protected_area) or an indigenous `type_field` (AMW layers); None if nothing tells."""
    allowed = load_standard()["areas"].column("kind").values
    if (own := pick(properties, ("kind",))) in allowed:
        return own
    stem = plain_key(path.stem.replace("_", " "))
    for words, kind in _FILE_WORDS:
        if any(w in stem for w in words):
            return kind
    if pick(properties, _WDPA_KEYS):
        return "protected_area"
    if any(w in plain_key(pick(properties, ("type_field", "DESIG")) or "") for w in ("INDIGEN", "NATIVA")):
        return "indigenous_territory"
    return None


def _country(path: Path, properties: dict[str, Any]) -> str | None:
    """ISO2 from a country property (one country only; WDPA writes `PER;BOL` for shared areas)."""
    value = pick(properties, _COUNTRY_KEYS)
    if value and ";" not in value:
        return to_iso2(value)
    if value is None:
        words = plain_key(path.stem.replace("_", " ")).split()
        return next((iso2 for word, iso2 in _FILE_COUNTRIES.items() if word in words), None)
    return None


def _row(path: Path, index: int, feature: dict[str, Any], seen: set[str], counts: Counter[str]) -> Row | None:
    """One `areas` row, or None when the feature has no geometry at all."""
    props = feature.get("properties") or {}
    kind = area_kind(path, props)
    if kind is None:
        raise InvalidData(f"cannot tell what kind of area feature {index} (counting from 1) is",
                          file=str(path), column="kind",
                          fix="put protected, wdpa, indigenous, corridor, exclusion or admin in the "
                              "file name, or give each feature a `kind` property")
    geom = polygonal(feature, index, path, counts)
    if geom is None:
        return None
    country = _country(path, props)
    own = pick(props, _ID_KEYS) or (str(feature["id"]) if feature.get("id") is not None else None)
    wanted = f"{_PREFIX[kind]}-{country + '-' if country and own else ''}{own or geometry_key(feature)}"
    return {"area_id": unique_id(wanted, seen, counts), "kind": kind, "name": pick(props, _NAME_KEYS),
            "country": country, "geometry": to_wkt(geom)}


def convert(source: Path, out_dir: Path) -> list[str]:
    """Convert GeoJSON FeatureCollections (a file or a folder of them) into `areas.csv`."""
    warnings: list[str] = []
    rows: list[Row] = []
    seen: set[str] = set()
    for path in source_files(source, (".geojson", ".json")):
        counts: Counter[str] = Counter()
        empty: list[str] = []
        for index, feature in enumerate(load_features(path), start=1):
            row = _row(path, index, feature, seen, counts)
            if row is None:
                empty.append(f"#{index} {pick(feature.get('properties') or {}, _NAME_KEYS) or ''}".strip())
            else:
                rows.append(row)
        warnings += repair_warnings(path, counts, empty)
        if counts["renamed"]:
            warnings.append(f"{path.name}: {counts['renamed']} area id(s) repeated; -2, -3... were appended")
    write_table(out_dir, "areas", rows)
    return warnings


ADAPTER = Adapter(
    name="geojson_areas",
    title="GeoJSON reference polygons (WDPA protected areas, indigenous territories, admin units)",
    description=(
        "Reads GeoJSON FeatureCollections in EPSG:4326, e.g. WDPA protected areas (NAME, DESIG_ENG, "
        "ISO3), Amazon Mining Watch indigenous territories (name_field, country_code, id) and national "
        "admin units (INEI, DANE, INEC codes). Writes `areas` with geometry as WKT (lon lat), invalid "
        "shapes repaired with make_valid and counted; a shape that cannot be repaired to an area stops "
        "the conversion naming its feature number; features with a null or empty geometry (73 in the "
        "WDPA extract) are skipped and named in a warning. The kind comes from a `kind` property if present, "
        "else from the file name (indigenous/resguardo → indigenous_territory, wdpa/protected/protegidas "
        "→ protected_area, corridor → mining_corridor, exclusion → exclusion_zone, admin/departamentos/"
        "distritos/municipios/cantones → admin_area), else from WDPA attributes; otherwise the file is "
        "refused. area_id = <PA|IT|ADM|MC|EZ>-<country>-<source id>, or a hash of the published geometry "
        "when the source has no id (the WDPA extract has none). WDPA data may not be redistributed: "
        "convert it where it is, do not copy it into other products."
    ),
    tables=("areas",),
    convert=convert,
)
