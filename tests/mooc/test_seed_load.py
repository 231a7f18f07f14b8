"""`ctn seed --mooc-learners N`: the MOOC's benchmark data is consistent (what the services
would have written) and loads once."""

from __future__ import annotations

from click.testing import CliRunner

from backend.cli import main
from backend.identity.service import do_load_synthetic_people
from backend.identity.synthetic import synthetic_agencies
from mooc import sql
from mooc.certificates import verify_certificate
from seed.mooc_load import catalogue, do_load_mooc_learners

LEARNERS = 120


async def load(lines: list[str]) -> None:
    await do_load_synthetic_people(
        LEARNERS + 10, civil_servants=LEARNERS + 10, agencies=3, echo=lines.append
    )
    await do_load_mooc_learners(LEARNERS, agencies=synthetic_agencies(3), echo=lines.append)


async def test_the_catalogue_is_the_same_in_every_process() -> None:
    first, second = catalogue(), catalogue()
    assert [c.id for c in first] == [c.id for c in second]
    assert len(first) == 20 and len({c.code for c in first}) == 20
    for course in first:
        assert len(course.lessons) == 10
        assert course.final_quiz.kind == "quiz" and course.final_quiz.required
        assert len(course.final_quiz.questions) == 30
        kinds = {q.kind for q in course.final_quiz.questions}
        assert kinds == {"single", "multiple", "true_false", "text"}
    assert [c.audience for c in first].count("public") == 2


async def test_a_second_load_adds_nothing(db: None) -> None:
    lines: list[str] = []
    await load(lines)
    counts = await table_counts()
    assert counts["enrolments"] == 3 * LEARNERS
    await load(lines)
    assert await table_counts() == counts
    assert f"0 new learners ({LEARNERS} already loaded)" in lines[-1]


async def table_counts() -> dict[str, int]:
    row = await sql.fetchrow(
        "SELECT (SELECT count(*) FROM mooc_courses) AS courses,"
        " (SELECT count(*) FROM mooc_enrolments) AS enrolments,"
        " (SELECT count(*) FROM mooc_lesson_progress) AS progress,"
        " (SELECT count(*) FROM mooc_quiz_attempts) AS attempts,"
        " (SELECT count(*) FROM mooc_certificates) AS certificates,"
        " (SELECT count(*) FROM mooc_questions) AS questions,"
        " (SELECT count(*) FROM mooc_assignments) AS assignments"
    )
    return dict(row)


async def test_the_learners_are_at_every_stage_and_their_counters_add_up(db: None) -> None:
    await load([])
    counts = await table_counts()
    assert counts["courses"] == 20 and counts["questions"] == 20 * 2 * 30
    assert counts["assignments"] == 3
    states = dict(
        (row["status"], row["n"])
        for row in await sql.fetch(
            "SELECT status, count(*) AS n FROM mooc_enrolments GROUP BY status"
        )
    )
    assert states["active"] > 0 and states["completed"] > 0
    # Each learner: three courses, one mandatory from their agency's assignment.
    per_learner = await sql.fetch(
        "SELECT e.person_id, count(*) AS n, count(e.assignment_id) AS mandatory,"
        " bool_and(e.assignment_id IS NULL OR (a.agency_code = e.agency_code"
        "   AND a.course_id = e.course_id AND a.due_at = e.due_at)) AS matches,"
        " bool_or(e.status = 'active') AS something_left"
        " FROM mooc_enrolments e LEFT JOIN mooc_assignments a ON a.id = e.assignment_id"
        " GROUP BY e.person_id"
    )
    assert len(per_learner) == LEARNERS
    assert all(r["n"] == 3 and r["mandatory"] == 1 and r["matches"] for r in per_learner)
    assert all(r["something_left"] for r in per_learner)
    # ... and a final quiz to take in it (what the benchmark's deadline burst submits).
    assert (
        await sql.fetchval(
            "SELECT count(DISTINCT e.person_id) FROM mooc_enrolments e"
            " JOIN mooc_lessons l ON l.version_id = e.version_id AND l.kind = 'quiz' AND l.required"
            " WHERE e.status = 'active' AND NOT EXISTS (SELECT 1 FROM mooc_quiz_attempts a"
            "   WHERE a.enrolment_id = e.id AND a.lesson_id = l.id AND a.passed)"
            " AND (SELECT count(*) FROM mooc_quiz_attempts a"
            "   WHERE a.enrolment_id = e.id AND a.lesson_id = l.id) < 3"
        )
        == LEARNERS
    )
    # The counters are those of the progress rows: required lessons completed.
    wrong = await sql.fetch(
        "SELECT e.id FROM mooc_enrolments e"
        " LEFT JOIN LATERAL (SELECT count(*) AS done FROM mooc_lesson_progress p"
        "   JOIN mooc_lessons l ON l.id = p.lesson_id"
        "   WHERE p.enrolment_id = e.id AND l.required AND p.completed_at IS NOT NULL) d ON true"
        " WHERE e.required_done <> d.done OR e.required_total <> 9"
        "   OR e.progress_percent <> e.required_done * 100 / 9"
        "   OR (e.status = 'completed') <> (e.required_done = 9)"
        "   OR (e.completed_at IS NOT NULL) <> (e.status = 'completed')"
        "   OR (e.started_at IS NULL) <> NOT EXISTS"
        "      (SELECT 1 FROM mooc_lesson_progress p WHERE p.enrolment_id = e.id)"
    )
    assert wrong == []
    # One certificate per completed enrolment, none for the others.
    assert (
        await sql.fetchval(
            "SELECT count(*) FROM mooc_enrolments e LEFT JOIN mooc_certificates c"
            " ON c.enrolment_id = e.id WHERE (c.id IS NOT NULL) <> (e.status = 'completed')"
        )
        == 0
    )
    # Their codes verify on the public page's terms.
    code = await sql.fetchval("SELECT code FROM mooc_certificates LIMIT 1")
    verified = await verify_certificate(code)
    assert verified.valid and verified.learner_name.startswith("Học viên thử tải")
    # Watched time is the union of the intervals; a completed video is ≥ 90 % watched, one
    # in progress below it; a completed quiz has a passed attempt.
    videos = await sql.fetch(
        "SELECT p.watched_ms, p.completed_at IS NOT NULL AS done, l.duration_ms,"
        " (SELECT coalesce(sum(upper(r) - lower(r)), 0) FROM unnest(p.watched) r) AS union_ms"
        " FROM mooc_lesson_progress p JOIN mooc_lessons l ON l.id = p.lesson_id"
        " WHERE l.kind = 'video'"
    )
    assert videos and all(v["watched_ms"] == v["union_ms"] for v in videos)
    assert all((v["watched_ms"] >= 0.9 * v["duration_ms"]) == v["done"] for v in videos)
    assert {v["done"] for v in videos} == {True, False}
    assert (
        await sql.fetchval(
            "SELECT count(*) FROM mooc_lesson_progress p JOIN mooc_lessons l ON l.id = p.lesson_id"
            " WHERE l.kind = 'quiz' AND p.completed_at IS NOT NULL AND NOT EXISTS"
            " (SELECT 1 FROM mooc_quiz_attempts a WHERE a.enrolment_id = p.enrolment_id"
            "  AND a.lesson_id = p.lesson_id AND a.passed)"
        )
        == 0
    )
    attempts = await sql.fetch(
        "SELECT status, passed, jsonb_array_length(questions) AS drawn, percent"
        " FROM mooc_quiz_attempts a JOIN mooc_lessons l ON l.id = a.lesson_id WHERE l.required"
    )
    assert {a["status"] for a in attempts} >= {"submitted"}
    assert all(a["drawn"] == 10 for a in attempts)
    assert all((a["percent"] >= 70) == a["passed"] for a in attempts if a["status"] == "submitted")


def test_the_option_is_documented() -> None:
    answer = CliRunner().invoke(main, ["seed", "--help"])
    assert answer.exit_code == 0
    assert "--mooc-learners" in answer.output and "BENCH-01" in answer.output
