"""Small wording faults of the pages and the demo schemes' Traditional names (issue 19 follow-up).

The faults guarded: zh-Hant readers saw the Simplified names the demo registered (广东碳标签) because a
registration could not state a Traditional one; Chinese pages wrote ASCII colons after Chinese words (结论: 真实);
the English page of a superseded label said its status twice in a row (``superseded ✗ Superseded``), and a
revoked label's banner ``Revoked`` then ``Revoked on {date}``; Chinese pages wrapped the exit code in ASCII
parentheses (``(退出码 0：…)``).
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger.api import create_app
from ledger.demo_story import DEMO_SCHEMES, DEMO_TRADITIONAL, GD, HK, MIDEA_ID
from ledger.log import Log
from ledger.reads import SchemeInfo
from ledger.store import Store
from ledger.web.i18n import ZH_HANS, ZH_HANT
from ledger.web.scheme_names import scheme_display_name
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .helpers import NOW, Signer, label_for

# The Simplified → Traditional pairs of the characters the demo's names change (every other character is shared).
TRADITIONAL_OF = dict(zip("广东签华厂联会检标国统产迹识", "廣東籤華廠聯會檢標國統產跡識", strict=True))


@pytest.fixture(scope="module")
def client(demo_pages: TestClient) -> TestClient:
    return demo_pages


def main_text(html: str) -> str:
    """The words a reader sees in the page's <main>, tags as spaces (code and commands left out)."""
    body = re.search(r"<main\b.*?</main>", html, re.DOTALL)
    assert body, "no <main> on the page"
    text = re.sub(r"<(script|style|code|pre)\b.*?</\1>", " ", body.group(0), flags=re.DOTALL)  # words, not code
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", text)))


def test_every_demo_traditional_name_is_the_registered_name_in_traditional_characters() -> None:
    for _, _, simplified, _ in DEMO_SCHEMES:
        if simplified is None:
            continue
        traditional = DEMO_TRADITIONAL[simplified]
        assert len(traditional) == len(simplified), simplified
        for s, t in zip(simplified, traditional, strict=True):
            assert t == TRADITIONAL_OF.get(s, s), (simplified, s, t)


def test_zh_hant_pages_name_the_demo_schemes_in_traditional(client: TestClient) -> None:
    schemes = {s["id"]: s for s in client.get("/v1/schemes", params={"limit": 100}).json()}
    assert schemes[GD]["name_zh_hant"] == "廣東碳標籤" and schemes[GD]["name_zh"] == "广东碳标签"
    label = client.get(f"/labels/{GD}/{MIDEA_ID}", params={"lang": "zh-hant"}).text
    agreements = client.get("/agreements", params={"lang": "zh-hant"}).text
    for page in (label, agreements):
        assert "廣東碳標籤" in page and "广东碳标签" not in page
    assert "香港中華廠商聯合會檢定中心碳標籤" in agreements and "香港中华厂商联合会检定中心碳标签" not in agreements
    assert "广东碳标签" in client.get("/agreements", params={"lang": "zh"}).text


def test_a_scheme_registered_without_a_traditional_name_keeps_its_name_as_registered() -> None:
    """A demo home of an earlier version registered its schemes with ``name_zh`` only: no name is converted."""
    old = SchemeInfo(GD, "Guangdong carbon label", "广东碳标签", "scheme", "CN", "k", 0)
    assert scheme_display_name(old, ZH_HANT, {}) == "广东碳标签"
    new = SchemeInfo(
        HK, "HK", "香港中华厂商联合会检定中心碳标签", "scheme", "HK", "k", 1, "香港中華廠商聯合會檢定中心碳標籤"
    )
    assert scheme_display_name(new, ZH_HANT, {}) == "香港中華廠商聯合會檢定中心碳標籤"
    assert scheme_display_name(new, ZH_HANS, {}) == "香港中华厂商联合会检定中心碳标签"


PAGES = ["/", "/schemes", "/agreements", "/log", "/datasets", "/labels", f"/labels/{GD}/{MIDEA_ID}",
         f"/labels/{GD}/{MIDEA_ID}?to={HK}", f"/schemes/compare?a={GD}&b=cn-cnca-cfp-label"]  # fmt: skip


@pytest.mark.parametrize("lang", ["zh", "zh-hant"])
def test_chinese_pages_write_no_ascii_colon_after_a_chinese_word(client: TestClient, lang: str) -> None:
    for page in PAGES:
        r = client.get(page, params={"lang": lang})
        assert r.status_code == 200, page
        text = main_text(r.text)
        found = re.findall(r".{0,12}[\u3400-\u9fff\uff09]:.{0,12}", text)
        assert not found, (page, found)
        assert not re.search(r"在 \S+ 制度下", text), page  # no spaces around an embedded name


@pytest.mark.parametrize("lang", ["zh", "zh-hant"])
def test_chinese_pages_wrap_the_exit_code_in_full_width_parentheses(client: TestClient, lang: str) -> None:
    label = main_text(client.get(f"/labels/{GD}/{MIDEA_ID}", params={"lang": lang}).text)
    exits = re.findall(r".?(?:退出码|結束代碼) \d+：[^）)]*.?", label)
    assert exits, label  # the label page's server check shows its exit code
    assert all(e.startswith("（") and e.endswith("）") for e in exits), exits  # not "(退出码 0：…)"


REPEATED = r"(?i)\b([a-z]{3,})\W+\1\b"


@pytest.mark.parametrize("status", ["superseded", "revoked"])
def test_the_english_page_of_a_superseded_or_revoked_label_says_no_word_twice(tmp_path: Path, status: str) -> None:
    """A superseded label's pill and heading said ``superseded ✗ Superseded``; a revoked label's banner said
    ``Revoked`` then ``Revoked on {date}``."""
    store = Store(f"sqlite:///{tmp_path / 'ledger.db'}")
    log = Log(store, SigningKey.generate(), "wording.test/log", Policy(frozenset({GD})), lambda: NOW)
    root, cqc = Signer(), Signer()
    log.submit(root.register(GD))
    log.submit(root.authorize(GD, cqc, kinds=["label.issue", "label.revoke", "label.supersede"]))
    first, second = log.submit(cqc.issue(label_for(GD, "W-FIRST"))), log.submit(cqc.issue(label_for(GD, "W-NEXT")))
    ref = {"scheme": GD, "label_id": "W-FIRST", "label_entry": first.entry_id}
    if status == "superseded":
        log.submit(cqc.sign("label.supersede", {**ref, "replacement_entry": second.entry_id, "reason": "new data"}))
    else:
        log.submit(cqc.sign("label.revoke", {**ref, "reason": "refrigerant mass misstated"}))
    try:
        with TestClient(create_app(log)) as c:
            html = c.get(f"/labels/{GD}/W-FIRST", params={"lang": "en"}).text
    finally:
        store.close()
    assert f"banner-{status}" in html
    assert not re.findall(REPEATED, main_text(html))
