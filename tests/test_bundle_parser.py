"""The bundle parser accepts exactly what a naive reference accepts: RFC 8785 bytes (rfc8785 re-serializing
the stdlib's strict parse) valid under the whole bundle schema."""

from __future__ import annotations

import json

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from mapping.errors import InputError
from verifier import schemas
from verifier.bundle import BUNDLE_VERSION, _bundle_shell
from verifier.canonical import loads_strict

HEX = "0123456789abcdef"
free_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30)
items = st.fixed_dictionaries(
    {
        "index": st.integers(0, 2**53 - 1),
        "envelope": st.text(alphabet="ABCDabcd0123+/=", max_size=40),
        "proof": st.lists(st.text(alphabet=HEX, min_size=64, max_size=64), max_size=3),
    }
)
bundles = st.fixed_dictionaries(
    {
        "version": st.just(BUNDLE_VERSION),
        "origin": free_text,  # non-BMP characters allowed: values, not member names
        "checkpoint": free_text,
        "label_entry": st.text(alphabet=HEX, min_size=64, max_size=64),
        "entries": st.lists(items, min_size=1, max_size=3),
    },
    optional={"target_scheme": st.sampled_from(["gd-carbon-label", "hk-cma-carbon-label"])},
)


@settings(max_examples=300, deadline=None)
@given(bundles)
def test_parser_reads_every_spelling_of_a_valid_bundle_as_the_same_document(doc: dict) -> None:
    canonical = rfc8785.dumps(doc)
    assert _bundle_shell(canonical) == doc == reference(canonical)
    # A bundle is an unsigned container: another spelling (reordered, re-indented) reads as the same document.
    for other in (json.dumps(doc).encode(), json.dumps(doc, sort_keys=True, indent=1).encode()):
        assert _bundle_shell(other) == doc == reference(other)


def reference(data: bytes) -> dict | None:
    """The naive reading: strict stdlib parse (no duplicate, no float, no NaN), then the whole schema."""
    try:
        doc = loads_strict(data)
    except InputError:
        return None
    return doc if schemas.validator("bundle").is_valid(doc) else None


@pytest.mark.parametrize(
    "bad",
    [
        b'"index":1.0,',  # a float index: refused as a float, whatever the item schema says
        b'"index":1e0,',
        b'"index":true,',
    ],
)
def test_float_like_indexes_are_refused(bad: bytes) -> None:
    doc = {
        "version": BUNDLE_VERSION,
        "origin": "o",
        "checkpoint": "c",
        "label_entry": "a" * 64,
        "entries": [{"envelope": "QQ==", "index": 1, "proof": []}],
    }
    data = rfc8785.dumps(doc).replace(b'"index":1,', bad)
    assert reference(data) is None
    with pytest.raises(InputError):
        _bundle_shell(data)
