"""Online mode: fetch bundles and consistency proofs from a log service. The server is never trusted for
the verdict: everything fetched is verified locally like a file would be.

The HTTP client is the one I/O seam: :class:`LogService` asks over the :class:`httpx.Client` it is given
(default: a plain one of its own, per request), so a test hands it a client bound to the service in its own
process (``fastapi.testclient.TestClient(create_app(log))``: httpx over Starlette's in-process ASGI transport)
instead of starting a server. A client given is used as it is — its timeout, its lifetime — and never closed.
"""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import quote

import httpx
import orjson

from ledger.log_source_api import get_limited
from mapping.errors import CarbonLedgerError, InputError
from verifier.canonical import canonicalize

__all__ = ["MAX_BYTES", "TOTAL_S", "LogService", "OnlineSource"]

MAX_BYTES = 16 << 20
TOTAL_S = 60.0  # seconds for a whole answer (each read is bounded by the shared client's timeout)


class OnlineSource(Protocol):
    """What online mode reads, from a log service (:class:`LogService`) or static tiles
    (:class:`ledger.tiles_refresh.TilesRefresh`): never trusted, every answer verified by the caller."""

    def bundle(self, label_id: str, target: str | None, scheme: str | None = None) -> bytes: ...

    def bundle_refresh(
        self, label_id: str, from_size: int, target: str | None, scheme: str | None = None
    ) -> tuple[bytes, list[bytes]]: ...

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]: ...


class LogService:
    """The log service at ``url``, asked over ``http_client`` (default: a plain client per request)."""

    def __init__(self, url: str, http_client: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/")
        self.http_client = http_client

    def _get(self, path: str, params: dict[str, object]) -> httpx.Response:
        """The server's 200 answer to ``GET path``, read as it streams: at most :data:`MAX_BYTES`
        (``input.oversized``), within :data:`TOTAL_S` (``remote.unreachable``)."""
        url = f"{self.url}{path}"
        try:
            r = get_limited(self.http_client, url, MAX_BYTES, params, total_s=TOTAL_S)
        except httpx.HTTPError as e:
            raise InputError(f"cannot reach {url}: {e}", code="remote.unreachable") from e
        if r.status_code != 200:
            raise InputError(f"{url} answered {r.status_code}: {r.text[:300]}", code="remote.error")
        return r

    def _get_json(self, path: str, params: dict[str, object]) -> dict[str, Any]:
        """The server's answer to ``GET path`` as a JSON object; anything else is ``remote.error``."""
        r = self._get(path, params)
        try:
            body = orjson.loads(r.content)
        except (ValueError, RecursionError) as e:
            raise InputError(f"{r.url} answered 200 with no JSON: {e}", code="remote.error") from e
        if type(body) is not dict:
            raise InputError(f"{r.url} answered 200 with JSON that is not an object", code="remote.error")
        return body

    def bundle(self, label_id: str, target: str | None, scheme: str | None = None) -> bytes:
        """The bundle the server sends for ``label_id`` (of ``scheme``, when given) and ``target``. Whatever label
        it holds, the caller verifies it against the label asked about: a server is never trusted to answer the
        question it was asked."""
        params: dict[str, object] = {}
        if scheme:
            params["scheme"] = scheme
        if target:
            params["to"] = target
        return self._get(f"/v1/labels/{quote(label_id, safe='')}/bundle", params).content

    def bundle_refresh(
        self, label_id: str, from_size: int, target: str | None, scheme: str | None = None
    ) -> tuple[bytes, list[bytes]]:
        """A fresh bundle of ``label_id`` and the consistency proof to its checkpoint from ``from_size``, in one
        answer at one checkpoint (``GET /v1/bundles/{id}/refresh``: no race between two requests). The bundle
        is the RFC 8785 serialization of the object sent; both are checked by the caller."""
        params: dict[str, object] = {"from_size": from_size}
        if scheme:
            params["scheme"] = scheme
        if target:
            params["to"] = target
        body = self._get_json(f"/v1/bundles/{quote(label_id, safe='')}/refresh", params)
        try:
            return canonicalize(body["bundle"]), [bytes.fromhex(h) for h in body["consistency_proof"]]
        except (KeyError, TypeError, ValueError, RecursionError, CarbonLedgerError) as e:
            raise InputError(f"malformed bundle refresh from {self.url}: {e}", code="remote.error") from e

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        """The server's consistency proof between tree sizes ``size1 <= size2`` (checked by the verifier)."""
        body = self._get_json("/v1/proofs/consistency", {"size1": size1, "size2": size2})
        try:
            return [bytes.fromhex(h) for h in body["proof"]]
        except (KeyError, TypeError, ValueError) as e:
            raise InputError(f"malformed consistency proof from {self.url}: {e}", code="remote.error") from e
