"""Attack: a copy of a genuine envelope with a garbage signature, placed first in a batch, must not be stored.

The entry id is the SHA-256 of the payload alone, so a copy of a genuine signed envelope that carries another
signature has the genuine entry's id. The log checks signatures ahead of admission (worker threads for batches
of 32 or more, worker processes for batches the pool takes) and admission skips those it was told verified;
when that memory was keyed by (entry id, public key), the copy placed first was stored unverified and the
genuine envelope then got ``entry.duplicate``. Now a verified signature is remembered by the exact bytes
verified — (entry id, signature, public key) — so on every batch path the copy is refused with
``signature.invalid`` and the genuine envelope is stored, byte for byte, at its index.

Paths: ``Log.submit_many`` inline (< 32) and with the thread pre-check (>= 32), the worker processes
(``submit_many``, ``start_checks`` + ``commit_checked``, ``submit_pipelined``), ``carbonledger submit``, and
concurrent ``POST /v1/entries`` through the sequencer — each on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from cli.main import app as cli_app
from ledger import precheck
from ledger.api import create_app
from ledger.api.app import ApiLimits
from ledger.log import Log, Receipt, utc_now
from ledger.sequencer import SequencerLimits
from ledger.store import Store
from mapping.errors import CarbonLedgerError, SignatureError
from verifier.envelope import parse_entry
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .helpers import NOW, Signer, label_for

GD = "gd-carbon-label"
SMALL = 2  # inline checks: below ledger.precheck.THREAD_MIN_BATCH
LARGE = 40  # the thread pre-check: at least THREAD_MIN_BATCH, below the worker pool's minimum
POOL = precheck.POOL_MIN_BATCH + 8  # the worker processes


def canonical(doc: Any) -> bytes:
    """An envelope's canonical form (verifier/envelope.py): sorted keys, no spaces, base64 and hex strings only."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def forge(genuine: bytes) -> bytes:
    """The genuine envelope with ``signatures[0].sig`` replaced by 64 random bytes, re-serialized exactly as the
    original was: a well-formed envelope of the same payload (the same entry id) whose signature is garbage."""
    doc = json.loads(genuine)
    assert canonical(doc) == genuine, "the re-serialization must reproduce the genuine envelope byte for byte"
    doc["signatures"][0]["sig"] = base64.b64encode(os.urandom(64)).decode("ascii")
    forged = canonical(doc)
    assert forged != genuine
    copy, original = parse_entry(forged), parse_entry(genuine)  # the one valid form: it parses
    assert copy.entry_id == original.entry_id and copy.payload == original.payload
    assert copy.signature != original.signature
    return forged


def assert_copy_refused_and_genuine_stored(
    store: Store, forged_result: object, genuine_result: object, genuine: bytes
) -> int:
    assert isinstance(forged_result, CarbonLedgerError), f"the forged copy was stored: {forged_result!r}"
    assert isinstance(forged_result, SignatureError) and forged_result.code == "signature.invalid", forged_result
    assert isinstance(genuine_result, Receipt), f"the genuine envelope was refused: {genuine_result!r}"
    assert genuine_result.entry_id == parse_entry(genuine).entry_id
    row = store.entry(genuine_result.index)
    assert row is not None and row.envelope == genuine
    return genuine_result.index


def assert_all_stored(results: Sequence[object]) -> None:
    refused = [r for r in results if isinstance(r, CarbonLedgerError)]
    assert not refused, refused


# ---- Log.submit_many and the worker processes ------------------------------------------------------------------
def _log(db_url: str, *, workers: bool = False) -> Log:
    return Log(
        Store(db_url), SigningKey.generate(), "forge.test/log", Policy(frozenset({GD})), lambda: NOW,
        precheck_workers=workers,
    )  # fmt: skip


@pytest.fixture
def inline_log(db_url: str) -> Iterator[Log]:
    log = _log(db_url)
    yield log
    log.store.close()


@pytest.fixture
def worker_log(db_url: str) -> Iterator[Log]:
    log = _log(db_url, workers=True)
    yield log
    log.store.close()


def _issuer(log: Log) -> Signer:
    """A scheme and an issuing body it authorized, committed before the attack (so the pre-checks know its key)."""
    gd, cb = Signer(), Signer()
    assert_all_stored(log.submit_many([gd.register(GD), gd.authorize(GD, cb)]))
    return cb


def _attack_batch(cb: Signer, size: int, tag: str = "A") -> tuple[list[bytes], bytes, bytes]:
    """[forged copy, genuine, ...more of the issuer's chain]: ``size`` envelopes, the copy first."""
    genuine = cb.issue(label_for(GD, f"{tag}-GENUINE"))
    forged = forge(genuine)
    rest = [cb.issue(label_for(GD, f"{tag}-{i:04d}")) for i in range(size - 2)]
    return [forged, genuine, *rest], forged, genuine


def _check_batch(log: Log, results: Sequence[object], genuine: bytes, before: int) -> None:
    index = assert_copy_refused_and_genuine_stored(log.store, results[0], results[1], genuine)
    assert index == before  # the copy took no index: the genuine entry is the first appended
    assert_all_stored(results[1:])
    assert log.size == before + len(results) - 1


def test_forged_signature_copy_first_in_small_batch_is_not_stored(inline_log: Log) -> None:
    cb = _issuer(inline_log)
    batch, _, genuine = _attack_batch(cb, SMALL)
    _check_batch(inline_log, inline_log.submit_many(batch), genuine, before=2)


def test_forged_signature_copy_first_in_large_batch_is_not_stored(
    inline_log: Log, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[tuple[str, bytes, bytes]] = []
    verify_chunk = precheck.verify_chunk

    def spy(items):  # type: ignore[no-untyped-def]
        out = verify_chunk(items)
        verified.extend(out)
        return out

    monkeypatch.setattr(precheck, "verify_chunk", spy)
    cb = _issuer(inline_log)
    batch, _, genuine = _attack_batch(cb, LARGE)
    assert len(batch) >= precheck.THREAD_MIN_BATCH
    _check_batch(inline_log, inline_log.submit_many(batch), genuine, before=2)
    # The thread pre-check did run, and verified the genuine signature: exactly the memory the copy tried to use.
    entry = parse_entry(genuine)
    assert (entry.entry_id, entry.signature, cb.key.public_key) in verified
    assert all(eid != entry.entry_id or sig == entry.signature for eid, sig, _ in verified)


def test_forged_signature_copy_first_in_worker_checked_batch_is_not_stored(worker_log: Log) -> None:
    cb = _issuer(worker_log)
    batch, _, genuine = _attack_batch(cb, POOL)
    _check_batch(worker_log, worker_log.submit_many(batch), genuine, before=2)


def test_forged_signature_copy_first_in_started_checks_is_not_stored(worker_log: Log) -> None:
    cb = _issuer(worker_log)
    batch, _, genuine = _attack_batch(cb, POOL)
    pending = worker_log.start_checks(batch)
    assert pending.outcomes is not None, "the batch did not go to the worker processes"
    outcomes = precheck.collect(pending.outcomes)
    entry = parse_entry(genuine)
    assert outcomes[0] == ("parsed", None)  # the copy parses; its signature does not verify
    assert outcomes[1] == ("verified", (entry.entry_id, entry.signature, cb.key.public_key))
    _check_batch(worker_log, worker_log.commit_checked(pending), genuine, before=2)


def test_forged_signature_copy_first_in_pipelined_batch_is_not_stored(worker_log: Log) -> None:
    cb = _issuer(worker_log)
    first = [cb.issue(label_for(GD, f"P0-{i:04d}")) for i in range(POOL)]
    attack, _, genuine = _attack_batch(cb, POOL, "P1")
    later = [cb.issue(label_for(GD, f"P2-{i:04d}")) for i in range(POOL)]
    results = worker_log.submit_pipelined([first, attack, later])  # yields each batch once it is durable
    assert_all_stored(next(results))
    _check_batch(worker_log, next(results), genuine, before=2 + POOL)
    assert_all_stored(next(results))
    assert next(results, None) is None
    assert worker_log.size == 2 + 3 * POOL - 1


# ---- carbonledger submit ---------------------------------------------------------------------------------------
runner = CliRunner()


def _cli(home: Path, *args: str) -> tuple[int, Any]:
    result = runner.invoke(cli_app, ["--home", str(home), *args, "--json"])  # closes the store it opened
    return result.exit_code, json.loads(result.stdout)


def _write(tmp: Path, name: str, envelopes: Sequence[bytes]) -> list[str]:
    folder = tmp / name
    folder.mkdir()
    paths = []
    for i, env in enumerate(envelopes):
        path = folder / f"{i:04d}.env"
        path.write_bytes(env)
        paths.append(str(path))
    return paths


@pytest.mark.parametrize("size", [SMALL, LARGE, POOL], ids=["small", "large", "workers"])
def test_forged_signature_copy_first_in_cli_submit_is_not_stored(
    db_url: str, tmp_path: Path, size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CARBONLEDGER_DATABASE_URL", raising=False)
    home = tmp_path / "home"
    db = [] if db_url.startswith("sqlite") else ["--database-url", db_url]
    code, info = _cli(home, "init", "--allow", GD, "--origin", "forge.test/log", *db)
    assert code == 0, info
    now = utc_now()  # the command's log runs on the real clock
    gd, cb = Signer(), Signer()
    code, out = _cli(
        home, "submit", *_write(tmp_path, "setup", [gd.register(GD, now=now), gd.authorize(GD, cb, now=now)])
    )
    assert code == 0, out
    genuine = cb.issue(label_for(GD, "CLI-GENUINE"), now=now)
    batch = [forge(genuine), genuine, *(cb.issue(label_for(GD, f"CLI-{i:04d}"), now=now) for i in range(size - 2))]
    code, out = _cli(home, "submit", *_write(tmp_path, "batch", batch))
    assert code != 0  # one of the files was refused
    assert [("error" in item) for item in out] == [True] + [False] * (size - 1)
    assert out[0]["error"]["code"] == "signature.invalid", out[0]
    index = out[1]["receipt"]["index"]
    assert index == 2 and [item["receipt"]["index"] for item in out[1:]] == list(range(2, 2 + size - 1))
    store = Store(info["database_url"])
    try:
        row = store.entry(index)
        assert row is not None and row.envelope == genuine
        assert store.tree_size() == 2 + size - 1
    finally:
        store.close()


# ---- concurrent POST /v1/entries through the sequencer ---------------------------------------------------------
@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _until(condition: Callable[[], bool], what: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.005)


@pytest.mark.anyio
@pytest.mark.parametrize("size", [SMALL, LARGE, POOL], ids=["small", "large", "workers"])
async def test_forged_signature_copy_first_among_concurrent_posts_is_not_stored(db_url: str, size: int) -> None:
    """Concurrent POSTs: the copy is queued first, then the genuine envelope and the rest all at once (each from
    its own key, so arrival order decides no chain). The sequencer's first batch is held until they are all
    queued, so they are taken as one batch of ``size``, the copy first — checked inline, in threads or in the
    worker processes by size."""
    import anyio.to_thread

    log = _log(db_url, workers=True)
    gd, cb, holder = Signer(), Signer(), Signer()
    others = [Signer() for _ in range(size - 2)]
    setup = [gd.register(GD), *(gd.authorize(GD, s) for s in (cb, holder, *others))]
    assert_all_stored(log.submit_many(setup))
    genuine = cb.issue(label_for(GD, "HTTP-GENUINE"))
    forged = forge(genuine)
    rest = [genuine, *(s.issue(label_for(GD, f"HTTP-{i:04d}")) for i, s in enumerate(others))]

    taken, release = threading.Event(), threading.Event()
    started: list[tuple[int, bool]] = []
    start_checks = log.start_checks

    def spy(batch):  # type: ignore[no-untyped-def]
        if not taken.is_set():  # the first batch (the holder's entry) waits until every POST is queued
            taken.set()
            release.wait(60)
        pending = start_checks(batch)
        started.append((len(batch), pending.outcomes is not None))
        return pending

    log.start_checks = spy  # type: ignore[method-assign]
    app = create_app(log, ApiLimits(sequencer=SequencerLimits(max_batch=1000, max_wait_ms=20)))
    sequencer = app.state.deps.sequencer
    limiter = anyio.to_thread.current_default_thread_limiter()
    tokens, limiter.total_tokens = limiter.total_tokens, max(limiter.total_tokens, size + 10)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:

            def post(env: bytes) -> asyncio.Task[httpx.Response]:
                return asyncio.create_task(
                    client.post("/v1/entries", content=env, headers={"content-type": "application/json"})
                )

            first = post(holder.issue(label_for(GD, "HTTP-HOLDER")))
            await _until(taken.is_set, "the sequencer to take the first batch")
            copy = post(forged)
            await _until(lambda: sequencer._queue.qsize() == 1, "the forged copy to be queued")
            others_posted = [post(env) for env in rest]
            await _until(lambda: sequencer._queue.qsize() == 1 + len(rest), "every POST to be queued")
            release.set()
            responses = await asyncio.gather(first, copy, *others_posted)
            assert responses[0].status_code == 201, responses[0].text
            refused = responses[1]
            assert refused.status_code == 422 and refused.json()["error"]["code"] == "signature.invalid", refused.text
            stored = responses[2]
            assert stored.status_code == 201, stored.text
            assert all(r.status_code == 201 for r in responses[2:]), [r.text for r in responses[2:] if r.is_error]
            index = stored.json()["index"]
            got = (await client.get(f"/v1/entries/{index}")).json()
            assert got["envelope"] == json.loads(genuine)
    finally:
        release.set()
        limiter.total_tokens = tokens
        sequencer.close()
    assert started == [(1, False), (size, size >= precheck.POOL_MIN_BATCH)]
    row = log.store.entry(index)
    assert row is not None and row.envelope == genuine and row.entry_id == parse_entry(genuine).entry_id
    assert log.size == len(setup) + 1 + len(rest)
    log.store.close()
