"""`filon serve WS`: the analyst workspace (REST API and dashboard) on a local web server."""

from __future__ import annotations

import getpass
from pathlib import Path

import typer
from rich.markup import escape

from filon.cli.console import console
from filon.errors import UsageError


def serve(
    workspace: Path = typer.Argument(..., help="Workspace folder (from 'filon ingest'); with --demo, created if missing."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on; keep 127.0.0.1 unless behind a TLS proxy."),
    port: int = typer.Option(8000, help="Port to listen on."),
    db: str = typer.Option("", "--db", help="App database URL (default: SQLite WS/filon-app.sqlite), e.g. "
                                            "postgresql+psycopg://filon:PASSWORD@localhost/filon"),
    demo: bool = typer.Option(False, "--demo", help="Build a demo workspace if WS is missing and create demo users "
                                                    "(passwords printed once)."),
    create_user: str = typer.Option("", "--create-user", help="Create this user (asks for a password) and exit."),
    role: str = typer.Option("analyst", "--role", help="Role of --create-user: analyst, supervisor or admin."),
    country: str = typer.Option("", "--country", help="Countries of --create-user: PE, CO, BO, EC (comma-separated) or '*'."),
    secure_cookies: bool = typer.Option(False, "--secure-cookies", help="Mark the session cookie Secure (behind HTTPS)."),
) -> None:
    """Serve alerts, evidence, maps, ownership networks and triage to analysts in a browser.

    \b
    filon serve WS --create-user ana --role analyst --country PE    add a user, then
    filon serve WS                                                   open http://127.0.0.1:8000
    filon serve filon-demo-ws --demo                                 try it on a demo region
    """
    import uvicorn

    from filon.api.auth import create_user as make_user
    from filon.api.db.session import Database, default_url
    from filon.api.demo_setup import build_demo_workspace, ensure_demo_users

    if demo:
        with console.status("building the demo workspace…") as status:
            build_demo_workspace(workspace, progress=lambda m: status.update(escape(m)))
    elif not (workspace / "workspace.json").exists():
        raise UsageError(f"{workspace} is not a filon workspace. Make one with 'filon ingest DATA --workspace "
                         f"{workspace}', or add --demo to build a demo region there.")
    database = Database(db or default_url(workspace))
    if create_user:
        if not country:
            raise UsageError("give the user's countries with --country, e.g. --country PE or --country '*'")
        password = getpass.getpass(f"Password for {create_user} (10 characters or more): ")
        if password != getpass.getpass("Repeat it: "):
            raise UsageError("the two passwords differ; nothing was created")
        make_user(database, create_user, password, role, country)
        console.print(f"Created {escape(create_user)} ({escape(role)}, {escape(country)}).")
        return
    if demo:
        created = ensure_demo_users(database)
        if created:
            console.print("Demo users (shown once; write them down):")
            for name, password in created.items():
                console.print(f"  {escape(name):<12} {escape(password)}")
    database.close()
    from filon.api.app import create_app

    app = create_app(workspace, db or None, secure_cookies=secure_cookies)
    console.print(f"filon analyst workspace on [bold]http://{escape(host)}:{port}/[/] (API docs at /docs); Ctrl+C to stop")
    uvicorn.run(app, host=host, port=port, log_level="warning")
