"""The ledger state the rule book folds entries into, as plain records (DESIGN §2 "the rule book").

The rule book (:mod:`verifier.rules`) reads the state through :class:`AuthorityView` and never writes; it
returns each admitted entry's :class:`Change` list, which the holder of the state applies in log order. Two
holders exist: the log (``ledger/log.py``: keys and schemes in memory, labels and entries from its store) and
:class:`verifier.memory_state.MemoryState` (a bundle's entries, or a whole log replayed by a monitor or a test).

A view is *complete* when it holds every entry of the log before the one judged (the log, a replay), and
*partial* when it holds a selection (a bundle): the rules that depend on what is absent (a gap in a key's
chain, a cited dataset the view does not hold) apply only to complete views.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from mapping.negotiation import AgreementEvent
from verifier.keys import VerifyingKey

ROOT = "root"
DELEGATE = "delegate"

# What a data publisher's root key may sign besides the root kinds (and may delegate).
PUBLISHER_KINDS = frozenset({"dataset.publish", "dataset.retire"})

# What a scheme's current root key may sign for its own scheme.
ROOT_KINDS = frozenset(
    {
        "scheme.rotate",
        "key.authorize",
        "key.revoke",
        "label.revoke",
        "label.supersede",
        "profile.publish",
        "agreement.propose",
        "agreement.accept",
        "agreement.withdraw",
    }
)


@dataclass(slots=True)
class KeyRecord:
    key_id: str
    verifying_key: VerifyingKey
    scheme: str
    role: str  # ROOT or DELEGATE
    kinds: frozenset[str]
    authorized_index: int
    not_after: datetime | None = None
    revoked_index: int | None = None  # index of the key.revoke / scheme.rotate that ended it
    revoked_from_index: int | None = None  # entries at or after this index stop counting
    head_seq: int = -1  # seq of the key's last entry in the log; -1 when none yet
    head_id: str = "0" * 64
    holder: str | None = None  # who the authorization names as holding the key (not kept by the log's store)


@dataclass(slots=True)
class SchemeRecord:
    scheme_id: str
    root_key_id: str
    role: str  # "scheme" or "data-publisher"
    name: str
    registered_index: int


@dataclass(frozen=True, slots=True)
class LabelRecord:
    scheme: str
    label_id: str
    entry_id: str
    index: int
    signer: str
    status: str = "active"  # active, revoked, superseded


@dataclass(frozen=True, slots=True)
class DatasetRecord:
    dataset_id: str
    version: int
    publisher: str
    entry_id: str
    index: int
    status: str = "published"  # published or retired
    retired_index: int | None = None


@dataclass(frozen=True, slots=True)
class EntryRef:
    index: int
    entry_id: str
    kind: str
    signer: str


class AuthorityView(Protocol):
    """Read-only view of the log's authority state, as of the entry being admitted."""

    @property
    def complete(self) -> bool:
        """True when the view holds every earlier entry of the log; False for a bundle's selection."""
        ...

    def key(self, key_id: str) -> KeyRecord | None: ...

    def scheme(self, scheme_id: str) -> SchemeRecord | None: ...

    def label(self, scheme_id: str, label_id: str) -> LabelRecord | None: ...

    def label_by_entry(self, entry_id: str) -> LabelRecord | None: ...

    def entry_at_seq(self, signer: str, seq: int) -> EntryRef | None: ...

    def dataset_versions(self, dataset_id: str) -> list[DatasetRecord]: ...

    def profile_versions(self, publisher: str, profile_id: str) -> set[str]:
        """Versions of ``profile_id`` that ``publisher`` already published."""
        ...

    def agreement_history(self) -> list[AgreementEvent]:
        """Every agreement event admitted so far, in log order (the overlap check looks across agreements)."""
        ...

    def dataset_payload(self, entry_id: str) -> tuple[DatasetRecord, dict] | None:
        """The dataset.publish payload logged under ``entry_id``, with its record; None if there is none."""
        ...


@dataclass(frozen=True, slots=True)
class Policy:
    """Operator settings that admission obeys."""

    allowed_schemes: frozenset[str] = frozenset()
    allow_any_scheme: bool = False
    max_clock_skew_s: int = 300


# Changes an admitted entry makes to the authority state (applied in log order).
@dataclass(frozen=True, slots=True)
class AddScheme:
    record: SchemeRecord


@dataclass(frozen=True, slots=True)
class AddKey:
    record: KeyRecord


@dataclass(frozen=True, slots=True)
class RevokeKey:
    key_id: str
    revoked_index: int
    revoked_from_index: int


@dataclass(frozen=True, slots=True)
class RotateRoot:
    scheme_id: str
    new_root_key_id: str


@dataclass(frozen=True, slots=True)
class AddLabel:
    record: LabelRecord


@dataclass(frozen=True, slots=True)
class SetLabelStatus:
    scheme: str
    label_id: str
    status: str
    index: int
    by_entry: str
    replacement_entry: str | None = None


@dataclass(frozen=True, slots=True)
class AddDataset:
    record: DatasetRecord
    title: str
    payload: dict


@dataclass(frozen=True, slots=True)
class RetireDataset:
    dataset_id: str
    version: int
    index: int
    by_entry: str


@dataclass(frozen=True, slots=True)
class AddAgreementEvent:
    event: AgreementEvent
    entry_id: str
    scheme: str


@dataclass(frozen=True, slots=True)
class AddProfile:
    publisher: str
    profile_id: str
    version: str


Change = (
    AddProfile
    | AddScheme
    | AddKey
    | RevokeKey
    | RotateRoot
    | AddLabel
    | SetLabelStatus
    | AddDataset
    | RetireDataset
    | AddAgreementEvent
)
