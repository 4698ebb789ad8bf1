"""Write a region as FollowTheMoney entities (JSON lines), for Aleph, OpenSanctions tooling, yente...

Mapping (followthemoney 4.x schemata; every entity is built with `model.make_entity`, every value
added with cleaning, and every entity checked with `Schema.validate` before it is written):

- actors -> `Company` (company, cooperative with legalForm "cooperative"), `Person`, `Organization`
  (public_body), `LegalEntity` (kind not given); tax_id -> `taxNumber` and `registrationNumber`,
  country, incorporationDate, address, roles -> `sector`;
- ownership -> `Ownership` (owner, asset, percentage, startDate/endDate, ownershipType; role
  "nominee" / "beneficial owner"), control_kind director -> `Directorship`. An owner known only
  by `owner_name` becomes a `LegalEntity` of its own *per mention* (its id hashes the ownership
  record), because the same free-text name in two rows is not proof of one party. When the owned
  actor is not a kind of `Asset` (a person, a public body) the link is an `UnknownLink` with the role;
- mining_rights -> `License` (type = regime, status, area in ha, commodities, contractDate =
  granted_on; `authority`, which FtM requires, is the country's mining-rights registry as a
  `PublicBody`: INGEMMET, ANM, ARCERNNR, AJAM), with its holder as a `ContractAward` (supplier = holder, contract = licence),
  since `License` has no holder property;
- exports -> `EconomicActivity` (ccdNumber = declaration id, declarant and sender = exporter,
  departure/destination country, vedCode = HS code, goodsDescription, ccdValue = USD value,
  consignee name in `namesMentioned`).

Ids are `<dataset>-<sha1 of table and primary key>`: stable across runs, so re-exports update
rather than duplicate entities downstream.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from followthemoney import EntityProxy, model
from followthemoney.exc import InvalidData as FtMInvalidData

from filon.errors import InvalidData, UsageError

Query = Callable[[str], list[dict[str, Any]]]

_ACTOR_SCHEMA = {"company": "Company", "cooperative": "Company", "person": "Person", "public_body": "Organization"}
_OWNERSHIP_TYPE = {"shareholding": "shareholding", "voting": "voting rights", "beneficial": "beneficial ownership",
                   "nominee": "nominee shareholding"}
#: Who grants mining rights, by country: `License` requires an `authority`.
_AUTHORITY = {"PE": "Instituto Geologico, Minero y Metalurgico (INGEMMET)", "CO": "Agencia Nacional de Mineria (ANM)",
              "EC": "Agencia de Regulacion y Control de Energia y Recursos Naturales No Renovables (ARCERNNR)",
              "BO": "Autoridad Jurisdiccional Administrativa Minera (AJAM)"}
_ROLE = {"nominee": "nominee", "beneficial": "beneficial owner", "director": "director"}


def entity_id(dataset: str, table: str, key: str) -> str:
    """Stable id: the dataset prefix and a hash of the source table and primary key."""
    digest = hashlib.sha1(f"{table}\x1f{key}".encode()).hexdigest()
    return f"{dataset}-{digest[:24]}"


class Exporter:
    """Builds entities one table at a time, counting values FtM's cleaning rejected."""

    def __init__(self, dataset: str) -> None:
        self.dataset = dataset
        self.dropped: Counter[str] = Counter()
        self.actor_schema: dict[str, str] = {}

    def make(self, schema: str, table: str, key: str) -> EntityProxy:
        proxy = model.make_entity(schema)
        proxy.id = entity_id(self.dataset, table, key)
        return proxy

    def add(self, proxy: EntityProxy, prop: str, value: Any, where: str) -> None:
        """Add a cleaned value; a non-empty value that FtM rejects is counted under table.column."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return
        value = value.isoformat() if hasattr(value, "isoformat") else value
        if isinstance(value, float):
            value = format(value, "f").rstrip("0").rstrip(".")
        before = len(proxy.get(prop))
        proxy.add(prop, value)
        if len(proxy.get(prop)) == before and str(value) not in proxy.get(prop):
            self.dropped[where] += 1

    def actors(self, rows: list[dict[str, Any]]) -> Iterator[EntityProxy]:
        for r in rows:
            schema = _ACTOR_SCHEMA.get(r["kind"] or "", "LegalEntity")
            self.actor_schema[r["actor_id"]] = schema
            e = self.make(schema, "actors", r["actor_id"])
            self.add(e, "name", r["name"], "actors.name")
            self.add(e, "country", r["country"], "actors.country")
            for prop in ("taxNumber", "registrationNumber"):
                self.add(e, prop, r["tax_id"], "actors.tax_id")
            self.add(e, "incorporationDate", r["incorporation_date"], "actors.incorporation_date")
            self.add(e, "address", r["address"], "actors.address")
            if r["kind"] == "cooperative":
                self.add(e, "legalForm", "cooperative", "actors.kind")
            for role in (r["roles"] or "").split(";"):
                self.add(e, "sector", role.strip(), "actors.roles")
            yield e

    def ownership(self, rows: list[dict[str, Any]]) -> Iterator[EntityProxy]:
        for r in rows:
            subject = entity_id(self.dataset, "actors", r["subject_id"])
            if r["owner_id"]:
                owner = entity_id(self.dataset, "actors", r["owner_id"])
            else:
                named = self.make("LegalEntity", "ownership.owner_name", r["record_id"])
                self.add(named, "name", r["owner_name"], "ownership.owner_name")
                owner = named.id
                yield named
            kind = r["control_kind"]
            subject_schema = model.get(self.actor_schema.get(r["subject_id"], "LegalEntity"))
            if kind == "director" and subject_schema.is_a("Organization"):
                link = self.make("Directorship", "ownership", r["record_id"])
                self.add(link, "director", owner, "ownership.owner_id")
                self.add(link, "organization", subject, "ownership.subject_id")
            elif kind != "director" and subject_schema.is_a("Asset"):
                link = self.make("Ownership", "ownership", r["record_id"])
                self.add(link, "owner", owner, "ownership.owner_id")
                self.add(link, "asset", subject, "ownership.subject_id")
                self.add(link, "percentage", r["share_pct"], "ownership.share_pct")
                self.add(link, "ownershipType", _OWNERSHIP_TYPE.get(kind or ""), "ownership.control_kind")
            else:
                link = self.make("UnknownLink", "ownership", r["record_id"])
                self.add(link, "subject", owner, "ownership.owner_id")
                self.add(link, "object", subject, "ownership.subject_id")
                self.add(link, "role", kind or "owner", "ownership.control_kind")
            self.add(link, "role", _ROLE.get(kind or ""), "ownership.control_kind")
            self.add(link, "startDate", r["start_date"], "ownership.start_date")
            self.add(link, "endDate", r["end_date"], "ownership.end_date")
            self.add(link, "recordId", r["record_id"], "ownership.record_id")
            yield link

    def rights(self, rows: list[dict[str, Any]]) -> Iterator[EntityProxy]:
        authorities: set[str] = set()
        for r in rows:
            country = (r["country"] or "").upper()
            authority = entity_id(self.dataset, "mining_rights.authority", country)
            if country not in authorities:
                authorities.add(country)
                body = self.make("PublicBody", "mining_rights.authority", country)
                self.add(body, "name", _AUTHORITY.get(country, f"Mining rights authority of {country or 'unknown country'}"),
                         "mining_rights.country")
                self.add(body, "country", country, "mining_rights.country")
                yield body
            lic = self.make("License", "mining_rights", r["right_id"])
            self.add(lic, "authority", authority, "mining_rights.country")
            self.add(lic, "name", f"Mining right {r['right_id']}", "mining_rights.right_id")
            self.add(lic, "country", r["country"], "mining_rights.country")
            self.add(lic, "type", r["regime"], "mining_rights.regime")
            self.add(lic, "status", r["status"], "mining_rights.status")
            self.add(lic, "area", r["area_ha"], "mining_rights.area_ha")
            self.add(lic, "contractDate", r["granted_on"], "mining_rights.granted_on")
            self.add(lic, "classification", r["scale"], "mining_rights.scale")
            for c in (r["commodities"] or "").split(";"):
                self.add(lic, "commodities", c.strip(), "mining_rights.commodities")
            self.add(lic, "description", f"Expires on {r['expires_on']}" if r["expires_on"] else None,
                     "mining_rights.expires_on")
            yield lic
            if r["holder_id"]:
                award = self.make("ContractAward", "mining_rights.holder", r["right_id"])
                self.add(award, "supplier", entity_id(self.dataset, "actors", r["holder_id"]), "mining_rights.holder_id")
                self.add(award, "contract", lic.id, "mining_rights.right_id")
                self.add(award, "role", "licence holder", "mining_rights.holder_id")
                self.add(award, "startDate", r["granted_on"], "mining_rights.granted_on")
                self.add(award, "endDate", r["expires_on"], "mining_rights.expires_on")
                yield award

    def exports(self, rows: list[dict[str, Any]]) -> Iterator[EntityProxy]:
        for r in rows:
            act = self.make("EconomicActivity", "exports", r["declaration_id"])
            exporter = entity_id(self.dataset, "actors", r["exporter_id"]) if r["exporter_id"] else None
            self.add(act, "ccdNumber", r["declaration_id"], "exports.declaration_id")
            self.add(act, "date", r["date"], "exports.date")
            self.add(act, "declarant", exporter, "exports.exporter_id")
            self.add(act, "sender", exporter, "exports.exporter_id")
            self.add(act, "directionOfTransportation", "export", "exports")
            self.add(act, "departureCountry", r["country"], "exports.country")
            self.add(act, "destinationCountry", r["destination_country"], "exports.destination_country")
            self.add(act, "vedCode", r["hs_code"], "exports.hs_code")
            self.add(act, "goodsDescription", r["description"], "exports.description")
            self.add(act, "ccdValue", r["value_usd"], "exports.value_usd")
            self.add(act, "namesMentioned", r["consignee_name"], "exports.consignee_name")
            mass = [f"{k} {r[c]:g} kg" for k, c in (("gross", "gross_mass_kg"), ("net", "net_mass_kg"),
                                                    ("fine", "fine_mass_kg")) if r[c] is not None]
            summary = ", ".join(x for x in (r["commodity"], r["product"], *mass, "value in USD") if x)
            self.add(act, "summary", summary, "exports")
            yield act


def checked(proxy: EntityProxy) -> EntityProxy:
    """The entity, if FtM accepts it: `Schema.validate` (values valid for their types) plus the
    schema's required properties, which `validate` only checks when present but empty. A failure
    here is a bug in the mapping, not in the analyst's data."""
    try:
        proxy.schema.validate(proxy.to_dict())
    except FtMInvalidData as err:
        raise InvalidData(f"FollowTheMoney rejected {proxy.schema.name} {proxy.id}: {err}",
                          fix="report this as a bug in filon's FtM export") from None
    missing = [name for name in proxy.schema.required if not proxy.get(name)]
    if missing or not proxy.id:
        raise InvalidData(f"FollowTheMoney {proxy.schema.name} {proxy.id} lacks required {', '.join(missing) or 'id'}",
                          fix="report this as a bug in filon's FtM export")
    return proxy


def export_entities(query: Query, out: Path, dataset: str = "filon") -> dict[str, Any]:
    """Write every actor, link, licence and export declaration as FtM JSON lines; return counts and
    the values FtM could not accept (e.g. a country code it does not know), by table.column."""
    if not dataset or not all(c.isalnum() or c in "_-" for c in dataset):
        raise UsageError(f"dataset prefix {dataset!r} must be letters, digits, '-' or '_' (e.g. filon_pe_2024)")
    ex = Exporter(dataset)
    counts: Counter[str] = Counter()
    batches = (
        lambda: ex.actors(query("SELECT * FROM actors ORDER BY actor_id")),
        lambda: ex.ownership(query("SELECT * FROM ownership ORDER BY record_id")),
        lambda: ex.rights(query("SELECT * FROM mining_rights ORDER BY right_id")),
        lambda: ex.exports(query("SELECT * FROM exports ORDER BY declaration_id")),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for batch in batches:
            for proxy in batch():
                fh.write(json.dumps(checked(proxy).to_dict(), ensure_ascii=False, sort_keys=True) + "\n")
                counts[proxy.schema.name] += 1
    return {"entities": dict(sorted(counts.items())), "dropped_values": dict(sorted(ex.dropped.items()))}
