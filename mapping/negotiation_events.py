"""Agreement events as the log admitted them, and the instants the negotiation rules compare.

An :class:`AgreementEvent` is one ``agreement.propose``, ``agreement.accept`` or ``agreement.withdraw`` entry,
with its ledger index and the log's integration time; a version's window (``valid_from`` to the end of its
``valid_until`` day, UTC) is :func:`window_start` to :func:`window_end`. The rules over them are
:mod:`mapping.negotiation`'s; the replay of a history is :mod:`mapping.negotiation_replay`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from .agreement_terms import Terms, VersionRef
from .errors import AgreementConflictError, AgreementForbiddenError, MappingError

KINDS = ("propose", "accept", "withdraw")


@dataclass(frozen=True, kw_only=True)
class AgreementEvent:
    """One agreement entry as the ledger admitted it (or is about to).

    ``index`` is its ledger index and ``at`` the log's integration time; ``signer_scheme`` and
    ``signer_is_root`` come from the key registry, not from the entry's own claims. ``terms`` is set on
    ``propose`` only; ``answers`` (``{"version", "terms_hash"}`` or a :class:`VersionRef`) only on a
    counter-proposal.
    """

    kind: str
    index: int
    signer_scheme: str
    signer_is_root: bool
    agreement_id: str
    version: int
    terms_hash: str
    terms: Terms | None = None
    answers: VersionRef | None = None
    at: datetime
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise MappingError(
                f"event kind must be one of {', '.join(KINDS)}, not {self.kind!r}", code="agreement.invalid_event"
            )
        if isinstance(self.answers, dict):
            object.__setattr__(
                self, "answers", VersionRef(int(self.answers["version"]), str(self.answers["terms_hash"]))
            )
        if self.at.tzinfo is None:
            object.__setattr__(self, "at", self.at.replace(tzinfo=UTC))


def instant(at: date | datetime) -> datetime:
    """``at`` as an aware UTC instant; a ``date`` means the last microsecond of that UTC day."""
    if isinstance(at, datetime):
        return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return datetime.combine(at, time.max, tzinfo=UTC)


def window_start(terms: Terms) -> datetime:
    return datetime.combine(terms.valid_from, time.min, tzinfo=UTC)


def window_end(terms: Terms) -> datetime | None:
    """The first instant after the window (``valid_until`` is the last day in it), or ``None`` if open-ended
    (or ending on 9999-12-31, the last day a date can name: no instant comes after it)."""
    if terms.valid_until is None or terms.valid_until == date.max:
        return None
    return datetime.combine(terms.valid_until + timedelta(days=1), time.min, tzinfo=UTC)


# Rules whose refusal means the signer may not act (403), or that the event conflicts with the history (409).
_FORBIDDING_RULES = frozenset({"not_party", "not_root", "self_accept"})
_CONFLICTING_RULES = frozenset({"replayed", "duplicate_version", "stale_version", "overlap_in_force"})


def negotiation_error(message: str, code: str, pointer: str | None = None) -> MappingError:
    """The error of a negotiation rule: code ``agreement.<code>``, ``field`` a pointer into the entry, of the
    class the rule means (so it keeps its HTTP status wherever it is re-raised)."""
    cls = (
        AgreementForbiddenError
        if code in _FORBIDDING_RULES
        else AgreementConflictError
        if code in _CONFLICTING_RULES
        else MappingError
    )
    return cls(message, code=f"agreement.{code}", field=pointer)


__all__ = ["KINDS", "AgreementEvent", "instant", "negotiation_error", "window_end", "window_start"]
