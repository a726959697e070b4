"""Scheme and profile names in a page's language, as their records state them (issue 19: Hong Kong readers).

A scheme's registration in the log (``scheme.register``) names it in English (``name``) and Chinese
(``name_zh``), and may add the Traditional form (``name_zh_hant``): a zh-Hant page shows that first. A shipped
methodology profile (``mapping/data/profiles/<id>.json``) names itself the same way and may add ``name_zh_hant``
(its README says where each comes from). A registration without a Traditional name gets its profile's when the
profile gives one for the very name registered (the profile's ``name_zh`` is the registration's): the same name,
in the other script. Otherwise both Chinese variants see ``name_zh`` as registered, and a scheme with none its
English name; nothing converts a name.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from mapping.profiles import Profile, list_profiles

from ..reads import SchemeInfo
from .i18n import ZH_HANT, is_chinese

__all__ = ["chinese_scheme_name", "profile_name", "scheme_display_name", "traditional_forms"]


def profile_name(profile: Profile, lang: str) -> str:
    """A shipped profile's name in ``lang``: ``name_zh_hant`` first for Traditional, ``name_zh`` for either
    Chinese, else ``name`` (else its id)."""
    fields = (["name_zh_hant"] if lang == ZH_HANT else []) + (["name_zh"] if is_chinese(lang) else []) + ["name"]
    return next((v for v in (getattr(profile, f) for f in fields) if v), profile.id)


@cache
def traditional_forms() -> Mapping[str, tuple[str, str]]:
    """Profile id → (``name_zh``, ``name_zh_hant``) of every shipped profile stating both."""
    out: dict[str, tuple[str, str]] = {}
    for p in list_profiles():
        if p.name_zh and p.name_zh_hant:
            out[p.id] = (p.name_zh, p.name_zh_hant)
    return out


def chinese_scheme_name(info: SchemeInfo, lang: str, forms: Mapping[str, tuple[str, str]] | None = None) -> str | None:
    """The registered scheme's Chinese name for a ``lang`` page (module docstring), or None when it has none."""
    if not info.name_zh:
        return None
    if lang == ZH_HANT:
        if info.name_zh_hant:
            return info.name_zh_hant
        simplified, traditional = (traditional_forms() if forms is None else forms).get(info.scheme_id, ("", ""))
        if simplified == info.name_zh:
            return traditional
    return info.name_zh


def scheme_display_name(info: SchemeInfo, lang: str, forms: Mapping[str, tuple[str, str]] | None = None) -> str:
    """What a ``lang`` page calls the registered scheme: its Chinese name on a Chinese page, where it has one."""
    return (chinese_scheme_name(info, lang, forms) if is_chinese(lang) else None) or info.name
