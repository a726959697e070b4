"""A shipment verified on several processes gives each bundle the report one process gives it, in order — for
good, tampered, unusable and other-label bundles, and when a worker dies mid-shipment."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from ledger.log import Log
from ledger.store import Store
from verifier.canonical import canonicalize
from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.report import Report
from verifier.shipment_workers import ShipmentWorkers, _slices
from verifier.verify import KeptCheckpoint, VerifierCache, verify_shipment

from .helpers import NOW
from .test_verify import GD, HK, Shipment

AT = date(2023, 1, 1)


@pytest.fixture(scope="module")
def workers() -> Iterator[ShipmentWorkers]:
    with ShipmentWorkers(3) as w:
        yield w


@pytest.fixture
def ship(sqlite_url: str) -> Iterator[Shipment]:
    store = Store(sqlite_url)
    yield Shipment(Log(store, SigningKey.generate(), "verify.test/log", Policy(frozenset({GD, HK})), lambda: NOW))
    store.close()


def _mixed(ship: Shipment) -> list[bytes]:
    good, other = ship.bundle("GD-1"), ship.bundle("GD-2")
    doc = json.loads(good)
    doc["entries"][0]["proof"].reverse()
    tampered = canonicalize(doc)
    return [good, tampered, b"{}", other, good[:-1], other, *([good, other] * 12)]


def test_every_report_is_the_one_a_single_process_gives(ship: Shipment, workers: ShipmentWorkers) -> None:
    bundles = _mixed(ship)
    for kw in ({}, {"at": date(2040, 1, 1)}, {"target_scheme": HK}, {"label_id": "GD-2"}):
        args = {"at": AT, "now": NOW, **kw}
        alone = verify_shipment(bundles, ship.trust(), **args)  # type: ignore[arg-type]
        spread = workers.verify(bundles, ship.trust(), cache=VerifierCache(), **args)  # type: ignore[arg-type]
        assert spread == alone
        assert [r.to_dict() for r in spread] == [r.to_dict() for r in alone]
    assert workers.verify([], ship.trust(), at=AT, now=NOW) == []
    # a question no process can be sent (a buffer in the consistency proof) is answered here, as verify_shipment does
    kept = KeptCheckpoint("verify.test/log", 1, bytes(32))
    odd = {"at": AT, "now": NOW, "kept": kept, "consistency_proof": [memoryview(bytes(32))]}
    assert workers.verify(bundles, ship.trust(), **odd) == verify_shipment(bundles, ship.trust(), **odd)  # type: ignore[arg-type]


def test_a_refused_trust_file_or_text_input_is_step_1_for_each_bundle(ship: Shipment, workers: ShipmentWorkers) -> None:
    bundles = _mixed(ship)
    refused = workers.verify(bundles, b"{", at=AT, now=NOW)
    assert [r.exit_code() for r in refused] == [5] * len(bundles)
    texts = [b.decode() for b in bundles[:20]]
    assert workers.verify(texts, ship.trust(), at=AT, now=NOW) == verify_shipment(texts, ship.trust(), at=AT, now=NOW)


def test_attack_a_worker_killed_mid_shipment_costs_no_report(ship: Shipment) -> None:
    """A worker that dies (here: SIGKILL between two chunks) is not a failed verification: its slice is verified
    in the calling process, and the next chunk starts a new worker."""
    bundles = _mixed(ship)
    expected = verify_shipment(bundles, ship.trust(), at=AT, now=NOW)
    with ShipmentWorkers(2) as w:
        cache = VerifierCache()
        assert w.verify(bundles, ship.trust(), at=AT, now=NOW, cache=cache) == expected
        process = w._workers[0][0]  # type: ignore[index]
        os.kill(process.pid, signal.SIGKILL)  # type: ignore[arg-type]
        process.join()
        assert w.verify(bundles, ship.trust(), at=AT, now=NOW, cache=cache) == expected
        assert w.verify(bundles, ship.trust(), at=AT, now=NOW, cache=cache) == expected
        assert w._workers[0] is not None and w._workers[0][0].pid != process.pid


def test_report_state_round_trips(ship: Shipment) -> None:
    for r in verify_shipment(_mixed(ship), ship.trust(), at=AT, now=NOW, target_scheme=HK):
        back = Report.from_state(r.to_state())
        assert back == r and list(back.steps) == list(r.steps) and back.exit_code() == r.exit_code()


def test_a_report_holds_the_label_summary_not_the_whole_label(ship: Shipment) -> None:
    """What crosses from a worker is the report: the label's summary (what the report says of it), not its whole
    record — the record's footprint, stages and cites cost the home process more to rebuild than to verify."""
    for r in verify_shipment(_mixed(ship), ship.trust(), at=AT, now=NOW, target_scheme=HK):
        if r.label is not None:
            assert r.label == r.to_dict()["label"] and set(r.label) >= {"label_id", "scheme", "issued_at"}
            assert "footprint" not in r.label and all(not isinstance(v, dict | list) for v in r.label.values())


@pytest.mark.parametrize("n", [0, 1, 7, 8, 15, 16, 17, 100, 101])
@pytest.mark.parametrize("processes", [1, 2, 3])
def test_slices_cover_the_shipment_in_order(n: int, processes: int) -> None:
    parts = _slices(n, processes)
    assert [i for s in parts for i in range(n)[s]] == list(range(n))
    assert 1 <= len(parts) <= processes
    assert len(parts) == 1 or min(s.stop - s.start for s in parts) >= 8


def test_bench_verify_reports_both_ratios(capsys: pytest.CaptureFixture[str]) -> None:
    from cli.main import main
    from tests import replay_check

    capsys.readouterr()
    assert main(["bench", "verify", "--n", "40", "--rounds", "1", "--processes", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    replay_check.OPENED.clear()  # the bench's log lived in a directory it removed
    assert (out["processes"], out["n"], out["bundle_version"]) == (2, 40, 2)
    assert out["ratio"] > 0 and out["one_process_ratio"] > 0 and out["median_per_s"] > 0


def test_verify_shipment_command_gives_each_file_its_verdict(
    ship: Shipment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli.main import main

    trust = tmp_path / "trust.json"
    trust.write_bytes(ship.trust())
    files = []
    for i, bundle in enumerate(_mixed(ship)[:6]):
        files.append(tmp_path / f"b{i}.json")
        files[-1].write_bytes(bundle)
    capsys.readouterr()
    args = ["verify-shipment", *map(str, files), "--trust", str(trust), "--at", "2023-01-01", "--json"]
    assert main([*args, "--processes", "2"]) == 3  # the first failing bundle is the tampered one: not authentic
    out = json.loads(capsys.readouterr().out)
    assert [r["exit_code"] for r in out["reports"]] == [0, 3, 5, 0, 5, 0]
    assert (out["bundles"], out["verified"], out["exit_code"]) == (6, 3, 3)
    assert [r["file"] for r in out["reports"]] == [str(f) for f in files]
    assert main([*args[:2], "--trust", str(trust), "--at", "2023-01-01", "--json"]) == 0
    capsys.readouterr()
    assert main(["verify-shipment", str(files[0]), "--trust", str(tmp_path / "missing.json")]) == 5
    capsys.readouterr()
    # a file that cannot be read is that bundle's unusable input, not the end of the shipment
    assert main(["verify-shipment", str(files[0]), str(tmp_path / "gone.json"), *args[-5:]]) == 5
    out = json.loads(capsys.readouterr().out)
    assert [(r["exit_code"], r["verdict"]) for r in out["reports"]] == [
        (0, "authentic_and_valid"),
        (5, "unusable_input"),
    ]
    assert out["reports"][1]["error"]["code"] == "input.unreadable"
    for missing in (["verify-shipment", str(files[0])], ["verify-shipment", "--trust", str(trust)]):
        assert main([*missing, "--json"]) == 2
        assert json.loads(capsys.readouterr().out)["error"]["code"] == "input.missing"


def test_attack_an_answer_left_by_an_interrupted_shipment_is_never_read_for_the_next(
    ship: Shipment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while this process verifies its slice leaves a worker's answer unread; the next shipment (other
    bundles) must get its own reports, not that answer."""
    import verifier.shipment_workers as sw

    first, second = _mixed(ship), [ship.bundle("GD-2")] * 30
    real = sw.verify_shipment
    calls = {"n": 0}

    def interrupted_once(*args: object, **kw: object) -> list[Report]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt
        return real(*args, **kw)  # type: ignore[arg-type]

    with ShipmentWorkers(2) as w:
        monkeypatch.setattr(sw, "verify_shipment", interrupted_once)
        with pytest.raises(KeyboardInterrupt):
            w.verify(first, ship.trust(), at=AT, now=NOW)
        monkeypatch.setattr(sw, "verify_shipment", real)
        assert w.verify(second, ship.trust(), at=AT, now=NOW) == real(second, ship.trust(), at=AT, now=NOW)
        assert w.verify(first, ship.trust(), at=AT, now=NOW) == real(first, ship.trust(), at=AT, now=NOW)


def test_attack_a_hung_worker_is_stopped_and_its_slice_verified_here(
    ship: Shipment, monkeypatch: pytest.MonkeyPatch
) -> None:
    import verifier.shipment_workers as sw

    bundles = _mixed(ship)
    expected = verify_shipment(bundles, ship.trust(), at=AT, now=NOW)
    monkeypatch.setattr(sw, "_ANSWER_S", 0.5)
    monkeypatch.setattr(sw, "_ANSWER_S_PER_BUNDLE", 0.0)
    monkeypatch.setattr(sw, "_STOP_S", 0.1)
    big = [bytes(bytearray(b)) for b in bundles * 8]  # distinct objects: a slice of ~1 MB, more than a socket holds
    with ShipmentWorkers(2) as w:
        process = w._workers[0][0]  # type: ignore[index]
        os.kill(process.pid, signal.SIGSTOP)  # type: ignore[arg-type]
        try:
            assert w.verify(bundles, ship.trust(), at=AT, now=NOW) == expected  # its answer never comes
            w.verify(big, ship.trust(), at=AT, now=NOW)  # a new worker took its place: this one is fine
            stuck = w._workers[0][0]  # type: ignore[index]
            os.kill(stuck.pid, signal.SIGSTOP)  # type: ignore[arg-type]
            expected_big = verify_shipment(big, ship.trust(), at=AT, now=NOW)  # outside the timed part
            started = time.monotonic()
            reports = w.verify(big, ship.trust(), at=AT, now=NOW)
            assert time.monotonic() - started < 30  # the send to the stopped worker timed out (0.5 s)
            assert reports == expected_big
            assert not stuck.is_alive()
        finally:
            if process.is_alive():
                os.kill(process.pid, signal.SIGKILL)  # type: ignore[arg-type]
        assert not process.is_alive()
        assert w.verify(bundles, ship.trust(), at=AT, now=NOW) == expected  # a new worker took its place
