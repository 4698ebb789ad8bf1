"""UN Comtrade (Comtrade+ API / bulk CSV, and the legacy API CSV) → `imports` + `mirror_exports.csv`.

Why two outputs: partner-reported imports are what `mirror_trade_gap` compares a country's own
export figures against. Rows a country reports as *exports* (flow X) cannot become the partner's
`imports` rows (that would compare a country with itself), and standard 0.1 has no table for
aggregate exports, so they go to an extra file `mirror_exports.csv` for the detector to read.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

from filon.ingest.adapters import Adapter
from filon.ingest.adapters._countries import to_iso2
from filon.ingest.adapters._package import Row, write_csv, write_table
from filon.ingest.adapters._parse import bad_value, detect_decimal, number
from filon.ingest.adapters._read import Field, SourceTable, missing_columns, read_table, source_files

MIRROR_FILE = "mirror_exports.csv"
MIRROR_COLUMNS = ("record_id", "country", "period", "partner_country", "hs_code", "net_mass_kg",
                  "value_usd")

FIELDS = (
    Field("freq", ("freqCode",), required=False),
    Field("year", ("refYear", "Year"), required=False),
    Field("month", ("refMonth",), required=False),
    Field("period", ("period",)),
    Field("reporter_code", ("reporterCode", "Reporter Code"), required=False),
    Field("reporter_iso", ("reporterISO", "Reporter ISO"), required=False),
    Field("reporter_desc", ("reporterDesc", "Reporter"), required=False),
    Field("flow", ("flowCode", "Trade Flow Code")),
    Field("partner_code", ("partnerCode", "Partner Code"), required=False),
    Field("partner_iso", ("partnerISO", "Partner ISO"), required=False),
    Field("partner_desc", ("partnerDesc", "Partner"), required=False),
    Field("partner2", ("partner2Code", "2nd Partner Code"), required=False),
    Field("customs", ("customsCode", "Customs Proc. Code"), required=False),
    Field("mot", ("motCode", "Mode of Transport Code"), required=False),
    Field("cmd", ("cmdCode", "Commodity Code")),
    Field("qty_unit", ("qtyUnitCode", "Qty Unit Code"), required=False),
    Field("qty", ("qty", "Qty"), required=False),
    Field("net", ("netWgt", "Netweight (kg)", "NetWeight (kg)")),
    Field("cif", ("cifvalue", "CIF Trade Value (US$)"), required=False),
    Field("fob", ("fobvalue", "FOB Trade Value (US$)"), required=False),
    Field("primary", ("primaryValue", "Trade Value (US$)"), required=False),
)
_FLOWS = {"1": "M", "IMPORT": "M", "2": "X", "EXPORT": "X", "3": "RX", "RE-EXPORT": "RX",
          "4": "RM", "RE-IMPORT": "RM"}
_TOTAL_CODES = {"partner2": ("", "0"), "customs": ("", "C00"), "mot": ("", "0")}
_KG_UNIT = "8"  # Comtrade quantity unit code for kilograms


def _country(row: dict[str, str], side: str) -> str | None:
    """ISO2 from the ISO3 column if usable, else the M49 code, else the name; None for World/NES."""
    for key in (f"{side}_iso", f"{side}_code", f"{side}_desc"):
        if row.get(key) and (iso2 := to_iso2(row[key])):
            return iso2
    return None


def _period(src: SourceTable, line: int, row: dict[str, str]) -> str:
    """`YYYY` for annual (freqCode A), `YYYY-MM` for monthly (M); inferred from `period` if no freq."""
    raw = row["period"]
    digits = re.sub(r"\D", "", raw) if re.fullmatch(r"\d{4}(-?\d{2})?", raw) else ""  # 2023, 202303, 2023-03
    freq = row.get("freq", "").upper() or ("M" if len(digits) == 6 else "A")
    if freq == "A":
        year = row.get("year") or digits[:4]
        if re.fullmatch(r"\d{4}", year):
            return year
    if freq == "M":
        year, month = (digits[:4], digits[4:]) if len(digits) == 6 else (row.get("year", ""), row.get("month", ""))
        if year.isdigit() and month.isdigit() and 1 <= int(month) <= 12:
            return f"{year}-{int(month):02d}"
    raise bad_value(src, line, "period", raw, "a year (2023) or a month (202303)",
                    "download the data with freqCode A or M")


def _convert_file(path: Path, imports: dict[str, Row], mirror: dict[str, Row], skipped: Counter[str],
                  empty: dict[str, str], warnings: list[str]) -> None:
    """Add one file's rows to `imports` and `mirror` (keyed by record id), counting what is skipped."""
    src = read_table(path, FIELDS, warnings)
    if not (src.has("reporter_iso") or src.has("reporter_code")):
        raise missing_columns(path, src.header, ("reporterISO", "reporterCode"))
    if not (src.has("partner_iso") or src.has("partner_code")):
        raise missing_columns(path, src.header, ("partnerISO", "partnerCode"))
    if not (src.has("cif") or src.has("fob") or src.has("primary")):
        raise missing_columns(path, src.header, ("primaryValue", "cifvalue", "fobvalue"))
    numeric = [r.get(k, "") for _, r in src.rows for k in ("net", "qty", "cif", "fob", "primary")]
    mark = detect_decimal(numeric, "," if src.delimiter == ";" else ".")
    for line, row in src.rows:
        flow = _FLOWS.get(row["flow"].upper(), row["flow"].upper())
        if flow not in ("M", "X"):
            skipped[f"flow {flow or 'empty'} (re-exports, re-imports and processing flows)"] += 1
            continue
        if any(row.get(k, "") not in totals for k, totals in _TOTAL_CODES.items()):
            skipped["breakdown rows by 2nd partner, customs procedure or transport mode (totals kept)"] += 1
            continue
        reporter, partner = _country(row, "reporter"), _country(row, "partner")
        if reporter is None or partner is None:
            skipped["World, 'areas nes' and other non-country reporters or partners"] += 1
            continue
        hs = row["cmd"]
        if not (hs.isdigit() and 6 <= len(hs) <= 10):
            skipped[f"commodity codes that are not 6-10 digit HS codes (e.g. {hs!r})"] += 1
            continue
        period = _period(src, line, row)
        net = number(src, line, "net", row["net"], mark)
        if net is None and row.get("qty_unit") == _KG_UNIT:
            net = number(src, line, "qty", row.get("qty", ""), mark)
        values = ("cif", "primary", "fob") if flow == "M" else ("fob", "primary", "cif")
        value: Decimal | None = next((v for k in values
                                      if (v := number(src, line, k, row.get(k, ""), mark)) is not None), None)
        if net is None or value is None:
            empty[f"{path.name} line {line}"] = "net mass" if net is None else "value"
        record_id = f"comtrade-{reporter}-{partner}-{period}-{hs}-{flow}"
        target = imports if flow == "M" else mirror
        if record_id in target:
            skipped["duplicate rows (same reporter, partner, period, code and flow; first kept)"] += 1
            continue
        if flow == "M":
            target[record_id] = {"record_id": record_id, "country": reporter, "period": period,
                                 "origin_country": partner, "hs_code": hs, "net_mass_kg": net,
                                 "value_usd": value, "level": "aggregate"}
        else:
            target[record_id] = {"record_id": record_id, "country": reporter, "period": period,
                                 "partner_country": partner, "hs_code": hs, "net_mass_kg": net,
                                 "value_usd": value}


def convert(source: Path, out_dir: Path) -> list[str]:
    """Convert one Comtrade CSV (or a folder of them) into `imports.csv` and `mirror_exports.csv`."""
    warnings: list[str] = []
    imports: dict[str, Row] = {}
    mirror: dict[str, Row] = {}
    skipped: Counter[str] = Counter()
    empty: dict[str, str] = {}
    for path in source_files(source, (".csv", ".txt", ".tsv")):
        _convert_file(path, imports, mirror, skipped, empty, warnings)
    warnings += [f"skipped {n} row(s): {reason}" for reason, n in skipped.items()]
    if empty:
        where = ", ".join(f"{k} ({v})" for k, v in list(empty.items())[:5])
        warnings.append(f"{len(empty)} row(s) kept with an empty net mass or value, as Comtrade "
                        f"published them; validation will report them: {where}")
    write_table(out_dir, "imports", imports.values())
    write_csv(Path(out_dir) / MIRROR_FILE, MIRROR_COLUMNS, mirror.values())
    return warnings


ADAPTER = Adapter(
    name="comtrade",
    title="UN Comtrade CSV (API or bulk): partner imports, plus exports for mirror comparison",
    description=(
        "Reads UN Comtrade+ CSV/TSV as the API and bulk download give it (typeCode, freqCode, period, "
        "reporterCode/ISO, flowCode, partnerCode/ISO, cmdCode, netWgt, cifvalue, fobvalue, "
        "primaryValue...) and the legacy API CSV (Reporter ISO, Trade Flow Code, Netweight (kg), "
        "Trade Value (US$)). Import flows (M) become `imports` rows, level aggregate: country = "
        "reporter, origin_country = partner (ISO2), period YYYY (freqCode A) or YYYY-MM (M), value = "
        "CIF, else primaryValue. Export flows (X) go to the extra file mirror_exports.csv "
        "(record_id, country, period, partner_country, hs_code, net_mass_kg, value_usd FOB), because "
        "standard 0.1 has no table for aggregate exports and a country's own export figure must not "
        "be passed off as its partner's import figure. Skipped with a warning: World and 'areas nes' "
        "partners, re-export/re-import flows, breakdown rows by transport mode, customs procedure or "
        "2nd partner (the totals are kept), and HS codes shorter than 6 digits (download HS6: "
        "710812, 710813, 261690). Data: UN Comtrade, free for non-commercial use with attribution."
    ),
    tables=("imports",),
    convert=convert,
)
