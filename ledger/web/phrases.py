"""Free text the pages show from other layers — the verifier's step details, the equivalence reasons, the diff's
reasons, a conversion's trail — translated by pattern from the catalogue's ``say.*`` entries.

The verifier, the mapping layer and the read layer write their sentences in English (the CLI prints them as
they are; ``verifier/`` never imports ``ledger/``). Each ``say.*`` entry's English text is a pattern: its literal
words must match exactly and each ``{placeholder}`` takes the value there (an id, a number, a date), which the
translation repeats. A text no pattern matches whole is split at ``"; "`` and each run of clauses translated on
its own (the longest run a pattern matches first); a clause no pattern knows stays English, as written.

Some placeholders are translated themselves: a name in :data:`TYPED` is looked up under its vocabulary prefix
(``{stage}`` as ``stage.<value>``, ``{verdict}`` as ``verdict.<value>``); a name ending ``_text`` is itself a
phrase; one ending ``_list`` is a comma-separated list of phrases.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

from .i18n import EN, Catalogue, catalogue, translator

__all__ = ["PREFIX", "TYPED", "Phrasebook", "phrase_translator", "phrasebook"]

PREFIX = "say."
TYPED = {
    "verdict": "verdict",
    "status": "status",
    "astatus": "astatus",
    "stage": "stage",
    "gas": "gas",
    "what": "what",
    "kind": "kind",  # an entry's kind: label.revoke
}
_WORD = r"[\w.-]+"  # a vocabulary value: verdicts, statuses, stage and gas names
_VALUE = r"(?:(?!; ).)+?"  # one value: never across a clause separator
_ANY = r".+?"  # a ``_text`` or ``_list`` placeholder: a phrase of its own, clauses and all
_SEPARATOR = {EN: "; "}
_LIST_SEPARATOR = {EN: ", "}


@dataclass(frozen=True)
class _Pattern:
    key: str
    regex: re.Pattern[str]
    literal: int  # how many characters the pattern fixes: longer patterns are tried first


def _compile(key: str, english: str) -> _Pattern:
    parts, seen, literal = [], set(), 0
    for text, name, _, _ in string.Formatter().parse(english):
        parts.append(re.escape(text))
        literal += len(text)
        if name is None:
            continue
        if name in seen:
            parts.append(f"(?P={name})")
        else:
            seen.add(name)
            kind = _WORD if name in TYPED else _ANY if name.endswith(("_text", "_list")) else _VALUE
            parts.append(f"(?P<{name}>{kind})")
    return _Pattern(key, re.compile("".join(parts), re.DOTALL), literal)


class Phrasebook:
    """The ``say.*`` patterns of one catalogue, most specific first."""

    def __init__(self, english: Mapping[str, str]) -> None:
        patterns = [_compile(k, v) for k, v in english.items() if k.startswith(PREFIX)]
        self.patterns = sorted(patterns, key=lambda p: (-p.literal, p.regex.groups, p.key))

    def match(self, text: str) -> tuple[str, dict[str, str]] | None:
        """The key and values of the first pattern ``text`` matches whole, or None."""
        for p in self.patterns:
            m = p.regex.fullmatch(text)
            if m is not None:
                return p.key, m.groupdict()
        return None


@cache
def _book_of(book: Catalogue) -> Phrasebook:
    return Phrasebook(book.english)


def phrasebook() -> Phrasebook:
    return _book_of(catalogue())


def phrase_translator(lang: str, book: Catalogue | None = None) -> Callable[[object], str]:
    """``say(text)``: ``text`` in ``lang``, clause by clause (English text is returned as it is)."""
    book = book or catalogue()
    if lang == EN:
        return lambda text: "" if text is None else str(text)
    t, phrases = translator(lang, book), _book_of(book)
    separator, list_separator = _SEPARATOR.get(lang, "；"), _LIST_SEPARATOR.get(lang, "、")

    def value(name: str, found: str) -> str:
        if name.endswith("_text"):
            return say(found)
        if name.endswith("_list"):
            return list_separator.join(say(x) for x in found.split(", "))
        if name in TYPED:
            return t(f"{TYPED[name]}.{found}", default=found)
        return found

    def whole(text: str) -> str | None:
        hit = phrases.match(text)
        if hit is None:
            return None
        key, found = hit
        return t(key, **{name: value(name, v) for name, v in found.items()})

    def say(text: object) -> str:
        if text is None:
            return ""
        text = str(text)
        done = whole(text)
        if done is not None:
            return done
        clauses = text.split("; ")
        if len(clauses) == 1:
            return text
        out, i = [], 0
        while i < len(clauses):
            for j in range(len(clauses), i, -1):  # the longest run of clauses a pattern knows
                done = whole("; ".join(clauses[i:j]))
                if done is not None:
                    out.append(done)
                    i = j
                    break
            else:
                out.append(clauses[i])
                i += 1
        return separator.join(out)

    return say
