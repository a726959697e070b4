"""The HTTP API in-process (httpx ASGI transport): submissions, reads, and every error status."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from ledger.api import create_app
from ledger.log import Log
from ledger.state import Policy
from ledger.store import Store
from verifier.keys import SigningKey
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


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
