"""Shared by the status tests (bundle v2, issue 16): a world whose log commits to its status map in every
checkpoint, bundles v2 built by the log (``ledger.bundles.build_bundle(..., version=2)``), and the edits a
seller or a forger makes to them."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

import pytest

from ledger.bundles import build_bundle
from ledger.log import Log
from ledger.store import Store
from verifier.canonical import canonicalize
from verifier.envelope import parse_entry
from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.report import Report
from verifier.verify import verify_bundle

from .helpers import NOW
from .test_verify_equivalence import CT, GD, HK, JP, MEE, World, current_label, terms

__all__ = [
    "CT",
    "GD",
    "HK",
    "JP",
    "NOW",
    "StatusWorld",
    "current_label",
    "drop_entries",
    "edit",
    "entry_kinds",
    "item",
    "run",
    "status_world",
    "terms",
]


class StatusWorld(World):
    """test_verify_equivalence's world (GD, HK, Carbon Trust, Japan, a CQC key, a data publisher), with v2 bundles."""

    def bundle2(self, label_id: str, target: str | None = None) -> bytes:
        return build_bundle(self.log, label_id, GD, target, version=2)

    def revoke_label(self, label_id: str, entry_id: str, reason: str = "recalled") -> Any:
        fields = {"scheme": GD, "label_id": label_id, "label_entry": entry_id, "reason": reason}
        return self.log.submit(self.cqc.sign("label.revoke", fields))

    def revoke_key(self, effective_from_index: int | None = None, reason: str = "key leaked") -> Any:
        fields: dict[str, Any] = {"scheme": GD, "key_id": self.cqc.key_id, "reason": reason}
        if effective_from_index is not None:
            fields["effective_from_index"] = effective_from_index
        return self.log.submit(self.roots[GD].sign("key.revoke", fields))

    def mutual(self) -> None:
        """The GD <-> HK mutual agreement (valid to 2026-12-31), proposed by GD and accepted by HK."""
        self.propose(GD, terms("gd-hk-mutual"))
        self.accept(HK, "gd-hk-mutual")


@pytest.fixture
def status_world(sqlite_url: str) -> Iterator[StatusWorld]:
    store = Store(sqlite_url)
    log = Log(store, SigningKey.generate(), "status.test/log", Policy(frozenset({GD, HK, CT, JP, MEE})), lambda: NOW)
    yield StatusWorld(log)
    store.close()


def run(bundle: bytes, trust: bytes, *, at: date | None = None, now: datetime = NOW, **kw: Any) -> Report:
    return verify_bundle(bundle, trust, at=at or NOW.date(), now=now, **kw)


def edit(bundle: bytes, fn: Callable[[dict[str, Any]], object]) -> bytes:
    doc = json.loads(bundle)
    fn(doc)
    return canonicalize(doc)


def item(doc: dict[str, Any], kind: str, object_id: str | None = None) -> dict[str, Any]:
    """The bundle document's status item of ``kind`` (and ``object_id``)."""
    return next(it for it in doc["status"] if it["kind"] == kind and (object_id is None or it["id"] == object_id))


def entry_kinds(doc: dict[str, Any]) -> list[str]:
    return [parse_entry(base64.b64decode(e["envelope"])).kind for e in doc["entries"]]


def drop_entries(bundle: bytes, *kinds: str) -> bytes:
    """The bundle without its entries of ``kinds`` (what a seller deletes)."""

    def drop(doc: dict[str, Any]) -> None:
        doc["entries"] = [e for e, k in zip(doc["entries"], entry_kinds(doc), strict=True) if k not in kinds]

    return edit(bundle, drop)
