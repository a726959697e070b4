"""The PACT v3 host: the log's labels as ProductFootprints, their filters and pages, and the events received.

Read through :class:`ledger.reads.Reads` only. Each label that PACT can express (``mapping.pact_export``) is a
footprint; one it cannot (a PACT-mandatory number the label does not state) is not served, and
``carbonledger pact export`` names why. ``Active`` until the label is revoked or superseded, then
``Deprecated``; a replacement lists what it replaced in ``precedingPfIds``. The footprints are computed once
per tree size (the log only grows; a status change is an entry). The ledger proof extension holds links
built from the request's own origin.

Pages are cut from the footprints of the first ``x-carbonledger-size`` log entries (the log's size when the
first page was asked), so calling a pagination link again returns the same footprints while the log grows.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from mapping.errors import CarbonLedgerError, InputError, MappingError, NotFoundError
from mapping.pact_export import PROOF_EXTENSION_NAME, Hosting, ProofLinks, export_footprint, proof_extension
from mapping.pact_fields import GEOGRAPHY_FIELDS, instant

from .reads import Reads, entry_payload

__all__ = [
    "EVENT_TYPES",
    "PROOF_SCHEMA_PATH",
    "Filters",
    "PactHost",
    "proof_schema",
]

PROOF_SCHEMA_PATH = f"/3/extensions/{PROOF_EXTENSION_NAME}/1.0.0/schema.json"
# PACT v3's event types (the ``type`` const of each event schema); a draft of v3 still used v2's
# ``org.wbcsd.pathfinder.…v1`` names, which a v3 host does not accept.
EVENT_TYPES = {
    "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3": "request",
    "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3": "fulfilled",
    "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3": "rejected",
    "org.wbcsd.pact.ProductFootprint.PublishedEvent.3": "published",
}
_EVENT_TYPE = {kind: name for name, kind in EVENT_TYPES.items()}
_LIST_FILTERS = ("productId", "companyId", "geography", "classification")
_TIME_FILTERS = ("validOn", "validAfter", "validBefore")
MAX_LIMIT = 1000


@dataclass(frozen=True)
class _Served:
    row_idx: int
    entry_id: str
    label_id: str
    scheme: str
    footprint: dict[str, Any]


@dataclass(frozen=True)
class Filters:
    """ListFootprints' criteria (the same as a request event's ``data``)."""

    lists: dict[str, tuple[str, ...]]
    times: dict[str, datetime]
    status: str | None

    @staticmethod
    def parse(values: dict[str, list[str]], where: str = "query") -> Filters:
        """Requires the criteria by name, each with its values. The filters (``pact.bad_filter`` if malformed)."""
        lists = {k: tuple(values[k]) for k in _LIST_FILTERS if values.get(k)}
        times = {}
        for k in _TIME_FILTERS:
            if values.get(k):
                try:
                    times[k] = instant(values[k][-1], k)
                except MappingError as e:
                    raise InputError(f"{where} {k}: {e.message}", code="pact.bad_filter", field=k) from None
        status = values["status"][-1] if values.get("status") else None
        if status not in (None, "Active", "Deprecated"):
            raise InputError(f"{where} status must be Active or Deprecated", code="pact.bad_filter", field="status")
        return Filters(lists, times, status)

    def match(self, pf: dict[str, Any]) -> bool:
        """Whether ``pf`` meets every criterion given (a list criterion: any of its values)."""
        pcf = pf["pcf"]
        have = {
            "productId": pf.get("productIds", []),
            "companyId": pf.get("companyIds", []),
            "classification": pf.get("productClassifications", []),
            "geography": [pcf[g] for g in GEOGRAPHY_FIELDS if g in pcf],
        }
        if any(not set(wanted) & set(have[k]) for k, wanted in self.lists.items()):
            return False
        if self.status is not None and pf["status"] != self.status:
            return False
        start, end = instant(pf["validityPeriodStart"], "start"), instant(pf["validityPeriodEnd"], "end")
        t = self.times
        if "validOn" in t and not start <= t["validOn"] < end:
            return False
        if "validAfter" in t and not t["validAfter"] < start:
            return False
        return not ("validBefore" in t and not t["validBefore"] > end)


class PactHost:
    """The PACT v3 view of one log."""

    def __init__(self, reads: Reads) -> None:
        self.reads = reads
        self._lock = threading.Lock()
        self._cache: tuple[int, list[_Served]] | None = None
        self._exported: dict[tuple[str, str, tuple[str, ...]], dict[str, Any] | None] = {}
        self.events: list[dict[str, Any]] = []
        self.outbox: list[dict[str, Any]] = []  # response events for requesters' hosts, oldest first

    def now(self) -> datetime:
        return self.reads.log.clock()

    def _all(self) -> list[_Served]:
        size = self.reads.tree_size()
        with self._lock:
            if self._cache is not None and self._cache[0] == size:
                return self._cache[1]
        with self._lock:
            served = self._compute()
            self._cache = (size, served)
        return served

    def _compute(self) -> list[_Served]:
        """Every label's footprint, in log order; a label whose status and predecessors are unchanged since the
        last computation keeps its footprint (only new or changed labels are read and exported again)."""
        rows = self.reads.log.store.labels(None, limit=10**9)
        preceding: dict[str, list[str]] = {}
        for r in rows:
            if r.replacement_entry:
                preceding.setdefault(r.replacement_entry, []).append(r.entry_id)
        keys = {r.idx: (r.entry_id, r.status, tuple(preceding.get(r.entry_id, ()))) for r in rows}
        stale = [r for r in rows if keys[r.idx] not in self._exported]
        records = self.reads.label_records(stale)
        signed = self.reads.log.store.entries_at(r.idx for r in stale)
        for r in stale:
            hosting = Hosting(
                entry_id=r.entry_id,
                created=str(entry_payload(bytes(signed[r.idx].envelope))["signed_at"]),
                deprecated=r.status != "active",
                preceding_entry_ids=keys[r.idx][2],
            )
            try:
                pf: dict[str, Any] | None = export_footprint(records[r.idx], hosting)
            except CarbonLedgerError:
                pf = None  # PACT cannot express it: `carbonledger pact export` says why
            self._exported[keys[r.idx]] = pf
        live = set(keys.values())
        self._exported = {k: v for k, v in self._exported.items() if k in live}
        out = []
        for r in rows:
            pf = self._exported[keys[r.idx]]
            if pf is not None:
                out.append(_Served(r.idx, r.entry_id, r.label_id, r.scheme, pf))
        return out

    def _with_proof(self, s: _Served, base: str, size: int, checkpoint: str) -> dict[str, Any]:
        links = ProofLinks(
            origin=self.reads.log.origin,
            index=s.row_idx,
            tree_size=size,
            checkpoint=checkpoint,
            bundle_url=f"{base}/v1/labels/{quote(s.label_id, safe='')}/bundle?scheme={quote(s.scheme, safe='')}",
            status_url=f"{base}/v1/status/label/{quote(json.dumps([s.scheme, s.label_id]), safe='')}",
            schema_url=f"{base}{PROOF_SCHEMA_PATH}",
            label_id=s.label_id,
            scheme=s.scheme,
        )
        pf = dict(s.footprint)
        pf["extensions"] = [*pf.get("extensions", []), proof_extension(s.entry_id, links)]
        return pf

    def page(
        self, filters: Filters, limit: int | None, offset: int, pin: int | None, base: str
    ) -> tuple[list[dict[str, Any]], int | None, int]:
        """Requires parsed filters. The footprints of one page, the offset of the next page (None at the end)
        and the log size the pages are cut from."""
        size = self.reads.tree_size() if pin is None else pin
        matching = [s for s in self._all() if s.row_idx < size and filters.match(s.footprint)]
        limit = MAX_LIMIT if limit is None else min(limit, MAX_LIMIT)
        chosen = matching[offset : offset + limit]
        cp_size, checkpoint = self.reads.checkpoint_size(), self.reads.checkpoint()
        data = [self._with_proof(s, base, cp_size, checkpoint) for s in chosen]
        more = offset + limit < len(matching)
        return data, (offset + limit if more else None), size

    def export_label(self, label_id: str, scheme: str | None, base: str) -> dict[str, Any]:
        """Requires a label id (and its scheme if ambiguous). Its footprint with the proof extension; the
        ``pact.*`` error naming the field when PACT cannot express the label."""
        row = self.reads.label(label_id, scheme)
        preceding = tuple(
            r.entry_id for r in self.reads.log.store.labels(None, 10**9) if r.replacement_entry == row.entry_id
        )
        hosting = Hosting(
            entry_id=row.entry_id,
            created=str(self.reads.label_body(row)["signed_at"]),
            deprecated=row.status != "active",
            preceding_entry_ids=preceding,
        )
        pf = export_footprint(self.reads.label_records([row])[row.idx], hosting)
        served = _Served(row.idx, row.entry_id, row.label_id, row.scheme, pf)
        return self._with_proof(served, base, self.reads.checkpoint_size(), self.reads.checkpoint())

    def get(self, pf_id: str, base: str) -> dict[str, Any]:
        """Requires a footprint id. The footprint (``pact.no_such_footprint`` when no label has that id)."""
        for s in self._all():
            if s.footprint["id"] == pf_id:
                return self._with_proof(s, base, self.reads.checkpoint_size(), self.reads.checkpoint())
        raise NotFoundError(f"no footprint has id {pf_id}", code="pact.no_such_footprint", field="id")

    def accept_event(self, event: Any, base: str) -> str:
        """Requires a decoded CloudEvent (structured mode) and this service's origin. Its kind, once checked
        (``pact.bad_event`` if not). A footprint request is answered: its response event (Fulfilled with the
        footprints matching its criteria, or Rejected with ``NotFound``) waits in :attr:`outbox` for delivery to
        the requester's host, the ``source`` of the request."""
        if not isinstance(event, dict):
            raise InputError("an event is a JSON object", code="pact.bad_event")
        for member in ("type", "specversion", "id", "source"):
            if not isinstance(event.get(member), str) or not event[member]:
                raise InputError(f"event member {member!r} must be a non-empty string", code="pact.bad_event")
        if event["specversion"] != "1.0":
            raise InputError("only CloudEvents 1.0 is accepted", code="pact.bad_event", field="specversion")
        kind = EVENT_TYPES.get(event["type"])
        if kind is None:
            raise InputError(f"unknown event type {event['type']!r}", code="pact.bad_event", field="type")
        data = event.get("data")
        if not isinstance(data, dict):
            raise InputError("event member 'data' must be an object", code="pact.bad_event", field="data")
        filters = Filters({}, {}, None)
        if kind == "request":
            values = {}
            for k, v in data.items():
                if k in _LIST_FILTERS:
                    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                        raise InputError(f"data.{k} must be a list of strings", code="pact.bad_event", field=k)
                    values[k] = v
                elif k in (*_TIME_FILTERS, "status") and isinstance(v, str):
                    values[k] = [v]
            filters = Filters.parse(values, "event data")
        elif kind == "published":
            ids = data.get("pfIds")
            if not isinstance(ids, list) or not ids or not all(_is_uuid(x) for x in ids):
                raise InputError(
                    "data.pfIds must be a non-empty list of footprint ids (UUIDs)", code="pact.bad_event", field="pfIds"
                )
        elif not isinstance(data.get("requestEventId"), str):
            raise InputError("data.requestEventId must be a string", code="pact.bad_event", field="requestEventId")
        elif kind == "fulfilled" and not (
            isinstance(data.get("pfs"), list) and data["pfs"] and all(isinstance(x, dict) for x in data["pfs"])
        ):  # PACT v3: "This list MUST be non-empty"
            raise InputError("data.pfs must be a non-empty list of footprints", code="pact.bad_event", field="pfs")
        response = self._respond(event, filters, base) if kind == "request" else None
        with self._lock:
            self.events.append({"kind": kind, "received_at": self.now().isoformat(), "event": event})
            if response is not None:
                self.outbox.append({"to": event["source"], "event": response})
        return kind

    def _respond(self, request: dict[str, Any], filters: Filters, base: str) -> dict[str, Any]:
        data, _next, _size = self.page(filters, MAX_LIMIT, 0, None, base)
        answer: dict[str, Any] = {
            "specversion": "1.0",
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{request['source']}#{request['id']}")),
            "source": "//" + urlsplit(base).netloc + "/3/events",
            "time": self.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if data:
            answer["type"] = _EVENT_TYPE["fulfilled"]
            answer["data"] = {"requestEventId": request["id"], "pfs": data}
        else:
            answer["type"] = _EVENT_TYPE["rejected"]
            error = {"code": "NotFound", "message": "no footprint matches the request's criteria"}
            answer["data"] = {"requestEventId": request["id"], "error": error}
        return answer


def _is_uuid(value: Any) -> bool:
    """Whether ``value`` is a UUID in its hyphenated form (PACT's ``format: uuid`` of a footprint id)."""
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def proof_schema(base: str) -> dict[str, Any]:
    """The JSON Schema of the ledger proof extension's ``data`` (published at :data:`PROOF_SCHEMA_PATH`)."""
    hexid = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
    url = {"type": "string", "format": "uri"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base}{PROOF_SCHEMA_PATH}",
        "title": "carbonledger proof of a PACT footprint",
        "description": "Where the label behind this footprint sits in the carbonledger transparency log. Fetch the "
        "bundle and verify it offline (carbonledger verify): the label's signature by an accredited issuer, its "
        "inclusion in the log under the checkpoint, and its status.",
        "type": "object",
        "additionalProperties": False,
        "required": [
            "entryId",
            "labelId",
            "scheme",
            "logOrigin",
            "logIndex",
            "treeSize",
            "checkpoint",
            "bundle",
            "status",
        ],
        "properties": {
            "entryId": hexid,
            "labelId": {"type": "string", "minLength": 1},
            "scheme": {"type": "string", "minLength": 1},
            "logOrigin": {"type": "string", "minLength": 1},
            "logIndex": {"type": "integer", "minimum": 0},
            "treeSize": {"type": "integer", "minimum": 0},
            "checkpoint": {"type": "string", "description": "the C2SP signed checkpoint the footprint was read under"},
            "bundle": url,
            "status": url,
        },
    }
