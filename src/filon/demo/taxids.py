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

from filon.standard import taxid as std

# The arithmetic lives once, in the validator's module: the demo must pass exactly those checks.


def pe_ruc_check_digit(first10: str) -> int:
    """Check digit of a Peruvian RUC (SUNAT mod-11 over the first ten digits)."""
    return int(std.pe_ruc_check_digit(first10))


def co_nit_check_digit(base: str) -> int:
    """DIAN check digit: weights 3, 7, 13, ... applied from the rightmost digit, mod 11."""
    return int(std.co_nit_check_digit(base))


def ec_cedula_check_digit(first9: str) -> int:
    """Check digit of an Ecuadorian cédula: coefficients 2,1,2,1,... with digit folding, mod 10."""
    return int(std.ec_cedula_check_digit(first9))


def ec_company_check_digit(first9: str) -> int | None:
    """Check digit of a private-company RUC (third digit 9); None when no digit can be valid."""
    digit = std.ec_private_check_digit(first9)
    return None if digit is None else int(digit)


def is_valid_pe_ruc(value: str) -> bool:
    return std.check_tax_id("PE-RUC", value) is None


def is_valid_co_nit(value: str) -> bool:
    return "-" in value and std.check_tax_id("CO-NIT", value) is None


def is_valid_ec_ruc(value: str) -> bool:
    return std.check_tax_id("EC-RUC", value) is None


def is_valid_tax_id(value: str, scheme: str) -> bool:
    """Validate a tax id by scheme, as `filon validate` does (BO-NIT: digits only)."""
    return std.check_tax_id(scheme, value) is None


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
