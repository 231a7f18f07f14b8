"""The audit log: who did what to which record, when and why; append-only, hash-chained and
keyed.

Every entry stores `hash` = SHA-256(previous hash, entry) and, since the chain was keyed, `mac` =
HMAC(audit key, previous MAC, key id, entry). Audit keys are never stored: key `k` is
HKDF-SHA256(CTN_SECRET_KEY, info=k), so whoever can only write to the database can recompute
the plain hashes but not a MAC, and an entry they append (or change, or a hole they leave) is
found by `verify_chain`. Each key begins with an `audit.key_started` entry that carries a check
value of the key, which tells a wrong CTN_SECRET_KEY apart from a forged entry.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import secrets
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from backend.audit import repository
from backend.audit.errors import AuditKeyMismatch
from backend.audit.repository import ChainLink, EntryFields, EntryRow
from backend.audit.schemas import AuditEntry
from backend.settings import get_settings

GENESIS = "0" * 64
KEY_STARTED = "audit.key_started"
KEY_OBJECT = "audit_key"

REMOVED_OR_INSERTED = "previous hash does not match (an entry was removed or inserted)"
CHANGED = "content does not match its hash (the entry was changed)"
BAD_MAC = "MAC does not match (the entry was written without the audit key, or changed)"
UNKEYED = "has no MAC although the keyed chain began before it (appended without the audit key)"
UNKNOWN_KEY = "names an audit key that no audit.key_started entry began (forged)"
FOREIGN_KEY = "begins an audit key that CTN_SECRET_KEY does not derive (forged)"
TRUNCATED = "the head noted earlier is gone or differs (the tail was truncated or rewritten)"


class ChainBreak(msgspec.Struct, frozen=True):
    entry_id: int
    problem: str


class ChainReport(msgspec.Struct, frozen=True, kw_only=True):
    checked: int
    """Entries intact before the first break (all of them when `broken` is None)."""
    unkeyed: int
    """Entries from before the chain was keyed: only their SHA-256 is checked; they are
    protected by the keyed entries after them, which MAC the link to them."""
    keyed_from: int | None
    """Id of the first keyed entry."""
    key_ids: list[str]
    head_id: int | None
    head_link: str | None
    """The last entry and its MAC (its hash if unkeyed): noted outside the database (the SOC),
    `verify_chain(expected_head=...)` later finds a truncated or rewritten tail."""
    broken: ChainBreak | None
    complete: bool = True
    """False when `verify_chain(limit=...)` stopped after `limit` entries with more to check."""


# --- the keyed chain ----------------------------------------------------------------------


def _canonical(entry: EntryFields) -> bytes:
    canonical = {
        "occurred_at": entry.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "reason": entry.reason,
        "details": entry.details,
    }
    return msgspec.json.encode(canonical, order="sorted")


def entry_hash(prev_hash: str, entry: EntryFields) -> str:
    """SHA-256 over the previous hash and the entry's fields in a canonical JSON form."""
    return _hash(prev_hash, _canonical(entry))


def _hash(prev_hash: str, payload: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + payload).hexdigest()


def _mac(key: bytes, prev_link: str, key_id: str, payload: bytes) -> str:
    message = b"ctn-audit-v1\n" + prev_link.encode() + b"\n" + key_id.encode() + b"\n" + payload
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _link(row: ChainLink | EntryRow | None) -> str:
    """What the next entry's MAC covers of this one: its MAC, or its hash before keying."""
    if row is None:
        return GENESIS
    return row.mac or row.hash


def derive_key(secret_key: str, key_id: str) -> bytes:
    """The audit key `key_id`: one-way from CTN_SECRET_KEY, so knowing one audit key (or
    everything in the database) gives neither the secret nor another key."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"ctn-audit-chain", info=key_id.encode())
    return hkdf.derive(secret_key.encode())


def key_check(key: bytes) -> str:
    """Stored in the key's first entry: tells a wrong CTN_SECRET_KEY from a forged MAC."""
    return hmac.new(key, b"ctn-audit key check", hashlib.sha256).hexdigest()[:32]


def _stored_check(details: Any) -> object:
    return details.get("key_check") if isinstance(details, dict) else None


def _secret_key() -> str:
    return get_settings().require_secret_key()


# Audit keys this process has checked against their `audit.key_started` entry, by
# (secret fingerprint, key id); derivation is deterministic, so entries never go stale.
_checked_keys: dict[tuple[str, str], bytes] = {}


def _fingerprint(secret_key: str) -> str:
    return hashlib.sha256(b"ctn-audit fingerprint\n" + secret_key.encode()).hexdigest()


async def _key_for_appending(secret_key: str, key_id: str) -> bytes:
    cached = _checked_keys.get((_fingerprint(secret_key), key_id))
    if cached is not None:
        return cached
    key = derive_key(secret_key, key_id)
    start = await repository.first_of(KEY_STARTED, KEY_OBJECT, key_id)
    if start is None or _stored_check(start.details) != key_check(key):
        raise AuditKeyMismatch(
            detail_en=f"CTN_SECRET_KEY does not derive audit key {key_id}, which the audit chain"
            " is written with (a different CTN_SECRET_KEY, or a forged tail: run"
            " `ctn audit verify`)"
        )
    _checked_keys[(_fingerprint(secret_key), key_id)] = key
    return key


async def _append(
    fields: EntryFields, key_id: str, key: bytes, last: ChainLink | None
) -> ChainLink:
    payload = _canonical(fields)
    prev_hash = GENESIS if last is None else last.hash
    return await repository.insert(
        fields,
        prev_hash=prev_hash,
        hash=_hash(prev_hash, payload),
        key_id=key_id,
        mac=_mac(key, _link(last), key_id, payload),
    )


async def _start_key(
    secret_key: str, last: ChainLink | None, *, actor_id: str | None, reason: str
) -> tuple[str, bytes, ChainLink]:
    key_id = f"{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(4)}"
    key = derive_key(secret_key, key_id)
    previous = None if last is None else last.key_id
    started = await _append(
        EntryFields(
            occurred_at=datetime.now(UTC),
            actor_id=actor_id,
            action=KEY_STARTED,
            object_type=KEY_OBJECT,
            object_id=key_id,
            reason=reason,
            details={"key_check": key_check(key), "previous_key_id": previous},
        ),
        key_id,
        key,
        last,
    )
    _checked_keys[(_fingerprint(secret_key), key_id)] = key
    return key_id, key, started


async def do_record(
    action: str,
    *,
    actor_id: str | None,
    object_type: str | None = None,
    object_id: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    """Append one entry in the caller's transaction: it exists exactly when the audited action
    is committed. `details` must carry no personal data (ids, not names or PINs).

    The entry is MACed under the chain's current audit key; the first entry after the chain
    was keyed-less (a new or upgraded database) is preceded by an `audit.key_started` entry.
    Raises `AuditKeyMismatch` rather than append under a key CTN_SECRET_KEY does not derive."""
    secret_key = _secret_key()
    await repository.lock_chain()
    last = await repository.last_link()
    if last is None or last.key_id is None:
        key_id, key, last = await _start_key(
            secret_key, last, actor_id=None, reason="the audit chain is keyed from here"
        )
    else:
        key_id = last.key_id
        key = await _key_for_appending(secret_key, key_id)
    fields = EntryFields(
        occurred_at=datetime.now(UTC),
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        reason=reason,
        details=details or {},
    )
    appended = await _append(fields, key_id, key, last)
    return appended.id


async def do_rotate_key(*, actor_id: str | None = None) -> str:
    """Start MACing with a new audit key (an `audit.key_started` entry MACed under it and
    chained onto the last entry); entries under the previous keys keep verifying, since every
    key derives from CTN_SECRET_KEY and its id. Refused (`AuditKeyMismatch`) when
    CTN_SECRET_KEY does not derive the current key. Returns the new key id."""
    secret_key = _secret_key()
    await repository.lock_chain()
    last = await repository.last_link()
    if last is not None and last.key_id is not None:
        await _key_for_appending(secret_key, last.key_id)
    key_id, _, _ = await _start_key(secret_key, last, actor_id=actor_id, reason="key rotation")
    return key_id


async def check_secret_derives_current_key(secret_key: str) -> str | None:
    """The id of the chain's current audit key when `secret_key` does not derive it, else
    None (also when the chain is not keyed yet). Every audited action would be refused."""
    last = await repository.last_link()
    if last is None or last.key_id is None:
        return None
    try:
        await _key_for_appending(secret_key, last.key_id)
    except AuditKeyMismatch:
        return last.key_id
    return None


async def verify_chain(
    secret_key: str | None = None,
    *,
    expected_head: tuple[int, str] | None = None,
    limit: int | None = None,
) -> ChainReport:
    """Walk the whole chain with the audit keys CTN_SECRET_KEY derives (or `secret_key`'s) and
    report the first entry that was changed, removed, inserted or appended without the key;
    with `expected_head` (an earlier report's head id and link), also a tail cut off or
    rewritten since. Raises `AuditKeyMismatch` when the secret does not derive the chain's
    first key. With `limit`, stops after that many entries (`complete` False when more
    remained: the head is then the last entry checked)."""
    secret_key = secret_key or _secret_key()
    keys: dict[str, bytes] = {}
    last: EntryRow | None = None
    checked = unkeyed = 0
    keyed_from: int | None = None

    def report(broken: ChainBreak | None, *, complete: bool = True) -> ChainReport:
        return ChainReport(
            checked=checked,
            unkeyed=unkeyed,
            keyed_from=keyed_from,
            key_ids=list(keys),
            head_id=None if last is None else last.id,
            head_link=None if last is None else _link(last),
            broken=broken,
            complete=complete,
        )

    async for rows in repository.iterate():
        for row in rows:
            if limit is not None and checked >= limit:
                return report(None, complete=False)
            payload = _canonical(row)
            prev_hash = GENESIS if last is None else last.hash
            if row.prev_hash != prev_hash:
                return report(ChainBreak(row.id, REMOVED_OR_INSERTED))
            if _hash(row.prev_hash, payload) != row.hash:
                return report(ChainBreak(row.id, CHANGED))
            key_id = row.key_id
            if key_id is None:
                if keyed_from is not None:
                    return report(ChainBreak(row.id, UNKEYED))
                unkeyed += 1
            else:
                key = keys.get(key_id)
                if key is None:
                    if row.action != KEY_STARTED or row.object_id != key_id:
                        return report(ChainBreak(row.id, UNKNOWN_KEY))
                    key = derive_key(secret_key, key_id)
                    if _stored_check(row.details) != key_check(key):
                        if not keys:
                            raise AuditKeyMismatch(
                                detail_en=f"CTN_SECRET_KEY is not the secret the audit chain"
                                f" was keyed with (audit key {key_id}, entry {row.id})"
                            )
                        return report(ChainBreak(row.id, FOREIGN_KEY))
                    keys[key_id] = key
                if row.mac != _mac(key, _link(last), key_id, payload):
                    return report(ChainBreak(row.id, BAD_MAC))
                if keyed_from is None:
                    keyed_from = row.id
            if expected_head is not None and row.id == expected_head[0]:
                if _link(row) != expected_head[1]:
                    return report(ChainBreak(row.id, TRUNCATED))
                expected_head = None
            last = row
            checked += 1
    if expected_head is not None:
        return report(ChainBreak(expected_head[0], TRUNCATED))
    return report(None)


class AuditFilter(msgspec.Struct, frozen=True, kw_only=True):
    actor_id: str | None = None
    action: str | None = None
    """An action, or a prefix ending in `*` (`role.*`)."""
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def access_entries(
    auditor_id: str, criteria: AuditFilter, *, before_id: int | None, limit: int
) -> list[AuditEntry]:
    """Entries for an auditor, newest first. Reading the log is itself recorded."""
    rows = await repository.search(
        actor_id=criteria.actor_id,
        action=criteria.action,
        object_type=criteria.object_type,
        object_id=criteria.object_id,
        since=criteria.since,
        until=criteria.until,
        before_id=before_id,
        limit=limit,
    )
    await do_record(
        "audit.read",
        actor_id=auditor_id,
        object_type="audit_log",
        details={k: v for k, v in msgspec.structs.asdict(criteria).items() if v is not None}
        | {"results": len(rows)},
    )
    return [msgspec.convert(row, AuditEntry, from_attributes=True) for row in rows]


# --- for the auditor's console: chain checks on demand, security events summed up ------------

CHAIN_CHECKED = "audit.chain_checked"
CHAIN_CHECK_LIMIT = 500_000
"""Entries one check from the console walks at most (a few seconds' work); `ctn audit verify`
walks them all."""


class ChainCheck(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of one verification of the chain, as the console shows it."""

    checked_at: datetime
    checked_by: str | None
    ok: bool
    """No break found in the entries checked."""
    complete: bool
    """Every entry was checked (False: stopped at the console's bound, `checked` entries)."""
    checked: int
    broken_id: int | None = None
    problem: str | None = None
    key_id: str | None = None
    """The chain's current audit key (the key new entries are MACed under)."""
    head_id: int | None = None


async def do_check_chain(actor_id: str, *, limit: int = CHAIN_CHECK_LIMIT) -> ChainCheck:
    """Verify the chain (at most `limit` entries) and record the outcome as an
    `audit.chain_checked` entry, which is what `last_chain_check` reads back, for every
    auditor and every process. Raises `AuditKeyMismatch` as `verify_chain` does."""
    report = await verify_chain(limit=limit)
    last = await repository.last_link()
    check = ChainCheck(
        checked_at=datetime.now(UTC),
        checked_by=actor_id,
        ok=report.broken is None,
        complete=report.complete,
        checked=report.checked,
        broken_id=report.broken.entry_id if report.broken else None,
        problem=report.broken.problem if report.broken else None,
        key_id=last.key_id if last else None,
        head_id=report.head_id,
    )
    details = msgspec.structs.asdict(check)
    del details["checked_at"], details["checked_by"]
    await do_record(CHAIN_CHECKED, actor_id=actor_id, object_type="audit_log", details=details)
    return check


async def last_chain_check() -> ChainCheck | None:
    """The most recent check recorded by `do_check_chain`, or None if there was none."""
    row = await repository.latest_of(CHAIN_CHECKED)
    if row is None or not isinstance(row.details, dict):
        return None
    try:
        return msgspec.convert(
            {**row.details, "checked_at": row.occurred_at, "checked_by": row.actor_id}, ChainCheck
        )
    except msgspec.ValidationError:
        return None


SECURITY_TAIL_BYTES = 8 * 1024 * 1024
"""How much of the end of the security log a summary reads at most."""


class EventCount(msgspec.Struct, frozen=True):
    event: str
    last_day: int
    last_week: int


class SecuritySummary(msgspec.Struct, frozen=True, kw_only=True):
    """Security events by type over the last 24 hours and 7 days, from the end of the log."""

    path: str
    configured: bool
    """CTN_SECURITY_LOG names the file (else it is the default under the data directory)."""
    exists: bool
    now: datetime
    counts: list[EventCount]
    """By number over the week, most frequent first."""
    total_day: int
    total_week: int
    partial: bool
    """Only the end of the file was read (the file is larger than the bound)."""
    oldest_read: datetime | None
    """The oldest event read: with `partial`, older events were not counted."""
    unreadable: int
    """Lines that were not an event (JSON with `time` and `event`)."""


async def summarize_security_log(
    path: Path,
    *,
    configured: bool,
    now: datetime | None = None,
    max_bytes: int = SECURITY_TAIL_BYTES,
) -> SecuritySummary:
    """Count the events of the security log by type over the last 24 hours and 7 days,
    reading at most the last `max_bytes` of the file (in a thread: it is a file read)."""
    moment = now or datetime.now(UTC)
    return await asyncio.to_thread(_summarize, path, configured, moment, max_bytes)


def _summarize(path: Path, configured: bool, now: datetime, max_bytes: int) -> SecuritySummary:
    data, partial, exists = b"", False, path.is_file()
    if exists:
        with path.open("rb") as log:
            size = log.seek(0, os.SEEK_END)
            start = max(0, size - max_bytes)
            log.seek(start)
            data = log.read(max_bytes)
        if start > 0:
            partial = True
            data = data.split(b"\n", 1)[1] if b"\n" in data else b""  # a cut first line
    day, week = now - timedelta(days=1), now - timedelta(days=7)
    by_day: Counter[str] = Counter()
    by_week: Counter[str] = Counter()
    oldest: datetime | None = None
    unreadable = 0
    for line in data.splitlines():
        if not line.strip():
            continue
        try:
            event = msgspec.json.decode(line, type=_Event)
            when = datetime.fromisoformat(event.time)
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError):
            unreadable += 1
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        oldest = when if oldest is None or when < oldest else oldest
        if when >= week:
            by_week[event.event] += 1
            if when >= day:
                by_day[event.event] += 1
    counts = [
        EventCount(name, by_day[name], total)
        for name, total in sorted(by_week.items(), key=lambda item: (-item[1], item[0]))
    ]
    return SecuritySummary(
        path=str(path),
        configured=configured,
        exists=exists,
        now=now,
        counts=counts,
        total_day=sum(by_day.values()),
        total_week=sum(by_week.values()),
        partial=partial,
        oldest_read=oldest,
        unreadable=unreadable,
    )


class _Event(msgspec.Struct):
    time: str
    event: str
