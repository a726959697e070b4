"""The read side of recognition agreements: versions and their status, negotiation history, and the
equivalence verdict for a logged label (issue: recognition agreements).

The rules live in mapping/ (negotiation, equivalence) and are the same ones the offline verifier
applies to a bundle; this module only feeds them what the log holds. Times are the entries' signed_at
(admission keeps it within the clock window of the log's time), so online and offline agree.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from mapping.errors import NotFoundError
from mapping.negotiation import VersionState, negotiation_log, versions
from verifier.agreements import terms_hash
from verifier.envelope import parse_entry
from verifier.equivalence_offline import offline_verdict

from .bundles import find_label, pinned_dataset_payloads
from .log import Log


def version_states(log: Log, at: date | datetime | None = None) -> list[VersionState]:
    return versions(log.agreement_events(), at or log.clock())


def agreement_list(log: Log, at: date | datetime | None = None) -> list[dict[str, Any]]:
    """Every agreement version with its status at ``at`` (default: now)."""
    return [v.to_dict() for v in version_states(log, at)]


def agreement_show(log: Log, agreement_id: str, version: int | None = None) -> dict[str, Any]:
    states = [v for v in version_states(log) if v.agreement_id == agreement_id]
    if not states:
        raise NotFoundError(f"no agreement {agreement_id!r} in this log", code="agreement.unknown")
    chosen = states[-1] if version is None else next((v for v in states if v.version == version), None)
    if chosen is None:
        raise NotFoundError(
            f"agreement {agreement_id!r} has no version {version}", code="agreement.unknown_version", field="version"
        )
    return {
        **chosen.to_dict(),
        "terms": chosen.terms.document,
        "history": negotiation_log(log.agreement_events(), agreement_id),
    }


def agreement_history(log: Log, agreement_id: str | None = None) -> list[dict[str, Any]]:
    return negotiation_log(log.agreement_events(), agreement_id)


def terms_hash_of(log: Log, agreement_id: str, version: int) -> str:
    """The terms hash of a proposed version, as logged (what an accept or withdraw must name)."""
    for ev in log.agreement_events():
        if ev.kind == "propose" and ev.agreement_id == agreement_id and ev.version == version:
            return ev.terms_hash
    raise NotFoundError(
        f"agreement {agreement_id!r} version {version} was never proposed in this log",
        code="agreement.unknown_version",
        field="version",
    )


def propose_fields(scheme: str, terms: dict[str, Any], answers: dict[str, Any] | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {"scheme": scheme, "terms": terms, "terms_hash": terms_hash(terms)}
    if answers is not None:
        fields["answers"] = answers
    return fields


def equivalence(log: Log, label_id: str, target_scheme: str, at: date, scheme: str | None = None) -> dict[str, Any]:
    """Is this logged label equivalent under ``target_scheme`` on ``at``? The verdict object of the issue:
    verdict, agreement (id, version, terms hash, ledger index) or null, reasons, converted after a conversion."""
    if log.scheme(target_scheme) is None:
        raise NotFoundError(f"no scheme {target_scheme!r} is registered in this log", code="scheme.unknown", field="to")
    row = find_label(log, label_id, scheme)
    body = parse_entry(bytes(log.store.entry(row.idx).envelope)).body
    # The same function the offline verifier applies to a bundle: online and offline verdicts agree. The
    # conversions read their registry data from the dataset entries the agreements pin (the bundle carries them).
    verdict = offline_verdict(
        body["label"],
        row.scheme,
        row.idx,
        body["signed_at"],
        target_scheme,
        at,
        log.agreement_events(),
        datasets=pinned_dataset_payloads(log, row.scheme, target_scheme),
    )
    out = verdict.to_dict()
    out.update(
        {
            "label_id": row.label_id,
            "scheme": row.scheme,
            "label_index": row.idx,
            "label_status": row.status,
            "target_scheme": target_scheme,
            "at": at.isoformat(),
        }
    )
    if row.status != "active":
        out["reasons"].append(f"note: the label is {row.status} in this log")
    return out
