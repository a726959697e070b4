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
from .i18n import EN, ZH, choose_lang, translator

__all__ = ["TEMPLATES_DIR", "Pages", "localized", "make_environment", "size_text"]

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
    if not obj:
        return None
    if lang == ZH and obj.get(f"{key}_zh"):
        return obj[f"{key}_zh"]
    return obj.get(key)


class Pages:
    """Renders pages for one log; the language comes from each request."""

    def __init__(self, reads: Reads) -> None:
        self.reads = reads
        self.env = make_environment()

    def render(self, request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        lang, chosen = choose_lang(request)
        root = request.scope.get("root_path", "")
        lang_param = ("zh" if lang == ZH else "en") if chosen else None

        def url(path: str, **params: Any) -> str:
            clean = {k: v for k, v in params.items() if v not in (None, "")}
            if lang_param:
                clean["lang"] = lang_param
            return root + path + ("?" + urlencode(clean) if clean else "")

        other = {k: v for k, v in request.query_params.multi_items() if k != "lang"}
        switch = [*other.items(), ("lang", "en" if lang == ZH else "zh")]
        html = self.env.get_template(template).render(
            lang=lang,
            other_lang=EN if lang == ZH else ZH,
            lang_param=lang_param,
            t=translator(lang),
            url=url,
            static=lambda name: f"{root}/static/{name}",
            switch_url=root + request.url.path + "?" + urlencode(switch),
            scheme_name=self.scheme_namer(lang),
            **context,
        )
        return HTMLResponse(
            html, status_code=status_code, headers={"Vary": "Accept-Language", "Content-Language": lang}
        )

    def scheme_namer(self, lang: str) -> Callable[[str | None], str]:
        """A function giving a scheme's display name in ``lang`` (its id when the log does not know it)."""
        names = {s.scheme_id: s.display_name(lang) for s in self.reads.schemes()}
        return lambda scheme_id: "—" if scheme_id is None else names.get(scheme_id, scheme_id)

    def not_found(self, request: Request, message: str) -> HTMLResponse:
        return self.render(request, "error.html", status_code=404, message=message)

    def bad_request(self, request: Request, message: str) -> HTMLResponse:
        return self.render(request, "error.html", status_code=400, message=message)
