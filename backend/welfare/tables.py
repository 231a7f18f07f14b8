"""Tables of welfare status (plan model 6).

A programme (monthly social allowance for older people, disability allowance, …) has
categories, each with its monthly amount and the range an imported amount must fall in. A
beneficiary is one person on the lists, keyed by personal identification number; each of
their enrolments is one programme with its category, amount and payout channel. Lists arrive
as imports (a file, its per-row results); mismatches against what identity knows become flags
an officer resolves. A payment period (one month) holds the expected payments generated from
the active enrolments, and the result recorded for each.

The list's own values (`list_full_name`, `list_birth_date`) are kept beside the values in
force (`full_name`, `birth_date`), so that an officer's choice of identity's value survives the
same list being imported again (the row is unchanged, not an update). Foreign keys and checks
Piccolo cannot declare are added by the migration.
"""

from piccolo.columns import (
    JSONB,
    UUID,
    BigInt,
    Boolean,
    Date,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class WelfareProgramme(Table, tablename="welfare_programmes"):
    """A welfare programme, e.g. `BTXH-NCT` (social allowance for older people)."""

    code = Varchar(length=40, primary_key=True)
    name_vi = Varchar(length=200)
    name_en = Varchar(length=200)
    active = Boolean(default=True)
    created_at = Timestamptz()


class WelfareCategory(Table, tablename="welfare_categories"):
    """A beneficiary category of a programme and its monthly amount (VND). An imported amount
    must lie within [`min_amount`, `max_amount`]; an empty one takes `monthly_amount`.
    Unique per (programme, code), set by the migration."""

    id = Serial(primary_key=True)
    programme_code = Varchar(length=40, index=True)
    code = Varchar(length=40)
    name_vi = Varchar(length=200)
    name_en = Varchar(length=200)
    monthly_amount = BigInt()
    min_amount = BigInt()
    max_amount = BigInt()


class WelfareBeneficiary(Table, tablename="welfare_beneficiaries"):
    """One person on the lists. `status`: active, review (an open flag: no payment is
    generated until it is resolved) or rejected (an officer rejected the row)."""

    id = UUID(primary_key=True)
    personal_id = Varchar(length=12, unique=True)
    person_id = UUID(null=True, default=None, index=True)
    """The identity person the number names, when identity knows them."""
    full_name = Varchar(length=200)
    name_folded = Varchar(length=200, index=True)
    """`full_name` without diacritics, case or extra spaces (what searches match)."""
    birth_date = Date()
    list_full_name = Varchar(length=200)
    list_birth_date = Date()
    gender = Varchar(length=6)
    """male or female."""
    commune_code = Varchar(length=5, index=True)
    status = Varchar(length=12, default="active", index=True)
    last_import_id = UUID(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class WelfareEnrolment(Table, tablename="welfare_enrolments"):
    """A beneficiary's place in one programme (unique per beneficiary and programme)."""

    id = UUID(primary_key=True)
    beneficiary_id = UUID(index=True)
    programme_code = Varchar(length=40, index=True)
    category_code = Varchar(length=40)
    monthly_amount = BigInt()
    channel = Varchar(length=16)
    """bank, ewallet, mobile_money or cash_post."""
    account_ref = Varchar(length=40, null=True, default=None)
    active = Boolean(default=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class WelfareFlag(Table, tablename="welfare_flags"):
    """A value of the list that differs from identity's (`field`: full_name or birth_date).
    `status`: open, or resolved with `resolution` accept_identity, keep_list (with `reason`)
    or reject."""

    id = UUID(primary_key=True)
    beneficiary_id = UUID(index=True)
    field = Varchar(length=16)
    list_value = Varchar(length=200)
    identity_value = Varchar(length=200)
    status = Varchar(length=10, default="open", index=True)
    resolution = Varchar(length=16, null=True, default=None)
    reason = Text(null=True, default=None)
    import_id = UUID(null=True, default=None)
    created_at = Timestamptz()
    resolved_by = UUID(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)


class WelfareImport(Table, tablename="welfare_imports"):
    """An imported file: `kind` beneficiaries or payments (then `period_id`); `status`
    queued → running → done or failed (nothing of the file kept). `sha256` of the bytes makes
    a second upload of the same file answer the first import."""

    id = UUID(primary_key=True)
    kind = Varchar(length=16)
    period_id = UUID(null=True, default=None)
    filename = Varchar(length=200)
    file_format = Varchar(length=4)
    sha256 = Varchar(length=64, index=True)
    storage_key = Varchar(length=300, null=True, default=None)
    mapping = JSONB(default="{}")
    status = Varchar(length=10, default="queued", index=True)
    total_rows = Integer(default=0)
    processed_rows = Integer(default=0)
    accepted = Integer(default=0)
    updated = Integer(default=0)
    unchanged = Integer(default=0)
    rejected = Integer(default=0)
    flagged = Integer(default=0)
    error = Text(null=True, default=None)
    communes = JSONB(default="[]")
    """The importing officer's communes (empty: the whole province); rows outside them are
    rejected."""
    created_by = UUID(null=True, default=None, index=True)
    created_at = Timestamptz()
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)


class WelfareImportRow(Table, tablename="welfare_import_rows"):
    """The result of one row of an import (primary key: import, row number; set by the
    migration). `outcome`: accepted, updated, unchanged or rejected (with `reason`, in
    Vietnamese)."""

    id = Serial(primary_key=True)
    import_id = UUID()
    row_number = Integer()
    outcome = Varchar(length=10)
    reason = Text(null=True, default=None)
    personal_id = Varchar(length=40, null=True, default=None)
    full_name = Varchar(length=200, null=True, default=None)
    commune_code = Varchar(length=20, null=True, default=None)
    programme_code = Varchar(length=40, null=True, default=None)


class WelfarePeriod(Table, tablename="welfare_periods"):
    """A monthly payment period (unique per month), paid out on `payout_date`."""

    id = UUID(primary_key=True)
    month = Date(unique=True)
    """The first day of the month."""
    payout_date = Date()
    generated_at = Timestamptz(null=True, default=None)
    created_by = UUID(null=True, default=None)
    created_at = Timestamptz()


class WelfarePayment(Table, tablename="welfare_payments"):
    """An expected payment of one enrolment in one period (unique per period and enrolment),
    with its amount, channel and account as they were when generated, and its result.
    `status`: pending, paid, failed or returned."""

    id = UUID(primary_key=True)
    period_id = UUID(index=True)
    enrolment_id = UUID()
    beneficiary_id = UUID(index=True)
    programme_code = Varchar(length=40)
    commune_code = Varchar(length=5)
    amount = BigInt()
    channel = Varchar(length=16)
    account_ref = Varchar(length=40, null=True, default=None)
    status = Varchar(length=10, default="pending")
    paid_on = Date(null=True, default=None)
    transaction_ref = Varchar(length=60, null=True, default=None)
    failure_reason = Text(null=True, default=None)
    recorded_by = UUID(null=True, default=None)
    recorded_at = Timestamptz(null=True, default=None)
    import_id = UUID(null=True, default=None)
    detail = JSONB(default="{}")
