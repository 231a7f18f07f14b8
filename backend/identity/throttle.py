"""Sign-in throttling that holds behind carrier-grade NAT, counted in PostgreSQL.

Vietnamese mobile networks put thousands of phones behind one public address, and a commune
office a hall of citizens behind one router, so a low limit per address locks a district out.
Abuse is recognised by what it keeps trying instead:

- `login_flow`: one sign-in's `state` at the callback,
- `handoff_code`: one code at the token endpoint,
- `refresh_family`: one refresh-token family (or one unknown refresh token, `refresh_token`),

each with a low limit (`CTN_AUTH_THROTTLE_CREDENTIAL_PER_MINUTE`), and `address`, every
sign-in request of a client address, with a high ceiling
(`CTN_AUTH_THROTTLE_ADDRESS_PER_MINUTE`: one sign-in takes 3–6 requests, so the default
admits more than 1,000 sign-ins a minute from one address). The address is the one the
server believes (`X-Forwarded-For` only from trusted proxies), so rotating that header gains
nothing.

Counters are fixed one-minute windows in the UNLOGGED `throttle_counters` table, shared by
every process, bumped by one atomic upsert on a connection of their own: a request that fails
and rolls back is still counted. A refused request is a 429 problem with `Retry-After` and a
`throttled` security event naming the limit. Routes opt in with `opt={"throttle": <kind>}`,
kind `authorize`, `callback` or `token`. Old counters are deleted by the identity purge job.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, parse_qsl

import msgspec

from backend import security_events
from backend.errors import TooManyRequests
from backend.hashing import sha256_hex
from backend.i18n import pick_language
from backend.identity import repository
from backend.middleware import ASGIApp, Message, Receive, Scope, Send, handler_opt, header
from backend.problems import PROBLEM_MEDIA_TYPE, problem_document
from backend.settings import Settings

WINDOW_SECONDS = 60
MAX_INSPECTED_BODY = 64 * 1024
"""Token requests are a few hundred bytes; a larger body is not looked into (the handler
refuses what it cannot read) and is counted against the address only."""
KINDS = frozenset({"authorize", "callback", "token"})


class SignInThrottled(TooManyRequests):
    code = "sign_in_throttled"
    message_vi = (
        "Có quá nhiều lượt đăng nhập từ thiết bị hoặc mạng này. Vui lòng thử lại sau ít phút."
    )
    message_en = "Too many sign-in attempts from this device or network. Please try again shortly."


@dataclass(frozen=True)
class Limit:
    name: str
    """Which limit: address, login_flow, handoff_code, refresh_family, refresh_token."""
    subject: str
    """What is counted, already hashed (never a secret or an address in clear)."""
    per_window: int


@dataclass(frozen=True)
class Refusal:
    limit: str
    retry_after: int


async def do_count(limits: Sequence[Limit], now: float | None = None) -> Refusal | None:
    """Count one attempt against each limit; the first limit exceeded, if any. Committed at
    once on a connection of its own (see `repository.count_hits`)."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    ends = (window + 1) * WINDOW_SECONDS
    keys = {f"{limit.name}:{limit.subject}:{window}": limit for limit in limits}
    hits = await repository.count_hits(list(keys), datetime.fromtimestamp(ends, UTC))
    for key, limit in keys.items():
        if hits.get(key, 0) > limit.per_window:
            return Refusal(limit.name, max(1, int(ends - now + 0.999)))
    return None


async def limits_for(
    settings: Settings, kind: str, address: str | None, fields: dict[str, str]
) -> list[Limit]:
    """The limits a sign-in request counts against. `fields`: the callback's query, or the
    token request's body."""
    per_credential = settings.auth_throttle_credential_per_minute
    limits = [
        Limit(
            "address",
            security_events.client_hash(address or "unknown") or "unknown",
            settings.auth_throttle_address_per_minute,
        )
    ]
    if kind == "callback" and fields.get("state"):
        limits.append(Limit("login_flow", _digest(fields["state"]), per_credential))
    elif kind == "token":
        grant = fields.get("grant_type")
        if grant == "authorization_code" and fields.get("code"):
            limits.append(Limit("handoff_code", _digest(fields["code"]), per_credential))
        elif grant == "refresh_token" and fields.get("refresh_token"):
            token_hash = sha256_hex(fields["refresh_token"])
            family = await repository.family_of_refresh_token(token_hash)
            if family is not None:
                limits.append(Limit("refresh_family", str(family), per_credential))
            else:
                limits.append(Limit("refresh_token", token_hash[:32], per_credential))
    return limits


def _digest(secret: str) -> str:
    return sha256_hex(secret)[:32]


# --- the edge --------------------------------------------------------------------------------


class ThrottleMiddleware:
    """Counts every request of a route with `opt["throttle"]` before it runs (outside its
    transaction) and answers 429 when a limit is exceeded."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = handler_opt(scope, "throttle")
        if scope["type"] != "http" or kind not in KINDS:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = str(client[0]) if client else None
        fields: dict[str, str] = {}
        if kind == "callback":
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            fields = {k: v[0] for k, v in query.items() if v}
        elif kind == "token":
            receive, fields = await _peek_fields(scope, receive)
        refusal = await do_count(await limits_for(self.settings, kind, address, fields))
        if refusal is None:
            await self.app(scope, receive, send)
            return
        security_events.emit(
            "throttled",
            client=address,
            limit=refusal.limit,
            route=scope.get("path_template"),
        )
        await _send_refusal(scope, send, refusal)


async def _peek_fields(scope: Scope, receive: Receive) -> tuple[Receive, dict[str, str]]:
    """The token request's fields (form or JSON), and a `receive` that gives the handler the
    same body again."""
    messages: list[Message] = []
    body = b""
    while len(body) <= MAX_INSPECTED_BODY:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    else:
        body = b""  # too large to look into

    async def replay() -> Message:
        if messages:
            return messages.pop(0)
        return await receive()

    return replay, _fields(header(scope, b"content-type"), body)


def _fields(content_type: str | None, body: bytes) -> dict[str, str]:
    media_type = (content_type or "").split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    if media_type == "application/json":
        try:
            data: Any = json.loads(text or "{}")
        except ValueError:
            return {}
        if not isinstance(data, dict):
            return {}
        return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}
    return dict(parse_qsl(text))


async def _send_refusal(scope: Scope, send: Send, refusal: Refusal) -> None:
    """The 429 problem, rendered here so that the one security event is the one above (with
    the limit), not another from the generic error handler."""
    language = pick_language(header(scope, b"accept-language"))
    error = SignInThrottled(limit=refusal.limit)
    body = msgspec.json.encode(problem_document(error, language))
    headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"content-language", language.encode()),
        (b"vary", b"Accept-Language"),
        (b"retry-after", str(refusal.retry_after).encode()),
        (b"cache-control", b"no-store"),
    ]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
