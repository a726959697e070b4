"""Attack: a seller keeps serving a bundle whose status was proven long ago (before a revocation the buyer would
otherwise learn of by a refresh). A trust file may set ``max_status_age_s``: a status signed longer ago than
that is its own verdict, ``status_stale`` (exit 8) — not "not valid", since nothing is known to have ended; a
revoked or superseded label stays not valid (exit 6) however old the proof (issue 16, item 3)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from ledger.bundles import build_bundle
from mapping.errors import InputError
from verifier.report import EXIT_STALE, FAILED
from verifier.trust import parse_trust

from .helpers import Cli
from .status_world import GD, HK, NOW, StatusWorld, run, status_world

__all__ = ["status_world"]  # the fixture, used by name

HOUR = 3600


def _trust(w: StatusWorld, **changes: object) -> bytes:
    doc = json.loads(w.trust())
    doc.update(changes)
    return json.dumps(doc).encode()


def test_a_status_older_than_the_trust_file_allows_is_stale(status_world: StatusWorld) -> None:
    w = status_world
    w.issue("GD-STALE-1")
    bundle, trust = w.bundle2("GD-STALE-1"), _trust(w, max_status_age_s=HOUR)
    fresh = run(bundle, trust, now=NOW + timedelta(minutes=30))
    assert fresh.exit_code() == 0 and fresh.to_dict()["status"]["age_s"] == 1800
    r = run(bundle, trust, now=NOW + timedelta(hours=2))
    assert r.exit_code() == EXIT_STALE == 8 and r.verdict() == "status_stale", r.to_dict()
    d = r.to_dict()
    assert d["valid"] is False and d["authentic"] is True
    assert d["status"] == {
        "as_of_size": w.log.size,
        "label": "active",
        "proven": True,
        "signed_at": "2026-11-24T12:00:00Z",
        "age_s": 7200,
        "max_age_s": HOUR,
        "time_from": "log",
        "stale": True,
        "decided_by": None,
        "bundle_version": 2,
    }
    detail = r.steps[8].detail
    assert r.steps[8].status == FAILED and detail.startswith("status_stale: active, proven as of tree size")
    assert "7200 s ago" in detail and "carbonledger bundle refresh BUNDLE --server URL --out FILE" in detail
    # stale outranks not equivalent: the agreement state is as old as the label's
    assert run(bundle, trust, now=NOW + timedelta(hours=2), target_scheme=HK).exit_code() == 8
    # without a maximum age nothing is stale
    assert run(bundle, w.trust(), now=NOW + timedelta(days=400)).exit_code() == 0


def test_attack_a_status_signed_in_the_future_is_never_fresh(status_world: StatusWorld) -> None:
    """A log (with no witnesses to date its checkpoints) signs a time far ahead: its status would never age."""
    w = status_world
    w.issue("GD-STALE-FUTURE")
    bundle, trust = w.bundle2("GD-STALE-FUTURE"), _trust(w, max_status_age_s=HOUR)
    assert run(bundle, trust, now=NOW - timedelta(minutes=4)).exit_code() == 0  # clocks a little apart: fine
    r = run(bundle, trust, now=NOW - timedelta(days=30))
    assert r.exit_code() == EXIT_STALE and r.to_dict()["status"]["stale"] is True
    assert f"{30 * 86400} s after this verifier's now" in r.steps[8].detail
    assert run(bundle, w.trust(), now=NOW - timedelta(days=30)).exit_code() == 0  # no maximum age asked


def test_a_revoked_label_stays_not_valid_however_old_its_proof(status_world: StatusWorld) -> None:
    w = status_world
    issued = w.issue("GD-STALE-REVOKED")
    w.revoke_label("GD-STALE-REVOKED", issued.entry_id)
    r = run(w.bundle2("GD-STALE-REVOKED"), _trust(w, max_status_age_s=HOUR), now=NOW + timedelta(days=3))
    assert r.exit_code() == 6 and r.verdict() == "not_valid" and r.to_dict()["status"]["stale"] is True


def test_a_bundle_v1_proves_no_status_so_a_maximum_age_makes_it_stale(status_world: StatusWorld) -> None:
    w = status_world
    w.issue("GD-STALE-V1")
    v1 = build_bundle(w.log, "GD-STALE-V1", GD, version=1)
    r = run(v1, _trust(w, max_status_age_s=HOUR))
    assert r.exit_code() == 8 and "this bundle (v1) proves none" in r.steps[8].detail
    assert r.to_dict()["status"]["proven"] is False and r.to_dict()["status"]["stale"] is True
    assert run(v1, w.trust()).exit_code() == 0  # the honest old wording, without a maximum age
    assert "none seen as of tree size" in run(v1, w.trust()).steps[8].detail


def test_the_trust_file_reads_and_writes_the_maximum_status_age(status_world: StatusWorld) -> None:
    w = status_world
    t = parse_trust(_trust(w, max_status_age_s=86400))
    assert t.max_status_age_s == 86400 and t.to_dict()["max_status_age_s"] == 86400
    assert parse_trust(json.dumps(t.to_dict()).encode()) == t
    for bad in (0, -1, "3600", 10**9):
        with pytest.raises(InputError):
            parse_trust(_trust(w, max_status_age_s=bad))


def test_verify_exits_8_on_the_command_line(status_world: StatusWorld, tmp_path: Path) -> None:
    """The status the log signed at 2026-11-24 is weeks old by this machine's clock."""
    w = status_world
    w.issue("GD-STALE-CLI")
    (tmp_path / "b.json").write_bytes(w.bundle2("GD-STALE-CLI"))
    (tmp_path / "t.json").write_bytes(_trust(w, max_status_age_s=HOUR))
    cli = Cli(tmp_path / "home")
    args = ("verify", str(tmp_path / "b.json"), "--trust", str(tmp_path / "t.json"), "--at", "2027-01-01")
    done = cli.run(*args, "--json", ok=False)
    assert done.returncode == 8, done.stdout + done.stderr
    out = json.loads(done.stdout)
    assert out["verdict"] == "status_stale" and out["status"]["stale"] is True and out["status"]["proven"] is True
    human = cli.run(*args, ok=False)
    assert human.returncode == 8 and "status_stale (exit 8)" in human.stdout and "None" not in human.stdout
