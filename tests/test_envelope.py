"""DSSE envelopes: exactly one valid form per entry; everything else refused with a precise code."""

from __future__ import annotations

import base64
import binascii
import json

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mapping.errors import CarbonLedgerError, InputError, SchemaError, SignatureError
from verifier import schemas
from verifier.b64 import decode_canonical
from verifier.canonical import canonicalize
from verifier.envelope import (
    ENTRY_PAYLOAD_TYPE,
    MAX_ENTRY_BYTES,
    entry_id,
    envelope_bytes,
    pae,
    parse_entry,
    sign_entry,
)
from verifier.keys import SigningKey

from .helpers import NOW, Signer, midea_label


@pytest.fixture
def signer() -> Signer:
    return Signer()


def _envelope_dict(env: bytes) -> dict:
    return json.loads(env)


def _rebuild(doc: dict) -> bytes:
    return canonicalize(doc)


def test_round_trip_keeps_bytes_and_verifies(signer: Signer) -> None:
    env = signer.issue(midea_label())
    entry = parse_entry(env)
    assert entry.envelope == env
    assert entry.kind == "label.issue"
    assert entry.signer == signer.key_id
    assert entry.entry_id == entry_id(entry.payload)
    entry.verify_signature(signer.key.verifying_key)
    assert canonicalize(entry.body) == entry.payload  # payload is canonical JCS


def test_pae_matches_dsse_definition() -> None:
    assert pae("t", b"hello") == b"DSSEv1 1 t 5 hello"
    assert pae(ENTRY_PAYLOAD_TYPE, b"") == b"DSSEv1 %d %s 0 " % (len(ENTRY_PAYLOAD_TYPE), ENTRY_PAYLOAD_TYPE.encode())


def test_tampered_payload_byte_fails_signature(signer: Signer) -> None:
    env = signer.issue(midea_label())
    doc = _envelope_dict(env)
    body = json.loads(base64.b64decode(doc["payload"]))
    body["label"]["footprint"]["pcf"]["value"] = "1.00"
    doc["payload"] = base64.b64encode(canonicalize(body)).decode()
    entry = parse_entry(_rebuild(doc))
    with pytest.raises(SignatureError):
        entry.verify_signature(signer.key.verifying_key)


def test_signature_by_another_key_fails(signer: Signer) -> None:
    entry = parse_entry(signer.issue(midea_label()))
    with pytest.raises(CarbonLedgerError):
        entry.verify_signature(SigningKey.generate().verifying_key)


def _mutations(env: bytes) -> list[tuple[str, bytes, str]]:
    doc = _envelope_dict(env)
    out = []
    d = json.loads(env)
    d["payloadType"] = "application/json"
    out.append(("payload type", _rebuild(d), "envelope.payload_type"))
    d = json.loads(env)
    d["signatures"] = d["signatures"] * 2
    out.append(("two signatures", _rebuild(d), "envelope.signatures"))
    d = json.loads(env)
    d["signatures"] = []
    out.append(("no signature", _rebuild(d), "envelope.signatures"))
    d = json.loads(env)
    d["signatures"][0]["keyid"] = "ab" * 32
    out.append(("keyid differs from signer", _rebuild(d), "envelope.keyid_mismatch"))
    d = json.loads(env)
    d["signatures"][0]["extra"] = 1
    out.append(("extra signature member", _rebuild(d), "envelope.signatures"))
    d = json.loads(env)
    d["extra"] = 1
    out.append(("extra envelope member", _rebuild(d), "envelope.malformed"))
    d = json.loads(env)
    d["payload"] = d["payload"].rstrip("=")
    out.append(("unpadded base64", _rebuild(d), "envelope.base64"))
    d = json.loads(env)
    d["payload"] = base64.urlsafe_b64encode(base64.b64decode(doc["payload"])).decode().replace("=", "") + "-_"
    out.append(("url-safe base64", _rebuild(d), "envelope.base64"))
    d = json.loads(env)
    d["signatures"][0]["sig"] = base64.b64encode(b"\x00" * 63).decode()
    out.append(("short signature", _rebuild(d), "envelope.malformed"))
    out.append(("not canonical (spaces)", json.dumps(doc).encode(), "json.non_canonical"))
    out.append(
        (
            "not canonical (order)",
            json.dumps(dict(reversed(list(doc.items()))), separators=(",", ":")).encode(),
            "json.non_canonical",
        )
    )
    body = json.loads(base64.b64decode(doc["payload"]))
    d = json.loads(env)
    d["payload"] = base64.b64encode(json.dumps(body).encode()).decode()
    out.append(("non-canonical payload", _rebuild(d), "json.non_canonical"))
    d = json.loads(env)
    body2 = dict(body, kind="label.unknown")
    d["payload"] = base64.b64encode(canonicalize(body2)).decode()
    out.append(("unknown kind", _rebuild(d), "entry.unknown_kind"))
    return out


def test_every_malformed_envelope_is_refused_with_its_code(signer: Signer) -> None:
    env = signer.issue(midea_label())
    for name, bad, code in _mutations(env):
        with pytest.raises(CarbonLedgerError) as e:
            parse_entry(bad)
        assert e.value.code == code, name


def test_float_in_payload_is_refused(signer: Signer) -> None:
    env = signer.issue(midea_label())
    doc = json.loads(env)
    payload = base64.b64decode(doc["payload"]).replace(
        b'"productMassPerDeclaredUnit":"36.5"', b'"productMassPerDeclaredUnit":36.5'
    )
    doc["payload"] = base64.b64encode(payload).decode()
    with pytest.raises(InputError) as e:
        parse_entry(canonicalize(doc))
    assert e.value.code == "json.float"


def test_schema_violation_names_the_field(signer: Signer) -> None:
    label = midea_label()
    label["footprint"]["boundary"] = "cradle-to-moon"
    with pytest.raises(SchemaError) as e:
        parse_entry(signer.issue(label))
    assert e.value.field == "/label/footprint/boundary"


def test_oversized_entry_is_refused_before_parsing(signer: Signer) -> None:
    label = midea_label()
    label["product"]["description"] = "x" * 4000
    label["product"]["ids"] = [{"system": "sku", "value": "y" * 500} for _ in range(20)]
    label["methodology"]["standards"] = ["z" * 500] * 10
    label["cites"] = [{"dataset": "cn-mee-grid", "version": 1, "entry": "0" * 64, "key": "k" * 500}] * 50
    env = sign_entry(
        {
            "kind": "label.issue",
            "signer": signer.key_id,
            "seq": 0,
            "prev": "0" * 64,
            "signed_at": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "label": label,
        },
        signer.key,
    )
    assert len(env) > MAX_ENTRY_BYTES
    with pytest.raises(InputError) as e:
        parse_entry(env)
    assert e.value.code == "input.oversized"


def test_sign_entry_refuses_a_body_for_another_signer(signer: Signer) -> None:
    with pytest.raises(InputError):
        sign_entry({"kind": "label.issue", "signer": "ab" * 32}, signer.key)


def test_envelope_rebuilt_from_payload_and_signature_is_byte_identical() -> None:
    """The store keeps payload and signature; the one valid form makes the rebuilt envelope the same leaf."""
    from verifier.envelope import envelope_bytes, parse_entry

    from .helpers import Signer, label_for

    signer = Signer()
    for i in range(5):
        env = signer.issue(label_for("gd-carbon-label", f"GD-R-{i}"))
        entry = parse_entry(env)
        assert envelope_bytes(entry.payload, entry.signer, entry.signature) == env


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= \n-_", max_size=16)
    | st.builds(  # near misses: a real encoding with one character swapped (often a pad-bit change)
        lambda raw, i, c: (lambda t: t[: i % (len(t) or 1)] + c + t[i % (len(t) or 1) + 1 :])(
            base64.b64encode(raw).decode()
        ),
        st.binary(max_size=10),
        st.integers(0, 20),
        st.sampled_from("AQgwBRhx+/="),
    )
)
def test_canonical_base64_is_exactly_what_reencodes_to_itself(text: str) -> None:
    # Reference: lenient decode, then demand the one canonical re-encoding (RFC 4648 §3.5).

    try:
        expected: bytes | None = binascii.a2b_base64(text)
        if base64.b64encode(expected).decode() != text:
            expected = None
    except (binascii.Error, ValueError):
        expected = None
    try:
        got: bytes | None = decode_canonical(text)
    except ValueError:
        got = None
    assert got == expected


# ---- a float where the label schema admits a number (JSON Schema reads 1.0 as an integer) ------------------
def _label_with_every_number() -> dict:
    label = midea_label()
    cite = {"dataset": "cn-grid-factors", "version": 7, "entry": "ab" * 32, "key": "CN"}
    label["cites"] = [cite]
    label["footprint"]["electricity"][0]["factor"]["citation"] = {**cite, "version": 8}
    return label


FLOAT_CASES = [
    ("/seq", b'"seq":5,', b'"seq":5.0,'),
    ("/label/cites/*/version", b'"version":7', b'"version":7.0'),
    ("/label/footprint/electricity/*/factor/citation/version", b'"version":8', b'"version":8.0'),
    ("/label/footprint/electricity/*/factor/year", b'"year":2021', b'"year":2021.0'),
]


@pytest.mark.parametrize(("position", "integer", "as_float"), FLOAT_CASES)
def test_a_float_where_the_label_schema_admits_a_number_is_refused(
    signer: Signer, position: str, integer: bytes, as_float: bytes
) -> None:
    good = parse_entry(signer.issue(_label_with_every_number(), seq=5)).payload
    assert good.count(integer) == 1
    payload = good.replace(integer, as_float)
    body = orjson.loads(payload)  # orjson's own form, and schema-valid (1.0 is an integer to JSON Schema) ...
    assert orjson.dumps(body, option=orjson.OPT_SORT_KEYS) == payload and schemas.validator("label.issue").is_valid(
        body
    )
    env = envelope_bytes(payload, signer.key_id, signer.key.sign(pae(ENTRY_PAYLOAD_TYPE, payload)))
    with pytest.raises(InputError) as e:  # ... but not RFC 8785's, and carbonledger reads no floats
        parse_entry(env)
    assert e.value.code == "json.float"
