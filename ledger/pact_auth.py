"""PACT v3 clients and access tokens: OAuth 2.0 client credentials (RFC 6749 §4.4), kept in the log's database.

Two tables of this module's own, created on first use: ``pact_clients`` (an operator-made client id, its name,
and its secret hashed with scrypt under a random salt: the secret itself is shown once and never stored) and
``pact_tokens`` (the SHA-256 of each access token, its client and its expiry). Tokens are random (256 bits) and
expire :data:`TOKEN_TTL_S` seconds after issue by the clock passed in; an expired one answers ``TokenExpired``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Column, MetaData, String, Table, delete, insert, select
from sqlalchemy.engine import Engine

from mapping.errors import AuthenticationError, ForbiddenError, InputError

from .store import Store

__all__ = ["TOKEN_TTL_S", "Client", "PactAuth"]

TOKEN_TTL_S = 3600
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_META = MetaData()
_CLIENTS = Table(
    "pact_clients",
    _META,
    Column("client_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("salt", String(64), nullable=False),
    Column("secret_hash", String(128), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)
_TOKENS = Table(
    "pact_tokens",
    _META,
    Column("token_hash", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("expires_at", BigInteger, nullable=False),
)
_DUMMY_SALT = bytes(16)
_KEEP_EXPIRED_S = 86400  # an expired token is remembered a day, so it answers TokenExpired, not AccessDenied


@dataclass(frozen=True)
class Client:
    client_id: str
    name: str
    client_secret: str


def _hash(secret: str, salt: bytes) -> str:
    return hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT).hex()  # type: ignore[arg-type]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PactAuth:
    """The clients and tokens of one log's database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._ready = False

    def _tables(self) -> None:
        if not self._ready:
            engine: Engine = self.store.engine
            _META.create_all(engine, checkfirst=True)
            self._ready = True

    def add_client(self, name: str, now: datetime) -> Client:
        """Requires a non-empty name. A new client with a fresh id and secret (the secret is stored hashed)."""
        if not name.strip() or len(name) > 200:
            raise InputError("a client name is 1 to 200 characters", code="pact.bad_client_name", field="name")
        self._tables()
        client_id, secret, salt = secrets.token_hex(12), secrets.token_urlsafe(32), secrets.token_bytes(16)
        row = {
            "client_id": client_id,
            "name": name,
            "salt": salt.hex(),
            "secret_hash": _hash(secret, salt),
            "created_at": int(now.timestamp()),
        }
        with self.store.write() as c:
            c.execute(insert(_CLIENTS).values(**row))
        return Client(client_id, name, secret)

    def issue_token(self, client_id: str, client_secret: str, now: datetime) -> tuple[str, int]:
        """Requires the credentials of HTTP Basic client authentication. A new access token and its lifetime (s);
        ``pact.invalid_client`` when the credentials are not a client's (the same work is done either way)."""
        self._tables()
        with self.store.read() as c:
            row = c.execute(select(_CLIENTS).where(_CLIENTS.c.client_id == client_id)).first()
        salt = bytes.fromhex(row.salt) if row is not None else _DUMMY_SALT
        given = _hash(client_secret, salt)
        if row is None or not hmac.compare_digest(given, row.secret_hash):
            raise AuthenticationError("client authentication failed", code="pact.invalid_client")
        token = secrets.token_urlsafe(32)
        expires = int(now.timestamp()) + TOKEN_TTL_S
        with self.store.write() as c:
            c.execute(delete(_TOKENS).where(_TOKENS.c.expires_at < int(now.timestamp()) - _KEEP_EXPIRED_S))
            c.execute(insert(_TOKENS).values(token_hash=_token_hash(token), client_id=client_id, expires_at=expires))
        return token, TOKEN_TTL_S

    def check_token(self, token: str | None, now: datetime) -> str:
        """Requires the bearer token of a request (None when it sent none). Its client id; ``pact.access_denied``
        for no token or one never issued, ``pact.token_expired`` for one past its expiry."""
        if not token:
            raise ForbiddenError("an access token is required (Authorization: Bearer)", code="pact.access_denied")
        self._tables()
        with self.store.read() as c:
            row = c.execute(select(_TOKENS).where(_TOKENS.c.token_hash == _token_hash(token))).first()
        if row is None:
            raise ForbiddenError("the access token is not one this service issued", code="pact.access_denied")
        if row.expires_at <= int(now.timestamp()):
            raise AuthenticationError("the access token has expired", code="pact.token_expired")
        return str(row.client_id)
