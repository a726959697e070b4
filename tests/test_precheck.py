"""Large batches checked in worker processes (ledger/precheck.py) give exactly the in-process results.

The same batch — good labels, a tampered signature, a non-canonical envelope, a schema violation, an
unknown signer and a chain gap — goes through two fresh logs with identical keys, one checking in
worker processes and one in this process; every slot must get the same receipt or the same error.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator

import pytest

from ledger import precheck
from ledger.log import Log
from ledger.store import Store
from mapping.errors import CarbonLedgerError, SchemaError
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .helpers import Signer, label_for

GD = "gd-carbon-label"


def _batch() -> tuple[list[bytes], list[bytes]]:
    """Setup, then good labels with a refused entry of every kind in the middle (each refused one claims
    the key's next seq without advancing it, so the good label after them still continues the chain)."""
    gd, cb, stranger = Signer(), Signer(), Signer()
    setup = [gd.register(GD), gd.authorize(GD, cb)]
    envs = [cb.issue(label_for(GD, f"P-{i:04d}")) for i in range(precheck.POOL_MIN_BATCH)]
    tampered = bytearray(cb.issue(label_for(GD, "P-tampered"), advance=False))
    tampered[-10] = ord("A") if tampered[-10] != ord("A") else ord("B")
    envs.append(bytes(tampered))  # signature no longer verifies
    envs.append(json.dumps(json.loads(cb.issue(label_for(GD, "P-pretty"), advance=False)), indent=1).encode())
    bad = copy.deepcopy(label_for(GD, "P-bad"))
    bad["footprint"]["pcf"]["unit"] = "tonnes"
    envs.append(cb.issue(bad, advance=False))  # schema violation
    envs.append(stranger.issue(label_for(GD, "P-stranger")))  # unknown signer
    envs.append(cb.issue(label_for(GD, "P-gap"), seq=cb.seq + 5, advance=False))  # chain gap
    envs.append(cb.issue(label_for(GD, "P-last")))
    return setup, envs


def _summary(results: list[object]) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for r in results:
        if isinstance(r, CarbonLedgerError):
            out.append((type(r).__name__, (r.code, r.field)))
        else:
            out.append(("receipt", (r.index, r.entry_id, r.tree_size, tuple(r.inclusion_proof))))  # type: ignore
    return out


@pytest.fixture
def logs(tmp_path) -> Iterator[tuple[Log, Log]]:  # type: ignore[no-untyped-def]
    key = SigningKey.generate()
    stores = [Store(f"sqlite:///{tmp_path}/{name}.db") for name in ("workers", "inline")]
    now = __import__("tests.helpers", fromlist=["NOW"]).NOW
    a = Log(stores[0], key, "pre.test/log", Policy(frozenset({GD})), lambda: now, precheck_workers=True)
    b = Log(stores[1], key, "pre.test/log", Policy(frozenset({GD})), lambda: now, precheck_workers=False)
    yield a, b
    for s in stores:
        s.close()


def test_worker_checks_agree_with_in_process_checks(logs: tuple[Log, Log]) -> None:
    with_workers, inline = logs
    setup, envs = _batch()
    for log in logs:
        assert all(not isinstance(r, CarbonLedgerError) for r in log.submit_many(setup))
    got = _summary(with_workers.submit_many(envs))
    want = _summary(inline.submit_many(envs))
    assert got == want
    n = precheck.POOL_MIN_BATCH
    assert [k for k, _ in got].count("receipt") == n + 1
    assert [code for _, (code, *_rest) in got[n:-1]] == [
        "signature.invalid",
        "json.non_canonical",
        "schema.invalid",
        "entry.unknown_signer",
        "chain.gap",
    ]
    assert got[n + 2][0] == SchemaError.__name__
    assert with_workers.root() == inline.root()


def test_pipelined_batches_match_one_by_one(logs: tuple[Log, Log]) -> None:
    pipelined, one_by_one = logs
    gd, cb = Signer(), Signer()
    setup = [gd.register(GD), gd.authorize(GD, cb)]
    batches = [[cb.issue(label_for(GD, f"B{b}-{i}")) for i in range(300)] for b in range(3)]
    for log in logs:
        log.submit_many(setup)
    got = [_summary(r) for r in pipelined.submit_pipelined(batches)]
    want = [_summary(one_by_one.submit_many(b)) for b in batches]
    assert got == want
    assert pipelined.size == 2 + 900


def test_rebuilt_errors_keep_class_code_and_field() -> None:
    err = precheck.rebuild_error(("SchemaError", "schema.invalid", "bad unit", "/label/footprint/pcf/unit"))
    assert isinstance(err, SchemaError)
    assert (err.code, err.message, err.field) == ("schema.invalid", "bad unit", "/label/footprint/pcf/unit")
    odd = precheck.rebuild_error(("NotAnError", "x.y", "m", None))
    assert type(odd) is CarbonLedgerError and odd.code == "x.y"


def test_start_workers_brings_up_every_worker_process() -> None:
    assert precheck.start_workers() == precheck.workers()
