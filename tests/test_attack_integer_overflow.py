"""Attack: integers no 64-bit column can hold, negative ones, and digits that are not ASCII, in every integer
parameter of the API (``ledger/api``), of the pages (``ledger/web``) and of the CLI.

``GET /v1/entries/99999999999999999999`` used to answer 500 (SQLite: "Python int too large to convert to SQLite
INTEGER") and ``carbonledger log get 99999999999999999999`` to print a traceback; ``/log?before=%C2%B2`` and
``/datasets/X?version=%C2%B2`` answered 500 too ("²".isdigit() is true, int("²") raises). Every one is now a 4xx
in the error envelope (the pages: an HTML 4xx), and the CLI prints one line with the code. Runs on SQLite and
PostgreSQL (``db_url``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI

from ledger.api import create_app
from ledger.home import init_home, open_log
from ledger.log import Log
from ledger.store import Store
from ledger.tables import INT64_MAX, bounded_int
from mapping.errors import InputError, NotFoundError
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .helpers import NOW, Cli, Signer, label_for, read_only, shared_log

GD = "gd-carbon-label"
LAST = str(INT64_MAX)  # 9223372036854775807: the largest number a log could hold
HUGE = [
    "99999999999999999999",  # past 2**64
    "9223372036854775808",  # 2**63: one past a signed 64-bit integer
    "18446744073709551616",  # 2**64
    "9" * 5000,  # past Python's int() digit limit
]
NEGATIVE = ["-1", "-9223372036854775809"]
NOT_ASCII_DIGITS = ["²", "٣", "１", "⑤"]  # superscript two, Arabic-Indic three, fullwidth one, circled five
MALFORMED = ["1e3", "0x10", "1_0", "+1", " 1", "1.0", "abc", ""]
BAD = HUGE + NEGATIVE + NOT_ASCII_DIGITS + MALFORMED

# Every route of ledger/api with an integer parameter: (path template, parameter, other query parameters).
API_ROUTES = [
    ("/v1/entries/{v}", "path/index", {}),
    ("/v1/proofs/inclusion", "query/index", {"size": "3"}),
    ("/v1/proofs/inclusion", "query/size", {"index": "0"}),
    ("/v1/proofs/consistency", "query/size1", {"size2": "3"}),
    ("/v1/proofs/consistency", "query/size2", {"size1": "1"}),
    ("/v1/labels", "query/limit", {}),
    ("/v1/labels/search", "query/limit", {}),
    ("/v1/datasets/some-dataset", "query/version", {}),
    ("/v1/agreements/some-agreement", "query/version", {}),
]
# Every page of ledger/web with an integer parameter.
PAGE_ROUTES = [("/log", "before"), ("/datasets/some-dataset", "version")]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def shared(module_db_url: str) -> Iterator[Log]:
    """A log of three entries (a scheme, an issuer, a label), on SQLite and on PostgreSQL: one per store for the
    module, whose tests only read it."""
    log = Log(Store(module_db_url), SigningKey.generate(), "overflow.test/log", Policy(frozenset({GD})), lambda: NOW)
    with shared_log(log):
        gd, cqc = Signer(), Signer()
        for envelope in (gd.register(GD), gd.authorize(GD, cqc), cqc.issue(label_for(GD, "GD-CL-2025-0101"))):
            log.submit(envelope)
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
async def client(app: FastAPI, log: Log) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # a 500 is an answer to assert on
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def get_param(client: httpx.AsyncClient, template: str, param: str, value: str, others: dict) -> httpx.Response:
    if param.startswith("path/"):
        return await client.get(template.format(v=quote(value, safe="")))
    return await client.get(template, params={**others, param.split("/", 1)[1]: value})


def envelope_of(r: httpx.Response) -> dict:
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/json"), r.headers["content-type"]
    body = r.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str), error
    assert set(error) <= {"code", "message", "field"}, error
    return error


@pytest.mark.anyio
@pytest.mark.parametrize(("template", "param", "others"), API_ROUTES, ids=[f"{t}:{p}" for t, p, _ in API_ROUTES])
async def test_every_api_integer_parameter_refuses_what_no_log_holds(
    client: httpx.AsyncClient, template: str, param: str, others: dict
) -> None:
    for value in BAD:
        if not value and param.startswith("path/"):
            continue  # an empty path segment is another route
        r = await get_param(client, template, param, value, others)
        error = envelope_of(r)
        assert (r.status_code, error["code"]) == (422, "request.invalid"), (value[:40], error)
        assert error["field"] == param, (value[:40], error)
        assert len(error["message"]) < 200, error  # a 5000-digit value is not echoed back


@pytest.mark.anyio
async def test_numbers_in_range_but_beyond_the_tree_are_not_found(client: httpx.AsyncClient) -> None:
    cases = [
        ("/v1/entries/" + LAST, {}, 404, "log.no_such_entry"),
        ("/v1/entries/3", {}, 404, "log.no_such_entry"),
        ("/v1/proofs/inclusion", {"index": LAST}, 400, "proof.index_out_of_range"),
        ("/v1/proofs/inclusion", {"index": "0", "size": LAST}, 404, "log.no_such_size"),
        ("/v1/proofs/consistency", {"size1": "0", "size2": LAST}, 404, "log.no_such_size"),
        ("/v1/proofs/consistency", {"size1": LAST, "size2": "3"}, 400, "proof.bad_sizes"),
        ("/v1/datasets/some-dataset", {"version": LAST}, 404, "dataset.unknown"),
        ("/v1/agreements/some-agreement", {"version": LAST}, 404, "agreement.unknown"),
    ]
    for path, params, status, code in cases:
        r = await client.get(path, params=params)
        assert (r.status_code, envelope_of(r)["code"]) == (status, code), (path, params, r.text)
    # and the good numbers still work
    assert (await client.get("/v1/entries/0002")).json()["index"] == 2
    assert (await client.get("/v1/proofs/inclusion", params={"index": "2", "size": "3"})).status_code == 200
    assert (await client.get("/v1/proofs/consistency", params={"size1": "0", "size2": "3"})).status_code == 200
    assert len((await client.get("/v1/labels", params={"limit": "10000"})).json()) == 1


@pytest.mark.anyio
async def test_a_content_length_that_is_no_number_is_refused(log: Log) -> None:
    """The header as sent, straight to the app (a client library would fix it): "²" is latin-1 0xB2."""
    app = create_app(log)

    async def post(declared: bytes) -> tuple[int, dict]:
        sent: list[dict] = []

        async def receive() -> dict:
            return {"type": "http.request", "body": b"{}", "more_body": False}

        async def send(message: dict) -> None:
            sent.append(message)

        headers = [(b"content-type", b"application/json"), (b"content-length", declared)]
        scope = {"type": "http", "method": "POST", "path": "/v1/entries", "raw_path": b"/v1/entries",
                 "query_string": b"", "headers": headers, "http_version": "1.1", "scheme": "http",
                 "server": ("test", 80), "client": ("test", 1), "root_path": ""}  # fmt: skip
        await app(scope, receive, send)
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return next(m["status"] for m in sent if m["type"] == "http.response.start"), json.loads(body)

    try:
        for declared, code in (
            ("²".encode("latin-1"), "input.content_length"),
            ("٣".encode(), "input.content_length"),
            (b"-1", "input.content_length"),
            (b"99999999999999999999999999", "input.oversized"),
        ):
            status, body = await post(declared)
            assert (status, body["error"]["code"]) == (400 if code == "input.content_length" else 413, code), body
    finally:
        app.state.deps.sequencer.close()


@pytest.mark.anyio
@pytest.mark.parametrize(("path", "param"), PAGE_ROUTES)
async def test_every_page_integer_parameter_answers_an_html_4xx(
    client: httpx.AsyncClient, path: str, param: str
) -> None:
    for value in [v for v in BAD if v]:  # an empty value is "not given"
        r = await client.get(path, params={param: value})
        assert 400 <= r.status_code < 500, (path, value[:40], r.status_code, r.text[:300])
        assert r.headers["content-type"].startswith("text/html"), r.headers["content-type"]
        assert "Internal Server Error" not in r.text
    # a paging cursor past the tree (but one a log could hold) still shows the newest entries
    newest = await client.get("/log", params={"before": LAST})
    assert newest.status_code == 200 and newest.text.count('"><a href="/v1/entries/') == 3
    assert (await client.get("/log", params={"before": ""})).status_code == 200


def test_the_store_never_hands_an_unrepresentable_number_to_a_query(log: Log) -> None:
    """Defence in depth under the parameter checks: the reads answer "not there" for any int."""
    for index in (INT64_MAX + 1, 10**20, -1, -(2**63) - 1):
        assert log.store.entry(index) is None
        with pytest.raises(NotFoundError) as e:
            log.entry(index)
        assert e.value.code == "log.no_such_entry"
        assert log.store.entry_at_seq("00" * 32, index * 2**64) is None
    assert [r.idx for r in log.store.entries(-(2**70), 2**70)] == [0, 1, 2]
    assert log.store.entries(2**70, 2**71) == []


def test_the_one_parser() -> None:
    assert bounded_int("0") == 0 and bounded_int("007") == 7 and bounded_int(LAST) == INT64_MAX
    assert bounded_int("0" * 6000 + "5") == 5  # leading zeros are not digits past the limit
    for value in HUGE + NEGATIVE:
        with pytest.raises(InputError) as e:
            bounded_int(value, "index")
        assert e.value.code == "input.out_of_range" and e.value.field == "index"
    for value in NOT_ASCII_DIGITS + MALFORMED:
        with pytest.raises(InputError) as e:
            bounded_int(value, "index")
        assert e.value.code == "input.integer", value
    with pytest.raises(InputError):
        bounded_int("0", minimum=1)
    with pytest.raises(InputError):
        bounded_int("101", maximum=100)
    with pytest.raises(InputError):
        bounded_int(True)  # type: ignore[arg-type]


# ---- the CLI ------------------------------------------------------------------------------------------------
@pytest.fixture
def cli(db_url: str, tmp_path: Path) -> Cli:
    """A home whose log (SQLite or PostgreSQL) holds three entries."""
    home = tmp_path / "home"
    settings = init_home(
        home, origin="overflow.test/log", allowed_schemes=[GD], database_url=None if "sqlite" in db_url else db_url
    )
    log = open_log(settings, lambda: NOW, precheck_workers=False)
    gd, cqc = Signer(), Signer()
    for envelope in (gd.register(GD), gd.authorize(GD, cqc), cqc.issue(label_for(GD, "GD-CL-2025-0101"))):
        log.submit(envelope)
    log.store.close()
    return Cli(home)


def one_line_error(cli: Cli, *args: str) -> tuple[int, str]:
    cp = cli.run(*args, ok=False)
    assert "Traceback" not in cp.stdout + cp.stderr, cp.stderr
    lines = [line for line in cp.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error ["), (args, cp.stderr)
    assert cp.stdout == "", cp.stdout
    return cp.returncode, lines[0]


def test_cli_log_get_a_huge_index_is_one_line_and_exit_1(cli: Cli) -> None:
    rc, line = one_line_error(cli, "log", "get", "99999999999999999999")
    assert rc == 1 and "[input.out_of_range]" in line and "INDEX" in line, line
    as_json = cli.run("log", "get", "9223372036854775808", "--json", ok=False)
    assert as_json.returncode == 1 and "Traceback" not in as_json.stderr
    error = json.loads(as_json.stdout)["error"]
    assert (error["code"], error["field"]) == ("input.out_of_range", "INDEX")
    rc, line = one_line_error(cli, "log", "get", LAST)  # a number a log could hold: asked of the store
    assert rc == 1 and "[log.no_such_entry]" in line
    rc, line = one_line_error(cli, "log", "get", "²")
    assert rc == 2 and "[input.integer]" in line
    assert cli.json("log", "get", "2")["kind"] == "label.issue"


def test_cli_every_index_and_size_is_bounded(tmp_path: Path) -> None:
    """Parsed before the command runs: the log (an empty one here) is never asked."""
    init_home(tmp_path / "home", allowed_schemes=[GD])
    cli = Cli(tmp_path / "home")
    huge, key = "99999999999999999999", str(tmp_path / "no-such-key.pem")
    for args in (
        ("log", "prove", "inclusion", huge),
        ("log", "prove", "inclusion", "0", "--size", huge),
        ("log", "prove", "consistency", "0", huge),
        ("key", "revoke", "--scheme", GD, "--key", key, "--target", "00" * 32, "--reason", "x",
         "--effective-from", huge),
        ("agreement", "show", "some-agreement", "--version", huge),
        ("agreement", "accept", "some-agreement", "--version", huge, "--scheme", GD, "--key", key),
        ("agreement", "counter", key, "--answers", huge, "--scheme", GD, "--key", key),
        ("dataset", "show", "some-dataset", "--version", "0"),
        ("dataset", "retire", "some-dataset", "--version", huge, "--publisher", GD, "--key", key, "--reason", "x"),
    ):  # fmt: skip
        rc, line = one_line_error(cli, *args)
        assert rc == 1 and "[input.out_of_range]" in line, (args, line)
    for args in (("log", "prove", "consistency", "²", "1"), ("agreement", "withdraw", "x", "--version", "٣")):
        rc, line = one_line_error(cli, *args)
        assert rc == 2 and "[input.integer]" in line, (args, line)
    rc, line = one_line_error(cli, "log", "get", "-1")  # an option to Click: a usage error, one line too
    assert rc == 2 and "[usage]" in line, line
