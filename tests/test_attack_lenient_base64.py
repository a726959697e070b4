"""Attack: a key, signature or payload spelled in a second base64 text (non-zero pad bits, which lenient
decoders read as the same bytes) so that two texts name one key — a trust file listing a root "twice" past the
schema's uniqueItems, a payload whose text differs from the one logged. Every decoder reads one text per byte
string (issue 15, item 6): the trust file, the label file reader and the sequencer's entry-id peek."""

from __future__ import annotations

import base64
import json

import pytest

from ledger.label_files import envelope_payload
from ledger.sequencer import claimed_entry_id
from mapping.errors import InputError
from verifier.keys import SigningKey
from verifier.trust import parse_trust

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def pad_bit_alias(text: str) -> str:
    """The same bytes in a second base64 text: the last character before the padding with a pad bit set."""
    stem = text.rstrip("=")
    last = ALPHABET.index(stem[-1])
    alias = stem[:-1] + ALPHABET[last | 1] + text[len(stem) :]
    assert alias != text and base64.b64decode(alias) == base64.b64decode(text)
    return alias


def trust_doc(root_keys: list[str]) -> bytes:
    log_key = SigningKey.generate()
    vkey = f"log.test+{log_key.key_id[:8]}+" + base64.b64encode(b"\x01" + log_key.public_key).decode()
    return json.dumps(
        {
            "version": "carbonledger.trust/v1",
            "log": {"origin": "log.test", "vkey": vkey},
            "witnesses": {"threshold": 0, "vkeys": []},
            "schemes": [{"id": "gd-carbon-label", "root_keys": root_keys}],
        }
    ).encode()


def test_trust_file_root_key_with_non_zero_pad_bits_is_refused() -> None:
    key = base64.b64encode(SigningKey.generate().public_key).decode()
    assert parse_trust(trust_doc([key])).scheme_roots["gd-carbon-label"] == {base64.b64decode(key)}
    with pytest.raises(InputError) as e:
        parse_trust(trust_doc([key, pad_bit_alias(key)]))
    assert e.value.code == "envelope.base64" and e.value.field == "/schemes/0/root_keys/1"


def test_label_file_envelope_payload_in_a_second_spelling_is_refused() -> None:
    text = base64.b64encode(b'{"a":"bc"}').decode()
    assert envelope_payload({"payload": text}) == {"a": "bc"}
    with pytest.raises(InputError) as e:
        envelope_payload({"payload": pad_bit_alias(text)})
    assert e.value.code == "input.malformed"


def test_sequencer_reads_no_entry_id_from_a_payload_in_a_second_spelling() -> None:
    text = base64.b64encode(b'{"a":"bc"}').decode()
    assert claimed_entry_id(json.dumps({"payload": text}).encode()) is not None
    assert claimed_entry_id(json.dumps({"payload": pad_bit_alias(text)}).encode()) is None
