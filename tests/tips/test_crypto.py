"""Encryption at rest: sealed values and files, master keys and their rotation, what the
database holds, and that a master key is never shown."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest

from backend.db import engine, unit_of_work
from backend.settings import SettingsError, describe, load_settings
from backend.tips import crypto, repository
from backend.tips.cli import do_rotate_keys
from backend.tips.content import read_report
from tests.support.auth import auth_headers
from tests.tips.conftest import client_address, photo_with_gps, submit_confidential

KEY_BYTES = os.urandom(32)
KEY = base64.b64encode(KEY_BYTES).decode()


def test_a_sealed_value_opens_only_with_its_key_on_its_row() -> None:
    key = crypto.new_data_key()
    sealed = crypto.seal(key, b"ma tuy o ngo 5", crypto.tip_aad("a"))
    assert crypto.unseal(key, sealed, crypto.tip_aad("a")) == b"ma tuy o ngo 5"
    assert b"ma tuy" not in sealed
    with pytest.raises(crypto.CryptoError):
        crypto.unseal(key, sealed, crypto.tip_aad("b"))  # moved to another row
    with pytest.raises(crypto.CryptoError):
        crypto.unseal(crypto.new_data_key(), sealed, crypto.tip_aad("a"))
    assert crypto.seal(key, b"x", b"a") != crypto.seal(key, b"x", b"a")  # a fresh nonce each


async def _sealed(key: bytes, plain: bytes, aad: bytes) -> bytes:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(plain), 10_000):
            yield plain[i : i + 10_000]

    return b"".join([c async for c in crypto.seal_stream(key, chunks(), aad)])


async def _open(key: bytes, sealed: bytes, size: int, aad: bytes, start: int, end: int) -> bytes:
    layout = crypto.SealedLayout(size)
    first, last = start // crypto.SEGMENT, max(start // crypto.SEGMENT, end // crypto.SEGMENT)

    async def segments() -> AsyncIterator[tuple[int, bytes, bool]]:
        for index in range(first, last + 1):
            lo, hi = layout.segment_span(index)
            yield index, sealed[lo : hi + 1], index == layout.segments - 1

    plain = b"".join(
        [
            p
            async for p in crypto.unseal_segments(
                key, sealed[: crypto.HEADER_BYTES], segments(), aad
            )
        ]
    )
    offset = first * crypto.SEGMENT
    return plain[start - offset : end - offset + 1]


@pytest.mark.parametrize("size", [0, 1, crypto.SEGMENT, crypto.SEGMENT + 1, 3 * crypto.SEGMENT + 5])
async def test_a_sealed_file_opens_by_ranges_and_refuses_cuts(size: int) -> None:
    key = crypto.new_data_key()
    plain = os.urandom(size)
    sealed = await _sealed(key, plain, b"att:x:view")
    assert len(sealed) == crypto.sealed_size(size)
    assert crypto.plain_size_of(len(sealed)) == size
    if size:
        for start, end in [(0, size - 1), (size // 2, size - 1), (0, 0), (size - 1, size - 1)]:
            assert (
                await _open(key, sealed, size, b"att:x:view", start, end) == plain[start : end + 1]
            )
    if size > crypto.SEGMENT:
        cut = sealed[: crypto.HEADER_BYTES + crypto.SEALED_SEGMENT]
        with pytest.raises(crypto.CryptoError):
            # The first segment alone, presented as the whole file: not marked last.
            await _open(key, cut, crypto.SEGMENT, b"att:x:view", 0, crypto.SEGMENT - 1)
    with pytest.raises(crypto.CryptoError):
        await _open(key, sealed, size, b"att:y:view", 0, max(size - 1, 0))


def test_master_keys_are_parsed_and_never_shown() -> None:
    keys = crypto.parse_master_keys(f"k2:{KEY}, k1:{base64.b64encode(os.urandom(32)).decode()}")
    assert [k.id for k in keys] == ["k2", "k1"]
    assert KEY not in repr(keys) and KEY_BYTES.hex() not in repr(keys)
    for bad in (f"k2:{KEY[:-4]}", "k2", f"k2:{KEY},k2:{KEY}", "k2:not base64!"):
        with pytest.raises(SettingsError) as refused:
            load_settings({"CTN_TIPS_MASTER_KEYS": bad})
        assert "CTN_TIPS_MASTER_KEYS" in str(refused.value)
        assert KEY not in str(refused.value) and "not base64!" not in str(refused.value)
    settings = load_settings({"CTN_TIPS_MASTER_KEYS": f"k2:{KEY}", "CTN_SECRET_KEY": "s" * 40})
    assert KEY not in repr(settings) and "s" * 40 not in repr(settings)
    shown = {name: value for name, value, _ in describe(settings, {})}
    assert shown["CTN_TIPS_MASTER_KEYS"] == "***"
    assert crypto.keyring(settings).current.id == "k2"
    assert [k.id for k in crypto.keyring(settings).keys] == ["k2", "derived-1"]


def test_a_data_key_is_wrapped_under_the_current_master_key() -> None:
    settings = load_settings({"CTN_TIPS_MASTER_KEYS": f"k2:{KEY}", "CTN_SECRET_KEY": "s" * 40})
    data_key = crypto.new_data_key()
    wrapped, key_id = crypto.wrap_key(data_key, settings)
    assert key_id == "k2" and data_key not in wrapped
    assert crypto.unwrap_key(wrapped, "k2", settings) == data_key
    with pytest.raises(crypto.CryptoError) as refused:
        crypto.unwrap_key(wrapped, "derived-1", settings)
    assert KEY not in str(refused.value)
    with pytest.raises(crypto.MasterKeyUnknown):
        crypto.unwrap_key(wrapped, "k9", settings)


async def _raw_rows(tip_reference: str) -> list[str]:
    connection = await engine().get_new_connection()
    try:
        tip = await connection.fetchrow("SELECT id FROM tips WHERE reference = $1", tip_reference)
        rows = []
        for table, column in (
            ("tips", "id"),
            ("tip_messages", "tip_id"),
            ("tip_attachments", "tip_id"),
        ):
            fetched = await connection.fetch(
                f"SELECT row_to_json(t)::text AS j FROM {table} t WHERE {column} = $1", tip["id"]
            )
            rows += [r["j"] for r in fetched]
        return rows
    finally:
        await connection.close()


@pytest.mark.usefixtures("committed")
async def test_the_database_holds_only_ciphertext_of_what_a_report_says(tips_app: Any) -> None:
    transport = httpx.ASGITransport(app=tips_app, client=(client_address(), 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        me = await auth_headers()
        ref = (
            await submit_confidential(
                client,
                me,
                description="Ông Hoàng Văn Thuốc bán heroin ở số 12 đường Lương Ngọc Quyến",
                organisation={"name": "Công ty Cổ phần Sông Cầu", "tax_code": "4600123456"},
            )
        )["reference"]
        await client.post(
            f"/api/v1/tips/mine/{ref}/messages", json={"body": "Biển số xe 20A-999.99"}, headers=me
        )
        await client.post(
            f"/api/v1/tips/mine/{ref}/attachments",
            files={"file": ("Hoang-Van-Thuoc.jpg", photo_with_gps(), "image/jpeg")},
            headers=me,
        )
    rows = await _raw_rows(ref)
    assert len(rows) == 3
    text = "\n".join(rows)
    for secret in (
        "Hoàng Văn Thuốc",
        "heroin",
        "Lương Ngọc Quyến",
        "Sông Cầu",
        "4600123456",
        "20A-999.99",
        "Hoang-Van-Thuoc",
        "Nguyễn Văn Bán",
        "21.5928",
        "Ngõ 5",
    ):
        assert secret.lower() not in text.lower(), secret
        assert secret.encode().hex() not in text, secret
        assert secret.encode("utf-8").hex() not in text.replace("\\\\x", ""), secret


async def _reports(app: Any, count: int) -> list[uuid.UUID]:
    transport = httpx.ASGITransport(app=app, client=(client_address(), 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        me = await auth_headers()
        refs = [(await submit_confidential(client, me))["reference"] for _ in range(count)]
    connection = await engine().get_new_connection()
    try:
        rows = await connection.fetch("SELECT id FROM tips WHERE reference = ANY($1)", refs)
    finally:
        await connection.close()
    return [r["id"] for r in rows]


@pytest.mark.usefixtures("committed")
async def test_rotating_the_master_key_keeps_every_report_readable_throughout(
    tips_settings: Any, tips_app: Any
) -> None:
    from backend.app import create_app

    old = await _reports(tips_app, 7)  # under the key derived from CTN_SECRET_KEY
    rotated = msgspec.structs.replace(tips_settings, tips_master_keys=f"k2:{KEY}")
    new_app = create_app(rotated)
    stop = asyncio.Event()
    reads = 0

    async def keep_reading() -> None:
        nonlocal reads
        while not stop.is_set():
            async with unit_of_work():
                for tip_id in old:
                    assert (await read_report(tip_id, rotated)).description
                    reads += 1
            await asyncio.sleep(0)

    async def rotate_while_filing() -> Any:
        filing = asyncio.ensure_future(_reports(new_app, 3))
        rotation = await do_rotate_keys(rotated, batch_size=2)
        await filing
        return rotation

    reader = asyncio.ensure_future(keep_reading())
    try:
        rotation = await rotate_while_filing()
    finally:
        stop.set()
        await reader
    assert reads >= len(old)
    assert rotation.rewrapped == len(old) and rotation.failed == []
    async with unit_of_work():
        assert await repository.count_by_key_id() == {"k2": 10}
        for tip_id in old:
            assert (await read_report(tip_id, rotated)).description.startswith("Có người")
    again = await do_rotate_keys(rotated)
    assert again.rewrapped == 0


@pytest.mark.usefixtures("committed")
async def test_a_master_key_never_reaches_logs_or_answers(
    tips_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from backend.app import create_app

    keyed = msgspec.structs.replace(tips_settings, tips_master_keys=f"k2:{KEY}")
    app = create_app(keyed)
    caplog.set_level(logging.DEBUG)
    transport = httpx.ASGITransport(
        app=app, client=(client_address(), 1), raise_app_exceptions=False
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        me = await auth_headers()
        ref = (await submit_confidential(client, me))["reference"]
        # The report's master key taken away: reading it fails, and says so without keys.
        lost = msgspec.structs.replace(
            tips_settings, tips_master_keys=f"k3:{base64.b64encode(os.urandom(32)).decode()}"
        )
        broken = create_app(lost)
        transport2 = httpx.ASGITransport(
            app=broken, client=(client_address(), 1), raise_app_exceptions=False
        )
        async with httpx.AsyncClient(transport=transport2, base_url="http://testserver") as other:
            failed = await other.get(f"/api/v1/tips/mine/{ref}", headers=me)
        assert failed.status_code == 500
    everything = (
        caplog.text + failed.text + "".join(str(getattr(r, "fields", "")) for r in caplog.records)
    )
    assert "master key 'k2' is not configured" in caplog.text
    assert KEY not in everything and KEY_BYTES.hex() not in everything
    assert repr(KEY_BYTES)[2:-1] not in everything
