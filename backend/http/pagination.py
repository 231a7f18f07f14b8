"""Cursor pagination: opaque cursors over keyset positions, bounded page sizes.

A cursor is the position of the last row of a page (the values of the sort key), tagged with
the kind of list it belongs to. Keyset pages never skip or repeat a row when rows are inserted
while a client walks the list, unlike offsets.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

import msgspec
from litestar.params import QueryParameter

from backend.http.errors import InvalidCursor

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class PageRequest(msgspec.Struct, frozen=True):
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


def page_request(
    cursor: Annotated[
        str | None, QueryParameter(description="next_cursor of the previous page", max_length=512)
    ] = None,
    limit: Annotated[
        int, QueryParameter(ge=1, le=MAX_LIMIT, description="page size")
    ] = DEFAULT_LIMIT,
) -> PageRequest:
    """Litestar dependency: `cursor` and `limit` query parameters, validated."""
    return PageRequest(cursor=cursor, limit=limit)


def encode_cursor(kind: str, position: tuple[Any, ...]) -> str:
    raw = msgspec.json.encode({"k": kind, "p": list(position)})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, types: tuple[type, ...]) -> tuple[Any, ...]:
    """The position encoded in `cursor`; `InvalidCursor` if it is not one of ours for `kind`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = msgspec.json.decode(raw, type=dict[str, Any])
        position = data["p"]
        if data["k"] != kind or not isinstance(position, list) or len(position) != len(types):
            raise InvalidCursor()
        return tuple(msgspec.convert(v, t) for v, t in zip(position, types, strict=True))
    except (
        binascii.Error,
        ValueError,
        KeyError,
        TypeError,
        msgspec.DecodeError,
        msgspec.ValidationError,
    ):
        raise InvalidCursor() from None
