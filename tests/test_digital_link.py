"""The log as a GS1 Digital Link resolver (issue 19 item 5): ``GET /01/{gtin}`` leads a scanned package to the
product's current label, and its linkset (RFC 9264) lists every label of the product with GS1 link types.

A seller's attacks guarded here: a revoked or expired label must not be where the package's code leads while a
current one exists; a near-miss GTIN must not resolve to another product; a GTIN-13 printed on the package and
the GTIN-14 in the URI must find the same labels."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ledger.api import create_app
from ledger.log import Log
from ledger.store import Store
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .helpers import NOW, Signer, label_for, shared_log

GD = "gd-carbon-label"
GTIN = "06932233000011"  # the Midea air conditioner's (tests/data/label_gd_midea.json)
GTIN13 = "4006381333931"
VOC = "https://gs1.org/voc/"


def _label(label_id: str, issued: str, until: str, gtin: str = GTIN) -> dict[str, Any]:
    label = label_for(GD, label_id)
    label["issued_at"], label["valid_until"] = issued, until
    label["product"]["ids"] = [{"system": "gtin", "value": gtin}]
    return label


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Log]:
    """One product with an expired label, a current one, and a newer revoked one; another product stated as a
    GTIN-13; a product without labels is any other GTIN."""
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('dl') / 'ledger.db'}")
    log = Log(store, SigningKey.generate(), "dl.test/log", Policy(frozenset({GD})), lambda: NOW)
    root, cqc = Signer(), Signer()
    log.submit(root.register(GD))
    log.submit(root.authorize(GD, cqc, kinds=["label.issue", "label.revoke"]))
    log.submit(cqc.issue(_label("GD-OLD", "2020-01-01", "2022-12-31")))
    log.submit(cqc.issue(_label("GD-NOW", "2026-01-01", "2028-12-31")))
    recalled = log.submit(cqc.issue(_label("GD-RECALLED", "2026-06-01", "2029-05-31")))
    fields = {"scheme": GD, "label_id": "GD-RECALLED", "label_entry": recalled.entry_id, "reason": "recalled"}
    log.submit(cqc.sign("label.revoke", fields))
    log.submit(cqc.issue(_label("GD-PEN", "2026-01-01", "2028-12-31", gtin=GTIN13)))
    with shared_log(log):
        yield log
    store.close()


@pytest.fixture(scope="module")
def app(log: Log) -> Iterator[FastAPI]:
    app = create_app(log)
    yield app
    app.state.deps.sequencer.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://labels.example") as c:
        yield c


@pytest.mark.anyio
async def test_attack_revoked_or_expired_label_is_not_where_the_package_leads(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/01/{GTIN}")
    assert r.status_code == 307
    assert r.headers["location"] == f"https://labels.example/labels/{GD}/GD-NOW"
    assert 'rel="linkset"' in r.headers["link"]


@pytest.mark.anyio
async def test_qualifiers_and_link_types_resolve_to_the_current_label(client: httpx.AsyncClient) -> None:
    for path in (f"/01/{GTIN}/10/LOT7", f"/01/{GTIN}/21/SN123", f"/01/{GTIN}?linkType=gs1:certificationInfo"):
        r = await client.get(path)
        assert r.status_code == 307 and r.headers["location"].endswith("/GD-NOW"), path
    r = await client.get(f"/01/{GTIN}", params={"lang": "zh-hant"})
    assert r.headers["location"].endswith("/GD-NOW?lang=zh-hant")


@pytest.mark.anyio
@pytest.mark.parametrize("how", ["query", "all", "accept"])
async def test_linkset_lists_every_label_with_gs1_link_types(client: httpx.AsyncClient, how: str) -> None:
    if how == "accept":
        r = await client.get(f"/01/{GTIN}", headers={"Accept": "application/linkset+json"})
    else:
        r = await client.get(f"/01/{GTIN}", params={"linkType": "linkset" if how == "query" else "all"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/linkset+json")
    (context,) = r.json()["linkset"]
    assert context["anchor"] == f"https://labels.example/01/{GTIN}"
    assert [x["href"] for x in context[VOC + "defaultLink"]] == [f"https://labels.example/labels/{GD}/GD-NOW"]
    pages = [x for x in context[VOC + "certificationInfo"] if x["type"] == "text/html"]
    assert [p["href"].rsplit("/", 1)[1] for p in pages] == ["GD-RECALLED", "GD-NOW", "GD-OLD"]  # newest first
    assert "revoked" in pages[0]["title"] and "not valid on 2026-11-24" in pages[2]["title"]
    bundles = [x["href"] for x in context[VOC + "certificationInfo"] if x["href"].split("?")[0].endswith("/bundle")]
    assert f"https://labels.example/v1/labels/GD-NOW/bundle?scheme={GD}" in bundles
    assert [x["href"] for x in context[VOC + "sustainabilityInfo"]] == [p["href"] for p in pages]
    for links in (v for k, v in context.items() if k.startswith(VOC)):
        assert all(set(x) <= {"href", "title", "type", "hreflang"} and x["href"].startswith("https://") for x in links)


@pytest.mark.anyio
async def test_gtin13_on_the_package_and_gtin14_in_the_uri_are_one_product(client: httpx.AsyncClient) -> None:
    for form in (GTIN13, "0" + GTIN13):
        r = await client.get(f"/01/{form}")
        assert r.status_code == 307 and r.headers["location"].endswith("/GD-PEN"), form
    linkset = (await client.get(f"/01/{GTIN13}", params={"linkType": "linkset"})).json()
    assert linkset["linkset"][0]["anchor"].endswith("/01/0" + GTIN13)  # the anchor is the 14-digit form


@pytest.mark.anyio
async def test_attack_near_miss_gtin_does_not_resolve_to_another_product(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/01/{GTIN[:-1]}2")
    assert r.status_code == 400 and r.json()["error"]["code"] == "input.gtin_invalid"
    assert "check digit" in r.json()["error"]["message"]
    for bad in ("abc", "1" * 15, "%00"):
        r = await client.get(f"/01/{bad}")
        assert r.status_code in (400, 404) and "error" in r.json(), bad
    r = await client.get("/01/96385074")  # a valid GTIN-8 no label names
    assert r.status_code == 404 and r.json()["error"]["code"] == "label.unknown_gtin"


@pytest.mark.anyio
async def test_resolver_description_names_the_primary_key(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/.well-known/gs1resolver")).json()
    assert doc["supportedPrimaryKeys"] == ["01"] and doc["resolverRoot"] == "https://labels.example"


@pytest.mark.anyio
async def test_a_browser_gets_an_html_404_and_the_api_its_envelope(client: httpx.AsyncClient) -> None:
    for path in ("/01/96385074", "/no-such-page"):
        page = await client.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html"), path
        assert "<!doctype html>" in page.text.lower()
        api = await client.get(path)
        assert api.status_code == 404 and "error" in api.json(), path
    v1 = await client.get("/v1/no-such-thing", headers={"Accept": "text/html"})
    assert v1.status_code == 404 and v1.json()["error"]["code"] == "http.not_found"  # the API stays JSON
