"""The label page's banner for every status (issue 19 item 2), in the HTML the server sends: valid, revoked with
reason and date, superseded with a link to the replacement, expired on its date, not yet valid — and the banner
comes before the footprint, so a phone shows it first."""

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

GD = "gd-carbon-label"


def _label(label_id: str, issued: str = "2026-01-01", until: str = "2028-12-31") -> dict[str, object]:
    label = label_for(GD, label_id)
    label["issued_at"], label["valid_until"] = issued, until
    return label


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('banner') / 'ledger.db'}")
    log = Log(store, SigningKey.generate(), "banner.test/log", Policy(frozenset({GD})), lambda: NOW)
    root, cqc = Signer(), Signer()
    log.submit(root.register(GD))
    log.submit(root.authorize(GD, cqc, kinds=["label.issue", "label.revoke", "label.supersede"]))
    for label in (_label("B-VALID"), _label("B-OLD", "2020-01-01", "2022-12-31"), _label("B-SOON", "2027-01-01")):
        log.submit(cqc.issue(label))
    recalled = log.submit(cqc.issue(_label("B-RECALLED")))
    log.submit(cqc.sign("label.revoke", {"scheme": GD, "label_id": "B-RECALLED", "label_entry": recalled.entry_id,
                                         "reason": "refrigerant mass misstated"}))  # fmt: skip
    first = log.submit(cqc.issue(_label("B-FIRST")))
    second = log.submit(cqc.issue(_label("B-SECOND")))
    log.submit(cqc.sign("label.supersede", {"scheme": GD, "label_id": "B-FIRST", "label_entry": first.entry_id,
                                            "replacement_entry": second.entry_id, "reason": "new data"}))  # fmt: skip
    with TestClient(create_app(log)) as c:
        yield c
    store.close()


def _page(client: TestClient, label_id: str) -> str:
    r = client.get(f"/labels/{GD}/{label_id}")
    assert r.status_code == 200
    return r.text


@pytest.mark.parametrize(
    ("label_id", "kind", "words"),
    [
        ("B-VALID", "valid", ["Authentic and valid", "Valid until 2028-12-31"]),
        ("B-RECALLED", "revoked", ["Revoked", "On 2026-11-24. Reason given: refrigerant mass misstated"]),
        ("B-FIRST", "superseded", ["Superseded", "Replaced on 2026-11-24", f'href="/labels/{GD}/B-SECOND"']),
        ("B-OLD", "expired", ["Expired", "validity ended on 2022-12-31"]),
        ("B-SOON", "not_yet_valid", ["Not yet valid", "valid only from 2027-01-01"]),
    ],
)
def test_every_status_has_its_banner_before_the_footprint(
    client: TestClient, label_id: str, kind: str, words: list[str]
) -> None:
    html = _page(client, label_id)
    start = html.index('id="status-banner"')
    banner = html[start : html.index("</section>", start)]
    assert f"banner-{kind}" in html[start - 80 : start]
    for w in words:
        assert w in banner, (w, banner)
    assert start < html.index('id="footprint-h"') and start < html.index('id="product-h"')
    good = kind == "valid"
    assert ("banner-good" in html[start - 80 : start]) is good
    assert ('class="footprint footprint-void"' in html) is not good  # a dead label's number is struck through


def test_the_page_draws_the_footprint_and_the_packages_code(client: TestClient) -> None:
    html = _page(client, "B-VALID")
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 2
    assert 'id="label-qr"' in html and "/01/06932233000011" in html


def test_the_log_page_draws_its_growth_from_its_checkpoints(client: TestClient) -> None:
    html = client.get("/log").text
    start = html.index('id="log-growth"')
    svg = html[start : html.index("</svg>", start)]
    size = client.get("/v1/log").json()["tree_size"]
    assert 'role="img"' in svg and '<path d="M' in svg and f">{size}<" in svg  # the newest checkpoint's size
    assert svg.count("H") >= 2  # one step per checkpoint kept


@pytest.mark.parametrize(("lang", "word"), [("en", "Revoked"), ("zh", "撤销"), ("zh-hant", "撤銷")])
def test_the_revoked_banner_says_revoked_once(client: TestClient, lang: str, word: str) -> None:
    """The heading said "Revoked" and the detail began "Revoked on …": the word twice in a row."""
    html = client.get(f"/labels/{GD}/B-RECALLED", params={"lang": lang}).text
    start = html.index('id="status-banner"')
    banner = re.sub(r"<[^>]+>", " ", html[start : html.index("</section>", start)])
    assert banner.count(word) == 1, banner
    assert "2026-11-24" in banner and "refrigerant mass misstated" in banner
