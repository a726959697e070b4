"""The HTTP clients this package makes: one TLS context for all of them.

An ``httpx.Client`` made without a TLS context builds its own, loading the whole CA bundle: measured here at
about 86 ms of CPU a client (0.1 ms with a context given). Clients made per request — a monitor's reads, a
batch's witness requests, a readiness poll — would spend more on that than on their requests. The context is
httpx's default (certifi's roots, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` when set), built once per process;
an ``ssl.SSLContext`` is safe to share between clients and threads.
"""

from __future__ import annotations

import functools
import ssl
from typing import Any

import httpx

__all__ = ["new_client", "tls_context"]


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default verifying TLS context, built on first use."""
    return httpx.create_ssl_context()


_SHARED_CONTEXT_OPTIONS = frozenset({"verify", "cert", "http2"})


def new_client(**options: Any) -> httpx.Client:
    """An ``httpx.Client`` with ``options`` (``timeout``, ``base_url``, …), verifying TLS with :func:`tls_context`.

    Refuses ``verify``, ``cert`` and ``http2`` (TypeError): each would change the one context every client
    shares (a client certificate loaded into it would be every client's; HTTP/2 sets its ALPN protocols).
    A caller that needs them makes its own ``httpx.Client``."""
    if shared := _SHARED_CONTEXT_OPTIONS & options.keys():
        raise TypeError(f"new_client shares one TLS context and takes no {', '.join(sorted(shared))}")
    return httpx.Client(verify=tls_context(), **options)
