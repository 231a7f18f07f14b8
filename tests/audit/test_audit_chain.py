"""The audit log is append-only, hash-chained and keyed (HMAC under audit keys derived from
CTN_SECRET_KEY); tampering, even by someone who can write to the database and recompute every
SHA-256, is found by `ctn audit verify`, which names the first bad entry."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec
import pytest

from backend.audit.errors import AuditKeyMismatch
from backend.audit.repository import EntryFields
from backend.audit.service import (
    BAD_MAC,
    CHANGED,
    FOREIGN_KEY,
    GENESIS,
    KEY_STARTED,
    REMOVED_OR_INSERTED,
    TRUNCATED,
    UNKEYED,
    UNKNOWN_KEY,
    derive_key,
    do_record,
    do_rotate_key,
    entry_hash,
    key_check,
    verify_chain,
)
from backend.db import engine, unit_of_work
from backend.settings import get_settings
from tests.conftest import TEST_SECRET_KEY

OTHER_SECRET = "another-secret-key-that-is-long-enough-0123"


async def record_three() -> list[int]:
    async with unit_of_work():
        return [
            await do_record("sign_in", actor_id="p-1"),
            await do_record(
                "tip.read",
                actor_id="p-2",
                object_type="tip",
                object_id="t-9",
                reason="triage",
                details={"fields": ["summary"]},
            ),
            await do_record(
                "role.grant",
                actor_id="p-3",
                object_type="person",
                object_id="p-1",
                details={"role": "police_officer"},
            ),
        ]


async def raw(sql: str, *args: object) -> None:
    """SQL as an attacker with database rights would run it: triggers disabled."""
    connection = await engine().get_new_connection()
    try:
        async with connection.transaction():
            await connection.execute("ALTER TABLE audit_entries DISABLE TRIGGER USER")
            await connection.execute(sql, *args)
            await connection.execute("ALTER TABLE audit_entries ENABLE TRIGGER USER")
    finally:
        await connection.close()


async def rows() -> list[dict[str, Any]]:
    connection = await engine().get_new_connection()
    try:
        found = await connection.fetch("SELECT * FROM audit_entries ORDER BY id")
    finally:
        await connection.close()
    return [{**row, "details": json.loads(row["details"])} for row in found]


def as_fields(entry: dict[str, Any]) -> EntryFields:
    """What an entry states, from a row read or forged with SQL."""
    return msgspec.convert(entry, EntryFields)


def attacker_mac(key: bytes, prev_link: str, key_id: str, entry: dict[str, Any]) -> str:
    """The MAC format is public (it is in the source); only the key is not."""
    canonical = {
        "occurred_at": entry["occurred_at"].astimezone(UTC).isoformat(timespec="microseconds"),
        **{k: entry[k] for k in ("actor_id", "action", "object_type", "object_id", "reason")},
        "details": entry["details"],
    }
    payload = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    message = f"ctn-audit-v1\n{prev_link}\n{key_id}\n".encode() + payload.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


async def append_forged(
    *,
    key_id: str | None = None,
    guessed_key: bytes | None = None,
    action: str = "tip.read",
    object_type: str = "tip",
    object_id: str = "t-1",
    details: dict[str, Any] | None = None,
) -> int:
    """INSERT an entry whose plain SHA-256 chain is correct; with `key_id`, MACed under a key
    the attacker had to guess (everything in the database is known to them)."""
    last = (await rows())[-1]
    entry: dict[str, Any] = {
        "occurred_at": datetime.now(UTC),
        "actor_id": "p-nobody",
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "reason": None,
        "details": details or {},
    }
    digest = entry_hash(last["hash"], as_fields(entry))
    mac = None
    if key_id is not None:
        key = guessed_key or hashlib.sha256(key_id.encode() + last["hash"].encode()).digest()
        mac = attacker_mac(key, last["mac"] or last["hash"], key_id, entry)
    connection = await engine().get_new_connection()
    try:
        return int(
            await connection.fetchval(
                "INSERT INTO audit_entries (occurred_at, actor_id, action, object_type,"
                " object_id, reason, details, prev_hash, hash, key_id, mac)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11) RETURNING id",
                *list(entry.values())[:6],
                json.dumps(entry["details"]),
                *(last["hash"], digest, key_id, mac),
            )
        )
    finally:
        await connection.close()


async def verify(secret_key: str | None = None, **kwargs: Any) -> Any:
    async with unit_of_work():
        return await verify_chain(secret_key, **kwargs)


def ctn_audit_verify(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backend", "audit", "verify", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
async def clean_audit(committed: None) -> Any:
    await raw("DELETE FROM audit_entries")
    yield
    await raw("DELETE FROM audit_entries")


@pytest.fixture
def env(subprocess_env: dict[str, str], server_url: str, database_name: str) -> dict[str, str]:
    return {**subprocess_env, "DATABASE_URL": server_url.format(db=database_name)}


# --- an intact chain ------------------------------------------------------------------------


async def test_an_untouched_chain_verifies(db: None) -> None:
    ids = await record_three()
    report = await verify_chain()
    assert report.broken is None
    assert report.checked >= len(ids)
    assert report.head_id == ids[-1]
    assert report.key_ids


async def test_a_new_chain_begins_with_the_key_it_is_macd_under(clean_audit: None) -> None:
    ids = await record_three()
    first, *rest = await rows()
    assert first["action"] == KEY_STARTED
    assert first["object_id"] == first["key_id"]
    assert [r["id"] for r in rest] == ids
    assert {r["key_id"] for r in rest} == {first["key_id"]}
    assert all(r["mac"] for r in rest)
    report = await verify()
    assert report.broken is None
    assert (report.checked, report.unkeyed, report.keyed_from) == (4, 0, first["id"])


async def test_concurrent_appends_form_one_chain(clean_audit: None) -> None:
    async def append(n: int) -> int:
        async with unit_of_work():
            return await do_record("sign_in", actor_id=f"p-{n}")

    ids = await asyncio.gather(*(append(n) for n in range(8)))
    report = await verify()
    assert report.broken is None
    assert report.checked == len(ids) + 1  # and the entry that began the key


async def test_updates_and_deletes_are_refused(clean_audit: None) -> None:
    [first, *_] = await record_three()
    connection = await engine().get_new_connection()
    try:
        for sql in (
            "UPDATE audit_entries SET action = 'x' WHERE id = $1",
            "DELETE FROM audit_entries WHERE id = $1",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.execute(sql, first)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute("TRUNCATE audit_entries")
    finally:
        await connection.close()


# --- tampering --------------------------------------------------------------------------------


async def test_a_changed_row_is_found_by_ctn_audit_verify(
    clean_audit: None, env: dict[str, str]
) -> None:
    _, second, _ = await record_three()
    intact = ctn_audit_verify(env)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "intact (4 entries)" in intact.stdout

    await raw("UPDATE audit_entries SET reason = 'nothing to see' WHERE id = $1", second)
    broken = ctn_audit_verify(env)
    assert broken.returncode == 1
    assert f"entry {second}:" in broken.stdout
    assert CHANGED in broken.stdout


async def test_a_changed_row_with_every_hash_recomputed_fails_its_mac(
    clean_audit: None,
) -> None:
    _, second, _ = await record_three()
    await raw("UPDATE audit_entries SET reason = 'nothing to see' WHERE id = $1", second)
    prev = GENESIS
    for row in await rows():  # the attacker repairs the whole SHA-256 chain
        digest = entry_hash(prev, as_fields(row))
        await raw(
            "UPDATE audit_entries SET prev_hash = $1, hash = $2 WHERE id = $3",
            prev,
            digest,
            row["id"],
        )
        prev = digest
    report = await verify()
    assert report.broken is not None
    assert (report.broken.entry_id, report.broken.problem) == (second, BAD_MAC)


async def test_details_changed_to_something_other_than_an_object_are_reported(
    clean_audit: None,
) -> None:
    _, second, _ = await record_three()
    await raw("UPDATE audit_entries SET details = '[1, 2]'::jsonb WHERE id = $1", second)
    report = await verify()
    assert report.broken is not None
    assert (report.broken.entry_id, report.broken.problem) == (second, CHANGED)


async def test_a_removed_row_breaks_the_chain(clean_audit: None) -> None:
    _, second, third = await record_three()
    await raw("DELETE FROM audit_entries WHERE id = $1", second)
    report = await verify()
    assert report.broken is not None
    assert (report.broken.entry_id, report.broken.problem) == (third, REMOVED_OR_INSERTED)
    assert report.checked == 2


async def test_a_removed_row_with_the_next_hashes_relinked_fails_the_next_mac(
    clean_audit: None,
) -> None:
    first, second, third = await record_three()
    await raw("DELETE FROM audit_entries WHERE id = $1", second)
    before = next(r for r in await rows() if r["id"] == first)
    relinked = entry_hash(
        before["hash"], as_fields(next(r for r in await rows() if r["id"] == third))
    )
    await raw(
        "UPDATE audit_entries SET prev_hash = $1, hash = $2 WHERE id = $3",
        before["hash"],
        relinked,
        third,
    )
    report = await verify()
    assert report.broken is not None
    assert (report.broken.entry_id, report.broken.problem) == (third, BAD_MAC)


async def test_an_appended_entry_without_a_mac_is_found(clean_audit: None) -> None:
    await record_three()
    forged = await append_forged()
    report = await verify()
    assert report.broken is not None
    assert (report.broken.entry_id, report.broken.problem) == (forged, UNKEYED)


async def test_an_appended_entry_macd_without_the_key_is_found_by_ctn_audit_verify(
    clean_audit: None, env: dict[str, str]
) -> None:
    await record_three()
    key_id = (await rows())[-1]["key_id"]
    forged = await append_forged(key_id=key_id)
    async with unit_of_work():  # the application goes on appending after the forgery
        await do_record("sign_in", actor_id="p-1")

    result = ctn_audit_verify(env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"broken at entry {forged}: {BAD_MAC}" in result.stdout
    assert "(4 entries before it are intact)" in result.stdout


async def test_the_forgeries_fail_for_want_of_the_key_alone(clean_audit: None) -> None:
    await record_three()
    key_id = (await rows())[-1]["key_id"]
    await append_forged(key_id=key_id, guessed_key=derive_key(TEST_SECRET_KEY, key_id))
    assert (await verify()).broken is None


async def test_an_appended_entry_under_another_secrets_key_is_found(clean_audit: None) -> None:
    await record_three()
    key_id = (await rows())[-1]["key_id"]
    forged = await append_forged(key_id=key_id, guessed_key=derive_key(OTHER_SECRET, key_id))
    report = await verify()
    assert report.broken is not None
    assert (report.broken.entry_id, report.broken.problem) == (forged, BAD_MAC)


async def test_an_appended_key_of_the_attackers_own_is_found(clean_audit: None) -> None:
    await record_three()
    own = derive_key(OTHER_SECRET, "evil")
    started = await append_forged(
        key_id="evil",
        guessed_key=own,
        action=KEY_STARTED,
        object_type="audit_key",
        object_id="evil",
        details={"key_check": key_check(own), "previous_key_id": None},
    )
    await append_forged(key_id="evil", guessed_key=own)
    report = await verify()
    assert report.broken is not None
    assert (report.broken.entry_id, report.broken.problem) == (started, FOREIGN_KEY)


async def test_an_entry_naming_a_key_that_never_began_is_found(clean_audit: None) -> None:
    await record_three()
    forged = await append_forged(key_id="made-up")
    report = await verify()
    assert report.broken is not None
    assert (report.broken.entry_id, report.broken.problem) == (forged, UNKNOWN_KEY)


async def test_a_truncated_tail_is_found_against_the_head_noted_before(
    clean_audit: None, env: dict[str, str]
) -> None:
    *_, third = await record_three()
    noted = ctn_audit_verify(env)
    head = next(line for line in noted.stdout.splitlines() if "head:" in line).split()[-1]
    assert head.startswith(f"{third}:")
    assert ctn_audit_verify(env, "--head", head).returncode == 0

    await raw("DELETE FROM audit_entries WHERE id = $1", third)
    plain = await verify()
    assert plain.broken is None  # without an anchor outside the database, a cut is invisible
    result = ctn_audit_verify(env, "--head", head)
    assert result.returncode == 1
    assert f"broken at entry {third}: {TRUNCATED}" in result.stdout


# --- the secret --------------------------------------------------------------------------------


async def test_a_wrong_secret_key_is_named_in_one_line(
    clean_audit: None, env: dict[str, str]
) -> None:
    await record_three()
    with pytest.raises(AuditKeyMismatch):
        await verify(OTHER_SECRET)

    result = ctn_audit_verify({**env, "CTN_SECRET_KEY": OTHER_SECRET})
    assert result.returncode == 1
    assert result.stdout.count("\n") == 1
    assert "CTN_SECRET_KEY is not the secret the audit chain was keyed with" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


async def test_appending_under_a_wrong_secret_key_is_refused(
    clean_audit: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    await record_three()
    # The process's settings as a process started with another secret would have them.
    other = msgspec.structs.replace(get_settings(), secret_key=OTHER_SECRET)
    monkeypatch.setattr("backend.settings._current", other)
    with pytest.raises(AuditKeyMismatch, match="CTN_SECRET_KEY does not derive audit key"):
        async with unit_of_work():
            await do_record("sign_in", actor_id="p-1")
    monkeypatch.undo()
    assert (await verify()).broken is None


# --- rotation and entries from before keying ----------------------------------------------------


async def test_after_a_rotation_entries_under_both_keys_verify(clean_audit: None) -> None:
    await record_three()
    old_key = (await rows())[-1]["key_id"]
    async with unit_of_work():
        new_key = await do_rotate_key()
        after = await do_record("sign_in", actor_id="p-1")
    assert new_key != old_key
    last = (await rows())[-1]
    assert (last["id"], last["key_id"]) == (after, new_key)
    report = await verify()
    assert report.broken is None
    assert report.key_ids == [old_key, new_key]


async def test_ctn_audit_rotate_key_starts_a_new_key(
    clean_audit: None, env: dict[str, str]
) -> None:
    await record_three()
    result = subprocess.run(
        [sys.executable, "-m", "backend", "audit", "rotate-key"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "new audit key" in result.stdout
    assert len((await verify()).key_ids) == 2


async def test_entries_from_before_keying_verify_by_hash_and_the_keyed_chain_follows(
    clean_audit: None, env: dict[str, str]
) -> None:
    prev = GENESIS
    for n in range(2):  # as the application wrote them before this change
        entry: dict[str, Any] = {
            "occurred_at": datetime.now(UTC),
            "actor_id": f"p-{n}",
            "action": "sign_in",
            "object_type": None,
            "object_id": None,
            "reason": None,
            "details": {},
        }
        digest = entry_hash(prev, as_fields(entry))
        await raw(
            "INSERT INTO audit_entries (occurred_at, actor_id, action, object_type, object_id,"
            " reason, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, '{}', $7, $8)",
            *list(entry.values())[:6],
            prev,
            digest,
        )
        prev = digest
    not_yet = await verify()
    assert not_yet.broken is None
    assert (not_yet.unkeyed, not_yet.keyed_from) == (2, None)

    await record_three()
    report = await verify()
    assert report.broken is None
    assert report.unkeyed == 2
    assert report.keyed_from == (await rows())[2]["id"]
    result = ctn_audit_verify(env)
    assert result.returncode == 0
    assert f"keyed chain begins at entry {report.keyed_from}" in result.stdout

    forged = await append_forged()  # an unkeyed entry is no longer accepted at the tail
    report = await verify()
    assert report.broken is not None
    assert (report.broken.entry_id, report.broken.problem) == (forged, UNKEYED)
