"""Python functions registered in DuckDB for checks that SQL cannot express well."""

from __future__ import annotations

import duckdb
from duckdb.sqltypes import BLOB, VARCHAR

from filon.standard.taxid import check_tax_id

#: Tax-id scheme assumed from the actor's country when `tax_id_scheme` is empty.
SCHEME_BY_COUNTRY = {"PE": "PE-RUC", "CO": "CO-NIT", "EC": "EC-RUC", "BO": "BO-NIT"}


def _tax_id_problem(scheme: str | None, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return check_tax_id(scheme, value.strip())


def _wkb_to_wkt(blob: bytes | None) -> str | None:
    if blob is None:
        return None
    import shapely

    try:
        return shapely.to_wkt(shapely.from_wkb(blob), rounding_precision=-1)
    except shapely.errors.ShapelyError:
        return "<unreadable WKB geometry>"


def register_udfs(con: duckdb.DuckDBPyConnection) -> None:
    """Register filon's helper functions on a connection (idempotent)."""
    for name, fn, params, ret in (
        ("filon_tax_id_problem", _tax_id_problem, [VARCHAR, VARCHAR], VARCHAR),
        ("filon_wkb_to_wkt", _wkb_to_wkt, [BLOB], VARCHAR),
    ):
        try:
            con.create_function(name, fn, params, ret, null_handling="special")
        except duckdb.Error as err:  # already registered on this connection
            if "already exists" not in str(err):
                raise
