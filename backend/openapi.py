"""The OpenAPI document says what the API does, and its page works without the internet.

Litestar documents what it sees in a handler's signature. This module adds, once, after the
app is built, what it cannot see:

- who may call each operation (`security`, from the route's access rule in `opt`): a bearer
  token, or the session cookie (with the CSRF header for unsafe methods), or nobody;
- every problem the operation can answer, each with the shared `Problem` schema and an example
  per `code`: what the edge, the access rule and the parameters imply, plus the domain errors a
  route names in `opt={"problems": (SomeError, ...)}`;
- the request bodies of the routes that read their body themselves (`BODIES`);
- the `Idempotency-Key` header where it is honoured.

The documentation page (Swagger UI) and its assets are served by the app from the
`swagger-ui-bundle` package under `/schema/assets/`, so the page loads nothing from elsewhere.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator, Mapping
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import swagger_ui_bundle  # type: ignore[import-untyped]  # the package ships no type information
from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import (
    Components,
    Example,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Parameter,
    Reference,
    RequestBody,
    Schema,
    SecurityRequirement,
    SecurityScheme,
)
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router

from backend import errors
from backend.access import PUBLIC, Rule, access
from backend.identity.schemas import RevokeRequest, TokenRequest
from backend.identity.service import CSRF_COOKIE, SESSION_COOKIE
from backend.problems import PROBLEM_MEDIA_TYPE
from backend.tips.citizen_schemas import TipCreate

if TYPE_CHECKING:
    from litestar import Litestar, Request
    from litestar.handlers import HTTPRouteHandler

TITLE = "C-ThaiNguyen API"
DOCS_PATH = "/schema"
SWAGGER_UI = Path(swagger_ui_bundle.swagger_ui_path)
# The bundle's version is in its directory name (swagger-ui-4.15.5): a new version is a new
# URL, so the assets can be cached for good.
ASSETS_PATH = f"/assets/{SWAGGER_UI.name}"
ASSETS_URL = f"{DOCS_PATH}{ASSETS_PATH}"

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
IDEMPOTENT_METHODS = frozenset({"POST", "PUT", "PATCH"})  # backend.http.idempotency.METHODS
DOCUMENTED_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

DESCRIPTION = f"""API của ứng dụng công dân C-ThaiNguyen (tỉnh Thái Nguyên).

The API of the C-ThaiNguyen citizen app. Sign in through `GET /auth/mobile/authorize` (the
app) or `GET /auth/login` (the web console), then send `Authorization: Bearer <token>`, or the
`{SESSION_COOKIE}` cookie with the `{CSRF_COOKIE}` cookie's value as `X-CSRF-Token` on unsafe
requests (this page copies it for you). Each operation says who may call it.

Every error is an RFC 9457 `application/problem+json` document with a stable `code`, in
Vietnamese unless `Accept-Language` prefers English. Besides the problems each operation
lists, any request may be refused by the HTTP server before it reaches a route:
`400 malformed_request`, `408 request_timeout`, `431 headers_too_large`; and an unknown path or
method is `404 not_found` / `405 method_not_allowed`."""


# --- schemas (documentation only: the problem documents are built in backend.problems) ---------


class FieldError(msgspec.Struct, kw_only=True):
    """One invalid or missing field of a `validation_failed` problem."""

    field: str
    """The parameter name, or the path in the body (`addresses.0.street`; `$`: the whole)."""
    source: str
    """`query`, `path`, `header`, `cookie` or `body`."""
    message_en: str
    message_vi: str


class Problem(msgspec.Struct, kw_only=True):
    """An RFC 9457 problem document. Members beyond these may be present (e.g. `limit`,
    `accepted`, `error`), as each problem code documents."""

    type: str
    """`/problems/<code>`."""
    title: str
    status: int
    detail: str
    code: str
    """Stable, machine-readable: what clients branch on."""
    request_id: str | msgspec.UnsetType = msgspec.UNSET
    """Also in the `X-Request-ID` header: quote it when reporting a problem."""
    errors: list[FieldError] | msgspec.UnsetType = msgspec.UNSET
    """`validation_failed` and its refinements: every field at fault."""


@dataclasses.dataclass
class _JsonSchema(Schema):
    """A JSON Schema produced by msgspec, placed in the document as is."""

    raw: dict[str, Any] = dataclasses.field(default_factory=dict)

    def to_schema(self) -> dict[str, Any]:
        return self.raw


def _ref(name: str) -> Reference:
    return Reference(ref=f"#/components/schemas/{name}")


def _struct_schemas(*types: type[msgspec.Struct]) -> dict[str, Schema]:
    _, components = msgspec.json.schema_components(
        types, ref_template="#/components/schemas/{name}"
    )
    return {name: _JsonSchema(raw=schema) for name, schema in components.items()}


# --- security -----------------------------------------------------------------------------

SECURITY_SCHEMES: dict[str, SecurityScheme | Reference] = {
    "bearer": SecurityScheme(
        type="http",
        scheme="bearer",
        bearer_format="JWT",
        description="The access token from `POST /api/v1/auth/token` (the mobile app).",
    ),
    "session": SecurityScheme(
        type="apiKey",
        name=SESSION_COOKIE,
        security_scheme_in="cookie",
        description="The web console's session cookie, set by `GET /auth/login`.",
    ),
    "csrf": SecurityScheme(
        type="apiKey",
        name="X-CSRF-Token",
        security_scheme_in="header",
        description=(
            f"With the session cookie, unsafe methods send the `{CSRF_COOKIE}` cookie's value "
            "in this header."
        ),
    ),
}
ANYONE: SecurityRequirement = {}


def security_for(rule: Rule, method: str, opt: Mapping[str, Any]) -> list[SecurityRequirement]:
    """Who may call: a bearer token, or the session cookie (with the CSRF header on unsafe
    methods); for public routes also nobody (`{}`). A public route that reads no credentials
    (`authenticate: False`) takes nobody's."""
    session: SecurityRequirement = (
        {"session": []} if method in SAFE_METHODS else {"session": [], "csrf": []}
    )
    signed_in: list[SecurityRequirement] = [{"bearer": []}, session]
    if not rule.public:
        return signed_in
    if opt.get("authenticate", True) is False:
        return [ANYONE]
    return [ANYONE, *signed_in]


# --- problems -----------------------------------------------------------------------------


def _classes(base: type[errors.AppError]) -> Iterator[type[errors.AppError]]:
    yield base
    for sub in base.__subclasses__():
        yield from _classes(sub)


def error_classes() -> dict[str, type[errors.AppError]]:
    """Every error class the running app knows, by the code it declares itself."""
    return {cls.code: cls for cls in _classes(errors.AppError) if "code" in vars(cls)}


# Named by code, not imported: the classes live in the modules that raise them.
ALWAYS = ("internal_error",)
BAD_TOKEN = ("token_invalid", "token_expired", "token_not_yet_valid")
SIGNED_IN_ONLY = ("not_authenticated", *BAD_TOKEN, "session_expired")
BODY = ("malformed_body", "request_timeout", "payload_too_large", "validation_failed")
IDEMPOTENCY = ("idempotency_key_invalid", "idempotency_key_reused", "idempotency_body_too_large")


def problem_codes(
    handler: HTTPRouteHandler, method: str, operation: Operation, *, has_body: bool
) -> list[str]:
    """The codes an operation can answer with, from what the edge, its access rule, its
    parameters and its body imply, and the errors it names in `opt["problems"]`."""
    opt = handler.opt
    rule: Rule = opt["access"]
    authenticates = opt.get("authenticate", True) is not False
    transactional = opt.get("transaction", True) is not False
    parameters = [p for p in operation.parameters or () if isinstance(p, Parameter)]
    where = {p.param_in for p in parameters}
    codes: list[str] = []
    if rule.public:
        if authenticates:
            codes += BAD_TOKEN
            if method not in SAFE_METHODS:
                codes.append("csrf_failed")
        if transactional:
            codes.append("server_busy")  # callers without credentials share part of the pool
    else:
        codes += SIGNED_IN_ONLY
        if rule.roles:
            codes.append("permission_denied")
        if method not in SAFE_METHODS:
            codes.append("csrf_failed")
    if parameters:
        codes.append("validation_failed")
    if "query" in where:
        codes.append("bad_request")  # a query string that is not UTF-8
    if any(p.name == "cursor" and p.param_in == "query" for p in parameters):
        codes.append("invalid_cursor")
    if "path" in where:
        codes.append("not_found")
    if has_body:
        codes += BODY
        if transactional:
            codes.append("unsupported_media_type")
    if method in IDEMPOTENT_METHODS and opt.get("idempotent", True) and authenticates:
        codes += IDEMPOTENCY
    if opt.get("throttle"):
        codes.append("sign_in_throttled")
    codes += ALWAYS
    codes += (cls.code for cls in opt.get("problems", ()))
    return list(dict.fromkeys(codes))


def problem_responses(
    codes: Iterable[str], known: Mapping[str, type[errors.AppError]]
) -> dict[str, OpenAPIResponse]:
    """One response per status, listing its codes, with an example document for each."""
    by_status: dict[int, list[type[errors.AppError]]] = {}
    for code in codes:
        cls = known[code]
        by_status.setdefault(cls.status, []).append(cls)
    responses: dict[str, OpenAPIResponse] = {}
    for status in sorted(by_status):
        classes = by_status[status]
        lines = "\n".join(f"- `{cls.code}`: {cls.message_en}" for cls in classes)
        headers: dict[str, OpenAPIHeader | Reference] | None = None
        if status in (429, 503):
            headers = {
                "Retry-After": OpenAPIHeader(
                    schema=Schema(type="integer"),  # type: ignore[arg-type]  # OpenAPIType is a str enum
                    description="Seconds to wait before trying again.",
                )
            }
        responses[str(status)] = OpenAPIResponse(
            description=f"{HTTPStatus(status).phrase}:\n\n{lines}",
            headers=headers,
            content={
                PROBLEM_MEDIA_TYPE: OpenAPIMediaType(
                    schema=_ref("Problem"),
                    examples={
                        cls.code: Example(summary=cls.code, value=_example(cls)) for cls in classes
                    },
                )
            },
        )
    return responses


def _example(cls: type[errors.AppError]) -> dict[str, Any]:
    document: dict[str, Any] = {
        "type": f"/problems/{cls.code}",
        "title": cls.message_vi,
        "status": cls.status,
        "detail": cls.message_vi,
        "code": cls.code,
        "request_id": "01J9Z8Q4B6X2N3M5P7R9T1V3W5",
    }
    if cls is errors.ValidationFailed:
        document["errors"] = [
            {
                "field": "limit",
                "source": "query",
                "message_en": "Expected `int` <= 100",
                "message_vi": "Giá trị phải nhỏ hơn hoặc bằng 100",
            }
        ]
    return document


# --- request bodies the handlers read themselves -------------------------------------------

_BINARY = Schema(type="string", format="binary")  # type: ignore[arg-type]  # str enums


def _form_or_json(name: str, description: str, *, required: bool) -> RequestBody:
    return RequestBody(
        description=description,
        required=required,
        content={
            FORM: OpenAPIMediaType(schema=_ref(name)),
            JSON: OpenAPIMediaType(schema=_ref(name)),
        },
    )


BODIES: dict[tuple[str, str], RequestBody] = {
    ("POST", "/api/v1/media"): RequestBody(
        description=(
            "The file: `multipart/form-data` with a `file` part, or the raw bytes in any "
            'content type with `Content-Disposition: attachment; filename="…"`. Its type '
            "is decided from the bytes."
        ),
        required=True,
        content={
            "multipart/form-data": OpenAPIMediaType(
                schema=Schema(
                    type="object",  # type: ignore[arg-type]  # str enums
                    required=["file"],
                    properties={"file": _BINARY},
                )
            ),
            "application/octet-stream": OpenAPIMediaType(schema=_BINARY),
        },
    ),
    ("POST", "/api/v1/auth/token"): _form_or_json(
        "TokenRequest",
        "A form (what OAuth clients send) or a JSON object.",
        required=True,
    ),
    ("POST", "/api/v1/auth/logout"): _form_or_json(
        "RevokeRequest",
        "Optional: the refresh token, when the app holds one of another family.",
        required=False,
    ),
    ("POST", "/api/v1/campaigns/{campaign_id}/audience-list"): RequestBody(
        description=(
            "Personal identification numbers (12 digits), one per line, in UTF-8: plain text, "
            "or CSV with the numbers in the first column (a header line is skipped)."
        ),
        required=True,
        content={
            "text/csv": OpenAPIMediaType(schema=Schema(type="string")),  # type: ignore[arg-type]  # str enums
            "text/plain": OpenAPIMediaType(schema=Schema(type="string")),  # type: ignore[arg-type]  # str enums
        },
    ),
    ("POST", "/auth/backchannel-logout"): RequestBody(
        description="OpenID Connect Back-Channel Logout 1.0: the provider's logout token.",
        required=True,
        content={
            FORM: OpenAPIMediaType(
                schema=Schema(
                    type="object",  # type: ignore[arg-type]  # str enums
                    required=["logout_token"],
                    properties={"logout_token": Schema(type="string")},  # type: ignore[arg-type]  # str enums
                )
            )
        },
    ),
    ("POST", "/api/v1/tips"): RequestBody(
        description="The report (`TipCreate`).",
        required=True,
        content={JSON: OpenAPIMediaType(schema=_ref("TipCreate"))},
    ),
    **{
        ("POST", path): RequestBody(
            description=(
                "The file: `multipart/form-data` with a `file` part, or the raw bytes with "
                '`Content-Disposition: attachment; filename="…"`. Its type is decided from '
                "the bytes (photo, video, audio or PDF)."
            ),
            required=True,
            content={
                "multipart/form-data": OpenAPIMediaType(
                    schema=Schema(
                        type="object",  # type: ignore[arg-type]  # str enums
                        required=["file"],
                        properties={"file": _BINARY},
                    )
                ),
                "application/octet-stream": OpenAPIMediaType(schema=_BINARY),
            },
        )
        for path in (
            "/api/v1/tips/mine/{reference}/attachments",
            "/api/v1/tips/anonymous/attachments",
            "/api/v1/police/tips/{tip_id}/messages/{message_id}/attachments",
        )
    },
    ("POST", "/api/v1/welfare/imports"): RequestBody(
        description=(
            "A beneficiary list or payment results, .xlsx or .csv (UTF-8): "
            "`multipart/form-data` with a `file` part, or the raw bytes with "
            '`Content-Disposition: attachment; filename="…"`. Its format is decided from '
            "the bytes."
        ),
        required=True,
        content={
            "multipart/form-data": OpenAPIMediaType(
                schema=Schema(
                    type="object",  # type: ignore[arg-type]  # str enums
                    required=["file"],
                    properties={"file": _BINARY},
                )
            ),
            "application/octet-stream": OpenAPIMediaType(schema=_BINARY),
        },
    ),
}
BODY_SCHEMAS = (TokenRequest, RevokeRequest, TipCreate)

EXTRA_PARAMETERS: dict[tuple[str, str], list[Parameter]] = {
    ("POST", "/api/v1/media"): [
        Parameter(
            name="Content-Disposition",
            param_in="header",
            schema=Schema(type="string"),  # type: ignore[arg-type]  # str enums
            description='For a raw body: `attachment; filename="photo.jpg"`.',
        )
    ]
}

IDEMPOTENCY_KEY = Parameter(
    name="Idempotency-Key",
    param_in="header",
    schema=Schema(type="string", min_length=1, max_length=255),  # type: ignore[arg-type]  # str enums
    description=(
        "Replays the first successful response for 24 h to a retry by the same person; the "
        "same key with another body is `409 idempotency_key_reused`."
    ),
)


# --- the document ---------------------------------------------------------------------------


def _handlers(app: Litestar) -> dict[tuple[str, str], HTTPRouteHandler]:
    found: dict[tuple[str, str], HTTPRouteHandler] = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                for method in handler.http_methods:
                    found[(method, route.path_format or "/")] = handler
    return found


def document(app: Litestar) -> None:
    """Complete the app's OpenAPI document (built here, once) with what Litestar cannot see
    in the handlers: security, problem responses, hand-read bodies, headers."""
    openapi = app.openapi_schema
    components = openapi.components
    components.security_schemes = SECURITY_SCHEMES
    schemas = dict(components.schemas or {})
    for name, schema in _struct_schemas(Problem, *BODY_SCHEMAS).items():
        schemas.setdefault(name, schema)
    components.schemas = schemas
    known = error_classes()
    handlers = _handlers(app)
    for path, item in (openapi.paths or {}).items():
        for method in DOCUMENTED_METHODS:
            operation: Operation | None = getattr(item, method, None)
            if operation is None:
                continue
            key = (method.upper(), path)
            handler = handlers[key]
            _complete(operation, handler, key, known)


def _complete(
    operation: Operation,
    handler: HTTPRouteHandler,
    key: tuple[str, str],
    known: Mapping[str, type[errors.AppError]],
) -> None:
    method = key[0]
    opt = handler.opt
    rule: Rule = opt["access"]
    if key in BODIES:
        operation.request_body = BODIES[key]
    parameters = list(operation.parameters or ())
    parameters += EXTRA_PARAMETERS.get(key, ())
    if (
        method in IDEMPOTENT_METHODS
        and opt.get("idempotent", True)
        and not (rule.public and opt.get("authenticate", True) is False)
    ):
        parameters.append(IDEMPOTENCY_KEY)
    operation.parameters = parameters or None
    operation.security = security_for(rule, method, opt)
    access_line = f"**Access:** {rule.describe()}."
    operation.description = (
        f"{operation.description}\n\n{access_line}" if operation.description else access_line
    )
    codes = problem_codes(handler, method, operation, has_body=operation.request_body is not None)
    # Litestar's own error responses (its 400 for validation) describe errors this app never
    # answers in that shape: ours replace them.
    kept = {
        status: response
        for status, response in (operation.responses or {}).items()
        if not status.isdigit() or int(status) < 400
    }
    operation.responses = {**kept, **problem_responses(codes, known)}


# --- the pages --------------------------------------------------------------------------------


class OfflineSwagger(SwaggerRenderPlugin):
    """Swagger UI from the app's own assets: nothing loaded from the internet, no online
    validator, and the CSRF cookie copied into `X-CSRF-Token` for the signed-in console user."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        spec_url = json.dumps(self.get_openapi_json_route(request))
        title = openapi_schema["info"]["title"]
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8"/>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  {self.favicon}
  <link href="{self.css_url}" rel="stylesheet">
  {self.style}
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{self.js_url}"></script>
  <script src="{self.standalone_preset_js_url}"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      url: {spec_url},
      dom_id: "#swagger-ui",
      deepLinking: true,
      validatorUrl: null,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      requestInterceptor: (request) => {{
        const csrf = document.cookie.match(/(?:^|;\\s*){CSRF_COOKIE}=([^;]*)/);
        if (csrf && !request.headers["X-CSRF-Token"]) {{
          request.headers["X-CSRF-Token"] = decodeURIComponent(csrf[1]);
        }}
        return request;
      }},
    }});
  </script>
</body>
</html>
""".encode()


def config() -> OpenAPIConfig:
    """The document's metadata, the Swagger page at `/schema` (also `/schema/swagger`), the
    JSON at `/schema/openapi.json`, and the page's assets under `/schema/assets/`."""
    assets = create_static_files_router(
        path=ASSETS_PATH,
        directories=[SWAGGER_UI],
        name="openapi-assets",
        # Static files: no transaction, no credentials read, no client details logged.
        opt=access(PUBLIC, transaction=False, authenticate=False, anonymous=True),
        cache_control=CacheControlHeader(max_age=365 * 24 * 3600, public=True, immutable=True),
        include_in_schema=False,
    )
    return OpenAPIConfig(
        title=TITLE,
        version="1.0.0",
        description=DESCRIPTION,
        components=Components(security_schemes=SECURITY_SCHEMES),
        openapi_router=Router(
            DOCS_PATH,
            route_handlers=[assets],
            opt=access(PUBLIC, transaction=False, anonymous=True),
            include_in_schema=False,
        ),
        render_plugins=[
            OfflineSwagger(
                path="/swagger",
                js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
                css_url=f"{ASSETS_URL}/swagger-ui.css",
                standalone_preset_js_url=f"{ASSETS_URL}/swagger-ui-standalone-preset.js",
                favicon=(
                    f'<link rel="icon" type="image/png" href="{ASSETS_URL}/favicon-32x32.png">'
                ),
            )
        ],
    )
