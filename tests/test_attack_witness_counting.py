"""Witness counting attacks (security review): each test is named after the attack it defeats.

(a) one witness key listed under two names would satisfy threshold 2 alone; (b) the log's own key listed
as a witness would let the log cosign its own checkpoints; (c) one future-dated cosignature would make
any checkpoint look fresh under ``max_checkpoint_age_s``. Witnesses count by distinct public key
(tlog-cosignature: the cosignature/v1 message "doesn't commit to the cosigner name, so the same public
key can't be used across multiple cosigners"), and a cosignature dated after the verifier's clock does
not count ("verifiers MAY reject cosignatures with timestamps in the future").
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from ledger.bundles import build_bundle, export_trust
from ledger.log import Log
from ledger.store import Store
from mapping.errors import InputError, NoteError
from verifier.canonical import canonicalize
from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.note import (
    COSIGNATURE_V1_KEY_TYPE,
    ED25519_KEY_TYPE,
    Checkpoint,
    cosign_checkpoint,
    encode_vkey,
    format_checkpoint,
    key_hash,
    sign_note,
    witness_cosignatures,
    witness_report,
)
from verifier.report import FAILED
from verifier.trust import parse_trust
from verifier.verify import verify_bundle

from .helpers import NOW, Signer, label_for

LOG_KEY = SigningKey(bytes(range(32)))
WITNESS_A = SigningKey(bytes(range(1, 33)))
WITNESS_B = SigningKey(bytes(range(2, 34)))
ORIGIN = "example.com/carbonledger"
ROOT = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
LOG_VKEY = encode_vkey(ORIGIN, LOG_KEY.public_key, ED25519_KEY_TYPE)
VKEY_A = encode_vkey("w-a.example", WITNESS_A.public_key, COSIGNATURE_V1_KEY_TYPE)
VKEY_B = encode_vkey("w-b.example", WITNESS_B.public_key, COSIGNATURE_V1_KEY_TYPE)
ALIAS_A = encode_vkey("w-a-alias.example", WITNESS_A.public_key, COSIGNATURE_V1_KEY_TYPE)  # A's key, other name
NOW_S = int(NOW.timestamp())
AT = date(2023, 1, 1)
CP = Checkpoint(ORIGIN, 8, ROOT)


def checkpoint_note() -> str:
    return sign_note(format_checkpoint(ORIGIN, 8, ROOT), ORIGIN, LOG_KEY)


def cosigned(*lines: tuple[str, SigningKey, int]) -> str:
    note = checkpoint_note()
    return note + "".join(cosign_checkpoint(note, name, key, ts) for name, key, ts in lines)


def renamed(line: str, name: str, public_key: bytes) -> str:
    """The same cosignature/v1 signature bytes under another name: its key hash recomputed, nothing re-signed."""
    blob = base64.b64decode(line.rstrip("\n").split(" ")[-1])
    new_hash = key_hash(name, COSIGNATURE_V1_KEY_TYPE, public_key)
    return f"— {name} {base64.b64encode(new_hash + blob[4:]).decode()}\n"


def trust_doc(witness_vkeys: list[str], threshold: int, log_vkey: str = LOG_VKEY) -> bytes:
    return json.dumps(
        {
            "version": "carbonledger.trust/v1",
            "log": {"origin": ORIGIN, "vkey": log_vkey},
            "witnesses": {"threshold": threshold, "vkeys": witness_vkeys},
            "schemes": [],
        }
    ).encode()


def refused(data: bytes, field: str) -> InputError:
    with pytest.raises(InputError) as e:
        parse_trust(data)
    assert (e.value.code, e.value.field) == ("trust.invalid", field), e.value
    return e.value


# ---- (a) one witness key under two names -------------------------------------------------------
def test_one_witness_key_under_two_names_counts_once() -> None:
    note = checkpoint_note()
    line = cosign_checkpoint(note, "w-a.example", WITNESS_A, NOW_S - 60)
    # The attacker needs no help from the witness: the signature does not commit to the name, so A's line
    # re-labelled with the alias name and its key hash verifies as a cosignature by "another" witness.
    forged = note + line + renamed(line, "w-a-alias.example", WITNESS_A.public_key)
    assert witness_cosignatures(forged, [VKEY_A, ALIAS_A], CP) == {"w-a.example": NOW_S - 60}
    report = witness_report(forged, [VKEY_A, ALIAS_A, VKEY_B], CP)
    assert report.names == ["w-a.example"] and not report.meets(2)
    assert report.aliases == (("w-a-alias.example", "w-a.example"),)
    assert report.missing == ("w-b.example",)
    # named by the first name listed for the key, whichever name signed
    assert witness_cosignatures(forged, [ALIAS_A, VKEY_A]) == {"w-a-alias.example": NOW_S - 60}
    # two genuinely distinct witnesses still make threshold 2
    honest = cosigned(("w-a.example", WITNESS_A, NOW_S - 60), ("w-b.example", WITNESS_B, NOW_S - 30))
    assert witness_report(honest, [VKEY_A, ALIAS_A, VKEY_B], CP).meets(2)


def test_one_witness_key_under_two_names_is_refused_in_trust_file() -> None:
    e = refused(trust_doc([VKEY_A, ALIAS_A], 2), "/witnesses/vkeys/1")
    assert "'w-a-alias.example'" in e.message and "'w-a.example'" in e.message and "same public key" in e.message
    e = refused(trust_doc([VKEY_B, ALIAS_A, VKEY_A], 1), "/witnesses/vkeys/2")
    assert "witness key 1" in e.message
    assert parse_trust(trust_doc([VKEY_A, VKEY_B], 2)).witness_vkeys == (VKEY_A, VKEY_B)


def test_threshold_cannot_exceed_the_distinct_witness_keys() -> None:
    e = refused(trust_doc([VKEY_A, VKEY_B], 3), "/witnesses/threshold")
    assert "2 distinct witness keys" in e.message


def test_witness_key_that_is_no_cosignature_key_is_refused_in_trust_file() -> None:
    ed25519 = encode_vkey("w-a.example", WITNESS_A.public_key, ED25519_KEY_TYPE)
    assert "type 0x04" in refused(trust_doc([VKEY_B, ed25519], 1), "/witnesses/vkeys/1").message
    name, kh, key = VKEY_A.split("+", 2)
    refused(trust_doc([f"{name}+{int(kh, 16) ^ 1:08x}+{key}"], 1), "/witnesses/vkeys/0")


# ---- (b) the log's own key as a witness --------------------------------------------------------
@pytest.mark.parametrize("name", ["log-as-witness.example", ORIGIN])
def test_log_key_listed_as_witness_is_refused_in_trust_file(name: str) -> None:
    as_witness = encode_vkey(name, LOG_KEY.public_key, COSIGNATURE_V1_KEY_TYPE)
    e = refused(trust_doc([VKEY_A, as_witness], 1), "/witnesses/vkeys/1")
    assert "log's own public key" in e.message and repr(name) in e.message


def test_log_signature_never_counts_as_a_cosignature() -> None:
    as_witness = encode_vkey(ORIGIN, LOG_KEY.public_key, COSIGNATURE_V1_KEY_TYPE)
    # The log's Ed25519 (0x01) line never matches a 0x04 key: the type byte is in the key hash.
    assert witness_cosignatures(checkpoint_note(), [as_witness]) == {}
    # A cosignature/v1 line made with the log's own key does not count once the log's key is known, even
    # when a trust object (not parsed from a file) lists that key as a witness; an honest witness still does.
    note = cosigned((ORIGIN, LOG_KEY, NOW_S - 10), ("w-a.example", WITNESS_A, NOW_S - 20))
    assert witness_cosignatures(note, [as_witness, VKEY_A], CP, log_vkey=LOG_VKEY) == {"w-a.example": NOW_S - 20}
    report = witness_report(note, [as_witness, VKEY_A], CP, log_vkey=LOG_VKEY)
    assert report.log_key == (ORIGIN,) and report.missing == () and not report.meets(2)
    assert report.newest_s == NOW_S - 20  # the log's own, newer time does not date the checkpoint


# ---- (c) future-dated cosignatures -------------------------------------------------------------
def test_future_dated_cosignature_does_not_count_for_freshness() -> None:
    stale, future = NOW_S - 7200, NOW_S + 10**9
    note = cosigned(("w-a.example", WITNESS_A, stale), ("w-b.example", WITNESS_B, future))
    assert max(witness_cosignatures(note, [VKEY_A, VKEY_B], CP).values()) == future  # no clock: the hole
    cos = witness_cosignatures(note, [VKEY_A, VKEY_B], CP, now_s=NOW_S)
    assert cos == {"w-a.example": stale} and max(cos.values()) == stale
    report = witness_report(note, [VKEY_A, VKEY_B], CP, now_s=NOW_S)
    assert report.newest_s == stale
    assert [(s.name, s.timestamp_s) for s in report.future_dated] == [("w-b.example", future)]
    # one witness with a stale and a future-dated line is dated by the stale one
    both = cosigned(("w-a.example", WITNESS_A, stale), ("w-a.example", WITNESS_A, future))
    assert witness_cosignatures(both, [VKEY_A], CP, now_s=NOW_S) == {"w-a.example": stale}
    # only future-dated cosignatures: nothing dates the checkpoint
    only_future = cosigned(("w-b.example", WITNESS_B, future))
    assert witness_report(only_future, [VKEY_A, VKEY_B], now_s=NOW_S).newest_s is None


def test_future_dated_cosignature_does_not_count_toward_threshold() -> None:
    note = cosigned(("w-a.example", WITNESS_A, NOW_S - 60), ("w-b.example", WITNESS_B, NOW_S + 1))
    report = witness_report(note, [VKEY_A, VKEY_B], CP, now_s=NOW_S)
    assert report.names == ["w-a.example"] and report.missing == ("w-b.example",) and not report.meets(2)
    assert witness_report(note, [VKEY_A, VKEY_B], CP, now_s=NOW_S + 1).meets(2)  # dated "now" counts
    # a future-dated line that claims a witness must still verify: a forged one rejects the note
    line = cosign_checkpoint(checkpoint_note(), "w-b.example", WITNESS_B, NOW_S + 1)
    blob = bytearray(base64.b64decode(line.rstrip("\n").split(" ")[-1]))
    blob[-1] ^= 1
    bad = checkpoint_note() + f"— w-b.example {base64.b64encode(bytes(blob)).decode()}\n"
    with pytest.raises(NoteError) as e:
        witness_cosignatures(bad, [VKEY_B], now_s=NOW_S)
    assert e.value.code == "note.bad_signature"


# ---- the same witness signing twice --------------------------------------------------------------
def test_same_witness_signing_twice_counts_once() -> None:
    twice = cosigned(("w-a.example", WITNESS_A, NOW_S - 60), ("w-a.example", WITNESS_A, NOW_S - 5))
    report = witness_report(twice, [VKEY_A, VKEY_B], CP, now_s=NOW_S)
    assert [(s.name, s.timestamp_s) for s in report.cosigned] == [("w-a.example", NOW_S - 5)]
    assert not report.meets(2)
    # twice, once under each of two names listed for its one key: still one witness, newest time
    under_both = cosigned(("w-a.example", WITNESS_A, NOW_S - 60), ("w-a-alias.example", WITNESS_A, NOW_S - 5))
    assert witness_cosignatures(under_both, [VKEY_A, ALIAS_A], CP, now_s=NOW_S) == {"w-a.example": NOW_S - 5}


# ---- end to end: a trust file that lists one witness twice is unusable input ----------------------
@pytest.fixture
def log(sqlite_url: str) -> Iterator[Log]:
    store = Store(sqlite_url)
    yield Log(store, SigningKey.generate(), "attack.test/log", Policy(frozenset({"gd-carbon-label"})), lambda: NOW)
    store.close()


def test_one_witness_key_under_two_names_end_to_end(log: Log) -> None:
    gd, cqc = Signer(), Signer()
    for env in (gd.register("gd-carbon-label"), gd.authorize("gd-carbon-label", cqc, kinds=["label.issue"])):
        log.submit(env)
    log.submit(cqc.issue(label_for("gd-carbon-label", "GD-1")))
    doc: dict[str, Any] = json.loads(build_bundle(log, "GD-1"))
    line = cosign_checkpoint(doc["checkpoint"], "w-a.example", WITNESS_A, NOW_S - 60)
    doc["checkpoint"] += line + renamed(line, "w-a-alias.example", WITNESS_A.public_key)
    bundle = canonicalize(doc)
    trust = dataclasses.replace(export_trust(log), witness_vkeys=(VKEY_A, ALIAS_A), threshold=2)
    # from a file: refused before any step runs
    r = verify_bundle(bundle, json.dumps(trust.to_dict()).encode(), at=AT, now=NOW)
    assert r.steps[1].status == FAILED and r.exit_code() == 5 and "trust.invalid" in r.steps[1].detail
    # a Trust object that skipped the file's checks: one witness, threshold 2 not met
    r = verify_bundle(bundle, trust, at=AT, now=NOW)
    assert r.steps[6].status == FAILED and "1 distinct witness cosignatures, 2 required" in r.steps[6].detail


def test_future_dated_cosignature_does_not_defeat_max_checkpoint_age_end_to_end(log: Log) -> None:
    """One stale real cosignature plus one dated far in the future, with a maximum checkpoint age of an hour:
    the future line counts for nothing, so the checkpoint's newest usable cosignature is the stale one and
    step 9 fails; the threshold of 2 is not met either (step 6)."""
    gd, cqc = Signer(), Signer()
    for env in (gd.register("gd-carbon-label"), gd.authorize("gd-carbon-label", cqc, kinds=["label.issue"])):
        log.submit(env)
    log.submit(cqc.issue(label_for("gd-carbon-label", "GD-1")))
    doc: dict[str, Any] = json.loads(build_bundle(log, "GD-1"))
    stale = cosign_checkpoint(doc["checkpoint"], "w-a.example", WITNESS_A, NOW_S - 7200)
    future = cosign_checkpoint(doc["checkpoint"], "w-b.example", WITNESS_B, NOW_S + 10**6)
    doc["checkpoint"] += stale + future
    bundle = canonicalize(doc)
    trust = dataclasses.replace(export_trust(log), witness_vkeys=(VKEY_A, VKEY_B), threshold=1)
    trust = dataclasses.replace(trust, max_checkpoint_age_s=3600)
    r = verify_bundle(bundle, trust, at=AT, now=NOW)
    assert r.steps[6].status != FAILED, r.steps[6].detail  # the stale witness meets threshold 1
    assert r.steps[9].status == FAILED and "7200 s old" in r.steps[9].detail and r.exit_code() == 6
    r = verify_bundle(bundle, dataclasses.replace(trust, threshold=2), at=AT, now=NOW)
    assert r.steps[6].status == FAILED and "1 distinct witness cosignatures, 2 required" in r.steps[6].detail
