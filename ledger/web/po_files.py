"""A strict reader of the gettext PO files that hold the pages' strings (``ledger/web/locale/``).

The catalogues use the subset of the PO format that translators' tools (Poedit, Weblate, ``msgmerge``, Babel's
``pybabel update``) write for messages without plural forms: a header entry (``msgid ""``), then one entry per
page string, keyed by ``msgctxt`` (the key the pages ask for), with ``msgid`` the English text and ``msgstr``
the translation; ``#`` lines are comments, ``#,`` lines flags (a ``fuzzy`` entry is not used, as gettext does);
a string may continue on following ``"..."`` lines.

Anything else is refused with the file and line, never skipped: an unterminated or badly escaped string, an
unknown keyword (plural forms included), an entry without a key or without ``msgstr``, a key given twice, a
header that does not declare UTF-8. A catalogue that fails to load stops the web pages at start, loudly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mapping.errors import ConfigError

__all__ = ["Message", "read_po"]

_ESCAPES = {"\\": "\\", '"': '"', "n": "\n", "t": "\t"}
_KEYWORD = re.compile(r"(msgctxt|msgid|msgstr)\s+(\".*)$")


@dataclass(frozen=True)
class Message:
    key: str  # msgctxt
    english: str  # msgid
    text: str  # msgstr ("" when untranslated)
    fuzzy: bool
    line: int  # where the entry starts (1-based)


def _fail(source: str, line: int, what: str) -> ConfigError:
    return ConfigError(f"{source}:{line}: {what}", code="catalogue.invalid", field=f"{source}:{line}")


def _string(token: str, source: str, line: int) -> str:
    """The value of one quoted PO string token (the whole rest of a line)."""
    if len(token) < 2 or token[0] != '"' or token[-1] != '"':
        raise _fail(source, line, f"a string must be one quoted token: {token[:60]}")
    out, i, body = [], 0, token[1:-1]
    while i < len(body):
        c = body[i]
        if c == '"':
            raise _fail(source, line, 'an unescaped " inside a string')
        if c == "\\":
            if i + 1 >= len(body) or body[i + 1] not in _ESCAPES:
                raise _fail(source, line, f"unknown escape in a string: {body[i : i + 2]!r}")
            out.append(_ESCAPES[body[i + 1]])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _entries(text: str, source: str) -> list[tuple[int, dict[str, str], set[str]]]:
    """(first line, fields, flags) of every entry, in file order."""
    entries: list[tuple[int, dict[str, str], set[str]]] = []
    fields: dict[str, str] = {}
    flags: set[str] = set()
    start, last = 0, None

    def close() -> None:
        nonlocal fields, flags, last
        if fields:
            entries.append((start, fields, flags))
        elif flags:
            raise _fail(source, start, "flags without an entry")
        fields, flags, last = {}, set(), None

    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            close()
        elif line.startswith("#,"):
            if fields:
                raise _fail(source, n, "a flag line inside an entry (flags come before msgctxt)")
            start = start if flags else n
            flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if last is None:
                raise _fail(source, n, "a continued string with no keyword before it")
            fields[last] += _string(line, source, n)
        else:
            m = _KEYWORD.match(line)
            if m is None:
                raise _fail(source, n, f"unknown or misformed line (plural forms are not used): {line[:60]}")
            keyword = m.group(1)
            if keyword in fields:
                raise _fail(source, n, f"{keyword} twice in one entry")
            order = ("msgctxt", "msgid", "msgstr")
            if any(order.index(k) > order.index(keyword) for k in fields):
                raise _fail(source, n, f"{keyword} after {', '.join(fields)}: the order is msgctxt, msgid, msgstr")
            if not fields and not flags:
                start = n
            fields[keyword] = _string(m.group(2), source, n)
            last = keyword
    close()
    return entries


def read_po(text: str, source: str) -> tuple[dict[str, str], dict[str, Message]]:
    """The header's fields and the messages by key of one PO file's ``text`` (``source`` names it in errors);
    :class:`ConfigError` (``catalogue.invalid``) for anything malformed."""
    header: dict[str, str] | None = None
    messages: dict[str, Message] = {}
    for line, fields, flags in _entries(text, source):
        if "msgid" not in fields or "msgstr" not in fields:
            raise _fail(source, line, "an entry needs msgid and msgstr")
        if "msgctxt" not in fields:
            if header is not None or fields["msgid"] != "":
                raise _fail(source, line, "an entry without msgctxt (every page string is keyed by its msgctxt)")
            header = dict(
                (k.strip(), v.strip()) for k, _, v in (h.partition(":") for h in fields["msgstr"].split("\n") if h)
            )
            continue
        key = fields["msgctxt"]
        if key in messages:
            raise _fail(source, line, f"key {key!r} twice (first at line {messages[key].line})")
        messages[key] = Message(key, fields["msgid"], fields["msgstr"], "fuzzy" in flags, line)
    if header is None:
        raise _fail(source, 1, 'no header entry (msgid "")')
    if "charset=utf-8" not in header.get("Content-Type", "").replace(" ", "").lower():
        raise _fail(source, 1, "the header must declare Content-Type: text/plain; charset=UTF-8")
    return header, messages
