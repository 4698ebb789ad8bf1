"""Tax id checks: known public ids, generated valid ids, single-digit errors.

The generators below recompute check digits from the published rules on their
own (they do not call filon's helpers), so a wrong constant in taxid.py is not
hidden by the same constant in the test.
"""

from __future__ import annotations

import importlib.util

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from filon.standard.taxid import check_digit_verified, check_tax_id, normalize_tax_id

# --- independent reimplementation of the rules ---------------------------------

PE_PREFIXES = ["10", "15", "16", "17", "20"]


def pe_sum(first10: str) -> int:
    return sum(w * int(d) for w, d in zip([5, 4, 3, 2, 7, 6, 5, 4, 3, 2], first10)) % 11


def pe_dv(first10: str) -> str:
    r = 11 - pe_sum(first10)
    return "0" if r == 10 else "1" if r == 11 else str(r)


def co_sum(base: str) -> int:
    weights = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71]
    return sum(w * int(d) for w, d in zip(weights, base[::-1])) % 11


def co_dv(base: str) -> str:
    s = co_sum(base)
    return str(s) if s in (0, 1) else str(11 - s)


def ec_cedula_dv(first9: str) -> str:
    total = 0
    for coef, d in zip([2, 1, 2, 1, 2, 1, 2, 1, 2], first9):
        p = coef * int(d)
        total += p - 9 if p > 9 else p
    return str((10 - total % 10) % 10)


def ec_mod11_dv(digits: str, weights: list[int]) -> str | None:
    r = 11 - sum(w * int(d) for w, d in zip(weights, digits)) % 11
    return "0" if r == 11 else None if r == 10 else str(r)


def digits(n_min: int, n_max: int | None = None) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=n_min, max_size=n_max if n_max is not None else n_min)


provinces = st.sampled_from([f"{p:02d}" for p in range(1, 25)] + ["30"])


@st.composite
def pe_rucs(draw: st.DrawFn) -> str:
    first10 = draw(st.sampled_from(PE_PREFIXES)) + draw(digits(8))
    return first10 + pe_dv(first10)


@st.composite
def co_nits(draw: st.DrawFn) -> str:
    base = draw(digits(5, 15))
    return f"{base}-{co_dv(base)}"


@st.composite
def ec_natural_rucs(draw: st.DrawFn) -> str:
    first9 = draw(provinces) + draw(st.sampled_from("012345")) + draw(digits(6))
    return first9 + ec_cedula_dv(first9) + f"{draw(st.integers(1, 999)):03d}"


@st.composite
def ec_public_rucs(draw: st.DrawFn) -> str:
    first8 = draw(provinces) + "6" + draw(digits(5))
    dv = ec_mod11_dv(first8, [3, 2, 7, 6, 5, 4, 3, 2])
    assume(dv is not None)
    return first8 + dv + f"{draw(st.integers(1, 9999)):04d}"


@st.composite
def ec_private_rucs(draw: st.DrawFn) -> str:
    first9 = draw(provinces) + "9" + draw(digits(6))
    dv = ec_mod11_dv(first9, [4, 3, 2, 7, 6, 5, 4, 3, 2])
    assume(dv is not None)
    return first9 + dv + f"{draw(st.integers(1, 999)):03d}"


ec_rucs = st.one_of(ec_natural_rucs(), ec_public_rucs(), ec_private_rucs())


def mutate(value: str, pos: int, new: str) -> str:
    return value[:pos] + new + value[pos + 1:]


def ec_kind(third: str) -> str:
    return "natural" if third in "012345" else {"6": "public", "9": "private"}.get(third, "none")


# --- known public identifiers ---------------------------------------------------

@pytest.mark.parametrize(("scheme", "value"), [
    ("PE-RUC", "20100070970"),     # published example
    ("PE-RUC", "20131312955"),     # published example
    ("CO-NIT", "860002964-4"),     # published example
    ("CO-NIT", "800197268-4"),     # DIAN
    ("EC-RUC", "1790011674001"),   # private company (third digit 9)
    ("EC-RUC", "0990004196001"),   # private company (third digit 9)
    ("EC-RUC", "1760013210001"),   # SRI itself: public body (third digit 6)
    ("EC-RUC", "1714307103001"),   # natural person: cedula 1714307103 + 001
    ("BO-NIT", "1020703023"),
])
def test_known_valid_ids(scheme: str, value: str) -> None:
    assert check_tax_id(scheme, value) is None


@pytest.mark.parametrize(("scheme", "value", "reason"), [
    ("PE-RUC", "2010007097", "PE-RUC must have 11 digits, not 10"),
    ("PE-RUC", "20100070971", "check digit should be 0, not 1"),
    ("PE-RUC", "21100070970", "PE-RUC must start with 10, 15, 16, 17 or 20, not 21"),
    ("PE-RUC", "2010007097A", "PE-RUC must contain digits only"),
    ("CO-NIT", "860002964-7", "check digit should be 4, not 7"),
    ("CO-NIT", "860002964-47", "CO-NIT must be digits, optionally followed by '-' and one check digit"),
    ("CO-NIT", "1234-5", "CO-NIT base must have 5 to 15 digits, not 4"),
    ("EC-RUC", "1790011675001", "check digit should be 4, not 5"),
    ("EC-RUC", "179001167400", "EC-RUC must have 13 digits, not 12"),
    ("EC-RUC", "2590011674001", "EC-RUC province code must be 01 to 24 or 30, not 25"),
    ("EC-RUC", "1770011674001", "EC-RUC third digit must be 0-6 or 9, not 7"),
    ("EC-RUC", "1790011674000", "EC-RUC establishment number must be 001 or higher"),
    ("EC-RUC", "1760013210000", "EC-RUC establishment number must be 0001 or higher"),
    ("BO-NIT", "1234", "BO-NIT must have 5 to 12 digits, not 4"),
    ("BO-NIT", "12345X", "BO-NIT must contain digits only"),
    ("PE-RUC", "  ", "tax id is empty"),
])
def test_reasons(scheme: str, value: str, reason: str) -> None:
    assert check_tax_id(scheme, value) == reason


def test_formatting_is_tolerated_and_normalized() -> None:
    assert check_tax_id("PE-RUC", " 20100070970 ") is None
    assert normalize_tax_id("PE-RUC", "20-10007097-0") == "20100070970"
    assert normalize_tax_id("CO-NIT", "860.002.964 - 4") == "860002964-4"
    assert check_tax_id("CO-NIT", "860.002.964-4") is None
    assert normalize_tax_id("EC-RUC", "1790011674-001") == "1790011674001"
    assert normalize_tax_id("BO-NIT", "1020 703 023") == "1020703023"
    assert normalize_tax_id("other", "  AB  12 ") == "AB 12"
    assert normalize_tax_id(None, "x") == "x"


def test_co_nit_without_check_digit_is_accepted_but_not_verified() -> None:
    assert check_tax_id("CO-NIT", "860002964") is None
    assert not check_digit_verified("CO-NIT", "860002964")
    assert check_digit_verified("CO-NIT", "860002964-4")
    assert check_digit_verified("PE-RUC", "20100070970")
    assert not check_digit_verified("PE-RUC", "20100070971")
    assert not check_digit_verified("BO-NIT", "1020703023")


@pytest.mark.parametrize("scheme", [None, "other", "XX-UNKNOWN"])
def test_unchecked_schemes(scheme: str | None) -> None:
    assert check_tax_id(scheme, "anything at all 123") is None
    assert check_tax_id(scheme, "") == "tax id is empty"


# --- generated valid ids pass ---------------------------------------------------

@given(pe_rucs())
def test_generated_pe_ruc_valid(value: str) -> None:
    assert check_tax_id("PE-RUC", value) is None
    assert check_digit_verified("PE-RUC", value)


@given(co_nits())
def test_generated_co_nit_valid(value: str) -> None:
    assert check_tax_id("CO-NIT", value) is None
    assert normalize_tax_id("CO-NIT", value) == value


@given(ec_rucs)
def test_generated_ec_ruc_valid(value: str) -> None:
    assert check_tax_id("EC-RUC", value) is None


@given(digits(5, 12))
def test_generated_bo_nit_valid(value: str) -> None:
    assert check_tax_id("BO-NIT", value) is None


# --- single-digit changes fail ------------------------------------------------

@given(pe_rucs(), st.integers(0, 10), st.sampled_from("0123456789"))
@example("20100070970", 10, "1")
def test_pe_ruc_single_digit_change_detected(value: str, pos: int, new: str) -> None:
    assume(value[pos] != new)
    bad = mutate(value, pos, new)
    # mod 11 maps weighted sums 0 and 10 to the same check digit 1: the only blind spot
    blind = bad[:2] in PE_PREFIXES and {pe_sum(value[:10]), pe_sum(bad[:10])} == {0, 10}
    if not blind:
        assert check_tax_id("PE-RUC", bad) is not None


@given(co_nits(), st.data())
def test_co_nit_single_digit_change_detected(value: str, data: st.DataObject) -> None:
    base, dv = value.split("-")
    pos = data.draw(st.integers(0, len(base)))  # len(base) = the check digit
    plain = base + dv
    new = data.draw(st.sampled_from("0123456789"))
    assume(plain[pos] != new)
    bad_plain = mutate(plain, pos, new)
    bad = f"{bad_plain[:-1]}-{bad_plain[-1]}"
    blind = {co_sum(base), co_sum(bad_plain[:-1])} == {1, 10}
    if not blind:
        assert check_tax_id("CO-NIT", bad) is not None


@given(ec_rucs, st.data())
def test_ec_ruc_single_digit_change_detected(value: str, data: st.DataObject) -> None:
    kind = ec_kind(value[2])
    last_checked = {"natural": 9, "public": 8, "private": 9}[kind]  # position of the check digit
    pos = data.draw(st.integers(0, last_checked))
    new = data.draw(st.sampled_from("0123456789"))
    assume(value[pos] != new)
    bad = mutate(value, pos, new)
    # a change of the third digit to another taxpayer kind switches algorithm: no guarantee
    assume(ec_kind(bad[2]) in (kind, "none"))
    assert check_tax_id("EC-RUC", bad) is not None


def test_known_blind_spot_is_real() -> None:
    """Document the PE-RUC collision rather than pretend it does not exist."""
    # find a valid RUC and a one-digit change that keeps it valid
    first10 = next(f"201000{tail:04d}" for tail in range(10**4) if pe_sum(f"201000{tail:04d}") == 0)
    ruc = first10 + pe_dv(first10)
    assert ruc[-1] == "1" and check_tax_id("PE-RUC", ruc) is None
    hits = [mutate(ruc, p, d) for p in range(2, 10) for d in "0123456789"
            if d != ruc[p] and check_tax_id("PE-RUC", mutate(ruc, p, d)) is None]
    assert hits and all(pe_sum(h[:10]) == 10 for h in hits)


# --- python-stdnum as an independent oracle ---------------------------------------

needs_stdnum = pytest.mark.skipif(importlib.util.find_spec("stdnum") is None,
                                  reason="python-stdnum not installed")


@needs_stdnum
@given(st.sampled_from(["10", "15", "17", "20"]), digits(9))
def test_pe_ruc_agrees_with_stdnum(prefix: str, rest: str) -> None:
    from stdnum.pe import ruc
    value = prefix + rest
    assert (check_tax_id("PE-RUC", value) is None) == ruc.is_valid(value)


@needs_stdnum
@given(digits(7, 15), st.sampled_from("0123456789"))
def test_co_nit_agrees_with_stdnum(base: str, dv: str) -> None:
    from stdnum.co import nit
    assert (check_tax_id("CO-NIT", f"{base}-{dv}") is None) == nit.is_valid(base + dv)


@needs_stdnum
@given(ec_rucs)
def test_valid_ec_ruc_valid_for_stdnum(value: str) -> None:
    from stdnum.ec import ruc
    assert ruc.is_valid(value)


@needs_stdnum
@given(provinces, st.sampled_from("012345"), digits(10))
def test_ec_natural_ruc_agrees_with_stdnum(province: str, third: str, rest: str) -> None:
    from stdnum.ec import ruc
    value = province + third + rest
    assert (check_tax_id("EC-RUC", value) is None) == ruc.is_valid(value)
