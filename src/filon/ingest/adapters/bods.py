"""Beneficial Ownership Data Standard 0.4 statements -> `actors` + `ownership`.

BODS 0.4 publishes records (entity, person, relationship) as statements, in a JSON array or as
JSON lines. The latest statement of each record wins (by statementDate, then file order); a
record whose latest status is `closed` is kept with its interests ended (end_date = statement date
when the interest has none).

- entity -> actor: kind company (public_body for a stateBody); tax_id from an identifier whose
  scheme is an Andean tax register (PE-SUNAT/PE-RUC, CO-DIAN/CO-NIT, EC-SRI/EC-RUC, BO-SIN/BO-NIT),
  else the first identifier with scheme `other`; country = jurisdiction, else address country.
- person -> actor, kind person; country = first nationality, else address or tax residency.
- relationship -> one ownership row per interest, `<recordId>#<n>`: shareholding -> shareholding,
  votingRights -> voting, board appointments and senior officials -> director, nominee ->
  nominee, everything else (trusts, settlors, other influence or control) -> beneficial.
  The standard has one `share_pct`: an exact share goes there; a range (minimum / maximum,
  exclusive or not) goes to the extra columns `share_min_pct` / `share_max_pct`, which the
  standard keeps as extra columns, and is spelled out in the extra column `interest_note`
  together with interest type, direct/indirect, beneficialOwnershipOrControl and any
  unspecified-party reason, so nothing BODS states is lost.
- an interested party given only as an unspecified record (`{"reason": ...}`, BODS' declared
  unknown owner) becomes `owner_name` "[unspecified: <reason>]" with the reason and description in
  the note: the declaration is a red flag and must stay visible, but no person is invented.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from filon.errors import InvalidData
from filon.ingest.adapters import Adapter
from filon.ingest.adapters._package import write_table
from filon.ingest.adapters._read import source_files
from filon.interchange.ftm_import import read_records

EXTRA_OWNERSHIP = ("share_min_pct", "share_max_pct", "interest_note")
_TAX_SCHEMES = {"PE-SUNAT": "PE-RUC", "PE-RUC": "PE-RUC", "CO-DIAN": "CO-NIT", "CO-NIT": "CO-NIT",
                "CO-RUES": "CO-NIT", "EC-SRI": "EC-RUC", "EC-RUC": "EC-RUC", "BO-SIN": "BO-NIT", "BO-NIT": "BO-NIT"}
_CONTROL = {"shareholding": "shareholding", "votingRights": "voting", "appointmentOfBoard": "director",
            "boardMember": "director", "boardChair": "director", "seniorManagingOfficial": "director",
            "nominee": "nominee", "nominator": "beneficial"}
_RECORD_TYPES = ("entity", "person", "relationship")


def _country(*candidates: Any) -> str:
    for c in candidates:
        code = c.get("code") if isinstance(c, dict) else None
        if isinstance(code, str) and len(code.strip()) == 2 and code.strip().isalpha():
            return code.strip().upper()
    return ""


def _first(items: Any) -> dict:
    return items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}


def _tax(identifiers: Any) -> tuple[str, str]:
    ids = [i for i in identifiers or [] if isinstance(i, dict) and i.get("id")]
    for i in ids:
        scheme = _TAX_SCHEMES.get(str(i.get("scheme", "")).upper())
        if scheme:
            return str(i["id"]), scheme
    return (str(ids[0]["id"]), "other") if ids else ("", "")


def _person_name(details: dict) -> str:
    names = [n for n in details.get("names") or [] if isinstance(n, dict)]
    legal = [n for n in names if n.get("type") == "legal"] or names
    for n in legal:
        full = n.get("fullName") or " ".join(p for p in (n.get("givenName"), n.get("familyName")) if p)
        if full:
            return str(full)
    return ""


def _number(where: str, key: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
        raise InvalidData(f"share.{key} must be a number from 0 to 100", file=where, value=str(value),
                          fix="BODS gives shares in percent, e.g. {\"exact\": 75} or {\"minimum\": 25, \"maximum\": 50}")
    return float(value)


class Converter:
    def __init__(self) -> None:
        self.latest: dict[str, tuple[str, int, dict]] = {}  # recordId -> (statementDate, order, statement)
        self.order = 0
        self.ignored: Counter[str] = Counter()
        self.warnings: list[str] = []

    def add(self, path: Path, line: int, st: dict) -> None:
        rtype = st.get("recordType")
        if rtype not in _RECORD_TYPES:
            legacy = st.get("statementType")
            raise InvalidData(
                f"not a BODS 0.4 statement: recordType is {rtype!r}" + (
                    f" and statementType {legacy!r} is BODS 0.2/0.3" if legacy else ""),
                file=str(path), row=line,
                fix="give BODS 0.4 statements (recordType entity, person or relationship); convert 0.3 data with "
                    "the lib-cove-bods upgrade tool first")
        details = st.get("recordDetails")
        record_id = st.get("recordId") or st.get("statementId")
        if not isinstance(details, dict) or not isinstance(record_id, str):
            raise InvalidData("statement has no recordDetails object or no recordId", file=str(path), row=line,
                              fix="every BODS 0.4 statement needs recordId, recordType and recordDetails")
        self.order += 1
        key = (str(st.get("statementDate") or ""), self.order)
        if record_id not in self.latest or key > self.latest[record_id][:2]:
            self.latest[record_id] = (*key, {**st, "_where": f"{path.name} line {line}"})

    def actors(self) -> list[dict[str, Any]]:
        rows = []
        for record_id, (_, _, st) in self.latest.items():
            d = st["recordDetails"]
            if st["recordType"] == "entity":
                tax_id, scheme = _tax(d.get("identifiers"))
                etype = (d.get("entityType") or {}).get("type") if isinstance(d.get("entityType"), dict) else None
                rows.append({"actor_id": record_id, "name": d.get("name") or f"[unnamed {etype or 'entity'}]",
                             "country": _country(d.get("jurisdiction"), _first(d.get("addresses")).get("country")),
                             "kind": "public_body" if etype == "stateBody" else "company", "tax_id": tax_id or None,
                             "tax_id_scheme": scheme or None, "incorporation_date": d.get("foundingDate"),
                             "address": _first(d.get("addresses")).get("address")})
            elif st["recordType"] == "person":
                tax_id, scheme = _tax(d.get("identifiers"))
                rows.append({"actor_id": record_id, "name": _person_name(d) or f"[unnamed {d.get('personType', 'person')}]",
                             "country": _country(*(d.get("nationalities") or []),
                                                 _first(d.get("addresses")).get("country"),
                                                 *(d.get("taxResidencies") or [])),
                             "kind": "person", "tax_id": tax_id or None, "tax_id_scheme": scheme or None,
                             "address": _first(d.get("addresses")).get("address")})
        return rows

    def ownership(self, actors: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        rows = []
        for record_id, (date, _, st) in self.latest.items():
            if st["recordType"] != "relationship":
                continue
            d, where = st["recordDetails"], st["_where"]
            subject, party = d.get("subject"), d.get("interestedParty")
            if not isinstance(subject, str) or subject not in actors:
                raise InvalidData(f"relationship {record_id} names subject {subject!r}, which is no entity or person "
                                  "record of the file", file=where, fix="include the subject's entity statement")
            owner_id = party if isinstance(party, str) else None
            owner_name, unspecified = None, ""
            if owner_id and owner_id not in actors:
                raise InvalidData(f"relationship {record_id} names interested party {owner_id!r}, which is no entity "
                                  "or person record of the file", file=where,
                                  fix="include the interested party's statement")
            if isinstance(party, dict):  # an unspecified party: BODS' declared-unknown owner
                reason = str(party.get("reason") or "unknown")
                owner_name = f"[unspecified: {reason}]"
                unspecified = f"unspecified interested party: {reason}" + (
                    f" ({party['description']})" if party.get("description") else "")
            if not owner_id and not owner_name:
                raise InvalidData(f"relationship {record_id} has no interestedParty", file=where,
                                  fix="give the interested party's recordId, or an object with a reason")
            interests = [i for i in d.get("interests") or [] if isinstance(i, dict)] or [{}]
            closed = st.get("recordStatus") == "closed"
            for n, interest in enumerate(interests, start=1):
                rows.append(self._interest_row(record_id, n, subject, owner_id, owner_name, interest, where,
                                               closed and date or None, unspecified))
        return rows

    def _interest_row(self, record_id: str, n: int, subject: str, owner_id: str | None, owner_name: str | None,
                      interest: dict, where: str, closed_on: str | None, unspecified: str) -> dict[str, Any]:
        share = interest.get("share") if isinstance(interest.get("share"), dict) else {}
        exact = _number(where, "exact", share.get("exact"))
        low_key = "exclusiveMinimum" if share.get("exclusiveMinimum") is not None else "minimum"
        high_key = "exclusiveMaximum" if share.get("exclusiveMaximum") is not None else "maximum"
        low, high = _number(where, low_key, share.get(low_key)), _number(where, high_key, share.get(high_key))
        if low is not None and high is not None and low > high:
            raise InvalidData(f"share range of relationship {record_id} runs from {low:g} down to {high:g}",
                              file=where, fix="minimum must not exceed maximum")
        itype = str(interest.get("type") or "unknownInterest")
        note = [f"type={itype}"]
        for key in ("directOrIndirect", "beneficialOwnershipOrControl", "details"):
            if interest.get(key) is not None:
                value = interest[key]
                note.append(f"{key}={str(value).lower() if isinstance(value, bool) else value}")
        if exact is None and (low is not None or high is not None):
            bounds = [f"{'>' if low_key.startswith('exclusive') else '>='} {low:g} %" if low is not None else "",
                      f"{'<' if high_key.startswith('exclusive') else '<='} {high:g} %" if high is not None else ""]
            note.append("share " + " and ".join(b for b in bounds if b))
        if unspecified:
            note.append(unspecified)
        end = interest.get("endDate") or closed_on
        if closed_on and not interest.get("endDate"):
            note.append(f"record closed on {closed_on}")
        return {"record_id": f"{record_id}#{n}", "subject_id": subject, "owner_id": owner_id, "owner_name": owner_name,
                "share_pct": exact, "share_min_pct": low if exact is None else None,
                "share_max_pct": high if exact is None else None,
                "control_kind": _CONTROL.get(itype, "beneficial"), "start_date": interest.get("startDate"),
                "end_date": end, "interest_note": "; ".join(note)}


def convert(source: Path, out_dir: Path) -> list[str]:
    """Convert BODS 0.4 JSON / JSON lines (a file or a folder of them) into actors and ownership."""
    conv = Converter()
    for path in source_files(source, (".json", ".jsonl", ".ndjson")):
        for line, statement in read_records(path):
            conv.add(path, line, statement)
    actor_rows = conv.actors()
    actors = {a["actor_id"]: a for a in actor_rows}
    ownership = conv.ownership(actors)
    warnings = conv.warnings
    missing = [a["actor_id"] for a in actor_rows if not a["country"]]
    if missing:
        warnings.append(f"{len(missing)} party(ies) without jurisdiction, nationality or address country "
                        f"(e.g. {', '.join(missing[:3])}); validation will ask for actors.country")
    unspecified = sum(1 for o in ownership if o["owner_name"])
    if unspecified:
        warnings.append(f"{unspecified} interest(s) with a declared-unknown interested party, kept as owner_name "
                        "'[unspecified: <reason>]'")
    write_table(out_dir, "actors", actor_rows)
    write_table(out_dir, "ownership", ownership, extra_columns=EXTRA_OWNERSHIP)
    return warnings


ADAPTER = Adapter(
    name="bods",
    title="Beneficial Ownership Data Standard 0.4 (JSON or JSON lines): owners and controllers",
    description=(
        "Reads BODS 0.4 statements (recordType entity, person, relationship; JSON array or JSON lines). "
        "Entities and persons become `actors` (kind company / public_body / person; Andean tax registers in "
        "identifiers become tax_id with their scheme), relationships become one `ownership` row per interest: "
        "shareholding, voting, director (board and senior officials), nominee, or beneficial (trusts and any "
        "other control). Exact shares go to share_pct; ranges to the extra columns share_min_pct and "
        "share_max_pct; interest type, direct/indirect, beneficial flag and exclusive bounds to interest_note. "
        "A declared-unknown owner is kept as owner_name '[unspecified: <reason>]'. Latest statement per record "
        "wins; closed records end their interests. BODS 0.2/0.3 statements are refused with a clear error."),
    tables=("actors", "ownership"),
    convert=convert,
)
