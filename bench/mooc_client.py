"""A lean open-model HTTP/1.1 load generator for bench/mooc.py: requests leave on a timetable,
whatever the server answers meanwhile, and each latency is measured from the time the request
was SCHEDULED, not from when it was sent (so a server stall counts against every request that
should have left during it: no coordinated omission).

Why not wrk: wrk is closed-loop (a connection sends its next request when the previous answer
arrived) and Debian has no wrk2; its Lua `delay()` paces a connection but its clock starts at
the send. Why not httpx: its per-request overhead (~1 ms of Python) makes the client, not the
server, the limit at a few hundred requests per second on this machine. This client is raw
asyncio streams, HTTP/1.1 keep-alive, one request per connection at a time, a pool of
connections grown on demand (a request that finds none idle opens one, as a new user's
browser would); its own ceiling is measured in the same run against `/health/live` and
printed beside the figures.

Every request is recorded under a label: latency from the schedule, the send lag (how late
the generator itself was in sending: its own saturation shows here first), the status. A
status outside the expected ones, a transport error or a timeout is an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import resource
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

IDLE_SECONDS = 4.0
"""Idle connections older than this are dropped before use (the server closes them at 5 s)."""


class TransportError(Exception):
    pass


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        body = self.body
        if self.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        return json.loads(body)


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.used_at = time.monotonic()
        self.reused = False

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()

    async def exchange(self, data: bytes) -> Answer:
        self.writer.write(data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0][9:12])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                parts.append(chunk[:-2])
            body = b"".join(parts)
        else:
            body = b""
        return Answer(status, headers, body)


class Client:
    """Keep-alive connections to one server, opened on demand up to `max_connections`."""

    def __init__(
        self, host: str, port: int, *, max_connections: int = 4000, timeout: float = 10.0
    ) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.idle: list[_Connection] = []
        self.open = 0
        self.opened = 0
        self.slots = asyncio.Semaphore(max_connections)

    async def _connection(self) -> _Connection:
        now = time.monotonic()
        while self.idle:
            conn = self.idle.pop()
            if now - conn.used_at < IDLE_SECONDS:
                conn.reused = True
                return conn
            conn.close()
            self.open -= 1
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self.open += 1
        self.opened += 1
        return _Connection(reader, writer)

    def _release(self, conn: _Connection, answer: Answer) -> None:
        if answer.headers.get("connection", "").lower() == "close":
            conn.close()
            self.open -= 1
            return
        conn.used_at = time.monotonic()
        conn.reused = False
        self.idle.append(conn)

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        payload = b"" if body is None else json.dumps(body).encode()
        head = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Accept: application/json",
            "Accept-Encoding: gzip",
            "User-Agent: ctn-bench-mooc",
        ]
        if token:
            head.append(f"Authorization: Bearer {token}")
        if body is not None or method in ("POST", "PUT", "PATCH"):
            head.append("Content-Type: application/json")
            head.append(f"Content-Length: {len(payload)}")
        for name, value in (headers or {}).items():
            head.append(f"{name}: {value}")
        data = ("\r\n".join(head) + "\r\n\r\n").encode() + payload
        async with self.slots:
            return await asyncio.wait_for(self._send(data), self.timeout)

    async def _send(self, data: bytes) -> Answer:
        for _ in range(2):
            conn = await self._connection()
            reused = conn.reused
            try:
                answer = await conn.exchange(data)
            except (
                asyncio.IncompleteReadError,
                ConnectionError,
                asyncio.LimitOverrunError,
                ValueError,
            ) as exc:
                conn.close()
                self.open -= 1
                if reused:  # the server closed an idle keep-alive connection: once more
                    continue
                raise TransportError(type(exc).__name__) from exc
            except BaseException:
                conn.close()  # cancelled (timeout) midway: the connection's state is unknown
                self.open -= 1
                raise
            self._release(conn, answer)
            return answer
        raise TransportError("connection closed twice")

    def close(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle.clear()


# --- recording ---------------------------------------------------------------------------


@dataclass
class Series:
    """What one label's requests gave."""

    latencies: list[float] = field(default_factory=list)
    """Seconds from the scheduled time to the answer, of answered requests (errors too)."""
    lags: list[float] = field(default_factory=list)
    """Seconds from the scheduled time to the send (the generator's own lateness)."""
    statuses: dict[str, int] = field(default_factory=dict)
    errors: int = 0

    @property
    def requests(self) -> int:
        return len(self.latencies)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Recorder:
    def __init__(self) -> None:
        self.series: dict[str, Series] = {}
        self.since = 0.0
        """Requests scheduled before this (monotonic) time are not counted (a warm-up)."""

    def add(
        self, label: str, scheduled: float, sent: float, status: str, ok: bool, done: float
    ) -> None:
        if scheduled < self.since:
            return
        series = self.series.setdefault(label, Series())
        series.latencies.append(done - scheduled)
        series.lags.append(sent - scheduled)
        series.statuses[status] = series.statuses.get(status, 0) + 1
        if not ok:
            series.errors += 1

    def total(self) -> Series:
        whole = Series()
        for series in self.series.values():
            whole.latencies += series.latencies
            whole.lags += series.lags
            whole.errors += series.errors
            for status, n in series.statuses.items():
                whole.statuses[status] = whole.statuses.get(status, 0) + n
        return whole


async def call(
    client: Client,
    recorder: Recorder,
    label: str,
    scheduled: float,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    expect: Iterable[int] = (200,),
) -> Answer | None:
    """One request scheduled at `scheduled` (monotonic seconds), recorded under `label`;
    its answer, or None on a transport error or timeout."""
    sent = time.monotonic()
    try:
        answer = await client.request(method, path, token=token, body=body)
    except TimeoutError:
        recorder.add(label, scheduled, sent, "timeout", False, time.monotonic())
        return None
    except (TransportError, OSError) as exc:
        recorder.add(label, scheduled, sent, f"transport:{exc}", False, time.monotonic())
        return None
    done = time.monotonic()
    recorder.add(label, scheduled, sent, str(answer.status), answer.status in expect, done)
    return answer


Event = tuple[float, Callable[[float], Awaitable[Any]]]
"""(offset in seconds from the start, the action, given its scheduled monotonic time)."""


@dataclass
class RunStats:
    seconds: float
    generator_cpu: float
    """CPU seconds the generator process used meanwhile (user + system)."""
    max_in_flight: int


async def run_timetable(events: list[Event], *, drain: float = 15.0) -> RunStats:
    """Start every action at its time (open model: never waits for earlier answers), then
    wait for the stragglers (at most `drain` seconds after the last start)."""
    events = sorted(events, key=lambda e: e[0])
    start = time.monotonic() + 0.2
    cpu_before = _cpu()
    tasks: set[asyncio.Task[Any]] = set()
    in_flight = 0
    for offset, action in events:
        due = start + offset
        delay = due - time.monotonic()
        if delay > 0.0005:
            await asyncio.sleep(delay)
        task = asyncio.ensure_future(action(due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        in_flight = max(in_flight, len(tasks))
    if tasks:
        await asyncio.wait(set(tasks), timeout=drain)
    for task in list(tasks):
        task.cancel()
    return RunStats(
        seconds=time.monotonic() - start,
        generator_cpu=_cpu() - cpu_before,
        max_in_flight=in_flight,
    )


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_busy() -> tuple[float, float]:
    """(busy, total) jiffies of every CPU of the machine so far (/proc/stat)."""
    with open("/proc/stat") as stat:
        fields = [float(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)
