"""The MOOC's demo data (seed.mooc): courses a learner can take, learners at every stage with
what they see, the demo manager's report of Sở Nội vụ; loading it twice changes nothing."""

from __future__ import annotations

from typing import Any

from backend.access import Principal, Role
from backend.identity.service import get_person_roles
from mooc import sql
from mooc.certificates import list_my_certificates, verify_certificate
from mooc.courses import list_my_courses
from mooc.reports import get_course_report
from seed.content import seed_video
from seed.identity import seed_people
from seed.mooc import COURSES, EXTRA_LEARNERS, HA, HUY, MANAGER, seed_mooc

SO_NOIVU = "SO-NOIVU"


async def person(personal_id: str) -> Any:
    return await sql.fetchval("SELECT id FROM persons WHERE personal_id = $1", personal_id)


async def counts() -> dict[str, int]:
    row = await sql.fetchrow(
        "SELECT (SELECT count(*) FROM mooc_courses) AS courses,"
        " (SELECT count(*) FROM mooc_course_versions) AS versions,"
        " (SELECT count(*) FROM mooc_enrolments) AS enrolments,"
        " (SELECT count(*) FROM mooc_lesson_progress) AS progress,"
        " (SELECT count(*) FROM mooc_quiz_attempts) AS attempts,"
        " (SELECT count(*) FROM mooc_certificates) AS certificates,"
        " (SELECT count(*) FROM mooc_assignments) AS assignments,"
        " (SELECT count(*) FROM media_assets) AS assets"
    )
    return dict(row)


async def test_the_demo_courses_learners_and_manager(db: None, settings: Any) -> None:
    await seed_people()
    await seed_video(settings)
    await seed_mooc(settings)
    loaded = await counts()
    assert loaded["courses"] == len(COURSES) == loaded["versions"]
    assert loaded["assignments"] == 2

    # Published, with real transcoded videos (their durations probed) and question banks.
    lessons = await sql.fetch(
        "SELECT c.code, c.status, c.audience, l.kind, l.duration_ms, l.asset_id,"
        " (SELECT count(*) FROM mooc_questions q WHERE q.lesson_id = l.id) AS questions"
        " FROM mooc_courses c JOIN mooc_lessons l ON l.version_id = c.current_version_id"
    )
    assert {r["status"] for r in lessons} == {"published"}
    assert {r["code"] for r in lessons if r["audience"] == "public"} == {"DEMO-DVC"}
    videos = [r for r in lessons if r["kind"] == "video"]
    assert videos and all(r["asset_id"] and r["duration_ms"] >= 2500 for r in videos)
    assert all(r["questions"] >= 2 for r in lessons if r["kind"] == "quiz")
    kinds = await sql.fetch("SELECT DISTINCT kind FROM mooc_questions")
    assert {r["kind"] for r in kinds} == {"single", "multiple", "true_false", "text"}

    # Đỗ Thu Hà completed "Kỹ năng số" and holds its certificate, valid, with her name.
    ha = await person(HA[0])
    mine = {item.code: item for item in (await list_my_courses(ha)).items}
    assert set(mine) == {"DEMO-KNS", "DEMO-VHCV"}
    assert mine["DEMO-KNS"].status == "completed" and mine["DEMO-KNS"].progress_percent == 100
    assert mine["DEMO-KNS"].certificate_code
    assert mine["DEMO-VHCV"].status == "active" and mine["DEMO-VHCV"].progress_percent == 0
    certificates = await list_my_certificates(ha)
    assert [c.course_title for c in certificates] == ["Kỹ năng số cho cán bộ, công chức"]
    verified = await verify_certificate(certificates[0].code)
    assert verified.learner_name == "Đỗ Thu Hà" and verified.valid

    # Vũ Quang Huy: the overdue mandatory course, a third done; a public course completed.
    huy = {item.code: item for item in (await list_my_courses(await person(HUY[0]))).items}
    assert huy["DEMO-ATTT"].overdue and huy["DEMO-ATTT"].mandatory
    assert huy["DEMO-ATTT"].progress_percent == 33 and huy["DEMO-ATTT"].next_lesson is not None
    assert huy["DEMO-DVC"].status == "completed"

    # The demo manager manages Sở Nội vụ and sees its learners of the mandatory course only.
    manager_id = await person(MANAGER[0])
    grant = next(i for i in await get_person_roles(manager_id) if i.role == "civil_servant")
    assert grant.manager and grant.department == "Phòng Công chức, viên chức"
    manager = Principal(
        id=manager_id,
        roles=frozenset({Role.CIVIL_SERVANT.value}),
        agencies=frozenset({SO_NOIVU}),
        managed_agencies=frozenset({SO_NOIVU}),
    )
    kns = await sql.fetchval("SELECT id FROM mooc_courses WHERE code = 'DEMO-KNS'")
    report = await get_course_report(manager, kns)
    assert [a.agency_code for a in report.agencies] == [SO_NOIVU]
    in_agency = 2 + sum(1 for *_, agency, _ in EXTRA_LEARNERS if agency == SO_NOIVU)
    figures = report.total
    assert (figures.enrolled, figures.started, figures.completed, figures.overdue) == (
        in_agency,
        4,
        2,
        0,
    )
    # The overdue assignment: UBND phường Phan Đình Phùng, two of three learners overdue.
    attt = await sql.fetchval("SELECT id FROM mooc_courses WHERE code = 'DEMO-ATTT'")
    admin = Principal(id=manager_id, roles=frozenset({Role.COURSE_ADMIN.value}))
    whole = await get_course_report(admin, attt)
    assert (whole.total.enrolled, whole.total.completed, whole.total.overdue) == (3, 1, 2)

    # A second run adds nothing.
    await seed_mooc(settings)
    assert await counts() == loaded
