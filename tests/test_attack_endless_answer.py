"""A hostile log, tiles server or witness answers a monitor's (or a verifier's) GET with an endless body.

The readers cap every answer (``ledger.log_source_api.MAX_BYTES``, the tiles' sizes): the cap must hold while the
body streams, so the reader refuses with ``input.oversized`` after about the cap, instead of first holding the
whole answer in memory (an endless answer would exhaust it). Each test counts the bytes the server yielded."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from ledger import log_source_api
from ledger.log_source_api import ApiSource, fetch_witness_checkpoint
from ledger.tiles import TILE_WIDTH
from ledger.tiles_source import MAX_CHECKPOINT_BYTES, TilesSource
from mapping.errors import OversizedError

CHUNK = 1 << 16
CHUNKS = 4096  # 256 MiB if read whole


class Endless:
    """A server whose every answer is 200 and ``CHUNKS`` chunks of junk; ``sent`` counts what was drawn."""

    def __init__(self) -> None:
        self.sent = 0

    def _body(self) -> Iterator[bytes]:
        for _ in range(CHUNKS):
            self.sent += CHUNK
            yield b"x" * CHUNK

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200, content=self._body())))


def _refused_after(server: Endless, limit: int, call: Callable[[], object]) -> None:
    with pytest.raises(OversizedError) as e:
        call()
    assert e.value.code == "input.oversized"
    assert server.sent <= limit + 2 * CHUNK, f"read {server.sent} bytes of an answer capped at {limit}"


def test_attack_an_endless_tiles_checkpoint_is_refused_while_it_streams() -> None:
    server = Endless()
    _refused_after(server, MAX_CHECKPOINT_BYTES, TilesSource("http://tiles.test", server.client()).checkpoint)


def test_attack_an_endless_hash_tile_is_refused_while_it_streams() -> None:
    server = Endless()
    source = TilesSource("http://tiles.test", server.client())
    source.size = TILE_WIDTH  # as if a checkpoint of one full tile had been read
    _refused_after(server, 32 * TILE_WIDTH, lambda: source.node(0, 0))


def test_attack_an_endless_api_answer_is_refused_while_it_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(log_source_api, "MAX_BYTES", 1 << 20)
    for call in (
        lambda c: ApiSource("http://log.test", c).checkpoint(),
        lambda c: ApiSource("http://log.test", c).entries(0, 10),
        lambda c: ApiSource("http://log.test", c).consistency_proof(1, 2),
        lambda c: fetch_witness_checkpoint("http://witness.test", "log.test/origin", c),
    ):
        server = Endless()
        _refused_after(server, 1 << 20, lambda call=call, server=server: call(server.client()))


def test_a_gzip_encoded_answer_is_read_decoded_and_capped_decoded() -> None:
    """tlog-tiles: entry bundles SHOULD be compressed at the HTTP layer (``Content-Encoding: gzip``). The capped
    read keeps working on such answers, and the cap counts the decoded bytes (a small gzip of a huge body is
    refused too)."""
    import gzip

    from ledger.tiles import bundle_bytes

    bundle = bundle_bytes([b"entry"])
    bomb = gzip.compress(bytes(8 << 20))

    def answer(request: httpx.Request) -> httpx.Response:
        body = bomb if request.url.path.endswith("/checkpoint") else gzip.compress(bundle)
        return httpx.Response(200, content=body, headers={"Content-Encoding": "gzip"})

    source = TilesSource("http://tiles.test", httpx.Client(transport=httpx.MockTransport(answer)))
    source.size = 1
    assert source.entries(0, 1) == [b"entry"]
    with pytest.raises(OversizedError):
        source.checkpoint()
