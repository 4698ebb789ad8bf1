"""Tax identifiers of the region: format and check-digit verification.

`check_tax_id(scheme, value)` returns ``None`` when the value is acceptable for
its scheme, or a short reason an analyst can read ("PE-RUC must have 11
digits", "check digit should be 4, not 7"). `normalize_tax_id(scheme, value)`
returns the canonical spelling used for matching across tables and countries.

Schemes (the values of `actors.tax_id_scheme`):

``PE-RUC``
    11 digits; the first two are 10, 15, 16, 17 or 20. The last digit is a
    mod-11 check digit over the first ten with weights 5,4,3,2,7,6,5,4,3,2:
    ``r = 11 - (sum mod 11)``, then 10 -> 0 and 11 -> 1.
``CO-NIT``
    the base number (5 to 15 digits) optionally followed by a dash and the
    DIAN check digit, e.g. ``860002964-4`` (dots as thousands separators are
    tolerated: ``860.002.964-4``). Weights 3,7,13,17,19,23,29,37,41,43,47,53,
    59,67,71 from the rightmost base digit; ``s = sum mod 11``; the check digit
    is ``s`` when s is 0 or 1, else ``11 - s``.

    **Without a dash the whole value is taken as the base** and accepted
    without verification, because a bare number cannot be told apart from a
    base with its check digit appended (a 10-digit cedula-based NIT and a
    9-digit company NIT plus its digit look the same). `check_digit_verified`
    reports whether a check digit was actually verified, so callers can count
    or flag unverifiable NITs. Adapters that know their source concatenates
    base and digit should insert the dash.
``EC-RUC``
    13 digits: a province code (01-24, or 30 for Ecuadorians abroad), a third
    digit giving the kind of taxpayer, and an establishment number that may not
    be zero (last three digits >= 001; last four >= 0001 for public bodies).

    - third digit 0-5, natural person: the first ten digits are a cedula whose
      10th digit is a modulo-10 check digit over the first nine with
      coefficients 2,1,2,1,2,1,2,1,2 (products above 9 minus 9);
    - 6, public body: mod-11 over the first eight digits with weights
      3,2,7,6,5,4,3,2, check digit in 9th position;
    - 9, private company: mod-11 over the first nine digits with weights
      4,3,2,7,6,5,4,3,2, check digit in 10th position;
    - 7 and 8 are not assigned.

    For the mod-11 variants the check digit is ``11 - (sum mod 11)`` with
    11 -> 0; a remainder of 1 (which would need a check digit of 10) is never
    issued and is rejected.
``BO-NIT``
    digits only, 5 to 12 of them; Bolivia's NIT carries no published check
    digit, so only the format is checked.
``other`` / ``None`` / any other scheme
    no check: any non-blank value is accepted as is.

Why not python-stdnum: `stdnum.pe.ruc`, `stdnum.co.nit` and `stdnum.ec.ruc`
exist and agree with this module on every valid number they accept (the test
suite uses them as an independent oracle), but they do not implement the
standard's rules exactly: `stdnum.pe.ruc` rejects the 16 prefix;
`stdnum.co.nit` always treats the last digit as the check digit (no bare
bases); `stdnum.ec.ruc` also accepts province 50 and, for third digits 6 and
9, falls back to a second algorithm when the first fails, which weakens
single-digit error detection. `rigour` has no Andean identifiers. The rules
are short, so they are implemented here without a runtime dependency.

Detection guarantees (checked by the property tests): every single-digit
change is detected for EC-RUC digits covered by its check digit, as long as
the change keeps the taxpayer kind (third digit class). For PE-RUC and CO-NIT
the mod-11 mapping sends two remainders to the same check digit 1 (PE: weighted
sums of 0 and 10 mod 11; CO: s = 1 and s = 10), so a change that moves the sum
between those two remainders is not detected; every other single-digit change,
and every change of the check digit itself, is. BO-NIT and CO-NIT values
without a check digit guarantee nothing.
"""

from __future__ import annotations

import re

__all__ = [
    "SCHEMES", "check_tax_id", "normalize_tax_id", "check_digit_verified",
    "pe_ruc_check_digit", "co_nit_check_digit", "ec_cedula_check_digit",
    "ec_public_check_digit", "ec_private_check_digit",
]

#: Schemes whose format is checked (``other`` and unknown schemes are not).
SCHEMES = ("PE-RUC", "CO-NIT", "EC-RUC", "BO-NIT")

_PE_PREFIXES = ("10", "15", "16", "17", "20")
_PE_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_CO_WEIGHTS = (3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71)
_EC_PUBLIC_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)
_EC_PRIVATE_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2)
_CO_BASE_MIN, _CO_BASE_MAX = 5, len(_CO_WEIGHTS)
_BO_MIN, _BO_MAX = 5, 12

_SEPARATORS = re.compile(r"[\s.\-/]")
_CO_SHAPE = re.compile(r"^(\d+)(?:-(\d))?$")


# --- check-digit arithmetic -------------------------------------------------

def pe_ruc_check_digit(first10: str) -> str:
    """Check digit of a Peruvian RUC from its first ten digits."""
    r = 11 - sum(w * int(d) for w, d in zip(_PE_WEIGHTS, first10, strict=True)) % 11
    return str({10: 0, 11: 1}.get(r, r))


def co_nit_check_digit(base: str) -> str:
    """DIAN check digit ("digito de verificacion") of a Colombian NIT base."""
    if len(base) > len(_CO_WEIGHTS):
        raise ValueError(f"CO-NIT base has at most {len(_CO_WEIGHTS)} digits")
    s = sum(w * int(d) for w, d in zip(_CO_WEIGHTS, reversed(base))) % 11
    return str(s if s in (0, 1) else 11 - s)


def ec_cedula_check_digit(first9: str) -> str:
    """Modulo-10 check digit of an Ecuadorian cedula (10th digit) from its first nine."""
    total = 0
    for i, d in enumerate(first9):
        p = int(d) * (2 if i % 2 == 0 else 1)
        total += p - 9 if p > 9 else p
    return str((10 - total % 10) % 10)


def _ec_mod11(digits: str, weights: tuple[int, ...]) -> str | None:
    r = 11 - sum(w * int(d) for w, d in zip(weights, digits, strict=True)) % 11
    if r == 11:
        return "0"
    return None if r == 10 else str(r)


def ec_public_check_digit(first8: str) -> str | None:
    """Check digit (9th) of a public-body EC-RUC; None if no digit can be valid."""
    return _ec_mod11(first8, _EC_PUBLIC_WEIGHTS)


def ec_private_check_digit(first9: str) -> str | None:
    """Check digit (10th) of a private-company EC-RUC; None if no digit can be valid."""
    return _ec_mod11(first9, _EC_PRIVATE_WEIGHTS)


# --- public API ---------------------------------------------------------------

def normalize_tax_id(scheme: str | None, value: str) -> str:
    """Canonical spelling of a tax id: the form to store and to match on.

    PE-RUC, EC-RUC and BO-NIT: digits only (spaces, dots, dashes and slashes
    removed). CO-NIT: base digits, plus ``-`` and the check digit when one was
    given (``860.002.964 - 4`` -> ``860002964-4``). Other schemes: surrounding
    whitespace removed and inner whitespace collapsed. Never raises; a value that
    cannot be parsed comes back cleaned as far as possible (`check_tax_id`
    says what is wrong with it).
    """
    value = "" if value is None else str(value)
    if scheme == "CO-NIT":
        return re.sub(r"[\s.,]", "", value)
    if scheme in ("PE-RUC", "EC-RUC", "BO-NIT"):
        return _SEPARATORS.sub("", value)
    return " ".join(value.split())


def check_tax_id(scheme: str | None, value: str) -> str | None:
    """None if `value` is a valid tax id of `scheme`, else a short reason.

    The value is normalized first (`normalize_tax_id`), so common formatting
    (``20100070970``, ``20-10007097-0``, ``860.002.964-4``) is accepted.
    A blank value is reported as empty for every scheme.
    """
    if value is None or not str(value).strip():
        return "tax id is empty"
    v = normalize_tax_id(scheme, value)
    if scheme == "PE-RUC":
        return _check_pe_ruc(v)
    if scheme == "CO-NIT":
        return _check_co_nit(v)
    if scheme == "EC-RUC":
        return _check_ec_ruc(v)
    if scheme == "BO-NIT":
        return _check_bo_nit(v)
    return None


def check_digit_verified(scheme: str | None, value: str) -> bool:
    """True when `value` is valid *and* a check digit was actually verified.

    False for schemes without a check digit (BO-NIT, other), for CO-NIT values
    given without ``-`` and check digit, and for invalid values.
    """
    if check_tax_id(scheme, value) is not None:
        return False
    if scheme in ("PE-RUC", "EC-RUC"):
        return True
    if scheme == "CO-NIT":
        return "-" in normalize_tax_id(scheme, value)
    return False


def _digit_reason(expected: str, got: str) -> str:
    return f"check digit should be {expected}, not {got}"


def _check_pe_ruc(v: str) -> str | None:
    if not v.isdigit() or not v.isascii():
        return "PE-RUC must contain digits only"
    if len(v) != 11:
        return f"PE-RUC must have 11 digits, not {len(v)}"
    if v[:2] not in _PE_PREFIXES:
        return f"PE-RUC must start with 10, 15, 16, 17 or 20, not {v[:2]}"
    expected = pe_ruc_check_digit(v[:10])
    return None if v[10] == expected else _digit_reason(expected, v[10])


def _check_co_nit(v: str) -> str | None:
    m = _CO_SHAPE.match(v)
    if not m or not v.isascii():
        return "CO-NIT must be digits, optionally followed by '-' and one check digit"
    base, dv = m.groups()
    if not _CO_BASE_MIN <= len(base) <= _CO_BASE_MAX:
        return f"CO-NIT base must have {_CO_BASE_MIN} to {_CO_BASE_MAX} digits, not {len(base)}"
    if dv is None:
        return None  # bare base: cannot be verified; see check_digit_verified
    expected = co_nit_check_digit(base)
    return None if dv == expected else _digit_reason(expected, dv)


def _check_ec_ruc(v: str) -> str | None:
    if not v.isdigit() or not v.isascii():
        return "EC-RUC must contain digits only"
    if len(v) != 13:
        return f"EC-RUC must have 13 digits, not {len(v)}"
    province = int(v[:2])
    if not (1 <= province <= 24 or province == 30):
        return f"EC-RUC province code must be 01 to 24 or 30, not {v[:2]}"
    third = v[2]
    if third in "78":
        return f"EC-RUC third digit must be 0-6 or 9, not {third}"
    if third == "6":
        if v[9:] == "0000":
            return "EC-RUC establishment number must be 0001 or higher"
        expected = ec_public_check_digit(v[:8])
        pos = 8
    else:
        if v[10:] == "000":
            return "EC-RUC establishment number must be 001 or higher"
        if third == "9":
            expected = ec_private_check_digit(v[:9])
            pos = 9
        else:
            expected = ec_cedula_check_digit(v[:9])
            pos = 9
    if expected is None:
        return "EC-RUC has no valid check digit (mod-11 remainder 1)"
    return None if v[pos] == expected else _digit_reason(expected, v[pos])


def _check_bo_nit(v: str) -> str | None:
    if not v.isdigit() or not v.isascii():
        return "BO-NIT must contain digits only"
    if not _BO_MIN <= len(v) <= _BO_MAX:
        return f"BO-NIT must have {_BO_MIN} to {_BO_MAX} digits, not {len(v)}"
    return None
