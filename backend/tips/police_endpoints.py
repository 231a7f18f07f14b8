"""Police routes of crime reports, under /api/v1/police/tips: the queue, a report, its
workflow, messages to the reporter, files, the duty roster, statistics and the CSV export.
Thin: every rule is in `police` (and `workflow`, `duty`, `stats`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException, InternalServerException
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_201_CREATED

from backend.access import access, caller, roles, signed_in
from backend.http.pagination import PageRequest, page_request
from backend.settings import Settings
from backend.tips import police, stats
from backend.tips.errors import (
    AttachmentLimitReached,
    AttachmentTypeNotAllowed,
    AttachmentUnreadable,
    TipAttachmentNotFound,
    TipMessageNotFound,
    TipNotFound,
    TipPurged,
)
from backend.tips.police_errors import (
    PoliceUnitNotFound,
    TipActionForbidden,
    TipDuplicateInvalid,
    TipDutyInvalid,
    TipFilterInvalid,
    TipMessageInvalid,
    TipOfficerInvalid,
    TipOutcomeRequired,
    TipReasonRequired,
    TipTransitionInvalid,
    TipUnitInvalid,
    TipVersionConflict,
)
from backend.tips.police_schemas import (
    AssignIn,
    AttachmentOut,
    CloseIn,
    DutyIn,
    DutyRoster,
    MessageIn,
    MessageOut,
    Officer,
    QueueCounts,
    QueuePage,
    ReopenIn,
    StatisticsFilters,
    TipDetail,
    TipFilters,
    TipStatistics,
    TipWorkflow,
    TransferIn,
    TriageIn,
    UnitCode,
    UrgencyFilter,
    VersionIn,
)
from backend.tips.streaming import attachment_response, byte_range
from backend.tips.workflow import Status
from content.errors import (
    FileTypeMismatch,
    FileTypeUnsupported,
    RangeNotSatisfiable,
    UploadEmpty,
    UploadIncomplete,
    UploadTooLarge,
)
from content.service import UploadBody

AnyRequest = Request[Any, Any, Any]
POLICE = roles(*police.POLICE_ROLES)
CHANGE_PROBLEMS = (TipNotFound, TipVersionConflict, TipTransitionInvalid, TipActionForbidden)
ATTACHMENT_UPLOAD_BYTES = 300 * 1024 * 1024 + 1024 * 1024
NOT_FILES = frozenset({"application/json", "application/x-www-form-urlencoded", "text/plain"})
"""Declared types no photo, video, audio file or PDF arrives with."""


async def _body(request: AnyRequest) -> AsyncIterator[bytes]:
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


class PoliceTipController(Controller):
    path = police.API
    tags = ["crime reports (police)"]
    dependencies = {"page": Provide(page_request, sync_to_thread=False)}

    @get("/", opt=access(POLICE, problems=(TipFilterInvalid,)))
    async def list_queue(
        self,
        request: AnyRequest,
        page: NamedDependency[PageRequest],
        status: Annotated[
            list[Status] | None,
            QueryParameter(description="statuses (repeat); default every status but closed"),
        ] = None,
        offence: Annotated[
            list[str] | None, QueryParameter(description="offence types (repeat): any of them")
        ] = None,
        unit: Annotated[
            str | None,
            QueryParameter(description="a unit code of yours, or `provincial`", max_length=40),
        ] = None,
        urgency: Annotated[
            list[UrgencyFilter] | None,
            QueryParameter(description="urgencies (repeat); `none`: not triaged yet"),
        ] = None,
        created_from: Annotated[
            datetime | None, QueryParameter(name="from", description="received at or after")
        ] = None,
        created_to: Annotated[
            datetime | None, QueryParameter(name="to", description="received before")
        ] = None,
        assigned: Annotated[
            str | None,
            QueryParameter(description="`me`, `none`, or an officer's id", max_length=36),
        ] = None,
        commune: Annotated[
            str | None, QueryParameter(description="commune code", pattern=r"^\d{5}$")
        ] = None,
        q: Annotated[
            str | None,
            QueryParameter(
                description=(
                    "a reference (TN-2026-000123, or its last digits), or words searched in"
                    " the decrypted content (bounded per request: see `search`; audited)"
                ),
                max_length=200,
            ),
        ] = None,
    ) -> QueuePage:
        """The reports of the caller's unit(s) and those assigned to them, most urgent first
        (emergency, untriaged with danger now, high, untriaged, normal, low), then oldest."""
        filters = TipFilters(
            statuses=tuple(status or ()),
            offences=tuple(offence or ()),
            unit=unit,
            urgencies=tuple(urgency or ()),
            created_from=created_from,
            created_to=created_to,
            assigned=assigned,
            commune=commune,
            q=q,
        )
        return await police.list_queue(caller(request), filters, page)

    @get("/counts", opt=access(POLICE, etag=True, cache_control="private, no-cache"))
    async def queue_counts(self, request: AnyRequest) -> QueueCounts:
        """Open reports the caller sees by status and urgency (badges; ETag, so polling
        costs little)."""
        return await police.queue_counts(caller(request))

    @get("/statistics", opt=access(POLICE, problems=(TipFilterInvalid,)))
    async def statistics(
        self,
        request: AnyRequest,
        unit: Annotated[
            str | None,
            QueryParameter(description="one of your units, or `provincial`", max_length=40),
        ] = None,
        created_from: Annotated[
            datetime | None, QueryParameter(name="from", description="received at or after")
        ] = None,
        created_to: Annotated[
            datetime | None, QueryParameter(name="to", description="received before")
        ] = None,
    ) -> TipStatistics:
        """Counts by offence type, commune, status, urgency, outcome and week; median hours to
        triage and to close (purged reports included: their statistics row is kept)."""
        filters = StatisticsFilters(unit=unit, created_from=created_from, created_to=created_to)
        return await stats.statistics(caller(request), filters)

    @get("/export.csv", opt=access(POLICE, problems=(TipFilterInvalid,)))
    async def export_csv(
        self,
        request: AnyRequest,
        unit: Annotated[
            str | None,
            QueryParameter(description="one of your units, or `provincial`", max_length=40),
        ] = None,
        created_from: Annotated[
            datetime | None, QueryParameter(name="from", description="received at or after")
        ] = None,
        created_to: Annotated[
            datetime | None, QueryParameter(name="to", description="received before")
        ] = None,
    ) -> Response[str]:
        """The reports the statistics count, one CSV line each, without content or reporter
        (audited)."""
        filters = StatisticsFilters(unit=unit, created_from=created_from, created_to=created_to)
        text = await stats.export_csv(caller(request), filters)
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": 'attachment; filename="tin-bao.csv"',
                "Cache-Control": "private, no-store",
            },
        )

    @get("/duty/{unit_code:str}", opt=access(POLICE, problems=(PoliceUnitNotFound,)))
    async def get_duty(self, request: AnyRequest, unit_code: FromPath[UnitCode]) -> DutyRoster:
        """Who an emergency report of the unit alerts now: the roster its supervisors set,
        or every officer of the unit when nobody is on it."""
        return await police.get_duty(caller(request), unit_code)

    @put(
        "/duty/{unit_code:str}",
        opt=access(POLICE, problems=(PoliceUnitNotFound, TipActionForbidden, TipDutyInvalid)),
    )
    async def set_duty(
        self, request: AnyRequest, unit_code: FromPath[UnitCode], data: JSONBody[DutyIn]
    ) -> DutyRoster:
        """A supervisor sets the unit's duty roster (empty: every officer); audited."""
        return await police.do_set_duty(caller(request), unit_code, data.officers, until=data.until)

    @get(
        "/{tip_id:uuid}",
        opt=access(POLICE, problems=(TipNotFound,), cache_control="private, no-store"),
    )
    async def get_report(self, request: AnyRequest, tip_id: FromPath[uuid.UUID]) -> TipDetail:
        """The report decrypted, its reporter (confidential reports), files, messages, history
        and the actions the caller may take. Every read is audited. A report of another unit
        is 404."""
        return await police.get_report(caller(request), tip_id)

    @get("/{tip_id:uuid}/officers", opt=access(POLICE, problems=(TipNotFound,)))
    async def officers(self, request: AnyRequest, tip_id: FromPath[uuid.UUID]) -> list[Officer]:
        """Members of the report's unit it may be assigned to, with who is on duty."""
        return await police.assignable_officers(caller(request), tip_id)

    @get(
        "/{tip_id:uuid}/attachments/{attachment_id:uuid}",
        opt=access(
            POLICE, problems=(TipNotFound, TipAttachmentNotFound, TipPurged, RangeNotSatisfiable)
        ),
    )
    async def read_attachment(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        tip_id: FromPath[uuid.UUID],
        attachment_id: FromPath[uuid.UUID],
        original: Annotated[
            bool, QueryParameter(description="the untouched original (confidential reports)")
        ] = False,
    ) -> Stream:
        """A file of the report, decrypted as it is sent: the viewable copy, or the original
        kept as evidence. One `Range: bytes=a-b` is honoured (video seeking). Audited."""
        requested = byte_range(request.headers.get("range"))
        read = await police.read_attachment(
            settings,
            caller(request),
            tip_id,
            attachment_id,
            original=original,
            byte_range=requested,
        )
        return attachment_response(read, requested, original=original)

    @post(
        "/{tip_id:uuid}/triage",
        status_code=200,
        opt=access(POLICE, problems=CHANGE_PROBLEMS),
    )
    async def triage(
        self, request: AnyRequest, tip_id: FromPath[uuid.UUID], data: JSONBody[TriageIn]
    ) -> TipWorkflow:
        """Set the urgency (received → triaged; later, a change of urgency). An emergency
        alerts the unit's on-duty officers at once."""
        return await police.do_triage(
            caller(request), tip_id, data.urgency, expected_version=data.version
        )

    @post(
        "/{tip_id:uuid}/assign",
        status_code=200,
        opt=access(POLICE, problems=(*CHANGE_PROBLEMS, TipOfficerInvalid)),
    )
    async def assign(
        self, request: AnyRequest, tip_id: FromPath[uuid.UUID], data: JSONBody[AssignIn]
    ) -> TipWorkflow:
        """Assign the report to an officer of its unit (a supervisor), or take it (an
        officer, for themselves); the officer is notified."""
        return await police.do_assign(
            caller(request), tip_id, data.officer_id, expected_version=data.version
        )

    @post(
        "/{tip_id:uuid}/start-investigation",
        status_code=200,
        opt=access(POLICE, problems=CHANGE_PROBLEMS),
    )
    async def start_investigation(
        self, request: AnyRequest, tip_id: FromPath[uuid.UUID], data: JSONBody[VersionIn]
    ) -> TipWorkflow:
        """assigned → investigating."""
        return await police.do_start_investigation(
            caller(request), tip_id, expected_version=data.version
        )

    @post(
        "/{tip_id:uuid}/close",
        status_code=200,
        opt=access(POLICE, problems=(*CHANGE_PROBLEMS, TipOutcomeRequired, TipDuplicateInvalid)),
    )
    async def close(
        self, request: AnyRequest, tip_id: FromPath[uuid.UUID], data: JSONBody[CloseIn]
    ) -> TipWorkflow:
        """Close with an outcome (resolved, unfounded, transferred, duplicate — naming the
        other report by id or reference)."""
        return await police.do_close(
            caller(request),
            tip_id,
            data.outcome,
            duplicate_of=data.duplicate_of,
            note=data.note,
            expected_version=data.version,
        )

    @post(
        "/{tip_id:uuid}/reopen",
        status_code=200,
        opt=access(POLICE, problems=(*CHANGE_PROBLEMS, TipReasonRequired)),
    )
    async def reopen(
        self, request: AnyRequest, tip_id: FromPath[uuid.UUID], data: JSONBody[ReopenIn]
    ) -> TipWorkflow:
        """Move the report back (reopen a closed one: supervisors), with a reason."""
        return await police.do_reopen(
            caller(request),
            tip_id,
            reason=data.reason,
            to_status=data.to_status,
            expected_version=data.version,
        )

    @post(
        "/{tip_id:uuid}/transfer",
        status_code=200,
        opt=access(POLICE, problems=(*CHANGE_PROBLEMS, TipReasonRequired, TipUnitInvalid)),
    )
    async def transfer(
        self, request: AnyRequest, tip_id: FromPath[uuid.UUID], data: JSONBody[TransferIn]
    ) -> TipWorkflow:
        """Hand the report to another unit (`unit_code` null: the provincial queue), with a
        reason (supervisors); the unit is notified."""
        return await police.do_transfer(
            caller(request),
            tip_id,
            data.unit_code,
            reason=data.reason,
            expected_version=data.version,
        )

    @post(
        "/{tip_id:uuid}/messages",
        status_code=HTTP_201_CREATED,
        opt=access(
            POLICE, problems=(TipNotFound, TipPurged, TipActionForbidden, TipMessageInvalid)
        ),
    )
    async def post_message(
        self, request: AnyRequest, tip_id: FromPath[uuid.UUID], data: JSONBody[MessageIn]
    ) -> MessageOut:
        """A message to the reporter (a confidential report's reporter is notified; an
        anonymous one reads it with their receipt). Files follow, one request each."""
        return await police.do_post_message(caller(request), tip_id, data.body)

    @post(
        "/{tip_id:uuid}/messages/{message_id:uuid}/attachments",
        status_code=HTTP_201_CREATED,
        request_max_body_size=ATTACHMENT_UPLOAD_BYTES,
        opt=access(
            POLICE,
            transaction=False,
            problems=(
                TipNotFound,
                TipMessageNotFound,
                TipPurged,
                TipActionForbidden,
                AttachmentLimitReached,
                AttachmentTypeNotAllowed,
                AttachmentUnreadable,
                FileTypeMismatch,
                FileTypeUnsupported,
                UploadEmpty,
                UploadIncomplete,
                UploadTooLarge,
            ),
        ),
    )
    async def add_message_attachment(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        tip_id: FromPath[uuid.UUID],
        message_id: FromPath[uuid.UUID],
    ) -> AttachmentOut:
        """A photo, video, audio file or PDF added to the caller's own message: multipart
        with a `file` part, or the raw bytes with `Content-Disposition`. Sealed and stripped
        of metadata like the reporter's files."""
        content_type = request.headers.get("content-type", "")
        if content_type.partition(";")[0].strip().lower() in NOT_FILES:
            # Refused by its declared type before anything is looked up or read.
            raise FileTypeUnsupported()
        return await police.do_add_message_attachment(
            settings,
            signed_in(request),
            tip_id,
            message_id,
            UploadBody(
                content_type=request.headers.get("content-type", ""),
                content_disposition=request.headers.get("content-disposition"),
                length=request.content_length,
                chunks=_body(request),
            ),
        )


ROUTE_HANDLERS: list[Any] = [PoliceTipController]
