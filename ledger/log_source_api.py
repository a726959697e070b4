"""A :class:`~ledger.log_source.LogSource` over the log's HTTP API (``/v1``), and the witnesses' checkpoint read.

Every answer is checked for shape here (an answer of the wrong shape is a precise ``source.malformed``, never a
``KeyError``); whether it is *true* is the caller's business (signatures, proofs, roots). The HTTP client may be
injected, as :class:`cli.remote.LogService` does: a test hands one bound to a service in its own process; a
client given is used as it is and never closed.

Errors: the log cannot be reached ``source.unreachable`` (503 / exit 1, retry later); the log answers with an
error ``source.error`` (its error envelope's code and message quoted); an answer of the wrong shape
``source.malformed``; an answer over :data:`MAX_BYTES` ``input.oversized``.
"""

from __future__ import annotations

import binascii
import time
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from mapping.errors import InputError, NotFoundError, OversizedError, UnavailableError
from verifier.b64 import decode_canonical

from .http_client import new_client

__all__ = ["MAX_BYTES", "RANGE", "TIMEOUT_S", "ApiSource", "fetch_witness_checkpoint", "get_limited"]

TIMEOUT_S = 15.0
MAX_BYTES = 96 << 20  # 1000 envelopes of at most 64 KiB each, in base64, with room
RANGE = 1000  # entries per request: the API's limit (ledger/api/entry_range_routes.py)
_ENCODING_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def get_limited(
    client: httpx.Client | None,
    url: str,
    limit: int,
    params: dict[str, Any] | None = None,
    total_s: float | None = None,
) -> httpx.Response:
    """Requires limit >= 0, total_s None or > 0. The answer to ``GET url``, its body read whole; ``input.oversized``
    as soon as the body passes ``limit`` bytes — read as it streams, so an endless answer costs at most ``limit``
    bytes of memory, not all of it. ``total_s`` bounds the whole answer (a client's timeout bounds each read, so a
    server sending a byte now and then would hold it for ever): past it, ``httpx.ReadTimeout``. Transport faults
    raise ``httpx.HTTPError`` (the caller names them)."""
    deadline = None if total_s is None else time.monotonic() + total_s
    own = new_client(timeout=TIMEOUT_S) if client is None else None
    asked = own if own is not None else client
    assert asked is not None  # one of the two is a client: own exactly when none was given
    try:
        with asked.stream("GET", url, params=params) as r:
            chunks: list[bytes] = []
            total = 0
            for chunk in r.iter_bytes():
                total += len(chunk)
                if total > limit:
                    raise OversizedError(f"{url} sent more than {limit} bytes", code="input.oversized")
                if deadline is not None and time.monotonic() > deadline:
                    raise httpx.ReadTimeout(f"the answer took longer than {total_s:g} s", request=r.request)
                chunks.append(chunk)
            # The body is decoded already (iter_bytes undoes Content-Encoding): the copy must not say it is encoded.
            headers = [(k, v) for k, v in r.headers.multi_items() if k.lower() not in _ENCODING_HEADERS]
            return httpx.Response(r.status_code, headers=headers, content=b"".join(chunks), request=r.request)
    finally:
        if own is not None:
            own.close()


def _get(client: httpx.Client | None, url: str, params: dict[str, Any] | None = None) -> httpx.Response:
    """Requires nothing. The answer to ``GET url``; raises ``source.unreachable`` when there is none."""
    try:
        return get_limited(client, url, MAX_BYTES, params)
    except httpx.HTTPError as e:
        raise UnavailableError(f"cannot reach {url}: {e}", code="source.unreachable") from e


def _refusal(url: str, r: httpx.Response) -> str:
    try:
        err = r.json()["error"]
        return f"{url} answered {r.status_code} {err['code']}: {err['message']}"
    except (ValueError, KeyError, TypeError):
        return f"{url} answered {r.status_code}: {r.text[:300]!r}"


class ApiSource:
    """The log whose API is at ``url`` (``https://host[/prefix]``, without ``/v1``), asked over ``http_client``."""

    def __init__(self, url: str, http_client: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/")
        self.http_client = http_client

    def _ok(self, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
        url = f"{self.url}{path}"
        r = _get(self.http_client, url, params)
        if r.status_code == 404:
            raise NotFoundError(_refusal(url, r), code="source.not_found")
        if r.status_code != 200:
            raise InputError(_refusal(url, r), code="source.error")
        return r

    def _json(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        r = self._ok(path, params)
        try:
            body = orjson.loads(r.content)
        except orjson.JSONDecodeError as e:
            raise InputError(f"{self.url}{path} answered no JSON: {e}", code="source.malformed") from e
        if type(body) is not dict:
            raise InputError(
                f"{self.url}{path} answered a {type(body).__name__}, not an object", code="source.malformed"
            )
        return body

    def checkpoint(self) -> str:
        """The newest checkpoint note as served (not verified here)."""
        r = self._ok("/v1/checkpoint")
        try:
            return r.content.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(f"{self.url}/v1/checkpoint is not UTF-8 text: {e}", code="source.malformed") from e

    def entries(self, start: int, end: int) -> list[bytes]:
        """Requires 0 <= start <= end. The envelopes at [start, end), fetched :data:`RANGE` at a time."""
        out: list[bytes] = []
        for lo in range(start, end, RANGE):
            out.extend(self._range(lo, min(end, lo + RANGE)))
        return out

    def _range(self, start: int, end: int) -> list[bytes]:
        where = f"{self.url}/v1/entries?start={start}&end={end}"
        body = self._json("/v1/entries", {"start": start, "end": end})
        entries = body.get("entries")
        if body.get("start") != start or type(entries) is not list:
            raise InputError(f"{where} answered no {{start: {start}, entries: [...]}} object", code="source.malformed")
        if len(entries) != end - start:
            raise InputError(
                f"{where} answered {len(entries)} entries for a range of {end - start}", code="source.malformed"
            )
        out = []
        for i, text in enumerate(entries):
            try:
                if type(text) is not str:
                    raise binascii.Error(f"a {type(text).__name__}, not a string")
                out.append(decode_canonical(text))
            except (ValueError, TypeError) as e:
                raise InputError(
                    f"{where}: entry {start + i} is not padded standard base64 ({e})", code="source.malformed"
                ) from e
        return out

    def _proof(self, path: str, params: dict[str, Any]) -> list[bytes]:
        body = self._json(path, params)
        proof = body.get("proof")
        try:
            if type(proof) is not list:
                raise ValueError("no list of hashes")
            hashes = [bytes.fromhex(h) for h in proof]
            if any(len(h) != 32 for h in hashes):
                raise ValueError("a hash that is not 32 bytes")
        except (TypeError, ValueError) as e:
            raise InputError(f"malformed proof from {self.url}{path} {params}: {e}", code="source.malformed") from e
        return hashes

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        return self._proof("/v1/proofs/consistency", {"size1": size1, "size2": size2})

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        return self._proof("/v1/proofs/inclusion", {"index": index, "size": size})


def fetch_witness_checkpoint(url: str, origin: str, http_client: httpx.Client | None = None) -> str | None:
    """Requires nothing. The newest checkpoint note the witness at ``url`` cosigned for ``origin``
    (``GET {url}/checkpoints/{origin}``, text/plain); None when it has none (404). Not verified here."""
    where = f"{url.rstrip('/')}/checkpoints/{quote(origin, safe='')}"
    r = _get(http_client, where)
    if r.status_code == 404:
        return None
    if r.status_code != 200:
        raise InputError(_refusal(where, r), code="source.error")
    try:
        return r.content.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{where} is not UTF-8 text: {e}", code="source.malformed") from e
