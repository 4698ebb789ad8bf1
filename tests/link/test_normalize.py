"""Normalization: legal forms, name order, accents, tax-id variants and check digits."""

from __future__ import annotations

import pytest

from filon.link.normalize import fold, normalize_name, normalize_tax_id_for_matching


@pytest.mark.parametrize("a, b", [
    ("MINERA SOL S.A.C.", "Minera Sol Sociedad Anónima Cerrada"),
    ("MINERA SOL S.A.C.", "minera sol sac"),
    ("COMERCIALIZADORA ORO CIA. LTDA.", "Comercializadora Oro Compañía Limitada"),
    ("INVERSIONES INTI S.R.L.", "Inversiones Inti Sociedad Comercial de Responsabilidad Limitada"),
    ("GOLD TRADING SAN PEDRO E.I.R.L.", "Gold Trading San Pedro Empresa Individual de Responsabilidad Limitada"),
    ("C.I. METALES DORADO S.A.S.", "METALES DORADO SOCIEDAD POR ACCIONES SIMPLIFICADA"),
    ("EXPORTADORA RIO ALTO S.A.A.", "Exportadora Río Alto S.A.A."),
])
def test_legal_forms_and_spelling_do_not_matter(a: str, b: str) -> None:
    na, nb = normalize_name(a), normalize_name(b)
    assert na.core == nb.core and na.legal_form == nb.legal_form and na.legal_form


def test_legal_forms_are_told_apart() -> None:
    assert normalize_name("MINERA SOL S.A.C.").legal_form != normalize_name("MINERA SOL S.R.L.").legal_form
    assert normalize_name("AURUM LTDA.").legal_form != normalize_name("AURUM CIA. LTDA.").legal_form
    assert normalize_name("GULF GOLD TRADING DMCC").legal_form  # a foreign form, via rigour


def test_person_names_in_either_order_share_a_rotation() -> None:
    a = normalize_name("QUISPE MAMANI, Juan Carlos")
    b = normalize_name("Juan Carlos Quispe Mamani")
    assert a.rotation == b.rotation and a.key == b.key and not a.organisation
    swapped = normalize_name("MAMANI QUISPE JUAN CARLOS")  # surnames swapped: usually another person
    assert swapped.key == a.key and swapped.rotation != a.rotation


def test_a_dropped_given_name_leaves_a_token_subset() -> None:
    full, short = normalize_name("QUISPE MAMANI JUAN CARLOS"), normalize_name("Juan Quispe Mamani")
    assert set(short.tokens) < set(full.tokens)


def test_accents_case_punctuation_and_particles() -> None:
    assert fold("Zúñiga-Ñahui, José") == "ZUNIGA NAHUI JOSE"
    assert normalize_name("DE LA CRUZ PEREZ JUAN").tokens == ("CRUZ", "PEREZ", "JUAN")
    assert normalize_name("S.A.").core == "SA"  # a name that is only a legal form stays a name


def test_organisations_are_recognised() -> None:
    assert normalize_name("COOPERATIVA MINERA 16 DE JULIO LTDA.").organisation
    assert normalize_name("FUNDACION PRIVADA LOS ALISIOS").organisation
    assert not normalize_name("CONDORI APAZA WILBER").organisation


@pytest.mark.parametrize("value, scheme, country", [
    ("860002964-4", "CO-NIT", None), ("860.002.964-4", None, "CO"), ("860002964", "CO-NIT", None),
])
def test_co_nit_with_or_without_dash_and_check_digit_share_a_key(value: str, scheme: str | None, country: str | None) -> None:
    assert normalize_tax_id_for_matching(value, scheme, country).key == "CO-NIT:860002964"


def test_co_nit_verification() -> None:
    assert normalize_tax_id_for_matching("860002964-4", "CO-NIT", None).verified
    bare = normalize_tax_id_for_matching("860002964", "CO-NIT", None)
    assert bare.valid and not bare.verified
    glued = normalize_tax_id_for_matching("8600029644", "CO-NIT", None)  # base and digit without the dash
    assert glued.alt_key == "CO-NIT:860002964" and not glued.verified


def test_invalid_check_digits_are_not_decisive() -> None:
    wrong = normalize_tax_id_for_matching("860002964-5", "CO-NIT", None)
    assert not wrong.valid and not wrong.verified
    ruc = normalize_tax_id_for_matching("20100070971", None, "PE")
    assert not ruc.valid and not ruc.verified
    good = normalize_tax_id_for_matching("20-10007097-0", None, "PE")
    assert good.key == "PE-RUC:20100070970" and good.verified


def test_scheme_from_country_and_other_schemes() -> None:
    assert normalize_tax_id_for_matching("1790012345001", None, "EC").key.startswith("EC-RUC:")
    assert normalize_tax_id_for_matching("1023456", None, "BO").key == "BO-NIT:1023456"
    assert normalize_tax_id_for_matching("CHE-123.456.789", None, "CH").key == "other:CHE123456789"
    assert normalize_tax_id_for_matching("  ", None, "PE").key is None


def test_scheme_guessed_when_record_names_no_country() -> None:
    assert normalize_tax_id_for_matching("20-10007097-0", None, None).key == "PE-RUC:20100070970"
    assert normalize_tax_id_for_matching("860.002.964-4", None, None).verified
    unknown = normalize_tax_id_for_matching("54106679", None, None)  # BO-NIT or a bare NIT: matches both, vetoes nothing
    assert (unknown.key, unknown.alt_key, unknown.valid) == ("BO-NIT:54106679", "CO-NIT:54106679", False)
