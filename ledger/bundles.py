"""Producing what a buyer verifies offline: bundles and trust files (DESIGN §3, issue: the buyer's verifier)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from mapping.errors import AmbiguousError, CarbonLedgerError, ConfigError, InvalidParameterError, NotFoundError
from verifier.bundle import encode_bundle
from verifier.envelope import parse_entry
from verifier.ledger_state import ROOT
from verifier.status_records import label_object_id, pair_object_id
from verifier.trust import Trust

from .log import Log
from .tables import CheckpointRow, EntryRow, LabelRow

if TYPE_CHECKING:
    from verifier.report import Report

LABEL_STATUS_KINDS = ("label.revoke", "label.supersede")
# The bundle version built when none is asked for. v2 carries status map proofs (verifier/status_commit.py);
# v1 (entries and inclusion proofs only) stays buildable, and old v1 bundles still verify.
DEFAULT_BUNDLE_VERSION = 2
BUNDLE_VERSIONS = (1, 2)


class AmbiguousLabelError(AmbiguousError):
    """A label id held by two or more schemes, asked for without a scheme (``label.ambiguous``, HTTP 409)."""

    def __init__(self, label_id: str, schemes: list[str]) -> None:
        self.label_id, self.schemes = label_id, sorted(schemes)
        super().__init__(
            f"label id {label_id!r} is held by {len(self.schemes)} schemes: {', '.join(self.schemes)}; choose one "
            f"with --scheme S on the command line, or ?scheme=S in the API and on the pages",
            field="scheme",
        )


def find_label(log: Log, label_id: str, scheme: str | None = None) -> LabelRow:
    """The label ``label_id`` of ``scheme``. Label ids are unique per scheme only, so without a scheme the id
    must be held by exactly one: none is ``label.unknown``, two or more :class:`AmbiguousLabelError` (never
    one of them picked)."""
    rows = log.store.labels_with_id(label_id, scheme)
    if not rows:
        raise NotFoundError(
            f"no label {label_id!r}" + (f" of scheme {scheme!r}" if scheme else "") + " in this log",
            code="label.unknown",
        )
    if len(rows) > 1:
        raise AmbiguousLabelError(label_id, [r.scheme for r in rows])
    return rows[0]


def bundle_entries(log: Log, label: LabelRow, target_scheme: str | None = None) -> list[EntryRow]:
    """The label and every logged entry bearing on its authenticity, status, citations and — when a target
    scheme is asked about — its equivalence (DESIGN §3 "Bundle")."""
    store, scheme = log.store, label.scheme
    rows = {label.idx: store.entry(label.idx)}
    wanted = [
        store.find_entries(["scheme.register", "scheme.rotate"], scheme),
        store.find_entries(["key.authorize", "key.revoke"], scheme, label.signer),
        store.find_entries(LABEL_STATUS_KINDS, scheme, label.label_id),
    ]
    for group in wanted:
        for row in group:
            rows[row.idx] = row
    # Delegates that revoked or superseded the label need their own authorization in the bundle.
    for row in wanted[2]:
        if row.signer != label.signer:
            for auth in store.find_entries(["key.authorize", "key.revoke"], scheme, row.signer):
                rows[auth.idx] = auth
    payload = parse_entry(bytes(rows[label.idx].envelope)).body
    for row in _citation_entries(log, payload["label"]):
        rows[row.idx] = row
    if target_scheme is not None and target_scheme != scheme:
        for row in _agreement_entries(log, scheme, target_scheme):
            rows[row.idx] = row
        for row in _pinned_dataset_entries(log, scheme, target_scheme):
            rows[row.idx] = row
    return [r for _, r in sorted(rows.items()) if r is not None]


def _citation_entries(log: Log, label: dict) -> list[EntryRow]:
    """Every version (and retirement) of each cited dataset, and its publisher's registration: the buyer
    sees whether the cited version is current, superseded or retired."""
    store, out = log.store, []
    for dataset_id in sorted({c["dataset"] for c in label.get("cites", ())}):
        versions = store.dataset_rows(dataset_id)
        for v in versions:
            out.append(store.entry(v.idx))
            if v.retired_index is not None:
                out.append(store.entry(v.retired_index))
        for publisher in {v.publisher for v in versions}:
            out.extend(store.find_entries(["scheme.register", "scheme.rotate"], publisher))
    return out


def _agreement_entries(log: Log, scheme: str, target: str) -> list[EntryRow]:
    """Every agreement version and withdrawal between the two schemes, and the target's registration
    (its root signs accepts and withdrawals)."""
    events = log.agreement_events()
    ids = {
        ev.agreement_id
        for ev in events
        if ev.kind == "propose" and ev.terms is not None and {scheme, target} <= set(ev.terms.parties)
    }
    out = [log.store.entry(ev.index) for ev in events if ev.agreement_id in ids]
    out.extend(log.store.find_entries(["scheme.register", "scheme.rotate"], target))
    return out


def agreement_pins(log: Log, scheme: str, target: str) -> list[dict]:
    """Every dataset pin (``{dataset, version, entry, key}``) of the agreement versions proposed between the two
    schemes, in log order, without repeats: the registry entries their conversions may use."""
    out: list[dict] = []
    for ev in log.agreement_events():
        if ev.kind == "propose" and ev.terms is not None and {scheme, target} <= set(ev.terms.parties):
            for pin in ev.terms.datasets:
                d = pin.to_dict()
                if d not in out:
                    out.append(d)
    return out


def pinned_dataset_payloads(log: Log, scheme: str, target: str) -> dict[str, dict]:
    """Entry id → ``dataset.publish`` payload of every pinned entry the log holds (DESIGN §5: conversions take
    factors only from cited or agreement-pinned entries). A pin naming no ``dataset.publish`` entry is left
    out; the conversion using it then fails as ``mapping.dataset_unavailable``."""
    out: dict[str, dict] = {}
    for pin in agreement_pins(log, scheme, target):
        envelope = log.store.dataset_envelope_by_id(pin["entry"])
        if envelope is None or pin["entry"] in out:
            continue
        entry = parse_entry(envelope)
        if entry.kind == "dataset.publish":
            out[pin["entry"]] = entry.body
    return out


def _pinned_dataset_entries(log: Log, scheme: str, target: str) -> list[EntryRow]:
    """The dataset.publish entries the agreements between the two schemes pin, and each publisher's
    registration and rotations so the verifier can authenticate them (as for citations)."""
    store, out, publishers = log.store, [], set()
    for pin in agreement_pins(log, scheme, target):
        row = store.dataset_entry_by_id(pin["entry"])
        if row is None or row.kind != "dataset.publish":
            continue
        out.append(row)
        publishers.add(parse_entry(bytes(row.envelope)).body["publisher"])
    for publisher in sorted(publishers):
        out.extend(store.find_entries(["scheme.register", "scheme.rotate"], publisher))
    return out


def build_bundle(
    log: Log, label_id: str, scheme: str | None = None, target_scheme: str | None = None, version: int | None = None
) -> bytes:
    """The label's bundle against the log's newest checkpoint: ``version`` 1 or 2 (default
    :data:`DEFAULT_BUNDLE_VERSION`)."""
    return bundle_with_checkpoint(log, label_id, scheme, target_scheme, version)[0]


def bundle_with_checkpoint(
    log: Log, label_id: str, scheme: str | None = None, target_scheme: str | None = None, version: int | None = None
) -> tuple[bytes, CheckpointRow]:
    """:func:`build_bundle`, and the checkpoint it is built against."""
    version = DEFAULT_BUNDLE_VERSION if version is None else version
    if version not in BUNDLE_VERSIONS:
        raise InvalidParameterError(
            f"bundle version {version} is not one of {list(BUNDLE_VERSIONS)}", code="bundle.version"
        )
    label = find_label(log, label_id, scheme)
    cp = log.store.latest_checkpoint()
    if cp is None:  # a log holding a label has a checkpoint, unless its store was damaged
        raise ConfigError(
            f"the store holds label {label.label_id!r} of {label.scheme!r} but no checkpoint", code="store.corrupt"
        )
    rows = bundle_entries(log, label, target_scheme)
    status: list[dict] = []  # bundle v2's status member (verifier/status_commit.py)
    if version == 2:
        status = status_items(log, label, target_scheme, cp.size)
        held = {r.idx for r in rows}
        events = {
            ev["index"] for it in status if it["kind"] == "agreement" and it["record"] for ev in it["record"]["events"]
        }
        rows += log.store.entries_at(events - held).values()
        rows.sort(key=lambda r: r.idx)
    entries = [
        (row.idx, bytes(row.envelope), log.inclusion_proof(row.idx, cp.size)) for row in rows if row.idx < cp.size
    ]
    data = encode_bundle(log.origin, cp.note, label.entry_id, entries, target_scheme, status if version == 2 else None)
    return data, cp


def status_items(log: Log, label: LabelRow, target_scheme: str | None, size: int) -> list[dict]:
    """The bundle v2 ``status`` member against the checkpoint of ``size``: a map proof, with its record (or null),
    for the label, its signing key, its scheme, each dataset it cites and — for a target scheme other than its
    own — the pair of schemes and every agreement the pair's record lists; sorted by (kind, id)."""
    payload = parse_entry(bytes(log.entry(label.idx).envelope)).body["label"]
    wanted = [("label", label_object_id(label.scheme, label.label_id)), ("key", label.signer), ("scheme", label.scheme)]
    wanted += [("dataset", d) for d in sorted({c["dataset"] for c in payload.get("cites", ())})]
    items = {k: log.status_proof(*k, size=size) for k in wanted}
    if target_scheme is not None and target_scheme != label.scheme:
        pair = ("pair", pair_object_id(label.scheme, target_scheme))
        items[pair] = log.status_proof(*pair, size=size)
        record = items[pair][0]
        for agreement_id in record["agreements"] if record else ():
            items[("agreement", agreement_id)] = log.status_proof("agreement", agreement_id, size=size)
    return [
        {"kind": kind, "id": object_id, "record": record, "proof": proof.to_json()}
        for (kind, object_id), (record, proof) in sorted(items.items())
    ]


def export_trust(
    log: Log, buyer_scheme: str | None = None, witness_vkeys: tuple[str, ...] | None = None, threshold: int = 0
) -> Trust:
    """A trust file naming this log's key and every scheme's current root key (a buyer prunes it), and the
    witnesses: ``witness_vkeys`` with ``threshold``, or by default the log's own witness policy (none: 0)."""
    if witness_vkeys is None:
        policy = log.witnessing.policy if log.witnessing is not None else None
        witness_vkeys, threshold = (policy.vkeys, policy.threshold) if policy is not None else ((), 0)
    roots: dict[str, frozenset[bytes]] = {}
    for rec in log.key_records().values():
        scheme = log.scheme(rec.scheme)
        if rec.role == ROOT and scheme is not None and scheme.root_key_id == rec.key_id:
            roots[rec.scheme] = frozenset({rec.verifying_key.public_key})
    return Trust(
        origin=log.origin,
        log_vkey=log.vkey,
        witness_vkeys=witness_vkeys,
        threshold=threshold,
        scheme_roots=roots,
        buyer_scheme=buyer_scheme,
    )


def verify_upload(log: Log, bundle: bytes, trust: bytes | None, to: str | None, at: date) -> Report:
    """Verify an uploaded bundle in the request (API and upload page): against the uploaded trust file, or
    else this log's own keys, at the log's clock; malformed input of any kind is a step-1 failure, never an
    exception."""
    from verifier.report import FAILED, Report
    from verifier.verify import verify_bundle

    try:
        return verify_bundle(
            bundle,
            trust if trust is not None else export_trust(log, buyer_scheme=to),
            at=at,
            now=log.clock(),
            target_scheme=to,
        )
    except (CarbonLedgerError, ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError) as e:
        report = Report()
        report.set(1, FAILED, f"unusable input [{type(e).__name__}]: {e}")
        return report
