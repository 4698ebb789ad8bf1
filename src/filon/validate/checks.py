"""Cell checks per column type, expressed as SQL so one scan checks every cell of a file.

Each check is a SQL condition that is true when a cell is wrong, with the message and
the fix an analyst reads. The type registry maps a `Column.type` to its checks, so the
rules for a country code or a period live in exactly one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from filon.engine.duckdb import sql_literal
from filon.standard.countries import alpha2_codes
from filon.standard.model import Column
from filon.validate.problems import Severity


@dataclass(frozen=True)
class CellCheck:
    """A rule on one column: `condition` is SQL over `v` (the trimmed cell, NULL if empty)."""

    code: str
    condition: str
    message: str
    fix: str
    severity: Severity = "error"


def cell_value(column_sql: str) -> str:
    """SQL for a cell as the checks see it: NULL when empty.

    Cells are not trimmed (trimming every cell of a national file costs more than all the
    checks together); values padded with spaces are reported instead, see `_padded`.
    """
    return f"NULLIF({column_sql}, '')"


def _not_one_of(values: list[str] | tuple[str, ...] | frozenset[str]) -> str:
    """Condition true when `v` is not among `values` (an ENUM cast: a hash lookup, not an OR chain)."""
    return f"TRY_CAST(v AS ENUM({', '.join(sql_literal(x) for x in sorted(values))})) IS NULL"


def _in_list(values: list[str] | tuple[str, ...] | frozenset[str]) -> str:
    return "(" + ", ".join(sql_literal(v) for v in sorted(values)) + ")"


def _number(col: Column) -> list[CellCheck]:
    checks = _padded(col) + [CellCheck(
        "not_a_number", "v IS NOT NULL AND (TRY_CAST(v AS DOUBLE) IS NULL OR NOT isfinite(TRY_CAST(v AS DOUBLE)))",
        "is not a number",
        "write a plain number with a decimal point and no thousands separators or units, e.g. 1234.5")]
    checks += _bounds(col, "TRY_CAST(v AS DOUBLE)")
    return checks


def _integer(col: Column) -> list[CellCheck]:
    checks = _padded(col) + [CellCheck(
        "not_an_integer", "v IS NOT NULL AND TRY_CAST(v AS BIGINT) IS NULL", "is not a whole number",
        "write a whole number without decimals or separators, e.g. 12")]
    checks += _bounds(col, "TRY_CAST(v AS BIGINT)")
    return checks


def _bounds(col: Column, expr: str) -> list[CellCheck]:
    unit = f" {col.unit}" if col.unit else ""
    out = []
    if col.minimum is not None:
        negative = col.minimum == 0
        out.append(CellCheck(
            "negative_value" if negative else "below_minimum", f"{expr} < {col.minimum!r}",
            "is negative" if negative else f"is below the minimum of {col.minimum:g}{unit}",
            f"{col.name} cannot be {'negative' if negative else 'that low'}; check the sign and the unit"))
    if col.maximum is not None:
        out.append(CellCheck(
            "above_maximum", f"{expr} > {col.maximum!r}",
            f"is larger than the plausible maximum of {col.maximum:g}{unit}",
            f"check the unit ({col.name} is in {col.unit or 'the documented unit'}) and for extra digits"))
    return out


def _date(col: Column) -> list[CellCheck]:
    return [CellCheck(
        "bad_date", "v IS NOT NULL AND (length(v) <> 10 OR substr(v, 5, 1) <> '-' OR substr(v, 8, 1) <> '-' "
        "OR TRY_CAST(v AS DATE) IS NULL)",
        "is not a date in ISO 8601 form", "write dates as YYYY-MM-DD, e.g. 2024-03-31")]


def _datetime(col: Column) -> list[CellCheck]:
    pattern = r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?"
    return [CellCheck(
        "bad_datetime", f"v IS NOT NULL AND (NOT regexp_full_match(v, '{pattern}') OR TRY_CAST(v AS TIMESTAMPTZ) IS NULL)",
        "is not a date-time in ISO 8601 form", "write times as YYYY-MM-DDTHH:MM:SS with an optional offset, e.g. 2024-03-31T14:05:00-05:00")]


def _period(col: Column) -> list[CellCheck]:
    return [CellCheck(
        "bad_period", r"v IS NOT NULL AND NOT regexp_full_match(v, '\d{4}(-(0[1-9]|1[0-2]))?')",
        "is not a period", "write a month as YYYY-MM (e.g. 2024-03) or a year as YYYY")]


def _country(col: Column) -> list[CellCheck]:
    return [CellCheck(
        "bad_country", f"v IS NOT NULL AND {_not_one_of(alpha2_codes())}",
        "is not an ISO 3166-1 alpha-2 country code",
        "use the two-letter upper-case code, e.g. PE, CO, BO, EC, CH, AE")]


def _hs_code(col: Column) -> list[CellCheck]:
    return [CellCheck(
        "bad_hs_code", "v IS NOT NULL AND NOT regexp_full_match(v, '[0-9]{6,10}')",
        "is not an HS code of 6 to 10 digits",
        "write digits only, without dots or spaces, e.g. 7108.12.00 becomes 71081200")]


def _enum(col: Column) -> list[CellCheck]:
    return [CellCheck(
        "bad_enum", f"v IS NOT NULL AND {_not_one_of(col.values)}",
        "is not an allowed value", f"use one of: {', '.join(col.values)}")]


def _list(col: Column) -> list[CellCheck]:
    return [CellCheck(
        "bad_list_item",
        f"v IS NOT NULL AND len(list_filter(string_split(v, ';'), x -> trim(x) NOT IN {_in_list(col.values)})) > 0",
        "contains a value that is not allowed",
        f"separate values with ';' and use only: {', '.join(col.values)}")]


def _padded(col: Column) -> list[CellCheck]:
    """Codes and ids padded with spaces would silently fail to match; say so instead."""
    return [CellCheck(
        "padded_value", "v LIKE ' %' OR v LIKE '% '", "has spaces before or after the value",
        "remove the spaces around the value (a spreadsheet's TRIM() does it)")]


def _code(col: Column) -> list[CellCheck]:
    """Ids and tax ids: padding breaks matching. (Formula-like ids are escaped in outputs like any
    text; warning about them is left to names and descriptions, where spreadsheets users look.)"""
    return _padded(col)


def _text(col: Column) -> list[CellCheck]:
    return [CellCheck(
        # First character = + - @ TAB CR (by code point: one cheap call per cell), but not "-12".
        "formula_like", "ascii(v) IN (9, 13, 43, 45, 61, 64) AND NOT regexp_matches(v, '^-[0-9.]')",
        "starts like a spreadsheet formula",
        "nothing to do if the text is genuine: filon stores it as text and escapes it in every output; "
        "otherwise re-export the cell's value rather than its formula", "warning")]


def _none(col: Column) -> list[CellCheck]:
    return []


#: Column type -> its cell checks. `tax_id` and `geometry` need Python and run separately.
TYPE_CHECKS: dict[str, Callable[[Column], list[CellCheck]]] = {
    "id": _code, "string": _text, "text": _text, "number": _number, "integer": _integer,
    "date": _date, "datetime": _datetime, "period": _period, "country": _country,
    "hs_code": _hs_code, "enum": _enum, "list": _list, "tax_id": _code, "geometry": _none,
}


#: Checks that the CSV reader already made when a column was staged typed.
PARSED_BY_READER = {"bad_date", "padded_value", "not_an_integer"}


def checks_for(col: Column, *, typed: bool = False) -> list[CellCheck]:
    """Every SQL cell check for a column, required-ness first.

    `typed`: the column was staged as a number or date, so parsing checks are already done.
    """
    out = []
    if col.required:
        blank = "v IS NULL" if typed else "v IS NULL OR (starts_with(v, ' ') AND trim(v) = '')"
        out.append(CellCheck("missing_value", blank, "is required but empty",
                             f"fill in {col.name} ({col.description.rstrip('.')})"))
    checks = TYPE_CHECKS[col.type](col)
    return out + [c for c in checks if not (typed and c.code in PARSED_BY_READER)]


def condition_sql(check: CellCheck, cell_sql: str) -> str:
    """The check's condition with `v` bound to `cell_sql` (an expression over a staged column).

    Conditions are written over the bare word `v`; no SQL keyword, literal or value list in
    this module is the lone lower-case word `v`, so a word-boundary replacement is exact.
    """
    return "(" + _V.sub(lambda _m: cell_sql, check.condition) + ")"


_V = re.compile(r"\bv\b")
