"""Online mode: fetch bundles and consistency proofs from a log service. The server is never trusted for
the verdict: everything fetched is verified locally like a file would be.

The HTTP client is the one I/O seam: :class:`LogService` asks over the :class:`httpx.Client` it is given
(default: a plain one of its own, per request), so a test hands it a client bound to the service in its own
process (``fastapi.testclient.TestClient(create_app(log))``: httpx over Starlette's in-process ASGI transport)
instead of starting a server. A client given is used as it is — its timeout, its lifetime — and never closed.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx

from ledger.http_client import new_client
from mapping.errors import CarbonLedgerError, InputError, OversizedError
from verifier.canonical import canonicalize

__all__ = ["MAX_BYTES", "TIMEOUT_S", "LogService"]

TIMEOUT_S = 15.0
MAX_BYTES = 16 << 20


class LogService:
    """The log service at ``url``, asked over ``http_client`` (default: a plain client per request)."""

    def __init__(self, url: str, http_client: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/")
        self.http_client = http_client

    def _get(self, path: str, params: dict[str, object]) -> httpx.Response:
        url = f"{self.url}{path}"
        try:
            if self.http_client is not None:
                r = self.http_client.get(url, params=params)  # type: ignore[arg-type]
            else:
                with new_client(timeout=TIMEOUT_S) as client:
                    r = client.get(url, params=params)  # type: ignore[arg-type]
        except httpx.HTTPError as e:
            raise InputError(f"cannot reach {url}: {e}", code="remote.unreachable") from e
        if r.status_code != 200:
            raise InputError(f"{url} answered {r.status_code}: {r.text[:300]}", code="remote.error")
        if len(r.content) > MAX_BYTES:
            raise OversizedError(f"{url} sent more than {MAX_BYTES} bytes", code="input.oversized")
        return r

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
        body = self._get(f"/v1/bundles/{quote(label_id, safe='')}/refresh", params).json()
        try:
            return canonicalize(body["bundle"]), [bytes.fromhex(h) for h in body["consistency_proof"]]
        except (KeyError, TypeError, ValueError, CarbonLedgerError) as e:
            raise InputError(f"malformed bundle refresh from {self.url}: {e}", code="remote.error") from e

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        """The server's consistency proof between tree sizes ``size1 <= size2`` (checked by the verifier)."""
        body = self._get("/v1/proofs/consistency", {"size1": size1, "size2": size2}).json()
        try:
            return [bytes.fromhex(h) for h in body["proof"]]
        except (KeyError, TypeError, ValueError) as e:
            raise InputError(f"malformed consistency proof from {self.url}: {e}", code="remote.error") from e
