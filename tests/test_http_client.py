"""ledger/http_client.py: one TLS context for the package's HTTP clients, and it still verifies."""

from __future__ import annotations

import ssl

import pytest

from ledger.http_client import new_client, tls_context


def test_attack_the_shared_tls_context_never_skips_certificate_checks() -> None:
    # A man in the middle between a monitor (or the log's witness requests) and its server gains if the one
    # context every client shares were made lenient for speed: it must verify the chain and the host name.
    ctx = tls_context()
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    assert ctx.check_hostname is True
    assert ctx.cert_store_stats()["x509_ca"] > 0  # roots loaded: the once-per-process cost it saves


def test_clients_share_one_context() -> None:
    assert tls_context() is tls_context()
    with new_client(timeout=1) as a, new_client(timeout=1) as b:
        assert a.timeout.connect == b.timeout.connect == 1
        # httpx keeps the context on the connection pool of the client's default transport
        assert a._transport._pool._ssl_context is b._transport._pool._ssl_context is tls_context()  # type: ignore[attr-defined]


@pytest.mark.parametrize("option", ["verify", "cert", "http2"])
def test_attack_no_caller_changes_the_context_every_client_shares(option: str) -> None:
    # A client certificate (or a lenient verify) given to one client must not become every client's.
    with pytest.raises(TypeError, match=option):
        new_client(**{option: True})
    assert tls_context().verify_mode == ssl.CERT_REQUIRED
