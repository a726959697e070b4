"""Shared fixtures: real SQLite files and a real PostgreSQL server (never mocks).

PostgreSQL: CARBONLEDGER_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/test).
Each test gets a private schema (search_path) holding the store's empty tables; afterwards it is emptied for a
later test, or dropped if the test changed its tables (all are dropped when the session ends). Under CI=true
an unreachable server fails the run; elsewhere those tests skip with the reason.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import replay_check

PG_URL = os.environ.get("CARBONLEDGER_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _build_each_click_command_once() -> None:
    """Typer turns the ``carbonledger`` app into a Click command on every call (~70 ms for this app). A process
    of the console script runs one command line, so it builds it once; the suite runs hundreds of command lines
    in its own process (``cli.main.main``, ``CliRunner``), so here too each app is built once and reused — the
    same Click command the process would build (every command and group is registered at import time)."""
    import typer.main
    import typer.testing

    build = typer.main.get_command
    built: dict[int, tuple[object, object]] = {}

    def get_command(typer_instance: typer.Typer):  # type: ignore[no-untyped-def]
        hit = built.get(id(typer_instance))
        if hit is None or hit[0] is not typer_instance:
            hit = built[id(typer_instance)] = (typer_instance, build(typer_instance))
        return hit[1]

    typer.main.get_command = get_command  # what Typer.__call__ looks up
    typer.testing._get_command = get_command  # what CliRunner.invoke imported


_build_each_click_command_once()


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


# A schema's catalog: its relations and their columns (what a test that altered a table would change).
_CATALOG = """
SELECT c.relname, c.relkind, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
FROM pg_class c LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relnamespace = %(schema)s::regnamespace
UNION ALL SELECT p.proname, 'function', NULL, NULL, NULL FROM pg_proc p WHERE p.pronamespace = %(schema)s::regnamespace
ORDER BY 1, 2, 3
"""


class _Schemas:
    """Private PostgreSQL schemas holding the store's tables, each used by one test at a time.

    Creating the tables costs PostgreSQL ~50 ms of DDL a test, so a schema whose test left its catalog as the
    store created it is emptied (every row of every table deleted) and handed to a later test; one whose catalog
    changed, or whose test tampers with its store, is dropped. Every schema this process made is dropped at the
    end of the session (under pytest-xdist each worker has its own)."""

    def __init__(self, base_url: str) -> None:
        self.plain = base_url.replace("postgresql+psycopg://", "postgresql://")
        self.free: list[str] = []
        self.made: list[str] = []
        self.catalog: list[tuple[Any, ...]] | None = None  # the catalog the store's own DDL creates

    def url(self, schema: str) -> str:
        sep = "&" if "?" in self.plain else "?"
        return f"{self.plain}{sep}options=-csearch_path%3D{schema}"

    def take(self) -> str:
        if self.free:
            return self.free.pop()
        import psycopg

        from ledger.store import Store

        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.plain, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
            self.made.append(schema)
            Store(self.url(schema)).close()  # the store's own DDL (a test's Store then finds its tables)
            if self.catalog is None:
                self.catalog = _catalog(conn, schema)
        return schema

    def give_back(self, schema: str, *, reusable: bool) -> None:
        import psycopg

        with psycopg.connect(self.plain, autocommit=True) as conn:
            if reusable and _catalog(conn, schema) == self.catalog:
                tables = sorted({str(r[0]) for r in self.catalog if r[1] == "r"})
                with conn.transaction():
                    for table in tables:
                        conn.execute(f'DELETE FROM "{schema}"."{table}"')
                self.free.append(schema)
                return
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
            self.made.remove(schema)

    def drop_all(self) -> None:
        import psycopg

        with psycopg.connect(self.plain, autocommit=True) as conn:
            for schema in self.made:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        self.made.clear()
        self.free.clear()


def _catalog(conn: Any, schema: str) -> list[tuple[Any, ...]]:
    return conn.execute(_CATALOG, {"schema": schema}).fetchall()


@pytest.fixture(scope="session")
def pg_schemas(pg_base_url: str) -> Iterator[_Schemas]:
    schemas = _Schemas(pg_base_url)
    yield schemas
    schemas.drop_all()


@pytest.fixture
def pg_url(pg_schemas: _Schemas, request: pytest.FixtureRequest) -> Iterator[str]:
    """A PostgreSQL URL whose connections use a private schema: the store's tables, empty, used by no other test
    while this one runs."""
    schema = pg_schemas.take()
    yield pg_schemas.url(schema)
    replay_check.check_opened_logs()  # before the schema is emptied or dropped
    pg_schemas.give_back(schema, reusable=request.node.get_closest_marker("tampers_store") is None)


@pytest.fixture(scope="session")
def empty_sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the store's tables and no rows, made once by the store's own DDL (~15 ms a store,
    mostly its fsyncs): each test's SQLite store starts as a copy of it."""
    import sqlite3

    from ledger.store import Store

    path = tmp_path_factory.mktemp("empty-store") / "ledger.db"
    Store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:  # everything in the main file: nothing left in a -wal file to copy
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _fresh_sqlite_url(template: Path, folder: Path) -> str:
    path = folder / "ledger.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def sqlite_url(tmp_path: Path, empty_sqlite_store: Path) -> str:
    """A SQLite store of this test's own: the store's tables, empty."""
    return _fresh_sqlite_url(empty_sqlite_store, tmp_path)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Both real stores: every test using it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return _fresh_sqlite_url(request.getfixturevalue("empty_sqlite_store"), tmp_path)
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def module_db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``db_url`` for a log that a module's tests share and only read (built once per store, not per test): its
    fixture replays it when the module ends (``tests.helpers.shared_log``), before the schema is given back."""
    if request.param == "sqlite":
        yield _fresh_sqlite_url(request.getfixturevalue("empty_sqlite_store"), tmp_path_factory.mktemp("shared"))
        return
    schemas: _Schemas = request.getfixturevalue("pg_schemas")
    schema = schemas.take()
    yield schemas.url(schema)
    schemas.give_back(schema, reusable=True)


@pytest.fixture(scope="session")
def demo_home_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home after ``carbonledger demo`` (about a second of work), made once: a test that starts from the demo
    takes a copy of its own (``copy_demo_home``) and may change it. The home is relocatable: its store is the
    ``ledger.db`` beside its config, its keys are files in it."""
    from tests.helpers import Cli

    home = tmp_path_factory.mktemp("demo-template") / "home"
    Cli(home).json("demo")
    return home


@pytest.fixture
def copy_demo_home(demo_home_template: Path) -> Callable[[Path], Path]:
    def copy(home: Path) -> Path:
        shutil.copytree(demo_home_template, home)
        return home

    return copy


@pytest.fixture(scope="module")
def demo_pages(demo_home_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The service's pages and API over a module's own copy of the demo home, through FastAPI's TestClient."""
    from fastapi.testclient import TestClient

    from ledger.api import create_app
    from ledger.home import load_settings, open_log

    home = tmp_path_factory.mktemp("demo-pages") / "home"
    shutil.copytree(demo_home_template, home)
    log = open_log(load_settings(home), precheck_workers=False)
    app = create_app(log)
    try:
        with TestClient(app) as c:
            yield c
    finally:
        app.state.deps.sequencer.close()
        log.store.close()


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
