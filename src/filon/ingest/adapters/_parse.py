"""Turn the numbers and dates of source listings into the standard's plain forms, or say where they fail.

Numbers come as `1.234,56` (Andean Excel), `1,234.56`, `1234.56` or `1.5E+9`; dates as
`15/03/2024`, `2024-03-15`, `20240315`, `15/03/2024 00:00:00` or an Excel serial day. The decimal
separator of a file is decided once from its own values (not per cell), so `1.234` cannot mean one
thing on one line and another on the next. Values are kept as `Decimal` so what is written is what
was read, without float noise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from filon.errors import InvalidData
from filon.ingest.adapters._read import SourceTable

_GROUPED = {",": re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$"), ".": re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")}
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y%m%d", "%d/%m/%y")
_EXCEL_EPOCH = date(1899, 12, 30)


def detect_decimal(values: Iterable[str], default: str) -> str:
    """The decimal separator (`.` or `,`) the values of one file use; `default` if they do not tell.

    A value with both marks decides by the last one; `12,5` or `0,125` can only be a decimal comma
    (thousands groups have exactly 3 digits and do not start with 0); likewise for the point.
    """
    votes = {",": 0, ".": 0}
    for raw in values:
        v = raw.strip().lstrip("-+").replace(" ", "")
        if "," in v and "." in v:
            votes["," if v.rfind(",") > v.rfind(".") else "."] += 1
            continue
        for mark in (",", "."):
            if v.count(mark) == 1:
                head, tail = v.split(mark)
                if len(tail) != 3 or head in ("", "0") or head.startswith("0"):
                    votes[mark] += 1
    if votes[","] == votes["."]:
        return default
    return "," if votes[","] > votes["."] else "."


def to_decimal(text: str, decimal_mark: str) -> Decimal | None:
    """A number in the given convention; None if empty; raises ValueError if it is not a number."""
    v = text.strip().replace(" ", "").replace("\xa0", "").replace("US$", "").replace("$", "")
    if v in ("", "-", "..", "…"):
        return None
    thousands = "." if decimal_mark == "," else ","
    if thousands in v:
        if not _GROUPED[thousands].match(v.lstrip("-+")):
            raise ValueError(v)
        v = v.replace(thousands, "")
    v = v.replace(decimal_mark, ".")
    try:
        number = Decimal(v)
    except InvalidOperation:
        raise ValueError(v) from None
    if not number.is_finite():
        raise ValueError(v)
    return number


def number(src: SourceTable, line: int, name: str, value: str, decimal_mark: str) -> Decimal | None:
    """`to_decimal`, raising InvalidData that names file, line, column and value."""
    try:
        return to_decimal(value, decimal_mark)
    except ValueError:
        raise bad_value(src, line, name, value, "a number",
                        f"write a plain number with {decimal_mark!r} as the decimal mark") from None


def to_iso_date(text: str) -> str | None:
    """ISO date for the usual day-first and ISO spellings, a trailing time, or an Excel serial day."""
    v = text.strip()
    if not v:
        return None
    if re.fullmatch(r"\d{5}(\.0+)?", v) and 20000 <= float(v) <= 80000:
        return (_EXCEL_EPOCH + timedelta(days=int(float(v)))).isoformat()
    v = re.split(r"[ T]\d{1,2}:\d{2}", v)[0].strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(v, fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError(text)


def iso_date(src: SourceTable, line: int, name: str, value: str) -> str | None:
    """`to_iso_date`, raising InvalidData that names file, line, column and value."""
    try:
        return to_iso_date(value)
    except ValueError:
        raise bad_value(src, line, name, value, "a date",
                        "write dates as dd/mm/yyyy or yyyy-mm-dd") from None


def bad_value(src: SourceTable, line: int, name: str, value: str, expected: str, fix: str) -> InvalidData:
    """The error for one cell that cannot be mapped."""
    return InvalidData(f"line {line} (the header is line {src.header_line}): expected {expected}",
                       file=str(src.path), row=line, column=src.column(name), value=value, fix=fix)


def required_value(src: SourceTable, line: int, name: str, value: str, what: str) -> str:
    """The value, or InvalidData if the cell is empty (a field the standard cannot do without)."""
    if value:
        return value
    raise bad_value(src, line, name, value, what, f"fill in {src.column(name)!r} on that line")
