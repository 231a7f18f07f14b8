"""Object storage: one interface, a local directory or an S3-compatible bucket.

Objects are written from an async stream of chunks, never held whole in memory; the writer
computes the SHA-256 and the size on the way, and removes the partial object when the stream
raises (an upload over its limit, a client that goes away). Keys are ours (`media/<uuid>/…`)
and are checked against a strict pattern, so no key can name a path outside the store.

boto3 is synchronous: every S3 call runs in a bounded thread pool, off the event loop.
"""

from __future__ import annotations

import abc
import asyncio
import base64
import contextlib
import functools
import hashlib
import mimetypes
import os
import re
import shutil
import tempfile
import threading
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from backend.settings import Settings
from content.errors import ObjectNotFound, StorageUnavailable
from content.signing import UrlSigner

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

T = TypeVar("T")

OBJECTS_ROUTE = "/api/v1/media/objects"
"""Where the app serves local objects: `<OBJECTS_ROUTE>/<token>/<key>`."""

_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_.-]*)*$")
_WRITE_BUFFER = 1024 * 1024

CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".json": "application/json",
}


def check_key(key: str) -> str:
    """`key` if it is a well-formed object key (no `..`, no absolute path); else not found."""
    if len(key) > 512 or not _KEY.match(key) or any(p in ("", ".", "..") for p in key.split("/")):
        raise ObjectNotFound()
    return key


def content_type_for(key: str) -> str:
    ext = os.path.splitext(key)[1].lower()
    return CONTENT_TYPES.get(ext) or mimetypes.guess_type(key)[0] or "application/octet-stream"


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    sha256: str
    """Hex SHA-256 of the whole object."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    content_type: str
    etag: str


class Storage(abc.ABC):
    """Where media objects live. Implementations differ only in where the bytes go."""

    name: str

    @abc.abstractmethod
    async def write(self, key: str, chunks: AsyncIterable[bytes]) -> StoredObject:
        """Store the stream under `key`. If the stream raises, nothing is left under `key`
        (nor any partial upload) and the exception propagates."""

    async def put_file(self, key: str, path: Path) -> StoredObject:
        """Store a local file (a processing output) under `key`."""
        return await self.write(key, _file_chunks(path))

    @abc.abstractmethod
    async def stat(self, key: str) -> ObjectInfo | None: ...

    @abc.abstractmethod
    async def delete(self, key: str) -> None:
        """Remove the object; no error if it is already gone."""

    @abc.abstractmethod
    async def delete_prefix(self, prefix: str) -> int:
        """Remove every object whose key starts with `prefix/`; the count removed."""

    @abc.abstractmethod
    def read_range(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        """Bytes `start`..`end` (inclusive) of the object, in chunks."""

    @abc.abstractmethod
    def local_copy(self, key: str) -> contextlib.AbstractAsyncContextManager[Path]:
        """A local file with the object's bytes for the duration of the block (the object
        itself for local storage, a temporary download for S3)."""

    @abc.abstractmethod
    def url(self, key: str, *, expires_in: int, depth: int | None = None) -> str:
        """A URL a client can fetch the object from until it expires; with `depth`, valid for
        every key under the first `depth` segments (local storage only; HLS playlists)."""

    async def read_bytes(self, key: str) -> bytes:
        info = await self.stat(key)
        if info is None:
            raise ObjectNotFound()
        if not info.size:
            return b""
        return b"".join([c async for c in self.read_range(key, 0, info.size - 1)])

    async def close(self) -> None:
        return None


async def _file_chunks(path: Path, size: int = _WRITE_BUFFER) -> AsyncIterator[bytes]:
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(handle.read, size):
            yield chunk
    finally:
        await asyncio.to_thread(handle.close)


# --- local directory ------------------------------------------------------------------------


class LocalStorage(Storage):
    """Objects are files under `root`; the app serves them through signed URLs."""

    name = "local"

    def __init__(self, root: Path, signer: UrlSigner, url_prefix: str = OBJECTS_ROUTE) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self._partial = self.root / ".partial"
        self._partial.mkdir(exist_ok=True)
        self.signer = signer
        self.url_prefix = url_prefix

    def path_of(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root) or path.is_relative_to(self._partial):
            raise ObjectNotFound()
        return path

    async def write(self, key: str, chunks: AsyncIterable[bytes]) -> StoredObject:
        final = self.path_of(key)
        temp = self._partial / f"{uuid.uuid4().hex}.part"
        digest = hashlib.sha256()
        size = 0
        handle = await asyncio.to_thread(temp.open, "xb")

        def flush(data: bytearray, last: bool) -> None:
            # One thread hop per megabyte: hashing (which releases the GIL) and the write.
            digest.update(data)
            handle.write(data)
            if last:
                handle.flush()
                os.fsync(handle.fileno())
                handle.close()

        # One megabyte is written while the next is received: receiving and writing
        # overlap, and at most two buffers are held.
        writing: asyncio.Task[None] | None = None
        try:
            buffer = bytearray()
            async for chunk in chunks:
                buffer += chunk
                size += len(chunk)
                if len(buffer) >= _WRITE_BUFFER:
                    if writing is not None:
                        await asyncio.shield(writing)
                    writing = asyncio.ensure_future(asyncio.to_thread(flush, buffer, False))
                    buffer = bytearray()
            if writing is not None:
                await asyncio.shield(writing)
            writing = None
            await asyncio.to_thread(flush, buffer, True)

            def publish() -> None:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(temp, final)

            await asyncio.to_thread(publish)
        except BaseException:
            if writing is not None:
                # A thread cannot be cancelled: let its write end before the file goes.
                await asyncio.wait([writing])
                if not writing.cancelled():
                    writing.exception()  # retrieved: the stream's own error is the one raised
            await asyncio.to_thread(_discard, handle, temp)
            raise
        return StoredObject(key=key, size=size, sha256=digest.hexdigest())

    async def put_file(self, key: str, path: Path) -> StoredObject:
        final = self.path_of(key)

        def copy() -> StoredObject:
            temp = self._partial / f"{uuid.uuid4().hex}.part"
            digest = hashlib.sha256()
            try:
                with path.open("rb") as source, temp.open("xb") as target:
                    while data := source.read(_WRITE_BUFFER):
                        digest.update(data)
                        target.write(data)
                    target.flush()
                    os.fsync(target.fileno())
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(temp, final)
            except BaseException:
                temp.unlink(missing_ok=True)
                raise
            return StoredObject(key=key, size=final.stat().st_size, sha256=digest.hexdigest())

        return await asyncio.to_thread(copy)

    async def stat(self, key: str) -> ObjectInfo | None:
        path = self.path_of(key)
        try:
            st = await asyncio.to_thread(path.stat)
        except FileNotFoundError:
            return None
        if not path.is_file():
            return None
        return ObjectInfo(
            key=key,
            size=st.st_size,
            content_type=content_type_for(key),
            etag=f'"{st.st_size:x}-{st.st_mtime_ns:x}"',
        )

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path_of(key).unlink, missing_ok=True)

    async def delete_prefix(self, prefix: str) -> int:
        directory = self.path_of(prefix)

        def remove() -> int:
            if not directory.is_dir():
                return 0
            count = sum(1 for p in directory.rglob("*") if p.is_file())
            shutil.rmtree(directory, ignore_errors=True)
            return count

        return await asyncio.to_thread(remove)

    async def read_range(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        path = self.path_of(key)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            raise ObjectNotFound() from None
        try:
            await asyncio.to_thread(handle.seek, start)
            remaining = end - start + 1
            while remaining > 0:
                chunk = await asyncio.to_thread(handle.read, min(256 * 1024, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                yield chunk
        finally:
            await asyncio.to_thread(handle.close)

    @contextlib.asynccontextmanager
    async def local_copy(self, key: str) -> AsyncIterator[Path]:
        path = self.path_of(key)
        if not await asyncio.to_thread(path.is_file):
            raise ObjectNotFound()
        yield path

    def url(self, key: str, *, expires_in: int, depth: int | None = None) -> str:
        token = self.signer.sign(check_key(key), expires_in=expires_in, depth=depth)
        return f"{self.url_prefix}/{token}/{quote(key)}"


def _discard(handle: Any, temp: Path) -> None:
    with contextlib.suppress(OSError):
        handle.close()
    temp.unlink(missing_ok=True)


# --- S3 -------------------------------------------------------------------------------------


class S3Storage(Storage):
    """Objects in an S3 bucket (AWS S3, MinIO, Ceph RGW) through boto3.

    Large objects go up as multipart uploads, one part being sent while the next is read
    from the stream, so at most two parts are in memory. Every part carries its SHA-256 and
    the server verifies it (`ChecksumAlgorithm=SHA256`).
    """

    name = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None,
        region: str,
        access_key_id: str | None,
        secret_access_key: str | None,
        max_workers: int = 8,
        part_size: int = 8 * 1024 * 1024,
        signer: UrlSigner | None = None,
    ) -> None:
        self.bucket = bucket
        self.signer = signer
        self.part_size = part_size
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="ctn-s3")
        self._client: S3Client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(
                signature_version="s3v4",
                max_pool_connections=max_workers,
                retries={"max_attempts": 3, "mode": "standard"},
                s3={"addressing_style": "path"} if endpoint_url else None,
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    async def _call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise ObjectNotFound() from exc
            raise StorageUnavailable() from exc
        except BotoCoreError as exc:
            raise StorageUnavailable() from exc

    async def write(self, key: str, chunks: AsyncIterable[bytes]) -> StoredObject:
        check_key(key)
        digest = hashlib.sha256()
        size = 0
        buffer = bytearray()
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        pending: asyncio.Future[dict[str, Any]] | None = None
        next_number = 1
        content_type = content_type_for(key)
        try:
            async for chunk in chunks:
                buffer += chunk
                size += len(chunk)
                if len(buffer) < self.part_size:
                    continue
                data = bytes(buffer)
                buffer.clear()
                await asyncio.to_thread(digest.update, data)
                if upload_id is None:
                    created = await self._call(
                        self._client.create_multipart_upload,
                        Bucket=self.bucket,
                        Key=key,
                        ContentType=content_type,
                        ChecksumAlgorithm="SHA256",
                    )
                    upload_id = created["UploadId"]
                if pending is not None:
                    parts.append(await pending)
                pending = asyncio.ensure_future(
                    self._upload_part(key, upload_id, next_number, data)
                )
                next_number += 1
            data = bytes(buffer)
            buffer.clear()
            digest.update(data)
            if upload_id is None:
                await self._call(
                    self._client.put_object,
                    Bucket=self.bucket,
                    Key=key,
                    Body=data,
                    ContentType=content_type,
                    ChecksumAlgorithm="SHA256",
                    ChecksumSHA256=base64.b64encode(hashlib.sha256(data).digest()).decode(),
                )
            else:
                if pending is not None:
                    parts.append(await pending)
                    pending = None
                if data:
                    parts.append(await self._upload_part(key, upload_id, next_number, data))
                await self._call(
                    self._client.complete_multipart_upload,
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
        except BaseException:
            if pending is not None:
                pending.cancel()
                with contextlib.suppress(BaseException):
                    await pending
            if upload_id is not None:
                with contextlib.suppress(Exception):
                    await self._call(
                        self._client.abort_multipart_upload,
                        Bucket=self.bucket,
                        Key=key,
                        UploadId=upload_id,
                    )
            raise
        return StoredObject(key=key, size=size, sha256=digest.hexdigest())

    async def _upload_part(
        self, key: str, upload_id: str, number: int, data: bytes
    ) -> dict[str, Any]:
        checksum = base64.b64encode(hashlib.sha256(data).digest()).decode()
        response = await self._call(
            self._client.upload_part,
            Bucket=self.bucket,
            Key=key,
            UploadId=upload_id,
            PartNumber=number,
            Body=data,
            ChecksumAlgorithm="SHA256",
            ChecksumSHA256=checksum,
        )
        return {"ETag": response["ETag"], "PartNumber": number, "ChecksumSHA256": checksum}

    async def stat(self, key: str) -> ObjectInfo | None:
        check_key(key)
        try:
            head = await self._call(self._client.head_object, Bucket=self.bucket, Key=key)
        except ObjectNotFound:
            return None
        return ObjectInfo(
            key=key,
            size=int(head["ContentLength"]),
            content_type=head.get("ContentType") or content_type_for(key),
            etag=head.get("ETag", ""),
        )

    async def delete(self, key: str) -> None:
        check_key(key)
        await self._call(self._client.delete_object, Bucket=self.bucket, Key=key)

    async def delete_prefix(self, prefix: str) -> int:
        check_key(prefix)
        count = 0
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix + "/"}
            if token:
                kwargs["ContinuationToken"] = token
            listing = await self._call(self._client.list_objects_v2, **kwargs)
            keys = [{"Key": item["Key"]} for item in listing.get("Contents", [])]
            if keys:
                await self._call(
                    self._client.delete_objects,
                    Bucket=self.bucket,
                    Delete={"Objects": keys, "Quiet": True},
                )
                count += len(keys)
            if not listing.get("IsTruncated"):
                return count
            token = listing.get("NextContinuationToken")

    async def read_range(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        check_key(key)
        response = await self._call(
            self._client.get_object, Bucket=self.bucket, Key=key, Range=f"bytes={start}-{end}"
        )
        body = response["Body"]
        try:
            while chunk := await self._call(body.read, 256 * 1024):
                yield chunk
        finally:
            body.close()

    @contextlib.asynccontextmanager
    async def local_copy(self, key: str) -> AsyncIterator[Path]:
        check_key(key)
        with tempfile.TemporaryDirectory(prefix="ctn-s3-") as directory:
            path = Path(directory) / Path(key).name
            await self._call(self._client.download_file, self.bucket, key, str(path))
            yield path

    def url(self, key: str, *, expires_in: int, depth: int | None = None) -> str:
        if depth is not None and self.signer is not None:
            # A presigned URL covers one object, and the relative URIs inside an HLS
            # playlist would lose it: playlists and segments go through the app instead.
            token = self.signer.sign(check_key(key), expires_in=expires_in, depth=depth)
            return f"{OBJECTS_ROUTE}/{token}/{quote(key)}"
        return self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": check_key(key)},
            ExpiresIn=expires_in,
        )

    async def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._client.close()


# --- choosing one by settings ---------------------------------------------------------------

_instances: dict[tuple[Any, ...], Storage] = {}
_lock = threading.Lock()


def storage_key(settings: Settings) -> tuple[Any, ...]:
    return (
        settings.storage_backend,
        str(settings.media_path),
        settings.s3_endpoint_url,
        settings.s3_region,
        settings.s3_bucket,
        settings.s3_access_key_id,
        settings.s3_max_workers,
        settings.s3_part_size_mb,
        settings.secret_key,
    )


def get_storage(settings: Settings) -> Storage:
    """The storage the settings name (one instance per configuration and process)."""
    cache_key = storage_key(settings)
    with _lock:
        storage = _instances.get(cache_key)
        if storage is None:
            storage = _instances[cache_key] = build_storage(settings)
        return storage


def build_storage(settings: Settings) -> Storage:
    if settings.storage_backend == "s3":
        if not settings.s3_bucket:
            from backend.settings import SettingsError

            raise SettingsError("CTN_S3_BUCKET", "is required when CTN_STORAGE_BACKEND=s3")
        return S3Storage(
            bucket=settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            max_workers=settings.s3_max_workers,
            part_size=settings.s3_part_size_mb * 1024 * 1024,
            signer=UrlSigner(settings.require_secret_key()),
        )
    return LocalStorage(settings.media_path, UrlSigner(settings.require_secret_key()))
