"""Rendering a page: the Jinja environment, the language of each request, and the helpers every template uses.

:class:`Pages` renders the templates of one log's pages; what they show comes from the read layer
(:class:`ledger.reads.Reads`) — the page routes compute nothing of their own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from ..reads import Reads
from .i18n import LANG_PARAM, LANGS, LANGUAGE_NAMES, ZH_HANT, catalogue, choose_lang, is_chinese, translator
from .phrases import phrase_translator
from .scheme_names import scheme_display_name

__all__ = ["TEMPLATES_DIR", "VOCABULARIES", "Pages", "localized", "make_environment", "shown_in", "size_text"]

TEMPLATES_DIR = Path(__file__).parent / "templates"


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,  # optional record fields render empty, never a 500
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["show"] = _show
    env.filters["pathseg"] = lambda text: quote(str(text), safe="")
    env.filters["short"] = lambda text, n=16: "" if text is None else (text if len(text) <= n else text[:n] + "…")
    return env


def _show(value: Any) -> str:
    """A value of a profile or diff item as short text: strings as they are, the rest as compact JSON."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(str(v) for v in value)
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return str(value)


def size_text(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 and n % (1 << 20) == 0 else f"{n >> 10} KiB"


def localized(obj: dict[str, Any] | None, lang: str, key: str = "name") -> str | None:
    """``obj[key]`` in ``lang`` as the record states it: ``{key}_zh`` for either Chinese (``{key}_zh_hant`` first
    for Traditional, where the record has one), else ``obj[key]``; never a translation of a record's value."""
    if not obj:
        return None
    names = ([f"{key}_zh_hant"] if lang == ZH_HANT else []) + ([f"{key}_zh"] if is_chinese(lang) else [])
    return next((obj[n] for n in names if obj.get(n)), obj.get(key))


# The vocabularies a value shown in a diff cell or a dataset attribute may come from, looked up in this order.
VOCABULARIES = ("value", "boundary", "claim", "gwp", "level", "unit", "stage", "scope", "ebasis")


def shown_in(t: Callable[..., str], lang: str) -> Callable[[Any], str]:
    """``shown(value)``: a profile's or dataset's value as :func:`_show` writes it, with each word of the domain's
    vocabularies (``unspecified``, a boundary, a GWP set, …) in ``lang``; objects stay JSON."""
    joiner = "、" if is_chinese(lang) else ", "

    def word(v: str) -> str:
        for prefix in VOCABULARIES:
            found = t(f"{prefix}.{v}", default="")
            if found:
                return found
        return v

    def shown(value: Any) -> str:
        if isinstance(value, bool):
            return t("value.true" if value else "value.false")
        if isinstance(value, str):
            return word(value)
        if isinstance(value, list | tuple) and all(isinstance(v, str | int | float) for v in value):
            return joiner.join(word(v) if isinstance(v, str) else str(v) for v in value)
        return _show(value)

    return shown


class Pages:
    """Renders pages for one log; the language comes from each request."""

    def __init__(self, reads: Reads) -> None:
        self.reads = reads
        self.env = make_environment()
        catalogue()  # a malformed message catalogue stops the pages here, at start

    def render(self, request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        lang, chosen = choose_lang(request)
        root = request.scope.get("root_path", "")
        lang_param = LANG_PARAM[lang] if chosen else None

        def url(path: str, **params: Any) -> str:
            clean = {k: v for k, v in params.items() if v not in (None, "")}
            if lang_param:
                clean["lang"] = lang_param
            return root + path + ("?" + urlencode(clean) if clean else "")

        other = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
        languages = [  # the switch offers every language, each named in itself; its links keep the query
            {
                "lang": code,
                "name": LANGUAGE_NAMES[code],
                "url": root + request.url.path + "?" + urlencode([*other, ("lang", LANG_PARAM[code])]),
                "current": code == lang,
            }
            for code in LANGS
        ]
        t = translator(lang)
        html = self.env.get_template(template).render(
            lang=lang,
            languages=languages,
            lang_param=lang_param,
            t=t,
            say=phrase_translator(lang),
            shown=shown_in(t, lang),
            url=url,
            static=lambda name: f"{root}/static/{name}",
            scheme_name=self.scheme_namer(lang),
            **context,
        )
        return HTMLResponse(
            html, status_code=status_code, headers={"Vary": "Accept-Language", "Content-Language": lang}
        )

    def scheme_namer(self, lang: str) -> Callable[[str | None], str]:
        """A function giving a scheme's display name in ``lang`` (its id when the log does not know it)."""
        names = {s.scheme_id: scheme_display_name(s, lang) for s in self.reads.schemes()}
        return lambda scheme_id: "—" if scheme_id is None else names.get(scheme_id, scheme_id)

    def not_found(self, request: Request, message: str) -> HTMLResponse:
        return self.render(request, "error.html", status_code=404, message=message)

    def bad_request(self, request: Request, message: str) -> HTMLResponse:
        return self.render(request, "error.html", status_code=400, message=message, heading="error.bad_request")
