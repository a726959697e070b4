"""SQLModel tables of the persistent log (SQLite by default, PostgreSQL by URL).

Wire models live elsewhere; these are storage only. Hashes and envelopes are
stored as raw bytes; ids as lower-case hex.
"""

from __future__ import annotations

import re

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from mapping.errors import InputError, UsageError
from verifier.envelope import envelope_bytes

# A 64-bit integer key that SQLite stores as the table's rowid ("INTEGER PRIMARY KEY"): no second B-tree
# for the key, and appends in key order land at the end of the table. BIGINT elsewhere.
ROWID_BIGINT = BigInteger().with_variant(Integer(), "sqlite")

NODE_LEVEL_SHIFT = 48  # node id = level << 48 | index: one integer key per perfect subtree

# Indexes, tree sizes, sequence numbers and versions are signed 64-bit columns in both stores: no log holds a
# number at or past 2**63, and SQLite raises OverflowError on a query with one. Every number a client sends
# (API and page parameters, CLI arguments) goes through :func:`bounded_int` before it reaches a query.
INT64_MAX = (1 << 63) - 1
_DECIMAL = re.compile(r"-?[0-9]+", re.ASCII)


def bounded_int(value: object, field: str | None = None, *, minimum: int = 0, maximum: int = INT64_MAX) -> int:
    """``value`` — an int, or a decimal string of ASCII digits (an optional ``-``, no ``+``, ``_``, spaces or
    other scripts' digits) — as an int in ``[minimum, maximum]`` (by default ``0 <= n < 2**63``).

    Otherwise :class:`~mapping.errors.InputError`: ``input.integer`` when it is not a decimal integer,
    ``input.out_of_range`` when it is one outside the bounds; ``field`` names the parameter.
    """
    assert minimum <= maximum <= INT64_MAX  # the bounds are the calling code's constants; only value is sent
    where = f"{field} " if field else ""
    bounds = f"from {minimum} to {maximum}"
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _DECIMAL.fullmatch(value):
        digits = value.lstrip("-").lstrip("0")
        if len(digits) > len(str(INT64_MAX)):  # far out of range: never handed to int() (a long string is slow)
            raise InputError(
                f"{where}must be a whole number {bounds}, got a number of {len(digits)} digits",
                code="input.out_of_range",
                field=field,
            )
        number = -int(digits or "0") if value.startswith("-") else int(digits or "0")
    else:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "…"
        raise UsageError(
            f"{where}must be a whole number {bounds} in ASCII digits, got {shown}", code="input.integer", field=field
        )
    if not minimum <= number <= maximum:
        raise InputError(
            f"{where}must be a whole number {bounds}, got {number}", code="input.out_of_range", field=field
        )
    return number


class EntryRow(SQLModel, table=True):
    __tablename__ = "entries"
    __table_args__ = (
        UniqueConstraint("signer", "seq", name="uq_entries_signer_seq"),
        Index("ix_entries_scheme_kind_subject", "scheme", "kind", "subject"),
    )

    idx: int = Field(sa_column=Column(ROWID_BIGINT, primary_key=True, autoincrement=False))
    # Not unique-indexed: the same entry id means the same payload, hence the same (signer, seq), which is
    # unique; a random-keyed index here would cost every append a random B-tree insert.
    entry_id: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    signer: str = Field(max_length=64)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    scheme: str | None = Field(default=None, max_length=64)
    subject: str | None = Field(
        default=None, max_length=128, description="label id (label kinds), the key id a key entry is about, dataset id"
    )
    integrated_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sig: bytes = Field(sa_column=Column(LargeBinary, nullable=False))

    # An envelope has one valid form, so the payload and signature are kept and the exact envelope bytes
    # (the Merkle leaf) rebuilt on read: a third fewer bytes to write and sync per entry.
    @property
    def envelope(self) -> bytes:
        return envelope_bytes(bytes(self.payload), self.signer, bytes(self.sig))


class NodeRow(SQLModel, table=True):
    """Hash of the perfect subtree (level, index) covering leaves [index*2**level, (index+1)*2**level)."""

    __tablename__ = "nodes"

    id: int = Field(sa_column=Column(ROWID_BIGINT, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class CheckpointRow(SQLModel, table=True):
    __tablename__ = "checkpoints"

    size: int = Field(sa_column=Column(ROWID_BIGINT, primary_key=True, autoincrement=False))
    root: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    note: str
    timestamp_ms: int = Field(sa_column=Column(BigInteger, nullable=False))


class SchemeRow(SQLModel, table=True):
    __tablename__ = "schemes"

    scheme_id: str = Field(primary_key=True, max_length=64)
    root_key_id: str = Field(max_length=64)
    role: str = Field(max_length=32)
    name: str
    registered_index: int = Field(sa_column=Column(BigInteger, nullable=False))


class KeyRow(SQLModel, table=True):
    __tablename__ = "keys"

    key_id: str = Field(primary_key=True, max_length=64)
    public_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    scheme: str = Field(max_length=64, index=True)
    role: str = Field(max_length=16)
    kinds: str = Field(description="space-separated entry kinds this key may sign")
    authorized_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    not_after: str | None = None
    revoked_index: int | None = Field(default=None, sa_column=Column(BigInteger))
    revoked_from_index: int | None = Field(default=None, sa_column=Column(BigInteger))
    head_seq: int = Field(default=-1, sa_column=Column(BigInteger, nullable=False))
    head_id: str = Field(default="0" * 64, max_length=64)


class LabelRow(SQLModel, table=True):
    __tablename__ = "labels"
    __table_args__ = (Index("ix_labels_model", "model"), Index("ix_labels_gtin", "gtin"))

    # label_id first: the primary key's index also serves admission's lookups by label id alone
    label_id: str = Field(primary_key=True, max_length=128)
    scheme: str = Field(primary_key=True, max_length=64)
    entry_id: str = Field(max_length=64, unique=True)
    idx: int = Field(sa_column=Column(BigInteger, nullable=False))
    signer: str = Field(max_length=64)
    status: str = Field(default="active", max_length=16)
    status_index: int | None = Field(default=None, sa_column=Column(BigInteger))
    status_entry: str | None = Field(default=None, max_length=64)
    replacement_entry: str | None = Field(default=None, max_length=64)
    product_name: str | None = None
    model: str | None = None
    gtin: str | None = Field(default=None, max_length=32)
    manufacturer: str | None = None


class DatasetRow(SQLModel, table=True):
    """One published version of a background dataset (dataset.publish), and its retirement if any."""

    __tablename__ = "datasets"

    dataset_id: str = Field(primary_key=True, max_length=64)
    version: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    publisher: str = Field(max_length=64)
    entry_id: str = Field(max_length=64, unique=True)
    idx: int = Field(sa_column=Column(BigInteger, nullable=False))
    title: str | None = None
    status: str = Field(default="published", max_length=16)  # published or retired
    retired_index: int | None = Field(default=None, sa_column=Column(BigInteger))
    retire_entry: str | None = Field(default=None, max_length=64)


class AgreementEventRow(SQLModel, table=True):
    """Every agreement.propose / accept / withdraw entry, so the negotiation history loads without a scan."""

    __tablename__ = "agreement_events"

    idx: int = Field(sa_column=Column(ROWID_BIGINT, primary_key=True, autoincrement=False))
    entry_id: str = Field(max_length=64, unique=True)
    agreement_id: str = Field(max_length=128, index=True)
    version: int = Field(sa_column=Column(BigInteger, nullable=False))
    kind: str = Field(max_length=32)
    scheme: str = Field(max_length=64)
    terms_hash: str = Field(max_length=64)
    at: str = Field(max_length=32, description="the entry's signed_at, within the admission clock window")


# ---- the status map (verifier/status_map.py; written by ledger/status_store.py) ------------------------------
STATUS_PAGE_BITS = 20  # pages a batch may write: 2**20
STATUS_PAGE_LEVELS = 4


class StatusRecordRow(SQLModel, table=True):
    """The current status record of each status-bearing object (verifier/status_records.py), by its map key.

    A rowid table on SQLite (its key in an index of its own), not WITHOUT ROWID: map keys are hashes, so a batch's
    new records land all over a table keyed by them, a dirty page of ~250-byte rows each (some 700 pages a batch
    of 1,000 at 20,000 records), where in rowid order they are appended and only the 40-byte index entries
    scatter. Measured (`bench ingest --n 20000`, interleaved, three rounds): 3,645 entries/s against 3,055.
    A store made before keeps its WITHOUT ROWID table; both hold the same rows and answer the same queries."""

    __tablename__ = "status_records"

    map_key: bytes = Field(sa_column=Column(LargeBinary, primary_key=True))
    kind: str = Field(max_length=16)
    object_id: str
    record: bytes = Field(sa_column=Column(LargeBinary, nullable=False), description="canonical JSON (RFC 8785)")


# Keyed by hashes and written only when a record is replaced: WITHOUT ROWID on SQLite, one B-tree.
class StatusRecordVersionRow(SQLModel, table=True):
    """A record an update replaced, by its map value (leaf_value of its bytes): what an older root's leaf
    holds, so a status proof at an older checkpoint comes with the record it proves."""

    __tablename__ = "status_record_versions"
    __table_args__ = {"sqlite_with_rowid": False}

    value: bytes = Field(sa_column=Column(LargeBinary, primary_key=True))
    map_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    record: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class StatusNodeRow(SQLModel, table=True):
    """Status map nodes (65-byte encodings, content-addressed: never changed or removed) in pages: a page holds the
    nodes one batch made in a band of :data:`STATUS_PAGE_LEVELS` levels of the tree under one of them (so a path
    read down the tree reads a page every four levels), keyed ``size << STATUS_PAGE_BITS | n``, ``size`` the tree
    size after the batch (a rebuild's: negative) and ``n`` the page's number in it. A batch's pages are appended
    together at the end of the key order; a node a row, scattered by hash, would cost a B-tree insert and a
    dirty page each (a batch of 1,000 entries makes some 7,000-12,000 nodes). ``nodes`` is, for each node of the
    page, its hash, its encoding and the pages holding its two children (8-byte signed big-endian, -2**63 for
    none): 113 bytes a node; a parent says where its children are (``ledger/status_store.py``)."""

    __tablename__ = "status_nodes"

    # one integer key: SQLite's rowid, whose table B-tree keeps rows of a few kilobytes on their page (a WITHOUT
    # ROWID table would spill each one past a kilobyte to an overflow page)
    id: int = Field(sa_column=Column(ROWID_BIGINT, primary_key=True, autoincrement=False))
    nodes: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class StatusRootRow(SQLModel, table=True):
    """The status map's root at each checkpointed tree size, and the time the checkpoint's extension says."""

    __tablename__ = "status_roots"

    size: int = Field(sa_column=Column(ROWID_BIGINT, primary_key=True, autoincrement=False))
    root: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    root_page: int = Field(sa_column=Column(BigInteger, nullable=False), description="the page holding the root")
    time_s: int = Field(sa_column=Column(BigInteger, nullable=False))
