"""The public address of a log's pages (config.json ``base_url``, ``--base-url``): what a QR code on a product
encodes and what a GS1 Digital Link resolver answers under, so it must be an absolute http(s) URL that a phone
in a shop can reach — a loopback address is accepted (for a local trial) with a warning."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from mapping.errors import InputError

__all__ = ["is_loopback", "parse_base_url"]

MAX_BASE_URL = 512


def parse_base_url(text: str, field: str = "base_url") -> str:
    """``text`` as a base URL without a trailing slash; InputError ``input.base_url`` when it is not one."""
    value = text.strip()
    if not value or len(value) > MAX_BASE_URL:
        raise InputError(
            f"{field} must be an http(s) URL of at most {MAX_BASE_URL} characters", code="input.base_url", field=field
        )
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(
            f"{field} must be an absolute http:// or https:// URL, got {value!r}", code="input.base_url", field=field
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InputError(
            f"{field} takes no query, fragment or credentials: {value!r}", code="input.base_url", field=field
        )
    return value.rstrip("/")


def is_loopback(base_url: str) -> bool:
    """True when ``base_url`` names this machine only (localhost, 127.0.0.0/8, ::1): no phone can open it."""
    host = (urlsplit(base_url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
