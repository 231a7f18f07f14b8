"""What Piccolo cannot declare: the watched intervals (`int4multirange`), foreign keys (a
course's versions, sections, lessons, questions, enrolments and everything of an enrolment go
with it; people are referenced, never copied but for the name printed on a certificate),
uniqueness, the checks that keep statuses and kinds to their lists, and the indexes the
learners' pages, the reminders and the managers' reports read."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.piccolo_apps import run_sql_script

ID = "2026-11-27T15:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "mooc: watched intervals, foreign keys, uniqueness, checks, indexes"

SQL = """
ALTER TABLE mooc_lesson_progress ADD COLUMN watched int4multirange NOT NULL DEFAULT '{}';
ALTER TABLE mooc_lesson_progress DROP COLUMN id;
ALTER TABLE mooc_lesson_progress ADD PRIMARY KEY (enrolment_id, lesson_id);

ALTER TABLE mooc_courses ADD CONSTRAINT mooc_courses_status_check
    CHECK (status IN ('draft', 'published', 'archived'));
ALTER TABLE mooc_courses ADD CONSTRAINT mooc_courses_audience_check
    CHECK (audience IN ('civil_servants', 'public'));
ALTER TABLE mooc_courses ADD CONSTRAINT mooc_courses_created_by_fk
    FOREIGN KEY (created_by) REFERENCES persons (id) ON DELETE SET NULL;

ALTER TABLE mooc_course_versions ADD CONSTRAINT mooc_course_versions_course_fk
    FOREIGN KEY (course_id) REFERENCES mooc_courses (id) ON DELETE CASCADE;
ALTER TABLE mooc_course_versions ADD CONSTRAINT mooc_course_versions_unique
    UNIQUE (course_id, number);
ALTER TABLE mooc_courses ADD CONSTRAINT mooc_courses_current_version_fk
    FOREIGN KEY (current_version_id) REFERENCES mooc_course_versions (id)
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE mooc_course_versions ADD CONSTRAINT mooc_course_versions_threshold_check
    CHECK (video_threshold > 0 AND video_threshold <= 1);

ALTER TABLE mooc_sections ADD CONSTRAINT mooc_sections_version_fk
    FOREIGN KEY (version_id) REFERENCES mooc_course_versions (id) ON DELETE CASCADE;

ALTER TABLE mooc_lessons ADD CONSTRAINT mooc_lessons_version_fk
    FOREIGN KEY (version_id) REFERENCES mooc_course_versions (id) ON DELETE CASCADE;
ALTER TABLE mooc_lessons ADD CONSTRAINT mooc_lessons_section_fk
    FOREIGN KEY (section_id) REFERENCES mooc_sections (id) ON DELETE CASCADE;
ALTER TABLE mooc_lessons ADD CONSTRAINT mooc_lessons_kind_check
    CHECK (kind IN ('video', 'reading', 'quiz'));
ALTER TABLE mooc_lessons ADD CONSTRAINT mooc_lessons_key_unique UNIQUE (version_id, key);

ALTER TABLE mooc_questions ADD CONSTRAINT mooc_questions_lesson_fk
    FOREIGN KEY (lesson_id) REFERENCES mooc_lessons (id) ON DELETE CASCADE;
ALTER TABLE mooc_questions ADD CONSTRAINT mooc_questions_kind_check
    CHECK (kind IN ('single', 'multiple', 'true_false', 'text'));

ALTER TABLE mooc_enrolments ADD CONSTRAINT mooc_enrolments_person_fk
    FOREIGN KEY (person_id) REFERENCES persons (id) ON DELETE CASCADE;
ALTER TABLE mooc_enrolments ADD CONSTRAINT mooc_enrolments_course_fk
    FOREIGN KEY (course_id) REFERENCES mooc_courses (id) ON DELETE CASCADE;
ALTER TABLE mooc_enrolments ADD CONSTRAINT mooc_enrolments_version_fk
    FOREIGN KEY (version_id) REFERENCES mooc_course_versions (id);
ALTER TABLE mooc_enrolments ADD CONSTRAINT mooc_enrolments_unique UNIQUE (person_id, course_id);
ALTER TABLE mooc_enrolments ADD CONSTRAINT mooc_enrolments_status_check
    CHECK (status IN ('active', 'unenrolled', 'completed'));
ALTER TABLE mooc_enrolments ADD CONSTRAINT mooc_enrolments_percent_check
    CHECK (progress_percent BETWEEN 0 AND 100);
CREATE INDEX mooc_enrolments_course_agency ON mooc_enrolments (course_id, agency_code);
CREATE INDEX mooc_enrolments_due ON mooc_enrolments (due_at)
    WHERE completed_at IS NULL AND status = 'active' AND due_at IS NOT NULL;

ALTER TABLE mooc_lesson_progress ADD CONSTRAINT mooc_lesson_progress_enrolment_fk
    FOREIGN KEY (enrolment_id) REFERENCES mooc_enrolments (id) ON DELETE CASCADE;
ALTER TABLE mooc_lesson_progress ADD CONSTRAINT mooc_lesson_progress_lesson_fk
    FOREIGN KEY (lesson_id) REFERENCES mooc_lessons (id) ON DELETE CASCADE;

ALTER TABLE mooc_quiz_attempts ADD CONSTRAINT mooc_quiz_attempts_enrolment_fk
    FOREIGN KEY (enrolment_id) REFERENCES mooc_enrolments (id) ON DELETE CASCADE;
ALTER TABLE mooc_quiz_attempts ADD CONSTRAINT mooc_quiz_attempts_lesson_fk
    FOREIGN KEY (lesson_id) REFERENCES mooc_lessons (id) ON DELETE CASCADE;
ALTER TABLE mooc_quiz_attempts ADD CONSTRAINT mooc_quiz_attempts_unique
    UNIQUE (enrolment_id, lesson_id, number);
ALTER TABLE mooc_quiz_attempts ADD CONSTRAINT mooc_quiz_attempts_status_check
    CHECK (status IN ('open', 'submitted', 'timed_out'));
CREATE UNIQUE INDEX mooc_quiz_attempts_one_open ON mooc_quiz_attempts (enrolment_id, lesson_id)
    WHERE status = 'open';
CREATE INDEX mooc_quiz_attempts_deadline ON mooc_quiz_attempts (deadline_at)
    WHERE status = 'open';

ALTER TABLE mooc_certificates ADD CONSTRAINT mooc_certificates_enrolment_fk
    FOREIGN KEY (enrolment_id) REFERENCES mooc_enrolments (id) ON DELETE CASCADE;

ALTER TABLE mooc_assignments ADD CONSTRAINT mooc_assignments_course_fk
    FOREIGN KEY (course_id) REFERENCES mooc_courses (id) ON DELETE CASCADE;
ALTER TABLE mooc_assignments ADD CONSTRAINT mooc_assignments_target_check CHECK (
    (target_kind = 'agency' AND agency_code IS NOT NULL)
    OR (target_kind = 'department' AND agency_code IS NOT NULL AND department IS NOT NULL)
    OR (target_kind = 'role' AND role IS NOT NULL));
ALTER TABLE mooc_enrolments ADD CONSTRAINT mooc_enrolments_assignment_fk
    FOREIGN KEY (assignment_id) REFERENCES mooc_assignments (id) ON DELETE SET NULL;

ALTER TABLE mooc_reminders ADD CONSTRAINT mooc_reminders_enrolment_fk
    FOREIGN KEY (enrolment_id) REFERENCES mooc_enrolments (id) ON DELETE CASCADE;
ALTER TABLE mooc_reminders ADD CONSTRAINT mooc_reminders_unique UNIQUE (enrolment_id, slot);
"""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="mooc", description=DESCRIPTION)

    async def constraints() -> None:
        await run_sql_script(SQL)

    manager.add_raw(constraints)
    return manager
