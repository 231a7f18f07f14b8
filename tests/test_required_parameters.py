"""A request without a required parameter is a 422 that names it (issue 9): for every route of
the OpenAPI document, each required query, header and cookie parameter is left out in turn,
by a caller holding every role (so that no guard answers first); and when several are left
out at once, each is named."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from litestar import Controller, get
from litestar.params import CookieParameter, HeaderParameter, QueryParameter

from backend.access import PUBLIC, Role, access
from backend.app import create_app
from backend.settings import load_settings
from tests.server.test_bad_input import fill_path, operations
from tests.support.auth import bearer_for, create_person

LOCATIONS = ("query", "header", "cookie")


def value_for(parameter: dict[str, Any], schemas: dict[str, Any]) -> str:
    """A valid value for a parameter, from its schema."""
    schema = parameter.get("schema", {})
    if "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    for option in schema.get("oneOf", schema.get("anyOf", [])):
        if option.get("type") != "null":
            schema = option
            break
    if "enum" in schema:
        return str(schema["enum"][0])
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    if schema.get("type") == "integer":
        return str(max(1, schema.get("minimum", 1)))
    if schema.get("type") == "boolean":
        return "true"
    return "x" * max(1, int(schema.get("minLength", 1)))


def request_parts(
    parameters: list[dict[str, Any]], schemas: dict[str, Any]
) -> dict[str, dict[str, str]]:
    parts: dict[str, dict[str, str]] = {location: {} for location in LOCATIONS}
    for parameter in parameters:
        parts[parameter["in"]][parameter["name"]] = value_for(parameter, schemas)
    return parts


def cookie_header(cookies: dict[str, str]) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}


def required(operation: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        p for p in operation.get("parameters", []) if p.get("required") and p["in"] in LOCATIONS
    ]


@pytest.fixture
async def everyone(db: None) -> dict[str, str]:
    return await bearer_for(await create_person(*Role))


async def test_each_missing_required_parameter_of_every_route_is_named(
    app: Any, client: httpx.AsyncClient, everyone: dict[str, str]
) -> None:
    schemas = app.openapi_schema.to_schema()["components"]["schemas"]
    checked = []
    for method, path, operation in operations(app):
        url = fill_path(path, operation)
        for left_out in required(operation):
            others = [p for p in required(operation) if p is not left_out]
            parts = request_parts(others, schemas)
            client.cookies.clear()  # cookies set by an earlier answer do not count
            response = await client.request(
                method,
                url,
                params=parts["query"],
                headers={**everyone, **parts["header"], **cookie_header(parts["cookie"])},
            )
            what = f"{method} {url} without {left_out['in']} {left_out['name']}"
            assert response.status_code == 422, f"{what}: {response.text}"
            assert response.json()["code"] == "validation_failed", what
            named = {(e["source"], e["field"]) for e in response.json()["errors"]}
            assert named == {(left_out["in"], left_out["name"])}, f"{what}: {named}"
            checked.append(what)
    # POST /api/v1/media purpose, /auth/mobile/authorize redirect_uri and state, the reason of
    # a role's revocation, at least.
    assert len(checked) >= 4, checked


async def test_a_request_without_any_of_its_parameters_is_told_each_one(
    client: httpx.AsyncClient, everyone: dict[str, str]
) -> None:
    response = await client.get("/auth/mobile/authorize")
    assert response.status_code == 422, response.text
    named = [(e["source"], e["field"]) for e in response.json()["errors"]]
    assert named == [("query", "redirect_uri"), ("query", "state")]

    upload = await client.post("/api/v1/media", content=b"x", headers=everyone)
    assert upload.status_code == 422, upload.text
    assert [e["field"] for e in upload.json()["errors"]] == ["purpose"]


class RequiredEverywhere(Controller):
    path = "/test/required"
    opt = access(PUBLIC, transaction=False)

    @get("/")
    async def everywhere(
        self,
        page: Annotated[int, QueryParameter(name="page")],
        tenant: Annotated[str, HeaderParameter(name="X-Tenant")],
        session: Annotated[str, CookieParameter(name="preference")],
        optional: Annotated[str | None, QueryParameter(name="optional")] = None,
    ) -> dict[str, str]:
        return {"tenant": tenant}


@pytest.fixture(scope="module")
def local_app() -> Any:
    return create_app(
        load_settings({**os.environ, "CTN_DEV_IDP": "0"}),
        extra_route_handlers=[RequiredEverywhere],
    )


@pytest.fixture
async def local_client(local_app: Any, db: None) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=local_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.mark.parametrize(
    ("params", "headers", "cookies", "expected"),
    [
        (
            {},
            {},
            {},
            [("query", "page"), ("header", "X-Tenant"), ("cookie", "preference")],
        ),
        ({"page": "1"}, {}, {}, [("header", "X-Tenant"), ("cookie", "preference")]),
        ({"page": "1"}, {"x-tenant": "a"}, {}, [("cookie", "preference")]),
        ({}, {"X-Tenant": "a"}, {"preference": "b"}, [("query", "page")]),
    ],
    ids=["all", "header-and-cookie", "cookie", "query"],
)
async def test_missing_query_header_and_cookie_parameters_are_each_named(
    local_client: httpx.AsyncClient,
    params: dict[str, str],
    headers: dict[str, str],
    cookies: dict[str, str],
    expected: list[tuple[str, str]],
) -> None:
    response = await local_client.get(
        "/test/required", params=params, headers={**headers, **cookie_header(cookies)}
    )
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [(e["source"], e["field"]) for e in errors] == expected
    assert all(e["message_en"] == f"Missing required {e['source']} parameter" for e in errors)
    assert all(e["message_vi"] == "Thiếu tham số bắt buộc" for e in errors)


async def test_with_every_parameter_the_route_answers(local_client: httpx.AsyncClient) -> None:
    response = await local_client.get(
        "/test/required?page=2", headers={"X-Tenant": "a", "Cookie": "preference=b"}
    )
    assert response.status_code == 200, response.text
