"""Every route of the application declares who may call it, and the guard enforces it:
for each route, one role it admits gets through and one it does not is refused."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from backend.access import Role, Rule
from backend.app import create_app
from backend.settings import load_settings
from tests.support.auth import auth_headers
from tests.support.routes import TEST_ROUTES

APP = create_app(
    load_settings({**os.environ, "CTN_DEV_IDP": "1"}), extra_route_handlers=TEST_ROUTES
)


def handlers() -> list[tuple[str, str, Any]]:
    found = []
    for route in APP.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(getattr(handler, "http_methods", {"WS"})):
                found.append((route.path, method, handler))
    # Sorted: the test ids must be the same in every pytest-xdist worker.
    return sorted(found, key=lambda item: (item[0], item[1]))


HANDLERS = handlers()
RULED = [(path, method, h.opt["access"]) for path, method, h in HANDLERS if "access" in h.opt]


def test_every_route_declares_an_access_rule() -> None:
    missing = [
        f"{method} {path}"
        for path, method, handler in HANDLERS
        if not isinstance(handler.opt.get("access"), Rule) and method != "OPTIONS"
    ]
    assert missing == []
    assert len(RULED) > 30  # the enumeration really saw the application


async def test_options_requests_answer_without_credentials(
    matrix_client: httpx.AsyncClient,
) -> None:
    response = await matrix_client.options("/api/v1/me")
    assert response.status_code == 204
    assert "GET" in response.headers["allow"]


def concrete(path: str) -> str:
    def value(match: re.Match[str]) -> str:
        kind = match.group(2)
        if kind == "uuid":
            return str(uuid.uuid4())
        if kind == "int":
            return "1"
        return "citizen" if match.group(1) == "role" else "x"

    return re.sub(r"\{(\w+):(\w+)\}", value, path)


@pytest.fixture
async def matrix_client(db: None) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=APP)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


ROLE_ROUTES = [
    pytest.param(p, m, r, id=f"{m} {p}") for p, m, r in RULED if r.roles and m != "OPTIONS"
]
SIGNED_IN_ROUTES = [
    pytest.param(p, m, r, id=f"{m} {p}") for p, m, r in RULED if not r.public and not r.roles
]


@pytest.mark.parametrize(("path", "method", "rule"), ROLE_ROUTES)
async def test_a_role_route_admits_its_role_and_refuses_another(
    matrix_client: httpx.AsyncClient, path: str, method: str, rule: Rule
) -> None:
    allowed = sorted(rule.roles)[0]
    denied = next(
        r for r in (Role.CITIZEN, Role.CIVIL_SERVANT, Role.AUDITOR) if r not in rule.roles
    )
    url = concrete(path)
    ok = await matrix_client.request(method, url, headers=await auth_headers(allowed), json={})
    assert ok.status_code not in (401, 403), (allowed, ok.text)
    refused = await matrix_client.request(method, url, headers=await auth_headers(denied), json={})
    assert refused.status_code == 403, (denied, refused.text)
    anonymous = await matrix_client.request(method, url, json={})
    if path.startswith("/console/"):
        assert_console_refusal(refused, anonymous)
        return
    assert refused.json()["code"] == "permission_denied"
    assert anonymous.status_code == 401


@pytest.mark.parametrize(("path", "method", "rule"), SIGNED_IN_ROUTES)
async def test_a_signed_in_route_admits_a_citizen_and_refuses_the_anonymous(
    matrix_client: httpx.AsyncClient, path: str, method: str, rule: Rule
) -> None:
    url = concrete(path)
    anonymous = await matrix_client.request(method, url)
    if path.startswith("/console/"):
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/console/?next=")
    else:
        assert anonymous.status_code == 401
        assert anonymous.json()["code"] == "not_authenticated"
    citizen = await matrix_client.request(method, url, headers=await auth_headers())
    assert citizen.status_code not in (401, 403), citizen.text


def assert_console_refusal(refused: httpx.Response, anonymous: httpx.Response) -> None:
    """A console page refuses as the API does, as a page: 403 for a role it does not admit;
    an anonymous visitor is sent to the landing page to sign in (and come back)."""
    assert refused.headers["content-type"].startswith("text/html")
    assert "permission_denied" in refused.text
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/console/?next=")


def test_public_routes_are_the_expected_ones() -> None:
    public = sorted({f"{m} {p}" for p, m, r in RULED if r.public and m != "OPTIONS"})
    unexpected = [
        route
        for route in public
        if not re.match(
            r"^\w+ /(health|auth|dev-idp|schema|test|media|api/v1/admin-units|api/v1/articles|api/v1/notification-categories|api/v1/auth/token|api/v1/media/objects/|api/v1/tips(/challenge|/offences|/anonymous.*)?$)"
            r"|^(GET|HEAD) /(console(/lang/\{code:str\}|/static/\{file_path:path\})?)?$"
            r"|^GET /certificates/\{code:str\}$",  # the MOOC's public certificate check
            route,
        )
    ]
    assert unexpected == []
