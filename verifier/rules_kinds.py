"""The rule book's rules for each entry kind (DESIGN §3), called by :func:`verifier.rules.fold_entry`.

Each rule takes the entry, its payload, the signer's key record, its log index, the state before it and the
operator's policy (None when a bundle or a replay folds), and returns the changes the entry makes or raises a
:class:`~mapping.errors.RuleError` naming the rule. On a partial view (``view.complete`` false: a bundle), an
entry that refers to something the view does not hold raises :class:`~mapping.errors.Unestablished` (it is
left out), except where the reference cannot change a buyer's verdict for the better (a supersession's
replacement label); everything the view does hold is checked as the log checks it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from mapping.errors import CarbonLedgerError, RuleError, Unestablished
from mapping.negotiation import check_event
from mapping.profiles import validate_profile

from . import datasets
from .agreements import event_from_payload
from .envelope import Entry, public_key_from_b64
from .equivalence_offline import KNOWN_CONVERSIONS
from .keys import VerifyingKey
from .ledger_state import (
    DELEGATE,
    PUBLISHER_KINDS,
    ROOT,
    ROOT_KINDS,
    AddAgreementEvent,
    AddDataset,
    AddKey,
    AddLabel,
    AddProfile,
    AddScheme,
    AuthorityView,
    Change,
    DatasetRecord,
    KeyRecord,
    LabelRecord,
    Policy,
    RetireDataset,
    RevokeKey,
    RotateRoot,
    SchemeRecord,
    SetLabelStatus,
)

LABEL_STATUS_KINDS = frozenset({"label.revoke", "label.supersede"})


def parse_time(text: str) -> datetime:
    """RFC 3339 UTC timestamp ``YYYY-MM-DDTHH:MM:SSZ`` (schema-checked shape) as an aware datetime."""
    try:
        return datetime.fromisoformat(text)
    except ValueError as e:
        raise RuleError(f"{text!r} is not a valid time", code="schema.invalid", field="/signed_at") from e


def _absent(view: AuthorityView, message: str, *, code: str, field: str) -> RuleError:
    """The error for a reference the view does not hold: a refusal on a complete view, else left out."""
    if view.complete:
        return RuleError(message, code=code, field=field)
    return Unestablished(message + " (not in this bundle)", field=field)


def _require_own_scheme(key: KeyRecord, scheme_id: str, field: str) -> None:
    if key.scheme != scheme_id:
        raise RuleError(
            f"key {key.key_id} belongs to scheme {key.scheme!r}, not {scheme_id!r}",
            code="authority.wrong_scheme",
            field=field,
        )


def _scheme_register(
    entry: Entry, body: dict, key: KeyRecord, index: int, view: AuthorityView, policy: Policy | None
) -> list[Change]:
    info = body["scheme"]
    scheme_id = info["id"]
    if view.scheme(scheme_id) is not None:
        raise RuleError(
            f"scheme id {scheme_id!r} is already bound to its first root key; only a "
            f"scheme.rotate signed by the current root can change it",
            code="scheme.already_bound",
            field="/scheme/id",
        )
    if policy is not None and not policy.allow_any_scheme and scheme_id not in policy.allowed_schemes:
        raise RuleError(
            f"scheme id {scheme_id!r} is not on the operator's allow-list",
            code="scheme.not_allowed",
            field="/scheme/id",
        )
    record = KeyRecord(key.key_id, key.verifying_key, scheme_id, ROOT, root_kinds(info["role"]), authorized_index=index)
    return [AddScheme(SchemeRecord(scheme_id, key.key_id, info["role"], info["name"], index)), AddKey(record)]


def root_kinds(role: str) -> frozenset[str]:
    """What a root key may sign: the root kinds, and for a data publisher also its datasets."""
    return ROOT_KINDS | PUBLISHER_KINDS if role == "data-publisher" else ROOT_KINDS


def _scheme(view: AuthorityView, scheme_id: str) -> SchemeRecord:
    """The scheme record :func:`_current_root` has just found."""
    scheme = view.scheme(scheme_id)
    if scheme is None:  # pragma: no cover - _current_root refused it
        raise RuleError(f"unknown scheme {scheme_id!r}", code="scheme.unknown")
    return scheme


def _current_root(key: KeyRecord, scheme_id: str, view: AuthorityView, field: str) -> None:
    scheme = view.scheme(scheme_id)
    if scheme is None:
        raise _absent(view, f"unknown scheme {scheme_id!r}", code="scheme.unknown", field=field)
    if scheme.root_key_id != key.key_id:
        raise RuleError(
            f"only the current root key of {scheme_id!r} may sign this entry",
            code="authority.not_root",
            field="/signer",
        )


def _new_key(text: str, field: str, view: AuthorityView) -> VerifyingKey:
    vk = public_key_from_b64(text, field)
    existing = view.key(vk.key_id)
    if existing is not None:
        raise RuleError(
            f"key {vk.key_id} is already bound to scheme {existing.scheme!r}", code="key.already_bound", field=field
        )
    return vk


def _scheme_rotate(
    entry: Entry, body: dict, key: KeyRecord, index: int, view: AuthorityView, policy: Policy | None
) -> list[Change]:
    scheme_id = body["scheme"]
    _current_root(key, scheme_id, view, "/scheme")
    vk = _new_key(body["new_public_key"], "/new_public_key", view)
    role = _scheme(view, scheme_id).role
    new_root = KeyRecord(vk.key_id, vk, scheme_id, ROOT, root_kinds(role), authorized_index=index)
    return [AddKey(new_root), RevokeKey(key.key_id, index, index + 1), RotateRoot(scheme_id, vk.key_id)]


def _key_authorize(
    entry: Entry, body: dict, key: KeyRecord, index: int, view: AuthorityView, policy: Policy | None
) -> list[Change]:
    scheme_id = body["scheme"]
    _current_root(key, scheme_id, view, "/scheme")
    vk = _new_key(body["public_key"], "/public_key", view)
    not_after = parse_time(body["not_after"]) if "not_after" in body else None
    record = KeyRecord(
        vk.key_id,
        vk,
        scheme_id,
        DELEGATE,
        frozenset(body["kinds"]),
        authorized_index=index,
        not_after=not_after,
        holder=body["holder"]["name"],
    )
    return [AddKey(record)]


def _key_revoke(
    entry: Entry, body: dict, key: KeyRecord, index: int, view: AuthorityView, policy: Policy | None
) -> list[Change]:
    scheme_id, target_id = body["scheme"], body["key_id"]
    target = view.key(target_id)
    if target is None:
        raise _absent(
            view, f"key {target_id} is not a key of scheme {scheme_id!r}", code="key.unknown", field="/key_id"
        )
    if target.scheme != scheme_id:
        raise RuleError(f"key {target_id} is not a key of scheme {scheme_id!r}", code="key.unknown", field="/key_id")
    if target_id != key.key_id:  # a key may always revoke itself; otherwise only the current root
        _current_root(key, scheme_id, view, "/scheme")
    if target.role == ROOT and target_id == key.key_id:
        raise RuleError(
            "a root key cannot revoke itself; rotate it with scheme.rotate",
            code="key.root_self_revoke",
            field="/key_id",
        )
    if target.revoked_index is not None:
        raise RuleError(
            f"key {target_id} is already revoked at index {target.revoked_index}",
            code="key.already_revoked",
            field="/key_id",
        )
    effective = body.get("effective_from_index", index)
    if effective > index:
        raise RuleError(
            f"effective_from_index {effective} is after this revocation's index {index}",
            code="key.bad_effective_index",
            field="/effective_from_index",
        )
    return [RevokeKey(target_id, index, effective)]


def _label_issue(
    entry: Entry, body: dict, key: KeyRecord, index: int, view: AuthorityView, policy: Policy | None
) -> list[Change]:
    label = body["label"]
    _require_own_scheme(key, label["scheme"], "/label/scheme")
    existing = view.label(label["scheme"], label["label_id"])
    if existing is not None:
        raise RuleError(
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
    _check_citations(label, view)
    record = LabelRecord(label["scheme"], label["label_id"], entry.entry_id, index, entry.signer)
    return [AddLabel(record)]


def _in_payload(prefix: str, e: CarbonLedgerError) -> RuleError:
    """A check's error re-raised with its field pointing into the entry payload."""
    return RuleError(e.message, code=e.code, field=prefix + (e.field or ""))


def _cites_a_factor(label: dict) -> bool:
    return any("citation" in supply.get("factor", {}) for supply in label["footprint"].get("electricity", ()))


def _check_citations(label: dict, view: AuthorityView) -> None:
    """ "Admission checks that the cited dataset entry is in the log and that the label's stated factor
    equals the signed value" (issue: background data registry); retired or superseded versions are
    still citable — the verifier reports their status to the buyer."""
    if not label.get("cites") and not _cites_a_factor(label):
        return
    try:
        datasets.check_label_citations(label)
        for cite in label.get("cites", ()):
            found = view.dataset_payload(cite["entry"])
            if found is None:
                if view.complete:
                    datasets.require_present(datasets.check_citation(cite, None, "missing", label), label)
                continue
            record, payload = found
            versions = view.dataset_versions(record.dataset_id)
            datasets.check_citation(
                cite,
                payload,
                _dataset_status(record, versions),
                label,
                newer_versions=[v.version for v in versions if v.version > record.version and v.status != "retired"],
                entry_id=record.entry_id,
            )
    except RuleError:
        raise
    except CarbonLedgerError as e:
        raise _in_payload("/label", e) from e


def _dataset_status(record: DatasetRecord, versions: list[DatasetRecord]) -> str:
    statuses = datasets.version_statuses(
        [v.version for v in versions], [v.version for v in versions if v.status == "retired"]
    )
    return statuses.get(record.version, "missing")


def _publisher(key: KeyRecord, body: dict, view: AuthorityView) -> str:
    publisher = body["publisher"]
    scheme = view.scheme(publisher)
    if scheme is None and not view.complete:
        raise Unestablished(f"publisher {publisher!r} is not registered in this bundle", field="/publisher")
    if scheme is None or scheme.role != "data-publisher":
        raise RuleError(
            f"{publisher!r} is not a registered data publisher (register it with role data-publisher)",
            code="dataset.publisher_unknown",
            field="/publisher",
        )
    _require_own_scheme(key, publisher, "/publisher")
    return publisher


def _dataset_publish(
    entry: Entry, body: dict, key: KeyRecord, index: int, view: AuthorityView, policy: Policy | None
) -> list[Change]:
    publisher = _publisher(key, body, view)
    dataset = body["dataset"]
    try:
        datasets.check_dataset(body)
        versions = view.dataset_versions(dataset["id"])
        others = {v.publisher for v in versions} - {publisher}
        if others:
            raise RuleError(
                f"dataset id {dataset['id']!r} belongs to publisher {sorted(others)[0]!r}",
                code="dataset.wrong_publisher",
                field="/dataset/id",
            )
        datasets.check_version_increase([v.version for v in versions], dataset["version"])
    except RuleError:
        raise
    except CarbonLedgerError as e:
        raise (
            _in_payload("", e)
            if (e.field or "").startswith("/")
            else RuleError(e.message, code=e.code, field=e.field or "/dataset/version")
        ) from e
    record = DatasetRecord(dataset["id"], dataset["version"], publisher, entry.entry_id, index)
    return [AddDataset(record, dataset["title"], body)]


def _dataset_retire(
    entry: Entry, body: dict, key: KeyRecord, index: int, view: AuthorityView, policy: Policy | None
) -> list[Change]:
    _publisher(key, body, view)
    target = body["dataset"]
    found = view.dataset_payload(target["entry"])
    if found is None and not view.complete:
        raise Unestablished(
            f"the retired dataset entry {target['entry']} is not in this bundle", field="/dataset/entry"
        )
    try:
        datasets.check_retire(
            body,
            None if found is None else found[1],
            already_retired=found is not None and found[0].status == "retired",
        )
    except CarbonLedgerError as e:
        raise (
            _in_payload("", e)
            if (e.field or "").startswith("/")
            else RuleError(e.message, code=e.code, field="/dataset/entry")
        ) from e
    if found is None:  # pragma: no cover - check_retire refuses a retirement of nothing
        raise RuleError("no dataset entry to retire", code="dataset.retire_mismatch", field="/dataset/entry")
    return [RetireDataset(found[0].dataset_id, found[0].version, index, entry.entry_id)]


def _target_label(kind: str, body: dict, key: KeyRecord, view: AuthorityView) -> LabelRecord:
    scheme_id, label_id = body["scheme"], body["label_id"]
    label = view.label(scheme_id, label_id)
    if label is None and not view.complete:
        raise Unestablished(f"label {label_id!r} of {scheme_id!r} is not in this bundle", field="/label_entry")
    if label is None or label.entry_id != body["label_entry"]:
        raise RuleError(
            f"no label {label_id!r} of {scheme_id!r} with entry id {body['label_entry']} in the log",
            code="label.unknown",
            field="/label_entry",
        )
    # "A label is revoked or superseded only by its own signing key or by a key
    # its scheme authorized for that kind" (DESIGN §3); the root may always.
    if key.key_id != label.signer:
        if key.scheme != scheme_id or kind not in key.kinds:
            raise RuleError(
                f"key {key.key_id} may not {kind.split('.')[1]} label {label_id!r}: only the label's own key, "
                f"or a key {scheme_id!r} authorized for {kind}, may",
                code="authority.not_label_authority",
                field="/signer",
            )
    if label.status != "active":
        raise RuleError(f"label {label_id!r} is already {label.status}", code="label.not_active", field="/label_id")
    return label


def _label_revoke(
    entry: Entry, body: dict, key: KeyRecord, index: int, view: AuthorityView, policy: Policy | None
) -> list[Change]:
    label = _target_label(entry.kind, body, key, view)
    return [SetLabelStatus(label.scheme, label.label_id, "revoked", index, entry.entry_id)]


def _label_supersede(
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


def _agreement(
    entry: Entry, body: dict, key: KeyRecord, index: int, view: AuthorityView, policy: Policy | None
) -> list[Change]:
    """agreement.propose / accept / withdraw: "each step a signed ledger entry", signed by a party's current
    root key. The negotiation rules themselves (parties, terms hash, stale or unknown versions, replays,
    overlapping versions in force) are mapping.negotiation.check_event over the whole history. An event's
    time is its signed_at, which admission holds within the clock window of the log's time, so a buyer
    replaying the history offline from a bundle sees the same times."""
    scheme = view.scheme(key.scheme)
    is_root = scheme is not None and scheme.root_key_id == key.key_id
    at = parse_time(entry.signed_at)
    try:
        event = event_from_payload(
            body,
            index=index,
            at=at,
            signer_scheme=key.scheme,
            signer_is_root=is_root,
            known_conversions=KNOWN_CONVERSIONS,
        )
        check_event(view.agreement_history(), event, now=at)
    except CarbonLedgerError as e:
        if e.code == "agreement.unknown_version" and not view.complete:
            # the version it names may be in the log but not in this bundle: missing evidence, not a broken rule
            raise Unestablished(e.message + " (not in this bundle)", field=e.field) from e
        raise RuleError(e.message, code=e.code, field=e.field) from e
    return [AddAgreementEvent(event, entry.entry_id, key.scheme)]


def _profile_publish(
    entry: Entry, body: dict, key: KeyRecord, index: int, view: AuthorityView, policy: Policy | None
) -> list[Change]:
    """profile.publish: "scheme profiles signed by the scheme's root key; standard profiles by the operator's
    reference-data key" (issue: mapping layer). A version of a profile is published once."""
    publisher = body["scheme"]
    _require_own_scheme(key, publisher, "/scheme")
    _current_root(key, publisher, view, "/scheme")
    profile = body["profile"]
    try:
        validate_profile(profile)
    except CarbonLedgerError as e:
        raise RuleError(e.message, code=e.code, field="/profile" + (e.field or "")) from e
    role = _scheme(view, publisher).role
    if profile["kind"] == "scheme" and profile["id"] != publisher:
        raise RuleError(
            f"a scheme profile is published by its own scheme: {profile['id']!r} is not {publisher!r}",
            code="profile.wrong_scheme",
            field="/profile/id",
        )
    if profile["kind"] == "standard" and role != "data-publisher":
        raise RuleError(
            "standard profiles are reference data: publish them with a data publisher's key",
            code="profile.not_reference_publisher",
            field="/scheme",
        )
    if profile["version"] in view.profile_versions(publisher, profile["id"]):
        raise RuleError(
            f"profile {profile['id']!r} version {profile['version']!r} is already in the log",
            code="profile.duplicate_version",
            field="/profile/version",
        )
    return [AddProfile(publisher, profile["id"], profile["version"])]


Rule = Callable[[Entry, dict, KeyRecord, int, AuthorityView, Policy | None], list[Change]]

RULES: dict[str, Rule] = {
    "scheme.register": _scheme_register,
    "scheme.rotate": _scheme_rotate,
    "key.authorize": _key_authorize,
    "key.revoke": _key_revoke,
    "label.issue": _label_issue,
    "label.revoke": _label_revoke,
    "label.supersede": _label_supersede,
    "profile.publish": _profile_publish,
    "dataset.publish": _dataset_publish,
    "agreement.propose": _agreement,
    "agreement.accept": _agreement,
    "agreement.withdraw": _agreement,
    "dataset.retire": _dataset_retire,
}
