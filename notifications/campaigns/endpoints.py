"""Campaign routes: communications officers write, approvers approve, both read (analytics
included)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from backend.access import access, caller, roles
from backend.http.pagination import PageRequest, page_request
from backend.settings import Settings
from notifications.campaigns import service
from notifications.campaigns.errors import (
    AudienceListTooLong,
    AudienceListUnreadable,
    CampaignAckNotInternal,
    CampaignArticleInvalid,
    CampaignAudienceEmpty,
    CampaignAudienceInvalid,
    CampaignCancelNotAllowed,
    CampaignCategoryInvalid,
    CampaignDeepLinkInvalid,
    CampaignImageInvalid,
    CampaignLastEditorApproval,
    CampaignNotCancellable,
    CampaignNotDraft,
    CampaignNotEditable,
    CampaignNotFound,
    CampaignNotListAudience,
    CampaignNotReturnable,
    CampaignNotSubmitted,
    CampaignScheduleInPast,
    CampaignSelfApproval,
    CampaignSurveyInvalid,
    CampaignTranslationInvalid,
)
from notifications.campaigns.schemas import (
    AgencyCode,
    AudienceEstimate,
    AudienceListResult,
    AudienceQuery,
    Campaign,
    CampaignAnalytics,
    CampaignCreate,
    CampaignPage,
    CampaignReturn,
    CampaignStatus,
    CampaignUpdate,
    UnacknowledgedPage,
)

AnyRequest = Request[Any, Any, Any]

WRITERS = roles(*service.WRITER_ROLES)
APPROVERS = roles(*service.APPROVER_ROLES)
READERS = roles(*service.READER_ROLES)

CONTENT_PROBLEMS = (
    CampaignCategoryInvalid,
    CampaignTranslationInvalid,
    CampaignAudienceInvalid,
    CampaignAckNotInternal,
    CampaignArticleInvalid,
    CampaignImageInvalid,
    CampaignDeepLinkInvalid,
    CampaignSurveyInvalid,
    CampaignScheduleInPast,
)
CSV = "text/csv"
MAX_LIST_BYTES = 5 * 1024 * 1024


def _csv(text: str, filename: str) -> Response[str]:
    return Response(
        text,
        media_type=f"{CSV}; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


AgencyFilter = Annotated[
    AgencyCode | None, QueryParameter(description="only the recipients of this agency")
]


class CampaignController(Controller):
    path = service.CAMPAIGNS_ROUTE
    tags = ["campaigns"]
    dependencies = {"page": Provide(page_request, sync_to_thread=False)}

    @get("/", opt=access(READERS))
    async def list_campaigns(
        self,
        request: AnyRequest,
        page: NamedDependency[PageRequest],
        status: Annotated[
            CampaignStatus | None, QueryParameter(description="only campaigns in this status")
        ] = None,
    ) -> CampaignPage:
        """Campaigns, newest first."""
        return await service.list_campaigns(caller(request), page, status=status)

    @post("/", status_code=HTTP_201_CREATED, opt=access(WRITERS, problems=CONTENT_PROBLEMS))
    async def create_campaign(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        data: JSONBody[CampaignCreate],
    ) -> Campaign:
        """A new draft campaign (a communications officer)."""
        return await service.do_create_campaign(settings, caller(request), data)

    @post(
        "/estimate",
        status_code=200,
        opt=access(READERS, problems=(CampaignAudienceInvalid, CampaignCategoryInvalid)),
    )
    async def estimate_audience(
        self, request: AnyRequest, data: JSONBody[AudienceQuery]
    ) -> AudienceEstimate:
        """How many people and devices an audience reaches now, before a campaign is saved
        (people who muted a mutable category left out)."""
        return await service.estimate_audience(caller(request), data)

    @get("/{campaign_id:uuid}", opt=access(READERS, problems=(CampaignNotFound,)))
    async def get_campaign(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        campaign_id: FromPath[uuid.UUID],
    ) -> Campaign:
        """One campaign: what changed since the submission before (`changes`) and, until it
        is approved, when it would go out if approved now (`plan`, quiet hours shown)."""
        return await service.access_campaign(settings, caller(request), campaign_id)

    @patch(
        "/{campaign_id:uuid}",
        opt=access(WRITERS, problems=(CampaignNotFound, CampaignNotEditable, *CONTENT_PROBLEMS)),
    )
    async def update_campaign(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        campaign_id: FromPath[uuid.UUID],
        data: JSONBody[CampaignUpdate],
    ) -> Campaign:
        """Change a campaign not yet sending; a submitted, approved or scheduled one goes back
        to draft."""
        return await service.do_update_campaign(settings, caller(request), campaign_id, data)

    @post(
        "/{campaign_id:uuid}/audience-list",
        status_code=200,
        request_max_body_size=MAX_LIST_BYTES,
        opt=access(
            WRITERS,
            problems=(
                CampaignNotFound,
                CampaignNotEditable,
                CampaignNotListAudience,
                AudienceListUnreadable,
                AudienceListTooLong,
            ),
        ),
    )
    async def upload_audience_list(
        self, request: AnyRequest, campaign_id: FromPath[uuid.UUID]
    ) -> AudienceListResult:
        """Replace the recipients of a `list` campaign with the people named by a body of
        personal identification numbers (12 digits), one per line: plain text, or CSV with the
        numbers in the first column. The answer counts the people found, the numbers of nobody
        known, the invalid lines and the duplicates; the numbers are never echoed nor logged."""
        body = await request.body()
        return await service.do_upload_audience_list(caller(request), campaign_id, body)

    @get("/{campaign_id:uuid}/estimate", opt=access(READERS, problems=(CampaignNotFound,)))
    async def estimate_campaign(
        self, request: AnyRequest, campaign_id: FromPath[uuid.UUID]
    ) -> AudienceEstimate:
        """How many people and devices the campaign's audience reaches now (people who muted
        a mutable category left out)."""
        return await service.estimate_campaign(caller(request), campaign_id)

    @post(
        "/{campaign_id:uuid}/submit",
        status_code=200,
        opt=access(
            WRITERS,
            problems=(
                CampaignNotFound,
                CampaignNotDraft,
                CampaignAudienceEmpty,
                CampaignScheduleInPast,
            ),
        ),
    )
    async def submit_campaign(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        campaign_id: FromPath[uuid.UUID],
    ) -> Campaign:
        """Submit a draft for approval (draft → submitted)."""
        return await service.do_submit_campaign(settings, caller(request), campaign_id)

    @post(
        "/{campaign_id:uuid}/approve",
        status_code=200,
        opt=access(
            APPROVERS,
            problems=(
                CampaignNotFound,
                CampaignNotSubmitted,
                CampaignSelfApproval,
                CampaignLastEditorApproval,
                CampaignArticleInvalid,
                CampaignImageInvalid,
            ),
        ),
    )
    async def approve_campaign(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        campaign_id: FromPath[uuid.UUID],
    ) -> Campaign:
        """Approve a submitted campaign (an approver who neither wrote nor last changed it):
        `approved` goes out now, `scheduled` at `send_after` (the time asked for, or the end
        of quiet hours for a public non-urgent campaign)."""
        return await service.do_approve_campaign(settings, caller(request), campaign_id)

    @post(
        "/{campaign_id:uuid}/return",
        status_code=200,
        opt=access(APPROVERS, problems=(CampaignNotFound, CampaignNotReturnable)),
    )
    async def return_campaign(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        campaign_id: FromPath[uuid.UUID],
        data: JSONBody[CampaignReturn],
    ) -> Campaign:
        """Return a campaign not yet sending to draft, with a comment for its writers."""
        return await service.do_return_campaign(settings, caller(request), campaign_id, data)

    @post(
        "/{campaign_id:uuid}/cancel",
        status_code=200,
        opt=access(
            READERS,
            problems=(CampaignNotFound, CampaignNotCancellable, CampaignCancelNotAllowed),
        ),
    )
    async def cancel_campaign(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        campaign_id: FromPath[uuid.UUID],
    ) -> Campaign:
        """Cancel a campaign before it is sent (its author or an approver); one being sent
        stops before its next batch."""
        return await service.do_cancel_campaign(settings, caller(request), campaign_id)

    @get("/{campaign_id:uuid}/analytics", opt=access(READERS, problems=(CampaignNotFound,)))
    async def get_analytics(
        self, request: AnyRequest, campaign_id: FromPath[uuid.UUID]
    ) -> CampaignAnalytics:
        """Audience, devices, pushes accepted and failed (by reason), opens and
        acknowledgements (unique per person), survey results, per hour and by commune or
        agency."""
        return await service.campaign_analytics(caller(request), campaign_id)

    @get(
        "/{campaign_id:uuid}/analytics.csv",
        media_type=CSV,
        opt=access(READERS, problems=(CampaignNotFound,)),
    )
    async def export_analytics(
        self, request: AnyRequest, campaign_id: FromPath[uuid.UUID]
    ) -> Response[str]:
        """The analytics as CSV (`section,key,value`; hours in Asia/Ho_Chi_Minh). Audited."""
        text = await service.export_analytics_csv(caller(request), campaign_id)
        return _csv(text, f"campaign-{campaign_id}-analytics.csv")

    @get(
        "/{campaign_id:uuid}/unacknowledged",
        opt=access(READERS, problems=(CampaignNotFound,)),
    )
    async def list_unacknowledged(
        self,
        request: AnyRequest,
        page: NamedDependency[PageRequest],
        campaign_id: FromPath[uuid.UUID],
        agency: AgencyFilter = None,
    ) -> UnacknowledgedPage:
        """Recipients of a campaign requiring acknowledgement who have not acknowledged, by
        agency (person ids, agency and commune). Audited."""
        return await service.list_unacknowledged(caller(request), campaign_id, page, agency=agency)

    @get(
        "/{campaign_id:uuid}/unacknowledged.csv",
        media_type=CSV,
        opt=access(READERS, problems=(CampaignNotFound,)),
    )
    async def export_unacknowledged(
        self,
        request: AnyRequest,
        campaign_id: FromPath[uuid.UUID],
        agency: AgencyFilter = None,
    ) -> Response[str]:
        """Every recipient who has not acknowledged, as CSV. Audited."""
        text = await service.export_unacknowledged_csv(caller(request), campaign_id, agency=agency)
        return _csv(text, f"campaign-{campaign_id}-unacknowledged.csv")


ROUTE_HANDLERS: list[Any] = [CampaignController]
