"""The welfare domain's service: everything its endpoints, its console pages, its jobs and
other domains call. Typed values in and out (backend.welfare.schemas), domain errors raised
(backend.welfare.errors); no HTTP types. Every function taking `actor` applies the officer's
communes (`Principal.communes`; empty = the whole province): rows outside them are invisible
(404 for one record), and every read of a beneficiary's record and every export is audited.

Signatures (the console calls these):

Programmes
    list_programmes(*, include_inactive: bool = False) -> list[Programme]
    do_upsert_programme(actor: Principal, data: ProgrammeIn) -> Programme

Imports (beneficiary lists, payment results; .xlsx or .csv)
    do_start_import(settings, actor, *, kind: ImportKind, filename: str | None,
                    chunks: AsyncIterator[bytes], period_id: UUID | None = None,
                    mapping: dict[str, str] | None = None) -> ImportOut
        stores the file, records the import (queued) and defers the job; the same file
        uploaded again answers the earlier import with `duplicate=True` and changes nothing.
    run_import(settings, import_id) -> ImportOut        the job's body (all or nothing)
    list_imports(actor, page: PageRequest) -> ImportPage
    access_import(actor, import_id) -> ImportOut          (progress: processed_rows/total_rows)
    access_import_rows(actor, import_id, page, *, outcome: RowOutcome | None = None)
        -> ImportRowPage
    write_import_report(actor, import_id, path: Path) -> Path     xlsx of every row, audited
    HEADER_FIELDS / recognise_headers(headers, mapping)  what headers are understood

Beneficiaries and flags
    search_beneficiaries(actor, filters: BeneficiaryFilters, page) -> BeneficiaryPage  audited
    access_beneficiary(actor, beneficiary_id) -> BeneficiaryDetail                      audited
    export_beneficiaries(actor, filters, fmt: "csv" | "xlsx", path: Path) -> Path       audited
    list_flags(actor, page, *, status="open") -> FlagPage
    do_resolve_flag(actor, flag_id, data: FlagResolutionIn) -> Flag                     audited

Payment periods
    list_periods(actor) -> list[Period]
    access_period(actor, period_id) -> Period            (progress for the actor's communes)
    do_create_period(settings, actor, data: PeriodIn) -> Period
    do_generate_payments(actor, period_id) -> Period     idempotent
    list_payments(actor, period_id, page, *, status=None, commune_code=None,
                  programme_code=None) -> PaymentPage
    do_record_payment(actor, payment_id, data: PaymentResultIn) -> PaymentOut
        notifies the citizen when paid or failed
    reconcile(actor, period_id) -> Reconciliation        by commune and programme
    export_reconciliation(actor, period_id, fmt, path) -> Path                          audited
    statistics(actor) -> Statistics

Citizen
    my_welfare(principal) -> MyWelfare                   only the caller's own lists
"""

from __future__ import annotations

from backend.welfare.citizen import my_welfare
from backend.welfare.imports import (
    access_import,
    access_import_rows,
    do_start_import,
    list_imports,
    run_import,
    write_import_report,
)
from backend.welfare.officers import (
    access_beneficiary,
    access_period,
    do_create_period,
    do_generate_payments,
    do_record_payment,
    do_resolve_flag,
    do_upsert_programme,
    export_beneficiaries,
    export_reconciliation,
    list_flags,
    list_payments,
    list_periods,
    list_programmes,
    reconcile,
    search_beneficiaries,
    statistics,
)
from backend.welfare.validation import HEADER_FIELDS, mask_account, recognise_headers

__all__ = [
    "HEADER_FIELDS",
    "access_beneficiary",
    "access_import",
    "access_import_rows",
    "access_period",
    "do_create_period",
    "do_generate_payments",
    "do_record_payment",
    "do_resolve_flag",
    "do_start_import",
    "do_upsert_programme",
    "export_beneficiaries",
    "export_reconciliation",
    "list_flags",
    "list_imports",
    "list_payments",
    "list_periods",
    "list_programmes",
    "mask_account",
    "my_welfare",
    "recognise_headers",
    "reconcile",
    "run_import",
    "search_beneficiaries",
    "statistics",
    "write_import_report",
]
