"""The OpenAPI document describes what the API does (issue 9): who may call each route, the
request bodies the handlers read themselves, and every problem a route answers; and the
documentation page works offline, its assets served by the app."""

from __future__ import annotations

import inspect
import re
from typing import Any

import httpx
import pytest

from backend.access import Role, Rule
from backend.errors import AppError
from backend.openapi import BODIES, error_classes
from tests.server.test_bad_input import fill_path
from tests.support.auth import bearer_for, create_person

PROBLEM = "application/problem+json"
SAFE = {"GET", "HEAD", "OPTIONS"}


def document(app: Any) -> dict[str, Any]:
    return dict(app.openapi_schema.to_schema())


def handler_of(app: Any, method: str, path: str) -> Any:
    for route in app.routes:
        if route.path_format == path:
            for handler in getattr(route, "route_handlers", []):
                if method in handler.http_methods:
                    return handler
    raise AssertionError(f"no handler for {method} {path}")


def all_operations(app: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """Every documented operation, HEAD included."""
    found = []
    for path, item in document(app)["paths"].items():
        if path.startswith("/test/"):
            continue
        for method, operation in item.items():
            if method in {"get", "head", "post", "put", "patch", "delete"}:
                found.append((method.upper(), path, operation))
    return found


def problem_codes(operation: dict[str, Any], status: int) -> set[str]:
    response = operation["responses"].get(str(status), {})
    examples = response.get("content", {}).get(PROBLEM, {}).get("examples", {})
    return set(examples)


# --- security ---------------------------------------------------------------------------------


def test_the_document_declares_the_bearer_token_and_the_session_cookie_with_its_csrf_header(
    app: Any,
) -> None:
    schemes = document(app)["components"]["securitySchemes"]
    assert schemes["bearer"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"} | {
        "description": schemes["bearer"]["description"]
    }
    assert (schemes["session"]["type"], schemes["session"]["in"]) == ("apiKey", "cookie")
    assert schemes["session"]["name"] == "ctn_session"
    assert (schemes["csrf"]["in"], schemes["csrf"]["name"]) == ("header", "X-CSRF-Token")


def test_every_route_has_a_security_requirement_or_is_marked_public(app: Any) -> None:
    schemes = set(document(app)["components"]["securitySchemes"])
    for method, path, operation in all_operations(app):
        what = f"{method} {path}"
        rule: Rule = handler_of(app, method, path).opt["access"]
        security = operation.get("security")
        assert security, f"{what} says nothing about who may call it"
        assert {name for requirement in security for name in requirement} <= schemes, what
        assert ({} in security) == rule.public, f"{what}: public is {rule.public}"
        assert f"**Access:** {rule.describe()}." in operation["description"], what
        if not rule.public:
            assert {"bearer": []} in security, what
            session: dict[str, list[str]] = (
                {"session": []} if method in SAFE else {"session": [], "csrf": []}
            )
            assert session in security, what


def test_routes_that_read_no_credentials_take_none(app: Any) -> None:
    security = document(app)["paths"]["/auth/backchannel-logout"]["post"]["security"]
    assert security == [{}]


# --- request bodies ----------------------------------------------------------------------------

# A handler that reads its body itself (not through a `data` parameter) calls one of these.
READS_ITS_BODY = re.compile(r"request\.(body|stream|form)\(|read_form\(|_read_fields\(|UploadBody")


def test_every_handler_reading_its_body_itself_documents_it(app: Any) -> None:
    for method, path, operation in all_operations(app):
        handler = handler_of(app, method, path)
        if READS_ITS_BODY.search(inspect.getsource(handler.fn)):
            assert "requestBody" in operation, f"{method} {path} reads a body it does not document"
            assert (method, path) in BODIES, f"{method} {path}"
    for method, path in BODIES:
        assert method.lower() in document(app)["paths"][path], f"{method} {path} is not a route"


def test_the_upload_and_token_bodies_are_documented(app: Any) -> None:
    paths = document(app)["paths"]
    upload = paths["/api/v1/media"]["post"]["requestBody"]
    assert upload["required"] is True
    assert set(upload["content"]) == {"multipart/form-data", "application/octet-stream"}
    multipart = upload["content"]["multipart/form-data"]["schema"]
    assert multipart["properties"]["file"] == {"type": "string", "format": "binary"}
    assert multipart["required"] == ["file"]
    token = paths["/api/v1/auth/token"]["post"]["requestBody"]
    assert set(token["content"]) == {"application/x-www-form-urlencoded", "application/json"}
    ref = token["content"]["application/json"]["schema"]["$ref"]
    schema = document(app)["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert {"grant_type", "code", "code_verifier", "refresh_token"} <= set(schema["properties"])
    assert schema["required"] == ["grant_type"]


@pytest.fixture
async def everyone(db: None) -> dict[str, str]:
    return await bearer_for(await create_person(*Role))


EMPTY_BODY = {
    "application/json": b"{}",
    "application/x-www-form-urlencoded": b"",
    "application/octet-stream": b"",
    "text/csv": b"",
    "text/plain": b"",
    "multipart/form-data": (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
        b"Content-Type: image/png\r\n\r\n\r\n--b--\r\n"
    ),
}


async def test_every_documented_request_body_is_read_by_its_route(
    app: Any, client: httpx.AsyncClient, everyone: dict[str, str]
) -> None:
    checked = 0
    for method, path, operation in all_operations(app):
        for media_type in operation.get("requestBody", {}).get("content", {}):
            content_type = media_type
            if media_type == "multipart/form-data":
                content_type += "; boundary=b"
            url = fill_path(path, operation)
            if path == "/api/v1/media":
                url += "?purpose=course_image"
            response = await client.request(
                method,
                url,
                content=EMPTY_BODY[media_type],
                headers={**everyone, "Content-Type": content_type},
            )
            what = f"{method} {url} as {media_type}: {response.status_code} {response.text}"
            assert response.status_code < 500, what
            if response.status_code >= 400:
                code = response.json()["code"]
                assert code not in ("unsupported_media_type", "malformed_body"), what
            checked += 1
    assert checked >= 8


# --- problems ----------------------------------------------------------------------------------


def test_the_problem_schema_is_one_shared_component(app: Any) -> None:
    problem = document(app)["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "code", "request_id", "errors"} <= set(
        problem["properties"]
    )
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}


def test_every_route_lists_its_problem_responses(app: Any) -> None:
    known = error_classes()
    for method, path, operation in all_operations(app):
        what = f"{method} {path}"
        handler = handler_of(app, method, path)
        opt = handler.opt
        rule: Rule = opt["access"]
        responses = operation["responses"]
        for status, response in responses.items():
            if int(status) < 400:
                continue
            content = response["content"]
            assert list(content) == [PROBLEM], f"{what} {status}"
            assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
            for code, example in content[PROBLEM]["examples"].items():
                assert known[code].status == int(status), f"{what}: {code} is not a {status}"
                assert example["value"]["code"] == code
                assert example["value"]["status"] == int(status)
        assert "internal_error" in problem_codes(operation, 500), what
        parameters = operation.get("parameters", [])
        if not rule.public:
            assert "not_authenticated" in problem_codes(operation, 401), what
        if rule.roles:
            assert "permission_denied" in problem_codes(operation, 403), what
        if any(p["in"] in ("query", "path") for p in parameters):
            assert "validation_failed" in problem_codes(operation, 422), what
        if any(p["in"] == "path" for p in parameters):
            assert problem_codes(operation, 404), what
        if "requestBody" in operation:
            for status in (408, 413, 422):
                assert problem_codes(operation, status), f"{what} {status}"
        if opt.get("throttle"):
            assert "sign_in_throttled" in problem_codes(operation, 429), what
        if rule.public and opt.get("transaction", True):
            assert "server_busy" in problem_codes(operation, 503), what
        for cls in opt.get("problems", ()):
            assert issubclass(cls, AppError)
            assert cls.code in problem_codes(operation, cls.status), f"{what}: {cls.code}"
        # Litestar's own 400 (its ValidationException shape) is never answered here.
        assert "ValidationException" not in str(responses), what


async def test_what_every_route_answers_to_bad_requests_is_documented(
    app: Any, client: httpx.AsyncClient, everyone: dict[str, str]
) -> None:
    """Each route called without credentials, and with every role but without any of its
    parameters or body: each problem it answers is one its document lists."""
    known = error_classes()
    for method, path, operation in all_operations(app):
        url = fill_path(path, operation)
        for headers in ({}, everyone, {"Authorization": "Bearer not-a-token"}):
            client.cookies.clear()
            response = await client.request(method, url, headers=headers)
            if response.status_code < 400:
                continue
            what = f"{method} {url} {sorted(headers)}: {response.status_code} {response.text}"
            assert response.status_code != 500, what
            code = response.json()["code"] if method != "HEAD" else None
            documented = operation["responses"].get(str(response.status_code))
            assert documented is not None, what
            if code is not None:
                # The code itself, or a refinement of one listed (a subclass: e.g.
                # `administrative_unit_not_found` of `not_found`).
                listed = [known[c] for c in problem_codes(operation, response.status_code)]
                assert issubclass(known[code], tuple(listed)), what


# --- the documentation page ---------------------------------------------------------------------

ASSET_URL = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


@pytest.mark.parametrize("page", ["/schema", "/schema/swagger"])
async def test_the_docs_page_loads_every_asset_from_the_app(
    client: httpx.AsyncClient, page: str
) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "http://" not in html and "https://" not in html, "an asset from the internet"
    assets = ASSET_URL.findall(html)
    assert {a.rsplit("/", 1)[-1] for a in assets} >= {
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "swagger-ui.css",
        "favicon-32x32.png",
    }
    for url in assets:
        assert url.startswith("/schema/assets/"), url
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 0
        assert "immutable" in asset.headers["cache-control"], url
        if url.endswith(".css"):
            # No web fonts or other stylesheets pulled in from elsewhere.
            assert "@import" not in asset.text and "@font-face" not in asset.text
            external = re.findall(r"url\(\s*['\"]?(https?:[^)'\"]+)", asset.text)
            assert external == [], external
    assert "validatorUrl: null" in html  # no badge fetched from validator.swagger.io
    spec = await client.get("/schema/openapi.json")
    assert spec.status_code == 200
    assert spec.json()["info"]["title"] == "C-ThaiNguyen API"


async def test_the_docs_routes_are_not_documented_and_redoc_is_gone(
    app: Any, client: httpx.AsyncClient, db: None
) -> None:
    assert not [p for p in document(app)["paths"] if p.startswith("/schema")]
    assert (await client.get("/schema/redoc")).status_code == 404


def test_the_signed_media_object_route_is_documented(app: Any) -> None:
    paths = document(app)["paths"]
    [path] = [p for p in paths if p.startswith("/api/v1/media/objects/")]
    assert {"get", "head"} <= set(paths[path])
    assert paths[path]["get"]["security"][0] == {}
    assert {"media_signature_invalid", "media_signature_expired"} <= problem_codes(
        paths[path]["get"], 403
    )
    assert "range_not_satisfiable" in problem_codes(paths[path]["get"], 416)
