"""verifier/note.py: C2SP signed notes, vkeys, checkpoints and cosignatures.

Known answers come from tests/vectors/c2sp_notes.json (each with its source named): the
signed-note spec's example, Go's sumdb/note example (re-signed byte for byte), and a
production checkpoint cosigned by four public witnesses.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest

import verifier.note as note_module
from mapping.errors import NoteError
from verifier.keys import SigningKey
from verifier.note import (
    COSIGNATURE_V1_KEY_TYPE,
    ED25519_KEY_TYPE,
    MAX_SIGNATURES,
    Checkpoint,
    cosign_checkpoint,
    cosignature_message,
    encode_vkey,
    format_checkpoint,
    key_hash,
    parse_checkpoint,
    parse_vkey,
    sign_note,
    signature_line,
    split_note,
    verify_note,
    verify_note_report,
    witness_cosignatures,
)

V = json.loads((Path(__file__).parent / "vectors" / "c2sp_notes.json").read_text())
SPEC, GO = V["signed_note_spec_example"], V["go_sumdb_note_example"]
OTHER, REAL = V["other_vkeys"], V["cosigned_checkpoint"]

LOG_KEY = SigningKey(bytes(range(32)))
WITNESS_A = SigningKey(bytes(range(1, 33)))
WITNESS_B = SigningKey(bytes(range(2, 34)))
ORIGIN = "example.com/carbonledger"
ROOT = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
LOG_VKEY = encode_vkey(ORIGIN, LOG_KEY.public_key, ED25519_KEY_TYPE)
VKEY_A = encode_vkey("w-a.example", WITNESS_A.public_key, COSIGNATURE_V1_KEY_TYPE)
VKEY_B = encode_vkey("w-b.example", WITNESS_B.public_key, COSIGNATURE_V1_KEY_TYPE)
TS = 1_700_000_000


def checkpoint_note(size: int = 8) -> str:
    return sign_note(format_checkpoint(ORIGIN, size, ROOT), ORIGIN, LOG_KEY)


def raises(code: str, fn: Callable[..., object], *args: object) -> NoteError:
    with pytest.raises(NoteError) as e:
        fn(*args)
    assert e.value.code == code, e.value
    return e.value


# ---- known answers -------------------------------------------------------------------------------
def test_signed_note_spec_example() -> None:
    key = parse_vkey(SPEC["vkey"])
    assert (key.name, key.key_type, key.public_key.hex()) == (SPEC["name"], 0x01, SPEC["public_key_hex"])
    assert key.key_hash.hex() == SPEC["key_hash"] == key_hash(key.name, 0x01, key.public_key).hex()
    assert encode_vkey(key.name, key.public_key) == str(key) == SPEC["vkey"]
    assert verify_note(SPEC["note"], [SPEC["vkey"]]) == [SPEC["name"]]
    assert split_note(SPEC["note"])[0] == SPEC["text"]


def test_go_sumdb_note_example_is_reproduced_byte_for_byte() -> None:
    raw = base64.b64decode(GO["skey"].split("+", 4)[4])  # PRIVATE+KEY+name+hash+base64(type || seed)
    assert raw[0] == ED25519_KEY_TYPE
    key = SigningKey(raw[1:])
    assert encode_vkey("PeterNeumann", key.public_key) == GO["vkey"]
    assert sign_note(GO["text"], "PeterNeumann", key) == GO["note"]
    assert verify_note(GO["note"], [GO["vkey"]]) == ["PeterNeumann"]


def test_go_doubly_signed_note_reports_keys_in_the_order_given() -> None:
    assert verify_note(GO["doubly_signed_note"], [GO["enoch_vkey"], GO["vkey"]]) == ["EnochRoot", "PeterNeumann"]
    assert verify_note(GO["doubly_signed_note"], [GO["enoch_vkey"]]) == ["EnochRoot"]


def test_other_implementations_vkeys_round_trip() -> None:
    plus = parse_vkey(OTHER["plus_in_base64"])
    assert plus.name == "TEST" and plus.key_type == ED25519_KEY_TYPE and str(plus) == OTHER["plus_in_base64"]
    cosig = parse_vkey(OTHER["cosignature_v1"])
    assert cosig.key_type == COSIGNATURE_V1_KEY_TYPE and str(cosig) == OTHER["cosignature_v1"]


def test_production_checkpoint_with_four_witness_cosignatures() -> None:
    note = REAL["note"]
    assert verify_note(note, [REAL["log_vkey"]]) == [REAL["origin"]]
    report = verify_note_report(note, [REAL["log_vkey"]])
    assert report.unknown_lines == 5  # an RFC 6962 (0x05) log signature and four witnesses: ignored
    cp = parse_checkpoint(report.text)
    assert (cp.origin, cp.size, base64.b64encode(cp.root_hash).decode()) == (
        REAL["origin"],
        REAL["size"],
        REAL["root_hash_base64"],
    )
    cos = witness_cosignatures(note, REAL["witness_vkeys"], cp)
    assert cos == {parse_vkey(v).name: REAL["cosignature_timestamp_s"] for v in REAL["witness_vkeys"]}
    tampered = note.replace(str(REAL["size"]), str(REAL["size"] + 1), 1)
    raises("note.bad_signature", verify_note, tampered, [REAL["log_vkey"]])
    raises("note.bad_signature", witness_cosignatures, tampered, REAL["witness_vkeys"][:1])


def test_cosignature_message_is_the_spec_example() -> None:
    body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    assert cosignature_message(body, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )


# ---- our own notes and cosignatures ---------------------------------------------------------------
def test_sign_and_cosign_round_trip() -> None:
    note = checkpoint_note()
    cosigned = (
        note
        + cosign_checkpoint(note, "w-a.example", WITNESS_A, TS)
        + cosign_checkpoint(format_checkpoint(ORIGIN, 8, ROOT), "w-b.example", WITNESS_B, TS + 5)
    )
    assert verify_note(cosigned, [LOG_VKEY]) == [ORIGIN]
    report = verify_note_report(cosigned, [VKEY_B, LOG_VKEY, VKEY_A])
    assert [(s.name, s.key_type, s.timestamp_s) for s in report.verified] == [
        ("w-b.example", 4, TS + 5),
        (ORIGIN, 1, None),
        ("w-a.example", 4, TS),
    ]
    assert report.missing == () and report.unknown_lines == 0
    cp = Checkpoint(ORIGIN, 8, ROOT)
    assert witness_cosignatures(cosigned, [VKEY_A, VKEY_B], cp) == {"w-a.example": TS, "w-b.example": TS + 5}
    raises("checkpoint.mismatch", witness_cosignatures, cosigned, [VKEY_A], Checkpoint(ORIGIN, 9, ROOT))


def test_signature_line_is_the_last_line_of_sign_note() -> None:
    text = format_checkpoint(ORIGIN, 1, ROOT)
    assert sign_note(text, ORIGIN, LOG_KEY) == text + "\n" + signature_line(text, ORIGIN, LOG_KEY)


def test_witness_cosignatures_without_any_is_empty_not_an_error() -> None:
    assert witness_cosignatures(checkpoint_note(), [VKEY_A, VKEY_B]) == {}
    report = verify_note_report(checkpoint_note(), [VKEY_A])
    assert report.verified == () and report.missing == ("w-a.example",)


def test_witness_keys_must_be_cosignature_keys() -> None:
    raises("note.unsupported_key_type", witness_cosignatures, checkpoint_note(), [LOG_VKEY])


def test_same_key_under_both_types_counts_as_two_keys() -> None:
    ed = encode_vkey("w-a.example", WITNESS_A.public_key, ED25519_KEY_TYPE)
    assert ed != VKEY_A  # the type byte is in the key hash
    body = format_checkpoint(ORIGIN, 8, ROOT)
    note = sign_note(body, "w-a.example", WITNESS_A) + cosign_checkpoint(body, "w-a.example", WITNESS_A, TS)
    assert verify_note(note, [ed, VKEY_A]) == ["w-a.example", "w-a.example"]


# ---- negative cases ---------------------------------------------------------------------------------
def test_tampered_text_raises_bad_signature() -> None:
    note = checkpoint_note()
    e = raises("note.bad_signature", verify_note, note.replace("\n8\n", "\n9\n"), [LOG_VKEY])
    assert ORIGIN in e.message and parse_vkey(LOG_VKEY).key_hash.hex() in e.message


def test_wrong_key_does_not_verify() -> None:
    impostor = encode_vkey(ORIGIN, SigningKey(bytes(32)).public_key)  # same name, other key: other key hash
    e = raises("note.no_verified_signature", verify_note, checkpoint_note(), [impostor])
    assert ORIGIN in e.message and "1 other lines ignored" in e.message
    raises("note.no_verified_signature", verify_note, checkpoint_note(), [])


def test_line_with_the_right_name_but_another_key_hash_is_ignored() -> None:
    text, (line,) = split_note(checkpoint_note())
    raw = base64.b64decode(line.split(" ")[-1])
    other_hash = line.rsplit(" ", 1)[0] + " " + base64.b64encode(bytes([raw[0] ^ 1]) + raw[1:]).decode()
    raises("note.no_verified_signature", verify_note, text + "\n" + other_hash + "\n", [LOG_VKEY])
    assert verify_note(text + "\n" + other_hash + "\n" + line + "\n", [LOG_VKEY]) == [ORIGIN]


def test_vkey_with_a_wrong_key_hash_is_refused() -> None:
    name, kh, key = LOG_VKEY.split("+", 2)
    wrong = f"{name}+{int(kh, 16) ^ 1:08x}+{key}"
    e = raises("note.bad_vkey", parse_vkey, wrong)
    assert kh in e.message
    raises("note.bad_vkey", verify_note, checkpoint_note(), [wrong])


def test_duplicate_signatures_count_once() -> None:
    note = checkpoint_note()
    line = split_note(note)[1][0] + "\n"
    report = verify_note_report(note + line + line, [LOG_VKEY, LOG_VKEY])
    assert report.names == [ORIGIN]
    twice = (
        note
        + cosign_checkpoint(note, "w-a.example", WITNESS_A, TS)
        + cosign_checkpoint(note, "w-a.example", WITNESS_A, TS + 60)
    )
    assert witness_cosignatures(twice, [VKEY_A]) == {"w-a.example": TS + 60}  # once, newest time


def test_a_bad_line_claiming_a_given_key_rejects_the_note_even_beside_a_good_one() -> None:
    note = checkpoint_note()
    name, sig = split_note(note)[1][0][2:].split(" ")
    raw = bytearray(base64.b64decode(sig))
    raw[-1] ^= 1
    bad_line = f"— {name} {base64.b64encode(bytes(raw)).decode()}\n"
    raises("note.bad_signature", verify_note, note + bad_line, [LOG_VKEY])
    raises("note.no_verified_signature", verify_note, note + bad_line, [VKEY_A])  # not claimed: ignored


def test_unknown_keys_are_ignored() -> None:
    stranger = SigningKey(bytes([9]) * 32)
    note = checkpoint_note() + signature_line(format_checkpoint(ORIGIN, 8, ROOT), "stranger.example", stranger)
    note += "— junk.example " + base64.b64encode(b"\x00\x01\x02\x03garbage").decode() + "\n"
    report = verify_note_report(note, [LOG_VKEY])
    assert report.names == [ORIGIN] and report.unknown_lines == 2


def test_cosignature_with_a_wrong_timestamp_raises() -> None:
    note = checkpoint_note()
    line = cosign_checkpoint(note, "w-a.example", WITNESS_A, TS)
    name, sig = line[2:-1].split(" ")
    raw = base64.b64decode(sig)
    moved = raw[:4] + (TS + 1).to_bytes(8, "big") + raw[12:]
    forged = f"— {name} {base64.b64encode(moved).decode()}\n"
    raises("note.bad_signature", witness_cosignatures, note + forged, [VKEY_A])
    too_big = raw[:4] + (2**63).to_bytes(8, "big") + raw[12:]
    e = raises("note.bad_signature", verify_note, note + f"— {name} {base64.b64encode(too_big).decode()}\n", [VKEY_A])
    assert "2**63" in e.message


def test_signature_blob_of_the_wrong_length_for_its_key_type_raises() -> None:
    note = checkpoint_note()
    kh_a = parse_vkey(VKEY_A).key_hash
    short = f"— w-a.example {base64.b64encode(kh_a + bytes(64)).decode()}\n"  # no timestamp
    raises("note.bad_signature", verify_note, note + short, [VKEY_A])
    kh_log = parse_vkey(LOG_VKEY).key_hash
    long = f"— {ORIGIN} {base64.b64encode(kh_log + bytes(72)).decode()}\n"
    raises("note.bad_signature", verify_note, note + long, [LOG_VKEY])


@pytest.mark.parametrize(
    ("mangle", "why"),
    [
        (lambda n: n.replace("\n\n", "\n", 1), "missing blank line"),
        (lambda n: n[:-1], "no trailing newline"),
        (lambda n: n.split("\n\n")[0] + "\n\n", "no signature lines"),
        (lambda n: n.replace("— ", "- ", 1), "hyphen instead of em dash"),
        (lambda n: n.replace("— ", "—", 1), "no space after the dash"),
        (lambda n: n.replace(f"— {ORIGIN} ", f"— {ORIGIN}+x ", 1), "plus in the name"),
        (lambda n: n.replace(f"— {ORIGIN} ", "—  ", 1), "empty name"),
        (lambda n: n[:-3] + "!=\n", "bad base64"),
        (lambda n: n.replace("\n\n", "\n\n— a AAAAAA==\n", 1), "signature of 4 bytes"),
        (lambda n: n.replace("\n8\n", "\n8\t\n", 1), "control character"),
        (lambda n: n.replace("\n8\n", "\n8\ud800\n", 1), "lone surrogate, not UTF-8"),
        (lambda n: n + "— a " + base64.b64encode(b"12345").decode() + "\n" + "\n", "blank line at the end"),
    ],
)
def test_malformed_notes(mangle: Callable[[str], str], why: str) -> None:
    raises("note.malformed", verify_note, mangle(checkpoint_note()), [LOG_VKEY])


def test_signature_line_count_is_bounded() -> None:
    note = checkpoint_note()
    filler = "— other.example " + base64.b64encode(b"\x00\x00\x00\x00" + bytes(64)).decode() + "\n"
    assert verify_note(note + filler * (MAX_SIGNATURES - 1), [LOG_VKEY]) == [ORIGIN]
    e = raises("note.malformed", verify_note, note + filler * MAX_SIGNATURES, [LOG_VKEY])
    assert f"{MAX_SIGNATURES + 1} signature lines" in e.message


def test_note_text_may_hold_blank_lines_the_last_one_separates() -> None:
    text = "first\n\nsecond\n"
    note = sign_note(text, ORIGIN, LOG_KEY)
    assert split_note(note)[0] == text and verify_note(note, [LOG_VKEY]) == [ORIGIN]


def test_signing_refuses_bad_text_and_names() -> None:
    raises("note.malformed", sign_note, "no newline", ORIGIN, LOG_KEY)
    raises("note.malformed", sign_note, "bell\a\n", ORIGIN, LOG_KEY)
    for name in ["", "a b", "a+b", "tab\tname", "nbsp\u00a0name"]:
        raises("note.malformed", sign_note, "text\n", name, LOG_KEY)


def test_cosigning_refuses_non_checkpoints_and_bad_times() -> None:
    raises("checkpoint.malformed", cosign_checkpoint, sign_note("hello\n", ORIGIN, LOG_KEY), "w", WITNESS_A, TS)
    for ts in [-1, 2**63, True]:
        raises("note.malformed", cosign_checkpoint, checkpoint_note(), "w-a.example", WITNESS_A, ts)
    assert cosign_checkpoint(checkpoint_note(), "w-a.example", WITNESS_A, 2**63 - 1).endswith("\n")


# ---- verifier keys ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("vkey", "code"),
    [
        ("example.com/foo", "note.bad_vkey"),
        ("example.com/foo+530d903a", "note.bad_vkey"),
        ("+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "note.bad_vkey"),
        ("example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "note.bad_vkey"),
        ("example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "note.bad_vkey"),
        ("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k!", "note.bad_vkey"),
        ("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2l", "note.bad_vkey"),  # spare bits
        ("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2", "note.bad_vkey"),  # no padding
        ("a b+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "note.bad_vkey"),
        ("a+00000000+", "note.bad_vkey"),
        ("a+00000000+AQID", "note.bad_vkey"),  # Ed25519 type, 2-byte key
        ("a+00000000+AgEC", "note.unsupported_key_type"),  # 0x02 ECDSA
        ("a+00000000+BQEC", "note.unsupported_key_type"),  # 0x05 RFC 6962
    ],
)
def test_malformed_vkeys(vkey: str, code: str) -> None:
    raises(code, parse_vkey, vkey)


def test_encode_vkey_refuses_what_parse_would_refuse() -> None:
    raises("note.bad_vkey", encode_vkey, "a+b", LOG_KEY.public_key)
    raises("note.bad_vkey", encode_vkey, "a", LOG_KEY.public_key[:31])
    raises("note.unsupported_key_type", encode_vkey, "a", LOG_KEY.public_key, 0x02)


# ---- checkpoints ----------------------------------------------------------------------------------
def test_checkpoint_round_trip() -> None:
    for cp in [
        Checkpoint(ORIGIN, 0, ROOT),
        Checkpoint(ORIGIN, 2**64 - 1, ROOT),
        Checkpoint("o", 12, ROOT, ("ext one", "— ext two")),
    ]:
        body = cp.body()
        assert body == format_checkpoint(cp.origin, cp.size, cp.root_hash, cp.extensions)
        assert parse_checkpoint(body) == cp and parse_checkpoint(body).body() == body
    assert format_checkpoint(ORIGIN, 8, ROOT) == f"{ORIGIN}\n8\n{base64.b64encode(ROOT).decode()}\n"


R = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize(
    "body",
    [
        f"o\n8\n{R}",
        "o\n8\n",
        f"\n8\n{R}\n",
        f"o\n08\n{R}\n",
        f"o\n-1\n{R}\n",
        f"o\n+1\n{R}\n",
        f"o\n 1\n{R}\n",
        f"o\n1.0\n{R}\n",
        f"o\n\u0661\n{R}\n",
        f"o\n{2**64}\n{R}\n",
        f"o\n\n{R}\n",
        f"o\n8\n{R[:-1]}\n",
        f"o\n8\n{base64.b64encode(ROOT[:31]).decode()}\n",
        f"o\n8\n{base64.b64encode(ROOT + b'x').decode()}\n",
        f"o\n8\n{R}\n\n",
        f"o\n8\n{R}\next\n\n",
        f"o\n8\n{R}\nbad\x00ext\n",
        f"o\n8\n{R[:-2]}a=\n",
        "",
    ],
)
def test_malformed_checkpoints(body: str) -> None:
    raises("checkpoint.malformed", parse_checkpoint, body)


@pytest.mark.parametrize(
    ("origin", "size", "root", "ext"),
    [
        ("", 1, ROOT, ()),
        ("a\nb", 1, ROOT, ()),
        ("o", -1, ROOT, ()),
        ("o", 2**64, ROOT, ()),
        ("o", 1, ROOT[:31], ()),
        ("o", 1, ROOT, ("",)),
        ("o", 1, ROOT, ("a\nb",)),
        ("o\x01", 1, ROOT, ()),
    ],
)
def test_format_checkpoint_refuses_what_parse_would_refuse(
    origin: str, size: int, root: bytes, ext: tuple[str, ...]
) -> None:
    raises("checkpoint.malformed", format_checkpoint, origin, size, root, ext)


def test_exported_names_exist() -> None:
    assert all(hasattr(note_module, name) for name in note_module.__all__)
