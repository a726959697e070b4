# ruff: noqa: F811  (the fixtures imported from tests/world_app.py are redefined as arguments)
"""The agreements page (versions and negotiation history) and the label page's equivalence section, judged from
the log's agreement entries, in-process over HTML: recognized, recognized after conversion (value and trail),
not recognized (each failed condition, actual vs required), no agreement, and the label's own scheme."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from html import unescape

import httpx
import pytest

from ledger import agreements_service as svc
from ledger.api import create_app
from ledger.log import Log
from ledger.store import Store
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .helpers import NOW, shared_log
from .test_agreements_ledger import CT, GD, HK, JP, World, current_label, terms
from .world_app import anyio_backend, app, client, world  # noqa: F401  (the module's fixtures)

TODAY = NOW.date().isoformat()


def make_world(url: str, *, agreements: bool = True) -> World:
    key = SigningKey.generate()
    log = Log(Store(url), key, "web-agreements.test/log", Policy(frozenset({GD, HK, CT, JP})), lambda: NOW)
    w = World(log, key)
    if agreements:
        w.propose(GD, terms("gd-hk-mutual"))
        w.accept(HK, "gd-hk-mutual", 1)
        w.propose(GD, terms("gd-to-carbontrust-ar6"))
        w.accept(CT, "gd-to-carbontrust-ar6", 1)
    log.submit(w.cqc.issue(current_label("GD-WEB-1")))
    odd = current_label("GD-WEB-ODD")
    odd["product"]["category"]["code"] = "99999"
    log.submit(w.cqc.issue(odd))
    return w


@pytest.fixture(scope="module")
def shared_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One for the module: its tests only read it (the one without agreements builds its own)."""
    w = make_world(f"sqlite:///{tmp_path_factory.mktemp('web-agreements') / 'ledger.db'}")
    with shared_log(w.log):
        yield w


async def _client(log: Log) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(log)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c
    app.state.deps.sequencer.close()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def section(html: str, element_id: str) -> str:
    """The HTML of the element with ``id`` up to its closing tag (sections and tables here do not nest)."""
    m = re.search(rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"', html)
    assert m is not None, f"no element #{element_id}"
    end = html.index(f"</{m.group(1)}>", m.end())
    return html[m.start() : end]


# ---- the agreements page ---------------------------------------------------------------------------------------
@pytest.mark.anyio
async def test_agreements_page_lists_versions_and_history(client: httpx.AsyncClient, world: World) -> None:
    r = await client.get("/agreements")
    assert r.status_code == 200
    html = r.text
    versions = section(html, "agreements")
    listed = svc.agreement_list(world.log)
    for v in listed:
        assert f'id="agreement-{v["id"]}-v{v["version"]}"' in versions
        assert f'href="/v1/entries/{v["accepted_index"]}"' in versions
        assert v["terms_hash"][:16] in versions
    rows = text_of(versions)
    assert "Gd Carbon Label ↔ Hk Cma Carbon Label" in rows  # mutual
    assert "Gd Carbon Label → Carbontrust Label" in rows  # one-way, from -> to
    assert rows.count("in force in_force") == 2
    assert "2026-11-24T12:00:00Z – 2027-01-01T00:00:00Z" in rows  # accept time to the end of valid_until's day
    history = section(html, "agreement-history")
    events = svc.agreement_history(world.log)
    assert len(events) == 4 and history.count('<tr class="event-') == 4
    for ev in events:
        assert f'<a href="/v1/entries/{ev["index"]}">{ev["index"]}</a>' in history
    hist = text_of(history)
    for expected in ("agreement.propose", "agreement.accept", "gd-hk-mutual", "gd-to-carbontrust-ar6", events[0]["at"]):
        assert expected in hist, expected
    assert "Hk Cma Carbon Label" in hist and "Carbontrust Label" in hist  # who signed each accept


@pytest.mark.anyio
async def test_agreements_page_in_chinese(client: httpx.AsyncClient) -> None:
    page = text_of((await client.get("/agreements", params={"lang": "zh"})).text)
    assert "协商历史" in page and "生效中" in page and "签署方" in page


@pytest.mark.anyio
async def test_agreements_page_without_agreements(sqlite_url: str) -> None:
    w = make_world(sqlite_url, agreements=False)
    try:
        async for c in _client(w.log):
            page = text_of((await c.get("/agreements")).text)
            assert "No recognition agreement is in the log yet." in page
            assert "No agreement entry is in the log yet." in page
    finally:
        w.log.store.close()


# ---- the label page's equivalence section -----------------------------------------------------------------------
async def equivalence_html(client: httpx.AsyncClient, label_id: str, **params: str) -> str:
    r = await client.get(f"/labels/{label_id}", params=params)
    assert r.status_code == 200, r.text
    return section(r.text, "equivalence")


@pytest.mark.anyio
async def test_label_page_recognized_by_the_agreement_in_force(client: httpx.AsyncClient, world: World) -> None:
    html = await equivalence_html(client, "GD-WEB-1", to=HK, at=TODAY)
    page = text_of(html)
    assert 'class="equivalence verdict-recognized"' in html and "<code>recognized</code>" in html
    assert "Recognized" in page and "Judged on " + TODAY + " from every agreement entry in this log." in page
    accept = svc.equivalence(world.log, "GD-WEB-1", HK, NOW.date())["agreement"]
    assert 'href="/agreements/gd-hk-mutual#agreement-gd-hk-mutual-v1"' in html and "version 1" in page
    assert f'href="/v1/entries/{accept["index"]}"' in html and accept["terms_hash"][:16] in html
    assert 'id="failed-conditions"' not in html and 'id="converted-value"' not in html


@pytest.mark.anyio
async def test_label_page_recognized_after_conversion_shows_value_and_trail(
    client: httpx.AsyncClient, world: World
) -> None:
    html = await equivalence_html(client, "GD-WEB-1", to=CT, at=TODAY)
    converted_value = svc.equivalence(world.log, "GD-WEB-1", CT, NOW.date())["converted"]["value"]
    assert "<code>recognized_after_conversion</code>" in html and "Recognized after conversion" in text_of(html)
    converted = section(html, "converted-value")
    assert "Converted value" in converted and f"{converted_value} kgCO2e" in converted
    trail = section(html, "conversion-trail")
    assert trail.count("<li><strong>") >= 1 and "→" in trail


@pytest.mark.anyio
async def test_label_page_not_recognized_lists_failed_conditions(client: httpx.AsyncClient, world: World) -> None:
    html = await equivalence_html(client, "GD-WEB-ODD", to=HK, at=TODAY)
    assert "<code>not_recognized</code>" in html and "Not recognized" in text_of(html)
    table = section(html, "failed-conditions")
    row = text_of(table)
    assert "/product/category/code" in row and "99999" in row and "43912" in row
    assert '<td class="actual">99999</td>' in table and '<td class="required">43912</td>' in table
    verdict = svc.equivalence(world.log, "GD-WEB-ODD", HK, NOW.date())
    assert [c["field"] for c in verdict["failed_conditions"]] == ["/product/category/code"]


@pytest.mark.anyio
async def test_label_page_no_agreement_same_scheme_and_no_target(client: httpx.AsyncClient) -> None:
    none = await equivalence_html(client, "GD-WEB-1", to=JP, at=TODAY)
    assert "No recognition agreement" in text_of(none) and "<code>no_agreement</code>" in none
    assert 'id="equivalence-agreement"' not in none
    own = await equivalence_html(client, "GD-WEB-1", to=GD, at=TODAY)
    assert "<code>recognized</code>" in own and "same scheme" in text_of(own)
    unasked = await equivalence_html(client, "GD-WEB-1", at=TODAY)
    assert "Pick your scheme above" in text_of(unasked) and 'id="equivalence-verdict"' not in unasked
    zh = await equivalence_html(client, "GD-WEB-1", to=HK, at=TODAY, lang="zh")
    assert "承认" in text_of(zh) and "依据本日志中的全部协议条目" in text_of(zh)  # recognition; 认可 is accreditation


@pytest.mark.anyio
async def test_label_page_before_the_accept_has_no_agreement(client: httpx.AsyncClient) -> None:
    html = await equivalence_html(client, "GD-WEB-1", to=HK, at="2026-11-23")
    assert "<code>no_agreement</code>" in html
