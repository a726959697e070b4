"""RFC 8785 canonical JSON: the one orjson-based check agrees with the rfc8785 package byte for byte."""

from __future__ import annotations

import json

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from mapping.errors import InputError
from verifier.canonical import MAX_SAFE_INTEGER, canonicalize, loads_strict, require_canonical

# RFC 8785 §3.2.2 / §3.2.3 examples (strings, structure and key ordering).
RFC_SORTING_INPUT = (
    '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh",'
    ' "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control", "\\u00f6": "Latin Small Letter O'
    ' With Diaeresis"}'
)
RFC_SORTING_ORDER = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_rfc8785_sorting_example_orders_by_utf16_code_units() -> None:
    value = json.loads(RFC_SORTING_INPUT)
    out = canonicalize(value)
    assert list(json.loads(out)) == RFC_SORTING_ORDER
    assert require_canonical(out) == value  # the slow path handles the non-BMP key


def test_rfc8785_string_escapes() -> None:
    value = {"string": '\u20ac$\u000f\nA\'B"\\\\"/', "literals": [None, True, False]}
    out = canonicalize(value)
    assert out == b'{"literals":[null,true,false],"string":"\xe2\x82\xac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    assert require_canonical(out) == value


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8), inner, max_size=5)
    ),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_fast_check_agrees_with_rfc8785(value: object) -> None:
    reference = rfc8785.dumps(value)
    assert canonicalize(value) == reference
    assert require_canonical(reference) == value
    loose = json.dumps(value, ensure_ascii=True, indent=1).encode()
    if loose != reference:
        with pytest.raises(InputError) as e:
            require_canonical(loose)
        assert e.value.code in {"json.non_canonical"}


def _holds_float(value: object) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(map(_holds_float, value.values()))
    return isinstance(value, list) and any(map(_holds_float, value))


values_with_floats = st.recursive(
    json_scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(values_with_floats)
def test_no_float_passes_in_the_serializer_own_output(value: object) -> None:
    # The fast path's own serializer is the adversary: its compact bytes with a float are refused.
    import orjson

    data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    if not _holds_float(value):
        return
    with pytest.raises(InputError) as e:
        require_canonical(data)
    assert e.value.code == "json.float"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b'{"a":1,"a":2}', "json.duplicate_key"),
        (b'{"a":1.5}', "json.float"),
        (b'{"a":1e3}', "json.float"),
        (b'{"a":NaN}', "json.nan"),
        (b'{"a":Infinity}', "json.nan"),
        (b'{"a":"\\ud800"}', "json.surrogate"),
        (b'{"b":1,"a":2}', "json.non_canonical"),
        (b'{"a":1} ', "json.non_canonical"),
        (b'{"a":"\\u0041"}', "json.non_canonical"),
        (b'{"a":9007199254740992}', "json.integer_range"),
        (b'{"a":1152921504606846976}', "json.integer_range"),
        (b'{"a":1.0}', "json.float"),
        (b'{"a":[1,2.0]}', "json.float"),
        (b'{"a":-0.0}', "json.float"),
        (b"1.5", "json.float"),
        (b'{"a":"x","a":"x"}', "json.duplicate_key"),
        (b'{"a":', "json.malformed"),
        (b"\xff{}", "json.malformed"),
    ],
)
def test_strict_rejections_name_the_fault(data: bytes, code: str) -> None:
    with pytest.raises(InputError) as e:
        require_canonical(data)
    assert e.value.code == code


def test_size_limit() -> None:
    with pytest.raises(InputError) as e:
        require_canonical(b'{"a":"' + b"x" * 100 + b'"}', max_bytes=50)
    assert e.value.code == "input.oversized"


def test_loads_strict_accepts_non_canonical_but_rejects_floats() -> None:
    assert loads_strict(b'{ "b": 1, "a": "x" }') == {"a": "x", "b": 1}
    with pytest.raises(InputError) as e:
        loads_strict(b'{"footprint": {"pcf": 12.5}}')
    assert e.value.code == "json.float"


def test_canonicalize_rejects_python_floats_with_a_pointer() -> None:
    with pytest.raises(InputError) as e:
        canonicalize({"footprint": {"pcf": 1.25}})
    assert e.value.field == "/footprint/pcf"


def test_float_walk_sees_every_float_and_text_that_looks_like_one_is_no_float() -> None:
    from verifier.canonical import holds_float

    note = rfc8785.dumps({"checkpoint": "log\n12\nabc=\n\n— log ab+cd\n", "size": 12})
    assert require_canonical(note) == {"checkpoint": "log\n12\nabc=\n\n— log ab+cd\n", "size": 12}
    for floaty in (b'{"a":1.5}', b'{"a":1e5}', b'{"a":-1.5}', b'{"a":[1.5]}', b'{"a":[1,-2.5]}', b'{"a":2E+1}', b"1.5"):
        assert holds_float(json.loads(floaty)), floaty
        with pytest.raises(InputError) as e:
            require_canonical(floaty)
        assert e.value.code == "json.float", floaty
    tricky = b'{"a":"x\\",\\"b\\":1.5","c":1.5}'  # an escaped quote cannot hide a float
    with pytest.raises(InputError) as e:
        require_canonical(tricky)
    assert e.value.code == "json.float"
    # Text that looks like a float is text: accepted on the one path.
    for texty in (b'{"t":"10:00.5"}', b'{"a":"1.5e3 true","b":[1,-2],"c":-3}', b'{"a":[[[{"b":[true,null]}]]]}'):
        assert not holds_float(json.loads(texty))
        assert require_canonical(texty) == json.loads(texty)


@settings(max_examples=300, deadline=None)
@given(values_with_floats)
def test_the_one_path_vouches_only_for_what_rfc8785_agrees_is_canonical_and_float_free(value: object) -> None:
    """A naive reference (rfc8785's own bytes, and a recursive float search) against the orjson path, on
    values with floats, non-BMP member names and every scalar."""
    import orjson

    from verifier.canonical import _orjson_canonical

    for data in (orjson.dumps(value, option=orjson.OPT_SORT_KEYS), orjson.dumps(value)):
        vouched, got = _orjson_canonical(data)
        if vouched:
            assert not _holds_float(value) and rfc8785.dumps(value) == data and got == value


def test_integers_beyond_53_bits_leave_the_fast_path() -> None:
    # The scan lets integers through; orjson's serializer, held to 53 bits, refuses the big ones.
    big = b'{"a":12345678901234567}'
    with pytest.raises(InputError) as e:
        require_canonical(big)
    assert e.value.code == "json.integer_range"
    assert require_canonical(b'{"a":9007199254740991}') == {"a": 9007199254740991}
    with pytest.raises(InputError) as e:
        require_canonical(b'{"a":-9007199254740992}')
    assert e.value.code == "json.integer_range"
