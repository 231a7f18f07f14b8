"""Idempotency keys: a retried request gets the first response instead of doing the work again."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import msgspec

from backend.http import repository
from backend.http.errors import IdempotencyKeyReused


class StoredResponse(msgspec.Struct, frozen=True):
    status_code: int
    headers: list[tuple[str, str]]
    body: bytes


def fingerprint(method: str, path: str, query: bytes, content_type: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, content_type.encode()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    digest.update(body)
    return digest.hexdigest()


async def check_idempotency_key(
    scope_key: str, request_fingerprint: str, ttl: timedelta
) -> StoredResponse | None:
    """Claim `scope_key` for this request (None: go ahead and do the work), or return the
    response stored by the first request with the same key and the same fingerprint.

    Must run inside the request's unit of work: the claim is committed with the work, and a
    concurrent request with the same key waits for that commit (or rollback) before it gets
    its answer. Raises `IdempotencyKeyReused` for the same key with a different request.
    """
    now = datetime.now(UTC)
    if await repository.claim(scope_key, request_fingerprint, now, now + ttl):
        return None
    row = await repository.get(scope_key)
    if row is None:  # pragma: no cover - deleted between the two statements by the purge job
        return None
    if row["fingerprint"] != request_fingerprint:
        raise IdempotencyKeyReused()
    headers = [(str(k), str(v)) for k, v in row["response_headers"] or []]
    return StoredResponse(
        status_code=int(row["status_code"]), headers=headers, body=bytes(row["response_body"])
    )


async def do_store_response(scope_key: str, response: StoredResponse) -> None:
    """Record the response to replay; called before the request's transaction commits."""
    await repository.save_response(
        scope_key, response.status_code, [[k, v] for k, v in response.headers], response.body
    )


async def do_forget(scope_key: str) -> None:
    """Drop the claim (the response could not be stored), so a retry does the work again."""
    await repository.delete(scope_key)


async def do_purge_expired_keys() -> int:
    """Delete keys past their time to live; returns how many were deleted."""
    return await repository.delete_expired(datetime.now(UTC))
