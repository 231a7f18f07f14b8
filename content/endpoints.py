"""Media HTTP routes: streamed uploads, the caller's media, asset status, and signed object
reads."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, head, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException, InternalServerException
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_201_CREATED

from backend.access import PUBLIC, SIGNED_IN, access, caller, roles, signed_in
from backend.http.idempotency import StreamedRequestKey
from backend.http.pagination import PageRequest, page_request
from backend.i18n import pick_language
from backend.settings import Settings
from content import errors as media_errors
from content import objects, service, uploads
from content.errors import UploadIncomplete, UploadTooLarge
from content.policy import MAX_UPLOAD_BYTES, UPLOAD_ROLES, Kind, Purpose
from content.schemas import AssetStatus, MediaAsset, MediaAssetPage
from content.storage import OBJECTS_ROUTE
from content.upload_body import UploadBody

AnyRequest = Request[Any, Any, Any]
UPLOAD_PROBLEMS = (
    media_errors.UploadPurposeForbidden,
    media_errors.UploadsInProgress,
    media_errors.UploadTooLarge,
    media_errors.UploadEmpty,
    media_errors.UploadIncomplete,
    media_errors.UploadMalformed,
    media_errors.FileTypeUnsupported,
    media_errors.FileTypeNotAllowed,
    media_errors.FileTypeMismatch,
    media_errors.ImageUnreadable,
    media_errors.ImageTooLarge,
    media_errors.StorageUnavailable,
)
"""What an upload can answer besides the edge's problems (documented in OpenAPI)."""
# What a signed URL answers besides the edge (listed in the OpenAPI document).
SIGNED_URL_PROBLEMS = (
    media_errors.SignatureInvalid,
    media_errors.SignatureExpired,
    media_errors.ObjectNotFound,
    media_errors.RangeNotSatisfiable,
    media_errors.StorageUnavailable,
)


async def _body(request: AnyRequest) -> AsyncIterator[bytes]:
    """The request body; a client that goes away mid-upload is an incomplete upload, and
    a body shorter than its announced length too."""
    announced = request.content_length
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if chunk:
                yield chunk
    except InternalServerException as exc:
        raise UploadIncomplete() from exc
    except HTTPException as exc:
        if exc.status_code == 413:
            raise UploadTooLarge() from exc
        raise
    if announced is not None and received < announced:
        raise UploadIncomplete()


class MediaController(Controller):
    path = "/api/v1/media"
    tags = ["media"]
    dependencies = {"page": Provide(page_request, sync_to_thread=False)}

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        request_max_body_size=MAX_UPLOAD_BYTES + 1024 * 1024,
        opt=access(roles(*UPLOAD_ROLES), transaction=False, problems=UPLOAD_PROBLEMS),
    )
    async def upload(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        purpose: Annotated[Purpose, QueryParameter(description="what the file is for")],
        keep_original: Annotated[
            bool, QueryParameter(description="also keep the untouched original")
        ] = False,
    ) -> Response[Any]:
        """Upload an image, video or audio file: `multipart/form-data` with a `file` field, or
        the raw bytes with their `Content-Type` (or `application/octet-stream`) and
        `Content-Disposition: attachment; filename="…"`. The body is streamed to storage; its
        type is decided from its bytes. Images are ready at once; videos and audio are
        processed in the background (poll `GET /api/v1/media/{id}`). With `Idempotency-Key`,
        a retry of the same bytes returns the first asset."""
        result = await uploads.do_upload(
            settings,
            signed_in(request),
            purpose,
            UploadBody(
                content_type=request.headers.get("content-type", ""),
                content_disposition=request.headers.get("content-disposition"),
                length=request.content_length,
                chunks=_body(request),
            ),
            keep_original=keep_original,
            language=pick_language(request.headers.get("accept-language")),
            retry_key_of=lambda: StreamedRequestKey.of(
                request.scope,  # type: ignore[arg-type]  # the ASGI scope
                settings.idempotency_ttl_hours,
            ),
        )
        if isinstance(result, MediaAsset):
            return Response(result, status_code=HTTP_201_CREATED)
        return result

    @get("/", opt=access(roles(*UPLOAD_ROLES)))
    async def list_media(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        page: NamedDependency[PageRequest],
        purpose: Annotated[Purpose | None, QueryParameter(description="what it is for")] = None,
        kind: Annotated[Kind | None, QueryParameter(description="image, video or audio")] = None,
        status: Annotated[
            AssetStatus | None, QueryParameter(description="uploaded, processing, ready, failed")
        ] = None,
    ) -> MediaAssetPage:
        """The caller's uploads, newest first, with signed URLs and who uploaded each. System
        administrators (and course administrators, for course media) also see what others
        uploaded, of what they may read."""
        return await service.list_assets(
            settings,
            signed_in(request),
            page,
            purpose=purpose,
            kind=kind,
            status=status,
            language=pick_language(request.headers.get("accept-language")),
        )

    @get("/{asset_id:uuid}", opt=access(SIGNED_IN))
    async def get_asset(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        asset_id: FromPath[uuid.UUID],
    ) -> MediaAsset:
        """Status, progress, renditions and signed URLs of an asset."""
        language = pick_language(request.headers.get("accept-language"))
        return await service.access_asset(settings, caller(request), asset_id, language)


class MediaObjectController(Controller):
    path = OBJECTS_ROUTE
    tags = ["media"]

    @get(
        "/{token:str}/{key:path}",
        opt=access(PUBLIC, transaction=False, anonymous=True, problems=SIGNED_URL_PROBLEMS),
    )
    async def read_object(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        token: FromPath[str],
        key: FromPath[str],
    ) -> Response[Any]:
        """An object through its signed URL (the signature is the credential), with Range."""
        read = await objects.read_signed_object(
            settings,
            token,
            key,
            range_header=request.headers.get("range"),
            if_none_match=request.headers.get("if-none-match"),
        )
        headers = dict(read.headers)
        media_type = headers.pop("Content-Type", None)
        if read.body is None:
            return Response(content=b"", status_code=read.status, headers=headers)
        return Stream(
            content=read.body, status_code=read.status, headers=headers, media_type=media_type
        )

    @head(
        "/{token:str}/{key:path}",
        opt=access(PUBLIC, transaction=False, anonymous=True, problems=SIGNED_URL_PROBLEMS),
    )
    async def head_object(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        token: FromPath[str],
        key: FromPath[str],
    ) -> Response[None]:
        """The headers a GET of the signed URL would answer (length, type, `Accept-Ranges`),
        without the body: players ask this before seeking."""
        read = await objects.read_signed_object(
            settings, token, key, if_none_match=request.headers.get("if-none-match"), head=True
        )
        return Response(content=None, status_code=read.status, headers=read.headers)
