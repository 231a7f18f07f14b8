"""Bad input is a 4xx problem on every route, never a 500 (issue 8, finding 7).

NUL characters (PostgreSQL refuses them in text) in the path, the query or a JSON or form
body; JSON that is not UTF-8 or is nested too deeply to decode; multipart bodies beyond the
parser's limits. Each is sent to every route of the OpenAPI document, by a caller holding
every role so that no guard stops the request before the input is looked at."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from backend.access import Role
from tests.support.auth import bearer_for, create_person

BODY_METHODS = {"post", "put", "patch", "delete"}


def operations(app: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) of every documented route but the test harness's own."""
    schema = app.openapi_schema.to_schema()
    found = []
    for path, item in schema["paths"].items():
        if path.startswith("/test/"):
            continue
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                found.append((method.upper(), path, operation))
    assert len(found) > 30  # the whole API, not an empty document
    return found


def streams_its_body(app: Any, method: str, path: str) -> bool:
    """Routes without a transaction read their body themselves (uploads), not at the edge."""
    for route in app.routes:
        if route.path_format == path:
            for handler in route.route_handlers:
                if method in handler.http_methods:
                    return handler.opt.get("transaction", True) is False
    return False


def parameters(operation: dict[str, Any], where: str) -> list[dict[str, Any]]:
    return [p for p in operation.get("parameters", []) if p.get("in") == where]


def fill_path(path: str, operation: dict[str, Any], bad: str | None = None) -> str:
    """The path with each parameter filled with a valid value, or `bad` for string ones."""
    for parameter in parameters(operation, "path"):
        schema = parameter.get("schema", {})
        if schema.get("format") == "uuid":
            value = str(uuid.uuid4())
        elif schema.get("type") == "integer":
            value = "1"
        else:
            value = bad if bad is not None else "x"
        path = path.replace("{" + parameter["name"] + "}", value)
    return re.sub(r"\{[^}]+\}", "x", path)


def body_fields(operation: dict[str, Any], app: Any) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = app.openapi_schema.to_schema()["components"]["schemas"].get(name, {})
    return list(schema.get("properties", {}))


@pytest.fixture
async def everyone(db: None) -> dict[str, str]:
    return await bearer_for(await create_person(*Role))


def assert_handled(response: httpx.Response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text}"
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json"), what


async def test_nul_in_any_query_or_path_parameter_is_refused_naming_it(
    app: Any, client: httpx.AsyncClient, everyone: dict[str, str]
) -> None:
    for method, path, operation in operations(app):
        for parameter in parameters(operation, "query"):
            url = fill_path(path, operation)
            response = await client.request(
                method, url, params={parameter["name"]: "a\x00b"}, headers=everyone
            )
            assert_handled(response, f"{method} {url}?{parameter['name']}")
            assert response.status_code == 422, f"{method} {url}?{parameter['name']}"
            assert response.json()["errors"][0]["field"] == parameter["name"]
            assert response.json()["errors"][0]["source"] == "query"
        if parameters(operation, "path"):
            url = fill_path(path, operation, bad="a%00b")
            response = await client.request(method, url, headers=everyone)
            assert_handled(response, f"{method} {url}")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"title": "a\xff\xfeb"}', "malformed_body"),  # not UTF-8
        (b"[" * 50_000 + b"]" * 50_000, "malformed_body"),  # nested too deeply
        (b'{"a": {"b": [1, "x\\u0000y"]}}', "validation_failed"),  # NUL in a string
        (b'{"x\\u0000": 1}', "validation_failed"),  # NUL in a key
    ],
    ids=["invalid-utf8", "deep-nesting", "nul-in-string", "nul-in-key"],
)
async def test_bad_json_bodies_are_refused_on_every_route(
    app: Any, client: httpx.AsyncClient, everyone: dict[str, str], body: bytes, expected: str
) -> None:
    headers = {**everyone, "Content-Type": "application/json"}
    for method, path, operation in operations(app):
        if method.lower() not in BODY_METHODS:
            continue
        url = fill_path(path, operation)
        response = await client.request(method, url, content=body, headers=headers)
        assert_handled(response, f"{method} {url}")
        # Routes that stream their body (uploads) refuse it by type instead.
        assert response.status_code in (400, 413, 415, 422, 429), f"{method} {url}"
        if not streams_its_body(app, method, path):
            assert response.json()["code"] == expected, f"{method} {url}: {response.text}"


async def test_a_nul_in_any_documented_json_field_names_the_field(
    app: Any, client: httpx.AsyncClient, everyone: dict[str, str]
) -> None:
    checked = 0
    for method, path, operation in operations(app):
        url = fill_path(path, operation)
        for field in body_fields(operation, app):
            response = await client.request(method, url, json={field: "a\x00b"}, headers=everyone)
            assert_handled(response, f"{method} {url} {field}")
            assert response.status_code == 422, f"{method} {url} {field}: {response.text}"
            assert response.json()["errors"][0]["field"] == field
            checked += 1
    assert checked > 5


async def test_a_nul_in_a_form_body_is_refused(
    app: Any, client: httpx.AsyncClient, everyone: dict[str, str]
) -> None:
    for url in ("/api/v1/auth/token", "/auth/backchannel-logout"):
        response = await client.post(
            url,
            content=b"grant_type=authorization_code&code=a%00b&logout_token=%00",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert_handled(response, url)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["source"] == "body"
        invalid = await client.post(
            url,
            content=b"code=%ff%fe",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert invalid.status_code == 400, invalid.text
        assert invalid.json()["code"] == "malformed_body"


async def test_multipart_beyond_the_parsers_limits_is_a_400(
    client: httpx.AsyncClient, db: None
) -> None:
    headers = await bearer_for(await create_person(Role.COURSE_ADMIN))
    boundary = "b0undary"
    parts = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\nv\r\n'.encode()
        for i in range(40)
    )
    response = await client.post(
        "/api/v1/media?purpose=course_video",
        content=parts + f"--{boundary}--\r\n".encode(),
        headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert_handled(response, "multipart with 40 parts")
    assert response.status_code == 400, response.text
