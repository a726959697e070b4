"""Every word a person sees on the pages in English, Simplified and Traditional Chinese (issue 19 item 4).

The fault guarded: a page half-translated — the chrome in Chinese, the stages, claims, boundaries, verdicts, step
details and diff dimensions in English — and Hong Kong and Taiwan readers given Simplified Chinese. Each page of
the demo home is rendered in both Chinese variants, and its visible text, less the values that come from the
records (product, scheme and profile names, ids, what an issuer wrote) and code (``<code>``, ``<pre>``), must
hold no English word: a string missing from the catalogue, or a sentence no phrase pattern knows, fails here.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from ledger.api import create_app
from ledger.home import load_settings, open_log
from ledger.log import Log
from ledger.reads import entry_payload
from ledger.web import i18n
from ledger.web.i18n import EN, ZH_HANS, ZH_HANT, load_catalogue, placeholders
from ledger.web.phrases import phrase_translator
from mapping.errors import ConfigError

GD, HK, CT = "gd-carbon-label", "hk-cma-carbon-label", "carbontrust-label"
LABEL = "GD-CL-2025-0101"
MISSING_PAGE, MISSING_LABEL = "/no-such-page", "NO-SUCH-LABEL"  # what a visitor asked for: shown as asked
PAGES = [
    "/",
    "/labels",
    "/labels?q=GD-CL-2025",
    "/schemes",
    f"/schemes/compare?a={GD}&b={HK}",
    f"/schemes/compare?a={GD}&b={CT}",
    "/agreements",
    "/agreements/gd-hk-mutual",
    "/log",
    "/verify",
    "/datasets",
    "/datasets/ipcc-gwp100",
    "/datasets/cn-electricity-footprint",
    f"/labels/{LABEL}",
    f"/labels/{LABEL}?to={HK}",
    f"/labels/{LABEL}?to={CT}",
    f"/labels/{LABEL}?to=jp-sumpo-cfp",
    f"/labels/{LABEL}?to={GD}",
    "/labels/GD-CL-2025-1119?to=" + HK,  # revoked
    "/labels/GD-CL-2022-0003",  # expired
    "/labels/HK-CMA-2025-0007?to=" + GD,
    f"/labels/{MISSING_LABEL}",
    MISSING_PAGE,
]
# Words that are the same in every language: names of formats, units and bodies, and the product's own name.
SAME_IN_EVERY_LANGUAGE = frozenset(
    {"carbonledger", "API", "GTIN", "UTC", "JSON", "IPCC", "GWP", "EF", "QR", "MiB", "KiB", "pcf", "buyer_scheme"}
)
LOCALE = Path(i18n.__file__).parent / "locale"


# ---- the demo home's pages ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(demo_home_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Log, Path]]:
    home = tmp_path_factory.mktemp("i18n") / "home"
    shutil.copytree(demo_home_template, home)
    log = open_log(load_settings(home), precheck_workers=False)
    try:
        yield log, home
    finally:
        log.store.close()


@pytest.fixture(scope="module")
def client(demo: tuple[Log, Path]) -> Iterator[TestClient]:
    app = create_app(demo[0])
    with TestClient(app) as c:
        yield c
    app.state.deps.sequencer.close()


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


@pytest.fixture(scope="module")
def record_values(demo: tuple[Log, Path]) -> re.Pattern[str]:
    """Every string the demo's records and the shipped profiles hold (shown as recorded), as one pattern of whole
    values, longest first — less the words of the domain's vocabularies (``footprint``, ``cradle-to-grave``,
    ``reasonable``): a record holds them, and a page must show them translated."""
    log = demo[0]
    found: set[str] = {log.origin, MISSING_PAGE, MISSING_LABEL}
    for i in range(log.size):
        found.update(_strings(entry_payload(bytes(log.entry(i).envelope))))
    for path in (Path(__file__).parent.parent / "mapping" / "data" / "profiles").glob("*.json"):
        found.update(_strings(json.loads(path.read_text(encoding="utf-8"))))
    for path in (demo[1] / "demo-out").glob("trust-*.json"):  # the buyer's trust file names the witnesses
        found.update(_strings(json.loads(path.read_text(encoding="utf-8"))))
    found.update(s.split("+", 1)[0] for s in list(found) if "+" in s)  # a verifier key's name: NAME+HASH+KEY
    vocabulary = {k.split(".", 1)[1] for k in i18n.keys()}
    values = sorted((s for s in found if len(s) > 1 and s not in vocabulary), key=len, reverse=True)
    edge = "A-Za-z0-9_-"
    return re.compile(f"(?<![{edge}])(?:" + "|".join(map(re.escape, values)) + f")(?![{edge}])")


def visible_words(html: str, record_values: re.Pattern[str]) -> set[str]:
    """The English words of a page's visible text outside code and record values (words with a digit are ids,
    formulas or versions: CO2e, AR5, v1)."""
    body = html[html.index("<body") :]
    body = re.sub(r"<(script|style|svg|code|pre)\b.*?</\1>", " ", body, flags=re.DOTALL)
    body = re.sub(r'<ul class="lang-switch".*?</ul>', " ", body, flags=re.DOTALL)  # each language in itself
    text = unescape(re.sub(r"<[^>]+>", "\n", body))
    text = re.sub(r"`[^`]*`", " ", text)  # a command named in prose
    text = record_values.sub(" ", text)
    words = re.findall(r"[A-Za-z][A-Za-z0-9_'’-]*", text)
    return {w for w in words if len(re.sub(r"[^A-Za-z]", "", w)) > 1 and not re.search(r"\d", w)} - set(
        SAME_IN_EVERY_LANGUAGE
    )


@pytest.mark.parametrize("lang", [ZH_HANS, ZH_HANT])
def test_every_page_in_chinese_holds_no_untranslated_word(
    client: TestClient, record_values: re.Pattern[str], lang: str
) -> None:
    untranslated: dict[str, set[str]] = {}
    for page in PAGES:
        r = client.get(page, params={"lang": lang}, headers={"accept": "text/html"})
        assert r.status_code in (200, 404), page
        assert f'<html lang="{lang}">' in r.text and r.headers["content-language"] == lang, page
        words = visible_words(r.text, record_values)
        if words:
            untranslated[page] = words
    assert untranslated == {}


@pytest.mark.parametrize("lang", [ZH_HANS, ZH_HANT])
def test_the_verify_page_result_in_chinese_holds_no_untranslated_word(
    client: TestClient, demo: tuple[Log, Path], record_values: re.Pattern[str], lang: str
) -> None:
    out = demo[1] / "demo-out"
    files = {
        "bundle": ("b.json", (out / f"{LABEL}.bundle.json").read_bytes(), "application/json"),
        "trust": ("t.json", (out / "trust-hk-buyer.json").read_bytes(), "application/json"),
    }
    r = client.post("/verify", params={"lang": lang}, files=files, data={"to": HK})
    assert r.status_code == 200 and 'id="report-verdict"' in r.text
    assert visible_words(r.text, record_values) == set()


def test_traditional_chinese_is_its_own_text_not_simplified(client: TestClient) -> None:
    hant = client.get(f"/labels/{LABEL}", params={"lang": "zh-hant", "to": HK}).text
    hans = client.get(f"/labels/{LABEL}", params={"lang": "zh", "to": HK}).text
    for word in ("碳標籤", "證據包", "核驗步驟", "搖籃到墳墓", "合理保證", "原材料取得", "承認"):
        assert word in hant and word not in hans, word
    for word in ("碳标签", "证据包", "核验步骤", "摇篮到坟墓", "合理保证", "承认"):
        assert word in hans, word


def test_recognition_and_accreditation_are_different_words(client: TestClient) -> None:
    """认可 is the accreditation of a verification body (CNAS, HKAS); a scheme's recognition of a label is 承认."""
    for lang, accreditation, recognized in ((ZH_HANS, "认可", "承认"), (ZH_HANT, "認可", "承認")):
        t = i18n.translator(lang)
        assert t("label.accreditation") == accreditation and t("verdict.recognized") == recognized
        for key, text in i18n.catalogue().translations[lang].items():
            if accreditation in text:
                assert key == "label.accreditation", (key, text)
    hk = client.get(f"/labels/{LABEL}", params={"lang": "zh-hk", "to": HK}).text
    assert re.search(r'<p class="equivalence-verdict" id="equivalence-verdict"><strong>承認</strong>', hk)


# ---- choosing the language ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("zh-HK", ZH_HANT),
        ("zh-TW,zh;q=0.8", ZH_HANT),
        ("zh-MO", ZH_HANT),
        ("zh-Hant", ZH_HANT),
        ("zh-Hant-TW", ZH_HANT),
        ("en;q=0.5,zh-hant-hk", ZH_HANT),
        ("zh-CN", ZH_HANS),
        ("zh-SG", ZH_HANS),
        ("zh-Hans", ZH_HANS),
        ("zh-Hans-HK", ZH_HANS),  # the script subtag decides
        ("zh", ZH_HANS),
        ("en-HK,zh-HK;q=0.5", EN),
    ],
)
def test_accept_language_picks_the_script(header: str, lang: str) -> None:
    request = Request({"type": "http", "query_string": b"", "headers": [(b"accept-language", header.encode())]})
    assert i18n.choose_lang(request) == (lang, False)


@pytest.mark.parametrize(
    ("asked", "lang"),
    [("zh-hant", ZH_HANT), ("zh-hk", ZH_HANT), ("zh-TW", ZH_HANT), ("zh_Hant", ZH_HANT), ("zh", ZH_HANS), ("en", EN)],
)
def test_the_query_chooses_the_language(client: TestClient, asked: str, lang: str) -> None:
    r = client.get("/", params={"lang": asked}, headers={"accept-language": "de"})
    assert f'<html lang="{lang}">' in r.text and r.headers["content-language"] == lang


def test_the_switch_offers_all_three_languages_and_links_carry_the_choice(client: TestClient) -> None:
    r = client.get("/labels", params={"lang": "zh-tw", "q": "GD"})
    switch = re.search(r'<ul class="lang-switch" id="lang-switch"[^>]*>(.*?)</ul>', r.text, re.DOTALL)
    assert switch, "the page has a language switch"
    html = switch.group(1)
    assert '<span class="lang-current" aria-current="true" lang="zh-Hant">繁體中文</span>' in html
    links = {unescape(url): lang for url, lang in re.findall(r'<a href="([^"]+)" hreflang="([^"]+)"', html)}
    assert {v: k for k, v in links.items()} == {"en": "/labels?q=GD&lang=en", "zh-Hans": "/labels?q=GD&lang=zh"}
    assert ">English<" in html and ">简体中文<" in html
    assert 'href="/schemes?lang=zh-hant"' in r.text  # the page's own links keep the choice
    assert 'name="lang" value="zh-hant"' in r.text  # and so does the search form


# ---- the catalogue ------------------------------------------------------------------------------------------
def test_every_key_is_in_all_three_languages_with_the_same_placeholders() -> None:
    book = load_catalogue()
    assert len(book.english) > 400
    for lang in (ZH_HANS, ZH_HANT):
        texts = book.translations[lang]
        assert sorted(set(book.english) - set(texts)) == [], f"untranslated in {lang}"
        for key, english in book.english.items():
            assert placeholders(texts[key]) == placeholders(english), (lang, key)
            assert texts[key] != english or key == "col.gtin", (lang, key)  # GTIN is GTIN in every language


def test_no_page_string_lives_only_in_python() -> None:
    """The catalogue is the one place a page's words live: no Python table of strings beside it."""
    tables = [p.name for p in LOCALE.parent.glob("i18n_*.py")]
    assert tables == []


def test_the_catalogues_read_the_same_with_babel_as_with_ours() -> None:
    """The PO files are standard gettext catalogues: Babel (what translators' tooling uses) reads the same."""
    from babel.messages.pofile import read_po as babel_read_po

    ours = load_catalogue()
    for lang, name in i18n.PO_FILES.items():
        with (LOCALE / name).open("rb") as f:
            theirs = {m.context: m.string for m in babel_read_po(f, abort_invalid=True) if m.context}
        assert theirs == dict(ours.translations[lang])


def _broken(tmp_path: Path, name: str, old: str, new: str) -> Path:
    for f in LOCALE.iterdir():
        shutil.copy(f, tmp_path / f.name)
    text = (tmp_path / name).read_text(encoding="utf-8")
    assert old in text
    (tmp_path / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("name", "old", "new", "why"),
    [
        ("zh_Hant.po", 'msgstr "搜尋標籤"', 'msgstr "搜尋標籤', "quoted token"),
        ("zh_Hant.po", 'msgstr "搜尋標籤"', 'msgstr "搜尋\\q標籤"', "unknown escape"),
        ("zh_Hant.po", 'msgctxt "nav.log"', 'msgctxt "nav.labels"', "twice"),
        ("zh_Hans.po", 'msgid "Search labels"', 'msgid "Search the labels"', "not the English text"),
        ("zh_Hans.po", 'msgstr "本日志未登记制度 {to}', 'msgstr "本日志未登记制度 {too}', "placeholders"),
        ("zh_Hant.po", 'msgstr "第 {version} 版"', 'msgstr "第 {version 版"', "eq.version"),
        ("zh_Hant.po", 'msgctxt "nav.log"\n', "", "without msgctxt"),
        ("zh_Hant.po", 'msgstr "首頁"', 'msgstr[0] "首頁"', "plural forms"),
        ("messages.pot", "charset=UTF-8", "charset=ISO-8859-1", "UTF-8"),
    ],
)
def test_attack_malformed_catalogue_fails_loudly_at_load(
    tmp_path: Path, name: str, old: str, new: str, why: str
) -> None:
    with pytest.raises(ConfigError) as e:
        load_catalogue(_broken(tmp_path, name, old, new))
    assert e.value.code == "catalogue.invalid" and why in e.value.message and name in e.value.message


def test_a_fuzzy_or_empty_translation_shows_the_english(tmp_path: Path) -> None:
    folder = _broken(tmp_path, "zh_Hant.po", 'msgctxt "nav.log"', '#, fuzzy\nmsgctxt "nav.log"')
    book = load_catalogue(folder)
    assert i18n.translator(ZH_HANT, book)("nav.log") == "Log"
    assert i18n.translator(ZH_HANT, book)("nav.labels") == "標籤"


# ---- phrases ------------------------------------------------------------------------------------------------
def test_a_detail_is_translated_clause_by_clause_and_an_unknown_clause_stays_as_written() -> None:
    say = phrase_translator(ZH_HANT)
    detail = (
        "the issuer states it valid from 2026-09-03 to 2029-09-02; asked for 2026-12-02; "
        "a clause nobody wrote a pattern for; same scheme"
    )
    assert say(detail) == (
        "簽發方聲明其有效期為 2026-09-03 至 2029-09-02；查詢日期為 2026-12-02；"
        "a clause nobody wrote a pattern for；同一制度"
    )
    assert phrase_translator(EN)(detail) == detail
    # a vocabulary value inside a phrase is translated too; a record's value is not
    assert say("distribution N2O: 0.0004 kg × (273 − 265) = 0.0032") == "配送 N2O：0.0004 公斤 × (273 − 265) = 0.0032"
    revoked = (
        "label revoked by entry a4d85fd9… (label.revoke at index 153: product discontinued), proven as of tree "
        "size 154 (signed at 2026-12-02T14:24:26Z)"
    )
    assert "已撤銷" in say(revoked) and "product discontinued" in say(revoked)
