"""Small pieces handlers share: no-store headers, and reading a form body."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from litestar import Request

from backend.errors import UnsupportedMediaType

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
"""For responses carrying tokens or one-time state (RFC 6749 §5.1)."""
FORM = "application/x-www-form-urlencoded"


def media_type_of(request: Request[Any, Any, Any]) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_form(request: Request[Any, Any, Any]) -> dict[str, str]:
    """An `application/x-www-form-urlencoded` body as a dict (415 for another type)."""
    if media_type_of(request) != FORM:
        raise UnsupportedMediaType(accepted=[FORM])
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
