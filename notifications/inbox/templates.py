"""The notifications other domains send through `notify`: one template per kind of event,
its title and body in Vietnamese and English as `str.format` strings over the caller's data.

Other languages fall back to Vietnamese (campaigns carry translations; these short personal
messages are written in the two languages the app's own text exists in). Data values are
language-neutral (reference codes, amounts, dates, course titles): a status or a word that
needs translating gets a template of its own rather than a value.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass


class TemplateUnknown(LookupError):
    """`notify` was called with a template nobody registered (a programming error)."""


class TemplateDataMissing(KeyError):
    """`notify` was called without a value the template uses (a programming error)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "template data missing"


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    translations: dict[str, dict[str, str]]
    """{"en": {"title", "body"}}: what `InboxItem.translations` stores."""


@dataclass(frozen=True)
class Template:
    name: str
    title_vi: str
    body_vi: str
    title_en: str
    body_en: str
    requires_ack: bool = False

    def fields(self) -> set[str]:
        """The data keys the template uses."""
        names = set()
        for text in (self.title_vi, self.body_vi, self.title_en, self.body_en):
            for _, name, _, _ in string.Formatter().parse(text):
                if name:
                    names.add(name.split(".", 1)[0].split("[", 1)[0])
        return names

    def render(self, data: Mapping[str, object]) -> Rendered:
        missing = sorted(self.fields() - set(data))
        if missing:
            raise TemplateDataMissing(
                f"template {self.name!r} needs data {', '.join(repr(m) for m in missing)}"
            )
        values = dict(data)
        return Rendered(
            title=self.title_vi.format(**values)[:200],
            body=self.body_vi.format(**values),
            translations={
                "en": {
                    "title": self.title_en.format(**values)[:200],
                    "body": self.body_en.format(**values),
                }
            },
        )


TEMPLATES: dict[str, Template] = {}


def register(template: Template) -> Template:
    """Add a template (at import; a name is registered once)."""
    if template.name in TEMPLATES:
        raise ValueError(f"template {template.name!r} is already registered")
    TEMPLATES[template.name] = template
    return template


def get(name: str) -> Template:
    try:
        return TEMPLATES[name]
    except KeyError:
        raise TemplateUnknown(
            f"no notification template {name!r}; known: {', '.join(sorted(TEMPLATES))}"
        ) from None


# --- crime reports (backend/tips) -------------------------------------------------------------

register(
    Template(
        "tips.status_changed",
        title_vi="Tin báo {reference} có cập nhật",
        body_vi="Cơ quan công an đã cập nhật trạng thái tin báo của bạn. Mở ứng dụng để xem.",
        title_en="Your report {reference} was updated",
        body_en="The police updated the status of your report. Open the app to see it.",
    )
)
register(
    Template(
        "tips.new_message",
        title_vi="Tin nhắn mới về tin báo {reference}",
        body_vi="Cán bộ tiếp nhận đã gửi cho bạn một tin nhắn về tin báo của bạn.",
        title_en="New message about your report {reference}",
        body_en="The officer handling your report sent you a message.",
    )
)
register(
    Template(
        "tips.assigned",
        title_vi="Bạn được giao xử lý tin báo {reference}",
        body_vi="Một tin báo tội phạm đã được giao cho bạn. Mở bảng điều khiển để xử lý.",
        title_en="Report {reference} was assigned to you",
        body_en="A crime report was assigned to you. Open the console to handle it.",
    )
)
register(
    Template(
        "tips.new_report",
        title_vi="Tin báo mới {reference}",
        body_vi="Đơn vị của bạn vừa nhận một tin báo tội phạm mới cần phân loại.",
        title_en="New report {reference}",
        body_en="Your unit received a new crime report to triage.",
    )
)
register(
    Template(
        "tips.emergency",
        title_vi="KHẨN CẤP: tin báo {reference}",
        body_vi="Tin báo khẩn cấp, nguy hiểm có thể đang diễn ra. Bạn đang trực: xử lý ngay.",
        title_en="EMERGENCY: report {reference}",
        body_en="An emergency report: the danger may be happening now. You are on duty: act now.",
    )
)

# --- welfare (backend/welfare) ----------------------------------------------------------------

register(
    Template(
        "welfare.payment_made",
        title_vi="Đã chi trả {program}",
        body_vi="Khoản chi trả {amount} đồng của {program} đã được thực hiện ngày {date}.",
        title_en="{program}: payment made",
        body_en="The payment of {amount} VND from {program} was made on {date}.",
    )
)
register(
    Template(
        "welfare.payment_scheduled",
        title_vi="Lịch chi trả {program}",
        body_vi="Khoản chi trả {amount} đồng của {program} dự kiến vào ngày {date}.",
        title_en="{program}: payment scheduled",
        body_en="The payment of {amount} VND from {program} is scheduled for {date}.",
    )
)
register(
    Template(
        "welfare.payment_failed",
        title_vi="Chưa chi trả được {program}",
        body_vi=(
            "Khoản chi trả {amount} đồng của {program} kỳ {month} chưa đến được với bạn."
            " Mở ứng dụng để xem cần làm gì, hoặc liên hệ UBND xã nơi bạn cư trú."
        ),
        title_en="{program}: payment not made",
        body_en=(
            "The payment of {amount} VND from {program} for {month} did not reach you."
            " Open the app to see what to do, or contact your commune office."
        ),
    )
)

# --- courses (mooc) ---------------------------------------------------------------------------

register(
    Template(
        "courses.assigned",
        title_vi="Bạn được giao khóa học mới",
        body_vi='Khóa học "{course}" cần hoàn thành trước ngày {deadline}.',
        title_en="A course was assigned to you",
        body_en='The course "{course}" is to be completed by {deadline}.',
    )
)
register(
    Template(
        "courses.deadline_soon",
        title_vi="Sắp đến hạn hoàn thành khóa học",
        body_vi='Khóa học "{course}" cần hoàn thành trước ngày {deadline}.',
        title_en="A course deadline is near",
        body_en='The course "{course}" is to be completed by {deadline}.',
    )
)
# mandatory training (mooc assignments part): overdue reminders, a due date moved
register(
    Template(
        "courses.overdue",
        title_vi="Khóa học bắt buộc đã quá hạn",
        body_vi='Khóa học "{course}" đã quá hạn hoàn thành (hạn {deadline}). Hãy hoàn thành sớm.',
        title_en="A mandatory course is overdue",
        body_en='The course "{course}" was due on {deadline}. Please complete it soon.',
    )
)
register(
    Template(
        "courses.due_changed",
        title_vi="Hạn hoàn thành khóa học đã thay đổi",
        body_vi='Khóa học "{course}" nay cần hoàn thành trước ngày {deadline}.',
        title_en="A course deadline changed",
        body_en='The course "{course}" is now to be completed by {deadline}.',
    )
)
register(
    Template(
        "courses.certificate_issued",
        title_vi="Bạn đã được cấp chứng chỉ",
        body_vi='Chúc mừng bạn đã hoàn thành khóa học "{course}".',
        title_en="Your certificate was issued",
        body_en='Congratulations on completing the course "{course}".',
    )
)
