"""Canonical JSON (RFC 8785, JCS) and a strict parser.

Signed payloads are canonical bytes: "keep the bytes as received and verify over
them, never over a re-serialization" (DESIGN §3). So this module does two jobs:

- :func:`canonicalize` serializes with the ``rfc8785`` package (the reference);
- :func:`require_canonical` checks that received bytes already *are* the
  canonical form and returns the parsed value. One path for every document:
  parse with ``orjson`` and re-serialize (sorted keys, compact, integers
  within 53 bits); accept a byte-identical result once a walk of the value
  finds no float and a byte search finds no character outside the Basic
  Multilingual Plane (where UTF-8 byte order, code-point order and RFC 8785
  §3.2.3's "UTF-16 code units" order agree). orjson rejects NaN, Infinity and
  lone surrogates itself; duplicate keys collapse and so fail the byte
  comparison. Any doubt goes to the naming parser, which parses strictly,
  compares with ``rfc8785`` and names the exact fault. Nothing here knows a
  schema; the tests prove the two agree with ``rfc8785`` byte for byte.

Strictness (for every document carbonledger reads): valid UTF-8; no duplicate
member names (RFC 8785 §3.1 requires I-JSON, RFC 7493 §2.3); no NaN or
Infinity; no lone surrogates (RFC 7493 §2.1); no binary floats anywhere —
quantities are decimal strings ("12.345"); integers within the I-JSON range.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import rfc8785

from mapping.errors import InputError, OversizedError

MAX_SAFE_INTEGER = 2**53 - 1


def _orjson_canonical(data: bytes) -> tuple[bool, Any]:
    """``(True, value)`` when ``data`` is RFC 8785's form of ``value`` by the argument of the module docstring
    (orjson's sorted compact form, float-free, BMP-only); ``(False, None)`` leaves the verdict to the naming
    parser."""
    if not is_bmp_only(data):
        return False, None
    try:
        value = orjson.loads(data)
    except (ValueError, RecursionError):
        return False, None
    if canonical_bytes_match(value, data) and not (_may_hold_float(data) and holds_float(value)):
        return True, value
    return False, None


# The float scan: "," and "[" become ":", "e" and "E" become ".", and digits and "-" are deleted.
_SEPARATORS_TO_COLON = bytes.maketrans(b",[eE", b"::..")
_DIGITS_AND_MINUS = b"0123456789-"
_SCAN_UP_TO = 4096  # bytes: beyond this the walk of the parsed value costs less than the scan of its bytes


def _may_hold_float(data: bytes) -> bool:
    """False only when ``data``, being orjson's compact output, holds no float: there a number follows ``:``,
    ``,``, ``[`` or nothing, and orjson writes every float with a ``.`` or an ``e``, so with digits and ``-``
    deleted, ``,``/``[`` read as ``:`` and ``e``/``E`` as ``.``, a float leaves ``:.`` behind (or starts the
    document). Text can leave it too ("10:00.5"): then the walk decides. Large documents skip the scan."""
    if len(data) > _SCAN_UP_TO or data[:1] in _NUMBER_START:
        return True
    return b":." in data.translate(_SEPARATORS_TO_COLON, _DIGITS_AND_MINUS)


_NUMBER_START = frozenset(bytes([c]) for c in b"-0123456789")


def holds_float(value: Any) -> bool:
    """Whether a parsed JSON value holds a binary float anywhere (a walk of its containers, no recursion)."""
    pending = [value]
    pop, push = pending.pop, pending.extend
    while pending:
        item = pop()
        kind = type(item)
        if kind is dict:
            push(item.values())
        elif kind is list:
            push(item)
        elif kind is float:
            return True
    return False


def canonical_bytes_match(value: Any, data: bytes) -> bool:
    """Whether orjson's sorted compact serialization of ``value`` (parsed from ``data``) is ``data`` itself,
    integers held to 53 bits."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER) == data
    except (TypeError, orjson.JSONEncodeError, RecursionError):
        return False


_SUPPLEMENTARY_LEADS = tuple(bytes([b]) for b in range(0xF0, 0xF5))


def is_bmp_only(data: bytes) -> bool:
    """No UTF-8 lead byte of a character outside the Basic Multilingual Plane (0xF0-0xF4) in ``data``
    (five one-byte searches: memchr beats a translation of every byte)."""
    return data.isascii() or not any(lead in data for lead in _SUPPLEMENTARY_LEADS)


def canonicalize(value: Any) -> bytes:
    """RFC 8785 bytes of ``value`` (dicts, lists, str, int, bool, None only).

    Once the walk has refused every float, unsafe integer, lone surrogate and non-JSON type, orjson's sorted
    compact form is RFC 8785's when it holds no character outside the Basic Multilingual Plane (the argument
    of the module docstring, which :func:`require_canonical` rests on too); otherwise ``rfc8785`` writes it."""
    _check_value(value, "")
    try:
        data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER)
    except (TypeError, orjson.JSONEncodeError, RecursionError):
        data = b""
    if data and is_bmp_only(data):
        return data
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as e:  # pragma: no cover - _check_value catches these first
        raise InputError(f"cannot canonicalize: {e}", code="json.non_canonical") from e


def require_canonical(data: bytes, *, max_bytes: int | None = None, what: str = "document") -> Any:
    """Parse ``data`` and return its value, requiring that ``data`` is exactly its RFC 8785 form.

    Raises :class:`InputError` naming the fault: ``input.oversized``, ``json.malformed``,
    ``json.duplicate_key``, ``json.float``, ``json.nan``, ``json.surrogate``,
    ``json.integer_range`` or ``json.non_canonical``.
    """
    check_size(data, max_bytes, what)
    vouched, value = _orjson_canonical(data)
    if vouched:
        return value
    value = loads_strict(data, what=what)
    canonical = rfc8785.dumps(value)
    if canonical != data:
        at = next((i for i, (a, b) in enumerate(zip(canonical, data, strict=False)) if a != b), None)
        if at is None:
            at = min(len(canonical), len(data))
        raise InputError(
            f"{what} is not in RFC 8785 canonical form (first difference at byte {at}; "
            f"{len(data)} bytes received, canonical form has {len(canonical)})",
            code="json.non_canonical",
        )
    return value


def check_size(data: bytes, max_bytes: int | None, what: str = "document") -> None:
    if max_bytes is not None and len(data) > max_bytes:
        raise OversizedError(
            f"{what} is {len(data)} bytes; the limit is {max_bytes}", code="input.oversized", field=what
        )


def loads_strict(data: bytes | str, *, what: str = "document", max_bytes: int | None = None) -> Any:
    """Parse JSON that need not be canonical, with every strictness rule above."""
    if isinstance(data, bytes):
        check_size(data, max_bytes, what)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(f"{what} is not valid UTF-8 at byte {e.start}", code="json.malformed") from e
    else:
        text = data
        check_size(text.encode("utf-8", "surrogatepass"), max_bytes, what)
    try:
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=_float_error,
            parse_constant=_nan_error,
        )
    except InputError:
        raise
    except RecursionError as e:
        raise InputError(f"{what} nests too deeply", code="json.malformed") from e
    except ValueError as e:
        raise InputError(f"{what} is not valid JSON: {e}", code="json.malformed") from e
    _check_value(value, "")
    return value


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise InputError(f"duplicate member name {key!r}", code="json.duplicate_key", field=key)
        out[key] = value
    return out


def _float_error(text: str) -> Any:
    raise InputError(
        f'binary float {text} is not allowed; write quantities as decimal strings ("{text}")',
        code="json.float",
    )


def _nan_error(text: str) -> Any:
    raise InputError(f"{text} is not allowed in JSON", code="json.nan")


def _check_value(value: Any, pointer: str) -> None:
    """Walk ``value``: reject floats, unsafe integers, lone surrogates and non-JSON types (a quick walk first; the
    one that names the fault only when it finds one or meets a subclass)."""
    if not _plainly_valid(value):
        _check_value_named(value, pointer)


def _plainly_valid(value: Any) -> bool:
    """True when ``value`` is made of plain dicts, lists, ASCII or encodable strings, safe ints, bools and None."""
    pending = [value]
    pop, push = pending.pop, pending.extend
    while pending:
        item = pop()
        kind = type(item)
        if kind is str:
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return False
        elif kind is dict:
            for key in item:
                if type(key) is not str or not (key.isascii() or _encodable(key)):
                    return False
            push(item.values())
        elif kind is list:
            push(item)
        elif kind is int:
            if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                return False
        elif item is not None and kind is not bool:
            return False
    return True


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_value_named(value: Any, pointer: str) -> None:
    """Walk ``value``: reject floats, unsafe integers, lone surrogates and non-JSON types, naming where."""
    if isinstance(value, str):
        _check_string(value, pointer)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise InputError(
                f"integer {value} at {pointer or '/'} is outside ±(2**53 - 1)",
                code="json.integer_range",
                field=pointer or "/",
            )
    elif isinstance(value, float):
        raise InputError(
            f"binary float at {pointer or '/'}; write quantities as decimal strings",
            code="json.float",
            field=pointer or "/",
        )
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InputError(f"member name {key!r} is not a string", code="json.malformed", field=pointer)
            _check_string(key, pointer)
            _check_value_named(item, f"{pointer}/{pointer_escape(key)}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_value_named(item, f"{pointer}/{i}")
    else:
        raise InputError(f"{type(value).__name__} at {pointer or '/'} is not a JSON value", code="json.malformed")


def _check_string(text: str, pointer: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise InputError(
            f"lone surrogate U+{ord(text[e.start]):04X} in a string at {pointer or '/'}",
            code="json.surrogate",
            field=pointer or "/",
        ) from e


def pointer_escape(key: str) -> str:
    """A member name as a JSON Pointer reference token (RFC 6901 §3: ``~`` as ``~0``, ``/`` as ``~1``)."""
    return key.replace("~", "~0").replace("/", "~1")
