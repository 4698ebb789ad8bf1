"""OpenSanctions (FollowTheMoney JSON lines) -> rows of the standard's `sanctions` table.

OpenSanctions publishes one entity per line: `{"id", "schema", "properties", "datasets", ...}`.
Person, Company, Organization and LegalEntity entities become list entries; each alias
(`alias`, `previousName`) becomes one more row `<id>#alias-<n>` so screening sees every name the
party is known by. Sanction entities (separate lines, or nested under `sanctions` in the
"targets.nested" export) give the entry its `list_name` (program, else authority) and `reason`;
without one, the list is named from `datasets` and the reason from `topics` (e.g. role.pep).

Bad input is never skipped in silence: a line that is not JSON, or not an entity, stops the
conversion with its line number; entities of other schemata (Vessel, Address, Ownership...)
are counted by schema and reported as warnings.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from filon.errors import InvalidData

PARTY_SCHEMATA = {"Person": "person", "Company": "company", "Organization": "organization", "LegalEntity": ""}
_MAX_NAME = 1000


def read_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for a JSON lines file, or for a JSON array (numbered by position).

    Raises InvalidData naming the file and line of a line that is not a JSON object."""
    path = Path(path)
    try:
        head = path.read_bytes()[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError as err:
        raise InvalidData(f"cannot read the file ({err.strerror})", file=str(path)) from None
    if head.startswith(b"["):
        try:
            items = json.loads(path.read_text(encoding="utf-8-sig"))
        except UnicodeDecodeError as err:
            raise InvalidData(f"not UTF-8 text (byte {err.start})", file=str(path),
                              fix="export the file as UTF-8 JSON") from None
        except json.JSONDecodeError as err:
            raise InvalidData(f"not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}", file=str(path),
                              row=err.lineno, fix="check the file is complete (not truncated) and valid JSON") from None
        for n, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                raise InvalidData(f"item {n} of the JSON array is not an object", file=str(path))
            yield n, item
        return
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                item = json.loads(raw.decode("utf-8-sig" if n == 1 else "utf-8"))
            except UnicodeDecodeError as err:
                raise InvalidData(f"not UTF-8 text (byte {err.start} of the line)", file=str(path), row=n,
                                  fix="save the file as UTF-8 JSON lines") from None
            except json.JSONDecodeError as err:
                raise InvalidData(f"line is not valid JSON ({err.msg}, column {err.colno})", file=str(path), row=n,
                                  value=raw[:80].decode("utf-8", "replace"),
                                  fix="each line must hold one complete JSON object; a truncated download "
                                      "breaks the last line, so download the file again") from None
            if not isinstance(item, dict):
                raise InvalidData("line holds JSON but not an object", file=str(path), row=n,
                                  fix="each line must be one entity object {\"id\": ..., \"schema\": ...}")
            yield n, item


def _values(props: dict[str, Any], *names: str) -> list[str]:
    out: list[str] = []
    for name in names:
        value = props.get(name) or []
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, str) and v.strip() and v.strip() not in out:
                out.append(v.strip()[:_MAX_NAME])
    return out


def _country(props: dict[str, Any]) -> str | None:
    for code in _values(props, "country", "nationality", "jurisdiction", "citizenship"):
        if re.fullmatch(r"[A-Za-z]{2}", code):
            return code.upper()
    return None


def convert_entities(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """`sanctions` rows and warnings from one OpenSanctions FtM file."""
    parties: dict[str, tuple[int, dict[str, Any]]] = {}
    sanctions: dict[str, list[dict[str, Any]]] = {}
    other: Counter[str] = Counter()
    for n, entity in read_records(path):
        if not isinstance(entity.get("id"), str) or not isinstance(entity.get("schema"), str) \
                or not isinstance(entity.get("properties", {}), dict):
            raise InvalidData("not an FtM entity: needs a string 'id', a string 'schema' and a 'properties' object",
                              file=str(path), row=n, fix="give OpenSanctions' FtM JSON lines export (entities.ftm.json)")
        schema, props = entity["schema"], entity.get("properties") or {}
        if schema == "Sanction":
            for target in _values(props, "entity"):
                sanctions.setdefault(target, []).append(props)
        elif schema in PARTY_SCHEMATA:
            parties[entity["id"]] = (n, entity)
            for nested in props.get("sanctions") or []:  # the "targets.nested" export
                if isinstance(nested, dict) and nested.get("schema") == "Sanction":
                    sanctions.setdefault(entity["id"], []).append(nested.get("properties") or {})
        else:
            other[schema] += 1
    rows: list[dict[str, Any]] = []
    nameless = 0
    for entity_id, (n, entity) in parties.items():
        props = entity.get("properties") or {}
        names = _values(props, "name") or ([entity["caption"]] if isinstance(entity.get("caption"), str) else [])
        if not names:
            nameless += 1
            continue
        listings = sanctions.get(entity_id, [])
        programs = [v for s in listings for v in _values(s, "program", "authority")[:1]]
        reasons = [v for s in listings for v in _values(s, "reason", "provisions")[:1]]
        datasets = [d for d in entity.get("datasets") or [] if isinstance(d, str)]
        topics = _values(props, "topics")
        base = {"kind": PARTY_SCHEMATA[entity["schema"]] or None, "country": _country(props),
                "tax_id": next(iter(_values(props, "taxNumber", "vatCode", "innCode")), None),
                "list_name": "; ".join(dict.fromkeys(programs or datasets)) or "OpenSanctions",
                "reason": "; ".join(dict.fromkeys(reasons)) or ("topics: " + ", ".join(topics) if topics else None)}
        aliases = [a for a in _values(props, "alias", "previousName") if a not in names[:1]]
        for i, name in enumerate(names[:1] + names[1:] + aliases):
            rows.append({"entry_id": entity_id if i == 0 else f"{entity_id}#alias-{i}", "name": name, **base})
    warnings = [f"{path.name}: {count} {schema} entit{'y' if count == 1 else 'ies'} left out: only Person, Company, "
                f"Organization, LegalEntity and Sanction entities are read for screening"
                for schema, count in sorted(other.items())]
    if nameless:
        warnings.append(f"{path.name}: {nameless} entit{'y' if nameless == 1 else 'ies'} without any name left out")
    orphans = len(set(sanctions) - set(parties))
    if orphans:
        warnings.append(f"{path.name}: {orphans} Sanction entit{'y' if orphans == 1 else 'ies'} name an entity that "
                        "is not in the file; give the full export (entities.ftm.json), not a filtered one")
    return rows, warnings
