"""The rule book's rules for background data and agreements (DESIGN §5): ``dataset.publish``,
``dataset.retire`` and ``agreement.propose`` / ``accept`` / ``withdraw`` (the negotiation rules are
:func:`mapping.negotiation.check_event`'s).
"""

from __future__ import annotations

from mapping.errors import AuthorityError, CarbonLedgerError, RuleError, Unestablished
from mapping.negotiation import check_event

from . import datasets
from .agreements import event_from_payload
from .envelope import Entry
from .equivalence_offline import KNOWN_CONVERSIONS
from .ledger_state import (
    AddAgreementEvent,
    AddDataset,
    AuthorityView,
    Change,
    DatasetRecord,
    KeyRecord,
    Policy,
    RetireDataset,
)
from .rules_common import in_payload, parse_time, require_own_scheme, rule_error


def _publisher(key: KeyRecord, body: dict, view: AuthorityView) -> str:
    publisher = body["publisher"]
    scheme = view.scheme(publisher)
    if scheme is None and not view.complete:
        raise Unestablished(f"publisher {publisher!r} is not registered in this bundle", field="/publisher")
    if scheme is None or scheme.role != "data-publisher":
        raise AuthorityError(
            f"{publisher!r} is not a registered data publisher (register it with role data-publisher)",
            code="dataset.publisher_unknown",
            field="/publisher",
        )
    require_own_scheme(key, publisher, "/publisher")
    return publisher


def dataset_publish(
    entry: Entry, body: dict, key: KeyRecord, index: int, view: AuthorityView, policy: Policy | None
) -> list[Change]:
    publisher = _publisher(key, body, view)
    dataset = body["dataset"]
    try:
        datasets.check_dataset(body)
        versions = view.dataset_versions(dataset["id"])
        others = {v.publisher for v in versions} - {publisher}
        if others:
            raise AuthorityError(
                f"dataset id {dataset['id']!r} belongs to publisher {sorted(others)[0]!r}",
                code="dataset.wrong_publisher",
                field="/dataset/id",
            )
        datasets.check_version_increase([v.version for v in versions], dataset["version"])
    except RuleError:
        raise
    except CarbonLedgerError as e:
        raise (
            in_payload("", e) if (e.field or "").startswith("/") else rule_error(e, field=e.field or "/dataset/version")
        ) from e
    record = DatasetRecord(dataset["id"], dataset["version"], publisher, entry.entry_id, index)
    return [AddDataset(record, dataset["title"], body)]


def dataset_retire(
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
        raise (in_payload("", e) if (e.field or "").startswith("/") else rule_error(e, field="/dataset/entry")) from e
    if found is None:  # pragma: no cover - check_retire refuses a retirement of nothing
        raise RuleError("no dataset entry to retire", code="dataset.retire_mismatch", field="/dataset/entry")
    return [RetireDataset(found[0].dataset_id, found[0].version, index, entry.entry_id)]


def agreement(
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
        raise rule_error(e) from e
    return [AddAgreementEvent(event, entry.entry_id, key.scheme)]
