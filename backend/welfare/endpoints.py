"""Routes of welfare status: officers under /api/v1/welfare (programmes, imports and their
reports, beneficiaries, flags, periods, payments, reconciliation, statistics, exports) and
the citizen's own status at /api/v1/welfare/me. Thin: every rule is in the service."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException, InternalServerException
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED

from backend.access import SIGNED_IN, Role, access, roles, signed_in
from backend.downloads import file_answer
from backend.http.pagination import PageRequest, page_request
from backend.settings import Settings
from backend.welfare import service
from backend.welfare.errors import (
    BeneficiaryNotFound,
    FlagAlreadyResolved,
    FlagNotFound,
    FlagReasonRequired,
    ImportFileInvalid,
    ImportMappingInvalid,
    ImportNotFound,
    ImportPeriodRequired,
    ImportTooLarge,
    PaymentNotFound,
    PaymentResultInvalid,
    PeriodExists,
    PeriodNotFound,
    ProgrammeInvalid,
)
from backend.welfare.schemas import (
    BeneficiaryDetail,
    BeneficiaryFilters,
    BeneficiaryPage,
    BeneficiaryStatus,
    Flag,
    FlagPage,
    FlagResolutionIn,
    ImportKind,
    ImportOut,
    ImportPage,
    ImportRowPage,
    MyWelfare,
    PaymentOut,
    PaymentPage,
    PaymentResultIn,
    PaymentStatus,
    Period,
    PeriodIn,
    Programme,
    ProgrammeIn,
    Reconciliation,
    RowOutcome,
    Statistics,
)
from content.errors import UploadIncomplete, UploadMalformed
from content.service import UploadBody, open_upload

AnyRequest = Request[Any, Any, Any]
OFFICER = roles(Role.WELFARE_OFFICER)
API = "/api/v1/welfare"
Format = Literal["csv", "xlsx"]


async def _body(request: AnyRequest) -> AsyncIterator[bytes]:
    try:
        async for chunk in request.stream():
            if chunk:
                yield chunk
    except InternalServerException as exc:
        raise UploadIncomplete() from exc
    except HTTPException as exc:
        if exc.status_code == 413:
            raise ImportTooLarge() from exc
        raise


class WelfareOfficerController(Controller):
    path = API
    tags = ["welfare (officers)"]
    dependencies = {"page": Provide(page_request, sync_to_thread=False)}

    # --- programmes ---

    @get("/programmes", opt=access(OFFICER))
    async def list_programmes(self) -> list[Programme]:
        """Programmes with their categories and monthly amounts."""
        return await service.list_programmes(include_inactive=True)

    @put("/programmes", opt=access(OFFICER, problems=(ProgrammeInvalid,)))
    async def put_programme(self, request: AnyRequest, data: JSONBody[ProgrammeIn]) -> Programme:
        """Create or change a programme and its categories (audited)."""
        return await service.do_upsert_programme(signed_in(request), data)

    # --- imports ---

    @post(
        "/imports",
        status_code=HTTP_202_ACCEPTED,
        request_max_body_size=2048 * 1024 * 1024,
        opt=access(
            OFFICER,
            transaction=False,
            problems=(
                ImportFileInvalid,
                ImportMappingInvalid,
                ImportPeriodRequired,
                ImportTooLarge,
                PeriodNotFound,
                UploadIncomplete,
                UploadMalformed,
            ),
        ),
    )
    async def start_import(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        kind: Annotated[
            ImportKind, QueryParameter(description="beneficiaries (a list) or payments (results)")
        ],
        period_id: Annotated[
            uuid.UUID | None, QueryParameter(description="the period of payment results")
        ] = None,
        mapping: Annotated[
            str | None,
            QueryParameter(
                description='JSON object: header as written → field, e.g. {"Số CC": "personal_id"}',
                max_length=4000,
            ),
        ] = None,
    ) -> ImportOut:
        """An .xlsx or .csv file (multipart `file` part, or the raw bytes with
        `Content-Disposition`), streamed to storage and imported by a job; poll
        GET /imports/{id} for progress. The same file again answers the first import
        (`duplicate: true`)."""
        try:
            parsed = json.loads(mapping) if mapping else {}
        except ValueError as exc:
            raise ImportMappingInvalid() from exc
        if not isinstance(parsed, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()
        ):
            raise ImportMappingInvalid()
        upload = await open_upload(
            UploadBody(
                content_type=request.headers.get("content-type", ""),
                content_disposition=request.headers.get("content-disposition"),
                length=request.content_length,
                chunks=_body(request),
            )
        )
        return await service.do_start_import(
            settings,
            signed_in(request),
            kind=kind,
            filename=upload.filename,
            chunks=upload.chunks,
            period_id=period_id,
            mapping=parsed,
        )

    @get("/imports", opt=access(OFFICER))
    async def list_imports(
        self, request: AnyRequest, page: NamedDependency[PageRequest]
    ) -> ImportPage:
        """Imports, newest first, with their progress and counts."""
        return await service.list_imports(signed_in(request), page)

    @get("/imports/{import_id:uuid}", opt=access(OFFICER, problems=(ImportNotFound,)))
    async def get_import(self, request: AnyRequest, import_id: FromPath[uuid.UUID]) -> ImportOut:
        """One import: status, progress (processed_rows of total_rows) and counts."""
        return await service.access_import(signed_in(request), import_id)

    @get("/imports/{import_id:uuid}/rows", opt=access(OFFICER, problems=(ImportNotFound,)))
    async def import_rows(
        self,
        request: AnyRequest,
        import_id: FromPath[uuid.UUID],
        page: NamedDependency[PageRequest],
        outcome: Annotated[RowOutcome | None, QueryParameter(description="only these")] = None,
    ) -> ImportRowPage:
        """The per-row report (rejected rows with the reason in Vietnamese); audited."""
        return await service.access_import_rows(
            signed_in(request), import_id, page, outcome=outcome
        )

    @get("/imports/{import_id:uuid}/report.xlsx", opt=access(OFFICER, problems=(ImportNotFound,)))
    async def import_report(
        self,
        request: AnyRequest,
        import_id: FromPath[uuid.UUID],
        outcome: Annotated[RowOutcome | None, QueryParameter(description="only these")] = None,
    ) -> Stream:
        """The per-row report as .xlsx; audited."""
        actor = signed_in(request)
        return await file_answer(
            lambda path: service.write_import_report(actor, import_id, path, outcome=outcome),
            "xlsx",
            f"ket-qua-nhap-{import_id}",
        )

    # --- beneficiaries and flags ---

    @get("/beneficiaries", opt=access(OFFICER))
    async def search(
        self,
        request: AnyRequest,
        page: NamedDependency[PageRequest],
        q: Annotated[
            str | None,
            QueryParameter(
                description="a name (no diacritics needed) or a personal id", max_length=200
            ),
        ] = None,
        commune: Annotated[str | None, QueryParameter(pattern=r"^\d{5}$")] = None,
        programme: Annotated[str | None, QueryParameter(max_length=40)] = None,
        status: Annotated[
            BeneficiaryStatus | None, QueryParameter(description="active, review or rejected")
        ] = None,
        flagged: Annotated[
            bool | None, QueryParameter(description="true: with an open flag; false: without")
        ] = None,
    ) -> BeneficiaryPage:
        """Beneficiaries in the caller's communes, by name; audited."""
        filters = BeneficiaryFilters(
            query=q,
            commune_code=commune,
            programme_code=programme.upper() if programme else None,
            status=status,
            flagged=flagged,
        )
        return await service.search_beneficiaries(signed_in(request), filters, page)

    @get("/beneficiaries/export", opt=access(OFFICER))
    async def export_beneficiaries(
        self,
        request: AnyRequest,
        format: Format = "csv",
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
        commune: Annotated[str | None, QueryParameter(pattern=r"^\d{5}$")] = None,
        programme: Annotated[str | None, QueryParameter(max_length=40)] = None,
        status: Annotated[
            BeneficiaryStatus | None, QueryParameter(description="active, review or rejected")
        ] = None,
        flagged: Annotated[
            bool | None, QueryParameter(description="true: with an open flag; false: without")
        ] = None,
    ) -> Stream:
        """The beneficiaries the filters select, as CSV or xlsx; audited."""
        actor = signed_in(request)
        filters = BeneficiaryFilters(
            query=q,
            commune_code=commune,
            programme_code=programme.upper() if programme else None,
            status=status,
            flagged=flagged,
        )
        return await file_answer(
            lambda path: service.export_beneficiaries(actor, filters, format, path),
            format,
            "doi-tuong-tro-cap",
        )

    @get(
        "/beneficiaries/{beneficiary_id:uuid}",
        opt=access(OFFICER, problems=(BeneficiaryNotFound,)),
    )
    async def get_beneficiary(
        self, request: AnyRequest, beneficiary_id: FromPath[uuid.UUID]
    ) -> BeneficiaryDetail:
        """One beneficiary's record; every read is audited."""
        return await service.access_beneficiary(signed_in(request), beneficiary_id)

    @get("/flags", opt=access(OFFICER))
    async def list_flags(
        self,
        request: AnyRequest,
        page: NamedDependency[PageRequest],
        status: Annotated[
            Literal["open", "resolved", "all"], QueryParameter(description="default: open")
        ] = "open",
    ) -> FlagPage:
        """Mismatches against identity, the list's and identity's values side by side."""
        return await service.list_flags(
            signed_in(request), page, status=None if status == "all" else status
        )

    @post(
        "/flags/{flag_id:uuid}/resolve",
        status_code=200,
        opt=access(OFFICER, problems=(FlagNotFound, FlagAlreadyResolved, FlagReasonRequired)),
    )
    async def resolve_flag(
        self, request: AnyRequest, flag_id: FromPath[uuid.UUID], data: JSONBody[FlagResolutionIn]
    ) -> Flag:
        """accept_identity, keep_list (with a reason) or reject; audited."""
        return await service.do_resolve_flag(signed_in(request), flag_id, data)

    # --- periods and payments ---

    @get("/periods", opt=access(OFFICER))
    async def list_periods(self, request: AnyRequest) -> list[Period]:
        """Periods, newest first, with their progress in the caller's communes."""
        return await service.list_periods(signed_in(request))

    @post(
        "/periods",
        status_code=HTTP_201_CREATED,
        opt=access(OFFICER, problems=(PeriodExists,)),
    )
    async def create_period(
        self, request: AnyRequest, settings: NamedDependency[Settings], data: JSONBody[PeriodIn]
    ) -> Period:
        return await service.do_create_period(settings, signed_in(request), data)

    @get("/periods/{period_id:uuid}", opt=access(OFFICER, problems=(PeriodNotFound,)))
    async def get_period(self, request: AnyRequest, period_id: FromPath[uuid.UUID]) -> Period:
        return await service.access_period(signed_in(request), period_id)

    @post(
        "/periods/{period_id:uuid}/generate",
        status_code=200,
        opt=access(OFFICER, problems=(PeriodNotFound,)),
    )
    async def generate(self, request: AnyRequest, period_id: FromPath[uuid.UUID]) -> Period:
        """Expected payments from the active beneficiaries (idempotent)."""
        return await service.do_generate_payments(signed_in(request), period_id)

    @get("/periods/{period_id:uuid}/payments", opt=access(OFFICER, problems=(PeriodNotFound,)))
    async def list_payments(
        self,
        request: AnyRequest,
        period_id: FromPath[uuid.UUID],
        page: NamedDependency[PageRequest],
        status: Annotated[
            PaymentStatus | None, QueryParameter(description="pending, paid, failed, returned")
        ] = None,
        commune: Annotated[str | None, QueryParameter(pattern=r"^\d{5}$")] = None,
        programme: Annotated[str | None, QueryParameter(max_length=40)] = None,
    ) -> PaymentPage:
        return await service.list_payments(
            signed_in(request),
            period_id,
            page,
            status=status,
            commune_code=commune,
            programme_code=programme.upper() if programme else None,
        )

    @put(
        "/payments/{payment_id:uuid}/result",
        opt=access(OFFICER, problems=(PaymentNotFound, PaymentResultInvalid)),
    )
    async def record_payment(
        self, request: AnyRequest, payment_id: FromPath[uuid.UUID], data: JSONBody[PaymentResultIn]
    ) -> PaymentOut:
        """Paid (date, transaction reference), failed or returned (reason); the citizen is
        notified when paid or failed. Audited."""
        return await service.do_record_payment(signed_in(request), payment_id, data)

    @get(
        "/periods/{period_id:uuid}/reconciliation",
        opt=access(OFFICER, problems=(PeriodNotFound,)),
    )
    async def reconciliation(
        self, request: AnyRequest, period_id: FromPath[uuid.UUID]
    ) -> Reconciliation:
        """Expected, paid, failed, returned, pending and amounts by commune and programme."""
        return await service.reconcile(signed_in(request), period_id)

    @get(
        "/periods/{period_id:uuid}/reconciliation/export",
        opt=access(OFFICER, problems=(PeriodNotFound,)),
    )
    async def export_reconciliation(
        self,
        request: AnyRequest,
        period_id: FromPath[uuid.UUID],
        format: Format = "csv",
    ) -> Stream:
        actor = signed_in(request)
        return await file_answer(
            lambda path: service.export_reconciliation(actor, period_id, format, path),
            format,
            f"doi-soat-{period_id}",
        )

    @get("/statistics", opt=access(OFFICER))
    async def statistics(self, request: AnyRequest) -> Statistics:
        return await service.statistics(signed_in(request))


class WelfareCitizenController(Controller):
    path = API
    tags = ["welfare"]

    @get("/me", opt=access(SIGNED_IN, cache_control="private, no-store"))
    async def me(self, request: AnyRequest) -> MyWelfare:
        """The caller's programmes, amounts, channel (account masked), next payment and
        history; an empty, friendly answer when they are on no list."""
        return await service.my_welfare(signed_in(request))


ROUTE_HANDLERS: list[Any] = [WelfareCitizenController, WelfareOfficerController]
