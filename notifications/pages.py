"""Staff console pages of communications (see backend.console.shell): campaigns — the list with
its status counts, the editor (translations side by side, survey builder, audience picker with
the province's tile map, live audience and device estimate, the phone preview, scheduling with
the quiet-hours rule), the campaign's page (uploaded list of recipients, submit, cancel), the
approver's screen (what changed since the submission before; approve, return with a comment,
cancel) and the analytics page (counts, SVG charts, who has not acknowledged, CSV exports).

Every page calls the campaigns service (`notifications.campaigns.service`) as the API does;
templates in notifications/templates/notifications/, script and styles in notifications/static/.
"""

from __future__ import annotations

import difflib
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Template
from markupsafe import Markup, escape

from backend.access import Principal, caller, roles
from backend.console.charts import Bar, bar_chart
from backend.console.format import VIETNAM, datetime_vn
from backend.console.forms import form_failure
from backend.console.shell import (
    Attention,
    MenuEntry,
    access,
    is_partial,
    language_of,
    redirect,
    render,
)
from backend.errors import AppError
from backend.http.pagination import PageRequest
from backend.identity.service import list_agencies
from backend.settings import Settings
from content import service as content
from content.schemas import AssetStatus
from notifications.campaigns import service
from notifications.campaigns.errors import (
    CampaignAckNotInternal,
    CampaignArticleInvalid,
    CampaignAudienceInvalid,
    CampaignCategoryInvalid,
    CampaignDeepLinkInvalid,
    CampaignImageInvalid,
    CampaignNotEditable,
    CampaignScheduleInPast,
    CampaignSurveyInvalid,
    CampaignTranslationInvalid,
)
from notifications.campaigns.schedule import plan_send
from notifications.campaigns.schemas import (
    PUBLIC_AUDIENCES,
    AudienceEstimate,
    AudienceKind,
    AudienceQuery,
    Campaign,
    CampaignAnalytics,
    CampaignCreate,
    CampaignReturn,
    CampaignStatus,
    CampaignUpdate,
    FieldChange,
    SurveyKind,
    Translation,
)
from notifications.categories import BY_CODE, CATEGORIES, LANGUAGES
from notifications.province_map import province_map

AnyRequest = Request[Any, Any, Any]
READERS = roles(*service.READER_ROLES)
WRITERS = roles(*service.WRITER_ROLES)
APPROVERS = roles(*service.APPROVER_ROLES)
ROOT = "/console/campaigns"
PAGE_SIZE = 20
UNACK_PAGE_SIZE = 50
OPTION_ROWS = service.MAX_OPTIONS
TRANSLATED = tuple(code for code in LANGUAGES if code != "vi")
POLLED = (CampaignStatus.APPROVED, CampaignStatus.SENDING)
"""While a campaign is in these, its analytics refresh themselves."""

STATUS_LABELS: dict[str, tuple[str, str, str]] = {
    CampaignStatus.DRAFT: ("Nháp", "Draft", "muted"),
    CampaignStatus.SUBMITTED: ("Chờ duyệt", "Waiting for approval", "warn"),
    CampaignStatus.APPROVED: ("Đã duyệt, sắp gửi", "Approved, about to send", "info"),
    CampaignStatus.SCHEDULED: ("Đã hẹn giờ gửi", "Scheduled", "info"),
    CampaignStatus.SENDING: ("Đang gửi", "Sending", "info"),
    CampaignStatus.SENT: ("Đã gửi", "Sent", "ok"),
    CampaignStatus.CANCELLED: ("Đã hủy", "Cancelled", "bad"),
}
AUDIENCE_LABELS: dict[str, tuple[str, str]] = {
    AudienceKind.CITIZENS: ("Mọi công dân trong tỉnh", "Every citizen of the province"),
    AudienceKind.COMMUNES: ("Công dân của các xã, phường được chọn", "Citizens of chosen communes"),
    AudienceKind.CIVIL_SERVANTS: ("Mọi cán bộ, công chức", "Every civil servant"),
    AudienceKind.AGENCIES: ("Cán bộ của các cơ quan được chọn", "Staff of chosen agencies"),
    AudienceKind.LIST: (
        "Danh sách số định danh cá nhân tải lên",
        "An uploaded list of personal identification numbers",
    ),
}
SURVEY_KINDS: dict[str, tuple[str, str]] = {
    SurveyKind.SINGLE: ("Chọn một đáp án", "Single choice"),
    SurveyKind.MULTIPLE: ("Chọn nhiều đáp án", "Multiple choice"),
    SurveyKind.RATING: ("Đánh giá từ 1 đến 5 sao", "Rating from 1 to 5 stars"),
}
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "title": ("Tiêu đề", "Title"),
    "body": ("Nội dung", "Body"),
    "translations": ("Bản dịch", "Translations"),
    "category": ("Loại thông báo", "Category"),
    "urgent": ("Khẩn", "Urgent"),
    "requires_ack": ("Yêu cầu xác nhận đã đọc", "Requires acknowledgement"),
    "article_id": ("Bài viết đính kèm", "Linked article"),
    "image_asset_id": ("Ảnh", "Image"),
    "deep_link": ("Liên kết khi chạm", "Link on tap"),
    "survey": ("Khảo sát", "Survey"),
    "audience_kind": ("Đối tượng nhận", "Audience"),
    "audience_communes": ("Xã, phường", "Communes"),
    "audience_agencies": ("Cơ quan", "Agencies"),
    "audience_list": ("Danh sách người nhận", "Recipient list"),
    "audience_list_size": ("Số người trong danh sách", "People on the list"),
    "scheduled_for": ("Thời điểm hẹn gửi", "Scheduled time"),
}
FIELD_ERRORS: dict[str, tuple[str, str]] = {
    "title": ("Nhập tiêu đề (tối đa 200 ký tự).", "Enter a title (at most 200 characters)."),
    "body": ("Nhập nội dung (tối đa 4.000 ký tự).", "Enter a body (at most 4,000 characters)."),
    "translation": (
        "Bản dịch cần cả tiêu đề (tối đa 200 ký tự) và nội dung (tối đa 4.000 ký tự).",
        "A translation needs both a title (at most 200 characters) and a body (at most 4,000).",
    ),
    "category": ("Chọn loại thông báo.", "Choose a category."),
    "deep_link": ("Liên kết dài tối đa 500 ký tự.", "The link takes at most 500 characters."),
    "article_id": ("Bài viết không hợp lệ.", "Invalid article."),
    "image_asset_id": ("Ảnh không hợp lệ.", "Invalid image."),
    "survey": (
        "Câu hỏi khảo sát tối đa 300 ký tự, mỗi lựa chọn tối đa 100 ký tự.",
        "The survey question takes at most 300 characters, each option at most 100.",
    ),
    "audience": ("Chọn đối tượng nhận hợp lệ.", "Choose a valid audience."),
    "scheduled_for": (
        "Nhập ngày giờ theo dạng ngày/tháng/năm giờ:phút.",
        "Enter a date and time (day/month/year hour:minute).",
    ),
    "comment": (
        "Nhập nhận xét cho người soạn (tối đa 2.000 ký tự).",
        "Write a comment for the writers (at most 2,000 characters).",
    ),
}
"""What to tell the person about a field the form could not read (msgspec names the field)."""

MENU = [
    MenuEntry(
        "/campaigns",
        "Chiến dịch thông báo",
        "Campaigns",
        READERS,
        group_vi="Truyền thông",
        group_en="Communications",
    )
]


# --- home cards --------------------------------------------------------------------------------


async def attention(principal: Principal) -> list[Attention]:
    """Approvers: campaigns waiting for their decision. Writers: their drafts an approver
    returned with a comment."""
    cards: list[Attention] = []
    if APPROVERS.admits(principal):
        waiting = await service.count_submitted(principal)
        cards.append(
            Attention(
                title_vi="Chiến dịch chờ duyệt",
                title_en="Campaigns waiting for approval",
                href=f"{ROOT}?status=submitted",
                count=waiting,
                tone="warn" if waiting else "ok",
            )
        )
    if WRITERS.admits(principal):
        returned = await service.count_returned_to(principal)
        if returned:
            cards.append(
                Attention(
                    title_vi="Chiến dịch bị trả lại",
                    title_en="Campaigns returned to you",
                    href=f"{ROOT}?status=draft",
                    count=returned,
                    detail_vi="Người duyệt đã gửi nhận xét; sửa rồi gửi duyệt lại.",
                    detail_en="An approver left a comment; revise and submit again.",
                    tone="warn",
                )
            )
    return cards


# --- the editor's form ---------------------------------------------------------------------------


def _checked(form: FormMultiDict, name: str) -> bool:
    return str(form.get(name) or "") in ("1", "on", "true")


def _text(form: FormMultiDict, name: str) -> str:
    # Textareas send CR LF; the API stores text as typed (LF).
    return str(form.get(name) or "").replace("\r\n", "\n")


class FormState(msgspec.Struct, kw_only=True):
    """What the person typed, kept as typed to show again with the errors."""

    title: str = ""
    body: str = ""
    translations: dict[str, list[str]] = {}
    """By language: [title, body]."""
    category: str = "announcement"
    urgent: bool = False
    requires_ack: bool = False
    deep_link: str = ""
    article_id: str = ""
    image_asset_id: str = ""
    survey_kind: str = ""
    survey_question: str = ""
    survey_question_en: str = ""
    survey_options: list[list[str]] = []
    """OPTION_ROWS rows of [Vietnamese, English]."""
    audience_kind: str = str(AudienceKind.CITIZENS)
    communes: list[str] = []
    agencies: list[str] = []
    scheduled_for: str = ""
    """As the datetime-local field sends it: `2026-11-27T14:30`, Vietnam's time."""

    @classmethod
    def of_form(cls, form: FormMultiDict) -> FormState:
        return cls(
            title=_text(form, "title"),
            body=_text(form, "body"),
            translations={
                code: [_text(form, f"tr_{code}_title"), _text(form, f"tr_{code}_body")]
                for code in TRANSLATED
            },
            category=_text(form, "category"),
            urgent=_checked(form, "urgent"),
            requires_ack=_checked(form, "requires_ack"),
            deep_link=_text(form, "deep_link"),
            article_id=_text(form, "article_id"),
            image_asset_id=_text(form, "image_asset_id"),
            survey_kind=_text(form, "survey_kind"),
            survey_question=_text(form, "survey_question"),
            survey_question_en=_text(form, "survey_question_en"),
            survey_options=[
                [_text(form, f"survey_option_{i}"), _text(form, f"survey_option_{i}_en")]
                for i in range(OPTION_ROWS)
            ],
            audience_kind=_text(form, "audience_kind") or str(AudienceKind.CITIZENS),
            communes=sorted({str(c) for c in form.getall("communes", []) if c}),
            agencies=sorted({str(a) for a in form.getall("agencies", []) if a}),
            scheduled_for=_text(form, "scheduled_for").strip(),
        )

    @classmethod
    def of_campaign(cls, campaign: Campaign) -> FormState:
        survey = campaign.survey
        options = [[o.label, o.label_en or ""] for o in (survey.options if survey else [])]
        options += [["", ""]] * (OPTION_ROWS - len(options))
        return cls(
            title=campaign.title,
            body=campaign.body,
            translations={
                code: [
                    campaign.translations[code].title if code in campaign.translations else "",
                    campaign.translations[code].body if code in campaign.translations else "",
                ]
                for code in TRANSLATED
            },
            category=campaign.category,
            urgent=campaign.urgent,
            requires_ack=campaign.requires_ack,
            deep_link=campaign.deep_link or "",
            article_id=str(campaign.article_id) if campaign.article_id else "",
            image_asset_id=str(campaign.image_asset_id) if campaign.image_asset_id else "",
            survey_kind=str(survey.kind) if survey else "",
            survey_question=survey.question if survey else "",
            survey_question_en=(survey.question_en or "") if survey else "",
            survey_options=options,
            audience_kind=str(campaign.audience_kind),
            communes=list(campaign.audience_communes),
            agencies=list(campaign.audience_agencies),
            scheduled_for=_local_input(campaign.scheduled_for),
        )

    def option_rows(self) -> list[list[str]]:
        rows = [list(r) for r in self.survey_options[:OPTION_ROWS]]
        return rows + [["", ""]] * (OPTION_ROWS - len(rows))

    def translation(self, code: str) -> list[str]:
        return self.translations.get(code) or ["", ""]

    def scheduled_at(self) -> datetime | None:
        """The time asked for, in UTC; None when empty. ValueError when unreadable."""
        if not self.scheduled_for:
            return None
        local = datetime.strptime(self.scheduled_for[:16], "%Y-%m-%dT%H:%M")
        return local.replace(tzinfo=VIETNAM).astimezone(UTC)

    def values(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The API's fields, and the fields this form itself finds wrong (by error key)."""
        errors: dict[str, str] = {}
        translations: dict[str, dict[str, str]] = {}
        for code in TRANSLATED:
            title, body = (part.strip() for part in self.translation(code))
            if not title and not body:
                continue
            try:
                msgspec.convert({"title": title, "body": body}, Translation)
            except msgspec.ValidationError:
                errors[f"tr_{code}"] = "translation"
            translations[code] = {"title": title, "body": body}
        survey = None
        if self.survey_kind in {str(k) for k in SurveyKind}:
            rated = self.survey_kind == SurveyKind.RATING
            survey = {
                "question": self.survey_question.strip(),
                "question_en": self.survey_question_en.strip() or None,
                "kind": self.survey_kind,
                "options": []
                if rated
                else [
                    {"label": vi.strip(), "label_en": en.strip() or None}
                    for vi, en in self.option_rows()
                    if vi.strip() or en.strip()
                ],
            }
        try:
            scheduled = self.scheduled_at()
        except ValueError:
            errors["scheduled_for"] = "scheduled_for"
            scheduled = None
        kind = self.audience_kind
        return {
            "title": self.title.strip(),
            "body": self.body.strip(),
            "translations": translations,
            "category": self.category,
            "urgent": self.urgent,
            "requires_ack": self.requires_ack,
            "article_id": self.article_id or None,
            "image_asset_id": self.image_asset_id or None,
            "deep_link": self.deep_link.strip() or None,
            "survey": survey,
            "audience_kind": kind,
            "audience_communes": self.communes if kind == AudienceKind.COMMUNES else [],
            "audience_agencies": self.agencies if kind == AudienceKind.AGENCIES else [],
            "scheduled_for": scheduled,
        }, errors


def _local_input(value: datetime | None) -> str:
    """A moment as the datetime-local field shows it (Vietnam's time)."""
    return "" if value is None else value.astimezone(VIETNAM).strftime("%Y-%m-%dT%H:%M")


_ERROR_KEYS = {
    "audience_kind": "audience",
    "audience_communes": "audience",
    "audience_agencies": "audience",
}


def _message(lang: str, key: str) -> str:
    vi, en = FIELD_ERRORS.get(key, FIELD_ERRORS["title"])
    return en if lang == "en" else vi


def _app_error_field(error: AppError) -> str | None:
    """The editor field a refusal of the service belongs to (None: shown above the form)."""
    if isinstance(error, CampaignTranslationInvalid):
        language = error.extra.get("language")
        return f"tr_{language}" if language in TRANSLATED else "title"
    fields: list[tuple[type[AppError], str]] = [
        (CampaignCategoryInvalid, "category"),
        (CampaignAudienceInvalid, "audience"),
        (CampaignAckNotInternal, "requires_ack"),
        (CampaignArticleInvalid, "article_id"),
        (CampaignImageInvalid, "image_asset_id"),
        (CampaignDeepLinkInvalid, "deep_link"),
        (CampaignSurveyInvalid, "survey"),
        (CampaignScheduleInPast, "scheduled_for"),
    ]
    return next((field for kind, field in fields if isinstance(error, kind)), None)


# --- choices the editor offers -------------------------------------------------------------------


async def _article_choices(principal: Principal, chosen: str) -> list[tuple[str, str]]:
    """Published articles, newest first (the 100 newest; one chosen earlier stays listed)."""
    page = await content.list_published_articles(principal, PageRequest(limit=100))
    choices = [(str(a.id), a.title) for a in page.items]
    if chosen and chosen not in {value for value, _ in choices}:
        try:
            found = await content.get_published_article(uuid.UUID(chosen))
        except ValueError:
            found = None
        choices.insert(0, (chosen, found.title if found else chosen))
    return choices


async def _image_choices(
    settings: Settings, principal: Principal, chosen: str
) -> list[tuple[str, str]]:
    """The person's ready images in the media library, newest first."""
    page = await content.list_assets(
        settings, principal, PageRequest(limit=100), status=AssetStatus.READY
    )
    choices = [
        (str(a.id), f"{a.original_filename} · {a.created_at:%d/%m/%Y}")
        for a in page.items
        if a.kind == "image"
    ]
    if chosen and chosen not in {value for value, _ in choices}:
        choices.insert(0, (chosen, chosen))
    return choices


async def _image_url(settings: Settings, principal: Principal, asset_id: str) -> str | None:
    """A small rendition of the chosen image for the phone preview (None if unreadable)."""
    if not asset_id:
        return None
    try:
        asset = await content.access_asset(settings, principal, uuid.UUID(asset_id))
    except (AppError, ValueError):
        return None
    by_name = {r.name: r.url for r in asset.renditions}
    return by_name.get("thumbnail") or by_name.get("display")


async def _agency_names() -> dict[str, str]:
    return {agency.code: agency.name for agency in await list_agencies()}


# --- the side panel: estimate, when it goes out, the phone preview ----------------------------


@dataclass(frozen=True)
class PhoneText:
    code: str
    """Language code."""
    name_vi: str
    name_en: str
    title: str
    body: str
    question: str | None
    options: list[str]


def _phone_texts(state: FormState) -> list[PhoneText]:
    """What the phone shows in Vietnamese and in each language a translation was written in
    (English labels of the survey for English; Vietnamese otherwise, as the app does)."""
    texts = []
    for code, (name_vi, name_en) in LANGUAGES.items():
        if code == "vi":
            title, body = state.title, state.body
        else:
            title, body = state.translation(code)
            if not title.strip() and not body.strip():
                continue
        question = None
        options: list[str] = []
        if state.survey_kind in {str(k) for k in SurveyKind}:
            english = code == "en"
            question = (english and state.survey_question_en.strip()) or state.survey_question
            if state.survey_kind != SurveyKind.RATING:
                options = [
                    (english and en.strip()) or vi
                    for vi, en in state.option_rows()
                    if vi.strip() or en.strip()
                ]
        texts.append(PhoneText(code, name_vi, name_en, title, body, question, options))
    return texts


async def _estimate(
    principal: Principal, state: FormState, campaign_id: uuid.UUID | None, lang: str
) -> tuple[AudienceEstimate | None, str | None]:
    """(estimate, why there is none) for the audience as the form has it now."""
    try:
        if state.audience_kind == AudienceKind.LIST:
            if campaign_id is None:
                return None, (
                    "Lưu nháp rồi tải danh sách lên để biết số người nhận."
                    if lang == "vi"
                    else "Save the draft, then upload the list to see who it reaches."
                )
            return await service.estimate_campaign(principal, campaign_id), None
        query = msgspec.convert(
            {
                "audience_kind": state.audience_kind,
                "audience_communes": state.communes
                if state.audience_kind == AudienceKind.COMMUNES
                else [],
                "audience_agencies": state.agencies
                if state.audience_kind == AudienceKind.AGENCIES
                else [],
                "category": state.category or "announcement",
            },
            AudienceQuery,
        )
        return await service.estimate_audience(principal, query), None
    except msgspec.ValidationError:
        return None, _message(lang, "audience")
    except AppError as error:
        if isinstance(error, CampaignAudienceInvalid):
            return None, (
                "Chọn ít nhất một xã, phường hoặc cơ quan để ước tính."
                if lang == "vi"
                else "Choose at least one commune or agency to see an estimate."
            )
        return None, error.detail(lang)


@dataclass(frozen=True)
class Timing:
    send_at: datetime
    quiet_hours: bool
    asked: datetime | None
    asked_past: bool
    immediate: bool
    """It would go out at once (nothing asked for, or a past time, and no quiet hours)."""


def _timing(settings: Settings, state: FormState) -> Timing:
    now = datetime.now(UTC)
    try:
        asked = state.scheduled_at()
    except ValueError:
        asked = None
    plan = plan_send(
        now=now,
        scheduled_for=asked,
        public=state.audience_kind in {str(k) for k in PUBLIC_AUDIENCES},
        urgent=state.urgent,
        quiet_hours=service.quiet_hours(settings),
    )
    return Timing(
        send_at=plan.send_at,
        quiet_hours=plan.quiet_hours,
        asked=asked,
        asked_past=asked is not None and asked < now,
        immediate=plan.send_at <= now,
    )


def _quiet_context(settings: Settings) -> dict[str, str]:
    hours = service.quiet_hours(settings)
    return {"start": hours.start.strftime("%H:%M"), "end": hours.end.strftime("%H:%M")}


async def _side(
    request: AnyRequest,
    settings: Settings,
    state: FormState,
    campaign_id: uuid.UUID | None,
) -> dict[str, Any]:
    principal = caller(request)
    assert principal is not None
    lang = language_of(request)
    estimate, estimate_note = await _estimate(principal, state, campaign_id, lang)
    category = BY_CODE.get(state.category)
    return {
        "estimate": estimate,
        "estimate_note": estimate_note,
        "timing": _timing(settings, state),
        "quiet": _quiet_context(settings),
        "public": state.audience_kind in {str(k) for k in PUBLIC_AUDIENCES},
        "phones": _phone_texts(state),
        "phone_category": category,
        "phone_urgent": state.urgent,
        "phone_ack": state.requires_ack,
        "phone_image": await _image_url(settings, principal, state.image_asset_id),
        "phone_link": bool(state.deep_link.strip() or state.article_id),
    }


async def _editor(
    request: AnyRequest,
    settings: Settings,
    *,
    state: FormState,
    campaign: Campaign | None,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    status: int = 200,
) -> Template:
    principal = caller(request)
    assert principal is not None  # the route admits writers only
    context: dict[str, Any] = {
        "form": state,
        "campaign": campaign,
        "errors": errors or {},
        "problem": problem,
        "categories": CATEGORIES,
        "translated": [(code, LANGUAGES[code]) for code in TRANSLATED],
        "audiences": AUDIENCE_LABELS,
        "survey_kinds": SURVEY_KINDS,
        "agencies": await list_agencies(),
        "map": await province_map(),
        "article_choices": await _article_choices(principal, state.article_id),
        "image_choices": await _image_choices(settings, principal, state.image_asset_id),
        "statuses": STATUS_LABELS,
        **await _side(request, settings, state, campaign.id if campaign else None),
    }
    partial = is_partial(request) and status >= 400
    template = "notifications/_form.html" if partial else "notifications/editor.html"
    return render(request, template, status=status, **context)


async def _save(
    request: AnyRequest, settings: Settings, campaign_id: uuid.UUID | None
) -> Template | Response[Any]:
    """Create or update from the editor's form, then (button `then=submit`) submit it. A list
    campaign without its list yet is saved and not submitted: the list is uploaded on its
    page first."""
    principal = caller(request)
    form = await request.form()
    state = FormState.of_form(form)
    lang = language_of(request)
    campaign = (
        await service.access_campaign(settings, principal, campaign_id) if campaign_id else None
    )
    values, kinds = state.values()
    if kinds:
        errors = {key: _message(lang, kind) for key, kind in kinds.items()}
        return await _editor(
            request, settings, state=state, campaign=campaign, errors=errors, status=422
        )
    wants_upload = False
    try:
        if campaign is None:
            saved = await service.do_create_campaign(
                settings, principal, msgspec.convert(values, CampaignCreate)
            )
        else:
            saved = await service.do_update_campaign(
                settings, principal, campaign.id, msgspec.convert(values, CampaignUpdate)
            )
        if form.get("then") == "submit":
            if saved.audience_kind is AudienceKind.LIST and saved.audience_list_size == 0:
                wants_upload = True
            else:
                saved = await service.do_submit_campaign(settings, principal, saved.id)
    except (msgspec.ValidationError, AppError) as error:
        failure = form_failure(
            error,
            lang,
            messages=FIELD_ERRORS,
            field_of=_app_error_field,
            aliases=_ERROR_KEYS,
        )
        return await _editor(
            request,
            settings,
            state=state,
            campaign=campaign,
            errors=failure.errors,
            problem=failure.problem,
            status=failure.status,
        )
    target = f"{ROOT}/{saved.id}"
    return redirect(request, f"{target}?upload=1#list-upload" if wants_upload else target)


# --- what changed since the submission before ----------------------------------------------------

_TOKENS = re.compile(r"\s+|[^\s]+")


def diff_html(old: str, new: str, lang: str) -> Markup:
    """`old` → `new` word by word: removed words in `<del>`, added in `<ins>`, each with a
    hidden word saying which (screen readers do not announce the elements)."""
    added, removed = ("added", "removed") if lang == "en" else ("thêm", "bỏ")
    old_tokens, new_tokens = _TOKENS.findall(old), _TOKENS.findall(new)
    parts: list[str] = []
    matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        before, after = "".join(old_tokens[i1:i2]), "".join(new_tokens[j1:j2])
        if op == "equal":
            parts.append(str(escape(after)))
            continue
        if op in ("replace", "delete") and before:
            parts.append(
                f'<del><span class="visually-hidden">[{removed}] </span>{escape(before)}</del>'
            )
        if op in ("replace", "insert") and after:
            parts.append(
                f'<ins><span class="visually-hidden">[{added}] </span>{escape(after)}</ins>'
            )
    return Markup("".join(parts))  # noqa: S704  # every piece of text was escaped above


@dataclass(frozen=True)
class ChangeView:
    label: str
    kind: str
    """`text` (a word diff), `codes` (added and removed), `pair` (before → after)."""
    diff: Markup | None = None
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    before: str = ""
    after: str = ""


def _plain(value: Any, lang: str, field: str) -> str:
    """A snapshot value as a person reads it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return ("Yes" if value else "No") if lang == "en" else ("Có" if value else "Không")
    if field == "scheduled_for" and isinstance(value, str):
        try:
            return datetime_vn(datetime.fromisoformat(value))
        except ValueError:
            return value
    if field == "category" and value in BY_CODE:
        category = BY_CODE[value]
        return category.name_en if lang == "en" else category.name_vi
    if field == "audience_kind" and value in AUDIENCE_LABELS:
        vi, en = AUDIENCE_LABELS[value]
        return en if lang == "en" else vi
    if field == "survey" and isinstance(value, dict):
        options = " / ".join(str(o.get("label", "")) for o in value.get("options") or [])
        kind = SURVEY_KINDS.get(str(value.get("kind")), ("", ""))
        text = f"{value.get('question', '')} ({kind[1] if lang == 'en' else kind[0]})"
        return f"{text}: {options}" if options else text
    if field == "audience_list":
        return "…"
    return str(value)


def change_views(changes: list[FieldChange], lang: str, names: dict[str, str]) -> list[ChangeView]:
    """Each changed field as the approver reads it (communes and agencies by name)."""
    views: list[ChangeView] = []

    def label(field: str) -> str:
        vi, en = FIELD_LABELS.get(field, (field, field))
        return en if lang == "en" else vi

    for change in changes:
        field = change.field
        if field in ("title", "body"):
            views.append(
                ChangeView(
                    label(field),
                    "text",
                    diff=diff_html(str(change.before or ""), str(change.after or ""), lang),
                )
            )
        elif field == "translations":
            before = change.before if isinstance(change.before, dict) else {}
            after = change.after if isinstance(change.after, dict) else {}
            for code in TRANSLATED:
                old, new = before.get(code) or {}, after.get(code) or {}
                if old == new:
                    continue
                name = LANGUAGES[code][1 if lang == "en" else 0]
                for part, part_vi, part_en in (
                    ("title", "tiêu đề", "title"),
                    ("body", "nội dung", "body"),
                ):
                    if old.get(part) != new.get(part):
                        views.append(
                            ChangeView(
                                f"{name}: {part_en if lang == 'en' else part_vi}",
                                "text",
                                diff=diff_html(old.get(part, ""), new.get(part, ""), lang),
                            )
                        )
        elif field in ("audience_communes", "audience_agencies"):
            old_codes = set(change.before or [])
            new_codes = set(change.after or [])
            views.append(
                ChangeView(
                    label(field),
                    "codes",
                    added=tuple(sorted(names.get(c, c) for c in new_codes - old_codes)),
                    removed=tuple(sorted(names.get(c, c) for c in old_codes - new_codes)),
                )
            )
        elif field == "audience_list":
            views.append(
                ChangeView(
                    label(field),
                    "pair",
                    before="…",
                    after=(
                        "A different list was uploaded"
                        if lang == "en"
                        else "Đã tải lên một danh sách khác"
                    ),
                )
            )
        else:
            views.append(
                ChangeView(
                    label(field),
                    "pair",
                    before=_plain(change.before, lang, field),
                    after=_plain(change.after, lang, field),
                )
            )
    return views


# --- a campaign's facts --------------------------------------------------------------------------


async def _facts(settings: Settings, principal: Principal, campaign: Campaign) -> dict[str, Any]:
    """What the campaign page, the review and the analytics show about a campaign."""
    commune_names: dict[str, str] = {}
    if campaign.audience_communes:
        commune_names = (await province_map()).names
    agency_names = await _agency_names() if campaign.audience_agencies else {}
    article = (
        await content.get_published_article(campaign.article_id) if campaign.article_id else None
    )
    state = FormState.of_campaign(campaign)
    return {
        "campaign": campaign,
        "statuses": STATUS_LABELS,
        "audiences": AUDIENCE_LABELS,
        "survey_kinds": SURVEY_KINDS,
        "category": BY_CODE.get(campaign.category),
        "commune_list": [commune_names.get(c, c) for c in campaign.audience_communes],
        "agency_list": [agency_names.get(a, a) for a in campaign.audience_agencies],
        "article": article,
        "languages": LANGUAGES,
        "translated": [(code, LANGUAGES[code]) for code in TRANSLATED],
        "quiet": _quiet_context(settings),
        "public": campaign.audience_kind in PUBLIC_AUDIENCES,
        "phones": _phone_texts(state),
        "phone_category": BY_CODE.get(campaign.category),
        "phone_urgent": campaign.urgent,
        "phone_ack": campaign.requires_ack,
        "phone_image": await _image_url(settings, principal, state.image_asset_id),
        "phone_link": bool(campaign.deep_link or campaign.article_id),
        "own": principal.id in (campaign.author_id, campaign.updated_by),
        "is_author": principal.id == campaign.author_id,
        "writer": WRITERS.admits(principal),
        "approver": APPROVERS.admits(principal),
        "may_cancel": campaign.status in service.CANCELLABLE
        and (principal.id == campaign.author_id or APPROVERS.admits(principal)),
        "editable": campaign.status in service.EDITABLE and WRITERS.admits(principal),
        "started": campaign.sending_started_at is not None,
    }


async def _estimate_of(principal: Principal, campaign: Campaign) -> AudienceEstimate | None:
    if campaign.status not in service.EDITABLE:
        return None
    try:
        return await service.estimate_campaign(principal, campaign.id)
    except AppError:
        return None


# --- analytics -----------------------------------------------------------------------------------


def _hour_label(hour: datetime) -> str:
    return hour.astimezone(VIETNAM).strftime("%H:00 %d/%m")


@dataclass(frozen=True)
class Chart:
    caption: str
    """Shown above the chart (the SVG's own title is for screen readers)."""
    svg: Markup


def _chart(title: str, bars: list[Bar]) -> Chart:
    return Chart(title, bar_chart(title, bars))


CHART_LABEL = 20
"""Characters of a bar's label that fit the chart's label column; the tables beside the
charts name each place in full."""
_UNIT_TYPES = (("Phường ", "P. "), ("Xã ", "X. "))


def _place_label(name: str) -> str:
    for long, short in _UNIT_TYPES:
        if name.startswith(long):
            name = short + name.removeprefix(long)
    return name if len(name) <= CHART_LABEL else name[: CHART_LABEL - 1] + "…"


def analytics_charts(
    analytics: CampaignAnalytics, lang: str, communes: dict[str, str], agencies: dict[str, str]
) -> dict[str, Chart]:
    """The charts of the analytics page, as SVG (backend.console.charts): per hour (accepted,
    opened, acknowledged), by commune (opened), by agency (acknowledged, or opened when the
    campaign asks for no acknowledgement), the survey's tallies."""

    def t(vi: str, en: str) -> str:
        return en if lang == "en" else vi

    unknown = t("Không rõ", "Unknown")
    charts: dict[str, Chart] = {}
    for key, vi, en, tone in (
        ("accepted", "FCM đã nhận, theo giờ", "Accepted by FCM, per hour", "primary"),
        ("opened", "Đã mở, theo giờ", "Opened, per hour", "ok"),
        ("acknowledged", "Đã xác nhận, theo giờ", "Acknowledged, per hour", "warn"),
    ):
        if analytics.hourly:
            charts[f"hourly_{key}"] = _chart(
                t(vi, en),
                [Bar(_hour_label(p.hour), getattr(p, key), tone) for p in analytics.hourly],
            )
    if any(p.code for p in analytics.by_commune):
        charts["by_commune"] = _chart(
            t("Đã mở, theo xã, phường", "Opened, by commune"),
            [
                Bar(
                    _place_label(communes.get(p.code, p.code)) if p.code else unknown,
                    p.opened,
                    "ok",
                )
                for p in sorted(analytics.by_commune, key=lambda p: -p.opened)[:30]
            ],
        )
    if any(p.code for p in analytics.by_agency):
        acknowledged = any(p.acknowledged for p in analytics.by_agency)
        charts["by_agency"] = _chart(
            t("Đã xác nhận, theo cơ quan", "Acknowledged, by agency")
            if acknowledged
            else t("Đã mở, theo cơ quan", "Opened, by agency"),
            [
                Bar(
                    _place_label(agencies.get(p.code, p.code)) if p.code else unknown,
                    p.acknowledged if acknowledged else p.opened,
                    "warn" if acknowledged else "ok",
                )
                for p in sorted(analytics.by_agency, key=lambda p: -p.recipients)[:30]
            ],
        )
    if analytics.survey is not None:
        rating = analytics.survey.kind == SurveyKind.RATING
        charts["survey"] = _chart(
            t("Câu trả lời khảo sát", "Survey answers"),
            [
                Bar(("★" * tally.option) if rating else tally.label, tally.count, "primary")
                for tally in analytics.survey.tallies
            ],
        )
    return charts


async def _analytics_context(
    request: AnyRequest, settings: Settings, campaign_id: uuid.UUID
) -> dict[str, Any]:
    principal = caller(request)
    assert principal is not None
    campaign = await service.access_campaign(settings, principal, campaign_id)
    analytics = await service.campaign_analytics(principal, campaign_id)
    wanted = analytics.by_commune or campaign.requires_ack
    communes = (await province_map()).names if wanted else {}
    agencies = await _agency_names()
    failed = dict(analytics.push.failed)
    for reason, n in analytics.topic_messages.failed.items():
        failed[reason] = failed.get(reason, 0) + n
    return {
        "campaign": campaign,
        "analytics": analytics,
        "statuses": STATUS_LABELS,
        "audiences": AUDIENCE_LABELS,
        "public": campaign.audience_kind in PUBLIC_AUDIENCES,
        "failed": failed,
        "charts": analytics_charts(analytics, language_of(request), communes, agencies),
        "commune_names": communes,
        "agency_names": agencies,
        "polling": analytics.status in POLLED,
        "hour_label": _hour_label,
    }


def _csv(text: str, filename: str) -> Response[bytes]:
    # A BOM so that spreadsheet programs read the Vietnamese labels as UTF-8.
    return Response(
        ("\ufeff" + text).encode(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


# --- the pages -----------------------------------------------------------------------------------


def _status_choice(value: str | None) -> CampaignStatus | None:
    return CampaignStatus(value) if value in {str(s) for s in CampaignStatus} else None


class CampaignPages(Controller):
    path = "/campaigns"

    @get("/", opt=access(READERS))
    async def list_page(
        self,
        request: AnyRequest,
        status: Annotated[str | None, QueryParameter(max_length=20)] = None,
        cursor: Annotated[str | None, QueryParameter(max_length=512)] = None,
    ) -> Template:
        """Campaigns newest first, all or of one status, with the count of each status."""
        principal = caller(request)
        assert principal is not None
        chosen = _status_choice(status)
        page = await service.list_campaigns(
            principal, PageRequest(cursor=cursor or None, limit=PAGE_SIZE), status=chosen
        )
        counts = await service.count_by_status(principal)
        return render(
            request,
            "notifications/list.html",
            page=page,
            params={"status": str(chosen) if chosen else None, "cursor": cursor},
            status_chosen=str(chosen) if chosen else "",
            statuses=STATUS_LABELS,
            audiences=AUDIENCE_LABELS,
            categories=BY_CODE,
            counts=counts,
            total=sum(counts.values()),
            writer=WRITERS.admits(principal),
        )

    @get("/new", opt=access(WRITERS))
    async def new_page(self, request: AnyRequest, settings: NamedDependency[Settings]) -> Template:
        state = FormState(survey_options=[["", ""]] * OPTION_ROWS)
        return await _editor(request, settings, state=state, campaign=None)

    @post("/new", status_code=200, opt=access(WRITERS))
    async def create(
        self, request: AnyRequest, settings: NamedDependency[Settings]
    ) -> Template | Response[Any]:
        """`do_create_campaign` from the form (then `do_submit_campaign` if asked)."""
        return await _save(request, settings, None)

    @post("/preview", status_code=200, opt=access(WRITERS, transaction="read"))
    async def preview(self, request: AnyRequest, settings: NamedDependency[Settings]) -> Template:
        """The editor's side panel for the form as typed: the audience and device estimate,
        when it would go out (quiet hours), the phone preview in each language."""
        form = await request.form()
        state = FormState.of_form(form)
        try:
            campaign_id = uuid.UUID(str(form.get("campaign_id") or ""))
        except ValueError:
            campaign_id = None
        context = await _side(request, settings, state, campaign_id)
        return render(request, "notifications/_side.html", **context)

    @get("/{campaign_id:uuid}", opt=access(READERS))
    async def campaign_page(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        campaign_id: FromPath[uuid.UUID],
        upload: Annotated[str | None, QueryParameter(max_length=2)] = None,
    ) -> Template:
        principal = caller(request)
        assert principal is not None
        campaign = await service.access_campaign(settings, principal, campaign_id)
        return render(
            request,
            "notifications/campaign.html",
            **await _facts(settings, principal, campaign),
            estimate=await _estimate_of(principal, campaign),
            upload_first=bool(upload),
            list_result=None,
            list_error=None,
        )

    @get("/{campaign_id:uuid}/edit", opt=access(WRITERS))
    async def edit_page(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        campaign_id: FromPath[uuid.UUID],
    ) -> Template:
        campaign = await service.access_campaign(settings, caller(request), campaign_id)
        if campaign.status not in service.EDITABLE:  # sending, sent or cancelled
            raise CampaignNotEditable(status=str(campaign.status))
        return await _editor(
            request, settings, state=FormState.of_campaign(campaign), campaign=campaign
        )

    @post("/{campaign_id:uuid}/edit", status_code=200, opt=access(WRITERS))
    async def update(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        campaign_id: FromPath[uuid.UUID],
    ) -> Template | Response[Any]:
        """`do_update_campaign` from the form (then `do_submit_campaign` if asked)."""
        return await _save(request, settings, campaign_id)

    @post("/{campaign_id:uuid}/submit", status_code=200, opt=access(WRITERS))
    async def submit(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        campaign_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """`do_submit_campaign`: draft → submitted."""
        await service.do_submit_campaign(settings, caller(request), campaign_id)
        return redirect(request, f"{ROOT}/{campaign_id}")

    @post(
        "/{campaign_id:uuid}/list",
        status_code=200,
        opt=access(WRITERS, accepts=("multipart/form-data",)),
    )
    async def upload_list(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        campaign_id: FromPath[uuid.UUID],
    ) -> Template:
        """`do_upload_audience_list` with the file chosen: counts come back, never numbers."""
        principal = caller(request)
        assert principal is not None
        form = await request.form()
        upload = form.get("file")
        result = error = None
        status = 200
        if not isinstance(upload, UploadFile) or not upload.filename:
            status = 422
            error = (
                "Chọn tệp danh sách (CSV hoặc văn bản, mỗi dòng một số định danh)."
                if language_of(request) == "vi"
                else "Choose a list file (CSV or text, one personal id per line)."
            )
        else:
            raw = await upload.read()
            try:
                result = await service.do_upload_audience_list(principal, campaign_id, raw)
            except AppError as refused:
                error, status = refused.detail(language_of(request)), refused.status
        campaign = await service.access_campaign(settings, principal, campaign_id)
        context = await _facts(settings, principal, campaign)
        template = (
            "notifications/_list_upload.html"
            if is_partial(request)
            else ("notifications/campaign.html")
        )
        return render(
            request,
            template,
            status=status,
            **context,
            estimate=await _estimate_of(principal, campaign),
            upload_first=False,
            list_result=result,
            list_error=error,
        )

    @post("/{campaign_id:uuid}/cancel", status_code=200, opt=access(READERS))
    async def cancel(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        campaign_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """`do_cancel_campaign` (its author or an approver)."""
        await service.do_cancel_campaign(settings, caller(request), campaign_id)
        return redirect(request, f"{ROOT}/{campaign_id}")

    @get("/{campaign_id:uuid}/review", opt=access(APPROVERS))
    async def review_page(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        campaign_id: FromPath[uuid.UUID],
    ) -> Template:
        campaign = await service.access_campaign(settings, caller(request), campaign_id)
        return await _review(request, settings, campaign)

    @post("/{campaign_id:uuid}/approve", status_code=200, opt=access(APPROVERS))
    async def approve(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        campaign_id: FromPath[uuid.UUID],
    ) -> Template | Response[Any]:
        """`do_approve_campaign`; a refusal (its author, its last editor) shown on the page."""
        try:
            await service.do_approve_campaign(settings, caller(request), campaign_id)
        except AppError as error:
            return await _refused(request, settings, campaign_id, error)
        return redirect(request, f"{ROOT}/{campaign_id}")

    @post("/{campaign_id:uuid}/return", status_code=200, opt=access(APPROVERS))
    async def return_to_writers(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        campaign_id: FromPath[uuid.UUID],
    ) -> Template | Response[Any]:
        """`do_return_campaign` with the approver's comment."""
        form = await request.form()
        comment = _text(form, "comment").strip()
        try:
            data = msgspec.convert({"comment": comment}, CampaignReturn)
        except msgspec.ValidationError:
            message = _message(language_of(request), "comment")
            return await _refused(
                request, settings, campaign_id, None, comment=comment, comment_error=message
            )
        try:
            await service.do_return_campaign(settings, caller(request), campaign_id, data)
        except AppError as error:
            return await _refused(request, settings, campaign_id, error, comment=comment)
        return redirect(request, f"{ROOT}/{campaign_id}")

    @get("/{campaign_id:uuid}/analytics", opt=access(READERS))
    async def analytics_page(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        campaign_id: FromPath[uuid.UUID],
        agency: Annotated[str | None, QueryParameter(max_length=40)] = None,
        cursor: Annotated[str | None, QueryParameter(max_length=512)] = None,
    ) -> Template:
        """Counts and charts (refreshing themselves while it sends), who has not acknowledged
        (by agency, in pages), CSV exports."""
        principal = caller(request)
        context = await _analytics_context(request, settings, campaign_id)
        campaign: Campaign = context["campaign"]
        unacknowledged = None
        if campaign.requires_ack:
            unacknowledged = await service.list_unacknowledged(
                principal,
                campaign_id,
                PageRequest(cursor=cursor or None, limit=UNACK_PAGE_SIZE),
                agency=agency or None,
            )
        return render(
            request,
            "notifications/analytics.html",
            **context,
            unacknowledged=unacknowledged,
            agency_chosen=agency or "",
            params={"agency": agency, "cursor": cursor},
            commune_label=lambda code: context["commune_names"].get(code, code),
        )

    @get("/{campaign_id:uuid}/analytics/live", opt=access(READERS, transaction="read"))
    async def analytics_live(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        campaign_id: FromPath[uuid.UUID],
    ) -> Template:
        """The counts and charts alone (what the analytics page polls while it sends)."""
        context = await _analytics_context(request, settings, campaign_id)
        return render(request, "notifications/_analytics_live.html", **context)

    @get("/{campaign_id:uuid}/analytics.csv", opt=access(READERS))
    async def analytics_csv(
        self, request: AnyRequest, campaign_id: FromPath[uuid.UUID]
    ) -> Response[bytes]:
        """`export_analytics_csv` (audited)."""
        text = await service.export_analytics_csv(caller(request), campaign_id)
        return _csv(text, f"campaign-{campaign_id}-analytics.csv")

    @get("/{campaign_id:uuid}/unacknowledged.csv", opt=access(READERS))
    async def unacknowledged_csv(
        self,
        request: AnyRequest,
        campaign_id: FromPath[uuid.UUID],
        agency: Annotated[str | None, QueryParameter(max_length=40)] = None,
    ) -> Response[bytes]:
        """`export_unacknowledged_csv` (audited), of one agency if asked."""
        text = await service.export_unacknowledged_csv(
            caller(request), campaign_id, agency=agency or None
        )
        suffix = f"-{agency}" if agency else ""
        return _csv(text, f"campaign-{campaign_id}-unacknowledged{suffix}.csv")


async def _review(
    request: AnyRequest,
    settings: Settings,
    campaign: Campaign,
    *,
    refusal: AppError | None = None,
    comment: str = "",
    comment_error: str | None = None,
    status: int = 200,
) -> Template:
    principal = caller(request)
    assert principal is not None  # approvers only
    lang = language_of(request)
    names = {**(await province_map()).names, **await _agency_names()}
    context = await _facts(settings, principal, campaign)
    template = (
        "notifications/_review_actions.html"
        if is_partial(request) and status >= 400
        else "notifications/review.html"
    )
    return render(
        request,
        template,
        status=status,
        **context,
        estimate=await _estimate_of(principal, campaign),
        changes=change_views(campaign.changes, lang, names)
        if campaign.changes is not None
        else None,
        refusal=refusal.detail(lang) if refusal else None,
        refusal_code=refusal.code if refusal else None,
        comment=comment,
        comment_error=comment_error,
    )


async def _refused(
    request: AnyRequest,
    settings: Settings,
    campaign_id: uuid.UUID,
    error: AppError | None,
    *,
    comment: str = "",
    comment_error: str | None = None,
) -> Template:
    """The review screen again, with why the action was refused next to its buttons."""
    campaign = await service.access_campaign(settings, caller(request), campaign_id)
    return await _review(
        request,
        settings,
        campaign,
        refusal=error,
        comment=comment,
        comment_error=comment_error,
        status=error.status if error else 422,
    )


PAGES: list[Any] = [CampaignPages]
