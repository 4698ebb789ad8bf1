"""Human titles for the regional typology codes of the data standard.

Kept as plain data so that a translator or an analyst can edit the wording
without touching code. Each title is "Short name: what the pattern means"; the
report uses the short name (before the colon) where space is tight, such as
chart labels, and the full title elsewhere.

Every code listed in "Regional typology codes" of the data standard
(version 0.1) must appear here; `tests/report` checks it.
"""

from __future__ import annotations

__all__ = ["SUBJECT_TYPES", "TYPOLOGY_TITLES", "typology_name", "typology_title"]

#: typology code -> "Short name: plain-language pattern".
TYPOLOGY_TITLES: dict[str, str] = {
    "export_without_supply": "Export without supply: exports more gold than it produced, bought or imported",
    "production_over_capacity": "Production over capacity: declares more than its capacity or scale allows",
    "inactive_right_production": "Inactive right production: output attributed to a suspended, expired or cancelled right",
    "national_export_exceeds_supply": "National exports exceed supply: a country exports more than it produces and imports",
    "mirror_trade_gap": "Mirror trade gap: partner's imports and the country's exports disagree",
    "undervaluation": "Undervaluation: declared value per fine kg far below the reference price",
    "overvaluation": "Overvaluation: declared value per fine kg far above the reference price",
    "content_misdeclaration": "Content misdeclaration: assays show metal the declaration does not",
    "new_exporter_surge": "New exporter surge: a newly created actor exports large volumes",
    "mass_balance_break": "Mass balance break: sells more than it bought and produced",
    "opaque_ownership": "Opaque ownership: control hidden behind layers, nominees or shells",
    "sanctioned_party": "Sanctioned party: the actor or its owner is on a sanctions or PEP list",
    "shared_controller": "Shared controller: one person controls many actors in the same supply chain",
    "unlicensed_disturbance": "Unlicensed disturbance: mining seen from space outside any active right",
    "protected_area_disturbance": "Protected area disturbance: mining seen inside a protected area or indigenous territory",
    "production_without_disturbance": "Production without disturbance: a right declares output where no mining is seen",
    "displacement": "Displacement: mining rises nearby after an enforcement operation",
    "input_overuse": "Input overuse: buys more mercury, cyanide or fuel than its output explains",
    "route_deviation": "Route deviation: a tracked shipment leaves its permitted route",
}

#: subject_type code -> plain word used in the report.
SUBJECT_TYPES: dict[str, str] = {
    "actor": "Actor",
    "right": "Mining right",
    "declaration": "Export declaration",
    "lot": "Lot",
    "country": "Country",
    "country_pair": "Country pair",
    "area": "Area",
    "asset": "Tracked asset",
}


def typology_title(code: object) -> str:
    """The full human title of a typology code; unknown codes are returned as given."""
    code = "" if code is None else str(code)
    return TYPOLOGY_TITLES.get(code, code or "(no typology)")


def typology_name(code: object) -> str:
    """The short name of a typology (the title before its colon)."""
    title = typology_title(code)
    if str(code) in TYPOLOGY_TITLES:
        return title.split(":", 1)[0]
    return title
