"""Step 10 offline (DESIGN §6): the equivalence verdict from the agreement entries a bundle carries.

The rules are mapping/ 's (:func:`mapping.equivalence.evaluate`); this module feeds them what the buyer
holds, exactly as the log service does online (``ledger/agreements_service.py``), so both give the same
verdict: every event's time is its entry's ``signed_at`` (admission keeps it within the clock window of
the log's time), its index is its ledger index, the conversions are :data:`mapping.conversions.CONVERSIONS`
and the tolerance is measured against the total recomputed from the label's own stage × gas masses.

Authenticating the entries (signer = the speaking scheme's root at the entry's index, leading to a root
the trust file names) is :mod:`verifier.verify`'s job; only authenticated payloads reach :func:`history_of`.
Pure: no I/O, no clock, and no import of ledger/.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from mapping.conversions import CONVERSIONS, apply_steps
from mapping.equivalence import Verdict, evaluate
from mapping.errors import CarbonLedgerError
from mapping.footprint import Footprint
from mapping.negotiation import AgreementEvent

from .agreements import EVENT_KINDS, event_from_payload

KNOWN_CONVERSIONS = frozenset(CONVERSIONS)


def convert_steps(record: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    """The converter :func:`evaluate` calls: run the agreement's conversion steps on the label record."""
    return apply_steps(record, steps).to_dict()


def recompute_total(record: dict[str, Any]) -> Decimal | None:
    """The label's total recomputed from its own stage × gas masses under its own GWP set (``None`` when the
    label lacks the data): what an agreement's tolerance is measured against. Same rule as the log service."""
    try:
        fp = Footprint.from_label(record, stage_tolerance=Decimal(1), gas_tolerance=Decimal(1))
        gwp_set = fp.gwp_set
        if gwp_set is None or not fp.stages:
            return None
        return sum((stage.co2e(gwp_set, fp.biogenic_rule) for stage in fp.stages.values()), Decimal(0))
    except (CarbonLedgerError, AttributeError, TypeError):
        return None


@dataclass
class History:
    """The negotiation events rebuilt from a bundle, and the entries left out with the reason why."""

    events: list[AgreementEvent] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)


def history_of(entries: list[tuple[int, dict[str, Any]]]) -> History:
    """Negotiation events from authenticated agreement payloads ``(bundle index, payload)``.

    Each payload's signer was checked to be the current root of ``payload["scheme"]`` at its index, so
    ``signer_scheme`` is that scheme and ``signer_is_root`` is true. An entry whose payload does not make an
    event (e.g. terms that do not hash to ``terms_hash``), or an accept or withdrawal naming a version whose
    proposal (same id, version and terms hash, earlier in the log) is not in the history, is left out and
    named in ``excluded``: the history is never completed by guessing.
    """
    out = History()
    proposed: dict[tuple[str, int], tuple[str, int]] = {}
    for index, payload in sorted(entries, key=lambda t: t[0]):
        what = f"{payload.get('kind')} at index {index}"
        try:
            ev = event_from_payload(
                payload,
                index=index,
                at=datetime.fromisoformat(payload["signed_at"]),
                signer_scheme=payload.get("scheme", ""),
                signer_is_root=True,
                known_conversions=KNOWN_CONVERSIONS,
            )
        except (CarbonLedgerError, KeyError, TypeError, ValueError) as e:
            code = getattr(e, "code", type(e).__name__)
            out.excluded.append(f"{what} left out: it makes no agreement event [{code}]: {e}")
            continue
        if ev.kind == "propose":
            proposed.setdefault((ev.agreement_id, ev.version), (ev.terms_hash, ev.index))
        else:
            known = proposed.get((ev.agreement_id, ev.version))
            if known is None or known[0] != ev.terms_hash:
                out.excluded.append(
                    f"{what} left out: it names {ev.agreement_id} version {ev.version}, whose proposal "
                    "(with that terms hash) the bundle does not hold"
                )
                continue
        out.events.append(ev)
    return out


def offline_verdict(
    label: dict[str, Any],
    label_scheme: str,
    label_index: int,
    label_signed_at: str,
    target_scheme: str,
    at: date,
    history: list[AgreementEvent],
) -> Verdict:
    """The verdict of :func:`mapping.equivalence.evaluate` for the label as logged (its index and its
    entry's ``signed_at``) on the date asked, with the same converter and recomputation as the log service.
    Raises :class:`~mapping.errors.MappingError` when the history breaks a negotiation rule."""
    return evaluate(
        label,
        label_scheme,
        label_index,
        datetime.fromisoformat(label_signed_at),
        target_scheme,
        at,
        history,
        convert=convert_steps,
        recompute_total=recompute_total,
    )


__all__ = [
    "EVENT_KINDS",
    "KNOWN_CONVERSIONS",
    "History",
    "convert_steps",
    "history_of",
    "offline_verdict",
    "recompute_total",
]
