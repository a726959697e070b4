"""Verification reports: every numbered step of DESIGN §6 with its status and a readable detail.

The report never raises; :func:`verifier.verify.verify_bundle_or_raise` is the
raising wrapper. Exit codes (stable, used by ``carbonledger verify``):

    0 authentic, valid and (when asked) equivalent
    3 not authentic (steps 2-6)
    4 authentic but not equivalent, or no agreement (step 10)
    5 unusable input (step 1, or the trust file)
    6 not valid on the date: revoked, superseded or expired (steps 8-9)
    7 checkpoint inconsistent with the one kept (step 7)
    8 status stale: older than the trust file's ``max_status_age_s`` (step 8; verdict ``status_stale``)

A report says only what its bundle shows: a step that depends on a failed one says "not checked"; a step's
title (``name`` in :meth:`StepResult.to_dict`) may be the one the step earned (step 3 claims "not revoked"
only when a status map proves it); :meth:`Report.to_dict`'s ``status`` object says how the label's status is
known (``proven`` true only from a map proof), and :func:`report_header` never prints ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

PASSED, FAILED, NOT_APPLICABLE = "passed", "failed", "not_applicable"

STEP_NAMES = {
    1: "parse and schema-validate the bundle and the trust file",
    2: "the label's signature verifies under its signer key",
    3: "the signer key was authorized for issuing by an earlier entry (no revocation reaching the label seen)",
    4: "the scheme's registration (and rotations) lead to a root key the trust file names",
    5: "every envelope is included in the checkpoint's tree, in a possible order",
    6: "the checkpoint is signed by the log and cosigned by enough witnesses",
    7: "the checkpoint is consistent with the last one kept",
    8: "no revocation or supersession of the label is seen in the bundle",
    9: "the label is valid on the date asked",
    10: "the label is equivalent under the target scheme",
}

_AUTHENTICITY = frozenset((1, 2, 3, 4, 5, 6))  # the steps whose passing makes a label authentic

# The titles a step earns from a status map proof (DESIGN §6: "status, proven by map proofs").
PROVEN_STEP_NAMES = {
    3: "the signer key was authorized for issuing by an earlier entry and is proven not revoked before the label",
    8: "the label's status is proven by the checkpoint's status map",
}

EXIT_OK, EXIT_NOT_AUTHENTIC, EXIT_NOT_EQUIVALENT, EXIT_UNUSABLE, EXIT_NOT_VALID, EXIT_INCONSISTENT = 0, 3, 4, 5, 6, 7
EXIT_STALE = 8


class StepResult(NamedTuple):  # immutable: a report changes a step only through Report.set
    """One step's outcome (a tuple: ten a bundle are made, and a dataclass's init costs twice as much)."""

    step: int
    status: str
    detail: str
    name: str | None = None  # the title the step earned, when not STEP_NAMES's

    def to_dict(self) -> dict[str, Any]:
        name = self.name or STEP_NAMES[self.step]
        return {"step": self.step, "name": name, "status": self.status, "detail": self.detail}


@dataclass
class Report:
    steps: dict[int, StepResult] = field(default_factory=dict)
    label: dict[str, Any] | None = None  # label_summary() of the label the bundle holds (what its report says of it)
    label_index: int | None = None
    tree_size: int | None = None
    equivalence: dict[str, Any] | None = None
    keep_checkpoint: dict[str, Any] | None = None  # the state the caller should keep (step 7)
    citations: list[dict[str, Any]] = field(default_factory=list)
    # How the label's status is known (step 8): see :meth:`to_dict`; None until step 8 judged it.
    status: dict[str, Any] | None = None
    stale: bool = False  # step 8 failed only because the proven status is older than the trust file allows
    _failed: set[int] = field(default_factory=set, repr=False, compare=False)  # the steps now FAILED

    def set(self, step: int, status: str, detail: str, name: str | None = None) -> None:
        self.steps[step] = StepResult(step, status, detail, name)
        if status == FAILED:
            self._failed.add(step)
        else:
            self._failed.discard(step)

    def failed(self, *steps: int) -> list[StepResult]:
        return [self.steps[s] for s in steps if s in self._failed]

    @property
    def authentic(self) -> bool:
        return self._failed.isdisjoint(_AUTHENTICITY) and self.steps.keys() >= _AUTHENTICITY

    @property
    def valid(self) -> bool:
        return self.authentic and not self.failed(8, 9)

    def exit_code(self) -> int:
        if self.failed(1) or 1 not in self.steps:
            return EXIT_UNUSABLE
        if not self.authentic:
            return EXIT_NOT_AUTHENTIC
        if self.failed(7):
            return EXIT_INCONSISTENT
        if self.failed(9) or (self.failed(8) and not self.stale):
            return EXIT_NOT_VALID
        if self.stale:
            return EXIT_STALE
        if self.failed(10):
            return EXIT_NOT_EQUIVALENT
        return EXIT_OK

    def verdict(self) -> str:
        return {
            EXIT_OK: "authentic_and_valid",
            EXIT_NOT_AUTHENTIC: "not_authentic",
            EXIT_NOT_EQUIVALENT: "not_equivalent",
            EXIT_UNUSABLE: "unusable_input",
            EXIT_NOT_VALID: "not_valid",
            EXIT_INCONSISTENT: "inconsistent_checkpoint",
            EXIT_STALE: "status_stale",
        }[self.exit_code()]

    def to_state(self) -> tuple[Any, ...]:
        """The report as plain values (tuples, dicts, str, int), for another process to rebuild with
        :meth:`from_state`: a dataclass's pickling costs about fifty times as much."""
        return (
            tuple((s.step, s.status, s.detail, s.name) for s in self.steps.values()),
            self.label,
            self.label_index,
            self.tree_size,
            self.equivalence,
            self.keep_checkpoint,
            self.citations,
            self.status,
            self.stale,
        )

    @classmethod
    def from_state(cls, state: tuple[Any, ...]) -> Report:
        """The report :meth:`to_state` gave ``state`` for (equal to it, steps in the same order)."""
        steps, label, label_index, tree_size, equivalence, keep, citations, status, stale = state
        made = {step[0]: StepResult._make(step) for step in steps}  # what Report.set would make, in that order
        return cls(
            steps=made,
            label=label,
            label_index=label_index,
            tree_size=tree_size,
            equivalence=equivalence,
            keep_checkpoint=keep,
            citations=citations,
            status=status,
            stale=stale,
            _failed={n for n, s in made.items() if s.status == FAILED},
        )

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON. ``status`` (stable; None when step 8 was not checked): ``as_of_size`` (int, the
        checkpoint's tree size), ``label`` (``active``, ``revoked`` or ``superseded``), ``proven`` (true when
        from a map proof, false when read from the entries a bundle v1 holds), ``signed_at`` (when the status
        was attested, None unproven), ``time_from`` (``log``: the log's signed time; ``witnesses``: the time by
        which the trust file's threshold of witnesses had cosigned), ``age_s``, ``max_age_s`` (the trust
        file's, or None), ``stale``, ``decided_by`` (the entry id that revoked or superseded the label, or
        None) and ``bundle_version``. ``label`` (stable): :func:`label_summary` of the label the bundle holds."""
        return {
            "verdict": self.verdict(),
            "exit_code": self.exit_code(),
            "authentic": self.authentic,
            "valid": self.valid,
            "label_id": None if self.label is None else self.label.get("label_id"),
            "scheme": None if self.label is None else self.label.get("scheme"),
            "label_index": self.label_index,
            "tree_size": self.tree_size,
            "equivalence": self.equivalence,
            "citations": self.citations,
            "steps": [self.steps[k].to_dict() for k in sorted(self.steps)],
            "keep_checkpoint": self.keep_checkpoint,
            "status": self.status,
            "label": self.label,
        }


def label_summary(label: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a person asks first about the label a bundle holds, as the label states it (authentic only when the
    report says so): ``label_id``, ``scheme``, ``product``, ``model``, ``value`` and ``unit`` (the footprint
    per declared unit), ``manufacturer``, ``verifier`` (the verification body), ``issued_at``, ``valid_until``.
    Missing fields are None; never a guess."""
    if not isinstance(label, dict):
        return None

    def at(*path: str) -> Any:
        node: Any = label
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        return node

    amount, per = at("footprint", "declaredUnitAmount"), at("footprint", "declaredUnitOfMeasurement")
    unit = at("footprint", "pcf", "unit")
    return {
        "label_id": label.get("label_id"),
        "scheme": label.get("scheme"),
        "product": at("product", "name"),
        "model": at("product", "model"),
        "value": at("footprint", "pcf", "value"),
        "unit": f"{unit} per {amount} {per}" if unit and amount and per else unit,
        "manufacturer": at("product", "manufacturer", "name"),
        "verifier": at("verification", "body", "name"),
        "issued_at": label.get("issued_at"),
        "valid_until": label.get("valid_until"),
    }


def verdict_line(v: dict[str, Any]) -> str:
    """One line leading a report for a person: the verdict, then the label as stated (product, model, value and
    unit, verifier, validity), from :meth:`Report.to_dict`; never prints "None"."""
    s = v.get("label") or {}
    product = " ".join(str(x) for x in (s.get("product"), s.get("model")) if x)
    value = f"{s['value']} {s['unit']}" if s.get("value") and s.get("unit") else None
    validity = f"valid {s['issued_at']} to {s['valid_until']}" if s.get("issued_at") and s.get("valid_until") else None
    verifier = f"verified by {s['verifier']}" if s.get("verifier") else None
    parts = [p for p in (product or None, value, verifier, validity) if p]
    return v["verdict"].upper() + (": " + "; ".join(parts) if parts else "")


def report_header(v: dict[str, Any]) -> str:
    """The first line of a report for a person, from :meth:`Report.to_dict`: what is known, never "None"."""
    label, scheme, index, size = v.get("label_id"), v.get("scheme"), v.get("label_index"), v.get("tree_size")
    if label is None:
        return "no label could be read from the bundle"
    where = f" ({scheme})" if scheme is not None else ""
    at = f" at index {index}" if index is not None else ""
    of = f" of tree size {size}" if size is not None else " (tree size not verified)"
    return f"label {label}{where}{at}{of}"
