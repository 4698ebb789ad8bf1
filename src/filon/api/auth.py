"""Users, passwords, sessions and CSRF.

- Passwords are hashed with argon2id (argon2-cffi); only the hash is stored.
- A session is a signed, timestamped cookie (itsdangerous) holding the user id and a CSRF
  token; it is HttpOnly and SameSite=Strict, so scripts cannot read it and other sites
  cannot send it.
- Every state-changing request must echo the CSRF token in the `X-CSRF-Token` header; the
  dashboard reads it from `GET /api/session`.
- The signing key is kept in `WS/.filon-secret` (created once, mode 0600) so sessions
  survive a restart; a key given by the caller takes precedence.
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from filon.api.db.models import ROLES, User
from filon.api.db.session import Database
from filon.errors import UsageError

COOKIE = "filon_session"
CSRF_HEADER = "X-CSRF-Token"
SESSION_SECONDS = 12 * 3600
COUNTRIES = ("PE", "CO", "BO", "EC")
_hasher = PasswordHasher()
#: Verified against when the user does not exist, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


@dataclass(frozen=True)
class Principal:
    """The signed-in user as the request handlers see it."""

    id: int
    username: str
    role: str
    scope: frozenset[str] | None   # None: every country

    def can_read(self, country: str | None) -> bool:
        return self.scope is None or (country or "").upper() in self.scope

    @property
    def can_triage(self) -> bool:
        return self.role in ROLES

    @property
    def can_run_analysis(self) -> bool:
        return self.role in ("supervisor", "admin")


def load_secret(workspace: Path) -> str:
    path = Path(workspace) / ".filon-secret"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key)
    return key


class Sessions:
    def __init__(self, secret: str) -> None:
        self.serializer = URLSafeTimedSerializer(secret, salt="filon-session")

    def issue(self, user_id: int) -> tuple[str, str]:
        """A cookie value and its CSRF token."""
        csrf = secrets.token_urlsafe(24)
        return self.serializer.dumps({"uid": user_id, "csrf": csrf}), csrf

    def read(self, cookie: str | None) -> dict | None:
        if not cookie:
            return None
        try:
            data = self.serializer.loads(cookie, max_age=SESSION_SECONDS)
        except (BadSignature, SignatureExpired):
            return None
        return data if isinstance(data, dict) and "uid" in data and "csrf" in data else None


def csrf_ok(session: dict, header: str | None) -> bool:
    return bool(header) and hmac.compare_digest(str(session["csrf"]), str(header))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def parse_countries(text: str) -> str:
    """'pe, co' -> 'PE,CO'; '*' or 'all' -> '*'. Rejects unknown codes with the list of valid ones."""
    if text.strip().lower() in ("*", "all"):
        return "*"
    codes = [c.strip().upper() for c in text.split(",") if c.strip()]
    bad = [c for c in codes if c not in COUNTRIES]
    if not codes or bad:
        raise UsageError(f"country scope {text!r} is not valid; give one or more of {', '.join(COUNTRIES)} "
                         "separated by commas, or '*' for every country")
    return ",".join(dict.fromkeys(codes))


def create_user(db: Database, username: str, password: str, role: str, countries: str) -> User:
    if role not in ROLES:
        raise UsageError(f"role {role!r} is not valid; choose one of {', '.join(ROLES)}")
    if len(password) < 10:
        raise UsageError("the password must have at least 10 characters")
    if not username.strip() or len(username) > 80:
        raise UsageError("the user name must have 1 to 80 characters")
    scope = parse_countries(countries)
    with db.session() as s:
        if s.scalar(select(User).where(User.username == username)) is not None:
            raise UsageError(f"user {username!r} exists already; choose another name")
        user = User(username=username, password_hash=hash_password(password), role=role, countries=scope)
        s.add(user)
        s.flush()
        return user


def authenticate(db: Database, username: str, password: str) -> User | None:
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == username, User.active.is_(True)))
        ok = verify_password(user.password_hash if user else None, password)
        return user if ok and user else None


def principal(user: User) -> Principal:
    scope = user.scope()
    return Principal(user.id, user.username, user.role, None if scope is None else frozenset(scope))
