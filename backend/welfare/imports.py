"""Imports of beneficiary lists and payment results: the file stored, then read by a job in
one transaction (all or nothing), row by row, in batches; each row's outcome recorded.

Idempotent twice over: the same bytes uploaded again answer the earlier import (nothing is
read), and a list read again changes nothing (each row compared with what is stored is
`unchanged`). Mismatches against identity become flags and are never applied silently."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter  # type: ignore[import-untyped]  # XlsxWriter ships no type information

from backend.access import Principal
from backend.audit.service import do_record
from backend.geo.service import packaged_units
from backend.http.pagination import PageRequest, decode_cursor, encode_cursor
from backend.identity.service import identities_by_personal_id
from backend.jobs import defer
from backend.logs import log_fields
from backend.settings import Settings
from backend.text import fold
from backend.welfare import repository
from backend.welfare.errors import (
    ImportFileInvalid,
    ImportMappingInvalid,
    ImportNotFound,
    ImportPeriodRequired,
    ImportTooLarge,
    PeriodNotFound,
)
from backend.welfare.notices import notify_result
from backend.welfare.reading import Rows, UnreadableFile, detect_format
from backend.welfare.repository import ImportRecord, ImportRowRecord
from backend.welfare.schemas import ImportKind, ImportOut, ImportPage, ImportRow, ImportRowPage
from backend.welfare.validation import (
    BeneficiaryRow,
    CategoryRule,
    HeaderError,
    Refused,
    check_beneficiary_row,
    check_mapping,
    check_payment_row,
    recognise_headers,
)
from content.service import get_storage

log = logging.getLogger(__name__)
FIELD_NAMES_VI = {
    "personal_id": "Số định danh cá nhân",
    "full_name": "Họ và tên",
    "birth_date": "Ngày sinh",
    "gender": "Giới tính",
    "commune_code": "Mã xã",
    "programme": "Chương trình",
    "category": "Nhóm đối tượng",
    "channel": "Hình thức chi trả",
    "result": "Kết quả",
}
OUTCOME_VI = {
    "accepted": "Đã nhận",
    "updated": "Đã cập nhật",
    "unchanged": "Không thay đổi",
    "rejected": "Bị từ chối",
}


def _today() -> date:
    return datetime.now(UTC).date()


def to_schema(record: ImportRecord, *, duplicate: bool = False) -> ImportOut:
    return ImportOut(
        **{f: getattr(record, f) for f in record.__struct_fields__}, duplicate=duplicate
    )


def _check_scope(actor: Principal, record: ImportRecord) -> None:
    """An officer limited to communes sees the imports they made; others see every import."""
    if actor.communes and record.created_by != actor.id:
        raise ImportNotFound()


# --- starting ---------------------------------------------------------------------------------


async def do_start_import(
    settings: Settings,
    actor: Principal,
    *,
    kind: ImportKind,
    filename: str | None,
    chunks: AsyncIterator[bytes],
    period_id: uuid.UUID | None = None,
    mapping: dict[str, str] | None = None,
) -> ImportOut:
    """Store the file (streamed, never whole in memory), record the import and defer its
    job. The same bytes of the same kind, period and mapping as an import that did not fail
    answer that import, `duplicate=True`, and nothing else happens. Runs its own units of
    work: call it outside a transaction."""
    from backend.db import unit_of_work

    mapping = dict(mapping or {})
    try:
        check_mapping(mapping)
    except ValueError as exc:
        raise ImportMappingInvalid() from exc
    if kind == "payments" and period_id is None:
        raise ImportPeriodRequired()
    if kind == "beneficiaries":
        period_id = None
    import_id = uuid.uuid4()
    limit = settings.welfare_import_max_mb * 1024 * 1024
    head = bytearray()

    async def bounded() -> AsyncIterator[bytes]:
        size = 0
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise ImportTooLarge()
            if len(head) < 8:
                head.extend(chunk[:8])
            yield chunk

    storage = get_storage(settings)
    key = f"welfare/imports/{import_id}"
    stored = await storage.write(key, bounded())
    try:
        if stored.size == 0:
            raise ImportFileInvalid()
        try:
            file_format = detect_format(bytes(head), filename)
        except UnreadableFile as exc:
            raise ImportFileInvalid() from exc
        async with unit_of_work():
            if period_id is not None and await repository.get_period(period_id) is None:
                raise PeriodNotFound()
            earlier = await repository.same_file_import(stored.sha256, kind, period_id, mapping)
            if earlier is not None and not (actor.communes and earlier.created_by != actor.id):
                await storage.delete(key)
                return to_schema(earlier, duplicate=True)
            await repository.insert_import(
                import_id,
                kind=kind,
                period_id=period_id,
                filename=(filename or f"import.{file_format}")[:200],
                file_format=file_format,
                sha256=stored.sha256,
                storage_key=key,
                mapping=mapping,
                communes=sorted(actor.communes),
                created_by=actor.id,
            )
            await do_record(
                "welfare.import.start",
                actor_id=str(actor.id),
                object_type="welfare_import",
                object_id=str(import_id),
                details={"kind": kind, "sha256": stored.sha256, "size": stored.size},
            )
            from backend.welfare import tasks

            await defer(tasks.run_welfare_import, import_id=str(import_id))
            record = await repository.get_import(import_id)
    except BaseException:
        await storage.delete(key)
        raise
    assert record is not None
    return to_schema(record)


# --- running ----------------------------------------------------------------------------------


class _Counts:
    def __init__(self) -> None:
        self.values = dict.fromkeys(
            ("total", "processed", "accepted", "updated", "unchanged", "rejected", "flagged"), 0
        )

    def add(self, outcome: str) -> None:
        self.values[outcome] += 1
        self.values["processed"] += 1


async def run_import(settings: Settings, import_id: uuid.UUID) -> ImportOut:
    """The job's body: read the stored file and apply it in one transaction, or apply
    nothing (the import is then `failed` with the reason). Imports run one at a time."""
    from backend.db import unit_of_work

    async with unit_of_work():
        job = await repository.get_import_job(import_id)
    if job is None:
        raise ImportNotFound()
    if job.record.status in ("done", "failed") or job.storage_key is None:
        return to_schema(job.record)
    storage = get_storage(settings)
    error: str | None = None
    try:
        async with unit_of_work():
            await repository.lock_imports()
            async with storage.local_copy(job.storage_key) as path:
                counts = await _apply(settings, job, path)
            await repository.finish_import(
                import_id, status="done", counts=counts.values, error=None
            )
    except (UnreadableFile, HeaderError, UnicodeDecodeError) as exc:
        error = _failure_text(exc)
    except Exception as exc:  # the import failed midway: nothing of it was kept
        log_fields(
            log,
            logging.ERROR,
            "welfare import failed",
            import_id=str(import_id),
            error=type(exc).__name__,
        )
        error = f"Lỗi khi nhập, không có dữ liệu nào được ghi ({type(exc).__name__})"
    if error is not None:
        async with unit_of_work():
            await repository.finish_import(import_id, status="failed", counts={}, error=error)
    await storage.delete(job.storage_key)
    async with unit_of_work():
        record = await repository.get_import(import_id)
    assert record is not None
    return to_schema(record)


def _failure_text(exc: Exception) -> str:
    if isinstance(exc, HeaderError):
        names = ", ".join(FIELD_NAMES_VI.get(f, f) for f in exc.missing)
        return f"Thiếu cột bắt buộc: {names}. Không có dữ liệu nào được ghi."
    if isinstance(exc, UnicodeDecodeError):
        return "Tệp CSV không phải mã UTF-8 (tại một dòng giữa tệp). Không có dữ liệu nào được ghi."
    return "Không đọc được tệp (chỉ nhận .xlsx hoặc .csv UTF-8). Không có dữ liệu nào được ghi."


async def _apply(settings: Settings, job: repository.ImportJob, path: Path) -> _Counts:
    rows = await asyncio.to_thread(Rows(path, job.record.file_format).open)  # type: ignore[arg-type]
    try:
        columns = recognise_headers(rows.header, job.record.kind, job.mapping)
        counts = _Counts()
        counts.values["total"] = rows.total
        await repository.set_progress(job.record.id, processed=0, total=rows.total, started=True)
        batch_size = settings.welfare_import_batch_rows
        if job.record.kind == "beneficiaries":
            applier: _Applier = _BeneficiaryApplier(job, columns, counts)
        else:
            applier = _PaymentApplier(job, columns, counts)
        await applier.prepare()
        batch: list[tuple[int, list[object]]] = []
        for number, row in rows:
            batch.append((number, row))
            if len(batch) >= batch_size:
                await applier.apply(batch)
                batch = []
                await repository.set_progress(
                    job.record.id,
                    processed=counts.values["processed"],
                    total=rows.total,
                    started=False,
                )
        if batch:
            await applier.apply(batch)
        counts.values["total"] = counts.values["processed"]
        await applier.finish()
        return counts
    finally:
        rows.close()


class _Applier:
    def __init__(self, job: repository.ImportJob, columns: dict[str, int], counts: _Counts) -> None:
        self.job = job
        self.import_id = job.record.id
        self.columns = columns
        self.counts = counts
        self.today = _today()
        self.seen: dict[tuple[str, str], int] = {}

    async def prepare(self) -> None:
        return None

    async def apply(self, batch: list[tuple[int, list[object]]]) -> None:
        raise NotImplementedError

    async def finish(self) -> None:
        return None

    def duplicate(self, key: tuple[str, str], number: int) -> Refused | None:
        first = self.seen.get(key)
        if first is not None:
            return Refused([f"Trùng dòng {first}: cùng số định danh và chương trình trong một tệp"])
        self.seen[key] = number
        return None


class _BeneficiaryApplier(_Applier):
    async def prepare(self) -> None:
        self.rules = {
            (c.programme_code, c.code): CategoryRule(c.monthly_amount, c.min_amount, c.max_amount)
            for c in await repository.categories()
        }
        from backend.settings import get_settings

        self.communes = frozenset(u.code for u in packaged_units(get_settings().province_code))
        self.allowed = frozenset(self.job.communes)
        self.touched: set[uuid.UUID] = set()

    async def apply(self, batch: list[tuple[int, list[object]]]) -> None:
        results: list[ImportRowRecord] = []
        valid: list[tuple[int, BeneficiaryRow]] = []
        for number, row in batch:
            checked = check_beneficiary_row(
                row,
                self.columns,
                categories=self.rules,
                communes=self.communes,
                allowed_communes=self.allowed,
                today=self.today,
            )
            if isinstance(checked, BeneficiaryRow):
                checked_or_dup = self.duplicate((checked.personal_id, checked.programme), number)
                if checked_or_dup is None:
                    valid.append((number, checked))
                    continue
                checked = checked_or_dup
            assert isinstance(checked, Refused)
            results.append(_refused_row(number, row, self.columns, checked))
            self.counts.add("rejected")
        personal_ids = sorted({r.personal_id for _, r in valid})
        existing = await repository.beneficiaries_by_personal_id(personal_ids)
        claims = await identities_by_personal_id(personal_ids)
        flags = await repository.flags_of([b.id for b in existing.values()])
        new_b: list[tuple[Any, ...]] = []
        changed_b: list[tuple[Any, ...]] = []
        enrolments: list[tuple[Any, ...]] = []
        new_enrolments: list[tuple[Any, ...]] = []
        new_flags: list[tuple[Any, ...]] = []
        for number, r in valid:
            b = existing.get(r.personal_id)
            claim = claims.get(r.personal_id)
            known = flags.get(b.id, {}) if b else {}
            beneficiary_id = b.id if b else uuid.uuid4()
            in_force_name, in_force_birth = r.full_name, r.birth_date
            mismatches = []
            if claim and claim.full_name and fold(claim.full_name) != fold(r.full_name):
                mismatches.append(("full_name", r.full_name, claim.full_name))
            if claim and claim.birth_date and claim.birth_date != r.birth_date:
                mismatches.append(
                    ("birth_date", r.birth_date.isoformat(), claim.birth_date.isoformat())
                )
            flagged = False
            for field, list_value, identity_value in mismatches:
                key = repository.FlagKey(field, list_value, identity_value)
                resolution = known.get(key)
                if resolution is None:
                    new_flags.append((beneficiary_id, field, list_value, identity_value))
                    known[key] = ""
                    flagged = True
                elif resolution == "accept_identity":
                    if field == "full_name":
                        in_force_name = identity_value
                    else:
                        in_force_birth = date.fromisoformat(identity_value)
            values = (
                beneficiary_id,
                r.personal_id,
                claim.person_id if claim else None,
                in_force_name,
                fold(in_force_name),
                in_force_birth,
                r.full_name,
                r.birth_date,
                r.gender,
                r.commune_code,
                self.import_id,
            )
            enrolment = b.enrolments.get(r.programme) if b else None
            if b is None:
                new_b.append(values)
                existing[r.personal_id] = repository.ExistingBeneficiary(
                    id=beneficiary_id,
                    personal_id=r.personal_id,
                    list_full_name=r.full_name,
                    list_birth_date=r.birth_date,
                    gender=r.gender,
                    commune_code=r.commune_code,
                    enrolments={},
                )
                flags[beneficiary_id] = known
                outcome = "accepted"
            else:
                b_changed = (b.list_full_name, b.list_birth_date, b.gender, b.commune_code) != (
                    r.full_name,
                    r.birth_date,
                    r.gender,
                    r.commune_code,
                )
                e_changed = enrolment is None or (
                    enrolment.category_code,
                    enrolment.monthly_amount,
                    enrolment.channel,
                    enrolment.account_ref,
                ) != (r.category, r.monthly_amount, r.channel, r.account_ref)
                if b_changed:
                    changed_b.append(values)
                    b.list_full_name, b.list_birth_date = r.full_name, r.birth_date
                    b.gender, b.commune_code = r.gender, r.commune_code
                outcome = (
                    "updated"
                    if b_changed or (e_changed and enrolment is not None) or flagged
                    else "accepted"
                    if e_changed
                    else "unchanged"
                )
            if b is None or enrolment is None or outcome != "unchanged":
                enrolment_id = enrolment.id if enrolment else uuid.uuid4()
                if outcome != "unchanged":
                    (enrolments if enrolment else new_enrolments).append(
                        (
                            enrolment_id,
                            beneficiary_id,
                            r.programme,
                            r.category,
                            r.monthly_amount,
                            r.channel,
                            r.account_ref,
                        )
                    )
                existing[r.personal_id].enrolments[r.programme] = repository.ExistingEnrolment(
                    id=enrolment_id,
                    category_code=r.category,
                    monthly_amount=r.monthly_amount,
                    channel=r.channel,
                    account_ref=r.account_ref,
                )
            if outcome != "unchanged" and (mismatches or known):
                # only flags move a status (a new row starts active)
                self.touched.add(beneficiary_id)
            if flagged:
                self.counts.values["flagged"] += 1
            self.counts.add(outcome)
            results.append(
                (number, outcome, None, r.personal_id, r.full_name, r.commune_code, r.programme)
            )
        await repository.insert_beneficiaries(new_b)
        await repository.update_beneficiaries(changed_b)
        await repository.insert_enrolments(new_enrolments)
        await repository.upsert_enrolments(enrolments)
        await repository.insert_flags([(*f, self.import_id) for f in new_flags])
        results.sort()
        await repository.insert_import_rows(self.import_id, results)

    async def finish(self) -> None:
        await repository.refresh_status(self.touched)


class _PaymentApplier(_Applier):
    async def apply(self, batch: list[tuple[int, list[object]]]) -> None:
        assert self.job.record.period_id is not None
        results: list[ImportRowRecord] = []
        valid = []
        for number, row in batch:
            checked = check_payment_row(row, self.columns, today=self.today)
            if not isinstance(checked, Refused):
                refusal = self.duplicate((checked.personal_id, checked.programme), number)
                if refusal is None:
                    valid.append((number, checked))
                    continue
                checked = refusal
            assert isinstance(checked, Refused)
            results.append(_refused_row(number, row, self.columns, checked))
            self.counts.add("rejected")
        found = await repository.payments_by_key(
            self.job.record.period_id, [(r.personal_id, r.programme) for _, r in valid]
        )
        updates = []
        notices = []
        for number, r in valid:
            payment = found.get((r.personal_id, r.programme))
            if payment is None or (
                self.job.communes and payment.commune_code not in self.job.communes
            ):
                refusal = Refused(
                    ["Không có khoản chi dự kiến trong kỳ cho số định danh và chương trình này"]
                )
                results.append(
                    (number, "rejected", refusal.reason, r.personal_id, None, None, r.programme)
                )
                self.counts.add("rejected")
                continue
            same = (
                payment.status,
                payment.paid_on,
                payment.transaction_ref,
                payment.failure_reason,
            )
            wanted = (r.result, r.paid_on, r.transaction_ref, r.reason)
            outcome = "unchanged" if same == wanted else "updated"
            if outcome == "updated":
                updates.append(
                    (
                        payment.id,
                        r.result,
                        r.paid_on,
                        r.transaction_ref,
                        r.reason,
                        self.job.record.created_by,
                        self.import_id,
                    )
                )
                if r.result in ("paid", "failed"):
                    notices.append((payment, r.result, r.paid_on))
            self.counts.add(outcome)
            results.append(
                (number, outcome, None, r.personal_id, None, payment.commune_code, r.programme)
            )
        await repository.record_results(updates)
        for payment, result, paid_on in notices:
            await notify_result(payment, result, paid_on)
        results.sort()
        await repository.insert_import_rows(self.import_id, results)


def _refused_row(
    number: int, row: Sequence[object], columns: dict[str, int], refused: Refused
) -> ImportRowRecord:
    from backend.welfare.validation import cell, text

    def value(field: str, size: int) -> str | None:
        return text(cell(row, columns, field))[:size] or None

    return (
        number,
        "rejected",
        refused.reason,
        value("personal_id", 40),
        value("full_name", 200),
        value("commune_code", 20),
        value("programme", 40),
    )


# --- reading imports --------------------------------------------------------------------------

IMPORTS_CURSOR = "welfare_imports"


async def list_imports(actor: Principal, page: PageRequest) -> ImportPage:
    """Newest first; an officer limited to communes sees their own imports."""
    before = (
        decode_cursor(page.cursor, IMPORTS_CURSOR, (datetime, uuid.UUID)) if page.cursor else None
    )
    rows = await repository.list_imports(
        actor.id if actor.communes else None,
        (before[0], before[1]) if before else None,
        page.limit + 1,
    )
    items = [to_schema(r) for r in rows[: page.limit]]
    cursor = (
        encode_cursor(IMPORTS_CURSOR, (items[-1].created_at, items[-1].id))
        if len(rows) > page.limit
        else None
    )
    return ImportPage(items=items, next_cursor=cursor)


async def access_import(actor: Principal, import_id: uuid.UUID) -> ImportOut:
    record = await repository.get_import(import_id)
    if record is None:
        raise ImportNotFound()
    _check_scope(actor, record)
    return to_schema(record)


ROWS_CURSOR = "welfare_import_rows"


async def access_import_rows(
    actor: Principal, import_id: uuid.UUID, page: PageRequest, *, outcome: str | None = None
) -> ImportRowPage:
    """The import's rows in file order (only `outcome` ones when given); audited, since the
    rows name people."""
    await access_import(actor, import_id)
    after = decode_cursor(page.cursor, ROWS_CURSOR, (int,))[0] if page.cursor else 0
    rows = await repository.import_rows(
        import_id, outcome=outcome, after=after, limit=page.limit + 1
    )
    items = [_row(r) for r in rows[: page.limit]]
    await do_record(
        "welfare.import.rows_read",
        actor_id=str(actor.id),
        object_type="welfare_import",
        object_id=str(import_id),
        details={"outcome": outcome, "rows": len(items)},
    )
    cursor = encode_cursor(ROWS_CURSOR, (items[-1].row_number,)) if len(rows) > page.limit else None
    return ImportRowPage(items=items, next_cursor=cursor)


def _row(r: ImportRowRecord) -> ImportRow:
    return ImportRow(
        row_number=r[0],
        outcome=r[1],  # type: ignore[arg-type]  # checked by the table's constraint
        reason=r[2],
        personal_id=r[3],
        full_name=r[4],
        commune_code=r[5],
        programme_code=r[6],
    )


async def write_import_report(
    actor: Principal, import_id: uuid.UUID, path: Path, *, outcome: str | None = None
) -> Path:
    """Every row's outcome as an .xlsx at `path` (written in constant memory), audited."""
    record = await access_import(actor, import_id)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    try:
        sheet = workbook.add_worksheet("Kết quả")
        bold = workbook.add_format({"bold": True})
        headers = [
            "Dòng",
            "Kết quả",
            "Lý do",
            "Số định danh cá nhân",
            "Họ và tên",
            "Mã xã",
            "Chương trình",
        ]
        sheet.write_row(0, 0, headers, bold)
        line = 1
        after = 0
        while True:
            rows = await repository.import_rows(import_id, outcome=outcome, after=after, limit=5000)
            if not rows:
                break
            for r in rows:
                sheet.write_row(
                    line,
                    0,
                    [r[0], OUTCOME_VI.get(r[1], r[1]), r[2] or "", *(v or "" for v in r[3:])],
                )
                line += 1
            after = rows[-1][0]
        sheet.set_column(2, 2, 60)
        sheet.set_column(3, 4, 24)
    finally:
        await asyncio.to_thread(workbook.close)
    await do_record(
        "welfare.import.report_export",
        actor_id=str(actor.id),
        object_type="welfare_import",
        object_id=str(record.id),
        details={"rows": line - 1, "outcome": outcome, "format": "xlsx"},
    )
    return path
