"""Online mode: fetch bundles and consistency proofs from a log service. The server is never trusted for
the verdict: everything fetched is verified locally like a file would be."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from mapping.errors import InputError
from verifier.verify import KeptCheckpoint

TIMEOUT_S = 15.0
MAX_BYTES = 16 << 20


def _get(url: str, params: dict[str, object]) -> httpx.Response:
    try:
        r = httpx.get(url, params=params, timeout=TIMEOUT_S)
    except httpx.HTTPError as e:
        raise InputError(f"cannot reach {url}: {e}", code="remote.unreachable") from e
    if r.status_code != 200:
        raise InputError(f"{url} answered {r.status_code}: {r.text[:300]}", code="remote.error")
    if len(r.content) > MAX_BYTES:
        raise InputError(f"{url} sent more than {MAX_BYTES} bytes", code="input.oversized")
    return r


def fetch_bundle(server: str, label_id: str, target: str | None, scheme: str | None = None) -> bytes:
    """The bundle the server sends for ``label_id`` (of ``scheme``, when given) and ``target``. Whatever label it
    holds, the caller verifies it against the label asked about: a server is never trusted to answer the
    question it was asked."""
    params: dict[str, object] = {}
    if scheme:
        params["scheme"] = scheme
    if target:
        params["to"] = target
    return _get(f"{server.rstrip('/')}/v1/labels/{quote(label_id, safe='')}/bundle", params).content


def fetch_consistency(server: str, bundle: bytes, kept: KeptCheckpoint) -> list[bytes] | None:
    from verifier.bundle import parse_bundle
    from verifier.note import parse_checkpoint, split_note

    try:
        size = parse_checkpoint(split_note(parse_bundle(bundle).checkpoint)[0]).size
    except Exception:
        return None
    if size == kept.size:
        return None
    small, large = sorted((size, kept.size))
    body = _get(f"{server.rstrip('/')}/v1/proofs/consistency", {"size1": small, "size2": large}).json()
    try:
        return [bytes.fromhex(h) for h in body["proof"]]
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(f"malformed consistency proof from {server}: {e}", code="remote.error") from e
