"""What the rule book's rules for each kind share: times, the scheme and root lookups, absent references.

On a partial view (``view.complete`` false: a bundle), a reference the view does not hold is
:class:`~mapping.errors.Unestablished` (the entry is left out), not a refusal (:func:`absent`).
"""

from __future__ import annotations

from datetime import datetime

from mapping.errors import AuthorityError, CarbonLedgerError, ConflictError, RuleError, Unestablished, UnknownEntryError

from .ledger_state import (
    PUBLISHER_KINDS,
    ROOT_KINDS,
    AuthorityView,
    KeyRecord,
    SchemeRecord,
)

LABEL_STATUS_KINDS = frozenset({"label.revoke", "label.supersede"})


def parse_time(text: str) -> datetime:
    """RFC 3339 UTC timestamp ``YYYY-MM-DDTHH:MM:SSZ`` (schema-checked shape) as an aware datetime."""
    try:
        return datetime.fromisoformat(text)
    except ValueError as e:
        raise RuleError(f"{text!r} is not a valid time", code="schema.invalid", field="/signed_at") from e


def absent(view: AuthorityView, message: str, *, code: str, field: str) -> RuleError:
    """The error for a reference the view does not hold: a refusal on a complete view, else left out."""
    if view.complete:
        return RuleError(message, code=code, field=field)
    return Unestablished(message + " (not in this bundle)", field=field)


def require_own_scheme(key: KeyRecord, scheme_id: str, field: str) -> None:
    if key.scheme != scheme_id:
        raise AuthorityError(
            f"key {key.key_id} belongs to scheme {key.scheme!r}, not {scheme_id!r}",
            code="authority.wrong_scheme",
            field=field,
        )


def root_kinds(role: str) -> frozenset[str]:
    """What a root key may sign: the root kinds, and for a data publisher also its datasets."""
    return ROOT_KINDS | PUBLISHER_KINDS if role == "data-publisher" else ROOT_KINDS


def scheme_of(view: AuthorityView, scheme_id: str) -> SchemeRecord:
    """The scheme record :func:`_current_root` has just found."""
    scheme = view.scheme(scheme_id)
    if scheme is None:  # pragma: no cover - _current_root refused it
        raise RuleError(f"unknown scheme {scheme_id!r}", code="scheme.unknown")
    return scheme


def current_root(key: KeyRecord, scheme_id: str, view: AuthorityView, field: str) -> None:
    scheme = view.scheme(scheme_id)
    if scheme is None:
        raise absent(view, f"unknown scheme {scheme_id!r}", code="scheme.unknown", field=field)
    if scheme.root_key_id != key.key_id:
        raise AuthorityError(
            f"only the current root key of {scheme_id!r} may sign this entry",
            code="authority.not_root",
            field="/signer",
        )


def in_payload(prefix: str, e: CarbonLedgerError) -> RuleError:
    """A check's error re-raised with its field pointing into the entry payload."""
    return rule_error(e, field=prefix + (e.field or ""))


# A check's error keeps its meaning when the rule book re-raises it: the RuleError of the same HTTP status.
_RULE_ERROR_BY_STATUS: dict[int, type[RuleError]] = {403: AuthorityError, 404: UnknownEntryError, 409: ConflictError}


def rule_error(e: CarbonLedgerError, *, field: str | None = None) -> RuleError:
    """``e`` (a mapping or dataset check's error) as the rule book's refusal, of the class its status means."""
    cls = _RULE_ERROR_BY_STATUS.get(e.http_status, RuleError)
    return cls(e.message, code=e.code, field=e.field if field is None else field)
