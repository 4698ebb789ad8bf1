"""`filon ledger`: the tamper-evident chain of custody (build, verify, export, EPCIS, keys).

Exit codes of `verify`: 0 intact, 1 tampered (the first bad entry and why are printed),
2 usage error (raised as UsageError and mapped in `filon.cli.main`).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape

from filon.cli.console import console
from filon.errors import UsageError

app = typer.Typer(help="Tamper-evident chain of custody for lots, samples and assays: signed events in an "
                       "RFC 9162 Merkle log, evidence bundles, mass balance, EPCIS 2.0 interchange.",
                  no_args_is_help=True)
keys_app = typer.Typer(help="Actor signing keys: create and list.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

KEYS_HELP = "Folder of private signing keys (never inside the ledger). Default: LEDGER-private-keys beside it."


def _keys_dir(ledger: Path, keys: Path | None) -> Path:
    return keys if keys is not None else ledger.parent / f"{ledger.name}-private-keys"


def _read_json(path: Path, what: str) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: {what} not found") from None
    except json.JSONDecodeError as err:
        raise UsageError(f"{path}: line {err.lineno} is not JSON ({err.msg}); give the {what} as JSON") from None


def _operator_key(keys_dir: Path):
    from filon.ledger.keys import OPERATOR, PRIVATE_FILE, PrivateKeys

    if not (keys_dir / PRIVATE_FILE).exists():
        return None
    private = PrivateKeys(keys_dir)
    return private.key(OPERATOR) if OPERATOR in private.actors() or private.is_demo else None


@app.command()
def build(
    source: Path = typer.Argument(..., help="Workspace (from 'filon ingest') or a package folder."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the new ledger."),
    keys: Path = typer.Option(None, "--keys", "-k", help=KEYS_HELP),
    demo: bool = typer.Option(False, "--demo", help="Derive every key from a public seed (reproducible demo; "
                                                    "such keys are labelled demo keys and prove nothing)."),
) -> None:
    """Build a ledger from the trades, exports and assays of a workspace (rows with a lot_id)."""
    from filon.ledger.load import build_ledger

    keys_dir = _keys_dir(out, keys)
    with console.status("building the custody ledger…") as status:
        summary = build_ledger(source, out, keys_dir, demo=demo, progress=lambda m: status.update(escape(m)))
    console.print(f"{summary.events:,} signed custody events for {summary.lots:,} lots; "
                  f"{summary.heads} signed tree head(s).")
    console.print(f"Ledger: [bold]{escape(str(out.resolve()))}[/]  private keys: {escape(str(keys_dir.resolve()))}")
    if demo:
        console.print("[yellow]Demo keys: derived from a public seed, for the demo only.[/]")


@app.command()
def verify(
    path: Path = typer.Argument(..., help="A ledger folder or an evidence bundle (folder or .zip)."),
    head: Path = typer.Option(None, "--head", help="A signed tree head you were given earlier (JSON); checks "
                                                   "the log still extends it (no truncation, no fork)."),
    balance: bool = typer.Option(True, "--balance/--no-balance", help="Also report mass-balance breaks "
                                                                      "(findings, not tampering: exit code unchanged)."),
) -> None:
    """Verify offline: exit 0 when intact, 1 when tampered (naming the first bad entry and why)."""
    from filon.ledger.bundle import bundle_events, is_bundle, verify_bundle
    from filon.ledger.massbalance import custody_alerts
    from filon.ledger.verify import verify_ledger

    if not path.exists():
        raise UsageError(f"{path} does not exist. Give a ledger folder or an evidence bundle.")
    held = _read_json(head, "tree head") if head else None
    bundle = is_bundle(path)
    verdict = verify_bundle(path, held) if bundle else verify_ledger(path, held)
    for note in verdict.notes:
        console.print(f"[dim]{escape(note)}[/]")
    if not verdict.intact:
        console.print(f"[red]TAMPERED[/] {escape(str(path))}: {escape(verdict.problems[0])}")
        for more in verdict.problems[1:5]:
            console.print(f"  also: {escape(more)}")
        raise typer.Exit(1)
    console.print(f"[green]INTACT[/] {escape(str(path))}: {verdict.entries:,} entries, {verdict.heads} signed "
                  "tree head(s); every signature and proof holds.")
    if balance:
        if bundle:
            alerts = custody_alerts(bundle_events(path))
        else:
            from filon.ledger.store import Ledger
            alerts = custody_alerts(Ledger(path, writable=False))
        for a in alerts[:20]:
            console.print(f"[yellow]mass_balance_break[/] lot {escape(a.subject_id)} (score {a.score:.2f}): "
                          f"{escape(a.explanation)}")
        if len(alerts) > 20:
            console.print(f"[dim]{len(alerts) - 20} more mass-balance breaks.[/]")


@app.command()
def export(
    lot_id: str = typer.Argument(..., help="The lot whose history to export."),
    ledger: Path = typer.Option(..., "--ledger", "-l", help="The ledger folder."),
    out: Path = typer.Option(..., "--out", "-o", help="Bundle folder, or a file ending in .zip."),
    keys: Path = typer.Option(None, "--keys", "-k", help=KEYS_HELP + " With the operator key a fresh tree head is signed."),
) -> None:
    """Write an evidence bundle of a lot: its, its ancestors' and descendants' events, proofs, keys, assays."""
    from filon.ledger.bundle import export_bundle
    from filon.ledger.store import Ledger

    led = Ledger(ledger)
    operator = _operator_key(_keys_dir(ledger, keys))
    head = led.sign_head(operator) if operator is not None else None
    manifest = export_bundle(led, lot_id, out, head)
    console.print(f"Bundle of lot {escape(lot_id)}: {len(manifest['entries'])} events, "
                  f"{len(manifest['lineage']['ancestors'])} ancestor and {len(manifest['lineage']['descendants'])} "
                  f"descendant lots, tree head of size {manifest['tree_head']['tree_size']}: "
                  f"[bold]{escape(str(out.resolve()))}[/]")


@app.command()
def head(
    ledger: Path = typer.Argument(..., help="The ledger folder."),
    keys: Path = typer.Option(None, "--keys", "-k", help=KEYS_HELP),
    out: Path = typer.Option(None, "--out", "-o", help="Also write the signed head to this JSON file."),
) -> None:
    """Sign the current tree head with the operator key (give it to parties who must detect forks)."""
    from filon.ledger.store import Ledger

    operator = _operator_key(_keys_dir(ledger, keys))
    if operator is None:
        raise UsageError(f"no operator key in {_keys_dir(ledger, keys)}; pass --keys with the operator's key folder")
    signed = Ledger(ledger).sign_head(operator)
    if out:
        out.write_text(json.dumps(signed, indent=1) + "\n", encoding="utf-8")
    console.print(f"Signed tree head: size {signed['tree_size']}, root {signed['root_hash']}")


@app.command("import-epcis")
def import_epcis(
    document: Path = typer.Argument(..., help="An EPCIS 2.0 JSON-LD document."),
    ledger: Path = typer.Option(..., "--ledger", "-l", help="The ledger folder to append to."),
    keys: Path = typer.Option(None, "--keys", "-k", help=KEYS_HELP),
) -> None:
    """Append the events of an EPCIS 2.0 document, each signed by its custodian's key."""
    from filon.ledger.epcis import from_epcis_document
    from filon.ledger.keys import PrivateKeys
    from filon.ledger.store import Ledger

    events = from_epcis_document(_read_json(document, "EPCIS document"), str(document))
    keys_dir = _keys_dir(ledger, keys)
    led = Ledger(ledger)
    indexes = led.append(events, PrivateKeys(keys_dir))
    operator = _operator_key(keys_dir)
    if operator is not None:
        led.sign_head(operator)
    console.print(f"{len(indexes)} event(s) appended as entries {indexes[0]} to {indexes[-1]}." if indexes
                  else "The document holds no events.")


@app.command("export-epcis")
def export_epcis(
    ledger: Path = typer.Argument(..., help="The ledger folder."),
    out: Path = typer.Option(..., "--out", "-o", help="EPCIS 2.0 JSON-LD file to write."),
    lot: str = typer.Option(None, "--lot", help="Only this lot's family (ancestors and descendants)."),
) -> None:
    """Write the ledger's events (or one lot's family) as an EPCIS 2.0 JSON-LD document."""
    from filon.ledger.bundle import lineage
    from filon.ledger.epcis import to_epcis_document
    from filon.ledger.events import touched_lots
    from filon.ledger.store import Ledger

    events = [env["event"] for _, env in Ledger(ledger, writable=False).envelopes()]
    if lot:
        up, down = lineage(events, lot)
        family = {lot, *up, *down}
        events = [e for e in events if family.intersection(touched_lots(e))]
        if not events:
            raise UsageError(f"lot {lot} appears in no event of {ledger}")
    out.write_text(json.dumps(to_epcis_document(events), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    console.print(f"{len(events):,} event(s) written as EPCIS 2.0: [bold]{escape(str(out.resolve()))}[/]")


@app.command()
def erase(
    person: str = typer.Argument(..., help="The person whose personal values to erase (as committed)."),
    ledger: Path = typer.Option(..., "--ledger", "-l", help="The ledger folder."),
) -> None:
    """Erase a person's clear values and salts; the log and every proof stay valid."""
    from filon.ledger.personal import STORE_FILE, PersonalStore

    store = PersonalStore(ledger / STORE_FILE)
    n = store.erase(person)
    store.close()
    console.print(f"{n} personal value(s) of {escape(person)} erased; their commitments in the log can no longer be opened.")


@keys_app.command("new")
def keys_new(
    actor_id: str = typer.Argument(..., help="Actor id (as in actors.actor_id), or _operator."),
    ledger: Path = typer.Option(..., "--ledger", "-l", help="The ledger folder whose registry gets the public key."),
    keys: Path = typer.Option(None, "--keys", "-k", help=KEYS_HELP),
) -> None:
    """Create a signing key for an actor: private part in the keys folder, public part in keys.json."""
    from filon.ledger.keys import PrivateKeys
    from filon.ledger.store import Ledger

    keys_dir = _keys_dir(ledger, keys)
    private = PrivateKeys(keys_dir)
    if actor_id in private.actors():
        raise UsageError(f"{actor_id} already has a key in {keys_dir}; keys are never overwritten")
    kid = Ledger(ledger).register(actor_id, private.key(actor_id, create=True))
    private.save()
    console.print(f"Key {kid} created for {escape(actor_id)}.")


@keys_app.command("list")
def keys_list(ledger: Path = typer.Argument(..., help="The ledger folder.")) -> None:
    """List the registered public keys."""
    from filon.ledger.keys import REGISTRY_FILE, KeyRegistry

    for k in KeyRegistry.load(ledger / REGISTRY_FILE):
        console.print(f"{k.key_id}  {escape(k.actor_id)}{'  [yellow](demo key)[/]' if k.demo else ''}")
