"""The log gathers witness cosignatures before it publishes a checkpoint (ledger/witnessing.py), and a buyer's
verifier demands the trust file's threshold of them (step 6). The witnesses are the real ones (their core and
state files) answering in this process (ledger/witness_local.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from ledger.bundles import build_bundle, export_trust
from ledger.log import Log, Receipt
from ledger.reads import Reads
from ledger.store import Store
from ledger.witness_client import WitnessConfig
from ledger.witness_core import WitnessIdentity, trusted_logs
from ledger.witness_local import LocalWitnesses
from ledger.witnessing import WitnessPolicy, policy_from_config
from mapping.errors import ConfigError
from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.note import witness_report
from verifier.verify import verify_bundle

from .helpers import NOW, Signer, label_for

GD = "gd-carbon-label"


class World:
    def __init__(self, tmp: Path, threshold: int = 2) -> None:
        self.store = Store(f"sqlite:///{tmp / 'log.db'}")
        self.log = Log(self.store, SigningKey.generate(), "witnessed.test/log", Policy(frozenset({GD})), lambda: NOW)
        self.local = LocalWitnesses(clock=lambda: NOW.timestamp())
        self.ids = {
            "gd": WitnessIdentity("witness.gd.example", SigningKey.generate()),
            "hk": WitnessIdentity("witness.hk.example", SigningKey.generate()),
        }
        self.urls = {
            h: self.local.add(f"{h}.witness", ident, trusted_logs([self.log.vkey]), tmp / f"state-{h}")
            for h, ident in self.ids.items()
        }
        self.http = self.local.client()
        witnesses = tuple(WitnessConfig(self.urls[h], i.vkey) for h, i in self.ids.items())
        self.policy = WitnessPolicy(witnesses, threshold, timeout_s=5.0)
        self.witnessing = self.log.enable_witnessing(self.policy, self.http)
        self.gd, self.cqc = Signer(), Signer()
        self.n = 0

    def setup(self) -> list[Receipt]:
        return [self.log.submit(e) for e in (self.gd.register(GD), self.gd.authorize(GD, self.cqc))]

    def issue(self) -> Receipt:
        self.n += 1
        return self.log.submit(self.cqc.issue(label_for(GD, f"GD-W-{self.n}")))

    def trust(self, threshold: int) -> bytes:
        vkeys = tuple(i.vkey for i in self.ids.values())
        return json.dumps(export_trust(self.log, None, vkeys, threshold).to_dict()).encode()

    def close(self) -> None:
        self.http.close()
        self.local.close()
        self.store.close()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.close()


def _verify(w: World, label_id: str, threshold: int) -> object:
    return verify_bundle(build_bundle(w.log, label_id), w.trust(threshold), at=date(2023, 1, 1), now=NOW)


def test_both_schemes_witnesses_cosign_every_checkpoint(world: World) -> None:
    receipts = [*world.setup(), world.issue(), world.issue()]
    for r in receipts:
        assert r.cosigned_by == ("witness.gd.example", "witness.hk.example"), r
        assert r.to_dict()["witnesses"] == {
            "cosigned_by": ["witness.gd.example", "witness.hk.example"],
            "threshold": 2,
            "meets_policy": True,
        }
    stored = world.log.checkpoint()  # what readers and bundles get: the cosigned note
    report = witness_report(stored, world.policy.vkeys, log_vkey=world.log.vkey)
    assert report.names == ["witness.gd.example", "witness.hk.example"]
    assert _verify(world, "GD-W-2", 2).exit_code() == 0  # type: ignore[attr-defined]
    info = Reads(world.log).log_info()["witnesses"]
    assert info["meets_policy"] is True and info["metrics"]["checkpoints_below_policy"] == 0


def test_attack_one_witness_down_publishes_below_policy_and_the_buyer_refuses(world: World) -> None:
    world.setup()
    world.local._by_host.pop("hk.witness")  # Hong Kong's witness goes away
    r = world.issue()
    assert r.cosigned_by == ("witness.gd.example",) and r.to_dict()["witnesses"]["meets_policy"] is False
    info = Reads(world.log).log_info()["witnesses"]
    assert info["meets_policy"] is False and info["metrics"]["checkpoints_below_policy"] == 1
    assert info["metrics"]["witness_failures"] == {"witness.hk.example": 1}
    strict = _verify(world, "GD-W-1", 2)
    assert strict.exit_code() == 3 and "1 distinct witness cosignatures, 2 required" in strict.steps[6].detail  # type: ignore[attr-defined]
    assert _verify(world, "GD-W-1", 1).exit_code() == 0  # type: ignore[attr-defined]


def test_a_witness_that_missed_checkpoints_catches_up_through_its_409(world: World, tmp_path: Path) -> None:
    world.setup()
    hk = world.local._by_host.pop("hk.witness")
    world.issue()
    world.issue()
    world.local._by_host["hk.witness"] = hk
    world.witnessing._down_until.clear()
    r = world.issue()  # the log thinks HK is at an older size; HK's 409 names its size and the proof follows
    assert r.cosigned_by == ("witness.gd.example", "witness.hk.example"), r


def test_restart_rewitnesses_a_checkpoint_left_below_policy(world: World) -> None:
    world.setup()
    hk = world.local._by_host.pop("hk.witness")
    world.issue()
    world.local._by_host["hk.witness"] = hk
    world.witnessing._down_until.clear()
    again = world.witnessing.cosign_latest()
    assert again is not None and again.meets_policy
    assert _verify(world, "GD-W-1", 2).exit_code() == 0  # type: ignore[attr-defined]


def test_witness_unreachable_over_the_network_is_a_result_not_a_failure(tmp_path: Path) -> None:
    w = World(tmp_path)
    try:
        w.setup()
        dead = WitnessConfig("http://127.0.0.1:9/", w.ids["hk"].vkey)  # nothing listens on port 9
        w.log.enable_witnessing(WitnessPolicy((dead,), 1, timeout_s=1.0), httpx.Client())
        r = w.issue()
        assert r.cosigned_by == () and r.to_dict()["witnesses"]["meets_policy"] is False
        assert r.index == 2 and w.log.size == 3  # the entry is durable all the same
    finally:
        w.close()


@pytest.mark.parametrize(
    ("raw", "threshold", "field"),
    [
        ("x", None, "witnesses"),
        ([{"url": "ftp://w", "vkey": "k"}], None, "witnesses/0"),
        ([{"url": "http://w", "vkey": "not a key"}], None, "witnesses/0"),
        ([{"url": "http://w"}], None, "witnesses/0"),
        (None, 1, "witnesses"),
    ],
)
def test_bad_witness_config_is_refused_with_its_field(raw: object, threshold: object, field: str) -> None:
    with pytest.raises(ConfigError) as e:
        policy_from_config(raw, threshold)
    assert e.value.code == "config.invalid" and e.value.field == field


def test_witness_config_threshold_and_repeated_keys(tmp_path: Path) -> None:
    vkey = WitnessIdentity("w.example", SigningKey.generate()).vkey
    one = {"url": "http://w/", "vkey": vkey}
    p = policy_from_config([one], None)
    assert p is not None and p.threshold == 1  # default: every witness
    with pytest.raises(ConfigError) as e:
        policy_from_config([one, {"url": "http://v/", "vkey": vkey}], 1)
    assert "repeats a witness key" in e.value.message
    with pytest.raises(ConfigError) as e:
        policy_from_config([one], 2)
    assert e.value.field == "witness_threshold"
    log_key = SigningKey.generate()
    from verifier.note import encode_vkey

    with pytest.raises(ConfigError):  # a log's (0x01) key is not a witness key
        policy_from_config([{"url": "http://w/", "vkey": encode_vkey("log.example", log_key.public_key, 0x01)}], 1)


def test_a_trust_file_exported_from_a_witnessed_log_demands_its_witnesses(world: World) -> None:
    trust = export_trust(world.log)
    assert trust.threshold == 2 and set(trust.witness_vkeys) == set(world.policy.vkeys)
    assert export_trust(world.log, None, (), 0).threshold == 0  # explicit: no witnesses


def test_attack_a_witness_dating_its_cosignature_in_the_future_is_not_counted(tmp_path: Path) -> None:
    # A witness whose clock runs a day ahead: a buyer's verifier ignores its cosignature, so the log must not
    # count it towards its policy either (receipts, metrics).
    w = World(tmp_path)
    try:
        ahead = LocalWitnesses(clock=lambda: NOW.timestamp() + 86400)
        url = ahead.add("ahead.witness", w.ids["hk"], trusted_logs([w.log.vkey]), tmp_path / "state-ahead")
        policy = WitnessPolicy((WitnessConfig(url, w.ids["hk"].vkey),), 1, timeout_s=5.0)
        witnessing = w.log.enable_witnessing(policy, ahead.client())
        witnessing.wall_clock = lambda: NOW.timestamp()
        r = w.setup()[-1]
        assert r.cosigned_by == () and r.to_dict()["witnesses"]["meets_policy"] is False
        ahead.close()
    finally:
        w.close()
