"""What Piccolo cannot declare: foreign keys (a beneficiary's enrolments, flags and payments
go with them; an import's rows with it; people are referenced, never copied), uniqueness per
programme and category, beneficiary and programme, period and enrolment, the checks that keep
statuses and channels to their lists, and the indexes of the officers' lists."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.piccolo_apps import run_sql_script

ID = "2026-11-27T12:58:17:000000"
VERSION = "1.38.0"
DESCRIPTION = "welfare: foreign keys, uniqueness, checks, indexes"

SQL = """
ALTER TABLE welfare_categories ADD CONSTRAINT welfare_categories_programme_fk
    FOREIGN KEY (programme_code) REFERENCES welfare_programmes (code)
    ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE welfare_categories ADD CONSTRAINT welfare_categories_unique
    UNIQUE (programme_code, code);
ALTER TABLE welfare_categories ADD CONSTRAINT welfare_categories_amounts_check
    CHECK (min_amount > 0 AND min_amount <= monthly_amount AND monthly_amount <= max_amount);
ALTER TABLE welfare_beneficiaries ADD CONSTRAINT welfare_beneficiaries_person_fk
    FOREIGN KEY (person_id) REFERENCES persons (id) ON DELETE SET NULL;
ALTER TABLE welfare_beneficiaries ADD CONSTRAINT welfare_beneficiaries_status_check
    CHECK (status IN ('active', 'review', 'rejected'));
ALTER TABLE welfare_beneficiaries ADD CONSTRAINT welfare_beneficiaries_gender_check
    CHECK (gender IN ('male', 'female'));
ALTER TABLE welfare_beneficiaries ADD CONSTRAINT welfare_beneficiaries_personal_id_check
    CHECK (personal_id ~ '^[0-9]{12}$');
CREATE INDEX welfare_beneficiaries_name_prefix ON welfare_beneficiaries (name_folded text_pattern_ops);
ALTER TABLE welfare_enrolments ADD CONSTRAINT welfare_enrolments_beneficiary_fk
    FOREIGN KEY (beneficiary_id) REFERENCES welfare_beneficiaries (id) ON DELETE CASCADE;
ALTER TABLE welfare_enrolments ADD CONSTRAINT welfare_enrolments_category_fk
    FOREIGN KEY (programme_code, category_code)
    REFERENCES welfare_categories (programme_code, code) ON UPDATE CASCADE;
ALTER TABLE welfare_enrolments ADD CONSTRAINT welfare_enrolments_unique
    UNIQUE (beneficiary_id, programme_code);
ALTER TABLE welfare_enrolments ADD CONSTRAINT welfare_enrolments_channel_check
    CHECK (channel IN ('bank', 'ewallet', 'mobile_money', 'cash_post'));
ALTER TABLE welfare_enrolments ADD CONSTRAINT welfare_enrolments_amount_check
    CHECK (monthly_amount > 0);
ALTER TABLE welfare_flags ADD CONSTRAINT welfare_flags_beneficiary_fk
    FOREIGN KEY (beneficiary_id) REFERENCES welfare_beneficiaries (id) ON DELETE CASCADE;
ALTER TABLE welfare_flags ADD CONSTRAINT welfare_flags_field_check
    CHECK (field IN ('full_name', 'birth_date'));
ALTER TABLE welfare_flags ADD CONSTRAINT welfare_flags_status_check
    CHECK ((status = 'open' AND resolution IS NULL)
        OR (status = 'resolved' AND resolution IN ('accept_identity', 'keep_list', 'reject')));
ALTER TABLE welfare_flags ADD CONSTRAINT welfare_flags_resolved_by_fk
    FOREIGN KEY (resolved_by) REFERENCES persons (id) ON DELETE SET NULL;
ALTER TABLE welfare_imports ADD CONSTRAINT welfare_imports_kind_check
    CHECK (kind IN ('beneficiaries', 'payments'));
ALTER TABLE welfare_imports ADD CONSTRAINT welfare_imports_status_check
    CHECK (status IN ('queued', 'running', 'done', 'failed'));
ALTER TABLE welfare_imports ADD CONSTRAINT welfare_imports_created_by_fk
    FOREIGN KEY (created_by) REFERENCES persons (id) ON DELETE SET NULL;
ALTER TABLE welfare_import_rows ADD CONSTRAINT welfare_import_rows_import_fk
    FOREIGN KEY (import_id) REFERENCES welfare_imports (id) ON DELETE CASCADE;
ALTER TABLE welfare_import_rows ADD CONSTRAINT welfare_import_rows_unique
    UNIQUE (import_id, row_number);
ALTER TABLE welfare_import_rows ADD CONSTRAINT welfare_import_rows_outcome_check
    CHECK (outcome IN ('accepted', 'updated', 'unchanged', 'rejected'));
ALTER TABLE welfare_flags ADD CONSTRAINT welfare_flags_import_fk
    FOREIGN KEY (import_id) REFERENCES welfare_imports (id) ON DELETE SET NULL;
ALTER TABLE welfare_periods ADD CONSTRAINT welfare_periods_month_check
    CHECK (extract(day FROM month) = 1);
ALTER TABLE welfare_imports ADD CONSTRAINT welfare_imports_period_fk
    FOREIGN KEY (period_id) REFERENCES welfare_periods (id) ON DELETE CASCADE;
ALTER TABLE welfare_payments ADD CONSTRAINT welfare_payments_period_fk
    FOREIGN KEY (period_id) REFERENCES welfare_periods (id) ON DELETE CASCADE;
ALTER TABLE welfare_payments ADD CONSTRAINT welfare_payments_enrolment_fk
    FOREIGN KEY (enrolment_id) REFERENCES welfare_enrolments (id) ON DELETE CASCADE;
ALTER TABLE welfare_payments ADD CONSTRAINT welfare_payments_beneficiary_fk
    FOREIGN KEY (beneficiary_id) REFERENCES welfare_beneficiaries (id) ON DELETE CASCADE;
ALTER TABLE welfare_payments ADD CONSTRAINT welfare_payments_unique
    UNIQUE (period_id, enrolment_id);
ALTER TABLE welfare_payments ADD CONSTRAINT welfare_payments_status_check
    CHECK (status IN ('pending', 'paid', 'failed', 'returned'));
ALTER TABLE welfare_payments ADD CONSTRAINT welfare_payments_paid_check
    CHECK (status <> 'paid' OR (paid_on IS NOT NULL AND transaction_ref IS NOT NULL));
CREATE INDEX welfare_payments_reconcile ON welfare_payments (period_id, commune_code, programme_code);
"""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="welfare", description=DESCRIPTION)

    async def constraints() -> None:
        await run_sql_script(SQL)

    manager.add_raw(constraints)
    return manager
