"""OpenSanctions FtM JSON lines -> `sanctions`, so listed parties can be screened (sanctioned_party).

The mapping lives in `filon.interchange.ftm_import`; this module only finds the files and writes
the table.
"""

from __future__ import annotations

from pathlib import Path

from filon.ingest.adapters import Adapter
from filon.ingest.adapters._package import write_table
from filon.ingest.adapters._read import source_files
from filon.interchange.ftm_import import convert_entities


def convert(source: Path, out_dir: Path) -> list[str]:
    """Convert one FtM file (or a folder of .json/.jsonl/.ftm files) into `sanctions.csv`."""
    rows, warnings, seen = [], [], set()
    for path in source_files(source, (".json", ".jsonl", ".ftm", ".ndjson")):
        found, notes = convert_entities(path)
        warnings += notes
        for row in found:
            if row["entry_id"] not in seen:  # the same entity in two files: first kept
                seen.add(row["entry_id"])
                rows.append(row)
    write_table(out_dir, "sanctions", rows)
    return warnings


ADAPTER = Adapter(
    name="opensanctions_ftm",
    title="OpenSanctions / FollowTheMoney JSON lines: sanctions, PEP and watch-list entries",
    description=(
        "Reads FollowTheMoney entities, one JSON object per line (OpenSanctions 'entities.ftm.json' or "
        "'targets.nested.json', or any FtM export), or a JSON array of them. Person, Company, Organization "
        "and LegalEntity entities become `sanctions` rows: entry_id = entity id, name = first name, kind, "
        "country (country, else nationality or jurisdiction), tax_id (taxNumber, vatCode or innCode); every "
        "alias and previous name adds a row `<id>#alias-<n>`. Sanction entities give list_name (program, else "
        "authority) and reason; otherwise list_name is the entity's datasets and reason its topics. Other "
        "schemata are counted and reported. Data: OpenSanctions, CC BY-NC 4.0 for non-commercial use."),
    tables=("sanctions",),
    convert=convert,
)
