"""Authentication (who is calling) and the one access guard (may they call this route).

`AuthenticationMiddleware` runs inside the request's transaction: it reads a Bearer access
token, or else the web session cookie, and sets `scope["user"]` to a `Principal` (or None).
Cookie-authenticated unsafe requests must carry the session's CSRF token in `X-CSRF-Token`.
Routes that take credentials of their own (the development provider's token and userinfo
endpoints) say `opt={"authenticate": False}`.
`check_access` is the one access check, run by the same middleware as soon as the caller is
known (not as a Litestar guard: Litestar copies the route handler for every guard call, ~5 % of
a cheap request's CPU): every route states its rule in `opt["access"]` (see backend.access); a
route without one fails closed.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

from backend import security_events
from backend.access import Principal, Rule
from backend.errors import NotAuthenticated, PermissionDenied
from backend.identity import service
from backend.identity.errors import CsrfFailed, InvalidToken
from backend.identity.sessions import SESSION_COOKIE
from backend.middleware import ASGIApp, Receive, Scope, Send, handler_opt, header
from backend.settings import Settings

CSRF_HEADER = b"x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _cookie(scope: Scope, name: str) -> str | None:
    raw = header(scope, b"cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed Cookie header is the client's problem
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


class AuthenticationMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Events emitted on an anonymous route (`opt` `anonymous`: a crime report) carry no
        # trace of the client, not even as a hash.
        token = security_events.set_client_address(_client(scope))
        try:
            scope["user"] = await self.principal(scope)
            check_access(scope)
            await self.app(scope, receive, send)
        finally:
            security_events.reset_client_address(token)

    async def principal(self, scope: Scope) -> Principal | None:
        if not handler_opt(scope, "authenticate", True):
            return None  # the route takes credentials of its own (the provider's endpoints)
        rule: Rule | None = handler_opt(scope, "access")
        public = rule is not None and rule.public
        authorization = header(scope, b"authorization")
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() == "bearer":
            if not token.strip():
                raise InvalidToken()
            try:
                return await service.authenticate_bearer(
                    self.settings, token.strip(), profile=handler_opt(scope, "profile", False)
                )
            except InvalidToken as exc:
                security_events.emit(
                    "access_token_rejected",
                    client=_client(scope),
                    code=exc.code,
                    route=scope.get("path_template"),
                )
                raise
        session_token = _cookie(scope, SESSION_COOKIE)
        if not session_token:
            return None
        try:
            principal = await service.authenticate_session(
                self.settings, session_token, profile=handler_opt(scope, "profile", False)
            )
        except InvalidToken:
            if public:
                return None  # a stale cookie does not stop a public page
            raise
        if scope["method"] not in SAFE_METHODS and not service.check_csrf(
            self.settings, session_token, header(scope, CSRF_HEADER)
        ):
            security_events.emit(
                "csrf_rejected",
                actor=str(principal.id),
                client=_client(scope),
                route=scope.get("path_template"),
            )
            raise CsrfFailed()
        scope["ctn.session_token"] = session_token
        return principal


def _client(scope: Scope) -> str | None:
    """The client's address, for security events; never on an anonymous route."""
    handler = scope.get("route_handler")
    if handler is not None and handler.opt.get("anonymous", False):
        return None
    client = scope.get("client")
    return str(client[0]) if client else None


def check_access(scope: Scope) -> None:
    """The route's declared rule admits the caller (`scope["user"]`), or 401/403."""
    handler = scope["route_handler"]
    rule = handler.opt.get("access")
    if rule is None and scope.get("method") == "OPTIONS":
        return  # Litestar's own OPTIONS handler (answers with Allow; runs no code of ours)
    if not isinstance(rule, Rule):
        # Fail closed: a route that forgot its rule is a bug, never an open door.
        raise RuntimeError(f"route {handler!r} declares no access rule")
    user = scope.get("user")
    principal = user if isinstance(user, Principal) else None
    if rule.admits(principal):
        return
    route = scope.get("path_template")
    if principal is None:
        raise NotAuthenticated(headers={"WWW-Authenticate": "Bearer"})
    security_events.emit(
        "access_denied",
        actor=str(principal.id),
        client=_client(scope),
        route=route,
        method=str(scope.get("method")),
    )
    raise PermissionDenied()
