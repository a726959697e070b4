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


def test_the_ci_build_is_compiled() -> None:
    """CI installs with the README's command, which compiles the hot path; a build without a compiler must say
    so with CARBONLEDGER_PURE_PYTHON=1 (then this test has nothing to check)."""
    if os.environ.get("CI") != "true" or os.environ.get("CARBONLEDGER_PURE_PYTHON") == "1":
        return
    got = probe(ROOT)
    assert got["compiled"] is True, "pip install -e . did not compile verifier.COMPILED_MODULES (see setup.py)"
    assert all(not f.endswith(".py") for m, f in got["files"].items() if m != "merkle"), got["files"]


def test_a_source_changed_since_the_build_turns_every_compiled_file_off(tmp_path: Path) -> None:
    """Compiled files that are not real extensions stand in for a build: importing one would fail, so the
    probe passing proves the guard never loads them once a single source differs from the one compiled."""
    for package in ("verifier", "mapping"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    here = tmp_path / "verifier"
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    for name in verifier.COMPILED_MODULES:
        (here / f"{name}{suffix}").write_bytes(b"not an extension module")
    (here / f"merkle{suffix}").write_bytes(b"left by an earlier build that compiled merkle")  # never used
    manifest = {n: hashlib.sha256((here / f"{n}.py").read_bytes()).hexdigest() for n in verifier.COMPILED_MODULES}
    (here / "compiled_sources.json").write_text(json.dumps(manifest))
    only_the_flag = "import json, verifier; print(json.dumps({'compiled': verifier.COMPILED}))"
    flag = subprocess.run([sys.executable, "-c", only_the_flag], cwd=tmp_path, capture_output=True, text=True)
    assert json.loads(flag.stdout) == {"compiled": True}, flag.stderr  # the build's sources, all there
    with (here / "report.py").open("a") as f:
        f.write("# edited after the build\n")
    got = probe(tmp_path)
    assert got["compiled"] is False
    assert all(f.startswith(str(tmp_path)) and f.endswith(".py") for f in got["files"].values()), got["files"]
    (here / "compiled_sources.json").unlink()
    assert probe(tmp_path, CARBONLEDGER_PURE_PYTHON="0")["compiled"] is False  # no record of a build


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
