"""The compiled verifier (setup.py compiles verifier.COMPILED_MODULES with mypyc) and the guard in
verifier/__init__.py: the sources stay the truth, and compiled and pure-Python verification agree."""

from __future__ import annotations

import base64
import hashlib
import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import verifier
from verifier.canonical import canonicalize
from verifier.verify import verify_bundle

from .test_verify import AT, NOW, Shipment, edit_bundle, log, ship  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import importlib, json, sys
import verifier
files = {m: importlib.import_module('verifier.' + m).__file__ for m in (*verifier.COMPILED_MODULES, 'merkle')}
print(json.dumps({'compiled': verifier.COMPILED, 'files': files}))
"""


def probe(cwd: Path, **env: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_the_pure_python_switch_imports_every_compiled_module_from_its_source() -> None:
    got = probe(ROOT, CARBONLEDGER_PURE_PYTHON="1")
    assert got["compiled"] is False
    assert sorted(got["files"]) == sorted([*verifier.COMPILED_MODULES, "merkle"])
    assert all(f.endswith(".py") for f in got["files"].values()), got["files"]


IN_CI_BUILD = os.environ.get("CI") == "true" and os.environ.get("CARBONLEDGER_PURE_PYTHON") != "1"


@pytest.mark.skipif(not IN_CI_BUILD, reason="only CI's install must compile (CI=true, no CARBONLEDGER_PURE_PYTHON=1)")
def test_the_ci_build_is_compiled() -> None:
    """CI installs with the README's command, which compiles the hot path (a machine without a C compiler
    installs with CARBONLEDGER_PURE_PYTHON=1)."""
    assert verifier.COMPILED, "pip install -e . did not compile verifier.COMPILED_MODULES (see setup.py)"
    got = probe(ROOT)
    assert got["compiled"] is True
    assert all(not f.endswith(".py") for m, f in got["files"].items() if m != "merkle"), got["files"]


FLAG = "import json, verifier; print(json.dumps(verifier.COMPILED))"


def _flag(cwd: Path) -> bool:
    out = subprocess.run([sys.executable, "-c", FLAG], cwd=cwd, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    return bool(json.loads(out.stdout))


def _stand_in_build(root: Path) -> dict:
    """A copy of verifier/ and mapping/ with stand-ins for a build's compiled files (importing one would fail)
    and the record such a build leaves; returns the record."""
    for package in ("verifier", "mapping"):
        shutil.copytree(ROOT / package, root / package, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    for name in verifier.COMPILED_MODULES:
        (root / "verifier" / f"{name}{suffix}").write_bytes(b"not an extension module")
    (root / f"{verifier.GROUP_LIBRARY}{suffix}").write_bytes(b"not a shared library")
    sources = sorted([*root.glob("verifier/*.py"), *root.glob("mapping/**/*.py")])
    record = {
        "compiled": list(verifier.COMPILED_MODULES),
        "sources": {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sources},
    }
    (root / "verifier" / "compiled_sources.json").write_text(json.dumps(record))
    return record


def test_a_source_changed_since_the_build_turns_every_compiled_file_off(tmp_path: Path) -> None:
    """The probe passing proves the guard never imports the stand-ins once a single source differs."""
    _stand_in_build(tmp_path)
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    (tmp_path / "verifier" / f"merkle{suffix}").write_bytes(b"left by an earlier build that compiled merkle")
    assert _flag(tmp_path) is True  # the build's sources, all there
    with (tmp_path / "verifier" / "report.py").open("a") as f:
        f.write("# edited after the build\n")
    got = probe(tmp_path)
    assert got["compiled"] is False
    assert all(f.startswith(str(tmp_path)) and f.endswith(".py") for f in got["files"].values()), got["files"]


@pytest.mark.parametrize(
    "change",
    ["a mapping source edited", "no record", "a module compiled then but not now", "no shared library"],
)
def test_anything_but_the_recorded_build_turns_the_compiled_files_off(tmp_path: Path, change: str) -> None:
    record = _stand_in_build(tmp_path)
    assert _flag(tmp_path) is True
    if change == "a mapping source edited":
        with (tmp_path / "mapping" / "errors.py").open("a") as f:
            f.write("# edited after the build\n")
    elif change == "no record":
        (tmp_path / "verifier" / "compiled_sources.json").unlink()
    elif change == "a module compiled then but not now":
        record["compiled"].append("merkle")
        (tmp_path / "verifier" / "compiled_sources.json").write_text(json.dumps(record))
    else:
        next(tmp_path.glob(f"{verifier.GROUP_LIBRARY}*")).unlink()
    assert _flag(tmp_path) is False
    assert probe(tmp_path)["compiled"] is False  # and every module imports from its source


VERIFY_IN_SOURCES = """
import base64, json, sys
from datetime import date, datetime
import verifier
from verifier.verify import VerifierCache, verify_bundle
assert not verifier.COMPILED
job = json.load(sys.stdin)
cache = VerifierCache()
out = [verify_bundle(base64.b64decode(b), base64.b64decode(job['trust']), at=date.fromisoformat(job['at']),
                     now=datetime.fromisoformat(job['now']), cache=cache).to_dict() for b in job['bundles']]
print(json.dumps(out))
"""


def test_compiled_and_pure_python_verification_agree(ship: Shipment) -> None:  # noqa: F811
    good, other = ship.bundle("GD-1"), ship.bundle("GD-2")

    def flip_signature_bit(d: dict) -> None:
        item = next(i for i in d["entries"] if i["index"] == max(e["index"] for e in d["entries"]))
        env = json.loads(base64.b64decode(item["envelope"]))
        sig = bytearray(base64.b64decode(env["signatures"][0]["sig"]))
        sig[0] ^= 1  # still 64 bytes of canonical base64: only the signature check can fail
        env["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
        item["envelope"] = base64.b64encode(canonicalize(env)).decode()

    def wrong_proof(d: dict) -> None:
        d["entries"][0]["proof"] = d["entries"][0]["proof"][::-1]

    bundles = [
        good,
        other,
        good,
        edit_bundle(good, flip_signature_bit),
        edit_bundle(good, wrong_proof),
        good.replace(b'{"checkpoint"', b'{ "checkpoint"', 1),
        b'{"version":"carbonledger.bundle/v9"}',
        good[:100],
    ]
    trust = ship.trust()
    job = {
        "bundles": [base64.b64encode(b).decode() for b in bundles],
        "trust": base64.b64encode(trust).decode(),
        "at": AT.isoformat(),
        "now": NOW.isoformat(),
    }
    assert verifier.COMPILED or not IN_CI_BUILD  # in CI this compares the compiled verifier with the sources
    out = subprocess.run(
        [sys.executable, "-c", VERIFY_IN_SOURCES],
        cwd=ROOT,
        env={**os.environ, "CARBONLEDGER_PURE_PYTHON": "1"},
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    from verifier.verify import VerifierCache

    cache = VerifierCache()
    here = [verify_bundle(b, trust, at=AT, now=NOW, cache=cache).to_dict() for b in bundles]
    assert json.loads(out.stdout) == json.loads(json.dumps(here))
    assert [r["exit_code"] for r in here] == [0, 0, 0, 3, 3, 5, 5, 5]
