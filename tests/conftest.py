"""Shared fixtures: real SQLite files and a real PostgreSQL server (never mocks).

PostgreSQL: CARBONLEDGER_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/test).
Each test gets its own schema (search_path), dropped afterwards. Under CI=true
an unreachable server fails the run; elsewhere those tests skip with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import replay_check

PG_URL = os.environ.get("CARBONLEDGER_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3):
            return None
    except Exception as e:
        return f"{type(e).__name__}: {e}"


@pytest.fixture(scope="session")
def pg_base_url() -> str:
    problem = _pg_available()
    if problem is not None:
        message = f"PostgreSQL at {PG_URL} is not reachable ({problem})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " — under CI=true the PostgreSQL tests must run", pytrace=False)
        pytest.skip(message + "; start it or set CARBONLEDGER_TEST_PG_URL")
    return PG_URL


@pytest.fixture
def pg_url(pg_base_url: str) -> Iterator[str]:
    """A PostgreSQL URL whose connections use a fresh, private schema."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    plain = pg_base_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in plain else "?"
    yield f"{plain}{sep}options=-csearch_path%3D{schema}"
    replay_check.check_opened_logs()  # before the schema goes
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Both real stores: every test using it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return request.getfixturevalue("pg_url")


DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def replay_every_log(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every log the test opens is replayed through the verifier's rule book when it ends (tests/replay_check.py)."""
    from ledger.log import Log

    original = Log.__init__

    def recording_init(self: Log, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        replay_check.record(self)

    monkeypatch.setattr(Log, "__init__", recording_init)
    replay_check.OPENED.clear()
    yield
    if request.node.get_closest_marker("tampers_store") is None:
        replay_check.check_opened_logs()
    replay_check.OPENED.clear()
