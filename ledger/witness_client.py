"""The log's client of C2SP tlog-witness: ask witnesses to cosign a checkpoint, and keep only what verifies.

Spec (facts, in our own words): https://c2sp.org/tlog-witness. The log sends ``old N``, the consistency proof
from N to the checkpoint's size, an empty line and the signed checkpoint, where N is the size it last saw the
witness at (0 at first). A 409 answer's body is the witness's size: the client then sends the proof from that
size, once (a size beyond the checkpoint's means the witness saw a larger tree: no proof can exist, give up).
The client must ignore cosignatures from keys it does not know, and moves the ones that verify against the
witness's key over this checkpoint into its own note.

Nothing here raises for a witness's failure: timeouts, refused connections, unexpected statuses and forged
lines are :class:`CosignResult` values with a precise ``error``. Only a malformed note given raises
(``note.*`` / ``checkpoint.*``).
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

import httpx

from mapping.errors import CarbonLedgerError, NoteError
from verifier.note import COSIGNATURE_V1_KEY_TYPE, Checkpoint, parse_checkpoint, parse_vkey, split_note
from verifier.note_syntax import VKey, parse_signature_line, verify_line

from .http_client import new_client

__all__ = ["MAX_RESPONSE_BYTES", "CosignResult", "WitnessConfig", "gather_cosignatures", "request_cosignature"]

MAX_RESPONSE_BYTES = 64 * 1024
_SIZE_BODY = re.compile(r"(0|[1-9][0-9]{0,19})\n")
ConsistencyProof = Callable[[int, int], list[bytes]]


@dataclass(frozen=True)
class WitnessConfig:
    """A witness the log asks: its submission URL prefix and C2SP verifier key (type 0x04; its name is the
    witness's name)."""

    url: str
    vkey: str

    @property
    def name(self) -> str:
        return self.vkey.split("+", 1)[0]


@dataclass(frozen=True)
class CosignResult:
    """One witness's outcome: the verified cosignature line (newline included) or the reason there is none;
    ``size`` is the witness's size afterwards when known (remember it for the next request)."""

    witness: str
    line: str | None = None
    size: int | None = None
    error: str | None = None


class _Failed(Exception):
    def __init__(self, error: str, size: int | None = None) -> None:
        super().__init__(error)
        self.error, self.size = error, size


def _parse_note(note: str) -> tuple[str, list[str], Checkpoint]:
    text, lines = split_note(note)
    return text, lines, parse_checkpoint(text)


def _witness_key(witness: WitnessConfig) -> VKey:
    try:
        key = parse_vkey(witness.vkey)
    except NoteError as e:
        raise _Failed(f"bad witness verifier key: {e.message}") from e
    if key.key_type != COSIGNATURE_V1_KEY_TYPE:
        raise _Failed(f"witness verifier key has type 0x{key.key_type:02x}, not cosignature/v1 (0x04)")
    return key


def _body(old: int, cp: Checkpoint, note: str, consistency_proof: ConsistencyProof) -> bytes:
    try:
        proof = consistency_proof(old, cp.size) if 0 < old < cp.size else []
    except CarbonLedgerError as e:
        raise _Failed(f"cannot make the consistency proof from size {old} to {cp.size}: {e.message}") from e
    lines = "".join(base64.b64encode(h).decode() + "\n" for h in proof)
    return f"old {old}\n{lines}\n{note}".encode()


def _post(client: httpx.Client, url: str, body: bytes, deadline: float) -> tuple[int, str, str]:
    """(status, content type, body text) of one POST within the deadline; _Failed for transport faults."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _Failed("timeout: no time left for the request")
    try:
        with client.stream(
            "POST", url, content=body, headers={"Content-Type": "text/plain"}, timeout=remaining
        ) as response:
            chunks: list[bytes] = []
            total = 0
            for chunk in response.iter_bytes():
                total += len(chunk)
                if total > MAX_RESPONSE_BYTES:
                    raise _Failed(f"HTTP {response.status_code}: answer over {MAX_RESPONSE_BYTES} bytes")
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise _Failed("timeout: the answer did not arrive in time")
            return (
                response.status_code,
                response.headers.get("content-type", ""),
                b"".join(chunks).decode("utf-8", "replace"),
            )
    except httpx.TimeoutException as e:
        raise _Failed(f"timeout after {remaining:.2f}s ({type(e).__name__})") from e
    except httpx.ConnectError as e:
        raise _Failed(f"unreachable: {url}: {e}") from e
    except httpx.HTTPError as e:
        raise _Failed(f"HTTP transport error: {type(e).__name__}: {e}") from e


def _verified_line(text: str, answer: str, key: VKey) -> str:
    """The first line of the 200 answer that is a valid cosignature by ``key`` over ``text``; lines of other
    keys are ignored, a line claiming ``key`` that does not verify is a forgery."""
    if not answer.endswith("\n"):
        raise _Failed("HTTP 200 but the answer does not end with a newline")
    good: str | None = None
    for raw in answer[:-1].split("\n"):
        try:
            sig = parse_signature_line(raw)
        except NoteError as e:
            raise _Failed(f"HTTP 200 but a line is not a note signature: {e.message}") from e
        if (sig.name, sig.key_hash) != (key.name, key.key_hash):
            continue  # "The client MUST ignore any cosignatures from unknown keys."
        try:
            verify_line(key, text, sig)
        except NoteError as e:
            raise _Failed(f"bad cosignature: {e.message}") from e
        good = good or raw + "\n"
    if good is None:
        raise _Failed(f"HTTP 200 but no cosignature by {key.name}+{key.key_hash.hex()} in the answer")
    return good


def _witness_size(status: int, body: str) -> int:
    match = _SIZE_BODY.fullmatch(body)
    if match is None:
        raise _Failed(f"HTTP {status} with a body that is not a tree size: {body[:200]!r}")
    return int(match.group(1))


def request_cosignature(
    witness: WitnessConfig,
    note: str,
    known_size: int,
    consistency_proof: ConsistencyProof,
    http_client: httpx.Client,
    timeout_s: float,
) -> CosignResult:
    """Requires a signed checkpoint note (raises ``note.*`` / ``checkpoint.*`` otherwise). Asks ``witness``
    to cosign it, starting from ``known_size`` and following one 409; the result, never an exception."""
    text, _, cp = _parse_note(note)
    deadline = time.monotonic() + timeout_s
    name = witness.name
    try:
        key = _witness_key(witness)
        url = witness.url.rstrip("/") + "/add-checkpoint"
        old = known_size
        for attempt in (1, 2):
            if old > cp.size:
                raise _Failed(
                    f"the witness is at size {old}, beyond this checkpoint's size {cp.size}: it saw a larger tree "
                    "(no consistency proof can exist; a fork or a rolled-back log)",
                    size=old,
                )
            status, _, body = _post(http_client, url, _body(old, cp, note, consistency_proof), deadline)
            if status == 200:
                return CosignResult(name, _verified_line(text, body, key), cp.size)
            if status != 409:
                raise _Failed(f"HTTP {status}: {body.strip()[:300]}")
            seen = _witness_size(status, body)
            if seen == old == cp.size:  # old matched: the witness cosigned another root for this size
                raise _Failed(
                    f"HTTP 409: the witness cosigned another root hash at size {seen} (a split view?)", size=seen
                )
            if seen == old:
                raise _Failed(f"HTTP 409 naming the old size sent ({old}): the witness contradicts itself", size=seen)
            if attempt == 2:
                raise _Failed(f"HTTP 409 again: the witness is now at size {seen} (sent old {old})", size=seen)
            old = seen
        raise AssertionError("unreachable")  # pragma: no cover
    except _Failed as e:
        return CosignResult(name, None, e.size, e.error)
    except Exception as e:  # a witness's fault must never become the log's exception
        return CosignResult(name, None, None, f"unexpected error: {type(e).__name__}: {e}")


def gather_cosignatures(
    witnesses: Sequence[WitnessConfig],
    note: str,
    known_sizes: dict[str, int],
    consistency_proof: ConsistencyProof,
    *,
    timeout_s: float,
    http_client: httpx.Client | None = None,
) -> tuple[str, list[CosignResult]]:
    """Requires a signed checkpoint note (raises ``note.*`` / ``checkpoint.*`` otherwise). Asks every witness at
    once (threads), waits about ``timeout_s`` in all, and returns the note with each verified cosignature line
    after the note's own lines (in ``witnesses``' order; an older line of the same witness key is replaced),
    and the results in that order."""
    text, lines, _ = _parse_note(note)
    if not witnesses:
        return note, []
    client = http_client or new_client()
    pool = ThreadPoolExecutor(max_workers=len(witnesses), thread_name_prefix="witness")
    try:
        futures = [
            pool.submit(request_cosignature, w, note, known_sizes.get(w.name, 0), consistency_proof, client, timeout_s)
            for w in witnesses
        ]
        wait(futures, timeout=timeout_s + 0.5)
        results = [
            f.result() if f.done() else CosignResult(w.name, None, None, f"timeout: no answer within {timeout_s:.2f}s")
            for w, f in zip(witnesses, futures, strict=True)
        ]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        if http_client is None:
            client.close()
    fresh = {_claim(r.line) for r in results if r.line is not None}
    kept = [line + "\n" for line in lines if _claim(line + "\n") not in fresh]
    added = [r.line for r in results if r.line is not None]
    return text + "\n" + "".join(kept) + "".join(added), results


def _claim(line: str) -> tuple[str, bytes]:
    sig = parse_signature_line(line[:-1] if line.endswith("\n") else line)
    return sig.name, sig.key_hash
