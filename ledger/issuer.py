"""The issuer's side: build an entry body with its key's chain position and sign it.

A key's chain position (next ``seq`` and ``prev``) is remembered per home in
``chains.json``, so that envelopes signed now and submitted later still chain.
When a log is at hand, its view of the key's head wins if it is further along.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from verifier.envelope import ZERO_ENTRY_ID, sign_entry_with_id
from verifier.keys import SigningKey

from .home import CHAINS_FILE, write_json_atomic


def timestamp(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


class ChainBook:
    """Next (seq, prev) for each signing key of one home, persisted atomically."""

    def __init__(self, home: Path) -> None:
        self.path = home / CHAINS_FILE

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {}
        return json.loads(self.path.read_text(encoding="utf-8"))

    def next_position(self, key_id: str, log_head: tuple[int, str] | None = None) -> tuple[int, str]:
        seq, prev = 0, ZERO_ENTRY_ID
        mine = self._read().get(key_id)
        if mine is not None:
            seq, prev = mine["seq"], mine["prev"]
        if log_head is not None and log_head[0] + 1 > seq:
            seq, prev = log_head[0] + 1, log_head[1]
        return seq, prev

    def advance(self, key_id: str, seq: int, this_entry_id: str) -> None:
        book = self._read()
        book[key_id] = {"seq": seq + 1, "prev": this_entry_id}
        write_json_atomic(self.path, book)


def build_and_sign(
    kind: str, fields: dict[str, Any], key: SigningKey, seq: int, prev: str, now: datetime
) -> tuple[bytes, str]:
    """Sign ``fields`` as an entry of ``kind`` at chain position (seq, prev); return (envelope, entry id)."""
    body = {"kind": kind, "signer": key.key_id, "seq": seq, "prev": prev, "signed_at": timestamp(now), **fields}
    return sign_entry_with_id(body, key)
