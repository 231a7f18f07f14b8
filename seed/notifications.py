"""Demo data of communications: the demo people's phones and notification settings, and
campaigns in every state of the workflow — sent ones (public and internal, read, acknowledged
and answered by some of the demo people), one scheduled for tomorrow morning, one waiting for
the approver, drafts (one returned with a comment, one addressed to an uploaded list) and a
cancelled one — so that the console and the app's inbox show a living province.

Everything goes through the services: devices and settings through the devices service,
campaigns through the campaigns workflow (written by the demo communications officer,
approved by the demo approver), sent by the sender's own steps with the configured push
gateway (the logging gateway in the embedded demo), and read, acknowledged and answered
through the inbox service. Sent campaigns went out on earlier days (their clock is passed in),
at 09:00 in Thái Nguyên. Idempotent: a campaign whose title exists is left alone; devices
are upserted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from backend.access import Principal, Role
from backend.db import unit_of_work
from backend.devidp.people import BY_PERSONAL_ID
from backend.identity.service import do_provision_person
from backend.settings import Settings
from content.articles import service as articles
from content.errors import ArticleNotFound
from notifications import push
from notifications.campaigns import service as campaigns
from notifications.campaigns.jobs import run_until_done
from notifications.campaigns.schedule import VIETNAM
from notifications.campaigns.schemas import CampaignCreate, CampaignReturn
from notifications.devices.schemas import DeviceRegistration, NotificationSettingsUpdate
from notifications.devices.service import do_register_device, do_update_settings
from notifications.inbox.schemas import SurveyAnswerCreate
from notifications.inbox.service import do_acknowledge, do_answer_survey, do_read

OFFICER = "019189031111"  # Lê Thị Oanh, comms_officer
APPROVER = "019076032222"  # Trịnh Văn Phúc, comms_approver

AN = "019090001234"  # citizen, Phan Đình Phùng
BINH = "019185004321"  # citizen, Định Hóa (Tày)
CUONG = "019072005678"  # citizen, Tân Cương
DUNG = "019198007777"  # citizen, Quyết Thắng (English; events muted)
DUC = "019088011111"  # civil servant, Sở Nội vụ
HA = "019191012222"  # civil servant, UBND xã Định Hóa
HUY = "019087013333"  # civil servant, UBND phường Phan Đình Phùng
SON = "019092051111"  # course admin and civil servant, Sở Nội vụ

PHONES: dict[str, dict[str, Any]] = {
    AN: {"commune": "05443", "language": "vi", "devices": ("android", "ios")},
    BINH: {"commune": "05569", "language": "tay", "devices": ("android",)},
    CUONG: {"commune": "05503", "language": "vi", "devices": ("android",)},
    DUNG: {"commune": "05455", "language": "en", "devices": ("ios",), "muted": ["events"]},
    DUC: {"commune": "05467", "language": "vi", "devices": ("android",)},
    HA: {"commune": "05569", "language": "vi", "devices": ("android",)},
    HUY: {"commune": "05443", "language": "vi", "devices": ("android", "ios")},
    SON: {"commune": "05467", "language": "vi", "devices": ("ios",)},
    OFFICER: {"commune": "05443", "language": "vi", "devices": ("android",)},
    APPROVER: {"commune": "05443", "language": "vi", "devices": ("ios",)},
}
LOCALES = {"vi": "vi-VN", "en": "en-US", "tay": "vi-VN"}


def _installation_id(personal_id: str, platform: str) -> str:
    """A made-up Firebase Installation ID, stable across runs."""
    return f"demo{uuid.uuid5(uuid.NAMESPACE_URL, f'ctn-demo:{personal_id}:{platform}').hex}"


class _People:
    def __init__(self) -> None:
        self.ids: dict[str, uuid.UUID] = {}

    async def load(self, personal_ids: list[str]) -> None:
        for personal_id in personal_ids:
            person = BY_PERSONAL_ID[personal_id]
            summary = await do_provision_person(personal_id, person.full_name)
            self.ids[personal_id] = summary.id

    def principal(self, personal_id: str, *roles: Role) -> Principal:
        person = BY_PERSONAL_ID[personal_id]
        return Principal(
            id=self.ids[personal_id],
            roles=frozenset({Role.CITIZEN.value, *person.roles, *(r.value for r in roles)}),
            agencies=frozenset({person.agency} if person.agency else set()),
        )


async def seed_devices(settings: Settings, people: _People) -> None:
    """Each demo person's phones and notification settings (commune, language, mutes)."""
    for personal_id, phone in PHONES.items():
        person_id = people.ids[personal_id]
        for platform in phone["devices"]:
            registration = msgspec.convert(
                {
                    "platform": platform,
                    "app_version": "1.4.0",
                    "locale": LOCALES.get(phone["language"], "vi-VN"),
                },
                DeviceRegistration,
            )
            await do_register_device(
                person_id, _installation_id(personal_id, platform), registration
            )
        await do_update_settings(
            settings,
            person_id,
            NotificationSettingsUpdate(
                commune_code=phone["commune"],
                language=phone["language"],
                muted_categories=phone.get("muted", []),
            ),
        )


def _day(days_ago: int, hour: int = 9) -> datetime:
    """`hour` o'clock in Thái Nguyên, `days_ago` days before today (negative: after)."""
    today = datetime.now(VIETNAM).date() - timedelta(days=days_ago)
    return datetime(today.year, today.month, today.day, hour, tzinfo=VIETNAM).astimezone(UTC)


async def _article_id(slug: str) -> uuid.UUID | None:
    """A published demo article to link to (the content demo data is loaded before this)."""
    try:
        return (await articles.access_article(None, slug)).id
    except ArticleNotFound:
        return None


CAMPAIGNS: tuple[dict[str, Any], ...] = (
    {
        "state": "sent",
        "days_ago": 3,
        "title": "Ra mắt ứng dụng C-ThaiNguyen",
        "body": (
            "Từ hôm nay, người dân Thái Nguyên tra cứu chế độ an sinh, phản ánh an ninh trật tự "
            "và nhận thông báo của tỉnh trên ứng dụng C-ThaiNguyen, đăng nhập bằng VNeID."
        ),
        "translations": {
            "en": {
                "title": "The C-ThaiNguyen app is here",
                "body": "Check welfare, report public-order issues and get province news, "
                "signing in with VNeID.",
            },
            "tay": {
                "title": "Ứng dụng C-ThaiNguyen mà dùng",
                "body": "Pỉ noọng Thái Nguyên dùng ứng dụng C-ThaiNguyen đăng nhập VNeID.",
            },
        },
        "category": "announcement",
        "audience_kind": "citizens",
        "article": "trien-khai-de-an-06-tren-dia-ban-tinh",
        "deep_link": "https://thainguyen.gov.vn/c-thainguyen",
        "survey": {
            "question": "Bạn đánh giá ứng dụng thế nào?",
            "question_en": "How do you rate the app?",
            "kind": "rating",
        },
        "reads": {AN: {"rating": 5}, BINH: {"rating": 4}, DUNG: {"read": True}},
    },
    {
        "state": "sent",
        "days_ago": 2,
        "title": "Triển khai thu thập, làm sạch dữ liệu dân cư cấp xã",
        "body": (
            "Đề nghị UBND các xã, phường rà soát dữ liệu dân cư trên địa bàn và báo cáo kết quả "
            "về Sở Nội vụ trước ngày 25 hằng tháng. Đề nghị xác nhận đã nhận công văn."
        ),
        "category": "circular",
        "audience_kind": "agencies",
        "audience_agencies": ["UBND-05443", "UBND-05569"],
        "requires_ack": True,
        "survey": {
            "question": "Đơn vị đã phân công cán bộ phụ trách chưa?",
            "question_en": "Has your unit assigned someone?",
            "kind": "single",
            "options": [
                {"label": "Đã phân công", "label_en": "Yes"},
                {"label": "Đang phân công", "label_en": "In progress"},
                {"label": "Chưa", "label_en": "Not yet"},
            ],
        },
        "reads": {HUY: {"ack": True, "choices": [0]}, HA: {"read": True}},
    },
    {
        "state": "sent",
        "days_ago": 1,
        "title": "Lịch tiêm chủng mở rộng tại xã Định Hóa",
        "body": (
            "Trạm y tế xã Định Hóa tiêm vắc-xin sởi – rubella cho trẻ từ 9 tháng tuổi vào sáng "
            "thứ Bảy tuần này. Mang theo sổ tiêm chủng."
        ),
        "translations": {
            "tay": {
                "title": "Lịch tiêm chủng xã Định Hóa",
                "body": "Trạm y tế tiêm vắc-xin cho lục đếch vào sáng thứ Bảy.",
            }
        },
        "category": "health",
        "audience_kind": "communes",
        "audience_communes": ["05569"],
        "reads": {BINH: {"read": True}},
    },
    {
        "state": "sent",
        "days_ago": 1,
        "hour": 14,
        "title": "Lịch nghỉ Tết Nguyên đán của cơ quan, đơn vị",
        "body": (
            "Cán bộ, công chức, viên chức nghỉ Tết theo thông báo của UBND tỉnh; các đơn vị "
            "phân công trực và gửi lịch trực về Văn phòng UBND tỉnh."
        ),
        "category": "circular",
        "audience_kind": "civil_servants",
        "requires_ack": True,
        "reads": {DUC: {"ack": True}, SON: {"ack": True}, HUY: {"read": True}},
    },
    {
        "state": "scheduled",
        "title": "Ngày hội chuyển đổi số tỉnh Thái Nguyên",
        "body": (
            "Mời người dân tham dự Ngày hội chuyển đổi số tại Quảng trường 20/8: trải nghiệm "
            "dịch vụ công trực tuyến, được hướng dẫn kích hoạt tài khoản VNeID."
        ),
        "translations": {
            "en": {
                "title": "Thái Nguyên Digital Day",
                "body": "Join us at 20/8 Square: online public services and VNeID help.",
            }
        },
        "category": "events",
        "audience_kind": "citizens",
        "scheduled_days": -1,
    },
    {
        "state": "submitted",
        "title": "Báo cáo tiến độ Đề án 06 quý IV",
        "body": "Đề nghị các phòng chuyên môn gửi số liệu tiến độ Đề án 06 quý IV.",
        "category": "circular",
        "audience_kind": "agencies",
        "audience_agencies": ["SO-NOIVU"],
        "requires_ack": True,
    },
    {
        "state": "returned",
        "title": "Cảnh báo nắng nóng kéo dài",
        "body": "Người dân hạn chế ra ngoài từ 11 giờ đến 15 giờ.",
        "category": "emergency",
        "audience_kind": "citizens",
        "comment": "Bổ sung số điện thoại đường dây nóng của Trung tâm Y tế.",
    },
    {
        "state": "draft",
        "title": "Mời họp trực tuyến về ứng dụng chữ ký số",
        "body": "Kính mời các đồng chí dự họp trực tuyến lúc 14 giờ thứ Năm.",
        "category": "circular",
        "audience_kind": "list",
        "list": [DUC, SON, "019000000000"],
    },
    {
        "state": "cancelled",
        "title": "Thông báo tạm ngừng cấp nước phường Phan Đình Phùng",
        "body": "Tạm ngừng cấp nước từ 8 giờ đến 12 giờ để sửa chữa đường ống.",
        "category": "announcement",
        "audience_kind": "communes",
        "audience_communes": ["05443"],
    },
)


async def seed_campaigns(settings: Settings, people: _People) -> None:
    officer = people.principal(OFFICER)
    approver = people.principal(APPROVER)
    gateway = push.gateway(settings)
    for spec in CAMPAIGNS:
        if await campaigns.find_campaign_by_title(spec["title"]) is not None:
            continue
        state = spec["state"]
        when = _day(spec.get("days_ago", 0), spec.get("hour", 9))
        now = when if state == "sent" else datetime.now(UTC)
        fields: dict[str, Any] = {
            k: spec[k]
            for k in (
                "title",
                "body",
                "translations",
                "category",
                "audience_kind",
                "audience_communes",
                "audience_agencies",
                "requires_ack",
                "deep_link",
                "survey",
            )
            if k in spec
        }
        if "article" in spec:
            fields["article_id"] = await _article_id(spec["article"])
        if "scheduled_days" in spec:
            fields["scheduled_for"] = _day(spec["scheduled_days"], 8)
        data = msgspec.convert(fields, CampaignCreate, strict=False)
        campaign = await campaigns.do_create_campaign(settings, officer, data, now=now - _HOUR)
        campaign_id = campaign.id
        if "list" in spec:
            numbers = "\n".join(spec["list"]).encode()
            await campaigns.do_upload_audience_list(officer, campaign_id, numbers, now=now)
        if state in ("draft", "cancelled"):
            if state == "cancelled":
                await campaigns.do_cancel_campaign(settings, officer, campaign_id, now=now)
            continue
        await campaigns.do_submit_campaign(settings, officer, campaign_id, now=now - _HOUR / 2)
        if state == "submitted":
            continue
        if state == "returned":
            await campaigns.do_return_campaign(
                settings, approver, campaign_id, CampaignReturn(comment=spec["comment"]), now=now
            )
            continue
        await campaigns.do_approve_campaign(settings, approver, campaign_id, now=now)
        if state == "sent":
            await run_until_done(settings, campaign_id, gateway=gateway, now=_at(when))
            await _reads(people, campaign_id, spec.get("reads", {}))


_HOUR = timedelta(hours=1)


def _at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


async def _reads(people: _People, campaign_id: uuid.UUID, reads: dict[str, Any]) -> None:
    """Demo people open, acknowledge and answer the campaign in their inbox."""
    for personal_id, what in reads.items():
        reader = people.principal(personal_id)
        if what.get("read"):
            await do_read(reader, campaign_id)
        if what.get("ack"):
            await do_acknowledge(reader, campaign_id)
        if "rating" in what or "choices" in what:
            answer = SurveyAnswerCreate(rating=what.get("rating"), choices=what.get("choices"))
            await do_answer_survey(reader, campaign_id, answer)


async def seed_notifications(settings: Settings) -> None:
    """The demo people's devices and settings, then the demo campaigns (each once)."""
    people = _People()
    async with unit_of_work():
        await people.load(sorted(PHONES))
        await seed_devices(settings, people)
    async with unit_of_work():
        await seed_campaigns(settings, people)
