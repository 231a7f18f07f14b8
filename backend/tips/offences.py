"""The offence types a report may name (one to three), with their labels.

The list is configurable (`CTN_TIPS_OFFENCES`, JSON); codes are what rows and statistics
keep, so a code once used should stay in the list (a code dropped from it still shows, by its
code, on the reports that named it).
"""

from __future__ import annotations

import functools

import msgspec

from backend.settings import Settings


class Offence(msgspec.Struct, frozen=True):
    code: str
    vi: str
    en: str


DEFAULT_OFFENCES: tuple[Offence, ...] = (
    Offence("drugs", "Ma túy", "Drugs"),
    Offence("theft", "Trộm cắp tài sản", "Theft"),
    Offence("robbery", "Cướp, cướp giật tài sản", "Robbery"),
    Offence("fraud", "Lừa đảo, lừa đảo qua mạng", "Fraud and online scams"),
    Offence("gambling", "Cờ bạc, cá độ", "Gambling"),
    Offence("violence", "Bạo lực, cố ý gây thương tích", "Violence"),
    Offence("weapons", "Vũ khí, vật liệu nổ", "Weapons"),
    Offence("human_trafficking", "Mua bán người", "Human trafficking"),
    Offence("environment", "Vi phạm về môi trường", "Environment"),
    Offence("traffic", "Vi phạm giao thông", "Traffic"),
    Offence("other", "Khác", "Other"),
)

MAX_PER_REPORT = 3
_CODE = r"^[a-z][a-z0-9_]{0,39}$"


class _Configured(msgspec.Struct, frozen=True):
    code: str
    vi: str
    en: str


def offences(settings: Settings) -> tuple[Offence, ...]:
    """The offence types offered, in the order shown."""
    return _parse(settings.tips_offences)


@functools.lru_cache(maxsize=4)
def _parse(value: str | None) -> tuple[Offence, ...]:
    if not value:
        return DEFAULT_OFFENCES
    import re

    items = msgspec.json.decode(value.encode(), type=list[_Configured])
    found = tuple(Offence(i.code, i.vi, i.en) for i in items)
    codes = [o.code for o in found]
    if not found or len(set(codes)) != len(codes) or not all(re.match(_CODE, c) for c in codes):
        raise ValueError("offence codes must be unique, lowercase, at most 40 characters")
    return found


def check_offences_setting(value: str) -> None:
    from backend.settings import SettingsError

    try:
        _parse(value)
    except (ValueError, msgspec.DecodeError) as exc:
        raise SettingsError("CTN_TIPS_OFFENCES", f"is invalid: {exc}") from None


def codes(settings: Settings) -> frozenset[str]:
    return frozenset(o.code for o in offences(settings))


def label(settings: Settings, code: str, language: str = "vi") -> str:
    for offence in offences(settings):
        if offence.code == code:
            return offence.vi if language == "vi" else offence.en
    return code
