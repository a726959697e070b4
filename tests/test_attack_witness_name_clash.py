"""Attack: a witness takes another witness's name. Witness names are chosen by their operators and
cosignature/v1 commits to the key, not the name (tlog-cosignature), so two distinct witness keys may well carry
one name. Step 6 counts distinct trusted witness *keys* (issue 17): two different keys that both cosigned are two
witnesses, whatever they are called — a clash of names must neither cancel one of them (threshold 2 failing
with two real cosignatures) nor merge their times (freshness takes the threshold-th newest)."""

from __future__ import annotations

import json

from verifier.keys import SigningKey
from verifier.note import (
    COSIGNATURE_V1_KEY_TYPE,
    ED25519_KEY_TYPE,
    cosign_checkpoint,
    encode_vkey,
    format_checkpoint,
    sign_note,
)
from verifier.report import PASSED
from verifier.steps_log import judge_checkpoint
from verifier.trust import parse_trust

ORIGIN = "example.com/carbonledger"
LOG = SigningKey(bytes(range(32)))
GD, IMPOSTOR = SigningKey(bytes([1]) * 32), SigningKey(bytes([2]) * 32)
NAME = "witness.gd.example"
NOW_S = 1_790_000_000


def _trust(threshold: int) -> bytes:
    vkeys = [encode_vkey(NAME, k.public_key, COSIGNATURE_V1_KEY_TYPE) for k in (GD, IMPOSTOR)]
    return json.dumps(
        {
            "version": "carbonledger.trust/v1",
            "log": {"origin": ORIGIN, "vkey": encode_vkey(ORIGIN, LOG.public_key, ED25519_KEY_TYPE)},
            "witnesses": {"threshold": threshold, "vkeys": vkeys},
            "schemes": [],
        }
    ).encode()


def _note() -> str:
    note = sign_note(format_checkpoint(ORIGIN, 8, bytes(32)), ORIGIN, LOG)
    return note + cosign_checkpoint(note, NAME, GD, NOW_S - 100) + cosign_checkpoint(note, NAME, IMPOSTOR, NOW_S - 10)


def test_attack_a_witness_under_another_witness_name_does_not_cancel_it() -> None:
    vc, status, detail = judge_checkpoint(_note(), parse_trust(_trust(2)), NOW_S)
    assert status == PASSED, detail
    assert vc is not None and vc.cosignature_times == (NOW_S - 10, NOW_S - 100)
    assert vc.witnessed_s(2) == NOW_S - 100 and vc.witnessed_s(1) == NOW_S - 10


def test_one_of_the_two_same_named_witnesses_is_still_one() -> None:
    note = sign_note(format_checkpoint(ORIGIN, 8, bytes(32)), ORIGIN, LOG)
    note += cosign_checkpoint(note, NAME, IMPOSTOR, NOW_S - 10)
    vc, status, detail = judge_checkpoint(note, parse_trust(_trust(2)), NOW_S)
    assert status != PASSED and "1 distinct witness cosignatures, 2 required" in detail
    assert vc is not None and vc.cosignature_times == (NOW_S - 10,)
