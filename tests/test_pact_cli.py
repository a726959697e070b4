"""`carbonledger pact client add | export | import` in-process, `serve --tls-cert/--tls-key`, and the PACT flow once
over real HTTPS (a `serve` process with a self-signed certificate made here)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ledger.home import init_home, load_settings, open_log
from mapping.pact_fields import footprint_id

from .helpers import CLI_COMMAND, Cli, Signer, label_for
from .pact_schema import validator
from .test_pact_mapping import VECTORS, pact_complete

GD = "gd-carbon-label"


def _home_with_labels(home: Path) -> dict[str, str]:
    init_home(home, origin="pact.cli/log", allowed_schemes=[GD])
    log = open_log(load_settings(home))
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)  # admission checks the signing time against its clock
    try:
        gd, cqc = Signer(), Signer()
        log.submit(gd.register(GD, now=now))
        log.submit(gd.authorize(GD, cqc, now=now))
        ok = log.submit(cqc.issue(pact_complete(label_for(GD, "GD-CLI-1")), now=now)).entry_id
        old = log.submit(cqc.issue(label_for(GD, "GD-CLI-OLD"), now=now)).entry_id
    finally:
        log.store.close()
    return {"ok": ok, "old": old}


@pytest.fixture
def home(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    h = tmp_path / "home"
    return h, _home_with_labels(h)


def test_client_add_prints_an_id_and_a_secret_once(home: tuple[Path, dict[str, str]]) -> None:
    out = Cli(home[0]).json("pact", "client", "add", "--name", "buyer")
    assert set(out) >= {"client_id", "client_secret"} and out["client_id"] != out["client_secret"]
    human = Cli(home[0]).run("pact", "client", "add", "--name", "second").stdout
    assert "client_secret:" in human and "stored hashed" in human


def test_export_prints_the_footprint_or_names_what_pact_needs(home: tuple[Path, dict[str, str]]) -> None:
    h, ids = home
    pf = json.loads(Cli(h).run("pact", "export", "GD-CLI-1", "--base-url", "https://pact.example").stdout)
    assert pf["id"] == footprint_id(ids["ok"]) and list(validator().iter_errors(pf)) == []
    assert pf["extensions"][-1]["data"]["bundle"].startswith("https://pact.example/v1/labels/GD-CLI-1/bundle")
    bad = Cli(h).run("pact", "export", "GD-CLI-OLD", ok=False)
    assert bad.returncode == 1 and "pact.missing_field" in bad.stderr and "fossilGhgEmissions" in bad.stderr


def test_import_writes_label_records_ready_to_sign(tmp_path: Path) -> None:
    src = tmp_path / "list.json"
    footprints = json.loads((VECTORS / "footprints.json").read_text())["footprints"]
    src.write_text(json.dumps({"data": footprints}))
    args = ["pact", "import", str(src), "--scheme", GD, "--manufacturer-country", "DE", "--boundary", "cradle-to-gate"]
    records = json.loads(Cli(tmp_path / "h").run(*args, "--verification-level", "limited").stdout)
    assert [r["label_id"] for r in records] == [f"PACT-{pf['id']}" for pf in footprints]
    Cli(tmp_path / "h").run(*args, "--verification-level", "limited", "--out-dir", str(tmp_path / "out"))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(f"PACT-{pf['id']}.json" for pf in footprints)
    refused = Cli(tmp_path / "h").run(*args, ok=False)  # the first is verified: an assurance level is needed
    assert refused.returncode == 1 and "/pcf/verification" in refused.stderr


def test_import_names_on_stderr_each_member_it_does_not_carry(tmp_path: Path) -> None:
    """A valid footprint with a member no label field holds imports; the member is named, never dropped silently."""
    pf = json.loads((VECTORS / "footprints.json").read_text())["footprints"][0]
    pf["pcf"]["x-partner-note"] = "kept by the partner only"
    src = tmp_path / "one.json"
    src.write_text(json.dumps(pf))
    args = ["pact", "import", str(src), "--scheme", GD, "--manufacturer-country", "DE", "--boundary", "cradle-to-gate"]
    out = Cli(tmp_path / "h").run(*args, "--verification-level", "limited")
    assert json.loads(out.stdout)["label_id"] == f"PACT-{pf['id']}"
    assert f"note: PACT-{pf['id']}: /pcf/x-partner-note not carried" in out.stderr


def test_serve_refuses_a_certificate_without_its_key(tmp_path: Path) -> None:
    init_home(tmp_path / "h", origin="pact.tls/log")
    out = Cli(tmp_path / "h").run("serve", "--tls-cert", str(tmp_path / "c.pem"), ok=False)
    assert out.returncode == 2 and "--tls-cert and --tls-key go together" in out.stderr


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_pact_flow_over_real_https(home: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    h, ids = home
    creds: dict[str, Any] = Cli(h).json("pact", "client", "add", "--name", "buyer")
    cert, key = _self_signed(tmp_path)
    port = _free_port()
    cli = Cli(h, subprocess=True)
    with (tmp_path / "serve.log").open("wb") as out:
        proc = subprocess.Popen(
            [*CLI_COMMAND, "serve", "--port", str(port), "--tls-cert", str(cert), "--tls-key", str(key)],
            env=cli.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).parent.parent,
        )
        try:
            base = f"https://127.0.0.1:{port}"
            with httpx.Client(base_url=base, verify=ssl.create_default_context(cafile=str(cert)), timeout=5) as c:
                deadline = time.monotonic() + 30
                while True:
                    assert proc.poll() is None, (tmp_path / "serve.log").read_text()
                    try:
                        if c.get("/.well-known/openid-configuration").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                    time.sleep(0.1)
                endpoint = c.get("/.well-known/openid-configuration").json()["token_endpoint"]
                assert endpoint == f"{base}/auth/token"
                r = c.post(
                    endpoint,
                    data={"grant_type": "client_credentials"},
                    auth=(creds["client_id"], creds["client_secret"]),
                )
                assert r.status_code == 200, r.text
                token = r.json()["access_token"]
                listed = c.get("/3/footprints", headers={"Authorization": f"Bearer {token}"})
                assert listed.status_code == 200
                assert [pf["id"] for pf in listed.json()["data"]] == [footprint_id(ids["ok"])]
                got = c.get(f"/3/footprints/{footprint_id(ids['ok'])}", headers={"Authorization": f"Bearer {token}"})
                assert got.json()["data"]["extensions"][-1]["data"]["bundle"].startswith(base)
            with pytest.raises(httpx.ConnectError):  # a client that does not trust the certificate refuses it
                httpx.get(f"{base}/3/footprints", timeout=5)
        finally:
            proc.kill()
            proc.wait(timeout=10)
