"""Which rows of the demo name the same party: the answer key for entity resolution.

Written as `.link_truth.csv` beside the tables (hidden: `filon validate` skips dot-files, so
the answer key is never reported as an unknown table), one row per name-bearing record: `record_key`, `source_table`,
`source_column`, `true_entity`. The generator knows the answer without matching anything:
actors are parties (`actor_id`); a watch-list entry carrying an actor's tax id lists that
actor (tax ids are drawn unique per actor); every other name was drawn by the global
`NameFactory`, which never gives one name to two parties, or is a hand-written planted name,
so a free-text name is the actor of that name when there is one, else a party of its own.
Reading only the generator's objects, it changes no other file of the package.
"""

from __future__ import annotations

from pathlib import Path

from filon.demo.model import Ctx
from filon.demo.writer import write_csv

LINK_TRUTH = ".link_truth.csv"
COLUMNS = ("record_key", "source_table", "source_column", "true_entity")
#: (table, key column, name column) of every free-text name the demo writes.
FREE_TEXT = (("exports", "declaration_id", "consignee_name"), ("imports", "record_id", "importer_name"),
             ("imports", "record_id", "exporter_name"), ("ownership", "record_id", "owner_name"),
             ("sanctions", "entry_id", "name"))


def link_truth_rows(ctx: Ctx) -> list[dict[str, object]]:
    by_name = {a.name: a.actor_id for a in ctx.actors.values()}
    by_tax_id = {a.tax_id: a.actor_id for a in ctx.actors.values() if getattr(a, "tax_id", "")}
    rows: list[dict[str, object]] = [{"record_key": a.actor_id, "source_table": "actors", "source_column": "name",
                                      "true_entity": a.actor_id} for a in ctx.actors.values()]
    for table, key, column in FREE_TEXT:
        for row in ctx.rows.get(table, []):
            name = str(row.get(column) or "").strip()
            if not name:
                continue
            tax_id = str(row.get("tax_id") or "")
            entity = by_tax_id.get(tax_id) or by_name.get(name) or f"NAME:{name}"
            rows.append({"record_key": row[key], "source_table": table, "source_column": column, "true_entity": entity})
    return rows


def write_link_truth(out_dir: Path, ctx: Ctx) -> int:
    rows = link_truth_rows(ctx)
    write_csv(out_dir / LINK_TRUTH, COLUMNS, rows)
    return len(rows)
