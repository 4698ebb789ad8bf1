"""GeoJSON mining-disturbance polygons (e.g. Amazon Mining Watch) → `detections`.

Detections feed `unlicensed_disturbance` and `protected_area_disturbance`, which need a date (to
compare with the status of rights at that date), a valid polygon and a ground area. Model outputs
such as AMW's are yearly composites without per-feature dates or ids, so both are derived here in a
stable, documented way (see `convert`).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from filon.errors import InvalidData
from filon.ingest.adapters import Adapter
from filon.ingest.adapters._geo import (
    area_ha,
    geometry_key,
    load_features,
    pick,
    polygonal,
    repair_warnings,
    to_wkt,
    unique_id,
)
from filon.ingest.adapters._package import Row, write_table
from filon.ingest.adapters._parse import to_iso_date
from filon.ingest.adapters._read import source_files

AMW = "Amazon Mining Watch"
_ID_KEYS = ("detection_id", "id", "fid")
_DATE_KEYS = ("date", "fecha", "image_date", "acquired", "acquisition_date", "observed_on", "detected_on")
_CONFIDENCE_KEYS = ("confidence", "score", "probability", "prob")
_YEAR = re.compile(r"(?<!\d)(19[89]\d|20\d\d)(?!\d)")


def _is_amw(path: Path, properties: dict[str, Any]) -> bool:
    return "amw" in path.stem.lower() or "mining_detector" in path.stem.lower() or "src_region" in properties


def _default_date(path: Path, properties: dict[str, Any]) -> str | None:
    """Last day of the year the file covers (`year` property, else the first year in its name).

    A yearly composite shows disturbance that existed by the end of that year; 31 December is the
    one date at which every detection in it is known to exist.
    """
    year = pick(properties, ("year", "anio", "ano")) or next(iter(_YEAR.findall(path.stem)), None)
    return f"{year}-12-31" if year and year.isdigit() else None


def _date(path: Path, index: int, properties: dict[str, Any], defaulted: Counter[str]) -> str:
    raw = pick(properties, _DATE_KEYS)
    if raw:
        try:
            return to_iso_date(raw) or ""
        except ValueError:
            raise InvalidData(f"feature {index} (counting from 1) has a date that cannot be read",
                              file=str(path), column="date", value=raw,
                              fix="write dates as yyyy-mm-dd") from None
    day = _default_date(path, properties)
    if day is None:
        raise InvalidData(f"feature {index} (counting from 1) has no date and the file name has no year",
                          file=str(path), column="date",
                          fix="add a `date` property, or put the year in the file name (detections_2023.geojson)")
    defaulted[day] += 1
    return day


def _confidence(properties: dict[str, Any], counts: Counter[str]) -> float | None:
    """A 0-1 confidence if the feature has one; out-of-range or non-numeric values are counted."""
    raw = pick(properties, _CONFIDENCE_KEYS)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if 0 <= value <= 1:
        return value
    counts["bad_confidence"] += 1
    return None


def _row(path: Path, index: int, feature: dict[str, Any], seen: set[str], counts: Counter[str],
         defaulted: Counter[str]) -> Row | None:
    """One `detections` row, or None when the feature has no geometry at all."""
    props = feature.get("properties") or {}
    geom = polygonal(feature, index, path, counts)
    if geom is None:
        return None
    amw = _is_amw(path, props)
    own = pick(props, _ID_KEYS) or (str(feature["id"]) if feature.get("id") is not None else None)
    return {
        "detection_id": unique_id(own or f"{'amw' if amw else 'det'}-{geometry_key(feature)}", seen, counts),
        "date": _date(path, index, props, defaulted), "geometry": to_wkt(geom),
        "area_ha": round(area_ha(geom), 4), "source": pick(props, ("source",)) or (AMW if amw else path.stem),
        "confidence": _confidence(props, counts),
    }


def convert(source: Path, out_dir: Path) -> list[str]:
    """Convert GeoJSON detections (a file or a folder) into `detections.csv`.

    id: the feature's own id if any, else `amw-`/`det-` + a hash of the geometry as published (the
    same file gives the same ids). date: the feature's date, else 31 December of the file's year.
    area_ha: on the WGS84 ellipsoid, after repair.
    """
    warnings: list[str] = []
    rows: list[Row] = []
    seen: set[str] = set()
    for path in source_files(source, (".geojson", ".json")):
        counts: Counter[str] = Counter()
        defaulted: Counter[str] = Counter()
        empty: list[str] = []
        for index, feature in enumerate(load_features(path), start=1):
            row = _row(path, index, feature, seen, counts, defaulted)
            if row is None:
                empty.append(f"#{index}")
            else:
                rows.append(row)
        warnings += repair_warnings(path, counts, empty)
        warnings += [f"{path.name}: {n} feature(s) have no date; dated {day}, the end of the year in "
                     "the file name (yearly composite)" for day, n in defaulted.items()]
        if counts["bad_confidence"]:
            warnings.append(f"{path.name}: {counts['bad_confidence']} confidence value(s) outside 0-1 "
                            "were left empty")
        if counts["renamed"]:
            warnings.append(f"{path.name}: {counts['renamed']} detection(s) share an id or an identical "
                            "geometry; -2, -3... were appended")
    write_table(out_dir, "detections", rows)
    return warnings


ADAPTER = Adapter(
    name="geojson_detections",
    title="GeoJSON mining-disturbance detections (Amazon Mining Watch or similar)",
    description=(
        "Reads GeoJSON FeatureCollections of mining-disturbance polygons in EPSG:4326, such as Amazon"
        " Mining Watch yearly outputs (Polygons and GeometryCollections; properties src_region, "
        "country_iso3). Writes `detections`: GeometryCollections flattened to (Multi)Polygons (their "
        "line and point parts, which have no area, dropped and counted), invalid shapes repaired with"
        " make_valid (unrepairable ones stop the conversion, naming the feature; null or empty ones "
        "are skipped and named in a warning); area_ha on the WGS84 ellipsoid (equal-area, never "
        "degrees²); detection_id = the feature's id, else amw-/det- + a hash of the published "
        "geometry (stable across runs); date = the feature's date, else 31 December of the year in "
        "the file name (AMW 2023 → 2023-12-31: a yearly composite shows what existed by the end of "
        "the year); source 'Amazon Mining Watch' for AMW files; confidence from a confidence/score "
        "property in [0, 1] if any (AMW publishes thresholded polygons without one). AMW data: Earth "
        "Genome et al., MIT licence."
    ),
    tables=("detections",),
    convert=convert,
)
