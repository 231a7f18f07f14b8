"""RFC 9457 problem+json rendering for every error the application lets out.

Domain errors (`AppError`) carry their own code and messages. Litestar's own HTTP exceptions
(routing, validation, body size) are translated to the matching `AppError`. Anything else is a
500 that shows no internals: only the request id, which is also logged with the traceback.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import (
    ClientException,
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    SerializationException,
    TooManyRequestsException,
    ValidationException,
)
from multipart import MultipartError

from backend import errors, security_events
from backend.i18n import pick_language
from backend.logs import request_id_var
from backend.middleware import COMMIT_ON_ERROR

log = logging.getLogger("ctn.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"

_BY_STATUS: dict[int, type[errors.AppError]] = {
    cls.status: cls
    for cls in (
        errors.BadRequest,
        errors.NotAuthenticated,
        errors.PermissionDenied,
        errors.NotFound,
        errors.MethodNotAllowed,
        errors.Conflict,
        errors.PayloadTooLarge,
        errors.UnsupportedMediaType,
        errors.ValidationFailed,
        errors.TooManyRequests,
        errors.ServiceUnavailable,
    )
}


def problem_type(code: str) -> str:
    return f"/problems/{code}"


def problem_document(error: errors.AppError, language: str) -> dict[str, Any]:
    document: dict[str, Any] = {
        "type": problem_type(error.code),
        "title": error.message_vi if language == "vi" else error.message_en,
        "status": error.status,
        "detail": error.detail(language),
        "code": error.code,
    }
    request_id = request_id_var.get()
    if request_id:
        document["request_id"] = request_id
    document.update(error.extra)
    return document


def problem_response(error: errors.AppError, language: str) -> Response[Any]:
    headers = {"Content-Language": language, "Vary": "Accept-Language", **error.headers}
    return Response(
        content=problem_document(error, language),
        status_code=error.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def to_app_error(exc: Exception, request: Request[Any, Any, Any] | None = None) -> errors.AppError:
    """The client-facing error for any exception (`request`: to name every missing
    parameter, not only the first Litestar met)."""
    if isinstance(exc, errors.AppError):
        return exc
    if isinstance(exc, MultipartError):
        # Litestar's form parsing and our streamed uploads share the `multipart` parser;
        # whatever it refuses (framing, segment count or size limits) is the client's doing.
        return errors.MalformedBody(
            "Nội dung multipart không hợp lệ hoặc vượt giới hạn.",
            "The multipart body is malformed or exceeds a limit.",
        )
    if isinstance(exc, ValidationException):
        return _validation_error(exc, request)
    if isinstance(exc, ClientException) and isinstance(exc.__cause__, SerializationException):
        return errors.MalformedBody()
    if isinstance(exc, NotFoundException):
        return errors.NotFound()
    if isinstance(exc, MethodNotAllowedException):
        allow = (exc.headers or {}).get("Allow") or (exc.headers or {}).get("allow")
        return errors.MethodNotAllowed(headers={"Allow": allow} if allow else None)
    if isinstance(exc, NotAuthorizedException):
        return errors.NotAuthenticated()
    if isinstance(exc, PermissionDeniedException):
        return errors.PermissionDenied()
    if isinstance(exc, TooManyRequestsException):
        headers = dict(exc.headers or {})
        if "RateLimit-Reset" in headers:
            headers.setdefault("Retry-After", str(headers["RateLimit-Reset"]))
        return errors.TooManyRequests(headers=headers)
    if isinstance(exc, HTTPException) and exc.status_code in _BY_STATUS:
        return _BY_STATUS[exc.status_code]()
    if isinstance(exc, HTTPException) and 400 <= exc.status_code < 500:
        return errors.BadRequest()
    return errors.AppError()


def exception_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    error = to_app_error(exc, request)
    if error.commit:
        request.scope[COMMIT_ON_ERROR] = True  # type: ignore[literal-required]  # our own key
    if error.status == 429:
        client = request.client.host if request.client else None
        security_events.emit("throttled", client=client, route=request.scope.get("path_template"))
    if isinstance(exc, errors.AppError) and error.status in (502, 504):
        # A service this one depends on (the identity provider) failed: expected in
        # operation, one line naming it and why, no traceback.
        cause = exc.__cause__
        log.warning(
            "%s: %s%s",
            error.code,
            error.detail_en,
            f" ({type(cause).__name__}: {cause})" if cause is not None else "",
        )
    elif error.status >= 500 and not isinstance(exc, errors.ServiceUnavailable):
        # The traceback stays in the server log; the client sees only the request id.
        log.error("unhandled error", exc_info=exc)
    return problem_response(error, pick_language(request.headers.get("accept-language")))


# --- validation ---------------------------------------------------------------------------

_AT = re.compile(r"\s*-\s*at\s*`\$(?P<path>[^`]*)`\s*$")
_TRANSLATIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^Object missing required field `(?P<f>[^`]+)`$"), "Thiếu trường bắt buộc `{f}`"),
    (
        re.compile(r"^Object contains unknown field `(?P<f>[^`]+)`$"),
        "Có trường không được phép `{f}`",
    ),
    (
        re.compile(r"^Expected `(?P<a>[^`]+)`, got `(?P<b>[^`]+)`$"),
        "Cần giá trị kiểu `{a}`, nhận được `{b}`",
    ),
    (re.compile(r"^Expected `str` of length >= (?P<n>\d+)$"), "Chuỗi phải dài ít nhất {n} ký tự"),
    (
        re.compile(r"^Expected `str` of length <= (?P<n>\d+)$"),
        "Chuỗi chỉ được dài tối đa {n} ký tự",
    ),
    (
        re.compile(r"^Expected `(?P<a>int|float)` >= (?P<n>\S+)$"),
        "Giá trị phải lớn hơn hoặc bằng {n}",
    ),
    (
        re.compile(r"^Expected `(?P<a>int|float)` <= (?P<n>\S+)$"),
        "Giá trị phải nhỏ hơn hoặc bằng {n}",
    ),
    (re.compile(r"^Expected `str` matching regex .*$"), "Chuỗi không đúng định dạng"),
    (
        re.compile(r"^Invalid enum value (?P<v>.+)$"),
        "Giá trị {v} không nằm trong danh sách cho phép",
    ),
    (re.compile(r"^Missing required (?P<what>.+)$"), "Thiếu tham số bắt buộc"),
)


def _translate(message: str) -> str:
    for pattern, template in _TRANSLATIONS:
        match = pattern.match(message)
        if match:
            return template.format(**match.groupdict())
    return "Giá trị không hợp lệ"


_MISSING = re.compile(
    r"^Missing required (?P<source>\w+) parameter (?P<q>['\"])(?P<name>.+?)(?P=q) for path"
)


def _validation_error(
    exc: ValidationException, request: Request[Any, Any, Any] | None = None
) -> errors.AppError:
    extra = exc.extra if isinstance(exc.extra, list) else []
    missing = _MISSING.match(exc.detail or "")
    if missing and not extra:
        # Litestar names only the first missing parameter it met, and only in its message;
        # the client is told every one it left out, the named one always among them.
        named = (missing.group("source"), missing.group("name"))
        absent = missing_parameters(request) if request is not None else []
        if named not in absent:
            absent.insert(0, named)
        return errors.ValidationFailed(
            errors=[
                {
                    "field": name,
                    "source": source,
                    "message_en": f"Missing required {source} parameter",
                    "message_vi": "Thiếu tham số bắt buộc",
                }
                for source, name in absent
            ]
        )
    messages = [str(item.get("message", "")) for item in extra if isinstance(item, dict)]
    if any(
        m.startswith(("Malformed JSON", "JSON is malformed", "Input data was truncated"))
        for m in messages
    ) or (not extra and "JSON" in (exc.detail or "")):
        return errors.MalformedBody()
    field_errors: list[dict[str, str]] = []
    for item in extra:
        if not isinstance(item, dict):
            continue
        raw_source = item.get("source") or "body"
        source = str(getattr(raw_source, "value", raw_source))
        key = item.get("key")
        field_errors.append(
            _field_error(str(item.get("message", "")), source, str(key) if key else None)
        )
    return errors.ValidationFailed(errors=field_errors)


def _field_error(message: str, source: str, key: str | None = None) -> dict[str, str]:
    """One entry of a validation problem's `errors`: where (the parameter and/or the path
    msgspec reports at the end of its message) and what, in both languages."""
    path = ""
    match = _AT.search(message)
    if match:
        path = match.group("path").lstrip(".")
        message = message[: match.start()]
    field = ".".join(p for p in (key if key and source != "body" else "", path) if p)
    if source == "body" and key and not path:
        field = key
    return {
        "field": field or "$",
        "source": source,
        "message_en": message,
        "message_vi": _translate(message),
    }


def validation_failed(exc: msgspec.ValidationError, source: str = "body") -> errors.AppError:
    """A `ValidationFailed` for a body a handler decoded itself (e.g. a form)."""
    return errors.ValidationFailed(errors=[_field_error(str(exc), source)])


def missing_parameters(request: Request[Any, Any, Any]) -> list[tuple[str, str]]:
    """(source, name) of each required query, header and cookie parameter of the route (its
    dependencies' included) that the request does not carry, as Litestar decides it."""
    handler = request.scope.get("route_handler")
    if handler is None or not hasattr(handler, "create_kwargs_model"):
        return []
    model = _kwargs_model(handler, tuple(request.scope.get("path_params") or ()))
    present: dict[str, Any] = {
        "query": request.query_params,
        "header": request.headers,
        "cookie": request.cookies,
    }
    expected = {
        "query": model.expected_query_params,
        "header": model.expected_header_params,
        "cookie": model.expected_cookie_params,
    }
    absent: list[tuple[str, str]] = []
    for source, parameters in expected.items():
        for parameter in sorted(parameters, key=lambda p: p.field_alias):
            # Litestar's rule (litestar._kwargs.extractors): no default, or `...` as default.
            required = parameter.is_required or parameter.default is Ellipsis
            alias = parameter.field_alias
            if required and alias not in present[source]:
                absent.append((source, alias))
    return absent


@functools.lru_cache(maxsize=512)
def _kwargs_model(handler: Any, path_parameters: tuple[str, ...]) -> Any:
    """The parameters Litestar expects of a route (the handler's public `create_kwargs_model`
    reads only the names of the path parameters); cached, it is built per handler."""
    return handler.create_kwargs_model(path_parameters=dict.fromkeys(path_parameters))
