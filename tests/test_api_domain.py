# ruff: noqa: F811  (the fixtures imported from tests/world_app.py are redefined as arguments)
"""The domain read API in-process (httpx ASGI transport): schemes, profiles and their diff, agreements, label
search and records, equivalence verdicts and POST /v1/verify — every happy path and every error code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ledger import agreements_service as svc
from ledger.bundles import build_bundle, export_trust
from ledger.http_inputs import MAX_BUNDLE_BYTES, MAX_TRUST_BYTES
from ledger.log import Log
from ledger.store import Store
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .helpers import NOW, Signer, shared_log
from .test_agreements_ledger import CT, GD, HK, JP, World, current_label, terms
from .world_app import anyio_backend, app, client, world  # noqa: F401  (the module's fixtures)

TODAY = NOW.date().isoformat()


@pytest.fixture(scope="module")
def shared_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """GD, HK, CT and JP registered; CQC issues for GD; gd-hk-mutual proposed by GD and accepted by HK; two
    current GD labels; and one label id that exists in both GD and HK. One for the module: its tests only read it."""
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('domain') / 'ledger.db'}")
    key = SigningKey.generate()
    log = Log(store, key, "domain.test/log", Policy(frozenset({GD, HK, CT, JP})), lambda: NOW)
    w = World(log, key)
    w.propose(GD, terms("gd-hk-mutual"))
    w.accept(HK, "gd-hk-mutual", 1)
    log.submit(w.cqc.issue(current_label("GD-NEW-1")))
    other = current_label("GD-NEW-2")
    other["product"]["model"] = "ZZ-OTHER-9"
    other["product"]["ids"] = [{"system": "gtin", "value": "06901234567892"}]
    log.submit(w.cqc.issue(other))
    log.submit(w.cqc.issue(current_label("SHARED-1")))
    hk_body = Signer()
    log.submit(w.roots[HK].authorize(HK, hk_body))
    shared = current_label("SHARED-1")
    shared["scheme"] = HK
    log.submit(hk_body.issue(shared))
    with shared_log(log):
        yield w


def error_of(r: httpx.Response) -> tuple[int, str]:
    return r.status_code, r.json()["error"]["code"]


# ---- schemes ----------------------------------------------------------------------------------------------------
@pytest.mark.anyio
async def test_schemes_list_and_show(client: httpx.AsyncClient, world: World) -> None:
    r = await client.get("/v1/schemes")
    assert r.status_code == 200
    rows = r.json()
    assert [s["id"] for s in rows] == [GD, HK, CT, JP]  # log order
    gd = rows[0]
    assert gd["registered_index"] == 0 and gd["role"] == "scheme" and gd["name"] == "Gd Carbon Label"
    assert gd["root_key_id"] == world.roots[GD].key_id
    assert gd["profile"]["id"] == GD and gd["profile"]["version"]
    one = (await client.get(f"/v1/schemes/{HK}")).json()
    assert one["id"] == HK and one["root_key_id"] == world.roots[HK].key_id
    assert [(a["id"], a["version"], a["status"]) for a in one["agreements"]] == [("gd-hk-mutual", 1, "in_force")]
    assert (await client.get(f"/v1/schemes/{JP}")).json()["agreements"] == []


# ---- profiles ---------------------------------------------------------------------------------------------------
@pytest.mark.anyio
async def test_profiles_list_show_and_diff(client: httpx.AsyncClient) -> None:
    from mapping.profiles import get_profile, list_profiles

    listed = (await client.get("/v1/profiles")).json()
    assert len(listed) == len(list_profiles())
    assert set(listed[0]) == {"id", "name", "name_zh", "version", "kind", "extends"}
    assert any(p["id"] == GD and p["kind"] == "scheme" for p in listed)
    shown = (await client.get(f"/v1/profiles/{GD}")).json()
    assert shown == get_profile(GD).to_dict()
    version = get_profile(GD).version
    assert (await client.get(f"/v1/profiles/{GD}", params={"version": version})).json()["version"] == version
    diff = (await client.get(f"/v1/profiles/{GD}/diff/{HK}")).json()
    assert diff and set(diff[0]) == {"dimension", "class", "reason", "a", "b", "conversion", "needs"}
    assert "gwp_sets" in {d["dimension"] for d in diff}
    assert {d["class"] for d in diff} <= {"identical", "convertible", "needs_agreement", "incompatible"}


# ---- agreements -------------------------------------------------------------------------------------------------
@pytest.mark.anyio
async def test_agreements_list_show_and_history(client: httpx.AsyncClient, world: World) -> None:
    rows = (await client.get("/v1/agreements")).json()
    assert [(v["id"], v["version"], v["status"]) for v in rows] == [("gd-hk-mutual", 1, "in_force")]
    assert rows[0]["schemes"] == [GD, HK] and rows[0]["accepted_index"] is not None
    before = (await client.get("/v1/agreements", params={"at": "2026-01-01"})).json()
    assert before == svc.agreement_list(world.log, NOW.date().replace(month=1, day=1))
    shown = (await client.get("/v1/agreements/gd-hk-mutual")).json()
    assert shown["terms"]["id"] == "gd-hk-mutual" and len(shown["history"]) == 2
    assert (await client.get("/v1/agreements/gd-hk-mutual", params={"version": 1})).json()["version"] == 1
    history = (await client.get("/v1/agreements/gd-hk-mutual/history")).json()
    assert [h["kind"] for h in history] == ["agreement.propose", "agreement.accept"]
    assert [h["scheme"] for h in history] == [GD, HK]
    assert (await client.get("/v1/agreements-history")).json() == svc.agreement_history(world.log)


# ---- labels -----------------------------------------------------------------------------------------------------
@pytest.mark.anyio
async def test_label_search_by_model_gtin_manufacturer_scheme_and_text(client: httpx.AsyncClient) -> None:
    async def ids(**params: Any) -> list[tuple[str, str]]:
        r = await client.get("/v1/labels/search", params=params)
        assert r.status_code == 200, r.text
        return [(x["scheme"], x["label_id"]) for x in r.json()]

    assert await ids(model="zz-other") == [(GD, "GD-NEW-2")]
    assert await ids(gtin="06901234567892") == [(GD, "GD-NEW-2")]
    assert await ids(gtin="0690123456789") == []  # GTINs match exactly
    everything = await ids()
    assert len(everything) == 4 and everything[0] == (HK, "SHARED-1")  # newest first
    assert await ids(scheme=HK) == [(HK, "SHARED-1")]
    assert await ids(q="shared", scheme=GD) == [(GD, "SHARED-1")]
    manufacturer = (await client.get("/v1/labels/search", params={"gtin": "06901234567892"})).json()[0]["manufacturer"]
    assert manufacturer and (GD, "GD-NEW-2") in await ids(manufacturer=manufacturer[:5].lower())
    assert await ids(model="zz-other", scheme=HK) == []
    assert len(await ids(limit=1)) == 1


@pytest.mark.anyio
async def test_label_record_as_logged(client: httpx.AsyncClient, world: World) -> None:
    r = await client.get("/v1/labels/GD-NEW-1")
    assert r.status_code == 200
    got = r.json()
    row = world.log.store.labels_by_ids(["GD-NEW-1"])[0]
    assert (got["index"], got["entry_id"], got["status"], got["scheme"]) == (row.idx, row.entry_id, "active", GD)
    assert got["label"] == current_label("GD-NEW-1") and got["signer"] == world.cqc.key_id
    assert got["signed_at"].startswith(TODAY)
    shared = (await client.get("/v1/labels/SHARED-1", params={"scheme": HK})).json()
    assert shared["scheme"] == HK and shared["label"]["scheme"] == HK


# ---- equivalence ------------------------------------------------------------------------------------------------
@pytest.mark.anyio
async def test_equivalence_recognized_no_agreement_and_same_scheme(client: httpx.AsyncClient, world: World) -> None:
    r = await client.get("/v1/labels/GD-NEW-1/equivalence", params={"to": HK, "at": TODAY})
    assert r.status_code == 200
    v = r.json()
    assert v["verdict"] == "recognized", v
    assert v["agreement"]["id"] == "gd-hk-mutual" and v["agreement"]["version"] == 1
    assert v["agreement"]["terms_hash"] == svc.terms_hash_of(world.log, "gd-hk-mutual", 1)
    assert (v["label_id"], v["scheme"], v["target_scheme"], v["at"]) == ("GD-NEW-1", GD, HK, TODAY)
    none = (await client.get("/v1/labels/GD-NEW-1/equivalence", params={"to": JP, "at": TODAY})).json()
    assert none["verdict"] == "no_agreement" and none["agreement"] is None and none["reasons"]
    own = (await client.get("/v1/labels/GD-NEW-1/equivalence", params={"to": GD})).json()
    assert own["verdict"] == "recognized" and own["at"] == TODAY  # default: today by the log's clock
    shared = await client.get("/v1/labels/SHARED-1/equivalence", params={"to": GD, "scheme": HK, "at": TODAY})
    assert shared.json()["verdict"] == "recognized" and shared.json()["scheme"] == HK
    before = (await client.get("/v1/labels/GD-NEW-1/equivalence", params={"to": HK, "at": "2026-11-23"})).json()
    assert before["verdict"] == "no_agreement"  # the accept is logged on 2026-11-24


# ---- verify -----------------------------------------------------------------------------------------------------
@pytest.mark.anyio
async def test_verify_a_bundle_from_the_log(client: httpx.AsyncClient, world: World) -> None:
    bundle = build_bundle(world.log, "GD-NEW-1", GD, HK)
    files = {"bundle": ("b.json", bundle, "application/json")}
    r = await client.post("/v1/verify", files=files, data={"to": HK, "at": TODAY})
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["exit_code"] == 0 and report["verdict"] == "authentic_and_valid", report
    assert report["label_id"] == "GD-NEW-1" and report["at"] == TODAY and report["trust_source"] == "log"
    assert report["equivalence"]["verdict"] == "recognized"
    assert [s["step"] for s in report["steps"]] == list(range(1, 11))
    # with an uploaded trust file
    trust = json.dumps(export_trust(world.log, buyer_scheme=HK).to_dict()).encode()
    files["trust"] = ("trust.json", trust, "application/json")
    r = await client.post("/v1/verify", files=files, data={"to": HK, "at": TODAY})
    assert r.json()["exit_code"] == 0 and r.json()["trust_source"] == "uploaded"
    # the bundle itself as a JSON body, with to and at as query parameters
    r = await client.post(
        "/v1/verify", content=bundle, params={"to": JP, "at": TODAY}, headers={"content-type": "application/json"}
    )
    assert r.status_code == 200 and r.json()["exit_code"] == 4  # authentic, but no GD -> JP agreement
    assert r.json()["equivalence"]["verdict"] == "no_evidence"  # the bundle was built for HK, not JP


@pytest.mark.anyio
async def test_verify_malformed_inputs_are_a_step_1_failure_in_a_200(client: httpx.AsyncClient, world: World) -> None:
    for files in (
        {"bundle": ("junk.json", b"{not a bundle", "application/json")},
        {
            "bundle": ("b.json", build_bundle(world.log, "GD-NEW-1", GD), "application/json"),
            "trust": ("t.json", b"[]", "application/json"),
        },
    ):
        r = await client.post("/v1/verify", files=files, data={"at": TODAY})
        assert r.status_code == 200, r.text
        report = r.json()
        assert report["exit_code"] == 5 and report["verdict"] == "unusable_input"
        assert report["steps"][0]["step"] == 1 and report["steps"][0]["status"] == "failed"
    r = await client.post("/v1/verify", content=b"\xff\x00", headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["steps"][0]["status"] == "failed"


# ---- errors -----------------------------------------------------------------------------------------------------
@pytest.mark.anyio
async def test_error_statuses_and_codes(client: httpx.AsyncClient, world: World) -> None:
    big_bundle = {"bundle": ("b.json", b" " * (MAX_BUNDLE_BYTES + 1), "application/json")}
    big_trust = {
        "bundle": ("b.json", b"{}", "application/json"),
        "trust": ("t.json", b" " * (MAX_TRUST_BYTES + 1), "application/json"),
    }
    cases: list[tuple[Any, int, str, str | None]] = [
        (client.get("/v1/schemes/zz-nope"), 404, "scheme.unknown", None),
        (client.get("/v1/profiles/zz-nope"), 404, "mapping.unknown_profile", "profile"),
        (client.get(f"/v1/profiles/{GD}", params={"version": "999"}), 404, "mapping.unknown_profile_version", None),
        (client.get(f"/v1/profiles/{GD}/diff/zz-nope"), 404, "mapping.unknown_profile", None),
        (client.get("/v1/agreements/zz-nope"), 404, "agreement.unknown", None),
        (client.get("/v1/agreements/gd-hk-mutual", params={"version": 7}), 404, "agreement.unknown_version", None),
        (client.get("/v1/agreements/zz-nope/history"), 404, "agreement.unknown", None),
        (client.get("/v1/labels/NO-SUCH"), 404, "label.unknown", None),
        (client.get("/v1/labels/GD-NEW-1", params={"scheme": HK}), 404, "label.unknown", None),
        (client.get("/v1/labels/SHARED-1"), 409, "label.ambiguous", None),
        (client.get("/v1/labels/NO-SUCH/equivalence", params={"to": HK}), 404, "label.unknown", None),
        (client.get("/v1/labels/GD-NEW-1/equivalence", params={"to": "zz-nope"}), 404, "scheme.unknown", "to"),
        (client.get("/v1/labels/GD-NEW-1/equivalence", params={"to": HK, "at": "24/11/2026"}), 422, "input.date", "at"),
        (client.get("/v1/agreements", params={"at": "yesterday"}), 422, "input.date", "at"),
        (client.get("/v1/labels/GD-NEW-1/equivalence"), 422, "request.invalid", None),  # `to` is required
        (client.post("/v1/verify", files=big_bundle), 413, "input.oversized", "bundle"),
        (client.post("/v1/verify", files=big_trust), 413, "input.oversized", "trust"),
        (
            client.post(
                "/v1/verify", content=b" " * (MAX_BUNDLE_BYTES + 1), headers={"content-type": "application/json"}
            ),
            413,
            "input.oversized",
            None,
        ),
        (
            client.post("/v1/verify", files={"bundle": ("b.json", b"{}", "application/json")}, data={"at": "soon"}),
            422,
            "input.date",
            "at",
        ),
        (
            client.post("/v1/verify", files={"trust": ("t.json", b"{}", "application/json")}),
            400,
            "input.missing",
            "bundle",
        ),
        (
            client.post("/v1/verify", content=b"x", headers={"content-type": "text/plain"}),
            415,
            "input.content_type",
            None,
        ),
    ]
    size = world.log.size
    for call, status, code, field in cases:
        r = await call
        assert error_of(r) == (status, code), r.text
        if field is not None:
            assert r.json()["error"]["field"] == field, r.text
    assert world.log.size == size  # nothing here writes


@pytest.mark.anyio
async def test_openapi_lists_the_domain_routes(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in (
        "/v1/schemes",
        "/v1/schemes/{scheme_id}",
        "/v1/profiles",
        "/v1/profiles/{profile_id}",
        "/v1/profiles/{a}/diff/{b}",
        "/v1/agreements",
        "/v1/agreements/{agreement_id}",
        "/v1/agreements/{agreement_id}/history",
        "/v1/agreements-history",
        "/v1/labels/search",
        "/v1/labels/{label_id}",
        "/v1/labels/{label_id}/equivalence",
        "/v1/verify",
    ):
        assert path in paths, path
    assert set(paths["/v1/verify"]) == {"post"}  # read-only otherwise: writes are signed entries
