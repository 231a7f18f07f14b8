"""Digests shared by every domain that stores secrets only as hashes or signs things."""

from __future__ import annotations

import base64
import hashlib


def sha256_hex(value: str) -> str:
    """How a random token, code or state is stored: never in clear."""
    return hashlib.sha256(value.encode()).hexdigest()


def b64url(raw: bytes) -> str:
    """base64url without padding (JOSE, PKCE, our signed URLs)."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def pkce_s256(verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier (RFC 7636 §4.2)."""
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())
