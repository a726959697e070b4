"""A light, plain install (issue 15, item 7): the default install compiles nothing and needs no server
packages; a buyer verifies with it alone; importing the verifier runs no hook. The process boundary is the
point here (a fresh interpreter with the server packages unimportable), so these tests use subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.bundles import build_bundle, export_trust
from ledger.log import Log
from ledger.store import Store
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .helpers import NOW, Signer, label_for

ROOT = Path(__file__).resolve().parent.parent
GD = "gd-carbon-label"
SERVER_ONLY = ("fastapi", "uvicorn", "starlette", "jinja2", "segno", "multipart", "python_multipart", "psycopg")

# Runs the real CLI in a fresh interpreter in which every package of the server and PostgreSQL extras is
# unimportable, as on a machine with only the default install.
WITHOUT_EXTRAS = """
import sys
BLOCKED = set(sys.argv[1].split(','))
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in BLOCKED:
            raise ModuleNotFoundError('not installed: ' + name)
sys.meta_path.insert(0, Block())
from cli.main import main
sys.exit(main(sys.argv[2:]))
"""


def run_without_extras(*argv: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", WITHOUT_EXTRAS, ",".join(SERVER_ONLY), *argv]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False, timeout=120)


@pytest.fixture
def log(sqlite_url: str) -> Iterator[Log]:
    store = Store(sqlite_url)
    yield Log(store, SigningKey.generate(), "light.test/log", Policy(frozenset({GD})), lambda: NOW)
    store.close()


def test_default_install_declares_no_compiler_type_checker_or_server_packages() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["build-system"]["requires"] == ["setuptools>=68"]
    assert not (ROOT / "setup.py").exists(), "no build step beyond pyproject.toml (nothing compiled)"
    names = [
        dep.split("[")[0].split(">")[0].split("=")[0].strip().lower() for dep in project["project"]["dependencies"]
    ]
    for server_only in ("fastapi", "uvicorn", "jinja2", "segno", "python-multipart", "psycopg", "mypy"):
        assert server_only not in names, f"{server_only} belongs in an extra, not the default install"
    extras = project["project"]["optional-dependencies"]
    assert {"server", "postgres", "test"} <= set(extras)
    assert "carbonledger[server,postgres]" in extras["test"]


def test_importing_the_verifier_adds_no_import_hook_and_reads_no_file() -> None:
    probe = (
        "import sys, builtins\n"
        "before = list(sys.meta_path)\n"
        "opened = []\n"
        "real_open = builtins.open\n"
        "builtins.open = lambda f, *a, **k: (opened.append(str(f)), real_open(f, *a, **k))[1]\n"
        "import verifier, verifier.verify, verifier.bundle_fold, verifier.rules\n"
        "builtins.open = real_open\n"
        "assert sys.meta_path == before, sys.meta_path\n"
        "print([f for f in opened if f.endswith('.json') and 'schemas' not in f])\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", "no compiled-build record or staleness check is read at import"


def test_buyer_verifies_a_bundle_with_only_the_default_install(log: Log, tmp_path: Path) -> None:
    gd, cb = Signer(), Signer()
    for env in (gd.register(GD), gd.authorize(GD, cb, kinds=["label.issue"]), cb.issue(label_for(GD, "GD-1"))):
        log.submit(env)
    (tmp_path / "b.json").write_bytes(build_bundle(log, "GD-1"))
    (tmp_path / "t.json").write_text(json.dumps(export_trust(log).to_dict()))
    out = run_without_extras(
        "--home",
        str(tmp_path / "home"),
        "verify",
        str(tmp_path / "b.json"),
        "--trust",
        str(tmp_path / "t.json"),
        "--at",
        "2023-01-01",
        "--json",
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert json.loads(out.stdout)["verdict"] == "authentic_and_valid"


def test_serve_without_the_server_extra_says_what_to_install(tmp_path: Path) -> None:
    out = run_without_extras("--home", str(tmp_path / "home"), "serve", "--port", "8799")
    assert out.returncode != 0
    assert "install.missing_extra" in out.stdout + out.stderr
    assert "pip install 'carbonledger[server]'" in out.stdout + out.stderr


def test_postgres_store_without_the_postgres_extra_says_what_to_install() -> None:
    probe = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'psycopg': raise ModuleNotFoundError('not installed: psycopg')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from ledger.store import Store\n"
        "from mapping.errors import MissingExtraError\n"
        "try:\n"
        "    Store('postgresql://127.0.0.1:5432/test')\n"
        "except MissingExtraError as e:\n"
        "    print(e.code, e)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("install.missing_extra") and "carbonledger[postgres]" in out.stdout
