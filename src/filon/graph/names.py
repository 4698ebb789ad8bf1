"""Stable node ids for owners known only by name, and whether a name is an organisation's.

Registries often give a shareholder as free text ("ATLANTIC NOMINEE SERVICES LTD."). Such an
owner still needs a node: its id is derived from the normalised name, so the same name in two
rows (or two runs) is the same node, and never collides with an actor id (prefix `name:`).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rigour.names import extract_org_types

#: Words that mark an organisation but are not legal-form suffixes (rigour knows the suffixes:
#: LTD., S.A., S.A.S., LLC...). Foundations and trusts are the classic ownerless vehicles.
ORGANISATION_WORDS = frozenset({
    "FUNDACION", "FOUNDATION", "STIFTUNG", "TRUST", "FIDEICOMISO", "FIDUCIARIA", "HOLDING", "HOLDINGS",
    "INVERSIONES", "INVESTMENTS", "CORPORACION", "CORPORATION", "COMPANY", "SOCIEDAD", "EMPRESA",
    "COMPANIA", "NOMINEE", "NOMINEES", "SERVICES", "SERVICIOS", "GROUP", "GRUPO", "EIRL", "SAC", "SRL",
    "CIA", "ANSTALT", "ESTABLISHMENT", "PARTNERS", "CAPITAL", "FUND", "FONDO", "COOPERATIVA",
})


def normalise_name(name: str) -> str:
    """Upper case, accents and punctuation removed, spaces collapsed: 'Fundación  Los-Alisios' → 'FUNDACION LOS ALISIOS'."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return " ".join(re.sub(r"[^A-Za-z0-9]+", " ", plain).upper().split())


def name_node_id(name: str) -> str:
    """The id of an owner known only by name."""
    return "name:" + normalise_name(name).replace(" ", "-")


@lru_cache(maxsize=65536)
def looks_like_organisation(name: str) -> bool:
    """True when a free-text owner name carries a legal form or an organisation word. Cached: a
    name-only owner is asked about by every structure it sits in, and rigour's parse is slow."""
    if extract_org_types(name):
        return True
    words = set(normalise_name(name.replace(".", "")).split())  # "E.I.R.L." reads as EIRL
    return bool(words & ORGANISATION_WORDS)
