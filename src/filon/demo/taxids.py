"""Tax identifiers with correct check digits for the four countries.

The validator checks PE-RUC, CO-NIT and EC-RUC check digits, so the demo must
produce identifiers that pass exactly the national algorithms; an invalid id in
the demo would make every downstream tax-id join look like a data-quality
problem. The algorithms are verified in the tests against known public ids
(SUNAT 20131312955, DIAN 800197268-4, ...).
"""

from __future__ import annotations

import random
from typing import ClassVar

PE_RUC_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
CO_NIT_WEIGHTS = (3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71)
EC_COMPANY_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2)


def pe_ruc_check_digit(first10: str) -> int:
    """Check digit of a Peruvian RUC (SUNAT mod-11 over the first ten digits)."""
    total = sum(int(d) * w for d, w in zip(first10, PE_RUC_WEIGHTS, strict=True))
    digit = 11 - total % 11
    return {10: 0, 11: 1}.get(digit, digit)


def is_valid_pe_ruc(value: str) -> bool:
    """True for an 11-digit RUC with prefix 10/15/17/20 and a correct check digit."""
    return (len(value) == 11 and value.isdigit() and value[:2] in {"10", "15", "17", "20"}
            and pe_ruc_check_digit(value[:10]) == int(value[10]))


def co_nit_check_digit(base: str) -> int:
    """DIAN check digit: weights 3, 7, 13, ... applied from the rightmost digit, mod 11."""
    total = sum(int(d) * w for d, w in zip(reversed(base), CO_NIT_WEIGHTS))
    rem = total % 11
    return rem if rem in (0, 1) else 11 - rem


def is_valid_co_nit(value: str) -> bool:
    """True for `<digits>-<dv>` (or digits with the dv last) with a correct DIAN check digit."""
    digits = value.replace("-", "").replace(".", "")
    if not digits.isdigit() or not 6 <= len(digits) <= 16:
        return False
    return co_nit_check_digit(digits[:-1]) == int(digits[-1])


def ec_cedula_check_digit(first9: str) -> int:
    """Check digit of an Ecuadorian cédula: coefficients 2,1,2,1,... with digit folding, mod 10."""
    total = 0
    for i, d in enumerate(first9):
        p = int(d) * (2 if i % 2 == 0 else 1)
        total += p - 9 if p > 9 else p
    return (10 - total % 10) % 10


def ec_company_check_digit(first9: str) -> int | None:
    """Check digit of a private-company RUC (third digit 9); None when the remainder gives 10 (unusable)."""
    total = sum(int(d) * w for d, w in zip(first9, EC_COMPANY_WEIGHTS, strict=True))
    digit = (11 - total % 11) % 11
    return None if digit == 10 else digit


def is_valid_ec_ruc(value: str) -> bool:
    """True for a 13-digit RUC of a person (cédula + 001) or a private company (third digit 9)."""
    if len(value) != 13 or not value.isdigit() or value[10:] == "000":
        return False
    if not ("01" <= value[:2] <= "24" or value[:2] == "30"):
        return False
    if value[2] < "6":
        return ec_cedula_check_digit(value[:9]) == int(value[9])
    if value[2] == "9":
        return ec_company_check_digit(value[:9]) == int(value[9])
    return False


def is_valid_tax_id(value: str, scheme: str) -> bool:
    """Validate a tax id by scheme; BO-NIT has no check digit, only a length of 7 to 10 digits."""
    if scheme == "PE-RUC":
        return is_valid_pe_ruc(value)
    if scheme == "CO-NIT":
        return is_valid_co_nit(value)
    if scheme == "EC-RUC":
        return is_valid_ec_ruc(value)
    if scheme == "BO-NIT":
        return value.isdigit() and 7 <= len(value) <= 10
    return True


class TaxIdFactory:
    """Draws unique, valid tax ids; uniqueness matters because tax ids are join keys across agencies."""

    SCHEMES: ClassVar[dict[str, str]] = {"PE": "PE-RUC", "CO": "CO-NIT", "BO": "BO-NIT", "EC": "EC-RUC"}

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def scheme(self, country: str) -> str:
        return self.SCHEMES.get(country, "other")

    def new(self, country: str, person: bool, year: int = 2010) -> str:
        """A fresh valid id for an actor of `country`; `year` of registration shapes company RUC ranges."""
        make = {"PE": self._pe, "CO": self._co, "BO": self._bo, "EC": self._ec}[country]
        for _ in range(1000):
            value = make(person, year)
            if value not in self.used:
                self.used.add(value)
                return value
        raise RuntimeError("could not draw a unique tax id")  # pragma: no cover

    def _pe(self, person: bool, year: int) -> str:
        r = self.rng
        if person:
            body = "10" + f"{r.randint(1_000_000, 79_999_999):08d}"
        else:
            # Company RUCs were issued in ascending blocks: older firms have lower numbers.
            if year < 2000:
                block = r.randint(100, 199)
            elif year < 2010:
                block = r.randint(200, 549)
            elif year < 2020:
                block = r.randint(550, 604)
            else:
                block = r.randint(605, 612)
            body = f"20{block:03d}{r.randint(0, 99_999):05d}"
        return body + str(pe_ruc_check_digit(body))

    def _co(self, person: bool, year: int) -> str:
        r = self.rng
        if person:
            base = str(r.choice([r.randint(10_000_000, 99_999_999), r.randint(1_000_000_000, 1_129_999_999)]))
        else:
            base = str(r.randint(800_000_000, 899_999_999) if year < 2008 else r.randint(900_000_000, 901_799_999))
        return f"{base}-{co_nit_check_digit(base)}"

    def _bo(self, person: bool, year: int) -> str:
        r = self.rng
        if person:
            return str(r.randint(1_000_000, 99_999_999))
        return str(r.randint(1_000_000_000, 4_999_999_999))

    def _ec(self, person: bool, year: int) -> str:
        r = self.rng
        while True:
            province = r.choice([7, 7, 19, 19, 8, 1, 17, 9, 11])
            if person:
                first9 = f"{province:02d}{r.randint(0, 5)}{r.randint(0, 999_999):06d}"
                return first9 + str(ec_cedula_check_digit(first9)) + "001"
            first9 = f"{province:02d}9{r.randint(0, 999_999):06d}"
            digit = ec_company_check_digit(first9)
            if digit is not None:
                return first9 + str(digit) + "001"
