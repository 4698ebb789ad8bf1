"""ISO 3166-1 country codes, read from `data/countries.csv`.

The CSV lists the 249 officially assigned codes (alpha-2, alpha-3, numeric and
English short name). It was generated once from the ISO 3166-1 data shipped by
`pycountry` and cross-checked against `rigour.territories`; neither is needed
at run time. User-assigned codes (`XK` for Kosovo, `EU`...) and reserved codes
are not countries here.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = ["Country", "alpha2_codes", "countries", "from_alpha3", "from_numeric", "get", "is_country"]


@dataclass(frozen=True)
class Country:
    alpha2: str
    alpha3: str
    numeric: str  # three digits, zero-padded: "068"
    name: str


@lru_cache(maxsize=1)
def countries() -> tuple[Country, ...]:
    """Every officially assigned country, sorted by alpha-2 code."""
    text = (resources.files("filon.standard") / "data" / "countries.csv").read_text(encoding="utf-8")
    return tuple(Country(r["alpha2"], r["alpha3"], r["numeric"], r["name"])
                 for r in csv.DictReader(io.StringIO(text)))


@lru_cache(maxsize=1)
def _indexes() -> tuple[dict[str, Country], dict[str, Country], dict[str, Country]]:
    cs = countries()
    return ({c.alpha2: c for c in cs}, {c.alpha3: c for c in cs}, {c.numeric: c for c in cs})


@lru_cache(maxsize=1)
def alpha2_codes() -> frozenset[str]:
    """The set of valid alpha-2 codes (upper case)."""
    return frozenset(_indexes()[0])


def is_country(code: object) -> bool:
    """True if `code` is an officially assigned ISO 3166-1 alpha-2 code.

    Strict, as the standard requires: upper case, no surrounding spaces
    (`"pe"` and `" PE"` are not valid in a package; adapters normalize).
    """
    return isinstance(code, str) and code in _indexes()[0]


def get(alpha2: str) -> Country | None:
    """The country with this alpha-2 code (case-insensitive), or None."""
    return _indexes()[0].get(alpha2.strip().upper()) if isinstance(alpha2, str) else None


def from_alpha3(code: str) -> str | None:
    """Alpha-2 code for an alpha-3 code (case-insensitive): `"PER"` -> `"PE"`; None if unknown."""
    if not isinstance(code, str):
        return None
    c = _indexes()[1].get(code.strip().upper())
    return c.alpha2 if c else None


def from_numeric(code: str | int) -> str | None:
    """Alpha-2 code for a numeric code: `604`, `"604"` or `"068"`/`68` -> ...; None if unknown."""
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        key = f"{code:03d}" if 0 <= code <= 999 else ""
    elif isinstance(code, str) and code.strip().isdigit() and len(code.strip()) <= 3:
        key = code.strip().zfill(3)
    else:
        return None
    c = _indexes()[2].get(key)
    return c.alpha2 if c else None
