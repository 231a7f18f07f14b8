"""Receipts of anonymous reports: at least 16 random digits, shown once, stored only as an
argon2id hash under a server-side salt (a fixed salt, so that the hash is also the key the
report is found by; the salt is derived from `CTN_SECRET_KEY`, so a database dump alone does
not allow testing guesses).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets

from argon2.low_level import Type, hash_secret_raw

from backend.settings import Settings

DIGITS = 20
"""About 66 bits: out of reach of guessing at any rate the throttle lets through."""
MIN_DIGITS = 16
MAX_DIGITS = 32
TIME_COST = 2
MEMORY_KIB = 19 * 1024
"""OWASP's argon2id minimum (m = 19 MiB, t = 2, p = 1): tens of milliseconds a check."""
_SEPARATORS = re.compile(r"[\s-]")


def new_receipt() -> str:
    return f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"


def formatted(receipt: str) -> str:
    """Groups of four digits, as the app shows it."""
    return " ".join(receipt[i : i + 4] for i in range(0, len(receipt), 4))


def normalised(value: str | None) -> str | None:
    """The digits of a receipt as typed (spaces and dashes ignored), or None when it cannot
    be one."""
    if not value:
        return None
    digits = _SEPARATORS.sub("", value)
    if not digits.isascii() or not digits.isdigit():
        return None
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        return None
    return digits


def _salt(settings: Settings) -> bytes:
    secret = settings.require_secret_key().encode()
    return hmac.new(secret, b"ctn-tips-receipt-salt", hashlib.sha256).digest()[:16]


def _hash(settings: Settings, receipt: str) -> str:
    raw = hash_secret_raw(
        secret=receipt.encode(),
        salt=_salt(settings),
        time_cost=TIME_COST,
        memory_cost=MEMORY_KIB,
        parallelism=1,
        hash_len=32,
        type=Type.ID,
    )
    return raw.hex()


async def receipt_hash(settings: Settings, receipt: str) -> str:
    """The stored form of a receipt (computed off the event loop)."""
    return await asyncio.to_thread(_hash, settings, receipt)
