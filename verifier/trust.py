"""The buyer's trust file: the log key, witness keys and threshold, trusted scheme roots (obtained out of band).

Optional limits: ``max_checkpoint_age_s`` (step 9: the newest witness cosignature must be that recent) and
``max_status_age_s`` (step 8: the status a bundle proves must have been signed by the log that recently; an
older one is the verdict ``status_stale``, exit 8, and a bundle that proves no status at all is stale too).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from mapping.errors import CarbonLedgerError, InputError, NoteError
from verifier import schemas
from verifier.canonical import loads_strict
from verifier.envelope import public_key_bytes_from_b64
from verifier.note import COSIGNATURE_V1_KEY_TYPE, parse_vkey

TRUST_VERSION = "carbonledger.trust/v1"
MAX_TRUST_BYTES = 1 << 20


@dataclass(frozen=True)
class Trust:
    origin: str
    log_vkey: str
    witness_vkeys: tuple[str, ...]
    threshold: int
    scheme_roots: dict[str, frozenset[bytes]]
    buyer_scheme: str | None = None
    max_checkpoint_age_s: int | None = None
    max_status_age_s: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "version": TRUST_VERSION,
            "log": {"origin": self.origin, "vkey": self.log_vkey},
            "witnesses": {"threshold": self.threshold, "vkeys": list(self.witness_vkeys)},
            "schemes": [
                {"id": s, "root_keys": sorted(base64.b64encode(k).decode() for k in keys)}
                for s, keys in sorted(self.scheme_roots.items())
            ],
        }
        if self.buyer_scheme:
            out["buyer_scheme"] = self.buyer_scheme
        if self.max_checkpoint_age_s:
            out["max_checkpoint_age_s"] = self.max_checkpoint_age_s
        if self.max_status_age_s:
            out["max_status_age_s"] = self.max_status_age_s
        return out


def pruned(t: Trust, keep: Iterable[str]) -> Trust:
    """Requires nothing. ``t`` trusting only the schemes in ``keep`` (``trust.unknown_scheme`` naming any it does
    not hold; the buyer's scheme, if any, must stay)."""
    wanted = set(keep)
    missing = sorted(wanted - set(t.scheme_roots))
    if missing:
        raise InputError(f"the trust file holds no scheme {', '.join(missing)}", code="trust.unknown_scheme")
    if t.buyer_scheme and t.buyer_scheme not in wanted:
        raise InputError(
            f"the buyer's own scheme {t.buyer_scheme} must stay in the trust file", code="trust.buyer_scheme"
        )
    return replace(t, scheme_roots={s: k for s, k in t.scheme_roots.items() if s in wanted})


def fingerprint(public_key: bytes) -> str:
    """The first 16 hex digits of a key's SHA-256: what a buyer compares on a second channel."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def parse_trust(data: bytes) -> Trust:
    """Parse a trust file strictly; raise :class:`InputError` (``trust.*``) naming what is wrong."""
    try:
        doc = loads_strict(data, what="trust file", max_bytes=MAX_TRUST_BYTES)
        if isinstance(doc, dict) and str(doc.get("version", "")).startswith("carbonledger.bundle/"):
            raise InputError(
                "this is a label bundle, not a trust file: give it as the bundle and, with --trust, the trust file "
                "the buyer's scheme or the log exported ('carbonledger trust export')",
                code="trust.is_a_bundle",
                field="/version",
            )
        if isinstance(doc, dict) and doc.get("version") != TRUST_VERSION:
            raise InputError(
                f"unknown trust file version {doc.get('version')!r}; this verifier reads {TRUST_VERSION}",
                code="trust.version",
                field="/version",
            )
        schemas.validate("trust", doc)
    except InputError:
        raise
    except CarbonLedgerError as e:
        raise InputError(f"trust file: {e.message}", code="trust.invalid", field=e.field) from e
    distinct = _check_witness_keys(doc["log"]["vkey"], doc["witnesses"]["vkeys"])
    if doc["witnesses"]["threshold"] > distinct:
        raise InputError(
            f"witness threshold {doc['witnesses']['threshold']} exceeds the {distinct} distinct witness keys given",
            code="trust.invalid",
            field="/witnesses/threshold",
        )
    roots: dict[str, frozenset[bytes]] = {}
    for i, s in enumerate(doc["schemes"]):
        if s["id"] in roots:
            raise InputError(f"scheme {s['id']!r} is listed twice", code="trust.invalid", field=f"/schemes/{i}/id")
        roots[s["id"]] = frozenset(
            public_key_bytes_from_b64(k, f"/schemes/{i}/root_keys/{j}") for j, k in enumerate(s["root_keys"])
        )
    return Trust(
        origin=doc["log"]["origin"],
        log_vkey=doc["log"]["vkey"],
        witness_vkeys=tuple(doc["witnesses"]["vkeys"]),
        threshold=doc["witnesses"]["threshold"],
        scheme_roots=roots,
        buyer_scheme=doc.get("buyer_scheme"),
        max_checkpoint_age_s=doc.get("max_checkpoint_age_s"),
        max_status_age_s=doc.get("max_status_age_s"),
    )


def _check_witness_keys(log_vkey: str, witness_vkeys: list[str]) -> int:
    """The number of distinct witness public keys; raises ``trust.invalid`` at ``/witnesses/vkeys/<i>`` for a
    witness key that does not parse, is not a cosignature/v1 (0x04) key, is the log's own public key, or
    repeats an earlier witness's public key (under any name: cosignature/v1 does not commit to the name, so
    one key under two names is one witness, and would otherwise count twice toward the threshold)."""
    try:
        log_public_key: bytes | None = parse_vkey(log_vkey).public_key
    except NoteError:
        log_public_key = None  # step 6 reports the unusable log key, as before
    seen: dict[bytes, tuple[int, str]] = {}
    for i, vkey in enumerate(witness_vkeys):
        where = f"/witnesses/vkeys/{i}"
        try:
            key = parse_vkey(vkey)
        except NoteError as e:
            raise InputError(f"witness key {i}: {e.message}", code="trust.invalid", field=where) from e
        if key.key_type != COSIGNATURE_V1_KEY_TYPE:
            raise InputError(
                f"witness key {i} ({key.name!r}) has type 0x{key.key_type:02x}; a witness key must be a "
                f"cosignature/v1 key (type 0x04)",
                code="trust.invalid",
                field=where,
            )
        if key.public_key == log_public_key:
            raise InputError(
                f"witness key {i} ({key.name!r}) is the log's own public key: a log cannot witness its own "
                f"checkpoints (its cosignature gives no split-view protection)",
                code="trust.invalid",
                field=where,
            )
        earlier = seen.get(key.public_key)
        if earlier is not None:
            raise InputError(
                f"witness key {i} ({key.name!r}) has the same public key as witness key {earlier[0]} "
                f"({earlier[1]!r}): one witness listed twice would count twice toward the threshold",
                code="trust.invalid",
                field=where,
            )
        seen[key.public_key] = (i, key.name)
    return len(seen)
