"""The HTTP API in-process (httpx ASGI transport): submissions, reads, and every error status."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from ledger.api import create_app
from ledger.api.app import ApiLimits
from ledger.log import Log
from ledger.sequencer import SequencerLimits, claimed_entry_id
from ledger.store import Store
from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.merkle import leaf_hash, verify_inclusion
from verifier.note import parse_checkpoint, verify_note

from .helpers import NOW, Signer, label_for

GD = "gd-carbon-label"


@pytest.fixture
def log(sqlite_url: str) -> Iterator[Log]:
    store = Store(sqlite_url)
    yield Log(store, SigningKey.generate(), "api.test/log", Policy(frozenset({GD})), lambda: NOW)
    store.close()


@pytest.fixture
async def client(log: Log) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(log)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c
    app.state.deps.sequencer.close()


async def post(client: httpx.AsyncClient, envelope: bytes, ctype: str = "application/json") -> httpx.Response:
    return await client.post("/v1/entries", content=envelope, headers={"content-type": ctype})


@pytest.mark.anyio
async def test_submit_and_read_back(client: httpx.AsyncClient, log: Log) -> None:
    gd, cqc = Signer(), Signer()
    assert (await post(client, gd.register(GD))).status_code == 201
    assert (await post(client, gd.authorize(GD, cqc))).status_code == 201
    env = cqc.issue(label_for(GD, "GD-1"))
    r = await post(client, env)
    assert r.status_code == 201, r.text
    receipt = r.json()
    note = (await client.get("/v1/checkpoint")).text
    assert verify_note(note, [log.vkey]) == ["api.test/log"]
    cp = parse_checkpoint(note.split("\n\n")[0] + "\n")
    verify_inclusion(
        leaf_hash(env), receipt["index"], cp.size, [bytes.fromhex(h) for h in receipt["inclusion_proof"]], cp.root_hash
    )
    got = (await client.get(f"/v1/entries/{receipt['index']}")).json()
    assert got["entry_id"] == receipt["entry_id"]
    proof = (await client.get("/v1/proofs/inclusion", params={"index": receipt["index"]})).json()
    assert proof["proof"] == receipt["inclusion_proof"]
    assert (await client.get("/v1/proofs/consistency", params={"size1": 1, "size2": 3})).status_code == 200
    assert (await client.get("/v1/schemas/label-record")).json()["title"].startswith("carbonledger label record")


@pytest.mark.anyio
async def test_error_statuses_and_codes(client: httpx.AsyncClient, log: Log) -> None:
    gd = Signer()
    reg = gd.register(GD)
    assert (await post(client, reg)).status_code == 201
    cases = [
        (post(client, b"{not json"), 400, "json.malformed"),
        (post(client, reg, "text/plain"), 415, "input.content_type"),
        (post(client, b"{" + b" " * 70000 + b"}"), 413, "input.oversized"),
        (post(client, reg), 409, "entry.duplicate"),
        (post(client, Signer().issue(label_for(GD, "X"))), 403, "entry.unknown_signer"),
        (post(client, Signer().register(GD)), 409, "scheme.already_bound"),
        (post(client, Signer().register("zz-label")), 403, "scheme.not_allowed"),
        (client.get("/v1/entries/99"), 404, "log.no_such_entry"),
        (client.get("/v1/proofs/inclusion", params={"index": 5, "size": 1}), 400, "proof.index_out_of_range"),
        (client.get("/v1/proofs/consistency", params={"size1": 1, "size2": 50}), 404, "log.no_such_size"),
        (client.get("/v1/schemas/nope"), 404, "schema.unknown"),
        (client.get("/v1/proofs/inclusion", params={"index": "x"}), 422, "request.invalid"),
    ]
    size = log.size
    for call, status, code in cases:
        r = await call
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
    assert log.size == size


@pytest.mark.anyio
async def test_openapi_describes_the_api(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert "/v1/entries" in spec["paths"] and "/v1/proofs/inclusion" in spec["paths"]


@pytest.mark.anyio
async def test_an_entry_is_found_by_its_entry_id(client: httpx.AsyncClient, log: Log) -> None:
    """Every kind: those another table indexes by entry id (a label) and the others (a registration, a key,
    a revocation), each answered exactly as by its index."""
    gd, cqc = Signer(), Signer()
    envelopes = [
        gd.register(GD),
        gd.authorize(GD, cqc, ["label.issue", "label.revoke"]),
        cqc.issue(label_for(GD, "GD-1")),
    ]
    receipts = [(await post(client, env)).json() for env in envelopes]
    fields = {"scheme": GD, "label_id": "GD-1", "label_entry": receipts[2]["entry_id"], "reason": "withdrawn"}
    receipts.append((await post(client, cqc.sign("label.revoke", fields))).json())
    for receipt in receipts:
        by_id = await client.get(f"/v1/entries/by-id/{receipt['entry_id']}")
        assert by_id.status_code == 200, by_id.text
        assert by_id.json() == (await client.get(f"/v1/entries/{receipt['index']}")).json()
    missing = await client.get(f"/v1/entries/by-id/{'ab' * 32}")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "log.no_such_entry")
    for bad in ("AB" * 32, "ab" * 31, "zz" * 32):
        r = await client.get(f"/v1/entries/by-id/{bad}")
        assert (r.status_code, r.json()["error"]["code"]) == (422, "request.invalid"), bad


@pytest.mark.anyio
async def test_a_receipt_timeout_is_503_and_the_entry_may_still_land(log: Log, monkeypatch: pytest.MonkeyPatch) -> None:
    """A slow write is not a 500: the client hears 503 with Retry-After, that the entry may still be appended,
    and where to look it up — and the entry does land."""
    gate = threading.Event()
    commit = log.commit_checked

    def slow_commit(*args: Any, **kw: Any) -> Any:
        gate.wait(10)
        return commit(*args, **kw)

    monkeypatch.setattr(log, "commit_checked", slow_commit)
    app = create_app(log, ApiLimits(sequencer=SequencerLimits(receipt_timeout_s=0.05)))
    gd = Signer()
    env = gd.register(GD)
    entry_id = claimed_entry_id(env)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        r = await post(client, env)
        assert r.status_code == 503 and r.headers["Retry-After"] == "2", r.text
        error = r.json()["error"]
        assert error["code"] == "log.busy" and "may still be appended" in error["message"]
        assert f"GET /v1/entries/by-id/{entry_id}" in error["message"]
        assert (await client.get(f"/v1/entries/by-id/{entry_id}")).status_code == 404  # not yet
        gate.set()
        for _ in range(200):
            found = await client.get(f"/v1/entries/by-id/{entry_id}")
            if found.status_code == 200:
                break
            time.sleep(0.02)
        assert found.status_code == 200 and found.json()["index"] == 0
    app.state.deps.sequencer.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
