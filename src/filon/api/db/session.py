"""Opening the app database and bringing its schema up to date with Alembic.

SQLite (the default, `WS/filon-app.sqlite`) runs in WAL mode with a busy timeout so the
threads of one server write audit rows without blocking readers; PostgreSQL is used as given
(`postgresql+psycopg://user@host/db`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from filon.errors import UsageError

MIGRATIONS = Path(__file__).parent / "migrations"


def default_url(workspace: Path) -> str:
    return f"sqlite:///{(Path(workspace) / 'filon-app.sqlite').resolve()}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API connection
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


class Database:
    """An engine plus a session factory, migrated to the newest schema on open."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            if url.startswith("sqlite"):
                self.engine: Engine = create_engine(url, connect_args={"check_same_thread": False}, pool_size=20,
                                                    max_overflow=20)
                event.listen(self.engine, "connect", _sqlite_pragmas)
            else:
                self.engine = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
            self.migrate()
        except (SQLAlchemyError, ModuleNotFoundError) as err:
            raise UsageError(f"cannot open the app database {_redact(url)}: {err}. Check --db, e.g. "
                             "postgresql+psycopg://user:password@localhost/filon, or leave it out to use "
                             "SQLite inside the workspace.") from err
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        """Apply every Alembic migration not yet applied (idempotent)."""
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as s:
            try:
                yield s
                s.commit()
            except Exception:
                s.rollback()
                raise

    def close(self) -> None:
        self.engine.dispose()


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':')[0]}:***@{host}"
    return url
