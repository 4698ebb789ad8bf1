"""Ownership cases added to the valid fixture package, shared by the graph, detector and CLI tests."""

from __future__ import annotations

from pathlib import Path

OWNERSHIP_HEADER = "record_id,subject_id,owner_id,owner_name,share_pct,control_kind,start_date,end_date\n"


def add_actors(package: Path, *rows: tuple[str, str, str, str, str, str]) -> None:
    """(actor_id, country, name, kind, incorporation_date, roles) rows."""
    with (package / "actors.csv").open("a", encoding="utf-8") as fh:
        for actor_id, country, name, kind, inc, roles in rows:
            fh.write(f'{actor_id},{country},"{name}",{kind},,,{inc},,,{roles}\n')


def add_links(package: Path, *rows: tuple) -> None:
    """(record_id, subject_id, owner_id, owner_name, share_pct, control_kind, start_date) rows."""
    path = package / "ownership.csv"
    new = not path.exists()
    with path.open("a", encoding="utf-8") as fh:
        if new:
            fh.write(OWNERSHIP_HEADER)
        for record_id, subject, owner_id, owner_name, share, kind, start in rows:
            fh.write(f'{record_id},{subject},{owner_id},"{owner_name}",{"" if share is None else share},{kind},{start},\n')


def add_trades(package: Path, *rows: tuple[str, str, str, float]) -> None:
    """(record_id, seller_id, buyer_id, value_usd) rows of 1 kg fine dore in Peru."""
    with (package / "trades.csv").open("a", encoding="utf-8") as fh:
        for record_id, seller, buyer, value in rows:
            fh.write(f"{record_id},PE,2024-03-10,{seller},{buyer},Au,dore,1.2,1.0,{value},,,\n")


def offshore_layers(package: Path) -> None:
    """PE-A003 (trader, exporter) bought by a two-month-old holding, held by a BVI company with a nominee."""
    add_actors(package, ("PE-H001", "PE", "Inversiones Amaru S.A.C.", "company", "2023-09-01", ""),
               ("VG-H001", "VG", "Northstar Holdings Ltd.", "company", "2010-04-01", ""))
    add_links(package, ("OW-1", "PE-A003", "PE-H001", "", 100, "shareholding", "2023-11-02"),
              ("OW-2", "PE-H001", "VG-H001", "", 100, "shareholding", "2023-09-01"),
              ("OW-3", "VG-H001", "", "Alpha Nominees Ltd.", 100, "nominee", "2010-04-01"))

