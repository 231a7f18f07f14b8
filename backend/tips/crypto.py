"""Encryption at rest of crime reports.

Each report has its own 256-bit data key. What the report says (its content, its messages,
its files) is sealed with that key by AES-256-GCM under a random 96-bit nonce per seal, with
associated data that binds each ciphertext to its row (`b"tip:<id>"`, `b"msg:<id>"`,
`b"att:<id>"`): a sealed value copied onto another row does not open. The data key is stored
wrapped (AES-256-GCM again) by a master key from the settings, with the master key's id beside
it, so that `ctn tips rotate-key` re-wraps data keys under a new master key without touching
any sealed content, and old master keys keep unwrapping until nothing names them.

Files are sealed as a stream (`seal_stream` / `unseal_range`): a header with a random salt,
then segments of `SEGMENT` bytes each sealed under a key derived from the data key and the
salt (HKDF-SHA256), nonce = segment number and a last-segment flag, so no file is ever held
whole in memory, a truncated or reordered file does not open, and any byte range can be read
by opening only the segments it covers.

Master keys never appear in logs, errors or reprs: `MasterKey.__repr__` hides the bytes, and
errors name the key id only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

if TYPE_CHECKING:
    from backend.settings import Settings

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
DERIVED_KEY_ID = "derived-1"
"""Id of the master key derived from `CTN_SECRET_KEY` when no master key is configured."""

STREAM_MAGIC = b"CTNT1"
SALT_BYTES = 16
HEADER_BYTES = len(STREAM_MAGIC) + SALT_BYTES
SEGMENT = 64 * 1024
"""Plaintext bytes per sealed segment of a file."""
SEALED_SEGMENT = SEGMENT + TAG_BYTES


class CryptoError(Exception):
    """A sealed value or wrapped key does not open (wrong key, tampered, or moved to another
    row). Its message never holds key material."""


class MasterKeyUnknown(CryptoError):
    """A data key is wrapped by a master key the settings no longer hold."""


@dataclass(frozen=True)
class MasterKey:
    id: str
    secret: bytes = field(repr=False)

    def __repr__(self) -> str:
        return f"MasterKey(id={self.id!r})"


@dataclass(frozen=True)
class Keyring:
    """The configured master keys; `current` wraps new data keys."""

    keys: tuple[MasterKey, ...]

    @property
    def current(self) -> MasterKey:
        return self.keys[0]

    def get(self, key_id: str) -> MasterKey:
        for key in self.keys:
            if key.id == key_id:
                return key
        raise MasterKeyUnknown(f"master key {key_id!r} is not configured (CTN_TIPS_MASTER_KEYS)")

    def __repr__(self) -> str:
        return f"Keyring(ids={[k.id for k in self.keys]!r})"


def parse_master_keys(value: str) -> tuple[MasterKey, ...]:
    """`id:<base64 of 32 bytes>,…`; raises ValueError naming the problem, never the value."""
    keys: list[MasterKey] = []
    for position, item in enumerate(value.split(","), start=1):
        item = item.strip()
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        key_id = key_id.strip()
        if not sep or not key_id or len(key_id) > 40 or not key_id.isascii():
            raise ValueError(f"entry {position} is not `id:<base64 key>` (id of 1–40 characters)")
        try:
            secret = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"key {key_id!r} is not valid base64") from None
        if len(secret) != KEY_BYTES:
            raise ValueError(f"key {key_id!r} must be {KEY_BYTES} bytes (it is {len(secret)})")
        if any(k.id == key_id for k in keys):
            raise ValueError(f"key id {key_id!r} appears twice")
        keys.append(MasterKey(key_id, secret))
    if not keys:
        raise ValueError("holds no key")
    return tuple(keys)


def check_master_keys_setting(value: str) -> None:
    """Validate `CTN_TIPS_MASTER_KEYS` at start (a `SettingsError` naming the problem only)."""
    from backend.settings import SettingsError

    try:
        parse_master_keys(value)
    except ValueError as exc:
        raise SettingsError("CTN_TIPS_MASTER_KEYS", f"is invalid: {exc}") from None


def derived_master_key(secret_key: str) -> MasterKey:
    secret = HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=b"ctn-tips-master-key"
    ).derive(secret_key.encode())
    return MasterKey(DERIVED_KEY_ID, secret)


_keyrings: dict[tuple[str | None, str | None], Keyring] = {}


def keyring(settings: Settings | None = None) -> Keyring:
    """The master keys of `settings` (default: the process's). A derived key is kept last
    when master keys are configured too, so reports written before they were configured
    still open until rotated."""
    if settings is None:
        from backend.settings import get_settings

        settings = get_settings()
    cache_key = (settings.tips_master_keys, settings.secret_key)
    found = _keyrings.get(cache_key)
    if found is None:
        keys: list[MasterKey] = []
        if settings.tips_master_keys:
            keys.extend(parse_master_keys(settings.tips_master_keys))
        if settings.secret_key and not any(k.id == DERIVED_KEY_ID for k in keys):
            keys.append(derived_master_key(settings.secret_key))
        if not keys:
            raise CryptoError("no master key: set CTN_TIPS_MASTER_KEYS or CTN_SECRET_KEY")
        found = _keyrings[cache_key] = Keyring(tuple(keys))
    return found


# --- data keys --------------------------------------------------------------------------------


def new_data_key() -> bytes:
    return os.urandom(KEY_BYTES)


def _wrap_aad(key_id: str) -> bytes:
    return b"ctn-tips-data-key:" + key_id.encode()


def wrap_key(data_key: bytes, settings: Settings | None = None) -> tuple[bytes, str]:
    """The data key wrapped by the current master key, and that key's id."""
    master = keyring(settings).current
    nonce = os.urandom(NONCE_BYTES)
    wrapped = nonce + AESGCM(master.secret).encrypt(nonce, data_key, _wrap_aad(master.id))
    return wrapped, master.id


def unwrap_key(wrapped: bytes, key_id: str, settings: Settings | None = None) -> bytes:
    master = keyring(settings).get(key_id)
    try:
        return AESGCM(master.secret).decrypt(
            wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_aad(key_id)
        )
    except (InvalidTag, ValueError):
        raise CryptoError(f"a data key does not open under master key {key_id!r}") from None


# --- values -------------------------------------------------------------------------------------


def seal(data_key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(data_key).encrypt(nonce, plaintext, aad)


def unseal(data_key: bytes, sealed: bytes, aad: bytes) -> bytes:
    try:
        return AESGCM(data_key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
    except (InvalidTag, ValueError):
        raise CryptoError("a sealed value does not open (wrong key, tampered or moved)") from None


def tip_aad(tip_id: object) -> bytes:
    return f"tip:{tip_id}".encode()


def message_aad(message_id: object) -> bytes:
    return f"msg:{message_id}".encode()


def attachment_aad(attachment_id: object, part: str = "view") -> bytes:
    """`part`: `view` (the derivative), `original` (the evidence) or `name`."""
    return f"att:{attachment_id}:{part}".encode()


# --- files --------------------------------------------------------------------------------------


def _stream_key(data_key: bytes, salt: bytes, aad: bytes) -> AESGCM:
    key = HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=b"ctn-tips-stream|" + aad
    ).derive(data_key)
    return AESGCM(key)


def _segment_nonce(index: int, last: bool) -> bytes:
    return struct.pack(">QHBx", index >> 16, index & 0xFFFF, 1 if last else 0)


def sealed_size(plain_size: int) -> int:
    segments = max(1, -(-plain_size // SEGMENT))
    return HEADER_BYTES + plain_size + segments * TAG_BYTES


async def seal_stream(
    data_key: bytes, chunks: AsyncIterable[bytes], aad: bytes, digest: hashlib._Hash | None = None
) -> AsyncIterator[bytes]:
    """The sealed form of a stream of plaintext chunks (header, then sealed segments); the
    plaintext goes through `digest` on the way when given. An empty stream is one empty last
    segment."""
    salt = os.urandom(SALT_BYTES)
    cipher = _stream_key(data_key, salt, aad)
    yield STREAM_MAGIC + salt
    buffer = bytearray()
    index = 0
    async for chunk in chunks:
        if digest is not None:
            digest.update(chunk)
        buffer += chunk
        # Keep one full segment back: only at the end do we know which segment is the last.
        while len(buffer) > SEGMENT:
            segment = bytes(buffer[:SEGMENT])
            del buffer[:SEGMENT]
            yield cipher.encrypt(_segment_nonce(index, False), segment, None)
            index += 1
    yield cipher.encrypt(_segment_nonce(index, True), bytes(buffer), None)


@dataclass(frozen=True)
class SealedLayout:
    """Where the plaintext of a sealed file lies."""

    plain_size: int

    @property
    def segments(self) -> int:
        return max(1, -(-self.plain_size // SEGMENT))

    def segment_span(self, index: int) -> tuple[int, int]:
        """Byte offsets (inclusive) of segment `index` in the sealed file."""
        start = HEADER_BYTES + index * SEALED_SEGMENT
        plain = min(SEGMENT, self.plain_size - index * SEGMENT)
        return start, start + max(plain, 0) + TAG_BYTES - 1


def plain_size_of(sealed_bytes: int) -> int:
    """The plaintext size of a sealed file of `sealed_bytes` bytes."""
    body = sealed_bytes - HEADER_BYTES
    segments = max(1, -(-body // SEALED_SEGMENT))
    return body - segments * TAG_BYTES


async def unseal_segments(
    data_key: bytes,
    header: bytes,
    sealed_segments: AsyncIterable[tuple[int, bytes, bool]],
    aad: bytes,
) -> AsyncIterator[bytes]:
    """Open sealed segments (index, bytes, is_last) of a file whose header is `header`."""
    if len(header) != HEADER_BYTES or not header.startswith(STREAM_MAGIC):
        raise CryptoError("not a sealed file")
    cipher = _stream_key(data_key, header[len(STREAM_MAGIC) :], aad)
    async for index, segment, last in sealed_segments:
        try:
            yield cipher.decrypt(_segment_nonce(index, last), segment, None)
        except InvalidTag:
            raise CryptoError("a sealed file does not open (wrong key, tampered or cut)") from None


def keyed_hash(settings: Settings, purpose: str, value: str) -> str:
    """A keyed, truncated hash for counters (never reversible without the master secret, and
    keyed per purpose so that no two uses of one value can be linked)."""
    secret = (settings.secret_key or "").encode()
    key = hmac.new(secret, b"ctn-tips-counter|" + purpose.encode(), hashlib.sha256).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]
