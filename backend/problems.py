"""RFC 9457 problem+json rendering for every error the application lets out.

Domain errors (`AppError`) carry their own code and messages. Litestar's own HTTP exceptions
(routing, validation, body size) are translated to the matching `AppError`. Anything else is a
500 that shows no internals: only the request id, which is also logged with the traceback.
"""

from __future__ import annotations

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


def to_app_error(exc: Exception) -> errors.AppError:
    """The client-facing error for any exception."""
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
        return _validation_error(exc)
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
    error = to_app_error(exc)
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


_MISSING = re.compile(r"^Missing required (?P<source>\w+) parameter '(?P<name>[^']+)'")


def _validation_error(exc: ValidationException) -> errors.AppError:
    extra = exc.extra if isinstance(exc.extra, list) else []
    missing = _MISSING.match(exc.detail or "")
    if missing and not extra:
        # Litestar names the missing parameter only in its message.
        source, name = missing.group("source"), missing.group("name")
        return errors.ValidationFailed(
            errors=[
                {
                    "field": name,
                    "source": source,
                    "message_en": f"Missing required {source} parameter",
                    "message_vi": "Thiếu tham số bắt buộc",
                }
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
