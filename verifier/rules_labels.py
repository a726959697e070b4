"""The rule book's rules for labels (DESIGN §3, §5 "Background data"): ``label.issue`` (with its citations),
``label.revoke``, ``label.supersede`` — "a label is revoked or superseded only by its own signing key or by a key
its scheme authorized for that kind".
"""

from __future__ import annotations

from mapping.errors import (
    AuthorityError,
    CarbonLedgerError,
    ConfigError,
    ConflictError,
    RuleError,
    Unestablished,
    UnknownEntryError,
)
from mapping.gtin import gtin_problem

from . import citations, datasets
from .envelope import Entry
from .ledger_state import (
    AddLabel,
    AuthorityView,
    Change,
    DatasetRecord,
    KeyRecord,
    LabelRecord,
    Policy,
    SetLabelStatus,
)
from .rules_common import in_payload, require_own_scheme


def label_issue(
    entry: Entry, body: dict, key: KeyRecord, index: int, view: AuthorityView, policy: Policy | None
) -> list[Change]:
    label = body["label"]
    require_own_scheme(key, label["scheme"], "/label/scheme")
    existing = view.label(label["scheme"], label["label_id"])
    if existing is not None:
        raise ConflictError(
            f"label {label['label_id']!r} of {label['scheme']!r} is already in the log at index "
            f"{existing.index}; publish a new label and supersede the old one",
            code="label.duplicate_id",
            field="/label/label_id",
        )
    if label["valid_until"] < label["issued_at"]:
        raise RuleError(
            f"valid_until {label['valid_until']} is before issued_at {label['issued_at']}",
            code="label.bad_validity",
            field="/label/valid_until",
        )
    _check_gtins(label)
    _check_citations(label, view)
    record = LabelRecord(label["scheme"], label["label_id"], entry.entry_id, index, entry.signer)
    return [AddLabel(record)]


def _check_gtins(label: dict) -> None:
    """A GTIN that fails the GS1 check digit names no product: a buyer scanning the package would find no
    label, and a seller could claim another product's label by a near-miss number (issue 20, item 5)."""
    for i, ident in enumerate(label["product"].get("ids", ())):
        if ident["system"] != "gtin":
            continue
        problem = gtin_problem(ident["value"])
        if problem is not None:
            raise RuleError(problem, code="label.gtin_invalid", field=f"/label/product/ids/{i}/value")


def _cites_a_factor(label: dict) -> bool:
    return any("citation" in supply.get("factor", {}) for supply in label["footprint"].get("electricity", ()))


def _check_citations(label: dict, view: AuthorityView) -> None:
    """ "Admission checks that the cited dataset entry is in the log and that the label's stated factor
    equals the signed value" (issue: background data registry); retired or superseded versions are
    still citable — the verifier reports their status to the buyer."""
    if not label.get("cites") and not _cites_a_factor(label):
        return
    try:
        citations.check_label_citations(label)
        for cite in label.get("cites", ()):
            found = view.dataset_payload(cite["entry"])
            if found is None:
                if view.complete:
                    citations.require_present(citations.check_citation(cite, None, "missing", label), label)
                continue
            record, payload = found
            versions = view.dataset_versions(record.dataset_id)
            citations.check_citation(
                cite,
                payload,
                _dataset_status(record, versions),
                label,
                newer_versions=[v.version for v in versions if v.version > record.version and v.status != "retired"],
                entry_id=record.entry_id,
            )
    except (RuleError, ConfigError):  # a damaged store is the operator's fault, never the entry's refusal
        raise
    except CarbonLedgerError as e:
        raise in_payload("/label", e) from e


def _dataset_status(record: DatasetRecord, versions: list[DatasetRecord]) -> str:
    statuses = datasets.version_statuses(
        [v.version for v in versions], [v.version for v in versions if v.status == "retired"]
    )
    return statuses.get(record.version, "missing")


def _target_label(kind: str, body: dict, key: KeyRecord, view: AuthorityView) -> LabelRecord:
    scheme_id, label_id = body["scheme"], body["label_id"]
    label = view.label(scheme_id, label_id)
    if label is None and not view.complete:
        raise Unestablished(f"label {label_id!r} of {scheme_id!r} is not in this bundle", field="/label_entry")
    if label is None or label.entry_id != body["label_entry"]:
        raise UnknownEntryError(
            f"no label {label_id!r} of {scheme_id!r} with entry id {body['label_entry']} in the log",
            code="label.unknown",
            field="/label_entry",
        )
    # "A label is revoked or superseded only by its own signing key or by a key
    # its scheme authorized for that kind" (DESIGN §3); the root may always.
    if key.key_id != label.signer:
        if key.scheme != scheme_id or kind not in key.kinds:
            raise AuthorityError(
                f"key {key.key_id} may not {kind.split('.')[1]} label {label_id!r}: only the label's own key, "
                f"or a key {scheme_id!r} authorized for {kind}, may",
                code="authority.not_label_authority",
                field="/signer",
            )
    if label.status != "active":
        raise ConflictError(f"label {label_id!r} is already {label.status}", code="label.not_active", field="/label_id")
    return label


def label_revoke(
    entry: Entry, body: dict, key: KeyRecord, index: int, view: AuthorityView, policy: Policy | None
) -> list[Change]:
    label = _target_label(entry.kind, body, key, view)
    return [SetLabelStatus(label.scheme, label.label_id, "revoked", index, entry.entry_id)]


def label_supersede(
    entry: Entry, body: dict, key: KeyRecord, index: int, view: AuthorityView, policy: Policy | None
) -> list[Change]:
    label = _target_label(entry.kind, body, key, view)
    replacement = body["replacement_entry"]
    ref = view.label_by_entry(replacement)
    if ref is None and not view.complete:  # a bundle need not hold the replacement: the supersession stands
        return [SetLabelStatus(label.scheme, label.label_id, "superseded", index, entry.entry_id, replacement)]
    if ref is None or ref.scheme != label.scheme:
        raise RuleError(
            f"replacement {replacement} is not a label of {label.scheme!r} already in the log",
            code="label.replacement_unknown",
            field="/replacement_entry",
        )
    if ref.entry_id == label.entry_id:
        raise RuleError("a label cannot supersede itself", code="label.replacement_unknown", field="/replacement_entry")
    return [SetLabelStatus(label.scheme, label.label_id, "superseded", index, entry.entry_id, replacement)]
