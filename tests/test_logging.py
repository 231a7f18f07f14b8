"""One structured access-log line per request, with nothing personal in it."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from backend.logs import JsonFormatter


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "ctn.access"]


async def test_a_request_writes_one_json_line_with_the_route_template(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ctn.access")
    response = await client.get(
        "/api/v1/admin-units/05443?q=Nguyễn Văn A",
        headers={"User-Agent": "CTN/1.0", "Cookie": "s=secret-token"},
    )
    [line] = access_lines(caplog)
    assert line["method"] == "GET"
    assert line["route"] == "/api/v1/admin-units/{code}"
    assert line["status"] == 200
    assert line["request_id"] == response.headers["x-request-id"]
    assert isinstance(line["duration_ms"], float)
    assert line["user_agent"] == "CTN/1.0"
    text = json.dumps(line, ensure_ascii=False)
    for secret in ("05443", "Nguyễn", "secret-token"):
        assert secret not in text


async def test_anonymous_routes_log_no_client_address_or_user_agent(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ctn.access")
    await client.get("/health/live", headers={"User-Agent": "probe/1"})
    [line] = access_lines(caplog)
    assert "client" not in line
    assert "user_agent" not in line


async def test_an_anonymous_route_logs_a_request_id_of_its_own_not_the_clients(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # A request id the client picks could follow one reporter from request to request.
    caplog.set_level(logging.INFO, logger="ctn.access")
    chosen = "device-7f3a9c21-tracking"
    answer = await client.get("/api/v1/tips/offences", headers={"X-Request-Id": chosen})
    assert answer.status_code == 200
    [line] = access_lines(caplog)
    assert line["request_id"] == answer.headers["x-request-id"] != chosen
    assert chosen not in json.dumps(line)
    # Elsewhere the client's id is kept, so that a support call can find the request.
    caplog.clear()
    kept = await client.get("/api/v1/admin-units/05443", headers={"X-Request-Id": chosen})
    assert kept.headers["x-request-id"] == chosen
    assert access_lines(caplog)[-1]["request_id"] == chosen


async def test_a_500_is_logged_with_its_traceback_and_request_id(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = await client.get("/test/raise/500")
    formatter = JsonFormatter()
    errors = [json.loads(formatter.format(r)) for r in caplog.records if r.name == "ctn.errors"]
    assert errors[0]["request_id"] == response.headers["x-request-id"]
    assert "RuntimeError" in errors[0]["exc"]
    unmatched = await client.get("/nowhere/0123456789")
    assert unmatched.status_code == 404
    assert access_lines(caplog)[-1]["route"] == "<unmatched>"
