"""Responses that may carry personal data are `Cache-Control: private` and are not stored
unless they can be revalidated (issue 9): every signed-in GET route is called and checked."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from backend.access import Role
from tests.support.auth import bearer_for, create_person


def get_routes(app: Any) -> list[tuple[str, Any]]:
    found = []
    for route in app.routes:
        if route.path.startswith("/test") or not hasattr(route, "route_handlers"):
            continue
        for handler in route.route_handlers:
            if "GET" in handler.http_methods:
                found.append((route.path_format, handler))
    return found


def concrete(path: str) -> str:
    return path.replace("{person_id}", str(uuid.uuid4())).replace("{asset_id}", str(uuid.uuid4()))


def assert_private(response: httpx.Response, what: str) -> None:
    cache_control = response.headers.get("cache-control", "")
    assert "private" in cache_control, f"{what}: {cache_control!r}"
    if "etag" in response.headers:
        assert "no-cache" in cache_control or "max-age" in cache_control, what
    else:
        assert "no-store" in cache_control or "max-age" in cache_control, what


@pytest.fixture
async def everyone(db: None) -> dict[str, str]:
    return await bearer_for(await create_person(*Role))


async def test_every_signed_in_get_route_answers_private_no_store(
    app: Any, client: httpx.AsyncClient, everyone: dict[str, str]
) -> None:
    checked = 0
    for path, handler in get_routes(app):
        if handler.opt["access"].public or "{" in concrete(path):
            continue
        response = await client.get(concrete(path), headers=everyone)
        if response.status_code < 300:
            assert_private(response, path)
            checked += 1
    assert checked >= 4  # /api/v1/me, people, audit, agencies, police units, ...


async def test_public_routes_answered_to_a_signed_in_caller_are_private(
    client: httpx.AsyncClient, everyone: dict[str, str]
) -> None:
    articles = await client.get("/api/v1/articles", headers=everyone)
    assert articles.status_code == 200
    assert_private(articles, "/api/v1/articles")
    me = await client.get("/api/v1/me", headers=everyone)
    assert me.headers["cache-control"] == "private, no-store"


async def test_anonymous_public_answers_keep_their_own_caching(
    client: httpx.AsyncClient,
) -> None:
    units = await client.get("/api/v1/admin-units")
    assert units.headers["cache-control"] == "public, max-age=3600"
    live = await client.get("/health/live")
    assert "private" not in live.headers.get("cache-control", "")
