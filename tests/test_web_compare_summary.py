# ruff: noqa: F811  (pytest fixtures imported from test_web_pages are redefined as arguments)
"""The compare page's summary (issue 19 item 3), in-process over HTML with the shipped methodology profiles: a
count per differ class at the top, the dimensions that differ first, and the identical ones and those neither
profile specifies folded into one ``<details>`` group — every dimension shown exactly once.

The fault guarded: a wall of identical "unspecified" rows hid the few dimensions that differ (Guangdong against
Hong Kong: 15 of 18 rows are unspecified on both sides)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from mapping import diff
from mapping.differ import CLASSES
from mapping.profiles import UNSPECIFIED, get_profile

from .test_web_agreements import section, text_of
from .test_web_pages import GD, HK, anyio_backend, app, client, log, shared  # noqa: F401  (the module's fixtures)

# Unspecified walls (GD-HK), mixed classes (ISO 14067-PAS 2050), and a profile against itself: nothing differs.
PAIRS = [(GD, HK), ("iso14067-2018", "pas2050-2011"), ("en15804-a1", "en15804-a2"), ("iso14067-2018", "iso14067-2018")]


def _rows(html: str) -> list[str]:
    return re.findall(r'<th scope="row" data-dimension="([^"]+)">', html)  # the name shown is translated


def _folds(item: Any) -> bool:
    return item.cls == "identical" or (item.a == UNSPECIFIED and item.b == UNSPECIFIED)


async def _page(client: httpx.AsyncClient, a: str, b: str, **params: str) -> str:
    r = await client.get("/schemes/compare", params={"a": a, "b": b, **params})
    assert r.status_code == 200
    return r.text


@pytest.mark.anyio
@pytest.mark.parametrize(("a", "b"), PAIRS)
async def test_counts_per_class_lead_and_match_the_diff(client: httpx.AsyncClient, a: str, b: str) -> None:
    items = diff(get_profile(a), get_profile(b))
    html = await _page(client, a, b)
    counts = dict(re.findall(r'data-class="(\w+)"><strong class="count">(\d+)</strong>', section(html, "class-counts")))
    assert list(counts) == list(CLASSES)  # every class, in the differ's order, zero or not
    assert {c: int(n) for c, n in counts.items()} == {c: sum(1 for x in items if x.cls == c) for c in CLASSES}
    assert html.index('id="compare-summary"') < html.index('id="differences-h"')
    both = sum(1 for x in items if x.a == UNSPECIFIED and x.b == UNSPECIFIED)
    assert (f"{both} of them neither profile specifies" in text_of(html)) == (both > 0)


@pytest.mark.anyio
@pytest.mark.parametrize(("a", "b"), PAIRS)
async def test_differences_come_first_and_the_rest_is_folded(client: httpx.AsyncClient, a: str, b: str) -> None:
    items = diff(get_profile(a), get_profile(b))
    html = await _page(client, a, b)
    differing = [x.dimension for x in items if not _folds(x)]
    folded = [x.dimension for x in items if _folds(x)]
    if differing:
        assert _rows(section(html, "diff")) == differing
        assert html.index('id="diff"') < html.find('id="diff-folded"') or not folded
    else:
        assert 'id="diff"' not in html and "No difference" in text_of(html)
    assert folded  # every shipped pair has some (a pair without any would show no group)
    group = section(html, "diff-folded")
    assert group.startswith("<details") and "<details open" not in html  # folded until asked for
    assert f"{len(folded)} dimensions identical or unspecified on both sides" in text_of(group)
    assert _rows(group) == folded
    assert sorted(_rows(html)) == sorted(x.dimension for x in items)  # each dimension once


@pytest.mark.anyio
async def test_the_unspecified_wall_is_folded(client: httpx.AsyncClient) -> None:
    html = await _page(client, GD, HK)
    assert len(_rows(section(html, "diff"))) == 3 and len(_rows(section(html, "diff-folded"))) == 15
    assert html.count('class="cls-needs_agreement unspecified-both"') == 15


@pytest.mark.anyio
async def test_summary_in_chinese(client: httpx.AsyncClient) -> None:
    page = text_of(await _page(client, GD, HK, lang="zh"))
    for words in (
        "共比较 18 个维度",
        "需协议约定",
        "不同之处（3）",
        "15 个维度相同或两边均未规定",
        "其中 15 个维度两个档案均未规定",
    ):
        assert words in page, words
