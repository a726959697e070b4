"""Agreement titles in Chinese (issue 19): the terms' optional ``title_zh`` and ``title_zh_hant``.

The faults guarded: the Chinese agreement pages showed every agreement's title in English, since terms had no
Chinese title; a new optional member that a parser filled in (or a hash that covered a default) would change the
terms hash of every agreement signed before it; a title_zh that is not text, or is too long, must be refused.
A zh-Hant page shows ``title_zh_hant``, else ``title_zh``, else ``title``; a zh-Hans page ``title_zh``, else
``title``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from fastapi.testclient import TestClient

from ledger.api import create_app
from ledger.log import Log
from ledger.store import Store
from mapping.errors import MappingError, SchemaError
from verifier import schemas
from verifier.agreements import check_propose_payload, parse_proposed_terms, terms_hash
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .helpers import NOW
from .test_agreements_ledger import CT, GD, HK, JP, World, terms
from .test_agreements_terms import KNOWN_CONVERSIONS

AGREEMENTS = Path(__file__).parent.parent / "mapping" / "data" / "agreements"
SHIPPED = sorted(AGREEMENTS.glob("*.json"))
CHINESE_TITLES = ("title_zh", "title_zh_hant")
HAN = re.compile(r"[\u3400-\u9fff]")


def _without_chinese_titles(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in CHINESE_TITLES}


# ---- the shipped terms -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_demo_agreement_has_a_chinese_title_in_both_scripts(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    simplified, traditional = doc["title_zh"], doc["title_zh_hant"]
    assert HAN.search(simplified) and HAN.search(traditional) and simplified != traditional
    assert len(simplified) == len(traditional)  # a character-for-character form, no official Traditional title
    for s, t in zip(simplified, traditional, strict=True):
        assert s == t or (HAN.match(s) and HAN.match(t)), (s, t)  # only Chinese characters change script
    assert "(illustrative)" in doc["title"] and simplified.endswith("（示例）") and traditional.endswith("（示例）")


# ---- the terms hash ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_terms_without_a_chinese_title_keep_their_hash(path: Path) -> None:
    """A terms file without the new members hashes to the RFC 8785 bytes of exactly its own members: nothing
    fills in an absent title, so an agreement signed before the members existed keeps its hash."""
    with_titles = json.loads(path.read_text(encoding="utf-8"))
    without = _without_chinese_titles(with_titles)
    assert set(with_titles) - set(without) == set(CHINESE_TITLES)
    canonical = rfc8785.dumps(without)
    assert b"title_zh" not in canonical
    assert terms_hash(without) == hashlib.sha256(canonical).hexdigest()
    assert terms_hash(with_titles) != terms_hash(without)  # present, the titles are signed like every member
    for doc in (without, with_titles):
        body = {"terms": doc, "terms_hash": terms_hash(doc)}
        check_propose_payload(body)
        parsed = parse_proposed_terms(body, known_conversions=KNOWN_CONVERSIONS)
        assert parsed.document == doc and terms_hash(parsed.document) == body["terms_hash"]
        schemas.validate("agreement-terms", doc)


# ---- refused titles ----------------------------------------------------------------------------------------------
BAD_TITLES = [(key, bad) for key in CHINESE_TITLES for bad in (7, ["广东"], None, "", "碳" * 501)]


@pytest.mark.parametrize(("key", "bad"), BAD_TITLES, ids=lambda v: repr(v)[:12])
def test_a_chinese_title_not_text_or_too_long_is_refused_by_the_schema(key: str, bad: Any) -> None:
    doc = {**terms("gd-hk-mutual"), key: bad}
    with pytest.raises(SchemaError) as e:
        schemas.validate("agreement-terms", doc)
    assert e.value.code == "schema.invalid" and e.value.field == f"/{key}", e.value


@pytest.mark.parametrize(("key", "bad"), [(k, b) for k, b in BAD_TITLES if b != "碳" * 501], ids=repr)
def test_the_terms_parser_refuses_the_same_titles(key: str, bad: Any) -> None:
    doc = {**terms("gd-hk-mutual"), key: bad}
    with pytest.raises(MappingError) as e:
        parse_proposed_terms({"terms": doc, "terms_hash": terms_hash(doc)}, known_conversions=KNOWN_CONVERSIONS)
    assert e.value.code == "agreement.invalid_terms" and e.value.field == f"/terms/{key}", e.value


# ---- the pages ---------------------------------------------------------------------------------------------------
MUTUAL, ONE_WAY, PLAIN = "gd-hk-mutual", "gd-to-carbontrust-ar6", "gd-ct-untitled"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('agreement-titles') / 'ledger.db'}")
    key = SigningKey.generate()
    log = Log(store, key, "agreement-titles.test/log", Policy(frozenset({GD, HK, CT, JP})), lambda: NOW)
    w = World(log, key)
    w.propose(GD, terms(MUTUAL))  # both Chinese titles
    w.propose(GD, {k: v for k, v in terms(ONE_WAY).items() if k != "title_zh_hant"})  # Simplified only
    w.propose(GD, _without_chinese_titles(terms(ONE_WAY, id=PLAIN)))  # English only
    try:
        with TestClient(create_app(log)) as c:
            yield c
    finally:
        store.close()


def _heading(html: str) -> tuple[str, str]:
    """The agreement page's <h1>: (its lang attribute, its text)."""
    m = re.search(r'<h1 lang="([^"]+)">(.*?)</h1>', html, re.DOTALL)
    assert m, "the agreement page's heading states no title"
    return m.group(1), unescape(m.group(2)).strip()


@pytest.mark.parametrize(
    ("lang", "field", "tag"), [("zh", "title_zh", "zh-Hans"), ("zh-hant", "title_zh_hant", "zh-Hant")]
)
def test_a_chinese_agreement_page_shows_the_chinese_title(client: TestClient, lang: str, field: str, tag: str) -> None:
    html = client.get(f"/agreements/{MUTUAL}", params={"lang": lang}).text
    assert _heading(html) == (tag, terms(MUTUAL)[field])
    assert terms(MUTUAL)["title"] not in html


def _shown(client: TestClient, agreement_id: str, lang: str) -> tuple[str, str]:
    return _heading(client.get(f"/agreements/{agreement_id}", params={"lang": lang}).text)


def test_zh_hant_falls_back_to_title_zh_then_to_title(client: TestClient) -> None:
    assert _shown(client, ONE_WAY, "zh-hant") == ("zh-Hans", terms(ONE_WAY)["title_zh"])
    for lang in ("zh", "zh-hant"):
        assert _shown(client, PLAIN, lang) == ("en", terms(ONE_WAY)["title"])


def test_the_english_page_keeps_the_english_title(client: TestClient) -> None:
    html = client.get(f"/agreements/{MUTUAL}", params={"lang": "en"}).text
    assert _heading(html) == ("en", terms(MUTUAL)["title"]) and not HAN.search(_heading(html)[1])


@pytest.mark.parametrize(("lang", "field"), [("zh", "title_zh"), ("zh-hant", "title_zh_hant")])
def test_the_list_of_agreements_shows_the_chinese_titles(client: TestClient, lang: str, field: str) -> None:
    html = client.get("/agreements", params={"lang": lang}).text
    hints = [unescape(h) for h in re.findall(r'<p class="hint" lang="[^"]+">([^<]*)</p>', html)]
    assert terms(MUTUAL)[field] in hints and terms(ONE_WAY)["title_zh"] in hints
    assert terms(MUTUAL)["title"] not in hints and terms(ONE_WAY)["title"] in hints  # the untitled one: English
