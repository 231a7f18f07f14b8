"""The proof of work an anonymous report carries (hashcash-style).

`GET /api/v1/tips/challenge` hands out a challenge: an opaque token carrying its difficulty
and expiry, authenticated by an HMAC under a key derived from `CTN_SECRET_KEY` (so nothing is
stored when it is issued, and nothing about who asked). The app finds a `nonce` such that
SHA-256(`<challenge>:<nonce>`) starts with `difficulty` zero bits and sends both with the
report. A challenge is accepted once: its digest is recorded as spent (`tip_challenges`)
until it expires, then forgotten.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
import time
from datetime import UTC, datetime

import msgspec

from backend.settings import Settings
from backend.tips import repository
from backend.tips.errors import ProofOfWorkInvalid, ProofOfWorkSpent

VERSION = 1
_PAYLOAD = struct.Struct(">BBQ16s")
TAG_BYTES = 16
MAX_NONCE = 64


class Challenge(msgspec.Struct, frozen=True, kw_only=True):
    challenge: str
    difficulty: int
    """Leading zero bits SHA-256(`challenge:nonce`) must have."""
    expires_at: datetime
    algorithm: str = "sha256-leading-zero-bits"


class Proof(msgspec.Struct, frozen=True, kw_only=True):
    """A solved challenge, as the app sends it with an anonymous report."""

    challenge: str
    nonce: str


def _key(settings: Settings) -> bytes:
    secret = settings.require_secret_key().encode()
    return hmac.new(secret, b"ctn-tips-challenge", hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def issue(settings: Settings, now: float | None = None) -> Challenge:
    now = time.time() if now is None else now
    expires = int(now) + settings.tips_challenge_minutes * 60
    payload = _PAYLOAD.pack(VERSION, settings.tips_pow_difficulty, expires, os.urandom(16))
    tag = hmac.new(_key(settings), payload, hashlib.sha256).digest()[:TAG_BYTES]
    return Challenge(
        challenge=_b64(payload + tag),
        difficulty=settings.tips_pow_difficulty,
        expires_at=datetime.fromtimestamp(expires, UTC),
    )


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def solve(challenge: str, difficulty: int) -> str:
    """A nonce that solves the challenge (what the app does; tests and tools use it too)."""
    counter = 0
    prefix = challenge.encode() + b":"
    while True:
        nonce = str(counter).encode()
        if leading_zero_bits(hashlib.sha256(prefix + nonce).digest()) >= difficulty:
            return nonce.decode()
        counter += 1


def check(settings: Settings, proof: Proof, now: float | None = None) -> datetime:
    """The challenge's expiry if the proof is right: issued by us, not expired, at least
    as hard as now required, solved; else `ProofOfWorkInvalid`."""
    now = time.time() if now is None else now
    try:
        raw = base64.urlsafe_b64decode(proof.challenge + "=" * (-len(proof.challenge) % 4))
    except ValueError:
        raise ProofOfWorkInvalid() from None
    if len(raw) != _PAYLOAD.size + TAG_BYTES or len(proof.nonce) > MAX_NONCE:
        raise ProofOfWorkInvalid()
    payload, tag = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
    expected = hmac.new(_key(settings), payload, hashlib.sha256).digest()[:TAG_BYTES]
    if not hmac.compare_digest(tag, expected):
        raise ProofOfWorkInvalid()
    version, difficulty, expires, _ = _PAYLOAD.unpack(payload)
    if version != VERSION or expires < now or difficulty < settings.tips_pow_difficulty:
        raise ProofOfWorkInvalid()
    digest = hashlib.sha256(f"{proof.challenge}:{proof.nonce}".encode()).digest()
    if leading_zero_bits(digest) < difficulty:
        raise ProofOfWorkInvalid()
    return datetime.fromtimestamp(expires, UTC)


async def do_spend(settings: Settings, proof: Proof) -> None:
    """Check the proof and record its challenge as spent, in the caller's transaction (a
    report that fails leaves the challenge usable); `ProofOfWorkSpent` the second time."""
    expires_at = check(settings, proof)
    digest = hashlib.sha256(proof.challenge.encode()).hexdigest()
    if not await repository.spend_challenge(digest, expires_at):
        raise ProofOfWorkSpent()
