"""Every error class renders as RFC 9457 problem+json, in Vietnamese by default and in
English when the client prefers it, with a stable code and the request id."""

from __future__ import annotations

import httpx
import pytest

PROBLEM = "application/problem+json"
EN = {"Accept-Language": "en-US,en;q=0.9"}
VI = {"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"}


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"/problems/{code}"
    assert body["title"] and body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


CASES = [
    ("GET", "/api/v1/does-not-exist", {}, 404, "not_found"),
    ("DELETE", "/health/live", {}, 405, "method_not_allowed"),
    ("GET", "/test/raise/401", {}, 401, "not_authenticated"),
    ("GET", "/test/raise/403", {}, 403, "permission_denied"),
    ("GET", "/test/raise/409", {}, 409, "conflict"),
    ("GET", "/test/raise/429", {}, 429, "too_many_requests"),
    ("GET", "/test/raise/500", {}, 500, "internal_error"),
    ("GET", "/api/v1/admin-units/99999", {}, 404, "administrative_unit_not_found"),
    ("GET", "/api/v1/admin-units?limit=0", {}, 422, "validation_failed"),
    ("GET", "/api/v1/admin-units?cursor=not-a-cursor", {}, 400, "invalid_cursor"),
    (
        "POST",
        "/test/echo",
        {"content": b"{not json", "headers": {"content-type": "application/json"}},
        400,
        "malformed_body",
    ),
    (
        "POST",
        "/test/echo",
        {"content": b"name=x", "headers": {"content-type": "application/x-www-form-urlencoded"}},
        415,
        "unsupported_media_type",
    ),
    ("POST", "/test/echo", {"json": {"name": "x" * 2000, "age": 1}}, 413, "payload_too_large"),
]


@pytest.mark.parametrize(("method", "url", "kwargs", "status", "code"), CASES)
async def test_error_renders_as_problem_in_vietnamese_and_english(
    client: httpx.AsyncClient, method: str, url: str, kwargs: dict, status: int, code: str
) -> None:
    vi = await client.request(
        method,
        url,
        headers={**VI, **kwargs.get("headers", {})},
        **{k: v for k, v in kwargs.items() if k != "headers"},
    )
    en = await client.request(
        method,
        url,
        headers={**EN, **kwargs.get("headers", {})},
        **{k: v for k, v in kwargs.items() if k != "headers"},
    )
    vi_body = assert_problem(vi, status, code)
    en_body = assert_problem(en, status, code)
    assert vi.headers["content-language"] == "vi"
    assert en.headers["content-language"] == "en"
    assert vi_body["detail"] != en_body["detail"]


async def test_default_language_is_vietnamese(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nope")
    assert response.json()["detail"] == "Không tìm thấy tài nguyên được yêu cầu."


async def test_405_names_the_allowed_methods(client: httpx.AsyncClient) -> None:
    response = await client.delete("/health/live")
    assert "GET" in response.headers["allow"]


async def test_500_shows_no_internals_but_the_request_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/test/raise/500", headers={"X-Request-ID": "trace-1234567"})
    body = assert_problem(response, 500, "internal_error")
    assert body["request_id"] == "trace-1234567"
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" not in response.text


async def test_validation_errors_name_each_failing_field(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/test/echo",
        json={
            "name": "",
            "age": -1,
            "addresses": [
                {"commune_code": "05443", "street": "ok"},
                {"commune_code": "abc", "street": "ok"},
            ],
        },
        headers=EN,
    )
    body = assert_problem(response, 422, "validation_failed")
    fields = [error["field"] for error in body["errors"]]  # type: ignore[index]
    # msgspec stops at the first error; its path is exact.
    assert fields == ["name"]
    response = await client.post(
        "/test/echo",
        json={
            "name": "A",
            "age": 3,
            "addresses": [
                {"commune_code": "05443", "street": "ok"},
                {"commune_code": "abc", "street": "ok"},
            ],
        },
    )
    body = assert_problem(response, 422, "validation_failed")
    error = body["errors"][0]  # type: ignore[index]
    assert error["field"] == "addresses[1].commune_code"
    assert error["message_vi"] == "Chuỗi không đúng định dạng"
    response = await client.post("/test/echo", json={"age": 3})
    error = assert_problem(response, 422, "validation_failed")["errors"][0]  # type: ignore[index]
    assert error["message_vi"] == "Thiếu trường bắt buộc `name`"


async def test_a_valid_body_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post("/test/echo", json={"name": "Nguyễn Văn A", "age": 30})
    assert response.status_code == 201
    assert response.json()["name"] == "Nguyễn Văn A"


async def test_incoming_request_id_is_kept_and_a_bad_one_replaced(
    client: httpx.AsyncClient,
) -> None:
    kept = await client.get("/api/v1/admin-units/05443", headers={"X-Request-ID": "abc-123-def"})
    assert kept.headers["x-request-id"] == "abc-123-def"
    replaced = await client.get("/api/v1/admin-units/05443", headers={"X-Request-ID": "bad id\n"})
    assert replaced.headers["x-request-id"] != "bad id\n"
    assert len(replaced.headers["x-request-id"]) == 32
