"""Storage faults are the API's own errors, and the log recovers by itself once they clear (issue 21, item 2).

Each scenario injects a real fault — SQLite's write lock held by another connection, a database that may not
grow (``PRAGMA max_page_count``: what a full disk looks like to SQLite), a database opened read-only, a
PostgreSQL sequencer lock held elsewhere or a read-only PostgreSQL session — or a store wrapper that fails at
one write step, before or after the batch persisted (Sunlight's way). Each must answer 503 with Retry-After and
the envelope's precise code; the sequencer goes on, and once the fault clears the very same submission lands
at the index it would have had — nothing lost, nothing twice — without a restart. After each scenario the whole
log is checked again: ``ledger.fsck`` (every leaf, stored hash and checkpoint) and the rule book's replay.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from ledger.api import create_app
from ledger.fsck import fsck
from ledger.log import Log
from ledger.sequencer import Sequencer, SequencerLimits
from ledger.store import Store
from ledger.store_session import SEQUENCER_LOCK_ID
from mapping.errors import CarbonLedgerError, UnavailableError
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .helpers import NOW, Signer, label_for
from .replay_check import check_log

GD = "gd-carbon-label"
ORIGIN = "faults.test/log"


class World:
    """A log with a scheme and an issuer, served in-process."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.log = Log(store, SigningKey.generate(), ORIGIN, Policy(frozenset({GD})), lambda: NOW)
        gd, self.issuer = Signer(), Signer()
        self.log.submit(gd.register(GD))
        self.log.submit(gd.authorize(GD, self.issuer))
        self.app = create_app(self.log)
        self.client = TestClient(self.app, raise_server_exceptions=False)
        self.n = 0

    def next_label(self) -> bytes:
        self.n += 1
        return self.issuer.issue(label_for(GD, f"F-{self.n}"))

    def post(self, envelope: bytes) -> Any:
        return self.client.post("/v1/entries", content=envelope, headers={"content-type": "application/json"})

    def assert_whole(self) -> None:
        report = fsck(self.store, ORIGIN, self.log.vkey)
        assert report.ok, report.to_dict()
        check_log(self.log)

    def close(self) -> None:
        self.app.state.deps.sequencer.close()
        self.store.close()


def _assert_fault(response: Any, code: str) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["error"]["code"] == code


def _fault_then_recovery(world: World, fault: contextlib.AbstractContextManager[Any], code: str) -> None:
    """Submit under the fault (503, nothing appended), then the same bytes after it cleared: the next index."""
    size = world.log.size
    envelope = world.next_label()
    with fault:
        _assert_fault(world.post(envelope), code)
        _assert_fault(world.post(envelope), code)  # the sequencer is still running, still refusing
        assert world.store.tree_size() == size and world.log.size == size
        assert world.client.get("/v1/checkpoint").status_code == 200  # reads go on from what is committed
    r = world.post(envelope)
    assert r.status_code == 201, r.text
    assert r.json()["index"] == size
    assert world.post(world.next_label()).json()["index"] == size + 1
    world.assert_whole()


# ---- SQLite -------------------------------------------------------------------------------------------------
class SqlitePragmas:
    """Pragmas run on every new connection of a store; setting them drops the pooled connections."""

    def __init__(self, store: Store) -> None:
        self.store, self.pragmas = store, ()
        event.listen(store.engine, "connect", self._on_connect)

    def _on_connect(self, dbapi_conn: Any, _record: Any) -> None:
        for pragma in self.pragmas:
            if pragma == "grow no more":  # the database may not grow past its size now: a full disk
                pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
                dbapi_conn.execute(f"PRAGMA max_page_count={pages}")
            else:
                dbapi_conn.execute(pragma)

    @contextlib.contextmanager
    def applied(self, *pragmas: str) -> Iterator[None]:
        self.pragmas = pragmas
        self.store.engine.dispose()
        try:
            yield
        finally:
            self.pragmas = ()
            self.store.engine.dispose()


@pytest.fixture
def sqlite_world(sqlite_url: str) -> Iterator[World]:
    world = World(Store(sqlite_url, lock_wait_ms=100))
    yield world
    world.close()


def _sqlite_path(store: Store) -> str:
    return store.url.removeprefix("sqlite:///")


@contextlib.contextmanager
def sqlite_lock_held(store: Store) -> Iterator[None]:
    other = sqlite3.connect(_sqlite_path(store), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_attack_sqlite_write_lock_held_by_another_connection(sqlite_world: World) -> None:
    _fault_then_recovery(sqlite_world, sqlite_lock_held(sqlite_world.store), "store.locked")


def test_attack_sqlite_disk_full(sqlite_world: World) -> None:
    # big enough entries that a batch needs new pages
    pragmas = SqlitePragmas(sqlite_world.store)
    _fault_then_recovery(sqlite_world, pragmas.applied("grow no more"), "store.full")


def test_attack_sqlite_database_read_only(sqlite_world: World) -> None:
    pragmas = SqlitePragmas(sqlite_world.store)
    _fault_then_recovery(sqlite_world, pragmas.applied("PRAGMA query_only=1"), "store.read_only")


# ---- PostgreSQL ---------------------------------------------------------------------------------------------
@pytest.fixture
def pg_world(pg_url: str, request: pytest.FixtureRequest) -> Iterator[World]:
    # The sequencer's advisory lock is the database's, shared with the tests running beside this one: only
    # the test that holds it on purpose waits briefly for it.
    wait_ms = 300 if "lock" in request.node.name else 20_000
    world = World(Store(pg_url, lock_wait_ms=wait_ms))
    yield world
    world.close()


@contextlib.contextmanager
def pg_lock_held(store: Store) -> Iterator[None]:
    with store.engine.connect() as other:  # a connection of its own, outside the store's write path
        other.exec_driver_sql(f"SELECT pg_advisory_lock({SEQUENCER_LOCK_ID})")
        try:
            yield
        finally:
            other.exec_driver_sql(f"SELECT pg_advisory_unlock({SEQUENCER_LOCK_ID})")
            other.commit()


class PgSession:
    """Settings run on every new connection of a PostgreSQL store; setting them drops the pooled connections."""

    def __init__(self, store: Store) -> None:
        self.store, self.settings = store, ()
        event.listen(store.engine, "connect", self._on_connect)

    def _on_connect(self, dbapi_conn: Any, _record: Any) -> None:
        for setting in self.settings:
            with dbapi_conn.cursor() as cur:
                cur.execute(setting)
            dbapi_conn.commit()

    @contextlib.contextmanager
    def applied(self, *settings: str) -> Iterator[None]:
        self.settings = settings
        self.store.engine.dispose()
        try:
            yield
        finally:
            self.settings = ()
            self.store.engine.dispose()


@pytest.mark.postgres
def test_attack_postgres_sequencer_lock_held_elsewhere(pg_world: World) -> None:
    _fault_then_recovery(pg_world, pg_lock_held(pg_world.store), "store.locked")


@pytest.mark.postgres
def test_attack_postgres_read_only_session(pg_world: World) -> None:
    session = PgSession(pg_world.store)
    _fault_then_recovery(pg_world, session.applied("SET default_transaction_read_only = on"), "store.read_only")


@pytest.mark.postgres
def test_attack_postgres_unreachable_then_back(pg_world: World) -> None:
    """Every connection of the store is terminated by the server (as a restart does): the next use fails over
    to fresh connections (``pool_pre_ping``), nothing is lost and nothing is answered as a bare 500."""
    for conn_rec in list(pg_world.store.engine.pool._pool.queue):  # type: ignore[attr-defined]
        pid = conn_rec.dbapi_connection.info.backend_pid
        with psycopg.connect(pg_world.store.engine.url.set(drivername="postgresql").render_as_string(False)) as other:
            other.execute("SELECT pg_terminate_backend(%s)", (int(pid),))
    size = pg_world.log.size
    r = pg_world.post(pg_world.next_label())
    assert r.status_code in (201, 503), r.text
    if r.status_code == 503:
        assert r.json()["error"]["code"] == "store.unavailable"
    assert pg_world.post(pg_world.next_label()).status_code == 201
    assert pg_world.store.tree_size() in (size + 1, size + 2)
    pg_world.assert_whole()


# ---- a store that fails at one write step, before or after persisting (both stores) --------------------------
def _injected(step: str) -> sa_exc.OperationalError:
    return sa_exc.OperationalError(f"injected at {step}", None, sqlite3.OperationalError(f"disk I/O error at {step}"))


class FlakyStore(Store):
    """A real store whose next write fails once at ``fail_at``: "begin", "insert:<table>", "commit" (before the
    commit: nothing persisted) or "after_commit" (persisted, but the caller hears a failure)."""

    fail_at: str | None = None

    def _maybe_fail(self, step: str) -> None:
        if self.fail_at == step:
            self.fail_at = None
            raise _injected(step)

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:  # type: ignore[override]
        self._maybe_fail("begin")
        with super().write() as conn:
            yield conn
            self._maybe_fail("commit")
        self._maybe_fail("after_commit")

    def insert_tuples(self, conn: Connection, table: Any, columns: tuple[str, ...], rows: list[Any]) -> None:
        self._maybe_fail(f"insert:{table.__tablename__}")
        super().insert_tuples(conn, table, columns, rows)

    def insert_rows(self, conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:  # type: ignore[override]
        self._maybe_fail(f"insert:{table.__tablename__}")
        super().insert_rows(conn, table, rows)


STEPS = ["begin", "insert:entries", "insert:nodes", "insert:labels", "insert:checkpoints", "commit", "after_commit"]


@pytest.mark.parametrize("step", STEPS)
def test_attack_write_fails_at_every_step(db_url: str, step: str) -> None:
    store = FlakyStore(db_url)
    log = Log(store, SigningKey.generate(), ORIGIN, Policy(frozenset({GD})), lambda: NOW)
    gd, issuer = Signer(), Signer()
    log.submit(gd.register(GD))
    log.submit(gd.authorize(GD, issuer))
    seq = Sequencer(log, SequencerLimits(max_wait_ms=1))
    try:
        envelope = issuer.issue(label_for(GD, "S-1"))
        store.fail_at = step
        with pytest.raises(CarbonLedgerError) as e:
            seq.submit(envelope)
        assert isinstance(e.value, UnavailableError) and e.value.code == "store.unavailable"
        assert store.fail_at is None, f"the write never reached {step}"
        assert log.size == 2  # the in-memory state is still the committed one (or behind it, after the commit)
        again = seq.submit(envelope) if step != "after_commit" else None
        if again is None:  # it did land: the same bytes are not appended twice, and the log caught up
            with pytest.raises(CarbonLedgerError) as dup:
                seq.submit(envelope)
            assert dup.value.code == "entry.duplicate"
            assert log.entry_by_id(log.entry(2).entry_id).idx == 2
        else:
            assert again.index == 2
        assert seq.submit(issuer.issue(label_for(GD, "S-2"))).index == 3
        report = fsck(store, ORIGIN, log.vkey)
        assert report.ok, report.to_dict()
        check_log(log)
    finally:
        seq.close()
        store.close()


# ---- reads and back-pressure while the writer is stuck --------------------------------------------------------
@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the service runs on uvicorn's asyncio loop (Sequencer.submit_async)


@pytest.mark.anyio
async def test_attack_stuck_writer_starves_no_reader_and_back_pressure_is_reachable(sqlite_url: str) -> None:
    """Submissions waiting on a held lock hold no thread: reads are answered meanwhile, and once ``max_pending``
    submissions wait the next one is a 503 ``log.busy`` at once; when the lock is let go the waiting ones land."""
    import asyncio

    import httpx

    from ledger.api import ApiLimits

    store = Store(sqlite_url, lock_wait_ms=20_000)
    world = World(store)
    world.app.state.deps.sequencer.close()
    world.app = create_app(world.log, ApiLimits(sequencer=SequencerLimits(max_pending=2, max_wait_ms=1)))
    sequencer = world.app.state.deps.sequencer
    transport = httpx.ASGITransport(app=world.app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

            async def post(envelope: bytes) -> httpx.Response:
                return await client.post("/v1/entries", content=envelope, headers={"content-type": "application/json"})

            first, second, third = world.next_label(), world.next_label(), world.next_label()
            with sqlite_lock_held(store):
                waiting = [asyncio.create_task(post(first))]
                while sequencer.pending < 1:
                    await asyncio.sleep(0.01)
                waiting.append(asyncio.create_task(post(second)))
                while sequencer.pending < 2:
                    await asyncio.sleep(0.01)
                refused = await post(third)
                assert refused.status_code == 503 and refused.json()["error"]["code"] == "log.busy"
                assert int(refused.headers["retry-after"]) >= 1
                for _ in range(50):  # more reads than the thread pool has threads: none waits for the writer
                    assert (await client.get("/v1/checkpoint")).status_code == 200
            answers = await asyncio.gather(*waiting)
        assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
        assert sorted(a.json()["index"] for a in answers) == [2, 3]
        world.assert_whole()
    finally:
        world.close()
