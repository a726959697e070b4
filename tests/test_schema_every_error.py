"""Schema errors come all at once (issue 19 item 6): an issuer whose record is wrong in four places learns all
four in one answer, each with its JSON pointer, dates said in words — from the library, the API and the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.api import create_app
from ledger.log import Log
from ledger.store import Store
from mapping.errors import SchemaError
from verifier import schemas
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .helpers import NOW, Signer, label_for, midea_label

GD = "gd-carbon-label"


def _four_mistakes() -> dict[str, Any]:
    label = midea_label()
    del label["claim"]
    label["issued_at"] = "2026-02-30"
    label["valid_until"] = "soon"
    label["product"]["name"] = 5
    return label


def test_every_failing_field_is_named_shallowest_first() -> None:
    with pytest.raises(SchemaError) as e:
        schemas.validate("label-record", _four_mistakes())
    fields = [x["field"] for x in e.value.errors]
    assert fields == ["/", "/issued_at", "/valid_until", "/product/name"]
    assert e.value.field == "/"  # the first, as before
    said = {x["field"]: x["message"] for x in e.value.errors}
    assert said["/issued_at"] == '"2026-02-30" is not a real date'
    assert said["/valid_until"] == '"soon" is not a date YYYY-MM-DD'
    assert all(x["message"] in e.value.message for x in e.value.errors)


def test_a_document_wrong_everywhere_is_listed_up_to_a_limit() -> None:
    label = midea_label()
    label["product"]["ids"] = [{"system": 1, "value": 2} for _ in range(schemas.MAX_REPORTED_ERRORS + 10)]
    with pytest.raises(SchemaError) as e:
        schemas.validate("label-record", label)
    assert len(e.value.errors) == schemas.MAX_REPORTED_ERRORS and "more" in e.value.message


@pytest.fixture
def client(tmp_path: Any) -> Iterator[tuple[TestClient, Log, Signer]]:
    store = Store(f"sqlite:///{tmp_path / 'ledger.db'}")
    log = Log(store, SigningKey.generate(), "schema.test/log", Policy(frozenset({GD})), lambda: NOW)
    root, cqc = Signer(), Signer()
    log.submit(root.register(GD))
    log.submit(root.authorize(GD, cqc))
    app = create_app(log)
    with TestClient(app) as c:
        yield c, log, cqc
    store.close()


def test_the_api_answers_every_schema_error_and_stores_nothing(client: tuple[TestClient, Log, Signer]) -> None:
    c, log, cqc = client
    label = label_for(GD, "GD-FOUR-1") | {k: v for k, v in _four_mistakes().items() if k != "label_id"}
    label.pop("claim", None)
    size = log.size
    r = c.post("/v1/entries", content=cqc.issue(label, advance=False), headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "schema.invalid"
    assert [x["field"] for x in err["errors"]] == ["/label", "/label/issued_at", "/label/valid_until",
                                                   "/label/product/name"]  # fmt: skip
    assert log.size == size and json.dumps(err).count("[0-9]") == 0
