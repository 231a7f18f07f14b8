"""The citizen's routes of crime reports, under /api/v1/tips.

Every route here is `anonymous` in the access log (no client address, no user agent), and
the routes an anonymous reporter uses read no credentials at all (`authenticate: False`): a
signed-in person who files or follows an anonymous report sends a token the server never
looks at, so it cannot be logged, refused or tied to the report. A confidential report is
authenticated by the handler itself. Errors are answered here (not by the app's handler),
so that a refusal writes no security event with the client's address, and every answer to
a report of ongoing danger carries the reminder to call 113. Responses are never cached.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException, InternalServerException
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_206_PARTIAL_CONTENT

from backend.access import PUBLIC, SIGNED_IN, Principal, access, signed_in
from backend.db import unit_of_work
from backend.errors import AppError, ValidationFailed
from backend.http.idempotency import StreamedRequestKey
from backend.http.pagination import PageRequest, page_request
from backend.i18n import pick_language
from backend.identity.errors import InvalidToken
from backend.identity.service import authenticate_bearer
from backend.problems import problem_response, validation_failed
from backend.settings import Settings
from backend.tips import attachments, challenge, citizen, offences
from backend.tips import errors as tip_errors
from backend.tips.citizen_schemas import (
    EMERGENCY,
    AttachmentOut,
    MessageCreate,
    MessageOut,
    OffenceList,
    OffenceOut,
    TipCreate,
    TipOut,
    TipPage,
    TipSubmitted,
)
from content import errors as media_errors
from content.service import UploadBody

AnyRequest = Request[Any, Any, Any]
RECEIPT_HEADER = "X-Tip-Receipt"
NO_STORE = {"Cache-Control": "private, no-store"}
ANONYMOUS = {"anonymous": True, "authenticate": False, "idempotent": False}
"""Route options of the routes an anonymous reporter uses."""

RECEIPT_PROBLEMS = (
    tip_errors.ReceiptRequired,
    tip_errors.ReceiptInvalid,
    tip_errors.ReceiptThrottled,
)
SUBMIT_PROBLEMS = (
    tip_errors.OffenceUnknown,
    tip_errors.PlaceOutsideProvince,
    tip_errors.CommuneUnknown,
    tip_errors.PlaceMissing,
    tip_errors.IncidentTimeInvalid,
    tip_errors.ProofOfWorkRequired,
    tip_errors.ProofOfWorkInvalid,
    tip_errors.ProofOfWorkSpent,
    tip_errors.SubmissionsThrottled,
    tip_errors.SignInForConfidential,
)
UPLOAD_PROBLEMS = (
    tip_errors.TipNotFound,
    tip_errors.TipMessageNotFound,
    tip_errors.TipPurged,
    tip_errors.AttachmentLimitReached,
    tip_errors.AttachmentTypeNotAllowed,
    tip_errors.AttachmentUnreadable,
    media_errors.UploadTooLarge,
    media_errors.UploadEmpty,
    media_errors.UploadIncomplete,
    media_errors.UploadMalformed,
    media_errors.ImageTooLarge,
    media_errors.StorageUnavailable,
)
READ_FILE_PROBLEMS = (
    tip_errors.TipAttachmentNotFound,
    tip_errors.TipPurged,
    media_errors.RangeNotSatisfiable,
    media_errors.StorageUnavailable,
)
MAX_UPLOAD = max(attachments.MAX_BYTES.values()) + 1024 * 1024


def _client(request: AnyRequest) -> str | None:
    return request.client.host if request.client else None


def _language(request: AnyRequest) -> str:
    return pick_language(request.headers.get("accept-language"))


def _refusal(request: AnyRequest, error: AppError, emergency: bool = False) -> Response[Any]:
    """The problem answer, rendered here: the app's handler would record a 429 with the
    client's address."""
    tip_errors.with_emergency(error, msgspec.to_builtins(EMERGENCY) if emergency else None)
    response = problem_response(error, _language(request))
    response.headers.update(NO_STORE)
    return response


def _ok(content: Any, status: int = HTTP_200_OK) -> Response[Any]:
    return Response(content, status_code=status, headers=NO_STORE)


def _ongoing_danger(body: bytes) -> bool:
    try:
        document = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return False
    return isinstance(document, dict) and document.get("ongoing_danger") is True


async def _body(request: AnyRequest) -> AsyncIterator[bytes]:
    announced = request.content_length
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if chunk:
                yield chunk
    except InternalServerException as exc:
        raise media_errors.UploadIncomplete() from exc
    except HTTPException as exc:
        if exc.status_code == 413:
            raise media_errors.UploadTooLarge() from exc
        raise
    if announced is not None and received < announced:
        raise media_errors.UploadIncomplete()


def _check_file_body(request: AnyRequest) -> None:
    """A body that cannot hold a file (JSON, a form) is refused by its type, before anything
    is looked up."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if (
        media_type in ("application/json", "application/x-www-form-urlencoded")
        or media_type.endswith("+json")
        or media_type.startswith("text/")
    ):
        raise tip_errors.AttachmentTypeNotAllowed()


def _upload_body(request: AnyRequest) -> UploadBody:
    return UploadBody(
        content_type=request.headers.get("content-type", ""),
        content_disposition=request.headers.get("content-disposition"),
        length=request.content_length,
        chunks=_body(request),
    )


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _range(header: str | None, size: int) -> tuple[int, int] | None:
    """One byte range (a list of several is answered whole)."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        start, end = max(size - int(last), 0), size - 1
    else:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        raise media_errors.RangeNotSatisfiable(headers={"Content-Range": f"bytes */{size}"})
    return start, end


async def _file_response(
    settings: Settings, request: AnyRequest, attachment_id: uuid.UUID
) -> Response[Any]:
    opened = await attachments.open_attachment(settings, attachment_id)
    wanted = _range(request.headers.get("range"), opened.size)
    start, end = wanted if wanted else (0, opened.size - 1)
    headers = {
        **NO_STORE,
        "Accept-Ranges": "bytes",
        "Content-Length": str(max(end - start + 1, 0)),
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": "attachment",
    }
    if wanted:
        headers["Content-Range"] = f"bytes {start}-{end}/{opened.size}"
    return Stream(
        attachments.read_opened(settings, opened, start, end) if opened.size else _empty(),
        status_code=HTTP_206_PARTIAL_CONTENT if wanted else HTTP_200_OK,
        media_type=opened.mime,
        headers=headers,
    )


async def _empty() -> AsyncIterator[bytes]:
    if False:  # pragma: no cover - an empty stream
        yield b""


async def _receive(
    request: AnyRequest, settings: Settings, caller: citizen.Caller, message_id: uuid.UUID | None
) -> Response[Any]:
    emergency = citizen.emergency_of(caller.tip)
    try:
        row = await attachments.do_receive_attachment(
            settings, caller.tip, _upload_body(request), message_id=message_id
        )
    except AppError as error:
        return _refusal(request, error, emergency is not None)
    out = msgspec.structs.replace(citizen.attachment_out(None, row), emergency=emergency)
    return _ok(out, HTTP_201_CREATED)


# --- reading what a report may say --------------------------------------------------------------


@get("/api/v1/tips/offences", opt=access(PUBLIC, **ANONYMOUS), tags=["tips"])
async def list_offences(settings: NamedDependency[Settings]) -> OffenceList:
    """The offence types a report may name (one to three), with Vietnamese and English
    labels, and what the two kinds of report mean."""
    return OffenceList(
        items=[
            OffenceOut(code=o.code, label_vi=o.vi, label_en=o.en)
            for o in offences.offences(settings)
        ],
        max_per_report=offences.MAX_PER_REPORT,
    )


@get(
    "/api/v1/tips/challenge",
    opt=access(PUBLIC, transaction=False, **ANONYMOUS),
    tags=["tips"],
)
async def get_challenge(settings: NamedDependency[Settings]) -> Response[challenge.Challenge]:
    """A proof-of-work challenge for one anonymous report: find a `nonce` such that
    SHA-256(`<challenge>:<nonce>`) starts with `difficulty` zero bits, and send both as the
    report's `proof` before `expires_at`. Each challenge is accepted once. Nothing about who
    asked is kept."""
    return Response(challenge.issue(settings), headers=NO_STORE)


# --- submitting ---------------------------------------------------------------------------------


@post(
    "/api/v1/tips",
    status_code=HTTP_201_CREATED,
    request_max_body_size=512 * 1024,
    # Not `idempotent: False`: the middleware honours no key here (no principal when it
    # runs); the handler applies the signed-in reporter's own key to a confidential report.
    opt=access(PUBLIC, anonymous=True, authenticate=False, problems=SUBMIT_PROBLEMS),
    tags=["tips"],
)
async def submit_tip(request: AnyRequest, settings: NamedDependency[Settings]) -> Response[Any]:
    """Report a crime (body: `TipCreate`). **Confidential** (`anonymous: false`, with a
    bearer token): the handling police unit knows who reported; nobody else does.
    **Anonymous** (`anonymous: true`, with or without being signed in: a token sent along is
    never read): nobody, including us, can tell who reported — no account, address, user
    agent, device or session is stored or logged (unlike VNeID's "anonymous" reports, which
    still pass the reporter's identity to the police); it needs a solved challenge
    (`proof`, from `GET /api/v1/tips/challenge`) and answers with a receipt of 20 digits,
    shown once, to follow the report up (header `X-Tip-Receipt`). Answers to a report of
    ongoing danger, refusals included, carry `emergency`: call 113 at once. A confidential
    report honours `Idempotency-Key`; an anonymous one cannot (its answer holds the receipt,
    which is never stored)."""
    body = await request.body()
    emergency = _ongoing_danger(body)
    try:
        try:
            create = msgspec.json.decode(body, type=TipCreate)
        except msgspec.ValidationError as exc:
            raise validation_failed(exc) from None
        except msgspec.DecodeError:
            from backend.errors import MalformedBody

            raise MalformedBody() from None
        reporter: Principal | None = None
        retry_key = None
        if not create.anonymous:
            reporter = await _authenticate(request, settings)
            # Idempotency for the confidential report: the person's key, as the app's
            # middleware would do for a signed-in route.
            request.scope["user"] = reporter
            retry_key = StreamedRequestKey.of(
                request.scope,  # type: ignore[arg-type]  # the ASGI scope
                settings.idempotency_ttl_hours,
            )
            if retry_key is not None:
                replay = await retry_key.check(hashlib.sha256(body).hexdigest())
                if replay is not None:
                    return replay
        submitted = await citizen.do_submit_tip(
            settings, create, reporter=reporter, client_address=_client(request)
        )
        if retry_key is not None:
            await retry_key.store(HTTP_201_CREATED, msgspec.json.encode(submitted))
        return _ok(submitted, HTTP_201_CREATED)
    except AppError as error:
        return _refusal(request, error, emergency)


async def _authenticate(request: AnyRequest, settings: Settings) -> Principal:
    authorization = request.headers.get("authorization") or ""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise tip_errors.SignInForConfidential(headers={"WWW-Authenticate": "Bearer"})
    try:
        return await authenticate_bearer(settings, token.strip())
    except InvalidToken:
        raise tip_errors.SignInForConfidential(headers={"WWW-Authenticate": "Bearer"}) from None


# --- the signed-in reporter ----------------------------------------------------------------------


@get(
    "/api/v1/tips/mine",
    opt=access(SIGNED_IN, anonymous=True),
    dependencies={"page": Provide(page_request, sync_to_thread=False)},
    tags=["tips"],
)
async def list_my_tips(
    request: AnyRequest, settings: NamedDependency[Settings], page: NamedDependency[PageRequest]
) -> Response[TipPage]:
    """The caller's confidential reports, newest first, with unread police messages counted.
    (Anonymous reports are never listed: nothing ties them to anyone.)"""
    return _ok(await citizen.list_mine(settings, signed_in(request), page))


@get(
    "/api/v1/tips/mine/{reference:str}",
    opt=access(SIGNED_IN, anonymous=True, problems=(tip_errors.TipNotFound,)),
    tags=["tips"],
)
async def get_my_tip(
    request: AnyRequest, settings: NamedDependency[Settings], reference: FromPath[str]
) -> Response[Any]:
    """One of the caller's reports: status, content, files and the message thread (the
    police's messages are marked read)."""
    try:
        caller = await citizen.access_own_tip(signed_in(request), reference)
        return _ok(await citizen.view_tip(settings, caller))
    except AppError as error:
        return _refusal(request, error)


@post(
    "/api/v1/tips/mine/{reference:str}/messages",
    status_code=HTTP_201_CREATED,
    opt=access(
        SIGNED_IN,
        anonymous=True,
        problems=(tip_errors.TipNotFound, tip_errors.TipPurged, tip_errors.MessageEmpty),
    ),
    tags=["tips"],
)
async def post_my_message(
    request: AnyRequest,
    settings: NamedDependency[Settings],
    reference: FromPath[str],
    data: JSONBody[MessageCreate],
) -> Response[MessageOut]:
    """A message to the police handling the report (files: upload them with `message_id`)."""
    caller = await citizen.access_own_tip(signed_in(request), reference)
    return _ok(
        await citizen.do_post_reporter_message(settings, caller, data.body), HTTP_201_CREATED
    )


@post(
    "/api/v1/tips/mine/{reference:str}/attachments",
    status_code=HTTP_201_CREATED,
    request_max_body_size=MAX_UPLOAD,
    opt=access(SIGNED_IN, transaction=False, anonymous=True, problems=UPLOAD_PROBLEMS),
    tags=["tips"],
)
async def upload_my_attachment(
    request: AnyRequest,
    settings: NamedDependency[Settings],
    reference: FromPath[str],
    message_id: Annotated[
        uuid.UUID | None, QueryParameter(name="message_id", description="attach to this message")
    ] = None,
) -> Response[Any]:
    """A photo, video, audio recording or PDF for the report (or one of its messages):
    `multipart/form-data` with a `file` part, or the raw bytes with `Content-Disposition`.
    The untouched original is kept sealed as evidence (with its SHA-256) beside a copy
    without metadata that officers view. Limited per report in count and total size."""
    _check_file_body(request)
    async with unit_of_work():
        caller = await citizen.access_own_tip(signed_in(request), reference)
    return await _receive(request, settings, caller, message_id)


@get(
    "/api/v1/tips/mine/{reference:str}/attachments/{attachment_id:uuid}",
    opt=access(SIGNED_IN, anonymous=True, problems=(tip_errors.TipNotFound, *READ_FILE_PROBLEMS)),
    tags=["tips"],
)
async def read_my_attachment(
    request: AnyRequest,
    settings: NamedDependency[Settings],
    reference: FromPath[str],
    attachment_id: FromPath[uuid.UUID],
) -> Response[Any]:
    """A file of the report (the copy without metadata), with `Range`."""
    caller = await citizen.access_own_tip(signed_in(request), reference)
    await citizen.check_attachment_of(caller, attachment_id)
    return await _file_response(settings, request, attachment_id)


# --- the anonymous reporter (the receipt in a header, never in a URL) ----------------------------

RECEIPT = HeaderParameter(
    name=RECEIPT_HEADER,
    description="The report's receipt (digits; spaces and dashes ignored)",
    max_length=64,
    required=False,
)


async def _by_receipt(
    request: AnyRequest, settings: Settings, receipt: str | None
) -> citizen.Caller:
    return await citizen.access_tip_by_receipt(
        settings,
        receipt,
        client_address=_client(request),
        route=str(request.scope.get("path_template")),
    )


@get(
    "/api/v1/tips/anonymous",
    opt=access(PUBLIC, **ANONYMOUS, problems=RECEIPT_PROBLEMS),
    tags=["tips"],
)
async def get_anonymous_tip(
    request: AnyRequest,
    settings: NamedDependency[Settings],
    receipt: Annotated[str | None, RECEIPT] = None,
) -> Response[Any]:
    """The anonymous report whose receipt is in `X-Tip-Receipt`: status, content, files and
    messages (the police's become read). Wrong receipts are limited per receipt, per network
    and overall (429 with `Retry-After`)."""
    try:
        caller = await _by_receipt(request, settings, receipt)
        return _ok(await citizen.view_tip(settings, caller))
    except AppError as error:
        return _refusal(request, error)


@post(
    "/api/v1/tips/anonymous/messages",
    status_code=HTTP_201_CREATED,
    opt=access(
        PUBLIC,
        **ANONYMOUS,
        problems=(*RECEIPT_PROBLEMS, tip_errors.TipPurged, tip_errors.MessageEmpty),
    ),
    tags=["tips"],
)
async def post_anonymous_message(
    request: AnyRequest,
    settings: NamedDependency[Settings],
    data: JSONBody[MessageCreate],
    receipt: Annotated[str | None, RECEIPT] = None,
) -> Response[Any]:
    """A message to the police, on the report whose receipt is in `X-Tip-Receipt`."""
    try:
        caller = await _by_receipt(request, settings, receipt)
        return _ok(
            await citizen.do_post_reporter_message(settings, caller, data.body), HTTP_201_CREATED
        )
    except AppError as error:
        return _refusal(request, error)


@post(
    "/api/v1/tips/anonymous/attachments",
    status_code=HTTP_201_CREATED,
    request_max_body_size=MAX_UPLOAD,
    opt=access(
        PUBLIC, transaction=False, **ANONYMOUS, problems=(*RECEIPT_PROBLEMS, *UPLOAD_PROBLEMS)
    ),
    tags=["tips"],
)
async def upload_anonymous_attachment(
    request: AnyRequest,
    settings: NamedDependency[Settings],
    receipt: Annotated[str | None, RECEIPT] = None,
    message_id: Annotated[
        uuid.UUID | None, QueryParameter(name="message_id", description="attach to this message")
    ] = None,
) -> Response[Any]:
    """A file for the anonymous report whose receipt is in `X-Tip-Receipt`: every piece of
    metadata is stripped (EXIF and GPS, video and audio tags, PDF document information), its
    name is dropped and no original is kept."""
    try:
        _check_file_body(request)
        async with unit_of_work():
            caller = await _by_receipt(request, settings, receipt)
    except AppError as error:
        return _refusal(request, error)
    return await _receive(request, settings, caller, message_id)


@get(
    "/api/v1/tips/anonymous/attachments/{attachment_id:uuid}",
    opt=access(PUBLIC, **ANONYMOUS, problems=(*RECEIPT_PROBLEMS, *READ_FILE_PROBLEMS)),
    tags=["tips"],
)
async def read_anonymous_attachment(
    request: AnyRequest,
    settings: NamedDependency[Settings],
    attachment_id: FromPath[uuid.UUID],
    receipt: Annotated[str | None, RECEIPT] = None,
) -> Response[Any]:
    """A file of the anonymous report (the copy without metadata), with `Range`."""
    try:
        caller = await _by_receipt(request, settings, receipt)
        await citizen.check_attachment_of(caller, attachment_id)
        return await _file_response(settings, request, attachment_id)
    except AppError as error:
        return _refusal(request, error)


ROUTE_HANDLERS: list[Any] = [
    list_offences,
    get_challenge,
    submit_tip,
    list_my_tips,
    get_my_tip,
    post_my_message,
    upload_my_attachment,
    read_my_attachment,
    get_anonymous_tip,
    post_anonymous_message,
    upload_anonymous_attachment,
    read_anonymous_attachment,
]

__all__ = [
    "ROUTE_HANDLERS",
    "AttachmentOut",
    "TipCreate",
    "TipOut",
    "TipSubmitted",
    "ValidationFailed",
]
