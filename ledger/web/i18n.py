"""The pages' languages, their message catalogue, and how a request picks its language.

Three languages: English (``en``), Simplified Chinese (``zh-Hans``: mainland China, Singapore) and Traditional
Chinese (``zh-Hant``: Hong Kong, Taiwan, Macao). Every string a page shows is in the catalogue under
``ledger/web/locale/``: ``messages.pot`` holds the English source, one ``.po`` file per other language its
translation, each entry keyed by ``msgctxt`` (docs/translating.md says how to edit them). The catalogue is read
once, strictly (:mod:`ledger.web.po_files`): a malformed file, a translation of another English text than the
source's, or a translation whose ``{placeholders}`` differ from the English stops the pages at start.

A request's language: ``?lang=`` wins (``en``; ``zh``, ``zh-hans``, ``zh-cn``, ``zh-sg``; ``zh-hant``,
``zh-hk``, ``zh-tw``, ``zh-mo``); otherwise the first supported language in Accept-Language by q-value (zh-HK,
zh-TW, zh-MO and zh-Hant* are Traditional; zh-CN, zh-SG, zh-Hans* and bare zh Simplified); otherwise English.
Names that come from records (products, schemes) are shown as recorded: ``name_zh`` for both Chinese variants,
``name_zh_hant`` for Traditional only where a record has one.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from starlette.requests import Request

from mapping.errors import ConfigError

from .po_files import read_po

__all__ = [
    "EN",
    "LANGS",
    "LANGUAGE_NAMES",
    "LANG_PARAM",
    "ZH",
    "ZH_HANS",
    "ZH_HANT",
    "Catalogue",
    "catalogue",
    "choose_lang",
    "is_chinese",
    "keys",
    "load_catalogue",
    "placeholders",
    "tag_lang",
    "translator",
]

EN, ZH_HANS, ZH_HANT = "en", "zh-Hans", "zh-Hant"
ZH = ZH_HANS  # the name older callers use for Simplified Chinese
LANGS = (EN, ZH_HANS, ZH_HANT)
LANGUAGE_NAMES = {EN: "English", ZH_HANS: "简体中文", ZH_HANT: "繁體中文"}  # each in its own language
LANG_PARAM = {EN: "en", ZH_HANS: "zh", ZH_HANT: "zh-hant"}  # what ?lang= carries on links
PO_FILES = {ZH_HANS: "zh_Hans.po", ZH_HANT: "zh_Hant.po"}
LOCALE_DIR = Path(__file__).parent / "locale"
_HANT_REGIONS = ("hk", "tw", "mo")
QUERY_VALUES = {
    "en": EN,
    **{v: ZH_HANS for v in ("zh", "zh-hans", "zh-cn", "zh-sg")},
    **{v: ZH_HANT for v in ("zh-hant", "zh-hk", "zh-tw", "zh-mo")},
}


def is_chinese(lang: str) -> bool:
    return lang in (ZH_HANS, ZH_HANT)


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of ``text``; ValueError when its braces are not a format string."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@dataclass(frozen=True, eq=False)  # compared (and cached) by identity
class Catalogue:
    """Every key's English text, and each other language's translations (keys it has not translated are absent:
    the pages show the English)."""

    english: Mapping[str, str]
    translations: Mapping[str, Mapping[str, str]]


def _check_placeholders(source: str, line: int, key: str, english: str, text: str) -> None:
    try:
        same = placeholders(english) == placeholders(text)
    except ValueError as e:
        raise ConfigError(f"{source}:{line}: {key}: {e}", code="catalogue.invalid", field=f"{source}:{line}") from e
    if not same:
        raise ConfigError(
            f"{source}:{line}: {key}: the translation's placeholders {sorted(placeholders(text))} are not the "
            f"English text's {sorted(placeholders(english))}",
            code="catalogue.invalid",
            field=f"{source}:{line}",
        )


def load_catalogue(directory: Path = LOCALE_DIR) -> Catalogue:
    """Read ``messages.pot`` and each language's PO file from ``directory``; :class:`ConfigError`
    (``catalogue.invalid``) on the first fault found."""
    _, source = read_po((directory / "messages.pot").read_text(encoding="utf-8"), "messages.pot")
    english = {k: m.english for k, m in source.items()}
    for k, text in english.items():
        _check_placeholders("messages.pot", source[k].line, k, text, text)
    translations: dict[str, dict[str, str]] = {}
    for lang, name in PO_FILES.items():
        _, messages = read_po((directory / name).read_text(encoding="utf-8"), name)
        texts: dict[str, str] = {}
        for k, m in messages.items():
            if k not in english:
                raise ConfigError(f"{name}:{m.line}: key {k!r} is not in messages.pot", code="catalogue.invalid")
            if m.english != english[k]:
                raise ConfigError(
                    f"{name}:{m.line}: {k}: msgid is not the English text of messages.pot (translate the new "
                    f"text, e.g. after msgmerge): {m.english[:60]!r}",
                    code="catalogue.invalid",
                    field=f"{name}:{m.line}",
                )
            if m.text and not m.fuzzy:
                _check_placeholders(name, m.line, k, m.english, m.text)
                texts[k] = m.text
        translations[lang] = texts
    return Catalogue(english, translations)


@cache
def catalogue() -> Catalogue:
    """The shipped catalogue, read on first use (:class:`ledger.web.render.Pages` reads it at start)."""
    return load_catalogue()


def translator(lang: str, book: Catalogue | None = None) -> Callable[..., str]:
    """``t(key, default=None, **values)``: the string for ``key`` in ``lang`` (English where the language has no
    translation) with ``{name}`` fields filled in; ``default``, else the key itself, when no language has it."""
    book = book or catalogue()
    english, texts = book.english, book.translations.get(lang, {})

    def t(key: str, /, default: str | None = None, **values: object) -> str:
        text = texts.get(key) or english.get(key)
        if text is None:
            return key if default is None else default
        return text.format(**values) if values else text

    return t


def keys() -> frozenset[str]:
    return frozenset(catalogue().english)


def choose_lang(request: Request) -> tuple[str, bool]:
    """The page language and whether the query chose it (then links carry it on)."""
    asked = request.query_params.get("lang", "").strip().lower().replace("_", "-")
    if asked in QUERY_VALUES:
        return QUERY_VALUES[asked], True
    return _from_accept_language(request.headers.get("accept-language", "")), False


def tag_lang(tag: str) -> str | None:
    """The supported language of one BCP 47 tag (lower case), or None: a script subtag decides, then a region."""
    parts = tag.replace("_", "-").split("-")
    if parts[0] == "en":
        return EN
    if parts[0] != "zh":
        return None
    rest = parts[1:]
    if "hant" in rest:
        return ZH_HANT
    if "hans" in rest:
        return ZH_HANS
    return ZH_HANT if any(p in _HANT_REGIONS for p in rest) else ZH_HANS


def _from_accept_language(header: str) -> str:
    best, best_q = EN, -1.0
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        q = 1.0
        for p in params.split(";"):
            name, _, value = p.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q <= 0 or not tag:
            continue
        lang = tag_lang(tag)
        if lang is not None and q > best_q:  # on ties the earlier tag wins: the header lists preference order
            best, best_q = lang, q
    return best
