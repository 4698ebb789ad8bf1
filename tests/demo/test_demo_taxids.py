"""Check-digit algorithms against public identifiers, and every generated id against them."""

from __future__ import annotations

import random

import pytest

from filon.demo.taxids import (
    TaxIdFactory,
    co_nit_check_digit,
    ec_cedula_check_digit,
    ec_company_check_digit,
    is_valid_co_nit,
    is_valid_ec_ruc,
    is_valid_pe_ruc,
    is_valid_tax_id,
    pe_ruc_check_digit,
)

# Public identifiers of well-known bodies (SUNAT, DIAN, ...), used only to verify the algorithms.
PE_VALID = ("20100070970", "20131312955")
CO_VALID = ("800197268-4", "860002964-4")
EC_VALID = ("1790011674001", "0990004196001")


def test_known_valid_ids() -> None:
    assert all(is_valid_pe_ruc(x) for x in PE_VALID)
    assert all(is_valid_co_nit(x) for x in CO_VALID)
    assert all(is_valid_ec_ruc(x) for x in EC_VALID)
    assert pe_ruc_check_digit("2010007097") == 0
    assert co_nit_check_digit("800197268") == 4
    assert ec_company_check_digit("179001167") == 4
    assert ec_company_check_digit("099000419") == 6


def test_altered_ids_are_rejected() -> None:
    assert not is_valid_pe_ruc("20100070971")
    assert not is_valid_co_nit("800197268-5")
    assert not is_valid_ec_ruc("1790011675001")
    assert not is_valid_ec_ruc("1790011674000")  # establishment 000


def test_cedula_check_digit() -> None:
    # 1710034065 is a valid cédula for python-stdnum (province 17); the algorithm must give the same digit.
    assert ec_cedula_check_digit("171003406") == 5


@pytest.mark.parametrize("country", ["PE", "CO", "BO", "EC"])
@pytest.mark.parametrize("person", [True, False])
def test_generated_ids_are_valid_and_unique(country: str, person: bool) -> None:
    factory = TaxIdFactory(random.Random(3))
    ids = [factory.new(country, person, year) for year in (1995, 2005, 2015, 2023) for _ in range(200)]
    assert len(set(ids)) == len(ids)
    assert all(is_valid_tax_id(x, factory.scheme(country)) for x in ids)
    if country == "PE":
        assert all(x[:2] == ("10" if person else "20") for x in ids)
    if country == "EC":
        assert all((x[2] < "6") if person else (x[2] == "9") for x in ids)


def test_generated_ids_pass_python_stdnum() -> None:
    """Independent cross-check with python-stdnum when it is installed."""
    pe = pytest.importorskip("stdnum.pe.ruc")
    co = pytest.importorskip("stdnum.co.nit")
    ec = pytest.importorskip("stdnum.ec.ruc")
    factory = TaxIdFactory(random.Random(11))
    for country, module in (("PE", pe), ("CO", co), ("EC", ec)):
        for person in (True, False):
            for _ in range(300):
                assert module.is_valid(factory.new(country, person, 2012))
