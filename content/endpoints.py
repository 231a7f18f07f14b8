"""Media HTTP routes: streamed uploads, asset status, and signed object reads."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import unquote

import msgspec
from litestar import Controller, Request, Response, get, head, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, InternalServerException
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_201_CREATED
from multipart import MultipartSegment, ParserError, PushMultipartParser

from backend.access import PUBLIC, SIGNED_IN, Principal, access, caller, roles, signed_in
from backend.db import unit_of_work
from backend.http.idempotency import StreamedRequestKey
from backend.i18n import pick_language
from backend.settings import Settings
from content import service
from content.errors import UploadIncomplete, UploadMalformed, UploadTooLarge
from content.policy import MAX_UPLOAD_BYTES, UPLOAD_ROLES, Purpose
from content.schemas import MediaAsset
from content.storage import OBJECTS_ROUTE

AnyRequest = Request[Any, Any, Any]


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


def _filename_from_disposition(header: str | None) -> str | None:
    """`filename*=UTF-8''…` (RFC 6266) or `filename="…"` from a Content-Disposition."""
    if not header:
        return None
    plain = None
    for part in header.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        name = name.strip().lower()
        value = value.strip()
        if name == "filename*" and "''" in value:
            return unquote(value.split("''", 1)[1])
        if name == "filename":
            plain = value.strip('"')
    return plain


class _MultipartFile:
    """The first file part of a multipart/form-data body, streamed."""

    def __init__(self, chunks: AsyncIterator[bytes], boundary: str) -> None:
        self._parser = PushMultipartParser(boundary, max_segment_count=16)
        self._events = self._parse(chunks)
        self.filename: str | None = None
        self.content_type: str | None = None

    async def _parse(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[Any]:
        try:
            async for chunk in chunks:
                for event in self._parser.parse(chunk):
                    yield event
            for event in self._parser.parse(b""):
                yield event
            self._parser.close()
        except ParserError as exc:
            raise UploadIncomplete() from exc

    async def open(self) -> None:
        async for event in self._events:
            if isinstance(event, MultipartSegment) and (
                event.filename is not None or event.name == "file"
            ):
                self.filename = event.filename
                self.content_type = event.content_type
                return
        raise UploadMalformed()

    async def data(self) -> AsyncIterator[bytes]:
        async for event in self._events:
            if event is None:
                return
            if isinstance(event, (bytes, bytearray)) and event:
                yield bytes(event)
        raise UploadIncomplete()


class MediaController(Controller):
    path = "/api/v1/media"
    tags = ["media"]

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        request_max_body_size=MAX_UPLOAD_BYTES + 1024 * 1024,
        opt=access(roles(*UPLOAD_ROLES), transaction=False),
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
        the raw bytes with `Content-Disposition: attachment; filename="…"`. The body is
        streamed to storage; its type is decided from its bytes. Images are ready at once;
        videos and audio are processed in the background (poll `GET /api/v1/media/{id}`).
        With `Idempotency-Key`, a retry of the same bytes returns the first asset."""
        principal = signed_in(request)
        service.check_may_upload(principal, purpose)
        with service.upload_slot(principal.id, settings.upload_concurrency_per_person):
            return await self._receive(request, settings, principal, purpose, keep_original)

    async def _receive(
        self,
        request: AnyRequest,
        settings: Settings,
        principal: Principal,
        purpose: Purpose,
        keep_original: bool,
    ) -> Response[Any]:
        retry_key = StreamedRequestKey.of(request.scope, settings.idempotency_ttl_hours)  # type: ignore[arg-type]  # the ASGI scope
        content_type = request.headers.get("content-type", "")
        media_type, _, params = content_type.partition(";")
        chunks: AsyncIterator[bytes]
        if media_type.strip().lower() == "multipart/form-data":
            boundary = next(
                (
                    value.strip().strip('"')
                    for name, _, value in (p.strip().partition("=") for p in params.split(";"))
                    if name.lower() == "boundary"
                ),
                None,
            )
            if not boundary:
                raise UploadMalformed()
            part = _MultipartFile(_body(request), boundary)
            await part.open()
            filename, declared, chunks = part.filename, part.content_type, part.data()
        else:
            filename = _filename_from_disposition(request.headers.get("content-disposition"))
            declared, chunks = media_type.strip() or None, _body(request)
        received = await service.receive_upload(
            settings,
            purpose=purpose,
            chunks=chunks,
            filename=filename,
            declared_type=declared,
            keep_original=keep_original,
            announced_size=request.content_length,
        )
        language = pick_language(request.headers.get("accept-language"))
        try:
            async with unit_of_work():
                # A retry (same key, same bytes) gets the first asset back; the bytes it sent
                # again are dropped.
                replay = await retry_key.check(received.sha256) if retry_key else None
                if replay is not None:
                    await service.discard_upload(settings, received)
                    return replay
                row = await service.do_create_asset(
                    received, created_by=principal.id, police_units=principal.police_units
                )
                asset = service.view(settings, row, language=language, include_original=True)
                if retry_key is not None:
                    await retry_key.store(HTTP_201_CREATED, msgspec.json.encode(asset))
        except BaseException:
            await service.discard_upload(settings, received)
            raise
        return Response(asset, status_code=HTTP_201_CREATED)

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
        opt=access(PUBLIC, transaction=False, anonymous=True),
        include_in_schema=False,
    )
    async def read_object(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        token: FromPath[str],
        key: FromPath[str],
    ) -> Response[Any]:
        """An object through its signed URL (the signature is the credential), with Range."""
        read = await service.read_signed_object(
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
        opt=access(PUBLIC, transaction=False, anonymous=True),
        include_in_schema=False,
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
        read = await service.read_signed_object(
            settings, token, key, if_none_match=request.headers.get("if-none-match"), head=True
        )
        return Response(content=None, status_code=read.status, headers=read.headers)
