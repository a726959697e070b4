"""The web pages in-process (httpx ASGI transport): every page, the 404 page, uploads and languages."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import date
from html import unescape
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ledger.api import create_app
from ledger.bundles import build_bundle, export_trust
from ledger.http_inputs import MAX_BUNDLE_BYTES as MAX_BUNDLE_UPLOAD_BYTES
from ledger.http_inputs import MAX_TRUST_BYTES as MAX_TRUST_UPLOAD_BYTES
from ledger.log import Log
from ledger.reads import Reads
from ledger.store import Store
from ledger.web import i18n
from ledger.web.report_views import equivalence_of
from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.report import Report

from .helpers import NOW, Signer, label_for, midea_label, read_only, shared_log

GD, HK = "gd-carbon-label", "hk-cma-carbon-label"
MIDEA_ID = "GD-CL-2022-0003"
IN_VALIDITY = "2024-01-01"  # the Midea label is valid 2022-06-28 .. 2025-06-27


def register(signer: Signer, scheme_id: str, name: str, name_zh: str | None) -> bytes:
    info: dict[str, Any] = {"id": scheme_id, "name": name, "role": "scheme", "country": "CN"}
    if name_zh:
        info["name_zh"] = name_zh
    return signer.sign("scheme.register", {"scheme": info, "public_key": signer.public_b64})


def build_web_log(url: str) -> Log:
    """A log holding two schemes (with Chinese names), a certification body, and three Guangdong labels."""
    log = Log(Store(url), SigningKey.generate(), "web.test/log", Policy(frozenset({GD, HK})), lambda: NOW)
    gd, hk, cqc = Signer(), Signer(), Signer()
    envelopes = [
        register(gd, GD, "Guangdong carbon label", "广东碳标签"),
        register(hk, HK, "Hong Kong CMA Testing carbon label", "香港中华厂商联合会检定中心碳标签"),
        gd.authorize(GD, cqc, ["label.issue", "label.revoke"]),
        cqc.issue(midea_label()),
        cqc.issue(label_for(GD, "GD-CL-2022-0011")),
    ]
    for env in envelopes:
        log.submit(env)
    other = log.store.labels_by_ids(["GD-CL-2022-0011"])[0]
    fields = {"scheme": GD, "label_id": other.label_id, "label_entry": other.entry_id, "reason": "discontinued"}
    log.submit(cqc.sign("label.revoke", fields))
    return log


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Log]:
    """One web log for the module: its tests only read it (the one that writes builds its own)."""
    with shared_log(build_web_log(f"sqlite:///{tmp_path_factory.mktemp('web') / 'ledger.db'}")) as log:
        yield log


@pytest.fixture(scope="module")
def app(shared: Log) -> Iterator[FastAPI]:
    app = create_app(shared)
    yield app
    app.state.deps.sequencer.close()


@pytest.fixture
def log(shared: Log) -> Iterator[Log]:
    with read_only(shared):
        yield shared


@pytest.fixture
async def client(app: FastAPI, log: Log) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


def text_of(html: str) -> str:
    """The visible text of a page, roughly: tags dropped, whitespace collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def html_lang(html: str) -> str:
    m = re.search(r'<html lang="([^"]+)"', html)
    assert m, "every page declares its language"
    return m.group(1)


@pytest.mark.anyio
@pytest.mark.parametrize(
    "path", ["/", "/labels", "/labels?q=KFR", "/schemes", "/schemes/compare", "/agreements", "/log", "/verify"]
)
async def test_every_page_is_html_with_nav_and_language(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert html_lang(r.text) == "en"
    assert '<nav aria-label="carbonledger">' in r.text and 'href="/verify"' in r.text
    assert 'href="/static/style.css"' in r.text
    assert "<script" not in r.text  # works without JavaScript: there is none


@pytest.mark.anyio
async def test_stylesheet_is_served(client: httpx.AsyncClient) -> None:
    r = await client.get("/static/style.css")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/css")
    assert "--accent" in r.text


@pytest.mark.anyio
async def test_home_has_search_box_and_links(client: httpx.AsyncClient) -> None:
    html = (await client.get("/")).text
    assert '<form class="search" method="get" action="/labels"' in html
    assert '<label for="q">' in html and 'id="q" name="q"' in html
    for href in ("/labels", "/schemes", "/schemes/compare", "/agreements", "/log", "/verify"):
        assert f'href="{href}"' in html


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("query", "expected", "absent"),
    [
        ("KFR-26GW/BDN8Y", [MIDEA_ID], []),  # product model
        ("06932233000011", [MIDEA_ID, "GD-CL-2022-0011"], []),  # GTIN (both labels carry it)
        ("midea", [MIDEA_ID], []),  # manufacturer, case-insensitive
        ("2022-0011", ["GD-CL-2022-0011"], [MIDEA_ID]),  # label id
        ("Guangdong carbon", [MIDEA_ID], []),  # scheme name
        ("100%_", [], [MIDEA_ID]),  # LIKE wildcards are literal
    ],
)
async def test_label_search(client: httpx.AsyncClient, query: str, expected: list[str], absent: list[str]) -> None:
    html = (await client.get("/labels", params={"q": query})).text
    for label_id in expected:
        assert f">{label_id}</a>" in html
    for label_id in absent:
        assert f">{label_id}</a>" not in html
    if not expected:
        assert "No label matches." in html


@pytest.mark.anyio
async def test_label_search_by_scheme_filter(client: httpx.AsyncClient) -> None:
    assert f">{MIDEA_ID}</a>" in (await client.get("/labels", params={"scheme": GD})).text
    assert "No label matches." in (await client.get("/labels", params={"scheme": HK})).text


def test_search_labels_query_directly(log: Log) -> None:
    rows = Reads(log).search_labels("kfr-26gw")
    assert [r.label_id for r in rows] == ["GD-CL-2022-0011", MIDEA_ID]  # newest first
    assert Reads(log).search_labels("", limit=1)[0].label_id == "GD-CL-2022-0011"


@pytest.mark.anyio
async def test_label_page_shows_product_footprint_scheme_and_steps(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/labels/{MIDEA_ID}", params={"at": IN_VALIDITY})
    assert r.status_code == 200, r.text
    page = text_of(r.text)
    for expected in (
        "Inverter split air conditioner",
        "KFR-26GW/BDN8Y-XT100(1)A",
        "06932233000011",
        "GD Midea Air-Conditioning Equipment Co., Ltd.",
        "Shunde, Foshan",
        "2713.8100 kgCO2e",
        "per 1 piece",
        "cradle-to-grave",
        "AR5",
        "HFC-32",
        "Guangdong carbon label",
        "CQC Guangzhou",
        "2022-06-28",
        "2025-06-27",
        "active",
    ):
        assert expected in page, expected
    for step in range(1, 11):
        assert f'id="step-{step}"' in r.text
    assert "authentic and valid" in page
    assert "carbonledger verify bundle.json --trust trust.json" in page
    assert "this server's own check" in page
    assert f'href="/v1/labels/{MIDEA_ID}/bundle?scheme={GD}"' in r.text
    assert "Pick your scheme above" in page  # no target asked: no verdict yet
    assert '<select id="to" name="to">' in r.text and '<label for="to">' in r.text


@pytest.mark.anyio
async def test_label_page_verdict_for_a_picked_scheme(client: httpx.AsyncClient) -> None:
    html = (await client.get(f"/labels/{MIDEA_ID}", params={"to": HK, "at": IN_VALIDITY})).text
    assert 'id="equivalence-verdict"' in html
    assert "No recognition agreement" in html and "<code>no_agreement</code>" in html
    assert f'<option value="{HK}" selected>' in html
    assert f'href="/v1/labels/{MIDEA_ID}/bundle?scheme={GD}&amp;to={HK}"' in html
    own = (await client.get(f"/labels/{MIDEA_ID}", params={"to": GD, "at": IN_VALIDITY})).text
    assert "<code>recognized</code>" in own and "authentic and valid" in text_of(own)


@pytest.mark.anyio
async def test_label_page_after_expiry_and_bad_inputs(client: httpx.AsyncClient) -> None:
    expired = text_of((await client.get(f"/labels/{MIDEA_ID}", params={"at": "2026-01-01"})).text)
    assert "authentic, but not valid on the date" in expired and "expired" in expired
    odd = text_of((await client.get(f"/labels/{MIDEA_ID}", params={"at": "someday", "to": "nope"})).text)
    assert "someday is not a date" in odd and "Scheme nope is not registered" in odd


@pytest.mark.anyio
async def test_qr_address_and_revoked_status(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/labels/{GD}/GD-CL-2022-0011")  # the address `carbonledger label qr` encodes
    assert r.status_code == 200
    page = text_of(r.text)
    assert "revoked" in page and "label revoked" in page and "discontinued" in page


@pytest.mark.anyio
async def test_unknown_label_is_a_404_html_page(client: httpx.AsyncClient) -> None:
    for path in ("/labels/NO-SUCH-LABEL", f"/labels/{HK}/{MIDEA_ID}"):
        r = await client.get(path)
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("text/html")
        assert "Not found" in r.text and "no label" in r.text


@pytest.mark.anyio
async def test_log_page_and_pagination(client: httpx.AsyncClient, log: Log) -> None:
    html = (await client.get("/log")).text
    assert "web.test/log" in html and log.vkey in html
    assert '<pre class="note" id="checkpoint">' in html and log.checkpoint().split("\n")[0] in html
    assert '<dd id="tree-size">6</dd>' in html
    assert len(re.findall(r'<td class="num" data-label="Log index"><a href="/v1/entries/', html)) == 6
    assert "label.revoke" in html and "scheme.register" in html
    assert re.search(r'<td data-label="[^"]+"><span>\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ</span></td>', html)
    older = (await client.get("/log", params={"before": "2"})).text
    assert older.count('data-label="Log index"><a href="/v1/entries/') == 2 and 'id="newest"' in older
    entries, start = Reads(log).recent_entries(before=5, n=2)
    assert [e.index for e in entries] == [4, 3] and start == 3


@pytest.mark.anyio
async def test_schemes_page_has_chinese_names(client: httpx.AsyncClient, log: Log) -> None:
    html = (await client.get("/schemes")).text
    assert "广东碳标签" in html and "Hong Kong CMA Testing carbon label" in html
    assert log.store.schemes()[0].root_key_id[:16] in html


@pytest.mark.anyio
async def test_agreements_page_empty_and_with_rows(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "No recognition agreement is in the log yet." in (await client.get("/agreements")).text
    row = {
        "id": "gd-hk-2025",
        "version": 2,
        "schemes": [GD, HK],
        "terms_hash": "ab" * 32,
        "status": "in_force",
        "proposed_index": 7,
        "accepted_index": 9,
        "withdrawn_index": None,
    }
    monkeypatch.setattr(Reads, "agreements", lambda self, at=None: [row])
    html = (await client.get("/agreements")).text
    assert "gd-hk-2025" in html and "in_force" in html and 'href="/v1/entries/9"' in html
    assert "Guangdong carbon label ↔ Hong Kong CMA Testing carbon label" in html


@pytest.mark.anyio
async def test_compare_page(client: httpx.AsyncClient) -> None:
    r = await client.get("/schemes/compare", params={"a": GD, "b": HK})
    assert r.status_code == 200
    try:
        import mapping.differ  # noqa: F401
    except ImportError:
        assert "Comparison is not available in this build." in r.text
    else:
        assert "Comparison is not available" not in r.text


@pytest.mark.anyio
async def test_compare_page_with_the_mapping_layer(client: httpx.AsyncClient) -> None:
    pytest.importorskip("mapping.differ")
    from mapping.profiles import list_profiles

    ids = sorted({p.id for p in list_profiles()})
    a, b = (GD, HK) if {GD, HK} <= set(ids) else (ids[0], ids[-1])
    r = await client.get("/schemes/compare", params={"a": a, "b": b})
    assert r.status_code == 200 and '<table class="diff" id="diff">' in r.text
    assert '<th scope="row" data-dimension="gwp_sets">GWP sets</th>' in r.text  # the name a person reads
    assert '<optgroup label="Standards">' in r.text
    zh = await client.get("/schemes/compare", params={"a": a, "b": b, "lang": "zh"})
    assert "需协议约定" in zh.text or "相同" in zh.text


# ---- upload and verify --------------------------------------------------------------------------
async def upload(
    client: httpx.AsyncClient, bundle: bytes | None, trust: bytes | None = None, **fields: str
) -> httpx.Response:
    files: dict[str, Any] = {}
    if bundle is not None:
        files["bundle"] = ("label.bundle.json", bundle, "application/json")
    if trust is not None:
        files["trust"] = ("trust.json", trust, "application/json")
    return await client.post("/verify", files=files or None, data=fields)


@pytest.mark.anyio
async def test_upload_a_bundle_and_see_the_report(client: httpx.AsyncClient, log: Log) -> None:
    bundle = build_bundle(log, MIDEA_ID, GD, HK)
    r = await upload(client, bundle, at=IN_VALIDITY, to=HK)
    assert r.status_code == 200, r.text
    page = text_of(r.text)
    assert "Authentic: yes" in page and "trust: this log's own keys" in page
    assert "exit code 4" in page and "No recognition agreement" in page  # asked about HK
    for step in range(1, 11):
        assert f'id="step-{step}"' in r.text
    r = await upload(client, bundle, at=IN_VALIDITY, to=GD)
    assert "authentic and valid" in text_of(r.text) and "exit code 0" in text_of(r.text)


@pytest.mark.anyio
async def test_upload_with_a_trust_file(client: httpx.AsyncClient, log: Log) -> None:
    bundle = build_bundle(log, MIDEA_ID, GD)
    trust = json.dumps(export_trust(log).to_dict()).encode()
    page = text_of((await upload(client, bundle, trust, at=IN_VALIDITY)).text)
    assert "trust: the uploaded trust file" in page and "authentic and valid" in page
    stranger = Log(Store("sqlite://"), SigningKey.generate(), "web.test/log", Policy(frozenset()), lambda: NOW)
    foreign = json.dumps(export_trust(stranger).to_dict()).encode()
    page = text_of((await upload(client, bundle, foreign, at=IN_VALIDITY)).text)
    assert "Authentic: no" in page and "not authentic" in page


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("bundle", "trust"),
    [
        (b"{not json", None),
        (b"\xff\xfe binary", None),
        (b'{"version":"carbonledger.bundle/v1"}', None),
        (b"[]", None),
        (None, b"{not json"),  # a good bundle with a malformed trust file
    ],
)
async def test_malformed_uploads_fail_step_1_never_500(
    client: httpx.AsyncClient, log: Log, bundle: bytes | None, trust: bytes | None
) -> None:
    r = await upload(client, bundle if bundle is not None else build_bundle(log, MIDEA_ID), trust)
    assert r.status_code == 200, r.text
    assert 'class="step step-failed" id="step-1"' in r.text
    assert "unusable input" in text_of(r.text) and "exit code 5" in text_of(r.text)


@pytest.mark.anyio
async def test_upload_limits(client: httpx.AsyncClient, log: Log) -> None:
    big = b" " * (MAX_BUNDLE_UPLOAD_BYTES + 1)
    r = await upload(client, big)
    assert r.status_code == 413 and "the limit is 2 MiB" in r.text
    r = await upload(client, build_bundle(log, MIDEA_ID), b" " * (MAX_TRUST_UPLOAD_BYTES + 1))
    assert r.status_code == 413 and "trust.json is 262145 bytes; the limit is 256 KiB" in r.text
    r = await upload(client, b" " * (4 << 20))
    assert r.status_code == 413 and "The upload is over the limit" in r.text


@pytest.mark.anyio
async def test_upload_form_errors(client: httpx.AsyncClient, log: Log) -> None:
    r = await upload(client, None, to=GD)
    assert r.status_code == 400 and "Choose a bundle file to verify." in r.text
    r = await upload(client, build_bundle(log, MIDEA_ID), at="31/12/2024")
    assert r.status_code == 400 and "31/12/2024 is not a date" in r.text
    r = await client.post("/verify", content=b"--x\r\nbroken", headers={"content-type": "multipart/form-data"})
    assert r.status_code == 400 and "The form could not be read" in r.text


# ---- languages ----------------------------------------------------------------------------------
@pytest.mark.anyio
async def test_language_from_query_and_accept_language(client: httpx.AsyncClient) -> None:
    zh = await client.get(f"/labels/{MIDEA_ID}", params={"lang": "zh", "to": HK})
    assert html_lang(zh.text) == "zh-Hans" and zh.headers["content-language"] == "zh-Hans"
    for expected in (
        "变频分体挂壁式空调器",
        "广东美的制冷设备有限公司",
        "广东碳标签",
        "中国质量认证中心广州分中心",
        "无互认协议",
    ):
        assert expected in zh.text, expected
    assert 'name="lang" value="zh"' in zh.text  # the check form keeps the language
    assert 'href="/labels?lang=zh"' in zh.text  # links keep it too
    switch = re.search(r'<a href="([^"]+)" hreflang="en" lang="en" id="lang-en">English</a>', zh.text)
    assert switch and "lang=en" in switch.group(1) and "to=" + HK in switch.group(1)
    assert 'id="lang-zh-Hant">繁體中文</a>' in zh.text  # the switch offers every language
    by_header = await client.get("/", headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert html_lang(by_header.text) == "zh-Hans" and "搜索标签" in by_header.text
    assert 'href="/labels"' in by_header.text  # not chosen by query: links stay clean
    en = await client.get("/", params={"lang": "en"}, headers={"accept-language": "zh-CN"})
    assert html_lang(en.text) == "en" and '<a href="/?lang=zh" hreflang="zh-Hans" lang="zh-Hans"' in en.text


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("", i18n.EN),
        ("zh", i18n.ZH),
        ("zh-Hans-CN", i18n.ZH),
        ("en-GB,en;q=0.9", i18n.EN),
        ("fr,zh;q=0.5,en;q=0.4", i18n.ZH),
        ("en;q=0.4,zh;q=0.8", i18n.ZH),
        ("zh;q=0,en", i18n.EN),
        ("de", i18n.EN),
    ],
)
def test_accept_language(header: str, lang: str) -> None:
    from starlette.requests import Request

    request = Request({"type": "http", "query_string": b"", "headers": [(b"accept-language", header.encode())]})
    assert i18n.choose_lang(request) == (lang, False)


def test_every_string_has_both_languages() -> None:
    en, zh = i18n.translator(i18n.EN), i18n.translator(i18n.ZH)
    for key in i18n.keys():
        assert en(key) and zh(key) and en(key) != key
    for step in range(1, 11):
        assert f"step.{step}" in i18n.keys()


def test_equivalence_block_input_shape() -> None:
    report = Report()
    report.set(10, "failed", "no agreement between a and b in the bundle")
    report.equivalence = {"verdict": "no_agreement", "agreement": None, "reasons": ["none"]}
    eq = equivalence_of(report, "b")
    assert set(eq) >= {"verdict", "reasons", "agreement", "converted"}
    assert eq["verdict"] == "no_agreement" and eq["reasons"] == ["none"] and eq["converted"] is None
    assert equivalence_of(Report(), None)["verdict"] == "not_asked"


def test_autoescape_is_on() -> None:
    from ledger.web.render import make_environment

    env = make_environment()
    assert env.from_string("{{ x }}").render(x="<script>") == "&lt;script&gt;"
    assert date.fromisoformat(IN_VALIDITY)  # the dates the tests ask about are real dates


@pytest.mark.anyio
async def test_compare_page_renders_a_diff_table(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page against the mapping API it expects (profiles + diff items), stood in by a small fake."""
    import sys
    import types

    class Item:
        def __init__(self, dimension: str, cls: str, a: Any, b: Any, reason: str) -> None:
            self.dimension, self.cls, self.a, self.b, self.reason = dimension, cls, a, b, reason
            self.conversion, self.needs = None, []

        def to_dict(self) -> dict[str, Any]:
            return dict(vars(self))

    profiles = types.ModuleType("mapping.profiles")
    profiles.list_profiles = lambda: [  # type: ignore[attr-defined]
        types.SimpleNamespace(id=pid, kind="scheme", name=pid, name_zh=None, name_zh_hant=None) for pid in (GD, HK)
    ]

    def get_profile(pid: str) -> Any:
        if pid not in (GD, HK):
            raise KeyError(pid)
        return pid

    profiles.get_profile = get_profile  # type: ignore[attr-defined]
    differ = types.ModuleType("mapping.differ")
    differ.diff = lambda a, b: [  # type: ignore[attr-defined]
        Item("gwp_set", "convertible", {"set": "AR5"}, "AR6", "re-characterize from per-gas masses"),
        Item("boundary", "needs_agreement", "cradle-to-grave", "<unspecified>", "B does not say"),
    ]
    monkeypatch.setitem(sys.modules, "mapping.profiles", profiles)
    monkeypatch.setitem(sys.modules, "mapping.differ", differ)
    import mapping  # once the real submodules are imported they are attributes of the package too

    monkeypatch.setattr(mapping, "profiles", profiles, raising=False)
    monkeypatch.setattr(mapping, "differ", differ, raising=False)
    html = (await client.get("/schemes/compare", params={"a": GD, "b": HK})).text
    assert '<table class="diff" id="diff">' in html
    assert "re-characterize from per-gas masses" in html and "&lt;unspecified&gt;" in html
    assert "{&#34;set&#34;: &#34;AR5&#34;}" in html and 'class="cls-needs_agreement"' in html
    missing = await client.get("/schemes/compare", params={"a": GD, "b": "zz"})
    assert missing.status_code == 200 and "No methodology profile zz." in missing.text


# ---- the read layer: a label page view builds and verifies its bundle once per tree size ------------------
@pytest.mark.anyio
async def test_label_page_checks_its_bundle_once_per_tree_size(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger import bundles

    log = Log(Store(sqlite_url), SigningKey.generate(), "web.test/log", Policy(frozenset({GD})), lambda: NOW)
    gd, cqc = Signer(), Signer()
    for env in (
        register(gd, GD, "Guangdong carbon label", None),
        gd.authorize(GD, cqc, ["label.issue", "label.revoke"]),
    ):
        log.submit(env)
    label = log.submit(cqc.issue(midea_label()))
    built: list[str] = []
    real = bundles.build_bundle

    def counting(*args: Any, **kw: Any) -> bytes:
        built.append(args[1])
        return real(*args, **kw)

    monkeypatch.setattr(bundles, "build_bundle", counting)
    app = create_app(log)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        page = f"/labels/{MIDEA_ID}"
        first = await client.get(page, params={"at": IN_VALIDITY})
        again = await client.get(page, params={"at": IN_VALIDITY})
        assert first.status_code == again.status_code == 200
        assert first.text == again.text and built == [MIDEA_ID]
        await client.get(page, params={"at": IN_VALIDITY, "lang": "zh"})  # the same check, in another language
        assert built == [MIDEA_ID]
        await client.get(page, params={"at": "2024-02-01"})  # another date: another check
        assert built == [MIDEA_ID, MIDEA_ID]
        fields = {"scheme": GD, "label_id": MIDEA_ID, "label_entry": label.entry_id, "reason": "withdrawn"}
        log.submit(cqc.sign("label.revoke", fields))  # the log grew: the page checks the label again
        revoked = await client.get(page, params={"at": IN_VALIDITY})
        assert built == [MIDEA_ID] * 3
        assert 'class="banner banner-revoked' in revoked.text  # the banner names the status (the pill would repeat it)
        step = r'class="step step-(\w+)" id="step-(\d+)"'
        before = {n: status for status, n in re.findall(step, first.text)}
        after = {n: status for status, n in re.findall(step, revoked.text)}
        assert (before["8"], after["8"]) == ("passed", "failed")  # step 8 (status) of the fresh check sees it
    app.state.deps.sequencer.close()
    log.store.close()


@pytest.mark.anyio
async def test_step_titles_claim_not_revoked_only_when_the_status_map_proves_it(client: httpx.AsyncClient) -> None:
    # The page's bundle is a v2 bundle: steps 3 and 8 earned their proven titles, in both languages.
    en = text_of((await client.get(f"/labels/{MIDEA_ID}", params={"at": IN_VALIDITY})).text)
    assert "is proven not revoked before the label" in en and "proven by the checkpoint's status map" in en
    assert "no revocation or supersession of the label is seen" not in en
    zh = text_of((await client.get(f"/labels/{MIDEA_ID}", params={"at": IN_VALIDITY, "lang": "zh"})).text)
    assert "经证明在该标签之前未被撤销" in zh and "标签状态由检查点的状态映射证明" in zh


def test_page_titles_follow_the_title_the_step_earned() -> None:
    from ledger.web.report_views import steps_of
    from verifier.report import FAILED, PASSED, PROVEN_STEP_NAMES, Report

    r = Report()
    r.set(3, PASSED, "authorized")  # a bundle v1: no proof of status, the plain title
    r.set(8, FAILED, "revoked", PROVEN_STEP_NAMES[8])
    assert [s["title_key"] for s in steps_of(r)] == ["step.3", "step.8.proven"]
