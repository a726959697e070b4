"""Recognition agreements on the verifier side: the terms hash and the checks of agreement entry payloads.

"Terms are modelled in mapping/; hashing and signing them is the verifier's job." (DESIGN §5) An agreement
version is identified by the hash of its terms: the hex SHA-256 of the terms' RFC 8785 canonical bytes
(:func:`verifier.canonical.canonicalize`). Pure: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

from mapping.agreement_terms import Terms, fields_of_schema, parse_terms, version_ref
from mapping.errors import AgreementForbiddenError, MappingError
from mapping.negotiation import AgreementEvent

from .canonical import canonicalize
from .schemas import load_schema

# payload kind -> the negotiation event kind (mapping/negotiation.py)
EVENT_KINDS = {"agreement.propose": "propose", "agreement.accept": "accept", "agreement.withdraw": "withdraw"}


def terms_hash(terms: dict[str, Any]) -> str:
    """Hex SHA-256 of the RFC 8785 canonical bytes of ``terms`` (raises ``InputError`` on floats and the like)."""
    return hashlib.sha256(canonicalize(terms)).hexdigest()


def check_propose_payload(body: dict[str, Any]) -> None:
    """Raise :class:`MappingError` (``agreement.hash_mismatch``, field ``/terms_hash``) unless
    ``body["terms_hash"]`` is the hash of ``body["terms"]``."""
    computed = terms_hash(body["terms"])
    if body.get("terms_hash") != computed:
        raise MappingError(
            f"terms_hash {body.get('terms_hash')} is not the hash of the terms ({computed})",
            code="agreement.hash_mismatch",
            field="/terms_hash",
        )


@cache
def label_fields() -> Callable[[str], bool]:
    """The ``known_fields`` predicate of the shipped label record schema (``label-record.schema.json``)."""
    return fields_of_schema(load_schema("label-record"))


def parse_proposed_terms(body: dict[str, Any], *, known_conversions: set[str] | frozenset[str]) -> Terms:
    """Check a propose payload's hash, then parse its terms against the shipped label schema."""
    check_propose_payload(body)
    try:
        return parse_terms(body["terms"], known_fields=label_fields(), known_conversions=known_conversions)
    except MappingError as e:
        raise MappingError(
            e.message, code=e.code, field="/terms" + (e.field if e.field not in (None, "/") else "")
        ) from e


def event_from_payload(
    payload: dict[str, Any],
    *,
    index: int,
    at: datetime,
    signer_scheme: str,
    signer_is_root: bool,
    known_conversions: set[str] | frozenset[str],
) -> AgreementEvent:
    """The negotiation event of a schema-valid agreement entry ``payload`` logged at ``index`` and ``at``.

    ``signer_scheme`` and ``signer_is_root`` come from the key registry (what the log knows about the
    signer), never from the payload's ``scheme`` claim. A propose's terms are hash-checked and parsed.
    """
    kind = EVENT_KINDS.get(payload.get("kind", ""))
    if kind is None:
        raise MappingError(
            f"{payload.get('kind')!r} is not an agreement entry kind", code="agreement.invalid_event", field="/kind"
        )
    if payload.get("scheme") != signer_scheme:
        raise AgreementForbiddenError(
            f"the entry speaks for {payload.get('scheme')!r} but its key belongs to {signer_scheme!r}",
            code="agreement.not_party",
            field="/scheme",
        )
    if kind == "propose":
        terms = parse_proposed_terms(payload, known_conversions=known_conversions)
        answers = version_ref(payload["answers"], "/answers") if payload.get("answers") is not None else None
        return AgreementEvent(
            kind=kind,
            index=index,
            signer_scheme=signer_scheme,
            signer_is_root=signer_is_root,
            agreement_id=terms.id,
            version=terms.version,
            terms_hash=payload["terms_hash"],
            terms=terms,
            answers=answers,
            at=at,
        )
    ref = payload["agreement"]
    return AgreementEvent(
        kind=kind,
        index=index,
        signer_scheme=signer_scheme,
        signer_is_root=signer_is_root,
        agreement_id=ref["id"],
        version=ref["version"],
        terms_hash=ref["terms_hash"],
        at=at,
        reason=payload.get("reason"),
    )


__all__ = [
    "EVENT_KINDS",
    "check_propose_payload",
    "event_from_payload",
    "label_fields",
    "parse_proposed_terms",
    "terms_hash",
]
