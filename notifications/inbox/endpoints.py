"""Inbox routes: the signed-in person's notifications, their unread count, and what they do
with an entry (open it, acknowledge it, answer its survey)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Redirect

from backend.access import SIGNED_IN, access, signed_in
from backend.http.pagination import PageRequest, page_request
from backend.settings import Settings
from notifications.inbox import service
from notifications.inbox.errors import (
    AcknowledgementNotRequired,
    InboxEntryNotFound,
    InboxImageNotFound,
    SurveyAnswerInvalid,
    SurveyNotAvailable,
)
from notifications.inbox.schemas import InboxEntry, InboxPage, SurveyAnswerCreate, UnreadCount

AnyRequest = Request[Any, Any, Any]
NOT_FOUND = (InboxEntryNotFound,)


class InboxController(Controller):
    path = service.INBOX_ROUTE
    tags = ["notifications"]
    dependencies = {"page": Provide(page_request, sync_to_thread=False)}

    @get("/", opt=access(SIGNED_IN, transaction="read"))
    async def list_inbox(
        self, request: AnyRequest, page: NamedDependency[PageRequest]
    ) -> InboxPage:
        """The caller's inbox, newest first: campaigns addressed to them (everyone, their
        commune, their agency or them by name; not those of categories they muted) and their
        personal notifications; each in their language (Vietnamese when not translated), with
        what they opened, acknowledged and answered; and the unread count of the whole inbox."""
        return await service.list_inbox(signed_in(request).id, page)

    @get("/unread-count", opt=access(SIGNED_IN, transaction="read"))
    async def unread_count(self, request: AnyRequest) -> UnreadCount:
        """How many entries of the caller's inbox they have not opened (the app's badge)."""
        return await service.unread_count(signed_in(request).id)

    @get(
        "/{entry_id:uuid}",
        opt=access(SIGNED_IN, transaction="read", problems=NOT_FOUND),
    )
    async def get_entry(self, request: AnyRequest, entry_id: FromPath[uuid.UUID]) -> InboxEntry:
        """One entry (where a push opens the app); reading it here does not mark it opened."""
        return await service.access_entry(signed_in(request).id, entry_id)

    @get(
        "/{entry_id:uuid}/image",
        opt=access(SIGNED_IN, problems=(*NOT_FOUND, InboxImageNotFound)),
    )
    async def get_image(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        entry_id: FromPath[uuid.UUID],
        rendition: Annotated[
            Literal["display", "thumbnail"], QueryParameter(description="image size")
        ] = "display",
    ) -> Redirect:
        """A redirect to a freshly signed URL of the entry's image."""
        url = await service.access_image_url(settings, signed_in(request).id, entry_id, rendition)
        max_age = min(600, settings.media_url_ttl_seconds // 2)
        return Redirect(
            url, status_code=302, headers={"Cache-Control": f"private, max-age={max_age}"}
        )

    @post("/{entry_id:uuid}/read", status_code=200, opt=access(SIGNED_IN, problems=NOT_FOUND))
    async def read_entry(self, request: AnyRequest, entry_id: FromPath[uuid.UUID]) -> InboxEntry:
        """Mark the entry opened (idempotent: the first time is the one recorded)."""
        return await service.do_read(signed_in(request), entry_id)

    @post(
        "/{entry_id:uuid}/acknowledge",
        status_code=200,
        opt=access(SIGNED_IN, problems=(*NOT_FOUND, AcknowledgementNotRequired)),
    )
    async def acknowledge_entry(
        self, request: AnyRequest, entry_id: FromPath[uuid.UUID]
    ) -> InboxEntry:
        """Acknowledge an entry that asks for it (an internal circular); it is opened too.
        409 `inbox_ack_not_required` for any other entry."""
        return await service.do_acknowledge(signed_in(request), entry_id)

    @post(
        "/{entry_id:uuid}/survey",
        status_code=200,
        opt=access(SIGNED_IN, problems=(*NOT_FOUND, SurveyNotAvailable, SurveyAnswerInvalid)),
    )
    async def answer_survey(
        self,
        request: AnyRequest,
        entry_id: FromPath[uuid.UUID],
        data: JSONBody[SurveyAnswerCreate],
    ) -> InboxEntry:
        """Answer the campaign's survey: `choices` (option indexes: exactly one for a single
        choice, one or more for multiple choice) or `rating` (1–5). Answering again replaces
        the earlier answer; the campaign is opened too."""
        return await service.do_answer_survey(signed_in(request), entry_id, data)


ROUTE_HANDLERS: list[Any] = [InboxController]
