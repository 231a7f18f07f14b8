"""What the server does before the app sees a request: malformed requests are answered in
problem+json (issue 8, finding 15), and `X-Forwarded-For` is believed only from configured
proxies (finding 13). Over real sockets against a real `ctn serve`."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from backend.settings import SettingsError, load_settings
from tests.server.conftest import RawConnection, request_head, serving


async def test_malformed_requests_are_answered_in_problem_json(
    tmp_path: Path, live_database: str
) -> None:
    with serving(tmp_path, live_database) as server:
        cases = [
            # Headers over 16 KiB.
            (
                request_head("GET", "/health/live", {"X-Big": "a" * 20_000}),
                431,
                "headers_too_large",
            ),
            # Not HTTP at all.
            (b"HELLO THERE\r\n\r\n", 400, "malformed_request"),
            # A header line without a colon.
            (b"GET / HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n", 400, "malformed_request"),
        ]
        for raw, status, code in cases:
            connection = await RawConnection.open(server.url)
            await connection.send(raw)
            answer = await connection.response(timeout=10)
            assert answer.status == status
            assert answer.headers["content-type"] == "application/problem+json"
            problem = answer.json()
            assert problem["code"] == code
            assert problem["status"] == status
            assert problem["title"] and problem["detail"]
            assert answer.closed
            connection.close()
        # The server is still serving.
        assert httpx.get(f"{server.url}/health/live").status_code == 200


def access_log_clients(log: Path) -> list[str | None]:
    clients = []
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("msg") == "request" or record.get("message") == "request":
                clients.append(record.get("client"))
    return clients


async def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(
    tmp_path: Path, live_database: str
) -> None:
    spoofed = {"X-Forwarded-For": "203.0.113.9"}
    with serving(tmp_path / "direct", live_database) as server:
        assert httpx.get(f"{server.url}/api/v1/articles", headers=spoofed).status_code == 200
        log = server.log
    assert "203.0.113.9" not in log.read_text()
    assert "127.0.0.1" in access_log_clients(log)

    with serving(tmp_path / "proxied", live_database, ctn_trusted_proxies="127.0.0.1/32") as server:
        assert httpx.get(f"{server.url}/api/v1/articles", headers=spoofed).status_code == 200
        log = server.log
    assert "203.0.113.9" in access_log_clients(log)


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    assert load_settings({"CTN_TRUSTED_PROXIES": "10.0.0.1, 10.1.0.0/16"}).trusted_proxy_list == [
        "10.0.0.1",
        "10.1.0.0/16",
    ]
    with pytest.raises(SettingsError, match="CTN_TRUSTED_PROXIES"):
        load_settings({"CTN_TRUSTED_PROXIES": "proxy.example"})


async def test_responses_leave_at_once_on_the_socket_several_workers_share() -> None:
    """`ctn serve --workers N` has uvicorn bind the listening socket itself, with a protocol
    number of 0, and asyncio then leaves Nagle's algorithm on: every response waited ~40 ms
    for the client's delayed ACK. The protocol sets TCP_NODELAY on every connection."""
    import asyncio
    import socket

    import uvicorn

    from backend.server import HardenedH11Protocol
    from tests.conftest import free_port

    async def app(scope: dict, receive: object, send: object) -> None:  # pragma: no cover
        raise AssertionError("no request is sent")

    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), http=HardenedH11Protocol)
    listening = config.bind_socket()  # as uvicorn does for several workers
    assert listening.proto == 0
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        _, writer = await asyncio.open_connection("127.0.0.1", config.port)
        while not server.server_state.connections:
            await asyncio.sleep(0.01)
        (connection,) = server.server_state.connections
        accepted = connection.transport.get_extra_info("socket")  # type: ignore[attr-defined]
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        writer.close()
    finally:
        server.should_exit = True
        await serving
