"""Users, passwords, sessions and CSRF.

- Passwords are hashed with argon2id (argon2-cffi); only the hash is stored.
- A session is a signed, timestamped cookie (itsdangerous) holding the user id and a CSRF
  token; it is HttpOnly and SameSite=Strict, so scripts cannot read it and other sites
  cannot send it.
- Every state-changing request must echo the CSRF token in the `X-CSRF-Token` header; the
  dashboard reads it from `GET /api/session`.
- The signing key is kept in `WS/.filon-secret` (created once, mode 0600) so sessions
  survive a restart; a key given by the caller takes precedence.
- Checking a cookie's signature on every request is wasted work once it has passed:
  `Sessions` remembers verified cookies (exact value, until the cookie's own expiry), and
  forgets a cookie at sign-out, after which that cookie is refused by this server even
  though its signature is still good. That refusal lives in memory: a restart forgets it
  (the cookie then works again until it expires, 12 h at most).
- Who a session belongs to is re-read from the database at most every `PRINCIPAL_SECONDS`
  (`Principals`), so a disabled account or a changed role or scope applies within seconds.
- Password hashing (argon2id: 64 MiB and four threads per check) runs on a pool of
  `HASHING_THREADS`, so a burst of sign-ins queues instead of taking every core and
  gigabytes of memory away from the analysts already at work.
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
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
PRINCIPAL_SECONDS = 5.0
SESSIONS_KEPT = 10_000
HASHING_THREADS = 2
_hasher = PasswordHasher()
#: Where sign-ins check passwords (see the module docstring).
hashing_pool = ThreadPoolExecutor(max_workers=HASHING_THREADS, thread_name_prefix="filon-password")
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
        self._lock = threading.Lock()
        self._verified: OrderedDict[str, tuple[dict, float]] = OrderedDict()   # cookie -> (data, expires at)
        self._revoked: dict[str, float] = {}                                   # CSRF token -> expires at

    def issue(self, user_id: int) -> tuple[str, str]:
        """A cookie value and its CSRF token."""
        csrf = secrets.token_urlsafe(24)
        return self.serializer.dumps({"uid": user_id, "csrf": csrf}), csrf

    def read(self, cookie: str | None) -> dict | None:
        if not cookie:
            return None
        now = time.time()
        hit = self._verified.get(cookie)
        if hit is not None:
            if now < hit[1]:
                return hit[0]
            with self._lock:
                self._verified.pop(cookie, None)
            return None
        try:
            data, signed_at = self.serializer.loads(cookie, max_age=SESSION_SECONDS, return_timestamp=True)
        except (BadSignature, SignatureExpired):
            return None
        if not (isinstance(data, dict) and "uid" in data and "csrf" in data) or data["csrf"] in self._revoked:
            return None
        with self._lock:
            if data["csrf"] in self._revoked:   # signed out while we checked
                return None
            self._verified[cookie] = (data, signed_at.timestamp() + SESSION_SECONDS)
            while len(self._verified) > SESSIONS_KEPT:
                self._verified.popitem(last=False)
        return data

    def revoke(self, cookie: str | None) -> None:
        """Refuse this cookie from now on (sign-out)."""
        data = self.read(cookie)
        if data is None:
            return
        now = time.time()
        with self._lock:
            self._verified.pop(cookie, None)
            self._revoked = {k: t for k, t in self._revoked.items() if t > now}
            self._revoked[str(data["csrf"])] = now + SESSION_SECONDS


class Principals:
    """Who each user id is, re-read from the database at most every `PRINCIPAL_SECONDS`."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._known: dict[int, tuple[Principal | None, float]] = {}

    def cached(self, user_id: int) -> Principal | None | bool:
        """The principal, None for no such active user, or False when the database must be asked
        (`load`, which async code calls in a worker thread)."""
        hit = self._known.get(user_id)
        if hit is None or time.monotonic() - hit[1] > PRINCIPAL_SECONDS:
            return False
        return hit[0]

    def load(self, user_id: int) -> Principal | None:
        with self.db.session() as s:
            row = s.scalar(select(User).where(User.id == user_id, User.active.is_(True)))
            found = principal(row) if row is not None else None
        self._known[user_id] = (found, time.monotonic())
        return found


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
    """The active user with this name and password, else None (as slow either way)."""
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == username, User.active.is_(True)))
    ok = verify_password(user.password_hash if user else None, password)
    return user if ok and user else None


def principal(user: User) -> Principal:
    scope = user.scope()
    return Principal(user.id, user.username, user.role, None if scope is None else frozenset(scope))
