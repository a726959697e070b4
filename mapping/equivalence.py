"""Equivalence verdicts: is a label recognized under a target scheme on a date, and by which agreement version?

"Equivalence verdict for (label, target scheme, date): ``recognized``, ``recognized_after_conversion``
(converted value + trail), ``not_recognized`` (each failed condition), or ``no_agreement``. A label issued
(by log order) while a version was in force stays recognized until the earlier of its own expiry and that
version's end, unless the terms say otherwise." (DESIGN §5; issue 5 §3)

Pure. The conversions of the mapping layer are injected (``convert``), and so is the recomputation of a
label's total from its own data (``recompute_total``), so this module depends on neither.

Rules of :func:`evaluate` (``at`` is a date: the ledger and the calendar as they stood at the end of that UTC
day; a label is "logged" at its ledger index and integration time, never at its claimed ``issued_at``):

1. Same scheme: ``label_scheme == target_scheme`` → ``recognized``, reason "same scheme", agreement null.
2. Only agreement versions whose terms cover ``label_scheme → target_scheme`` (mutual between the two, or
   one-way from the label's scheme to the target) and that were proposed by ``at`` count. None →
   ``no_agreement``.
3. The label's own validity: after its ``valid_until`` day the label is ``not_recognized`` (reason "label
   expired"), whatever the agreements say.
4. Carry-over. If the label was logged while version *v* was in force (v's accept precedes the label in the
   log, the label precedes the entry that ended *v*, and the label's log time lies in v's window), *v*
   applies until the earlier of the label's expiry (rule 3) and v's end — its withdrawal, its supersession
   by a later version coming into force, or the end of its ``valid_until`` day. The terms may say otherwise
   (``carry_over``): ``until_label_expiry`` keeps *v* for the label's whole life even after *v* is
   superseded or expires (never after a withdrawal).
5. Otherwise the version in force at ``at`` decides: for a label logged before any version was in force,
   after its carry-over version ended, or after a withdrawal once a later version is in force.
6. Otherwise ``not_recognized`` with "agreement X version V expired on D" when a version covering the
   direction has expired (none in force), else ``no_agreement``, with the reasons (e.g. the label was logged
   after a withdrawal and no later version is in force, or versions were proposed but none accepted).
7. Under the chosen version's terms: conditions with ``applies: as_issued`` (provenance) are checked on the
   label as issued; its conversions, if any, run through ``convert`` with the pinned datasets; conditions
   with ``applies: after_conversion`` (numeric) are checked on the converted record; the tolerance is
   checked on the label's own data. Every check runs (no short-circuit) so every failure is reported.
   Any failure → ``not_recognized``; else ``recognized_after_conversion`` when the terms list conversions
   (with ``converted``: value, unit, approximate, reasons, trail), else ``recognized``.

Tolerance, like with like: gap = |stated − recomputed| / |recomputed| where *stated* is the label's total of
emissions, ``/footprint/pcfExcludingBiogenicUptake`` (never a headline that may include biogenic uptake), and
*recomputed* is ``recompute_total(label)``, the emissions recomputed from the label's own stage × gas masses; it
must not exceed the terms' tolerance. A label with no breakdown to recompute from (``recompute_total`` returns
``None``) fails the check, unless the terms' ``tolerance_scope`` is ``labels_with_breakdown``. When no
``recompute_total`` is given at all the check is reported as "not checked".
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from .agreement_conditions import Condition, ConditionResult, check_condition
from .agreement_pointers import resolve_pointer
from .agreement_terms import Terms
from .errors import AgreementConflictError, MappingError
from .negotiation_events import AgreementEvent, instant
from .negotiation_replay import VersionState, versions

VERDICTS = ("recognized", "recognized_after_conversion", "not_recognized", "no_agreement")
Converter = Callable[[dict[str, Any], list[dict[str, Any]]], dict[str, Any]]
Recompute = Callable[[dict[str, Any]], Decimal | None]
_GAP_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class AgreementRef:
    """The agreement version a verdict used: ``index`` is the ledger index of the accept that put it in force."""

    id: str
    version: int
    terms_hash: str
    index: int | None
    proposed_index: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "terms_hash": self.terms_hash,
            "index": self.index,
            "proposed_index": self.proposed_index,
        }


@dataclass
class Verdict:
    verdict: str
    agreement: AgreementRef | None
    reasons: list[str]
    converted: dict[str, Any] | None = None
    failed_conditions: list[ConditionResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "verdict": self.verdict,
            "agreement": None if self.agreement is None else self.agreement.to_dict(),
            "reasons": list(self.reasons),
            "failed_conditions": [c.to_dict() for c in self.failed_conditions],
        }
        if self.converted is not None:
            out["converted"] = self.converted
        return out


def _label_end(label: dict[str, Any]) -> tuple[date | None, datetime | None]:
    """The label's last valid day and the first instant after it (``None`` if it states no valid date, or its
    last day is the last a date can name, 9999-12-31: no instant comes after it). A ``valid_until`` that is not
    a real date raises :class:`MappingError` (``mapping.bad_date``): it is never read as "no end"."""
    raw = label.get("valid_until") if isinstance(label, dict) else None
    if raw is None:
        return None, None
    try:
        last = date.fromisoformat(raw)
    except (TypeError, ValueError):
        raise MappingError(
            f"/valid_until must be a real date YYYY-MM-DD, got {raw!r}", code="mapping.bad_date", field="/valid_until"
        ) from None
    if last == date.max:
        return last, None
    return last, datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)


def _ref(v: VersionState) -> AgreementRef:
    return AgreementRef(v.agreement_id, v.version, v.terms_hash, v.accepted_index, v.proposed_index)


def _day(t: datetime | None) -> str:
    return "(open-ended)" if t is None else t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _logged_while_in_force(v: VersionState, label_index: int, logged_at: datetime) -> bool:
    """Rule 4's test, by log order: accept < label < the entry that ended v, and the label inside v's window."""
    if v.accepted_index is None or v.in_force_from is None or v.accepted_index >= label_index:
        return False
    if logged_at < v.in_force_from:
        return False
    if v.end_index is not None:
        return label_index < v.end_index
    return v.in_force_until is None or logged_at < v.in_force_until


def _choose(
    relevant: list[VersionState], label_index: int, logged_at: datetime, t: datetime
) -> tuple[VersionState | None, list[str]]:
    """Rules 4-6: the version that decides, and the reasons for the choice."""
    reasons: list[str] = []
    in_force = [v for v in relevant if v.status == "in_force"]
    if len(in_force) > 1:  # admission (negotiation rule 8) never lets this happen
        names = ", ".join(f"{v.agreement_id} v{v.version}" for v in in_force)
        raise AgreementConflictError(
            f"several versions are in force for the same direction: {names}", code="agreement.overlap_in_force"
        )
    for v in relevant:
        if not _logged_while_in_force(v, label_index, logged_at):
            continue
        carry = v.terms.carry_over
        head = (
            f"the label was logged (index {label_index}) while {v.agreement_id} version {v.version} was in force "
            f"(accepted at index {v.accepted_index})"
        )
        still = v.in_force_until is None or t < v.in_force_until
        if carry == "until_label_expiry" and v.end_reason != "withdrawn":
            still = True
        if still:
            if carry == "until_label_expiry":
                until = "the label's expiry (carry_over: until_label_expiry)"
            else:
                until = f"the earlier of the label's expiry and the version's end ({_day(v.in_force_until)})"
            return v, [f"{head}; it stays recognized under that version until {until}"]
        ended = {
            "withdrawn": f"withdrawn at index {v.withdrawn_index}",
            "superseded": f"superseded by version {v.superseded_by}",
            "expired": f"expired at {_day(v.in_force_until)}",
        }.get(v.end_reason or "", "ended")
        reasons.append(f"{head}; that version has since been {ended}")
        break
    if in_force:
        w = in_force[0]
        reasons.append(
            f"{w.agreement_id} version {w.version} (accepted at index {w.accepted_index}) is in force on the date asked"
        )
        return w, reasons
    for v in relevant:
        if v.withdrawn_index is not None and v.accepted_index is not None and v.withdrawn_index < label_index:
            reasons.append(
                f"the label was logged (index {label_index}) after {v.agreement_id} version {v.version} was "
                f"withdrawn (index {v.withdrawn_index}), and no later version is in force"
            )
    latest: dict[str, VersionState] = {}
    for v in relevant:
        latest[v.agreement_id] = v
    for v in latest.values():
        reasons.append(f"{v.agreement_id}: latest version {v.version} is {v.status}")
    reasons.append("no version is in force on the date asked")
    return None, reasons


def _steps(terms: Terms) -> list[dict[str, Any]]:
    pins = [d.to_dict() for d in terms.datasets]
    out = []
    for step in terms.conversions:
        s = step.to_dict()
        if pins:
            s["datasets"] = pins
        out.append(s)
    return out


def _converted_record(label: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """The record numeric conditions see: the converter's ``record`` if it returns one, else the label with
    ``/footprint/pcf`` set to the converted value and unit, and ``/footprint/boundary`` and
    ``/footprint/ipccCharacterizationFactors`` set from the result's ``boundary`` and ``gwp_sets`` when given
    (``mapping.conversions.Conversion.to_dict`` returns both)."""
    if isinstance(result.get("record"), dict):
        return result["record"]
    record = copy.deepcopy(label)
    fp = record.setdefault("footprint", {})
    fp["pcf"] = {"value": result["value"], "unit": result.get("unit", "kgCO2e")}
    if isinstance(result.get("boundary"), str):
        fp["boundary"] = result["boundary"]
    if isinstance(result.get("gwp_sets"), list) and result["gwp_sets"]:
        fp["ipccCharacterizationFactors"] = list(result["gwp_sets"])
    return record


def _tolerance(
    terms: Terms, label: dict[str, Any], recompute_total: Recompute | None
) -> tuple[ConditionResult | None, str]:
    """The tolerance check, like with like: (failure or ``None``, reason).

    What is recomputed from the label's own stage x gas masses is its emissions, so it is compared with the
    stated total of emissions, ``pcfExcludingBiogenicUptake`` — never with a headline that may include
    biogenic uptake. A label with no breakdown to recompute from fails the check, unless the terms'
    ``tolerance_scope`` is ``labels_with_breakdown``."""
    if recompute_total is None:
        return None, "tolerance not checked: no recomputation of the total was supplied"
    recomputed = recompute_total(label)
    required = str(terms.tolerance)
    if recomputed is None:
        if terms.tolerance_scope == "labels_with_breakdown":
            return None, (
                "tolerance not applicable: the label has no stage x gas breakdown to recompute its total from, "
                "and the terms check only labels with one (tolerance_scope: labels_with_breakdown)"
            )
        reason = (
            "the label has no stage x gas breakdown (under one GWP set) to recompute its emissions from, and the "
            "terms check every label's total against its own data (tolerance_scope: every_label)"
        )
        return ConditionResult(False, "/footprint/stages", "tolerance", None, required, reason), ""
    where = "/footprint/pcfExcludingBiogenicUptake"
    raw = resolve_pointer(label, where)
    try:
        stated = Decimal(raw) if isinstance(raw, str) else None
    except InvalidOperation:
        stated = None
    if stated is None:
        return ConditionResult(
            False, where, "tolerance", None, required, "the label states no total of emissions (excluding uptake)"
        ), ""
    with localcontext() as ctx:
        ctx.prec = 28
        diff = abs(stated - recomputed)
        if recomputed == 0:
            gap = Decimal(0) if diff == 0 else None
        else:
            gap = diff / abs(recomputed)
    if gap is None or gap > terms.tolerance:
        shown = "unbounded" if gap is None else str(gap.quantize(_GAP_PLACES))
        reason = (
            f"stated emissions {stated} (excluding biogenic uptake) vs {recomputed} recomputed from the label's "
            f"stage x gas masses: relative gap {shown} exceeds {required}"
        )
        return ConditionResult(False, where, "tolerance", shown, required, reason), ""
    return None, (
        f"tolerance checked: stated emissions {stated} vs {recomputed} recomputed, relative gap "
        f"{gap.quantize(_GAP_PLACES)} <= {required}"
    )


def _apply_terms(
    v: VersionState,
    label: dict[str, Any],
    reasons: list[str],
    convert: Converter,
    recompute_total: Recompute | None,
) -> Verdict:
    """Rule 7."""
    terms = v.terms
    failed: list[ConditionResult] = []

    def run(conds: list[Condition], record: dict[str, Any]) -> None:
        for cond in conds:
            res = check_condition(cond, record)
            if not res.ok:
                failed.append(res)

    run([c for c in terms.conditions if c.applies == "as_issued"], label)
    after = [c for c in terms.conditions if c.applies == "after_conversion"]
    converted: dict[str, Any] | None = None
    conversion_failed = False
    if terms.conversions:
        try:
            result = convert(label, _steps(terms))
        except MappingError as e:
            conversion_failed = True
            reasons.append(f"conversion failed: {e.code}: {e.message}")
            if after:
                reasons.append(f"{len(after)} condition(s) on the converted record not checked")
        else:
            converted = {
                "value": result["value"],
                "unit": result.get("unit", "kgCO2e"),
                "approximate": bool(result.get("approximate", False)),
                "reasons": list(result.get("reasons", [])),
                "trail": list(result.get("trail", [])),
            }
            for item in result.get("needs_agreement", []) or []:
                reasons.append(f"the conversion left a point for the agreement to decide: {item}")
            run(after, _converted_record(label, result))
    else:
        run(after, label)
    failure, note = _tolerance(terms, label, recompute_total)
    if failure is not None:
        failed.append(failure)
    elif note:
        reasons.append(note)
    ref = _ref(v)
    if failed or conversion_failed:
        reasons.extend(f"failed: {c.field} {c.op} {c.required!r}: {c.reason}" for c in failed)
        return Verdict("not_recognized", ref, reasons, None, failed)
    if converted is not None:
        if converted["approximate"]:
            reasons.append("the converted value is approximate: " + "; ".join(converted["reasons"]))
        return Verdict("recognized_after_conversion", ref, reasons, converted)
    return Verdict("recognized", ref, reasons)


def evaluate(
    label: dict[str, Any],
    label_scheme: str,
    label_index: int,
    label_issued_at: datetime,
    target_scheme: str,
    at: date,
    history: list[AgreementEvent],
    *,
    convert: Converter,
    recompute_total: Recompute | None = None,
) -> Verdict:
    """The equivalence verdict for ``label`` (logged at ``label_index``, ``label_issued_at``) under
    ``target_scheme`` on ``at``, by the agreement history ``history``. Rules: module docstring."""
    if label_scheme == target_scheme:  # rule 1
        return Verdict("recognized", None, ["same scheme"])
    t = instant(at)
    logged_at = instant(label_issued_at)
    relevant = [v for v in versions(history, t) if v.terms.covers(label_scheme, target_scheme)]
    if not relevant:  # rule 2
        return Verdict(
            "no_agreement", None, [f"no agreement covering {label_scheme} -> {target_scheme} was proposed by {at}"]
        )
    last_day, label_end = _label_end(label)
    if label_end is not None and t >= label_end:  # rule 3
        return Verdict("not_recognized", None, [f"label expired: its valid_until is {last_day}"])
    chosen, reasons = _choose(relevant, label_index, logged_at, t)
    if chosen is None:  # rule 6
        expired = [
            f"agreement {v.agreement_id} version {v.version} expired on {v.terms.valid_until}"
            for v in relevant
            if v.status == "expired" and v.terms.valid_until is not None
        ]
        if expired:  # an agreement that expired is not "no agreement": it was, and it says no more
            return Verdict("not_recognized", None, [*expired, *reasons])
        return Verdict("no_agreement", None, reasons)
    if chosen.terms.illustrative:
        reasons.append(f"{chosen.agreement_id} version {chosen.version} is marked illustrative")
    return _apply_terms(chosen, label, reasons, convert, recompute_total)


__all__ = ["VERDICTS", "AgreementRef", "Converter", "Recompute", "Verdict", "evaluate"]
