"""Secrecy jurisdictions: a data file an analyst can replace, each entry with its source.

The built-in list (`data/secrecy_jurisdictions.csv`) holds the EU list of non-cooperative
jurisdictions for tax purposes (Annex I, Council conclusions of 10 October 2025) and the offshore
company centres of that list's Annex II (jurisdictions committed to reforms but not yet
compliant). Annex II members listed only for country-by-country-reporting gaps (Türkiye, Morocco,
Jordan, Greenland, Montenegro, Eswatini, Brunei) are left out: they are not where anonymous
companies are registered. Replace the file (a CSV with `country` and `source` columns) to use
another list, e.g. the Tax Justice Network's Financial Secrecy Index.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from filon.errors import UsageError

BUILTIN = "secrecy_jurisdictions.csv"


def _path(setting: str) -> Path:
    if not setting:
        return Path(str(files("filon.graph").joinpath("data", BUILTIN)))
    return Path(setting).expanduser()


def secrecy_jurisdictions(setting: str = "") -> dict[str, str]:
    """Country code → source of the listing, from the file `setting` names ("" = the built-in list)."""
    path = _path(setting)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise UsageError(f"{path}: secrecy jurisdictions file not found. Set opaque_ownership.secrecy_jurisdictions_file "
                         "to a CSV with columns country,source, or to \"\" for the built-in list.") from None
    return dict(_read(path, stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=8)
def _read(path: Path, _mtime_ns: int, _size: int) -> dict[str, str]:
    """The parsed file, cached while it is unchanged (its time and size are part of the key)."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = {}
    for number, row in enumerate(rows, start=2):
        code = (row.get("country") or "").strip().upper()
        if len(code) != 2 or not code.isalpha():
            raise UsageError(f"{path}: row {number}, column country: {row.get('country')!r} is not an ISO 3166-1 "
                             "alpha-2 code (e.g. PA, VG). Fix the row or remove it.")
        if not (row.get("source") or "").strip():
            raise UsageError(f"{path}: row {number}, column source is empty. Cite the list the entry comes from.")
        out[code] = row["source"].strip()
    return out
