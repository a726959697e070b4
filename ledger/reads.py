"""The read layer: everything the HTTP API and the web pages show, read from one log — the one place both read.

:class:`Reads` answers from the log's public read API, its store's queries and the services
(:mod:`ledger.bundles`, :mod:`ledger.agreements_service`, :mod:`ledger.datasets_service`); the API serializes
what it returns, the pages render it, and neither runs a query of its own. Records come from the logged
envelopes themselves (the log admitted them, so their payloads are canonical and schema-valid): what is shown
is what was signed.

What depends only on the log's state is cached per tree size: the schemes, and the server-side check of a
label (its bundle built and verified, and the log's equivalence verdict) per (label, target, date, tree
size) — a label page view builds and verifies a bundle only when the log has grown since the last view.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from mapping.errors import CarbonLedgerError, NotFoundError
from verifier.envelope import parse_entry
from verifier.report import Report

from . import agreements_service, bundles, datasets_service
from .log import Log
from .read_models import (
    EntrySummary,
    LabelCheck,
    SchemeInfo,
    entry_dict,
    entry_payload,
    label_fields,
    scheme_profile,
)
from .tables import LabelRow
from .witnessing import no_witnesses

__all__ = ["MAX_SEARCH_RESULTS", "RECENT_ENTRIES", "EntrySummary", "LabelCheck", "Reads", "SchemeInfo", "entry_payload"]

MAX_SEARCH_RESULTS = 100
RECENT_ENTRIES = 50
CACHED_CHECKS = 256  # label checks kept (least recently used go first)
T = TypeVar("T")
GROWTH_POINTS = 60


class Reads:
    """The reads of one log, for the API and the pages."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self._cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._cache_lock = threading.Lock()

    def _cached(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """``compute()``, remembered under ``key`` (which names the tree size it depends on)."""
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]  # type: ignore[no-any-return]
        value = compute()
        with self._cache_lock:
            self._cache[key] = value
            while len(self._cache) > CACHED_CHECKS:
                self._cache.popitem(last=False)
        return value

    # ---- the log -----------------------------------------------------------------------------------------
    def tree_size(self) -> int:
        """The size of the log as stored (entries appended by any process)."""
        return self.log.store.tree_size()

    def today(self) -> date:
        """Today in UTC by the log's clock (the clock admission uses; the CLI's default too)."""
        return self.log.clock().astimezone(UTC).date()

    def log_info(self) -> dict[str, Any]:
        """The log's origin, key and size, and its witnessing: the policy (k of n) and whether the newest
        checkpoint meets it (``witnesses.meets_policy``: false marks a checkpoint published below policy)."""
        w = self.log.witnessing
        witnesses = no_witnesses() if w is None else w.summary(self.log.checkpoint())
        return {"origin": self.log.origin, "vkey": self.log.vkey, "tree_size": self.tree_size(), "witnesses": witnesses}

    def checkpoint(self) -> str:
        return self.log.checkpoint()

    def growth(self, points: int = GROWTH_POINTS) -> list[tuple[int, int]]:
        """The log's growth as at most ``points`` (tree size, checkpoint time ms) pairs, evenly spread over its
        checkpoints, first and newest always kept (the log page's chart)."""

        def compute() -> list[tuple[int, int]]:
            all_ = self.log.store.checkpoint_times()
            if len(all_) <= points:
                return all_
            return [all_[i * (len(all_) - 1) // (points - 1)] for i in range(points)]

        return self._cached(("growth", self.checkpoint_size(), points), compute)

    def checkpoint_size(self) -> int:
        """The tree size of the newest stored checkpoint (0 for an empty log)."""
        cp = self.log.store.latest_checkpoint()
        return 0 if cp is None else cp.size

    def entry(self, index: int) -> dict[str, Any]:
        """The entry at ``index``, as ``GET /v1/entries/{index}`` answers it (``log.no_such_entry`` if none)."""
        return entry_dict(self.log.entry(index))

    def entry_by_id(self, entry_id: str) -> dict[str, Any]:
        """The entry whose entry id is ``entry_id``, as :meth:`entry` answers it (``log.no_such_entry`` if none)."""
        return entry_dict(self.log.entry_by_id(entry_id))

    def recent_entries(self, before: int | None = None, n: int = RECENT_ENTRIES) -> tuple[list[EntrySummary], int]:
        """Up to ``n`` entries with indexes in ``[start, end)``, newest first, where ``end`` is ``before`` (or the
        tree size) and ``start = max(0, end - n)``; returns them and ``start``."""
        size = self.tree_size()
        end = size if before is None else max(0, min(before, size))
        start = max(0, end - n)
        out = [
            EntrySummary(
                index=r.idx,
                kind=r.kind,
                signer=r.signer,
                scheme=r.scheme,
                subject=r.subject,
                integrated=datetime.fromtimestamp(r.integrated_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
            )
            for r in reversed(self.log.store.entries(start, end))
        ]
        return out, start

    # ---- schemes -----------------------------------------------------------------------------------------
    def schemes(self) -> list[SchemeInfo]:
        """Registered schemes in log order, with the Chinese name and country their registration carries."""
        return list(self._cached(("schemes", self.tree_size()), self._read_schemes))

    def _read_schemes(self) -> tuple[SchemeInfo, ...]:
        rows = sorted(self.log.store.schemes(), key=lambda r: r.registered_index)
        regs = self.log.store.entries_at(r.registered_index for r in rows)
        out = []
        for r in rows:
            info: dict[str, Any] = {}
            env = regs.get(r.registered_index)
            if env is not None:
                body = entry_payload(env.envelope)
                if body.get("kind") == "scheme.register":
                    info = body.get("scheme", {})
            out.append(
                SchemeInfo(
                    scheme_id=r.scheme_id,
                    name=r.name,
                    name_zh=info.get("name_zh"),
                    name_zh_hant=info.get("name_zh_hant"),
                    role=r.role,
                    country=info.get("country"),
                    root_key_id=r.root_key_id,
                    registered_index=r.registered_index,
                )
            )
        return tuple(out)

    def scheme_summaries(self) -> list[dict[str, Any]]:
        """``GET /v1/schemes``: each registered scheme with its shipped methodology profile (id, version) or None."""
        return [
            {
                "id": s.scheme_id,
                "name": s.name,
                "name_zh": s.name_zh,
                "name_zh_hant": s.name_zh_hant,
                "country": s.country,
                "role": s.role,
                "root_key_id": s.root_key_id,
                "registered_index": s.registered_index,
                "profile": scheme_profile(s.scheme_id),
            }
            for s in self.schemes()
        ]

    def scheme_summary(self, scheme_id: str) -> dict[str, Any]:
        """``GET /v1/schemes/{id}``: the summary plus the agreement versions the scheme is a party to."""
        found = next((s for s in self.scheme_summaries() if s["id"] == scheme_id), None)
        if found is None:
            raise NotFoundError(f"no scheme {scheme_id!r} is registered in this log", code="scheme.unknown")
        found["agreements"] = [
            {k: v[k] for k in ("id", "version", "schemes", "direction", "status", "terms_hash")}
            for v in self.agreements()
            if scheme_id in v["schemes"]
        ]
        return found

    # ---- labels ------------------------------------------------------------------------------------------
    def label(self, label_id: str, scheme: str | None = None) -> LabelRow:
        """The label ``label_id`` (of ``scheme``): ``label.unknown``, or ``label.ambiguous`` when two or more
        schemes hold the id and none is named (:func:`ledger.bundles.find_label`)."""
        return bundles.find_label(self.log, label_id, scheme)

    def labels(self, scheme: str | None = None, limit: int = 100, after: int | None = None) -> list[dict[str, Any]]:
        """``GET /v1/labels``: labels in log order (of ``scheme``, when given), after log index ``after``."""
        return [label_fields(x) for x in self.log.store.labels(scheme, limit, after)]

    def find_labels(
        self,
        *,
        q: str = "",
        model: str = "",
        gtin: str = "",
        manufacturer: str = "",
        scheme: str | None = None,
        limit: int = MAX_SEARCH_RESULTS,
    ) -> list[LabelRow]:
        """Labels matching every filter given, newest first, at most ``limit``.

        ``q`` is free text (label id, model, GTIN, product name, manufacturer, scheme id or name); ``model`` and
        ``manufacturer`` match case-insensitive substrings of those columns; ``gtin`` the GTIN exactly;
        ``scheme`` the scheme id exactly. No filter: the newest labels."""
        return self.log.store.search_labels(
            text=q.strip(),
            model=model.strip(),
            gtin=gtin.strip(),
            manufacturer=manufacturer.strip(),
            scheme=scheme,
            limit=limit,
        )

    def search_labels(
        self, text: str = "", scheme: str | None = None, limit: int = MAX_SEARCH_RESULTS
    ) -> list[LabelRow]:
        """:meth:`find_labels` by free text alone (the labels page's search box)."""
        return self.find_labels(q=text, scheme=scheme, limit=limit)

    def label_records(self, rows: Iterable[LabelRow]) -> dict[int, dict[str, Any]]:
        """The signed label record of each row, by log index, fetched in one query."""
        entries = self.log.store.entries_at(r.idx for r in rows)
        return {idx: entry_payload(row.envelope)["label"] for idx, row in entries.items()}

    def label_body(self, row: LabelRow) -> dict[str, Any]:
        """The payload of the label's ``label.issue`` entry (``label``, ``signed_at``, …)."""
        return parse_entry(bytes(self.log.entry(row.idx).envelope)).body

    @staticmethod
    def label_summary(row: LabelRow) -> dict[str, Any]:
        """A search result of ``GET /v1/labels/search``."""
        return {**label_fields(row), "entry_id": row.entry_id}

    def label_detail(self, row: LabelRow) -> dict[str, Any]:
        """``GET /v1/labels/{id}``: the label record as logged, with its index, entry id and status."""
        body = self.label_body(row)
        return {
            **self.label_summary(row),
            "signer": row.signer,
            "signed_at": body.get("signed_at"),
            "status_index": row.status_index,
            "status_entry": row.status_entry,
            "replacement_entry": row.replacement_entry,
            "label": body["label"],
        }

    def label_check(self, row: LabelRow, to: str | None, at: date) -> LabelCheck:
        """The label's bundle (about ``to``) verified against the log's own keys on ``at``, and the log's verdict
        for ``to``; computed once per (label, to, at, tree size)."""
        key = ("label check", row.scheme, row.label_id, to, at, self.tree_size())
        return self._cached(key, lambda: self._check_label(row, to, at))

    def _check_label(self, row: LabelRow, to: str | None, at: date) -> LabelCheck:
        bundle = bundles.build_bundle(self.log, row.label_id, row.scheme, to)
        report = bundles.verify_upload(self.log, bundle, None, to, at)
        if to is None:
            return LabelCheck(report, None, None)
        try:
            return LabelCheck(report, self.equivalence(row.label_id, to, at, row.scheme), None)
        except CarbonLedgerError as e:
            return LabelCheck(report, None, e)

    def bundle(
        self, label_id: str, scheme: str | None = None, to: str | None = None, version: int | None = None
    ) -> bytes:
        """``GET /v1/labels/{id}/bundle``: the label's self-contained bundle for offline verification."""
        return bundles.build_bundle(self.log, label_id, scheme, to, version)

    def bundle_refresh(
        self,
        label_id: str,
        from_size: int,
        scheme: str | None = None,
        to: str | None = None,
        version: int | None = None,
    ) -> dict[str, Any]:
        """``GET /v1/bundles/{id}/refresh``: a fresh bundle of the label against the newest checkpoint, and the
        consistency proof to it from the tree size ``from_size`` of the bundle being refreshed."""
        data, cp = bundles.bundle_with_checkpoint(self.log, label_id, scheme, to, version)
        if from_size > cp.size:
            raise NotFoundError(
                f"tree size {from_size} is not in this log (its newest checkpoint is at {cp.size})",
                code="log.no_such_size",
            )
        return {
            "from_size": from_size,
            "tree_size": cp.size,
            "checkpoint": cp.note,
            "consistency_proof": [h.hex() for h in self.log.consistency_proof(from_size, cp.size)],
            "bundle": json.loads(data),
        }

    def status(self, kind: str, object_id: str) -> dict[str, Any]:
        """``GET /v1/status/{kind}/{id}``: the object's status record (None when absent) and its map proof against
        the status root the newest checkpoint commits to, with that checkpoint."""
        cp = self.log.store.latest_checkpoint()
        size = 0 if cp is None else cp.size
        record, proof = self.log.status_proof(kind, object_id, size)
        note = self.log.checkpoint() if cp is None else cp.note
        return {
            "kind": kind,
            "id": object_id,
            "record": record,
            "proof": proof.to_json(),
            "checkpoint": note,
            "tree_size": size,
        }

    def equivalence(self, label_id: str, to: str, at: date, scheme: str | None = None) -> dict[str, Any]:
        """Is the label equivalent under ``to`` on ``at``? (:func:`ledger.agreements_service.equivalence`)."""
        return agreements_service.equivalence(self.log, label_id, to, at, scheme)

    def verify_upload(self, bundle: bytes, trust: bytes | None, to: str | None, at: date) -> Report:
        """Verify a bundle sent in a request (:func:`ledger.bundles.verify_upload`); nothing is kept."""
        return bundles.verify_upload(self.log, bundle, trust, to, at)

    # ---- agreements and datasets -------------------------------------------------------------------------
    def agreements(self, at: date | datetime | None = None) -> list[dict[str, Any]]:
        """Every agreement version, by agreement id then version, with its status at ``at`` (default: the log's clock):
        :func:`ledger.agreements_service.agreement_list`'s rows (``id``, ``version``, ``schemes``, ``direction``,
        ``terms_hash``, ``status``, ``proposed_index``, ``accepted_index``, ``withdrawn_index``, …)."""
        return agreements_service.agreement_list(self.log, at)

    def agreement(self, agreement_id: str, version: int | None = None) -> dict[str, Any]:
        return agreements_service.agreement_show(self.log, agreement_id, version)

    def agreement_history(self, agreement_id: str | None = None) -> list[dict[str, Any]]:
        """Every agreement.propose, .accept and .withdraw entry in log order (of one agreement, when given)."""
        return agreements_service.agreement_history(self.log, agreement_id)

    def datasets(self, publisher: str | None = None) -> list[dict[str, Any]]:
        return datasets_service.dataset_list(self.log, publisher)

    def dataset(self, dataset_id: str, version: int | None = None) -> dict[str, Any]:
        return datasets_service.dataset_show(self.log, dataset_id, version)
