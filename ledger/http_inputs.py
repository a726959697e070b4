"""What an HTTP request sends, read under limits — the one place the API and the pages read bodies and uploads.

A body is refused as soon as its declared or streamed length passes its limit, never buffered past it. An
upload form (the bundle, the trust file and a few text fields) is read whole under one limit and then parsed
from memory. The limits are the same for the API (``POST /v1/verify``) and the upload page (``/verify``).
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from mapping.errors import InputError, MediaTypeError, OversizedError, UriTooLongError

__all__ = [
    "MAX_BUNDLE_BYTES",
    "MAX_TRUST_BYTES",
    "MAX_URL_BYTES",
    "MULTIPART_OVERHEAD_BYTES",
    "UPLOAD_FORM_BYTES",
    "check_url",
    "content_type",
    "parse_form",
    "read_body",
    "read_limited",
    "upload_bytes",
    "upload_name",
]

MAX_BUNDLE_BYTES = 2 << 20  # 2 MiB: a bundle to verify
MAX_TRUST_BYTES = 256 << 10  # 256 KiB: a trust file
MULTIPART_OVERHEAD_BYTES = 64 << 10  # boundaries, part headers and the small text fields
UPLOAD_FORM_BYTES = MAX_BUNDLE_BYTES + MAX_TRUST_BYTES + MULTIPART_OVERHEAD_BYTES
MAX_URL_BYTES = 8 << 10  # 8 KiB of path and query: RFC 9110 §4.1 recommends supporting at least 8,000 octets


def check_url(request: Request) -> None:
    """Every route's first check (a dependency of the whole app): a URL over :data:`MAX_URL_BYTES` is a 414
    ``input.uri_too_long``; a NUL character anywhere in the decoded path or query — which no id, no search and
    no text column holds, and which PostgreSQL refuses to compare — a 400 ``input.nul_character``."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string") or b""
    if len(raw) + len(query) > MAX_URL_BYTES:
        raise UriTooLongError(
            f"the URL's path and query are {len(raw) + len(query)} bytes; at most {MAX_URL_BYTES} are read",
            code="input.uri_too_long",
        )
    if "\x00" in request.url.path or any("\x00" in k or "\x00" in v for k, v in request.query_params.multi_items()):
        raise InputError("the URL holds a NUL character (%00)", code="input.nul_character")


def content_type(request: Request) -> str:
    """The request's media type, lower case, without parameters ('' when none is sent)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_body(request: Request, limit: int, content_types: tuple[str, ...]) -> bytes:
    """Read a request body, refusing wrong content types and bodies over ``limit`` before buffering them."""
    ctype = content_type(request)
    if ctype not in content_types:
        raise MediaTypeError(
            f"content type {ctype or 'none'!r} is not accepted; send {content_types[0]}", code="input.content_type"
        )
    return await read_limited(request, limit)


async def read_limited(request: Request, limit: int, what: str = "body") -> bytes:
    """The request body, refused as soon as its declared or streamed length passes ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()):  # "²".isdigit() too, and int("²") raises
            raise InputError(f"Content-Length {declared[:40]!r} is not a number of bytes", code="input.content_length")
        if len(declared.lstrip("0")) > len(str(limit)) or int(declared) > limit:  # int() of a short string only
            raise OversizedError(
                f"{what} of {declared[:40]} bytes is over the limit of {limit}", code="input.oversized"
            )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise OversizedError(f"{what} is over the limit of {limit} bytes", code="input.oversized")
    return bytes(body)


async def parse_form(request: Request, body: bytes, **limits: Any) -> FormData:
    """The multipart form in ``body`` (read already, under its limit), parsed from memory; ``limits`` go to
    :meth:`starlette.requests.Request.form`. Raises what Starlette raises on a malformed form."""

    async def replay() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    return await Request(request.scope, replay).form(**limits)


async def upload_bytes(value: Any, *, text_too: bool = False) -> bytes | None:
    """The bytes of an uploaded file field; with ``text_too`` a plain text field holding the document counts
    too. None when the field is absent (or, without ``text_too``, not a file)."""
    if isinstance(value, UploadFile):
        return await value.read()
    if text_too and isinstance(value, str) and value:
        return value.encode("utf-8")
    return None


def upload_name(value: Any) -> str:
    """The file name an upload was sent with ('file' when it has none)."""
    return (value.filename if isinstance(value, UploadFile) else None) or "file"
