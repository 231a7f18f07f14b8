"""Categories of notifications: what a person may mute, and what they may not.

Mandatory internal circulars and emergency alerts always reach people; everything else can be
muted per category (`NotificationProfile.muted_categories`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    code: str
    name_vi: str
    name_en: str
    mutable: bool = True


CATEGORIES: tuple[Category, ...] = (
    Category("emergency", "Cảnh báo khẩn cấp", "Emergency alerts", mutable=False),
    Category("circular", "Công văn, chỉ đạo nội bộ", "Internal circulars", mutable=False),
    Category("announcement", "Thông báo của tỉnh", "Province announcements"),
    Category("health", "Y tế", "Health"),
    Category("education", "Giáo dục", "Education"),
    Category("transport", "Giao thông", "Transport"),
    Category("security", "An ninh trật tự", "Public order"),
    Category("welfare", "An sinh xã hội", "Welfare"),
    Category("events", "Sự kiện, văn hóa", "Events and culture"),
    Category("tips", "Tin báo tội phạm của bạn", "Your crime reports", mutable=False),
    Category("courses", "Học tập, bồi dưỡng", "Courses and training"),
)

BY_CODE = {category.code: category for category in CATEGORIES}


def is_mutable(code: str) -> bool:
    category = BY_CODE.get(code)
    return category is not None and category.mutable


LANGUAGES: dict[str, tuple[str, str]] = {
    "vi": ("Tiếng Việt", "Vietnamese"),
    "en": ("Tiếng Anh", "English"),
    "tay": ("Tiếng Tày", "Tày"),
    "nung": ("Tiếng Nùng", "Nùng"),
    "hmn": ("Tiếng H'Mông", "Hmong"),
    "dao": ("Tiếng Dao", "Dao"),
}
"""Languages a notification can be written in: Vietnamese always, the others as translations."""
