"""The bundle parser's structural fast path agrees with the strict RFC 8785 path on every document."""

from __future__ import annotations

import json

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from mapping.errors import InputError
from verifier.bundle import BUNDLE_VERSION, _fast_bundle_shell, _strict_bundle_document

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
def test_fast_path_accepts_exactly_the_canonical_form(doc: dict) -> None:
    canonical = rfc8785.dumps(doc)
    assert _fast_bundle_shell(canonical) == doc == _strict_bundle_document(canonical)
    # Any other spelling of the same document is refused by both paths.
    for other in (json.dumps(doc).encode(), json.dumps(doc, sort_keys=True, indent=1).encode()):
        if other != canonical:
            assert _fast_bundle_shell(other) is None
            with pytest.raises(InputError):
                _strict_bundle_document(other)


@pytest.mark.parametrize(
    "bad",
    [
        b'"index":1.0,',  # a float index: the int check, whatever the item schema says
        b'"index":1e0,',
        b'"index":true,',
    ],
)
def test_fast_path_refuses_float_like_indexes(bad: bytes) -> None:
    doc = {
        "version": BUNDLE_VERSION,
        "origin": "o",
        "checkpoint": "c",
        "label_entry": "a" * 64,
        "entries": [{"envelope": "QQ==", "index": 1, "proof": []}],
    }
    data = rfc8785.dumps(doc).replace(b'"index":1,', bad)
    assert _fast_bundle_shell(data) is None
    with pytest.raises(InputError):
        _strict_bundle_document(data)
