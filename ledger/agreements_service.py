"""The read side of recognition agreements: versions and their status, negotiation history, and the
equivalence verdict for a logged label (issue: recognition agreements).

The rules live in mapping/ (negotiation, equivalence) and are the same ones the offline verifier
applies to a bundle; this module only feeds them what the log holds. Times are the entries' signed_at
(admission keeps it within the clock window of the log's time), so online and offline agree.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from mapping.conversions import CONVERSIONS, apply_steps
from mapping.equivalence import evaluate
from mapping.errors import CarbonLedgerError, NotFoundError
from mapping.footprint import Footprint
from mapping.negotiation import AgreementEvent, VersionState, negotiation_log, versions
from verifier.agreements import terms_hash
from verifier.envelope import parse_entry

from .bundles import find_label
from .log import Log

KNOWN_CONVERSIONS = frozenset(CONVERSIONS)


def history(log: Log) -> list[AgreementEvent]:
    return list(log._agreements)


def version_states(log: Log, at: date | datetime | None = None) -> list[VersionState]:
    return versions(log._agreements, at or log.clock())


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
        "history": negotiation_log(log._agreements, agreement_id),
    }


def agreement_history(log: Log, agreement_id: str | None = None) -> list[dict[str, Any]]:
    return negotiation_log(log._agreements, agreement_id)


def terms_hash_of(log: Log, agreement_id: str, version: int) -> str:
    """The terms hash of a proposed version, as logged (what an accept or withdraw must name)."""
    for ev in log._agreements:
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


def convert_steps(record: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    return apply_steps(record, steps).to_dict()


def recompute_total(record: dict[str, Any]) -> Decimal | None:
    """The label's total recomputed from its own stage × gas masses under its own GWP set (None when the
    label lacks the data): what an agreement's tolerance is measured against."""
    try:
        fp = Footprint.from_label(record, stage_tolerance=Decimal(1), gas_tolerance=Decimal(1))
        gwp_set = fp.gwp_set
        if gwp_set is None or not fp.stages:
            return None
        return sum((stage.co2e(gwp_set, fp.biogenic_rule) for stage in fp.stages.values()), Decimal(0))
    except (CarbonLedgerError, AttributeError, TypeError):
        return None


def equivalence(
    log: Log, label_id: str, target_scheme: str, at: date, scheme: str | None = None
) -> dict[str, Any]:
    """Is this logged label equivalent under ``target_scheme`` on ``at``? The verdict object of the issue:
    verdict, agreement (id, version, terms hash, ledger index) or null, reasons, converted after a conversion."""
    if log._schemes.get(target_scheme) is None:
        raise NotFoundError(f"no scheme {target_scheme!r} is registered in this log", code="scheme.unknown", field="to")
    row = find_label(log, label_id, scheme)
    body = parse_entry(bytes(log.store.entry(row.idx).envelope)).body
    verdict = evaluate(
        body["label"],
        row.scheme,
        row.idx,
        datetime.fromisoformat(body["signed_at"]),
        target_scheme,
        at,
        log._agreements,
        convert=convert_steps,
        recompute_total=recompute_total,
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
