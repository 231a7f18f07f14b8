"""bench/mooc.py's generator: open model (a stall of the server counts against every request
that should have left meanwhile), keep-alive, the answers' framings; the load model's
arithmetic. The full benchmark is run by hand (`python -m bench.mooc --quick`)."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator

import pytest

from bench.mooc import BEAT_SECONDS, Model
from bench.mooc_client import Client, Recorder, call, percentile, run_timetable


class Server:
    """A tiny HTTP/1.1 keep-alive server: `/stall` waits `stall` s once, `/chunked` answers
    chunked, `/gzip` a gzip body, anything else `{"ok": true}`; counts connections."""

    def __init__(self, stall: float = 0.0) -> None:
        self.stall = stall
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ")[1].decode()
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                if path == "/stall" and self.stall:
                    stall, self.stall = self.stall, 0.0
                    await asyncio.sleep(stall)
                if path == "/chunked":
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        b'5\r\n{"a":\r\n2\r\n1}\r\n0\r\n\r\n'
                    )
                elif path == "/gzip":
                    body = gzip.compress(b'{"zipped": true}')
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
                        + f"Content-Length: {len(body)}\r\n\r\n".encode()
                        + body
                    )
                else:
                    writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{"ok":true}')
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def serve(server: Server) -> AsyncIterator[int]:
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        listener.close()


@pytest.fixture
async def stalling() -> AsyncIterator[tuple[Server, int]]:
    server = Server(stall=0.5)
    async for port in serve(server):
        yield server, port


async def test_a_stall_counts_against_every_request_scheduled_during_it(
    stalling: tuple[Server, int],
) -> None:
    server, port = stalling
    client = Client("127.0.0.1", port, max_connections=1)
    recorder = Recorder()

    async def request(due: float) -> None:
        await call(client, recorder, "stall", due, "GET", "/stall")

    # 40 requests, one every 10 ms; the first answer takes 0.5 s and only one connection may
    # be open: the others wait, and their wait is latency (a closed-loop client, timing from
    # the send, would report ~1 ms for all but the first).
    await run_timetable([(i * 0.01, request) for i in range(40)])
    series = recorder.series["stall"]
    assert series.requests == 40 and series.errors == 0
    assert percentile(series.latencies, 0.5) > 0.2
    assert max(series.latencies) >= 0.45
    # The generator itself dispatched each on time: the wait is the server's.
    assert percentile(series.lags, 0.99) < 0.1
    assert server.connections == 1
    client.close()


async def test_answers_are_read_whole_on_kept_alive_connections() -> None:
    server = Server()
    async for port in serve(server):
        client = Client("127.0.0.1", port)
        assert (await client.request("GET", "/chunked")).json() == {"a": 1}
        assert (await client.request("GET", "/gzip")).json() == {"zipped": True}
        answer = await client.request("PUT", "/x", token="t", body={"value": ["a", "b"]})
        assert answer.status == 200 and json.loads(answer.body) == {"ok": True}
        assert server.connections == 1 and client.opened == 1
        client.close()


async def test_an_unexpected_status_or_a_refused_connection_is_an_error() -> None:
    recorder = Recorder()
    server = Server()
    async for port in serve(server):
        client = Client("127.0.0.1", port)
        await call(client, recorder, "x", 0.0, "GET", "/", expect=(201,))
        client.close()
    closed = Client("127.0.0.1", port, timeout=1)
    await call(closed, recorder, "x", 0.0, "GET", "/")
    series = recorder.series["x"]
    assert series.errors == 2
    assert series.statuses["200"] == 1
    assert any(status.startswith("transport:") for status in series.statuses)


def test_the_model_derives_the_rates_from_the_learners() -> None:
    model = Model()
    rates = model.rates(50_000)
    online = 50_000 * model.online
    assert rates["PUT /lessons/{id}/progress (video)"] == pytest.approx(
        online * model.watching / BEAT_SECONDS
    )
    assert rates["GET /me/courses"] == pytest.approx(online / 300)
    assert sum(model.rates(5_000).values()) == pytest.approx(sum(rates.values()) / 10)
    assert "10,000" in model.describe(50_000)
