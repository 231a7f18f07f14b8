"""Signed, expiring URLs for objects served by the app from local storage.

A token is `<key id>.<expiry>.<depth>.<signature>`: an HMAC (SHA-256) over the first `depth`
segments of the object key and the expiry, with a sub-key derived from the master secret.
`depth` lets one token cover a directory, so the relative URIs inside an HLS playlist resolve
under the same token; for a single object it is the whole key. The key id names the secret
that signed, so the master secret can rotate while old links run out.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from backend.hashing import b64url
from content.errors import SignatureExpired, SignatureInvalid

_PURPOSE = b"media-url-v1"


class UrlSigner:
    """Signs with the newest key; verifies with any key it knows (by key id)."""

    def __init__(self, secret: str, *old_secrets: str) -> None:
        keys = [
            hmac.new(s.encode(), _PURPOSE, hashlib.sha256).digest() for s in (secret, *old_secrets)
        ]
        self._keys = {hashlib.sha256(k).hexdigest()[:8]: k for k in keys}
        self._current = hashlib.sha256(keys[0]).hexdigest()[:8]

    @staticmethod
    def _scope(key: str, depth: int) -> str:
        parts = key.split("/")
        return "/".join(parts[:depth]) + ("/" if depth < len(parts) else "")

    def _mac(self, kid: str, expires: int, depth: int, scope: str) -> str:
        message = f"{kid}\n{expires}\n{depth}\n{scope}".encode()
        return b64url(hmac.new(self._keys[kid], message, hashlib.sha256).digest())

    def sign(self, key: str, *, expires_in: int, depth: int | None = None) -> str:
        """A token for `key` (or, with `depth`, for every key under its first `depth`
        segments) valid for `expires_in` seconds."""
        segments = len(key.split("/"))
        depth = segments if depth is None else max(1, min(depth, segments))
        expires = int(time.time()) + expires_in
        kid = self._current
        return f"{kid}.{expires}.{depth}.{self._mac(kid, expires, depth, self._scope(key, depth))}"

    def verify(self, token: str, key: str, *, now: float | None = None) -> int:
        """The expiry (Unix time) if `token` admits `key` now; raise otherwise."""
        try:
            kid, expires_s, depth_s, signature = token.split(".")
            expires, depth = int(expires_s), int(depth_s)
        except ValueError:
            raise SignatureInvalid() from None
        if kid not in self._keys or not 1 <= depth <= len(key.split("/")):
            raise SignatureInvalid()
        expected = self._mac(kid, expires, depth, self._scope(key, depth))
        if not hmac.compare_digest(expected, signature):
            raise SignatureInvalid()
        if (time.time() if now is None else now) >= expires:
            raise SignatureExpired()
        return expires
