"""Datasets over HTTP and on the pages, in-process (httpx ASGI transport) on a real SQLite log.

``GET /v1/datasets`` and ``GET /v1/datasets/{id}`` answer what the CLI prints (statuses from
verifier.datasets.version_statuses, values read from the logged dataset.publish payload); unknown ids
are 404 ``dataset.unknown``; ``/datasets`` and ``/datasets/{id}`` render values, sources, confidence,
status badges, and the superseded / retired banners, in English and Chinese.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ledger.api import create_app
from ledger.datasets_service import dataset_list, dataset_show
from ledger.log import Log
from ledger.reference_data import shipped_datasets
from ledger.store import Store
from mapping.errors import NotFoundError
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .helpers import NOW, Signer, read_only, shared_log
from .test_web_pages import text_of

MEE, OTHER = "cn-mee-data", "lca-data"
CN = "cn-electricity-footprint"
LIST_KEYS = {"id", "version", "publisher", "status", "ledger_index"}
VALUE_KEYS = {"key", "value", "unit", "kind", "year", "geography", "source", "confidence"}
DIGEST = "ab" * 32


def _publisher(signer: Signer, pid: str) -> bytes:
    return signer.sign(
        "scheme.register",
        {"scheme": {"id": pid, "name": f"{pid} publisher", "role": "data-publisher"}, "public_key": signer.public_b64},
    )


def _cn(version: int) -> dict[str, Any]:
    body = copy.deepcopy(next(d for d in shipped_datasets() if d["id"] == CN))
    body["version"] = version
    if version > 1:
        body["values"][0]["value"] = "0.6100"
    return body


def _release() -> dict[str, Any]:
    return {
        "id": "lca-db-release",
        "version": 1,
        "title": "An LCA database release",
        "licence": "proprietary; digests only",
        "geography": "global",
        "years": [2024],
        "release": {
            "name": "Example LCA DB",
            "version": "3.1",
            "files": [{"name": "db.zip", "size": 12, "sha256": DIGEST}],
        },
    }


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Log]:
    """CN footprint v1 (superseded), v2 (retired), v3 (current); and a release digest of another publisher. One
    for the module: its tests only read it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('datasets') / 'ledger.db'}"
    log = Log(Store(url), SigningKey.generate(), "ds.test/log", Policy(frozenset({MEE, OTHER})), lambda: NOW)
    mee, other = Signer(), Signer()
    log.submit(_publisher(mee, MEE))
    log.submit(_publisher(other, OTHER))
    for v in (1, 2, 3):
        receipt = log.submit(mee.sign("dataset.publish", {"publisher": MEE, "dataset": _cn(v)}))
        if v == 2:
            v2 = receipt.entry_id
    log.submit(
        mee.sign(
            "dataset.retire",
            {"publisher": MEE, "dataset": {"id": CN, "version": 2, "entry": v2}, "reason": "typo in CN/2023"},
        )
    )
    log.submit(other.sign("dataset.publish", {"publisher": OTHER, "dataset": _release()}))
    with shared_log(log):
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
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(app: FastAPI, log: Log) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


def test_service_statuses_and_values(log: Log) -> None:
    items = dataset_list(log)
    assert all(LIST_KEYS <= set(x) for x in items)
    assert [(x["id"], x["version"], x["status"]) for x in items] == [
        (CN, 1, "superseded"),
        (CN, 2, "retired"),
        (CN, 3, "current"),
        ("lca-db-release", 1, "current"),
    ]
    assert [x["ledger_index"] for x in items] == [2, 3, 4, 6]
    assert [x["id"] for x in dataset_list(log, OTHER)] == ["lca-db-release"]
    current = dataset_show(log, CN)
    assert current["version"] == 3 and current["newer_versions"] == []
    first = dataset_show(log, CN, 1)
    assert first["status"] == "superseded" and first["newer_versions"] == [3]  # v2 is retired
    assert first["values"][0]["value"] == "0.6205" and current["values"][0]["value"] == "0.6100"
    assert all(VALUE_KEYS <= set(v) and isinstance(v["value"], str) for v in first["values"])
    retired = dataset_show(log, CN, 2)
    assert retired["status"] == "retired"
    assert retired["retired"] == {"index": 5, "entry_id": retired["retired"]["entry_id"], "reason": "typo in CN/2023"}
    release = dataset_show(log, "lca-db-release")
    assert "values" not in release and release["release"]["files"][0]["sha256"] == DIGEST
    with pytest.raises(NotFoundError) as e:
        dataset_show(log, "nope")
    assert e.value.code == "dataset.unknown"
    with pytest.raises(NotFoundError) as e:
        dataset_show(log, CN, 9)
    assert e.value.code == "dataset.unknown_version"


@pytest.mark.anyio
async def test_api_list_and_show(client: httpx.AsyncClient, log: Log) -> None:
    r = await client.get("/v1/datasets")
    assert r.status_code == 200
    assert r.json() == dataset_list(log)
    assert [x["id"] for x in (await client.get("/v1/datasets", params={"publisher": MEE})).json()] == [CN] * 3
    shown = (await client.get(f"/v1/datasets/{CN}")).json()
    assert shown == dataset_show(log, CN)
    assert {"title", "entry_id", "newer_versions", "values"} <= set(shown) and shown["version"] == 3
    v1 = (await client.get(f"/v1/datasets/{CN}", params={"version": 1})).json()
    assert v1["status"] == "superseded" and v1["newer_versions"] == [3]
    assert {v["key"]: v["value"] for v in v1["values"]} == {"CN/2023": "0.6205", "CN/2024": "0.5777"}


@pytest.mark.anyio
async def test_api_unknown_dataset_and_version(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/datasets/nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "dataset.unknown"
    r = await client.get(f"/v1/datasets/{CN}", params={"version": 9})
    assert r.status_code == 404 and r.json()["error"]["code"] == "dataset.unknown_version"
    r = await client.get(f"/v1/datasets/{CN}", params={"version": 0})
    assert r.status_code == 422 and r.json()["error"]["code"] == "request.invalid"


@pytest.mark.anyio
async def test_datasets_page_lists_versions_with_badges(client: httpx.AsyncClient) -> None:
    r = await client.get("/datasets")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert 'href="/datasets"' in html  # the nav link
    for version, status in ((1, "superseded"), (2, "retired"), (3, "current")):
        assert f'<tr class="dataset-{status}" data-dataset="{CN}" data-version="{version}">' in html
    assert f'href="/datasets/{CN}?version=1"' in html
    assert 'href="/v1/entries/4"' in html  # ledger index of v3
    page = text_of(html)
    assert "cn-mee-data publisher" in page and "lca-db-release" in page
    assert "<script" not in html


@pytest.mark.anyio
async def test_dataset_page_values_and_banners(client: httpx.AsyncClient) -> None:
    current = await client.get(f"/datasets/{CN}")
    assert current.status_code == 200
    page = text_of(current.text)
    for expected in ("CN/2023", "0.6100", "kgCO2e/kWh", "lifecycle-co2e", "secondary source only", "[S27"):
        assert expected in page, expected
    assert 'id="dataset-status">current<' in current.text
    assert "superseded-banner" not in current.text and "retired-banner" not in current.text

    old = await client.get(f"/datasets/{CN}", params={"version": "1"})
    assert 'id="superseded-banner"' in old.text and "0.6205" in old.text
    assert f'href="/datasets/{CN}?version=3"' in old.text

    retired = await client.get(f"/datasets/{CN}", params={"version": "2"})
    assert 'id="retired-banner"' in retired.text
    assert "typo in CN/2023" in retired.text and "log index 5" in text_of(retired.text)

    zh = await client.get(f"/datasets/{CN}", params={"version": "1", "lang": "zh"})
    assert "全国电力平均碳足迹因子（2023年、2024年）" in zh.text and "已被替代" in zh.text and "仅有二手来源" in zh.text

    release = await client.get("/datasets/lca-db-release")
    assert release.status_code == 200 and DIGEST in release.text and "db.zip" in release.text


@pytest.mark.anyio
async def test_dataset_page_not_found(client: httpx.AsyncClient) -> None:
    for path, params in (
        ("/datasets/nope", {}),
        (f"/datasets/{CN}", {"version": "9"}),
        (f"/datasets/{CN}", {"version": "x"}),
    ):
        r = await client.get(path, params=params)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), (path, params)
