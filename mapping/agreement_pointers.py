"""RFC 6901 JSON Pointers into a label record: splitting, escaping, resolving, and which ones a schema allows.

Agreement conditions name label fields by JSON Pointer (DESIGN §5: ``{field: JSON Pointer into the label, op,
value}``). A pointer that names nothing resolves to :data:`ABSENT`, never to a guessed value. Pure: stdlib and
``mapping.errors`` only; which fields exist is decided by a JSON Schema handed in (:func:`fields_of_schema`).

One extension for conditions over lists of objects (every electricity supply's factor, every background
database): the token :data:`EACH` (``*``) where the document has an *array* stands for each of its elements
(:func:`resolve_each`), e.g. ``/footprint/electricity/*/factor/kind``. RFC 6901 gives an array no member named
``*`` (an array token is a decimal index or ``-``), so no pointer that names something changes its meaning;
over an object ``*`` stays the member name it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .errors import MappingError

_ARRAY_INDEX = re.compile(r"^(0|[1-9][0-9]*)$")


class _Absent:
    """The value of a JSON Pointer that names nothing in the document."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Any = _Absent()
EACH = "*"
"""The token that stands for each element of an array (module docstring)."""


def split_pointer(pointer: str) -> list[str]:
    """The reference tokens of an RFC 6901 JSON Pointer, unescaped (``~1`` → ``/`` then ``~0`` → ``~``).

    Requires ``pointer`` to be ``""`` or to start with ``/``; raises :class:`MappingError` otherwise or on a
    ``~`` not followed by ``0`` or ``1`` (RFC 6901 §3).
    """
    if pointer == "":
        return []
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        raise MappingError(
            f"{pointer!r} is not a JSON Pointer (RFC 6901: it starts with '/')", code="agreement.invalid_pointer"
        )
    tokens = pointer[1:].split("/")
    for token in tokens:
        if re.search(r"~(?![01])", token):
            raise MappingError(
                f"{pointer!r}: '~' must be followed by 0 or 1 (RFC 6901 §3)", code="agreement.invalid_pointer"
            )
    # RFC 6901 §4: "first transforming any occurrence of ~1 to /, and then transforming any occurrence of ~0 to ~"
    return [t.replace("~1", "/").replace("~0", "~") for t in tokens]


def escape_token(token: str) -> str:
    """RFC 6901 §3 escaping of one reference token."""
    return token.replace("~", "~0").replace("/", "~1")


def resolve_pointer(record: Any, pointer: str) -> Any:
    """The value ``pointer`` (RFC 6901) names in ``record``, or :data:`ABSENT` when it names nothing.

    Array tokens must be decimal indexes without leading zeros (RFC 6901 §4); ``-`` names nothing.
    """
    node = record
    for token in split_pointer(pointer):
        if isinstance(node, dict):
            if token not in node:
                return ABSENT
            node = node[token]
        elif isinstance(node, list):
            if not _ARRAY_INDEX.match(token) or int(token) >= len(node):
                return ABSENT
            node = node[int(token)]
        else:
            return ABSENT
    return node


def resolve_each(record: Any, pointer: str) -> list[tuple[str, Any]]:
    """Every (concrete pointer, value) ``pointer`` names in ``record``, :data:`EACH` over an array fanning out to
    each element in order; a value is :data:`ABSENT` where its pointer names nothing. An empty array gives no
    pair, so a caller tells "no element" from "absent"."""
    out = [("", record)]
    for token in split_pointer(pointer):
        nxt: list[tuple[str, Any]] = []
        for where, node in out:
            if node is ABSENT:
                nxt.append((f"{where}/{escape_token(token)}", ABSENT))
            elif token == EACH and isinstance(node, list):
                nxt.extend((f"{where}/{i}", item) for i, item in enumerate(node))
            else:
                nxt.append((f"{where}/{escape_token(token)}", resolve_pointer(node, "/" + escape_token(token))))
        out = nxt
    return out


def fields_of_schema(schema: dict[str, Any]) -> Callable[[str], bool]:
    """A ``known_fields`` predicate: does ``pointer`` name a member the JSON Schema ``schema`` allows?

    Walks ``properties``; then ``additionalProperties`` (when an object schema, checking ``propertyNames``'s
    ``enum`` or ``pattern``); then ``items`` for array indexes. A ``$ref`` is a leaf (the label schema's refs
    all name scalar types), so a pointer going deeper through one is unknown.
    """

    def known(pointer: str) -> bool:
        try:
            tokens = split_pointer(pointer)
        except MappingError:
            return False
        if not tokens:
            return False
        node: Any = schema
        for token in tokens:
            if not isinstance(node, dict):
                return False
            props = node.get("properties", {})
            extra = node.get("additionalProperties")
            if token in props:
                node = props[token]
            elif isinstance(extra, dict):
                names = node.get("propertyNames", {})
                if "enum" in names and token not in names["enum"]:
                    return False
                if "pattern" in names and not re.search(names["pattern"], token):
                    return False
                node = extra
            elif "items" in node and isinstance(node["items"], dict):
                if not _ARRAY_INDEX.match(token) and token != EACH:
                    return False
                node = node["items"]
            else:
                return False
        return True

    return known


__all__ = ["ABSENT", "EACH", "escape_token", "fields_of_schema", "resolve_each", "resolve_pointer", "split_pointer"]
