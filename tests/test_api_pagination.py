"""Lists page (issue 19 item 3): ``GET /v1/labels`` returns at most ``limit`` labels and, when there may be more,
a ``Link: <…>; rel="next"`` header (RFC 8288); following the links visits every label once, in log order."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from ledger.api import create_app
from ledger.log import Log
from ledger.store import Store
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .helpers import NOW, Signer, label_for

GD, HK = "gd-carbon-label", "hk-cma-carbon-label"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('page') / 'ledger.db'}")
    log = Log(store, SigningKey.generate(), "page.test/log", Policy(frozenset({GD, HK})), lambda: NOW)
    signers = {}
    for scheme in (GD, HK):
        root, body = Signer(), Signer()
        log.submit(root.register(scheme))
        log.submit(root.authorize(scheme, body))
        signers[scheme] = body
    for i in range(7):
        scheme = GD if i % 3 else HK
        log.submit(signers[scheme].issue(label_for(scheme, f"L{i}")))
    with TestClient(create_app(log)) as c:
        yield c
    store.close()


def _walk(client: TestClient, url: str) -> tuple[list[str], int]:
    seen, pages = [], 0
    while url:
        r = client.get(url)
        assert r.status_code == 200
        seen += [x["label_id"] for x in r.json()]
        pages += 1
        link = r.headers.get("link")
        url = re.fullmatch(r'<([^>]+)>; rel="next"', link).group(1) if link else ""  # type: ignore[union-attr]
    return seen, pages


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 100])
def test_following_next_links_visits_every_label_once(client: TestClient, limit: int) -> None:
    seen, pages = _walk(client, f"/v1/labels?limit={limit}")
    assert seen == [f"L{i}" for i in range(7)]
    assert pages == -(-7 // limit)  # a full last page links no empty one: the route looks one label ahead


def test_pages_of_one_scheme_keep_the_filter(client: TestClient) -> None:
    seen, _ = _walk(client, f"/v1/labels?limit=2&scheme={HK}")
    assert seen == ["L0", "L3", "L6"]


@pytest.mark.parametrize("after", ["-1", "x", "1e3", str(2**63)])
def test_a_bad_cursor_is_a_clear_error(client: TestClient, after: str) -> None:
    r = client.get("/v1/labels", params={"after": after})
    assert r.status_code == 422 and r.json()["error"]["field"] == "query/after"
