"""mirror_trade_gap: partner-reported imports against the exporter's declared exports."""

from __future__ import annotations

from pathlib import Path

import pytest

import filon.detect.mirror_trade_gap  # noqa: F401  (registers the detector)
from filon.detect.runner import run_analysis

CODE = "mirror_trade_gap"
IMPORTS_HEADER = "record_id,country,period,origin_country,hs_code,net_mass_kg,value_usd,importer_name,exporter_name,level\n"
EXPORTER = {"PE": "PE-A003", "BO": "BO-A001"}
#: The fixture's own exports (PE>CH, PE>AE, BO>IN in 2024), as the partners would mirror them: +3 % CIF.
FIXTURE_MIRROR = [("CH", "2024-02", "PE", 13.7, 756000), ("AE", "2024-03", "PE", 11.8, 694000),
                  ("IN", "2024-02", "BO", 7.8, 424000)]


def run(package: Path, out: Path):
    return run_analysis(package, out, detectors=[CODE]).alerts


def write(package: Path, exports: list[tuple], imports: list[tuple]) -> None:
    """exports: (id, origin, date, destination, net kg, USD); imports: (partner, period, origin, kg, FOB USD)
    — imports are recorded at CIF = FOB × 1.03 unless the USD is already given as a string."""
    with (package / "exports.csv").open("a", encoding="utf-8") as fh:
        for i, o, date, d, kg, usd, *gross in exports:
            fh.write(f"{i},{o},{date},{EXPORTER[o]},{d},7108120000,Au,dore,,,{''.join(map(str, gross))},{kg},,{usd},,air,\n")
    lines = [IMPORTS_HEADER]
    for n, (d, period, o, kg, usd) in enumerate(FIXTURE_MIRROR + imports):
        cif = usd if isinstance(usd, str) else f"{usd * 1.03:.2f}"
        lines.append(f"IMP-{n:03d},{d},{period},{o},710812,{kg},{cif},,,aggregate\n")
    (package / "imports.csv").write_text("".join(lines), encoding="utf-8")


#: Ordinary pairs, so the usual CIF/FOB ratio and each country's reliability can be estimated.
NORMAL_EXPORTS = [("N1", "PE", "2024-05-10", "US", 50, 3.2e6), ("N2", "PE", "2024-06-10", "IT", 40, 2.6e6),
                  ("N3", "PE", "2024-07-10", "CA", 30, 1.9e6), ("N4", "BO", "2024-05-10", "CH", 20, 1.3e6),
                  ("N5", "BO", "2024-06-10", "US", 25, 1.6e6), ("N6", "BO", "2024-07-10", "CA", 35, 2.2e6)]
NORMAL_IMPORTS = [(d, date[:7], o, kg, usd) for _i, o, date, d, kg, usd, *_ in NORMAL_EXPORTS]


def test_ordinary_mirror_is_silent(package: Path, tmp_path: Path) -> None:
    assert run(package, tmp_path / "no-imports") == []  # no partner data: nothing to compare, no gap
    write(package, NORMAL_EXPORTS, NORMAL_IMPORTS)
    assert run(package, tmp_path) == []


def test_fires_both_ways_in_mass_and_value(package: Path, tmp_path: Path) -> None:
    exports = NORMAL_EXPORTS + [("X1", "PE", "2024-04-10", "IN", 60, 3.9e6), ("X2", "BO", "2024-04-10", "AE", 30, 1.9e6)]
    imports = [i for i in NORMAL_IMPORTS if (i[0], i[2]) != ("CA", "BO")] + [
        ("IN", "2024-04", "PE", 20, 1.3e6),            # PE>IN: a third of the gold declared arrives
        ("AE", "2024-04", "BO", 30, f"{2 * 1.9e6:.2f}"),  # BO>AE: same mass at twice the value
        ("CA", "2024-07", "BO", 70, 4.4e6)]            # BO>CA: twice the declared mass and value
    write(package, exports, imports)
    alerts = {a.subject_id: a for a in run(package, tmp_path)}
    assert set(alerts) == {"PE>IN", "BO>AE", "BO>CA"}
    pe_in, bo_ae, bo_ca = alerts["PE>IN"], alerts["BO>AE"], alerts["BO>CA"]
    assert (pe_in.subject_type, pe_in.country, pe_in.period) == ("country_pair", "PE", "2024")
    assert pe_in.evidence["direction"] == "exports_exceed" and bo_ca.evidence["direction"] == "imports_exceed"
    assert bo_ae.evidence["direction"] == "imports_exceed" and bo_ae.evidence["headings"][0]["mass_gap"] == 0
    assert pe_in.evidence["usual_cif_fob_ratio"] == pytest.approx(1.03, abs=1e-3)
    assert pe_in.value_at_risk_usd == pytest.approx(3.9e6 - 1.3e6, rel=1e-3)
    assert pe_in.score == pytest.approx(1.0, abs=0.05) and 0.0 < bo_ca.score <= 1.0
    tables = {s["table"] for s in pe_in.evidence["sources"]}
    assert tables == {"imports", "exports"} and all(s["row"] for s in pe_in.evidence["sources"])


def test_year_end_shipments_and_gross_weight_are_not_gaps(package: Path, tmp_path: Path) -> None:
    # PE>US: shipped 2023-12-28, booked by the US in January (December allowance); shipped 2023-11-29,
    # booked in January too (offset by the opposite gap in 2024). PE>IT: 40 kg net in 50 kg gross
    # (crucibles, packing), reported by Italy at gross weight.
    exports = [e for e in NORMAL_EXPORTS if e[0] != "N2"] + [
        ("N2", "PE", "2024-06-10", "IT", 40, 2.6e6, 50), ("T1", "PE", "2023-06-10", "US", 10, 650000),
        ("T2", "PE", "2023-12-28", "US", 8, 520000), ("T3", "PE", "2023-11-29", "US", 12, 780000)]
    imports = [i for i in NORMAL_IMPORTS if (i[0], i[2]) not in {("US", "PE"), ("IT", "PE")}] + [
        ("IT", "2024-06", "PE", 50, 2.6e6),
        ("US", "2023-06", "PE", 10, 650000), ("US", "2024-01", "PE", 20, 1.3e6), ("US", "2024-05", "PE", 50, 3.2e6)]
    write(package, exports, imports)
    assert run(package, tmp_path) == []
