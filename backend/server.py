"""How the API is served: uvicorn with its h11 protocol, hardened at the connection level.

What only the server can see is handled here, the rest in the ASGI middleware:

- a client that opens a connection and never finishes sending a request line and headers
  gets `408` and is closed after `CTN_HTTP_HEADER_TIMEOUT_SECONDS` (uvicorn itself waits
  forever for the first request of a connection, and for a request whose first bytes arrived);
- a request the HTTP parser refuses (malformed request line, headers over 16 KiB) is answered
  with problem+json (`431` for oversized headers, else `400`) instead of plain text;
- every request starts in an empty context (`reset_contextvars`), so nothing a previous
  request on the connection set — a transaction above all — is inherited (cpython#140947:
  after a large body, uvicorn re-arms reading from inside the request task, and the next
  request's task is created in a copy of that task's context);
- `X-Forwarded-For` is believed only from `CTN_TRUSTED_PROXIES`;
- responses leave at once (TCP_NODELAY), whatever the number of worker processes.

Stalled or slow request bodies are bounded in `backend.middleware` (`408`, connection closed).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

import h11
import msgspec
from uvicorn.protocols.http.h11_impl import H11Protocol

from backend.settings import Settings

MAX_HEADER_BYTES = 16 * 1024
"""Request line and headers together; more is refused with 431."""


def _problem_bytes(status: int, reason: bytes, code: str, title_vi: str, title_en: str) -> bytes:
    """A complete HTTP/1.1 response carrying a problem document, closing the connection.

    The server answers before any request is known, so neither the client's language nor a
    request id exists yet: the title is Vietnamese, the detail English.
    """
    body = msgspec.json.encode(
        {
            "type": f"/problems/{code}",
            "title": title_vi,
            "status": status,
            "detail": title_en,
            "code": code,
        }
    )
    head = (
        b"HTTP/1.1 %d %s\r\n"
        b"content-type: application/problem+json\r\n"
        b"content-language: vi\r\n"
        b"content-length: %d\r\n"
        b"connection: close\r\n\r\n"
    ) % (status, reason, len(body))
    return head + body


REQUEST_TIMEOUT = _problem_bytes(
    408,
    b"Request Timeout",
    "request_timeout",
    "Yêu cầu được gửi quá chậm nên đã bị hủy.",
    "The request took too long to arrive and was abandoned.",
)
HEADERS_TOO_LARGE = _problem_bytes(
    431,
    b"Request Header Fields Too Large",
    "headers_too_large",
    "Dòng yêu cầu và các header vượt quá 16 KiB.",
    "The request line and headers exceed 16 KiB.",
)
MALFORMED_REQUEST = _problem_bytes(
    400,
    b"Bad Request",
    "malformed_request",
    "Yêu cầu HTTP không hợp lệ.",
    "The HTTP request is malformed.",
)


class _Connection(h11.Connection):
    """h11's connection, remembering why it refused the peer's data (for the status)."""

    refusal: h11.RemoteProtocolError | None = None

    def next_event(self) -> Any:
        try:
            return super().next_event()
        except h11.RemoteProtocolError as exc:
            self.refusal = exc
            raise


class HardenedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for request headers and problem+json refusals."""

    header_timeout: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = _Connection(h11.SERVER, max_incomplete_event_size=MAX_HEADER_BYTES)
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # uvicorn narrows the type the same way
        super().connection_made(transport)
        _no_delay(transport)
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE and self._head_too_large(data):
            self._refuse(HEADERS_TOO_LARGE)
            return
        super().data_received(data)
        if self.transport.is_closing():
            self._disarm_header_timer()
        elif self.conn.their_state is h11.IDLE:
            # Bytes of a request line or headers arrived: the deadline runs from the first
            # of them and is not pushed back by each trickle that follows.
            self._arm_header_timer()
        else:
            self._disarm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # The next request's headers are waited for by uvicorn's keep-alive timeout until
        # its first byte, then by ours.
        self._disarm_header_timer()

    def send_400_response(self, msg: str) -> None:
        refusal = getattr(self.conn, "refusal", None)
        too_large = refusal is not None and refusal.error_status_hint == 431
        self._refuse(HEADERS_TOO_LARGE if too_large else MALFORMED_REQUEST)

    def _head_too_large(self, data: bytes) -> bool:
        """Whether the request line and headers being received exceed the limit. h11 only
        bounds a head that arrives in pieces; one that arrives whole in a read is not."""
        pending = self.conn.trailing_data[0] + data
        end = pending.find(b"\r\n\r\n")
        return end > MAX_HEADER_BYTES or (end == -1 and len(pending) > MAX_HEADER_BYTES)

    def _refuse(self, response: bytes) -> None:
        self._disarm_header_timer()
        if not self.transport.is_closing():
            self.transport.write(response)
            self.transport.close()

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.logger.info("request headers not received in time; closing the connection")
            self.transport.write(REQUEST_TIMEOUT)
            self.transport.close()


def _no_delay(transport: asyncio.Transport) -> None:
    """Send each response at once (TCP_NODELAY). asyncio sets it only on sockets whose
    protocol number says TCP; the listening socket uvicorn creates for `--workers N` says 0,
    so every response then waited ~40 ms for the client's delayed ACK (Nagle)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def configure(settings: Settings) -> None:
    """Apply this process's settings to the protocol (called where the app is created, so in
    every worker process; uvicorn instantiates the class itself, per connection)."""
    HardenedH11Protocol.header_timeout = settings.http_header_timeout_seconds


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The options every way of serving the app passes to uvicorn (`ctn serve`, `ctn demo`)."""
    trusted = settings.trusted_proxy_list
    return {
        "http": HardenedH11Protocol,
        "reset_contextvars": True,
        "log_config": None,
        "access_log": False,
        "server_header": False,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
        "timeout_keep_alive": 5,
    }
