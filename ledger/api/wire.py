"""The HTTP connection below the app: what uvicorn answers, before any route runs, in the API's own envelope.

uvicorn's h11 protocol answers a request it cannot parse with a plain-text ``400 Invalid HTTP request
received.`` — and that is also its answer when a request line or the headers pass h11's buffer limit
(:data:`MAX_REQUEST_HEAD_BYTES`), so a URL of 200,000 characters, arriving in several TCP segments, was a plain
400 (or, when the client was still sending, a reset connection and no answer at all). :class:`EnvelopeH11Protocol`
is uvicorn's protocol with that one answer replaced: a request line still unfinished past the limit is a 414
``input.uri_too_long`` (RFC 9110 §15.5.15), headers past it a 431 ``http.headers_too_large`` (RFC 6585 §5), any
other unparsable request a 400 ``http.bad_request`` — each a JSON body ``{"error": {"code", "message"}}`` and
``Connection: close``. A URL under the limit reaches the app, whose own check answers 414 past
:data:`ledger.http_inputs.MAX_URL_BYTES`.
"""

from __future__ import annotations

import orjson
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..http_inputs import MAX_URL_BYTES

__all__ = ["MAX_REQUEST_HEAD_BYTES", "EnvelopeH11Protocol", "unparsable_answer"]

# h11's limit on a request's head (request line and headers) while it is incomplete: four times the URL limit, so
# every URL the app would refuse with its own 414 can still reach it with ordinary headers.
MAX_REQUEST_HEAD_BYTES = 4 * MAX_URL_BYTES

LINGER_S = 2.0  # how long an answered unparsable connection may go on sending before it is closed
_REASONS = {400: b"Bad Request", 414: b"URI Too Long", 431: b"Request Header Fields Too Large"}


def unparsable_answer(buffered: bytes) -> tuple[int, str, str]:
    """(status, code, message) for a request head h11 could not parse, from the bytes it holds unparsed."""
    if len(buffered) > MAX_REQUEST_HEAD_BYTES:
        if b"\n" not in buffered[:MAX_REQUEST_HEAD_BYTES]:
            return (
                414,
                "input.uri_too_long",
                f"the request line is longer than {MAX_REQUEST_HEAD_BYTES} bytes; URLs of at most {MAX_URL_BYTES}"
                " bytes of path and query are read",
            )
        return 431, "http.headers_too_large", f"the request's headers are longer than {MAX_REQUEST_HEAD_BYTES} bytes"
    return 400, "http.bad_request", "the request is not valid HTTP/1.1"


class EnvelopeH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, answering an unparsable request in the envelope (414, 431 or 400)."""

    def __init__(self, config, server_state, app_state, _loop=None) -> None:  # type: ignore[no-untyped-def]
        if config.h11_max_incomplete_event_size is None:
            config.h11_max_incomplete_event_size = MAX_REQUEST_HEAD_BYTES
        super().__init__(config, server_state, app_state, _loop)

    _answered = False

    def data_received(self, data: bytes) -> None:
        if not self._answered:  # after the answer, the rest of what the client still sends is read and dropped
            super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        buffered, _closed = self.conn.trailing_data
        status, code, message = unparsable_answer(buffered)
        body = orjson.dumps({"error": {"code": code, "message": message}})
        head = b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n"
        # Written raw: h11's own state machine is in its error state and will send nothing more.
        self.transport.write(head % (status, _REASONS[status], len(body)) + body)
        self._answered = True
        # A lingering close (RFC 9112 §9.6): closing while the client is still sending its long request line
        # would reset the connection and could destroy the answer before the client reads it. So the sending
        # side is shut, what still arrives is dropped, and the connection closes when the client closes its
        # side or after LINGER_S.
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_S, self.transport.close)
        else:
            self.transport.close()
