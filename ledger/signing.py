"""Signing on a key's hash chain, for one home: the chain position, the signature, the bookkeeping after it.

An entry is signed at its key's next chain position (``seq`` and ``prev``): the home's :class:`ChainBook`
remembers it, and when a log is at hand its view of the key's head wins if it is further along
(:meth:`ledger.log.Log.chain_head`). The book advances only once the entry is kept — written to a file or
durable in the log — so a refused submission leaves the position for the next entry to use.

Every command that signs (``carbonledger scheme|key|label|agreement|dataset …``, the demo) goes through here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from verifier.keys import SigningKey

from .issuer import ChainBook, build_and_sign
from .log import Log, Receipt, utc_now

__all__ = ["SignedEntry", "Signer", "next_position"]


def next_position(book: ChainBook, key_id: str, log: Log | None = None) -> tuple[int, str]:
    """The (seq, prev) the key ``key_id`` signs its next entry at: the home's book, or the head ``log`` holds
    when that is further along."""
    return book.next_position(key_id, None if log is None else log.chain_head(key_id))


@dataclass(frozen=True)
class SignedEntry:
    """A signed envelope and where it sits on its key's chain."""

    kind: str
    envelope: bytes
    entry_id: str
    key_id: str
    seq: int


class Signer:
    """Signs entries for one home: chain positions from its book (and ``log``, when given), the clock passed in."""

    def __init__(self, home: Path, log: Log | None = None, clock: Callable[[], datetime] = utc_now) -> None:
        self.book = ChainBook(home)
        self.log = log
        self.clock = clock

    def sign(self, kind: str, fields: dict[str, Any], key: SigningKey) -> SignedEntry:
        """Sign ``fields`` as an entry of ``kind`` at the key's next position; the book is not advanced yet."""
        seq, prev = next_position(self.book, key.key_id, self.log)
        envelope, entry_id = build_and_sign(kind, fields, key, seq, prev, self.clock())
        return SignedEntry(kind, envelope, entry_id, key.key_id, seq)

    def kept(self, signed: SignedEntry) -> None:
        """Record that ``signed`` was kept (written out or logged): the key's next entry follows it."""
        self.book.advance(signed.key_id, signed.seq, signed.entry_id)

    def sign_to_file(self, kind: str, fields: dict[str, Any], key: SigningKey, out: Path) -> SignedEntry:
        """Sign and write the envelope to ``out`` (to submit later)."""
        signed = self.sign(kind, fields, key)
        out.write_bytes(signed.envelope)
        self.kept(signed)
        return signed

    def submit(self, kind: str, fields: dict[str, Any], key: SigningKey) -> Receipt:
        """Sign and submit to the log; the receipt comes once the entry is durable. Requires a log."""
        if self.log is None:
            raise ValueError("Signer.submit needs a log")
        signed = self.sign(kind, fields, key)
        receipt = self.log.submit(signed.envelope)
        self.kept(signed)
        return receipt
