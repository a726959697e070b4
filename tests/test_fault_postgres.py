"""PostgreSQL faults: the database unreachable, its disk full — a clean 503 and recovery without a restart.

- **Unreachable**: the store reaches PostgreSQL through a TCP relay on this machine that the test cuts (every
  connection reset, the port refusing) and then brings back on the same port — what a database restart or a
  network fault looks like to the service, without stopping the server the other tests share.
- **Disk full**: a trigger on the per-test schema's entries table raises SQLSTATE 53100 (``disk_full``), the
  error PostgreSQL gives when it cannot extend a file; dropping it is the disk freed.

Each answers 503 with Retry-After and its code (``store.unavailable``, ``store.full``); reads of what is
committed go on; once the fault clears the same submission lands at the index it would have had, and the
whole log is checked again (tests/test_fault_storage.py's ``World``: ``ledger.fsck`` and the rule book).
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from collections.abc import Iterator

import psycopg
import pytest

from ledger.store import Store

from .test_fault_storage import World, _assert_fault, _fault_then_recovery

pytestmark = pytest.mark.postgres


class Relay:
    """A TCP relay from a local port to PostgreSQL that can be cut and brought back on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self.up()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        """Refuse new connections and reset every open one."""
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(): the port refuses now
            self._listener.close()
            self._listener = None
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for a, b in pairs:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    s.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    @staticmethod
    def _pump(a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                ready, _, _ = select.select([a, b], [], [], 1.0)
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    (b if s is a else a).sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.close()


@pytest.fixture
def relayed(pg_url: str) -> Iterator[tuple[World, Relay]]:
    relay = Relay(("127.0.0.1", 5432))
    if "@127.0.0.1:5432/" not in pg_url:
        pytest.skip("the relay is written for the local PostgreSQL at 127.0.0.1:5432")
    world = World(Store(pg_url.replace("@127.0.0.1:5432/", f"@127.0.0.1:{relay.port}/"), lock_wait_ms=20_000))
    try:
        yield world, relay
    finally:
        if relay._listener is None:
            relay.up()
        world.close()  # the relay stays up: the suite replays the log once the test is done (tests/conftest.py)


def test_attack_postgres_cut_off_then_back_on_the_same_address(relayed: tuple[World, Relay]) -> None:
    world, relay = relayed
    size = world.log.size
    envelope = world.next_label()
    relay.down()
    for _ in range(2):  # the pooled connections are dead and no new one can be made
        _assert_fault(world.post(envelope), "store.unavailable")
    for read in ("/v1/checkpoint", "/v1/entries/0", "/v1/log"):  # answered, or refused in the envelope
        r = world.client.get(read)
        assert r.status_code == 200 or (r.status_code, r.json()["error"]["code"]) == (503, "store.unavailable"), r.text
        assert r.status_code == 200 or int(r.headers["retry-after"]) >= 1
    assert world.log.size == size
    relay.up()  # the database is back, on the same address
    r = world.post(envelope)
    assert r.status_code == 201, r.text
    assert r.json()["index"] == size
    assert world.post(world.next_label()).json()["index"] == size + 1
    world.assert_whole()


@contextlib.contextmanager
def postgres_disk_full(store: Store) -> Iterator[None]:
    url = store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION refuse_as_full_disk() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$"
        )
        conn.execute(
            "CREATE TRIGGER full_disk BEFORE INSERT ON entries FOR EACH STATEMENT "
            "EXECUTE FUNCTION refuse_as_full_disk()"
        )
        try:
            yield
        finally:
            conn.execute("DROP TRIGGER full_disk ON entries")
            conn.execute("DROP FUNCTION refuse_as_full_disk()")


def test_attack_postgres_disk_full(pg_url: str) -> None:
    world = World(Store(pg_url, lock_wait_ms=20_000))
    try:
        _fault_then_recovery(world, postgres_disk_full(world.store), "store.full")
    finally:
        world.close()
