# ruff: noqa: F811  (the fixtures imported from tests/world_app.py are redefined as arguments)
"""Every list a page at a time (issue 19 item 3), in-process on a real SQLite log: the web lists (labels newest
first with ``before``; agreements and datasets, whole, in log order with ``after``; the log page) link their next
page in the page and in a ``Link: <…>; rel="next"`` header, and every ``/v1`` list takes ``limit`` and a cursor
and links its next page the same way. Following the links visits every item once.

The fault guarded: only the newest 100 labels could be browsed; the ``/v1`` lists other than ``/v1/labels``
answered everything at once, with no way to page."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ledger import agreements_service as svc
from ledger.datasets_service import dataset_list
from ledger.log import Log
from ledger.reads import RECENT_ENTRIES
from ledger.reference_data import shipped_datasets
from ledger.store import Store
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .helpers import NOW, Signer, label_for, shared_log
from .test_agreements_ledger import CT, GD, HK, JP, World, current_label, terms
from .test_web_agreements import section, text_of
from .world_app import anyio_backend, app, client, world  # noqa: F401  (the module's fixtures)

MEE = "cn-mee-data"
GD_LABELS = [f"GD-PAGE-{i:02d}" for i in range(40)]
HK_LABELS = ["HK-PAGE-1", "HK-PAGE-2", "HK-PAGE-3"]
DATASETS = ["page-ds-a", "page-ds-b", "page-ds-c"]
AGREEMENTS = ["gd-hk-mutual", "gd-to-carbontrust-ar6", "gd-jp-page"]
LINK = re.compile(r'<([^>]+)>; rel="next"')


def _dataset(dataset_id: str, version: int) -> dict[str, Any]:
    body = copy.deepcopy(next(d for d in shipped_datasets() if d["id"] == "cn-electricity-footprint"))
    body["id"], body["version"] = dataset_id, version
    return body


def build_world(url: str) -> World:
    """Four schemes and a data publisher; three agreements (gd-hk-mutual in two versions); three datasets
    (page-ds-b in two versions, published after page-ds-c's first); 40 Guangdong labels and 3 Hong Kong ones
    issued among them — over RECENT_ENTRIES entries in all, so the log page has an older page too."""
    key = SigningKey.generate()
    log = Log(Store(url), key, "paging.test/log", Policy(frozenset({GD, HK, CT, JP, MEE})), lambda: NOW)
    w = World(log, key)
    hk_body, mee = Signer(), Signer()
    log.submit(w.roots[HK].authorize(HK, hk_body))
    publisher = {"id": MEE, "name": "MEE data", "role": "data-publisher"}
    log.submit(mee.sign("scheme.register", {"scheme": publisher, "public_key": mee.public_b64}))
    for i, label_id in enumerate(GD_LABELS):
        log.submit(w.cqc.issue(current_label(label_id)))
        if i == 5:
            w.propose(GD, terms("gd-hk-mutual"))
            counter = terms("gd-hk-mutual", version=2, tolerance="0.02")
            w.propose(HK, counter, answers={"version": 1, "terms_hash": svc.terms_hash_of(log, "gd-hk-mutual", 1)})
            w.accept(GD, "gd-hk-mutual", 2)
        if i == 10:
            w.propose(GD, terms("gd-to-carbontrust-ar6"))
            w.accept(CT, "gd-to-carbontrust-ar6", 1)
            w.propose(GD, terms("gd-hk-mutual", id="gd-jp-page", parties=[GD, JP]))
        if i == 15:
            for dataset_id, version in (("page-ds-a", 1), ("page-ds-c", 1), ("page-ds-b", 1), ("page-ds-b", 2)):
                log.submit(mee.sign("dataset.publish", {"publisher": MEE, "dataset": _dataset(dataset_id, version)}))
        if i % 13 == 0 and i // 13 < len(HK_LABELS):
            log.submit(hk_body.issue(label_for(HK, HK_LABELS[i // 13])))
    assert log.size > RECENT_ENTRIES
    return w


@pytest.fixture(scope="module")
def shared_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = build_world(f"sqlite:///{tmp_path_factory.mktemp('paging') / 'ledger.db'}")
    with shared_log(w.log):
        yield w


def _link(r: httpx.Response) -> str | None:
    header = r.headers.get("link")
    if header is None:
        return None
    m = LINK.fullmatch(header)
    assert m is not None, header
    return m.group(1)


async def walk_pages(client: httpx.AsyncClient, url: str, items_of: Any) -> tuple[list[Any], list[str]]:
    """Follow a web list's "next page" links from ``url``: every item seen, and every page's address. Each page's
    ``Link`` header must name the same page as its link."""
    seen: list[Any] = []
    urls: list[str] = []
    next_url: str | None = url
    while next_url:
        urls.append(next_url)
        r = await client.get(next_url)
        assert r.status_code == 200, r.text
        seen += items_of(r.text)
        m = re.search(r'<a href="([^"]+)" rel="next" id="next-page">', r.text)
        next_url = m.group(1).replace("&amp;", "&") if m else None
        header = _link(r)
        assert (header is None) == (next_url is None), (header, next_url)
        if header is not None:
            assert header == f"http://test{next_url}"
        assert len(urls) < 100
    return seen, urls


def labels_on(html: str) -> list[str]:
    return re.findall(r'<td><a href="/labels/([^"?]+)\?', section(html, "labels")) if 'id="labels"' in html else []


def agreements_on(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<tr class="agreement-\w+" id="agreement-(.+?)-v(\d+)"', html)


def schemes_on(html: str) -> list[str]:
    return re.findall(r'<tr data-scheme="([^"]+)">', html)


def datasets_on(html: str) -> list[tuple[str, str]]:
    return re.findall(r'data-dataset="([^"]+)" data-version="(\d+)"', html)


# ---- the web lists ----------------------------------------------------------------------------------------------
@pytest.mark.anyio
@pytest.mark.parametrize("limit", [1, 7, 43, 50])
async def test_labels_page_walks_every_label_once_newest_first(
    client: httpx.AsyncClient, world: World, limit: int
) -> None:
    seen, urls = await walk_pages(client, f"/labels?limit={limit}", labels_on)
    newest_first = [r.label_id for r in sorted(world.log.store.labels(limit=1000), key=lambda r: -r.idx)]
    assert seen == newest_first and len(seen) == len(GD_LABELS) + len(HK_LABELS)
    assert len(urls) == -(-len(seen) // limit)  # a full last page links no empty one


@pytest.mark.anyio
async def test_the_labels_page_shows_fifty_then_links_older_ones(client: httpx.AsyncClient) -> None:
    first = await client.get("/labels")
    assert len(labels_on(first.text)) == 43 and _link(first) is None  # 43 labels: one page of 50
    r = await client.get("/labels", params={"limit": 20})
    later = await client.get(_link(r) or "")
    assert "Older labels" in text_of(later.text) and 'id="first-page"' in later.text
    assert 'id="first-page"' not in r.text


@pytest.mark.anyio
async def test_next_page_keeps_the_search_the_scheme_and_the_language(client: httpx.AsyncClient) -> None:
    seen, urls = await walk_pages(client, f"/labels?q=PAGE&scheme={HK}&lang=zh&limit=1", labels_on)
    assert seen == list(reversed(HK_LABELS))
    for url in urls[1:]:
        assert "q=PAGE" in url and f"scheme={HK}" in url and "lang=zh" in url and "limit=1" in url
    r = await client.get(urls[1])
    assert "下一页" in r.text and "第一页" in r.text and '<html lang="zh-Hans">' in r.text


@pytest.mark.anyio
@pytest.mark.parametrize("limit", [1, 2, 3])
async def test_agreements_page_walks_whole_agreements(client: httpx.AsyncClient, world: World, limit: int) -> None:
    seen, urls = await walk_pages(client, f"/agreements?limit={limit}", agreements_on)
    versions = {(v["id"], str(v["version"])) for v in svc.agreement_list(world.log)}
    assert sorted(seen) == sorted(versions) and len(seen) == len(set(seen))
    assert list(dict.fromkeys(a for a, _ in seen)) == AGREEMENTS  # by first proposal
    assert len(urls) == -(-len(AGREEMENTS) // limit)
    first = (await client.get("/agreements?limit=1")).text
    assert agreements_on(first) == [("gd-hk-mutual", "1"), ("gd-hk-mutual", "2")]  # an agreement's versions together
    assert re.findall(r'id="timeline-([^"]+)"', first) == ["gd-hk-mutual"]


@pytest.mark.anyio
async def test_datasets_page_walks_whole_datasets(client: httpx.AsyncClient, world: World) -> None:
    seen, urls = await walk_pages(client, "/datasets?limit=1", datasets_on)
    assert seen == [("page-ds-a", "1"), ("page-ds-c", "1"), ("page-ds-b", "2"), ("page-ds-b", "1")]
    assert len(urls) == 3
    assert sorted(seen) == sorted((d["id"], str(d["version"])) for d in dataset_list(world.log))


@pytest.mark.anyio
@pytest.mark.parametrize("limit", [1, 2, 5])
async def test_schemes_page_walks_every_scheme_once_in_registration_order(
    client: httpx.AsyncClient, limit: int
) -> None:
    """The fault guarded: the schemes page listed every registered scheme at once, the one web list not paged."""
    seen, urls = await walk_pages(client, f"/schemes?limit={limit}&lang=zh-hant", schemes_on)
    assert seen == [GD, HK, CT, JP, MEE]
    assert len(urls) == -(-len(seen) // limit)  # a full last page links no empty one
    assert all("lang=zh-hant" in url for url in urls)
    whole = await client.get("/schemes")
    assert schemes_on(whole.text) == seen and _link(whole) is None and 'id="pager"' not in whole.text


@pytest.mark.anyio
async def test_the_log_page_links_its_older_entries(client: httpx.AsyncClient, world: World) -> None:
    r = await client.get("/log")
    start = world.log.store.tree_size() - RECENT_ENTRIES
    assert _link(r) == f"http://test/log?before={start}"
    assert f'href="/log?before={start}" rel="next"' in r.text
    assert _link(await client.get(f"/log?before={start}")) is None  # the oldest entries: nothing older


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("path", "name", "value"),
    [
        ("/labels", "before", "x"),
        ("/labels", "before", "-1"),
        ("/labels", "limit", "0"),
        ("/labels", "limit", "101"),
        ("/agreements", "after", str(2**63)),
        ("/datasets", "after", "1e3"),
        ("/datasets", "limit", "²"),
        ("/schemes", "after", "-5"),
        ("/schemes", "limit", "101"),
    ],
)
async def test_a_bad_cursor_is_a_page_saying_which(client: httpx.AsyncClient, path: str, name: str, value: str) -> None:
    r = await client.get(path, params={name: value})
    assert r.status_code == 400 and "text/html" in r.headers["content-type"]
    assert f"{name}={value} is not a page of this list" in text_of(r.text)


# ---- the /v1 lists ----------------------------------------------------------------------------------------------
async def walk_api(client: httpx.AsyncClient, url: str) -> tuple[list[Any], int]:
    seen: list[Any] = []
    pages = 0
    next_url: str | None = url
    while next_url:
        r = await client.get(next_url)
        assert r.status_code == 200, r.text
        seen += r.json()
        pages += 1
        next_url = _link(r)
        assert pages < 200
    return seen, pages


@pytest.mark.anyio
@pytest.mark.parametrize("limit", [1, 2, 5])
async def test_every_v1_list_walks_in_log_order(client: httpx.AsyncClient, world: World, limit: int) -> None:
    log = world.log
    expected = {
        "/v1/schemes": ([s["id"] for s in (await client.get("/v1/schemes", params={"limit": 100})).json()], "id"),
        "/v1/agreements": (
            [(v["id"], v["version"]) for v in sorted(svc.agreement_list(log), key=lambda v: v["proposed_index"])],
            ("id", "version"),
        ),
        "/v1/agreements-history": ([e["index"] for e in svc.agreement_history(log)], "index"),
        "/v1/agreements/gd-hk-mutual/history": (
            [e["index"] for e in svc.agreement_history(log, "gd-hk-mutual")],
            "index",
        ),
        "/v1/datasets": (
            [(d["id"], d["version"]) for d in sorted(dataset_list(log), key=lambda d: d["ledger_index"])],
            ("id", "version"),
        ),
    }
    assert expected["/v1/schemes"][0] == [GD, HK, CT, JP, MEE]
    for path, (items, key) in expected.items():
        seen, pages = await walk_api(client, f"{path}?limit={limit}")
        got = [tuple(x[k] for k in key) if isinstance(key, tuple) else x[key] for x in seen]
        assert got == items, path
        assert pages == max(1, -(-len(items) // limit)), path


@pytest.mark.anyio
async def test_the_v1_lists_keep_their_filters_across_pages(client: httpx.AsyncClient, world: World) -> None:
    seen, _ = await walk_api(client, "/v1/agreements?limit=1&at=2026-11-24")
    assert len(seen) == 4 and {v["status"] for v in seen} <= {"in_force", "proposed", "superseded"}
    seen, _ = await walk_api(client, f"/v1/datasets?limit=1&publisher={MEE}")
    assert [d["id"] for d in seen] == ["page-ds-a", "page-ds-c", "page-ds-b", "page-ds-b"]


@pytest.mark.anyio
async def test_label_search_walks_newest_first(client: httpx.AsyncClient, world: World) -> None:
    seen, pages = await walk_api(client, "/v1/labels/search?q=GD-PAGE&limit=7")
    assert [x["label_id"] for x in seen] == list(reversed(GD_LABELS)) and pages == 6
    r = await client.get("/v1/labels/search", params={"q": "GD-PAGE", "limit": 40})
    assert len(r.json()) == 40 and _link(r) is None


@pytest.mark.anyio
async def test_the_entry_range_links_the_next_range(client: httpx.AsyncClient, world: World) -> None:
    size = world.log.store.tree_size()
    r = await client.get("/v1/entries", params={"start": 0, "end": 20})
    assert _link(r) == "http://test/v1/entries?start=20&end=40"
    last = await client.get("/v1/entries", params={"start": size - 15, "end": size - 5})
    assert _link(last) == f"http://test/v1/entries?start={size - 5}&end={size}"  # cut at the log's size
    assert _link(await client.get("/v1/entries", params={"start": size - 5, "end": size})) is None
    entries: list[str] = []
    url: str | None = "/v1/entries?start=0&end=16"
    while url:
        page = await client.get(url)
        entries += page.json()["entries"]
        url = _link(page)
    assert len(entries) == size


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("path", "param"), [("/v1/agreements", "after"), ("/v1/labels/search", "before"), ("/v1/schemes", "limit")]
)
async def test_a_bad_v1_cursor_is_a_422_naming_it(client: httpx.AsyncClient, path: str, param: str) -> None:
    r = await client.get(path, params={param: "-1"})
    assert r.status_code == 422 and r.json()["error"]["field"] == f"query/{param}"


@pytest.mark.anyio
async def test_every_v1_list_route_pages(client: httpx.AsyncClient) -> None:
    """A list route added later without ``limit`` and a cursor fails here. The shipped profiles and a diff's
    dimensions are short fixed lists, not the log's, and stay whole."""
    whole = {"/v1/profiles", "/v1/profiles/{a}/diff/{b}"}
    paths = (await client.get("/openapi.json")).json()["paths"]
    lists = []
    for path, ops in paths.items():
        get = ops.get("get")
        if not path.startswith("/v1/") or get is None:
            continue
        schema = get["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
        if schema.get("type") == "array":
            lists.append(path)
            names = {p["name"] for p in get.get("parameters", [])}
            if path not in whole:
                assert "limit" in names and names & {"after", "before"}, path
    assert {"/v1/labels", "/v1/schemes", "/v1/agreements", "/v1/datasets", "/v1/labels/search"} <= set(lists)
