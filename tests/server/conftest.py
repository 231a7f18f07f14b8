"""A served app over real sockets, and a raw HTTP/1.1 client that can misbehave on purpose
(stall, trickle, send garbage) and observe exactly what the server answers and whether it
closes the connection."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import msgspec
import pytest

from tests.identity.conftest import LiveServer, running_server


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    closed: bool
    """The server closed the connection after this response."""

    def json(self) -> dict[str, object]:
        return dict(msgspec.json.decode(self.body))


class RawConnection:
    """One TCP connection speaking HTTP/1.1 by hand."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, url: str) -> RawConnection:
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def response(self, timeout: float) -> RawResponse:
        """Read one response (Content-Length framed) and whether the connection then ends."""
        async with asyncio.timeout(timeout):
            head = await self.reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ")[1])
            headers: dict[str, str] = {}
            for line in lines[1:]:
                if ":" in line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        closed = False
        if headers.get("connection", "").lower() == "close":
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    closed = await self.reader.read(1) == b""
        return RawResponse(status, headers, body, closed)

    def close(self) -> None:
        self.writer.close()


def request_head(
    method: str, path: str, headers: dict[str, str] | None = None, *, length: int | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@contextlib.contextmanager
def serving(tmp: Path, database_url: str, *, workers: int = 1, **env: str) -> Iterator[LiveServer]:
    """`ctn serve --workers N` with the given settings (`ctn_http_body_timeout_seconds="2"`)."""
    tmp.mkdir(parents=True, exist_ok=True)
    settings = {k.upper(): v for k, v in env.items()}
    args = ("--workers", str(workers))
    with running_server(tmp, database_url, settings, args) as server:
        yield server


@pytest.fixture
def live_database(server_url: str, database_name: str) -> str:
    return server_url.format(db=database_name)
