"""`filon link`: resolve the parties named across registries, declarations and lists into entities."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from filon.cli.console import console
from filon.errors import UsageError


def link(
    sources: list[Path] = typer.Argument(..., help="Workspace (from 'filon ingest') or a package folder; with "
                                                  "--privacy, two or more folders written by --encode-only."),
    out: Path = typer.Option(Path("filon-entities"), "--out", "-o",
                             help="Folder for entities.csv, review.csv and model.json."),
    decisions: Path = typer.Option(None, "--decisions", "-d",
                                   help="CSV of analyst decisions (record_key_l,record_key_r,decision = accept or "
                                        "reject); kept in the workspace and re-applied on every later run."),
    params: Path = typer.Option(None, "--params", "-p",
                                help="YAML file changing the 'link' thresholds for this run (see 'filon params link')."),
    mode: str = typer.Option("auto", "--mode", "-m",
                             help="auto (link only new records when an earlier run exists), full, or incremental."),
    engine: str = typer.Option("duckdb", "--engine", "-e", help="duckdb (the only engine linking supports so far)."),
    encode_only: bool = typer.Option(False, "--encode-only",
                                     help="Write keyed Bloom-filter encodings of the names and tax ids (no clear "
                                          "text) to OUT, for privacy-preserving linkage by another party."),
    secret_file: Path = typer.Option(None, "--secret-file",
                                     help="File holding the secret shared by the countries (with --encode-only)."),
    privacy: bool = typer.Option(False, "--privacy",
                                 help="Link encodings made with --encode-only (one folder per party); writes "
                                      "OUT/entities.csv. See docs/link-privacy.md."),
) -> None:
    """Resolve every actor and every name in exports, imports, ownership and sanctions into entities;
    write OUT/entities.csv, OUT/review.csv (pairs for an analyst to decide) and OUT/model.json."""
    if engine != "duckdb":
        raise UsageError(f"linking runs on duckdb only for now, not {engine!r}; drop --engine or use --engine duckdb")
    if encode_only or privacy:
        _privacy(sources, out, secret_file, params, encode_only)
        return
    if len(sources) != 1:
        raise UsageError("give one workspace or package folder (several folders only with --privacy)")
    source = sources[0]
    from filon.link import link_source  # Splink is imported only when linking
    with console.status("linking…") as status:
        result = link_source(source, out, decisions=decisions, params=params, mode=mode,
                             progress=lambda m: status.update(escape(m)))
    console.print(f"{result.records:,} record(s) ({result.signatures:,} distinct names) resolved into "
                  f"{result.entities:,} entities in {result.seconds:.1f} s ({result.mode} run); "
                  f"{result.linked_records:,} record(s) share an entity with another.")
    if result.vetoed_pairs:
        console.print(f"{result.vetoed_pairs:,} similar-name pair(s) kept apart: different valid tax ids.")
    for note in result.notes:
        console.print(f"  {escape(note)}")
    console.print(f"Entities: [bold]{escape(str((out / 'entities.csv').resolve()))}[/]")
    if result.review_pairs:
        console.print(f"{result.review_pairs:,} uncertain pair(s) to review: [bold]"
                      f"{escape(str((out / 'review.csv').resolve()))}[/]. Decide them in a CSV "
                      "(record_key_l,record_key_r,decision) and pass it with --decisions.")


def _privacy(sources: list[Path], out: Path, secret_file: Path | None, params: Path | None, encode_only: bool) -> None:
    from filon.link.privacy import encode_source, link_encoded_folders

    if encode_only:
        if len(sources) != 1 or secret_file is None:
            raise UsageError("--encode-only encodes one workspace or package folder and needs --secret-file")
        n = encode_source(sources[0], secret_file, out, params)
        console.print(f"{n:,} record(s) encoded (no clear names or tax ids): [bold]{escape(str(out.resolve()))}[/]")
        return
    result = link_encoded_folders(sources, out, params)
    console.print(f"{len(result.entity_of):,} encoded record(s) linked into {len(set(result.entity_of.values())):,} "
                  f"entities ({result.linked_pairs:,} linked pairs of {result.candidate_pairs:,} compared). "
                  f"Entities: [bold]{escape(str((out / 'entities.csv').resolve()))}[/]")
