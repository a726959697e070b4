"""Attack: another scheme's issuer issues a label under its own scheme with a Guangdong-style id.

Label ids are unique per scheme only (admission keys labels by (scheme, label id)), so the squatter's label is
admitted. It must never shadow the Guangdong label: everywhere the ledger resolves a label by id — bundles,
the API, the pages, the CLI — an id held by two schemes without a scheme is refused (``label.ambiguous``, 409,
naming both schemes and how to choose), and with a scheme only that scheme's label is answered. Runs on SQLite
and PostgreSQL (``db_url``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger.api import create_app
from ledger.bundles import AmbiguousLabelError, build_bundle, find_label
from ledger.home import init_home, open_log, write_key_file
from ledger.log import Log, utc_now
from ledger.store import Store
from ledger.tables import LabelRow
from verifier.bundle import parse_bundle
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .helpers import NOW, Cli, Signer, label_for

GD, SQUATTER = "gd-carbon-label", "hk-cma-carbon-label"
LABEL_ID = "GD-CL-2025-0101"
SQUATTED_PRODUCT = "Look-alike kettle of the squatter"


@dataclass
class Squat:
    log: Log
    gd: LabelRow
    squatter: LabelRow
    issuers: dict[str, Signer]


def squat(log: Log, *, now: Any = NOW) -> Squat:
    """GD's issuer issues GD-CL-2025-0101; then the other scheme's issuer issues a label with the same id under
    its own scheme (another product, another entry)."""
    gd_root, cqc, other_root, other_issuer = Signer(), Signer(), Signer(), Signer()
    kinds = ["label.issue", "label.revoke"]
    log.submit(gd_root.register(GD, now=now))
    log.submit(gd_root.authorize(GD, cqc, kinds, now=now))
    log.submit(cqc.issue(label_for(GD, LABEL_ID), now=now))
    assert find_label(log, LABEL_ID).scheme == GD  # held by one scheme: it resolves without one
    log.submit(other_root.register(SQUATTER, now=now))
    log.submit(other_root.authorize(SQUATTER, other_issuer, kinds, now=now))
    squatted = label_for(SQUATTER, LABEL_ID)
    squatted["product"]["name"] = SQUATTED_PRODUCT
    log.submit(other_issuer.issue(squatted, now=now))  # admitted: ids are unique per scheme only
    rows = {r.scheme: r for r in log.store.labels_with_id(LABEL_ID)}
    assert set(rows) == {GD, SQUATTER} and rows[GD].entry_id != rows[SQUATTER].entry_id
    return Squat(log, rows[GD], rows[SQUATTER], {GD: cqc, SQUATTER: other_issuer})


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def world(db_url: str) -> Iterator[Squat]:
    store = Store(db_url)
    log = Log(store, SigningKey.generate(), "squat.test/log", Policy(frozenset({GD, SQUATTER})), lambda: NOW)
    yield squat(log)
    store.close()


@pytest.fixture
async def client(world: Squat) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(world.log)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c
    app.state.deps.sequencer.close()


def assert_ambiguous_message(message: str) -> None:
    assert GD in message and SQUATTER in message and LABEL_ID in message, message
    assert "--scheme S" in message and "?scheme=S" in message, message


def bundle_label(data: bytes) -> tuple[str, dict[str, Any], set[str]]:
    """The label entry id a bundle names, its label record, and every entry id the bundle carries."""
    bundle = parse_bundle(data)
    return bundle.label.entry.entry_id, bundle.label.entry.body["label"], {e.entry.entry_id for e in bundle.entries}


def test_another_schemes_issuer_squatting_a_guangdong_id_does_not_shadow_it(world: Squat) -> None:
    log = world.log
    # without a scheme: refused, naming both schemes and how to choose — never one of them picked
    with pytest.raises(AmbiguousLabelError) as e:
        find_label(log, LABEL_ID)
    assert (e.value.code, e.value.field, e.value.schemes) == ("label.ambiguous", "scheme", sorted([GD, SQUATTER]))
    assert_ambiguous_message(e.value.message)
    with pytest.raises(AmbiguousLabelError):
        build_bundle(log, LABEL_ID)
    with pytest.raises(AmbiguousLabelError):
        build_bundle(log, LABEL_ID, None, SQUATTER)
    # with the scheme: each scheme's own label
    assert find_label(log, LABEL_ID, GD).entry_id == world.gd.entry_id
    assert find_label(log, LABEL_ID, SQUATTER).entry_id == world.squatter.entry_id
    with pytest.raises(Exception) as unknown:
        find_label(log, LABEL_ID, "zz-no-such-scheme")
    assert getattr(unknown.value, "code", None) == "label.unknown"
    # the bundle built for (scheme, id) holds that scheme's label, and not the other one
    for row, other in ((world.gd, world.squatter), (world.squatter, world.gd)):
        for target in (None, GD if row.scheme != GD else SQUATTER):
            entry_id, record, carried = bundle_label(build_bundle(log, LABEL_ID, row.scheme, target))
            assert entry_id == row.entry_id and record["scheme"] == row.scheme and record["label_id"] == LABEL_ID
            assert other.entry_id not in carried
    _, gd_record, _ = bundle_label(build_bundle(log, LABEL_ID, GD))
    assert gd_record["product"]["name"] != SQUATTED_PRODUCT


@pytest.mark.anyio
async def test_the_api_refuses_the_ambiguous_id_and_answers_each_scheme(
    client: httpx.AsyncClient, world: Squat
) -> None:
    base = f"/v1/labels/{LABEL_ID}"
    for path, params in ((base, {}), (base + "/bundle", {}), (base + "/equivalence", {"to": GD})):
        r = await client.get(path, params=params)
        assert r.status_code == 409, (path, r.text)
        error = r.json()["error"]
        assert (error["code"], error["field"]) == ("label.ambiguous", "scheme")
        assert_ambiguous_message(error["message"])
        r = await client.get(path, params={**params, "scheme": ""})  # an empty scheme is no scheme
        assert r.status_code == 409 and r.json()["error"]["code"] == "label.ambiguous"
    for row in (world.gd, world.squatter):
        shown = (await client.get(base, params={"scheme": row.scheme})).json()
        assert (shown["scheme"], shown["entry_id"], shown["index"]) == (row.scheme, row.entry_id, row.idx)
        r = await client.get(base + "/bundle", params={"scheme": row.scheme})
        assert r.status_code == 200 and bundle_label(r.content)[0] == row.entry_id
        verdict = (await client.get(base + "/equivalence", params={"to": GD, "scheme": row.scheme})).json()
        assert (verdict["scheme"], verdict["label_index"]) == (row.scheme, row.idx)
    r = await client.get(base, params={"scheme": "zz-no-such-scheme"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "label.unknown"
    found = (await client.get("/v1/labels/search", params={"q": LABEL_ID})).json()
    assert sorted((x["scheme"], x["entry_id"]) for x in found) == sorted(
        [(GD, world.gd.entry_id), (SQUATTER, world.squatter.entry_id)]
    )


@pytest.mark.anyio
async def test_the_label_page_asks_which_scheme(client: httpx.AsyncClient, world: Squat) -> None:
    r = await client.get(f"/labels/{LABEL_ID}")
    assert r.status_code == 409 and r.headers["content-type"].startswith("text/html")
    for scheme in (GD, SQUATTER):
        assert f'href="/labels/{LABEL_ID}?scheme={scheme}"' in r.text
    assert SQUATTED_PRODUCT not in r.text
    squatted = await client.get(f"/labels/{LABEL_ID}", params={"scheme": SQUATTER})
    assert squatted.status_code == 200 and SQUATTED_PRODUCT in squatted.text
    genuine = await client.get(f"/labels/{GD}/{LABEL_ID}")  # the address `label qr` encodes
    assert genuine.status_code == 200 and SQUATTED_PRODUCT not in genuine.text
    assert f"scheme={GD}" in genuine.text  # its bundle link names the scheme


# ---- the CLI ------------------------------------------------------------------------------------------------
@pytest.fixture
def cli_world(db_url: str, tmp_path: Path) -> tuple[Cli, Squat, Path]:
    home = tmp_path / "home"
    url = None if "sqlite" in db_url else db_url
    settings = init_home(home, origin="squat.test/log", allowed_schemes=[GD, SQUATTER], database_url=url)
    log = open_log(settings, precheck_workers=False)
    world = squat(log, now=utc_now())
    write_key_file(tmp_path / "squatter-issuer.pem", world.issuers[SQUATTER].key)
    log.store.close()
    return Cli(home), world, tmp_path


def test_the_cli_needs_the_scheme_and_acts_on_that_schemes_label_only(cli_world: tuple[Cli, Squat, Path]) -> None:
    cli, world, tmp = cli_world
    refused = cli.run("equivalence", LABEL_ID, "--to", GD, ok=False)
    lines = [line for line in refused.stderr.splitlines() if line.strip()]
    assert refused.returncode == 1 and len(lines) == 1 and "[label.ambiguous]" in lines[0], refused.stderr
    assert_ambiguous_message(lines[0])
    verdict = json.loads(cli.run("equivalence", LABEL_ID, "--to", GD, "--scheme", SQUATTER, "--json", ok=False).stdout)
    assert (verdict["scheme"], verdict["label_index"]) == (SQUATTER, world.squatter.idx)
    cli.run("bundle", LABEL_ID, "--scheme", GD, "--out", str(tmp / "gd.bundle.json"))
    assert bundle_label((tmp / "gd.bundle.json").read_bytes())[0] == world.gd.entry_id
    # the squatter revokes its own label: the Guangdong label stays active
    key = str(tmp / "squatter-issuer.pem")
    revoke = ("label", "revoke", "--scheme", SQUATTER, "--label-id", LABEL_ID, "--key", key, "--reason", "squat")
    cli.json(*revoke)
    listed = {(r["scheme"], r["label_id"]): r["status"] for r in cli.json("label", "list")}
    assert listed[(SQUATTER, LABEL_ID)] == "revoked" and listed[(GD, LABEL_ID)] == "active"
    # nor can its key revoke the Guangdong one by naming Guangdong's scheme: the log refuses that entry
    forged = cli.run("label", "revoke", "--scheme", GD, "--label-id", LABEL_ID, "--key", key, "--reason", "squat",
                     "--json", ok=False)  # fmt: skip
    assert forged.returncode == 1, forged.stdout
    assert json.loads(forged.stdout)["error"]["code"] not in ("label.ambiguous", "label.unknown")
    listed = {(r["scheme"], r["label_id"]): r["status"] for r in cli.json("label", "list")}
    assert listed[(GD, LABEL_ID)] == "active"
