"""The PACT v3 API in-process (Starlette TestClient): the client-credentials flow, ListFootprints' filters and
pagination, GetFootprint, Action Events, PACT's error bodies, and the proof extension. With ``PACT_SPEC_DIR``
(tests/pact_spec.py) the answers are also validated against the specification's own openapi.yaml."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

from ledger.api import create_app
from ledger.log import Log
from ledger.pact_auth import TOKEN_TTL_S, PactAuth
from ledger.store import Store
from mapping.pact_fields import footprint_id
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .helpers import NOW, Signer, label_for, midea_label
from .pact_schema import error_schema, validator
from .pact_spec import errors, event_validator, footprint_validator, response_validator, schema_validator
from .test_pact_mapping import demo_footprint, pact_complete

GD = "gd-carbon-label"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> Any:
        return self.now


def _label(label_id: str, gtin: str, country: str) -> dict[str, Any]:
    label = pact_complete(label_for(GD, label_id))
    label["product"]["ids"] = [{"system": "gtin", "value": gtin}]
    label["product"]["production_site"]["country"] = country
    return label


@pytest.fixture
def world(sqlite_url: str) -> Iterator[tuple[Log, Clock, dict[str, str]]]:
    clock = Clock()
    store = Store(sqlite_url)
    log = Log(store, SigningKey.generate(), "pact.test/log", Policy(frozenset({GD})), clock)
    gd, cqc = Signer(), Signer()
    log.submit(gd.register(GD))
    log.submit(gd.authorize(GD, cqc))
    ids = {}
    for i, (gtin, country) in enumerate([("06900000000014", "CN"), ("06900000000021", "DE"), ("06900000000038", "CN")]):
        ids[f"L{i}"] = log.submit(cqc.issue(_label(f"GD-P-{i}", gtin, country))).entry_id
    old = copy.deepcopy(label_for(GD, "GD-P-OLD"))  # a label PACT cannot express (no fossil values): not served
    ids["unexpressible"] = log.submit(cqc.issue(old)).entry_id
    ids["L3"] = log.submit(cqc.issue(_label("GD-P-3", "06900000000045", "CN"))).entry_id
    log.submit(
        cqc.sign("label.revoke", {"scheme": GD, "label_id": "GD-P-0", "label_entry": ids["L0"], "reason": "recalled"})
    )
    fields = {
        "scheme": GD,
        "label_id": "GD-P-1",
        "label_entry": ids["L1"],
        "replacement_entry": ids["L3"],
        "reason": "new data",
    }
    log.submit(cqc.sign("label.supersede", fields))
    yield log, clock, ids
    store.close()


@pytest.fixture
def client(world: tuple[Log, Clock, dict[str, str]]) -> Iterator[TestClient]:
    app = create_app(world[0])
    with TestClient(app, base_url="https://pact.test") as c:
        yield c


def _basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def _token(client: TestClient, log: Log) -> str:
    made = PactAuth(log.store).add_client("buyer", log.clock())
    r = client.post(
        "/auth/token",
        content="grant_type=client_credentials",
        headers={**_basic(made.client_id, made.client_secret), "content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["token_type"] == "bearer" and r.json()["expires_in"] == TOKEN_TTL_S
    assert r.headers["cache-control"] == "no-store"
    return str(r.json()["access_token"])


def _get(client: TestClient, token: str, url: str) -> Any:
    return client.get(url, headers={"Authorization": f"Bearer {token}"})


def _is_pact_error(r: Any, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.json()["code"] == code and list(validator(error_schema()).iter_errors(r.json())) == []


def test_list_footprints_after_client_credentials(client: TestClient, world: Any) -> None:
    log, _clock, ids = world
    token = _token(client, log)
    r = _get(client, token, "/3/footprints")
    assert r.status_code == 200 and "link" not in r.headers
    data = r.json()["data"]
    assert [pf["id"] for pf in data] == [footprint_id(ids[k]) for k in ("L0", "L1", "L2", "L3")]
    for pf in data:
        assert list(validator().iter_errors(pf)) == []
    status = {pf["id"]: pf["status"] for pf in data}
    assert status[footprint_id(ids["L0"])] == "Deprecated"  # revoked
    assert status[footprint_id(ids["L1"])] == "Deprecated"  # superseded
    assert status[footprint_id(ids["L2"])] == "Active"
    assert data[3]["precedingPfIds"] == [footprint_id(ids["L1"])]


def test_proof_extension_links_the_bundle_and_validates_against_its_published_schema(
    client: TestClient, world: Any
) -> None:
    log, _clock, ids = world
    token = _token(client, log)
    pf = _get(client, token, f"/3/footprints/{footprint_id(ids['L2'])}").json()["data"]
    ext = pf["extensions"][-1]
    schema = client.get(urlsplit(ext["dataSchema"]).path).json()
    assert ext["dataSchema"] == schema["$id"] and ext["dataSchema"].startswith("https://pact.test/")
    assert list(validator(schema).iter_errors(ext["data"])) == []
    assert ext["data"]["entryId"] == ids["L2"] and ext["data"]["logOrigin"] == "pact.test/log"
    assert ext["data"]["checkpoint"] == client.get("/v1/checkpoint").text
    bundle = client.get(urlsplit(ext["data"]["bundle"]).path + "?" + urlsplit(ext["data"]["bundle"]).query)
    assert bundle.status_code == 200
    status = client.get(urlsplit(ext["data"]["status"]).path)
    assert status.status_code == 200 and status.json()["kind"] == "label"


def test_pagination_follows_absolute_next_links_and_repeats_the_same_page(client: TestClient, world: Any) -> None:
    log, _clock, _ids = world
    token = _token(client, log)
    seen, url, pages = [], "/3/footprints?limit=3", 0
    while url:
        r = _get(client, token, url)
        assert r.status_code == 200 and len(r.json()["data"]) <= 3
        seen += [pf["id"] for pf in r.json()["data"]]
        pages += 1
        link = r.headers.get("link")
        if link is None:
            break
        target = link.split(";")[0].strip("<>")
        assert (
            link.endswith('; rel="next"') and urlsplit(target).netloc == "pact.test" and target.startswith("https://")
        )
        again = _get(client, token, target)
        assert again.json() == _get(client, token, target).json()  # a pagination link answers the same set
        url = target
    assert pages == 2 and len(seen) == 4 == len(set(seen))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("productId=urn:gtin:06900000000021", ["L1"]),
        ("productId=urn:gtin:06900000000021&productId=urn:gtin:06900000000045", ["L1", "L3"]),
        ("geography=DE", ["L1"]),
        ("status=Active", ["L2", "L3"]),
        ("status=Deprecated", ["L0", "L1"]),
        ("classification=urn:pact:productclassification:un-cpc:43912", ["L0", "L1", "L2", "L3"]),
        ("companyId=urn:nobody", []),
        ("validOn=2023-01-01T00:00:00Z", ["L0", "L1", "L2", "L3"]),
        ("validOn=2030-01-01T00:00:00Z", []),
        ("validAfter=2022-01-01T00:00:00Z", ["L0", "L1", "L2", "L3"]),
        ("validBefore=2025-01-01T00:00:00Z", []),
        ("x-other-vendor-filter=1", ["L0", "L1", "L2", "L3"]),
    ],
)
def test_filters(client: TestClient, world: Any, query: str, expected: list[str]) -> None:
    log, _clock, ids = world
    token = _token(client, log)
    r = _get(client, token, f"/3/footprints?{query}")
    assert r.status_code == 200, r.text
    assert [pf["id"] for pf in r.json()["data"]] == [footprint_id(ids[k]) for k in expected]


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("limit=0", 400, "BadRequest"),
        ("limit=ten", 400, "BadRequest"),
        ("status=Gone", 400, "BadRequest"),
        ("validOn=yesterday", 400, "BadRequest"),
        ("colour=red", 400, "BadRequest"),
        ("$filter=companyName eq 'x'", 501, "NotImplemented"),
    ],
)
def test_bad_queries_answer_pact_errors(client: TestClient, world: Any, query: str, status: int, code: str) -> None:
    token = _token(client, world[0])
    _is_pact_error(_get(client, token, f"/3/footprints?{query}"), status, code)


def test_get_footprint_and_its_errors(client: TestClient, world: Any) -> None:
    log, _clock, ids = world
    token = _token(client, log)
    r = _get(client, token, f"/3/footprints/{footprint_id(ids['L3'])}")
    assert r.status_code == 200 and r.json()["data"]["id"] == footprint_id(ids["L3"])
    _is_pact_error(_get(client, token, f"/3/footprints/{footprint_id(ids['unexpressible'])}"), 404, "NotFound")
    _is_pact_error(_get(client, token, "/3/footprints/not-a-uuid"), 404, "NotFound")


def test_no_token_or_a_forged_one_is_access_denied(client: TestClient, world: Any) -> None:
    _is_pact_error(client.get("/3/footprints"), 403, "AccessDenied")
    _is_pact_error(_get(client, "forged", "/3/footprints"), 403, "AccessDenied")
    _is_pact_error(client.get("/3/footprints", headers={"Authorization": "Basic eDp5"}), 403, "AccessDenied")
    _is_pact_error(client.post("/3/events", content="{}"), 403, "AccessDenied")


def test_tokens_expire_by_the_injected_clock(client: TestClient, world: Any) -> None:
    log, clock, _ids = world
    token = _token(client, log)
    clock.now = NOW + timedelta(seconds=TOKEN_TTL_S - 1)
    assert _get(client, token, "/3/footprints").status_code == 200
    clock.now = NOW + timedelta(seconds=TOKEN_TTL_S)
    _is_pact_error(_get(client, token, "/3/footprints"), 401, "TokenExpired")


@pytest.mark.parametrize(
    ("headers", "body", "status", "error"),
    [
        ({}, "grant_type=client_credentials", 401, "invalid_client"),
        ({"Authorization": "Basic !!!"}, "grant_type=client_credentials", 401, "invalid_client"),
        ("wrong-secret", "grant_type=client_credentials", 401, "invalid_client"),
        ("unknown-client", "grant_type=client_credentials", 401, "invalid_client"),
        ("right", "grant_type=password", 400, "unsupported_grant_type"),
        ("right", "", 400, "invalid_request"),
    ],
)
def test_token_endpoint_errors_follow_rfc_6749(
    client: TestClient, world: Any, headers: Any, body: str, status: int, error: str
) -> None:
    log = world[0]
    made = PactAuth(log.store).add_client("buyer", log.clock())
    if headers == "right":
        headers = _basic(made.client_id, made.client_secret)
    elif headers == "wrong-secret":
        headers = _basic(made.client_id, made.client_secret + "x")
    elif headers == "unknown-client":
        headers = _basic("nobody", made.client_secret)
    r = client.post(
        "/auth/token", content=body, headers={**headers, "content-type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == status and r.json()["error"] == error
    if status == 401:
        assert r.headers["www-authenticate"].startswith("Basic")


def test_client_secrets_are_stored_hashed(world: Any) -> None:
    log = world[0]
    made = PactAuth(log.store).add_client("buyer", log.clock())
    raw = log.store.engine.raw_connection()
    try:
        rows = raw.cursor().execute("select * from pact_clients").fetchall()
    finally:
        raw.close()
    assert rows and all(made.client_secret not in json.dumps([str(c) for c in row]) for row in rows)


PF_ID = "079e425a-464f-528d-341d-4a944a1dfd70"
EVENTS = {
    "published": {"type": "org.wbcsd.pact.ProductFootprint.PublishedEvent.3", "data": {"pfIds": [PF_ID]}},
    "request": {
        "type": "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3",
        "data": {"productId": ["urn:gtin:06900000000021"], "status": "Active", "comment": "please"},
    },
    "fulfilled": {
        "type": "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3",
        "data": {"requestEventId": "r", "pfs": [demo_footprint(midea_label())]},
    },
    "rejected": {
        "type": "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3",
        "data": {"requestEventId": "r", "error": {"code": "NotFound", "message": "none"}},
    },
}


def _event(kind: str, **changes: Any) -> dict[str, Any]:
    base = {"specversion": "1.0", "id": "ev-1", "source": "//buyer.example/pact", "time": "2026-11-24T12:00:00Z"}
    return {**base, **EVENTS[kind], **changes}


@pytest.mark.parametrize("kind", sorted(EVENTS))
def test_events_are_accepted_with_an_empty_200(client: TestClient, world: Any, kind: str) -> None:
    token = _token(client, world[0])
    r = client.post(
        "/3/events",
        content=json.dumps(_event(kind)),
        headers={"Authorization": f"Bearer {token}", "content-type": "application/cloudevents+json; charset=UTF-8"},
    )
    assert r.status_code == 200 and r.content == b""
    assert client.app.state.pact_host.events[-1]["kind"] == kind  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "event",
    [
        _event("published", type="org.example.Unknown.v1"),
        _event("published", specversion="0.3"),
        _event("published", id=""),
        _event("published", data={"pfIds": []}),
        _event("request", data={"productId": "urn:gtin:1"}),
        _event("request", data={"status": "Gone"}),
        _event("fulfilled", data={"pfs": []}),
        _event("fulfilled", data={"requestEventId": "r", "pfs": []}),  # PACT v3: the list MUST be non-empty
        _event("published", data={"pfIds": ["x"]}),  # footprint ids are UUIDs
        _event("published", type="org.wbcsd.pathfinder.ProductFootprint.Published.v1"),  # a v3 draft's type
        "not an object",
    ],
)
def test_invalid_events_are_bad_requests(client: TestClient, world: Any, event: Any) -> None:
    token = _token(client, world[0])
    r = client.post("/3/events", content=json.dumps(event), headers={"Authorization": f"Bearer {token}"})
    _is_pact_error(r, 400, "BadRequest")
    _is_pact_error(
        client.post("/3/events", content="{", headers={"Authorization": f"Bearer {token}"}), 400, "BadRequest"
    )


def test_openid_configuration_names_the_token_endpoint(client: TestClient) -> None:
    doc = client.get("/.well-known/openid-configuration").json()
    assert doc["token_endpoint"] == "https://pact.test/auth/token" and doc["issuer"] == "https://pact.test"
    assert "client_credentials" in doc["grant_types_supported"]
    assert client.get(urlsplit(doc["jwks_uri"]).path).json() == {"keys": []}


def test_imported_footprints_are_admitted_as_labels_and_served_back(sqlite_url: str) -> None:
    """PACT footprints import as labels the log admits, and come back out as the same footprints."""
    from mapping.pact_import import ImportDefaults, import_footprint

    from .test_pact_mapping import expected_back, own_footprints, strip_host

    store = Store(sqlite_url)
    log = Log(store, SigningKey.generate(), "pact.import/log", Policy(frozenset({GD})), lambda: NOW)
    try:
        gd, cqc = Signer(), Signer()
        log.submit(gd.register(GD))
        log.submit(gd.authorize(GD, cqc))
        defaults = ImportDefaults(
            scheme=GD, manufacturer_country="DE", boundary="cradle-to-gate", verification_level="limited"
        )
        wanted = own_footprints()
        entries = [log.submit(cqc.issue(import_footprint(pf, defaults))).entry_id for pf in wanted]
        with TestClient(create_app(log), base_url="https://pact.test") as c:
            token = _token(c, log)
            for pf, entry_id in zip(wanted, entries, strict=True):
                back = _get(c, token, f"/3/footprints/{footprint_id(entry_id)}").json()["data"]
                assert strip_host(back) == expected_back(pf)
                assert back["extensions"][:-1] == pf.get("extensions", [])
    finally:
        store.close()


@pytest.mark.parametrize(
    ("criteria", "answer", "count"),
    [
        ({"productId": ["urn:gtin:06900000000021", "urn:gtin:06900000000045"]}, "Fulfilled", 2),
        ({"productId": ["urn:gtin:06900000000045"], "status": "Active"}, "Fulfilled", 1),
        ({"geography": ["FR"]}, "Rejected", 0),
    ],
)
def test_a_footprint_request_is_answered_asynchronously(
    client: TestClient, world: Any, criteria: dict[str, Any], answer: str, count: int
) -> None:
    token = _token(client, world[0])
    request = _event("request", data=criteria)
    r = client.post("/3/events", content=json.dumps(request), headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.content == b""
    queued = client.app.state.pact_host.outbox[-1]  # type: ignore[attr-defined]
    assert queued["to"] == request["source"]
    response = queued["event"]
    assert response["type"] == f"org.wbcsd.pact.ProductFootprint.Request{answer}Event.3"
    assert response["data"]["requestEventId"] == request["id"] and response["source"] == "//pact.test/3/events"
    if answer == "Fulfilled":
        assert len(response["data"]["pfs"]) == count
        assert all(list(validator().iter_errors(pf)) == [] for pf in response["data"]["pfs"])
    else:
        assert list(validator(error_schema()).iter_errors(response["data"]["error"])) == []


# --- against the specification's own openapi.yaml (PACT_SPEC_DIR; skipped without it) -----------------------


def test_list_and_get_responses_validate_against_the_specifications_schemas(client: TestClient, world: Any) -> None:
    """Every ListFootprints body (one page, pages of one followed by their links, a filter) against the 200 schema of
    ``/3/footprints``, every GetFootprint body against that of ``/3/footprints/{id}``."""
    listed, got = response_validator("/3/footprints"), response_validator("/3/footprints/{id}")
    token = _token(client, world[0])
    bodies, url = [_get(client, token, "/3/footprints").json()], "/3/footprints?limit=1"
    bodies.append(_get(client, token, "/3/footprints?status=Deprecated").json())
    while url:
        r = _get(client, token, url)
        bodies.append(r.json())
        url = r.headers["link"].split(";")[0].strip("<>") if "link" in r.headers else ""
    assert len(bodies) == 2 + 4 and all(errors(listed, body) == [] for body in bodies)
    ids = [pf["id"] for pf in bodies[0]["data"]]
    assert len(ids) == 4
    for pf_id in ids:
        body = _get(client, token, f"/3/footprints/{pf_id}").json()
        assert body["data"]["id"] == pf_id and errors(got, body) == []
        assert errors(footprint_validator(), body["data"]) == []


def test_error_bodies_validate_against_the_specifications_error_schema(client: TestClient, world: Any) -> None:
    """Each error the API answers against ``components/schemas/Error``, and against the response the
    specification lists for that path and status where it lists one."""
    log, clock, ids = world
    token = _token(client, log)
    bearer = {"Authorization": f"Bearer {token}"}
    answers = [
        ("/3/footprints", client.get("/3/footprints")),
        ("/3/footprints", _get(client, "forged", "/3/footprints")),
        ("/3/footprints", _get(client, token, "/3/footprints?limit=0")),
        ("/3/footprints", _get(client, token, "/3/footprints?$filter=x")),
        ("/3/footprints/{id}", _get(client, token, f"/3/footprints/{footprint_id(ids['unexpressible'])}")),
        ("/3/footprints/{id}", _get(client, token, "/3/footprints/not-a-uuid")),
        ("/3/events", client.post("/3/events", content="{", headers=bearer)),
        ("/3/events", client.post("/3/events", content=json.dumps(_event("published", id="")), headers=bearer)),
    ]
    clock.now = NOW + timedelta(seconds=TOKEN_TTL_S)
    answers.append(("/3/footprints", _get(client, token, "/3/footprints")))
    assert sorted({r.status_code for _p, r in answers}) == [400, 401, 403, 404, 501]
    spec = schema_validator("Error")
    for path, r in answers:
        assert errors(spec, r.json()) == [], (path, r.status_code, r.text)
        listed = path != "/3/events" and str(r.status_code) in _responses(path)
        assert not listed or errors(response_validator(path, str(r.status_code)), r.json()) == []


def _responses(path: str) -> dict[str, Any]:
    from .pact_spec import spec_document

    return dict(spec_document()["paths"][path]["get"]["responses"])


@pytest.mark.parametrize("kind", sorted(EVENTS))
def test_the_events_accepted_here_are_the_specifications_events(kind: str) -> None:
    """What the tests post as accepted events is valid under the specification's ``POST /3/events`` body."""
    assert errors(event_validator(), _event(kind)) == []


@pytest.mark.parametrize(
    ("criteria", "answer"),
    [({"productId": ["urn:gtin:06900000000045"]}, "Fulfilled"), ({"geography": ["FR"]}, "Rejected")],
)
def test_request_answers_validate_against_the_specifications_event_schemas(
    client: TestClient, world: Any, criteria: dict[str, Any], answer: str
) -> None:
    spec = schema_validator(f"Request{answer}Event")
    token = _token(client, world[0])
    request = _event("request", data=criteria)
    assert errors(event_validator(), request) == []
    r = client.post("/3/events", content=json.dumps(request), headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    response = client.app.state.pact_host.outbox[-1]["event"]  # type: ignore[attr-defined]
    assert errors(spec, response) == [] and errors(event_validator(), response) == []
