"""What changed from one version of an agreement's terms to the next, each difference named by a JSON pointer.

The agreement page's timeline shows these beside every revision and counter-proposal, so a reader sees what a
party asked to change without reading two terms documents side by side.

Objects are compared member by member. A list of objects is compared item by item when one member (or pair of
members) names each item uniquely in both lists — ``field`` (then ``field`` and ``op``) for conditions,
``dataset`` (then ``dataset`` and ``version``) for dataset pins, ``id`` otherwise — so a condition added in the
middle is one addition, not a shifted list; each such change carries ``item``, the key of the item it is in. Any
other list, and any value of another type, is compared as a whole. ``id`` and ``version`` at the top are left out:
every new version changes the version, and none can change the id.

A pointer (RFC 6901) points into the version the value is in: the later one for ``added`` and ``changed``, the
earlier one for ``removed``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["CHANGES", "TermsChange", "terms_changes"]

CHANGES = ("added", "removed", "changed")
_SKIPPED = frozenset({"id", "version"})
_ITEM_KEYS: tuple[tuple[str, ...], ...] = (("field",), ("field", "op"), ("dataset",), ("dataset", "version"), ("id",))


@dataclass(frozen=True)
class TermsChange:
    """One difference: where (``pointer``), what happened (one of :data:`CHANGES`), the values before and after
    (None for the side that lacks it) and, inside a keyed list, the key of the item (``"/claim/type"``)."""

    pointer: str
    change: str
    before: Any
    after: Any
    item: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def terms_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[TermsChange]:
    """Every difference from the terms ``before`` to the terms ``after``, in the later document's member order
    (removed members last)."""
    out: list[TermsChange] = []
    _objects(
        {k: v for k, v in before.items() if k not in _SKIPPED},
        {k: v for k, v in after.items() if k not in _SKIPPED},
        "",
        None,
        out,
    )
    return out


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _compare(a: Any, b: Any, pointer: str, item: str | None, out: list[TermsChange]) -> None:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        _objects(a, b, pointer, item, out)
        return
    if _is_list(a) and _is_list(b):
        key = _item_key(a, b)
        if key is not None:
            _keyed_lists(a, b, key, pointer, out)
            return
    if a != b or type(a) is not type(b):
        out.append(TermsChange(pointer, "changed", a, b, item))


def _objects(
    a: Mapping[str, Any], b: Mapping[str, Any], pointer: str, item: str | None, out: list[TermsChange]
) -> None:
    for name, value in b.items():
        where = f"{pointer}/{_escape(name)}"
        if name in a:
            _compare(a[name], value, where, item, out)
        else:
            out.append(TermsChange(where, "added", None, value, item))
    for name, value in a.items():
        if name not in b:
            out.append(TermsChange(f"{pointer}/{_escape(name)}", "removed", value, None, item))


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _item_key(a: Sequence[Any], b: Sequence[Any]) -> tuple[str, ...] | None:
    """The first key of :data:`_ITEM_KEYS` naming every object of both lists uniquely, or None."""
    items = [*a, *b]
    if not items or not all(isinstance(x, Mapping) for x in items):
        return None
    for key in _ITEM_KEYS:
        if all(all(k in x and isinstance(x[k], str | int) for k in key) for x in items):
            if len({_key_of(x, key) for x in a}) == len(a) and len({_key_of(x, key) for x in b}) == len(b):
                return key
    return None


def _key_of(x: Mapping[str, Any], key: tuple[str, ...]) -> str:
    return " ".join(str(x[k]) for k in key)


def _keyed_lists(
    a: Sequence[Any], b: Sequence[Any], key: tuple[str, ...], pointer: str, out: list[TermsChange]
) -> None:
    earlier = {_key_of(x, key): (i, x) for i, x in enumerate(a)}
    later = {_key_of(x, key) for x in b}
    for j, x in enumerate(b):
        name = _key_of(x, key)
        if name in earlier:
            _compare(earlier[name][1], x, f"{pointer}/{j}", name, out)
        else:
            out.append(TermsChange(f"{pointer}/{j}", "added", None, x, name))
    for name, (i, x) in earlier.items():
        if name not in later:
            out.append(TermsChange(f"{pointer}/{i}", "removed", x, None, name))
