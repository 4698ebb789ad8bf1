from __future__ import annotations

import csv
from importlib import resources

import pytest

from filon.standard.countries import alpha2_codes, countries, from_alpha3, from_numeric, get, is_country


def test_all_officially_assigned_codes_are_present() -> None:
    codes = alpha2_codes()
    assert len(codes) == 249
    assert {"PE", "CO", "BO", "EC", "CH", "IN", "AE", "US", "BQ", "SS", "CW", "SX"} <= codes
    assert isinstance(codes, frozenset)


def test_csv_is_well_formed() -> None:
    text = (resources.files("filon.standard") / "data" / "countries.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines()))
    assert rows[0] == ["alpha2", "alpha3", "numeric", "name"]
    body = rows[1:]
    assert body == sorted(body)
    for a2, a3, num, name in body:
        assert len(a2) == 2 and a2.isupper() and a2.isalpha()
        assert len(a3) == 3 and a3.isupper() and a3.isalpha()
        assert len(num) == 3 and num.isdigit()
        assert name.strip() == name and name
    for i in range(3):
        assert len({r[i] for r in body}) == len(body)


@pytest.mark.parametrize("code", ["PE", "CO", "BO", "EC", "CH", "AE"])
def test_is_country(code: str) -> None:
    assert is_country(code)


@pytest.mark.parametrize("code", ["pe", " PE", "PER", "XK", "EU", "UK", "ZZ", "", None, 604])
def test_is_not_country(code: object) -> None:
    assert not is_country(code)


def test_from_alpha3() -> None:
    assert from_alpha3("PER") == "PE"
    assert from_alpha3("col") == "CO"
    assert from_alpha3("BOL") == "BO"
    assert from_alpha3("ECU") == "EC"
    assert from_alpha3("ARE") == "AE"
    assert from_alpha3("XXX") is None
    assert from_alpha3("") is None


def test_from_numeric() -> None:
    assert from_numeric("604") == "PE"
    assert from_numeric(170) == "CO"
    assert from_numeric("068") == "BO"
    assert from_numeric("68") == "BO"
    assert from_numeric(68) == "BO"
    assert from_numeric("218") == "EC"
    assert from_numeric("999") is None
    assert from_numeric(-4) is None
    assert from_numeric("abc") is None
    assert from_numeric(True) is None


def test_get_and_round_trip() -> None:
    bo = get("bo")
    assert bo is not None and bo.alpha3 == "BOL" and bo.numeric == "068" and bo.name.startswith("Bolivia")
    for c in countries():
        assert from_alpha3(c.alpha3) == c.alpha2
        assert from_numeric(c.numeric) == c.alpha2


def test_agrees_with_rigour() -> None:
    territories = pytest.importorskip("rigour.territories")
    for c in countries():
        t = territories.get_territory(c.alpha2.lower())
        assert t is not None and (t.alpha3 or "").upper() == c.alpha3, c
