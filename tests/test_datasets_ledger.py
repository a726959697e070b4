"""Background datasets in the ledger: publish, cite, retire — admission on real SQLite and PostgreSQL.

A data publisher registers through the allow-list (role data-publisher), publishes the shipped China
electricity footprint factors, a label cites CN/2023, and every refusal (unknown publisher, version not
increasing, another publisher's dataset id, a citation of a wrong value or unknown entry, retiring
twice) has its stable code and leaves the log unchanged.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from ledger.log import Log
from ledger.reference_data import shipped_datasets
from ledger.store import Store
from mapping.errors import CarbonLedgerError
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .helpers import NOW, Signer, cite_electricity_factor, label_for

GD, MEE, OTHER = "gd-carbon-label", "cn-mee-data", "other-data"


def _publisher(signer: Signer, pid: str) -> bytes:
    return signer.sign(
        "scheme.register",
        {"scheme": {"id": pid, "name": pid, "role": "data-publisher"}, "public_key": signer.public_b64},
    )


def _dataset(version: int = 1) -> dict[str, Any]:
    body = copy.deepcopy(next(d for d in shipped_datasets() if d["id"] == "cn-electricity-footprint"))
    body["version"] = version
    return body


class World:
    def __init__(self, log: Log) -> None:
        self.log = log
        self.gd, self.cqc, self.mee, self.other = Signer(), Signer(), Signer(), Signer()
        for env in (
            self.gd.register(GD),
            self.gd.authorize(GD, self.cqc),
            _publisher(self.mee, MEE),
            _publisher(self.other, OTHER),
        ):
            log.submit(env)

    def publish(self, signer: Signer | None = None, publisher: str = MEE, version: int = 1) -> Any:
        s = signer or self.mee
        return self.log.submit(s.sign("dataset.publish", {"publisher": publisher, "dataset": _dataset(version)}))

    def citing_label(self, label_id: str, entry: str, value: str = "0.6205", version: int = 1) -> dict[str, Any]:
        return cite_electricity_factor(label_for(GD, label_id), entry, value, version)

    def refused(self, envelope: bytes, code: str) -> CarbonLedgerError:
        size, root = self.log.size, self.log.root()
        with pytest.raises(CarbonLedgerError) as e:
            self.log.submit(envelope)
        assert e.value.code == code, e.value
        assert (self.log.size, self.log.root()) == (size, root)
        return e.value


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    store = Store(db_url)
    log = Log(store, SigningKey.generate(), "data.test/log", Policy(frozenset({GD, MEE, OTHER})), lambda: NOW)
    yield World(log)
    store.close()


def test_publish_cite_and_retire(world: World) -> None:
    published = world.publish()
    receipt = world.log.submit(world.cqc.issue(world.citing_label("GD-CITE-1", published.entry_id)))
    assert receipt.index == published.index + 1
    rows = world.log.store.dataset_rows("cn-electricity-footprint")
    assert [(r.version, r.publisher, r.status) for r in rows] == [(1, MEE, "published")]
    v2 = world.publish(version=2)
    # citing the superseded version is still admitted (the verifier reports it as superseded)
    world.log.submit(world.cqc.issue(world.citing_label("GD-CITE-2", published.entry_id)))
    retire = world.mee.sign(
        "dataset.retire",
        {
            "publisher": MEE,
            "dataset": {"id": "cn-electricity-footprint", "version": 2, "entry": v2.entry_id},
            "reason": "superseded by a correction",
        },
    )
    world.log.submit(retire)
    statuses = {r.version: r.status for r in world.log.store.dataset_rows("cn-electricity-footprint")}
    assert statuses == {1: "published", 2: "retired"}
    world.refused(
        world.mee.sign(
            "dataset.retire",
            {
                "publisher": MEE,
                "dataset": {"id": "cn-electricity-footprint", "version": 2, "entry": v2.entry_id},
                "reason": "again",
            },
            advance=False,
        ),
        "dataset.already_retired",
    )


def test_publisher_rules(world: World) -> None:
    world.refused(
        world.mee.sign("dataset.publish", {"publisher": "nobody-data", "dataset": _dataset()}, advance=False),
        "dataset.publisher_unknown",
    )
    world.refused(  # a label scheme's root is no data publisher
        world.gd.sign("dataset.publish", {"publisher": GD, "dataset": _dataset()}, advance=False),
        "authority.unauthorized_kind",
    )
    world.refused(
        world.cqc.sign("dataset.publish", {"publisher": MEE, "dataset": _dataset()}, advance=False),
        "authority.unauthorized_kind",
    )
    world.publish(version=3)
    world.refused(
        world.mee.sign("dataset.publish", {"publisher": MEE, "dataset": _dataset(3)}, advance=False),
        "dataset.version_not_increasing",
    )
    world.refused(
        world.other.sign("dataset.publish", {"publisher": OTHER, "dataset": _dataset(4)}, advance=False),
        "dataset.wrong_publisher",
    )


def test_duplicate_value_keys_refused(world: World) -> None:
    body = _dataset()
    body["values"].append(copy.deepcopy(body["values"][0]))
    err = world.refused(
        world.mee.sign("dataset.publish", {"publisher": MEE, "dataset": body}, advance=False), "dataset.duplicate_key"
    )
    assert err.field is not None and err.field.startswith("/dataset/values/")


def test_citations_must_match_what_the_publisher_signed(world: World) -> None:
    published = world.publish()
    wrong_value = world.citing_label("GD-BAD-1", published.entry_id, value="0.5777")
    err = world.refused(world.cqc.issue(wrong_value, advance=False), "dataset.citation_value_mismatch")
    assert err.field == "/label/footprint/electricity/0/factor/value"
    unknown = world.citing_label("GD-BAD-2", "ab" * 32)
    world.refused(world.cqc.issue(unknown, advance=False), "dataset.citation_missing")
    wrong_version = world.citing_label("GD-BAD-3", published.entry_id, version=7)
    world.refused(world.cqc.issue(wrong_version, advance=False), "dataset.citation_mismatch")
