"""Peruvian identifiers shared by the SUNAT and REINFO adapters.

Both name people and companies by RUC; giving them the same actor id (`PE-RUC-<ruc>`) in both is
what lets a miner's registry entry meet its own exports without any name matching.
"""

from __future__ import annotations

import re

from filon.ingest.adapters._parse import bad_value
from filon.ingest.adapters._read import SourceTable

#: RUC prefix → actor kind: 20 companies; 10 persons with DNI, 15 and 17 other natural persons.
_KIND_BY_PREFIX = {"20": "company", "10": "person", "15": "person", "17": "person"}


def actor_id(ruc: str) -> str:
    """The package-wide actor id of a Peruvian taxpayer."""
    return f"PE-RUC-{ruc}"


def ruc_kind(ruc: str) -> str | None:
    """Actor kind implied by the RUC prefix; None for prefixes that do not tell."""
    return _KIND_BY_PREFIX.get(ruc[:2])


def ruc(src: SourceTable, line: int, name: str, value: str) -> str:
    """The 11-digit RUC; Excel's `20601234565.0` is accepted, `2.06E+10` is not (digits are lost)."""
    digits = re.sub(r"\.0+$", "", value.replace(" ", ""))
    if not (digits.isdigit() and len(digits) == 11):
        raise bad_value(src, line, name, value, "an 11-digit RUC",
                        "format the RUC column as text in the spreadsheet and export again")
    return digits
