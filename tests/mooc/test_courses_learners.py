"""The learner's side: catalogue and audience rules, enrolment (idempotent, prerequisites,
leaving, mandatory), the outline with lesson states, "my learning" figures, and opening a
lesson of each kind."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from backend.access import Role
from mooc import sql
from tests.mooc.course_support import (
    ADMIN,
    add_lesson,
    add_questions,
    add_section,
    course_video,
    create_course,
    draft_lessons,
    draft_sections,
    ok,
    person,
    publish,
    reading_course,
)

CATALOGUE = "/api/v1/courses"


def enrolment_url(course: dict[str, Any]) -> str:
    return f"{CATALOGUE}/{course['id']}/enrolment"


async def test_citizens_see_only_public_courses_and_civil_servants_see_all(
    client: httpx.AsyncClient,
) -> None:
    author = await person(Role.COURSE_ADMIN)
    internal = await reading_course(client, author, title="Nghiệp vụ văn thư nội bộ")
    public = await reading_course(
        client, author, title="Dịch vụ công trực tuyến", audience="public"
    )
    draft = await reading_course(client, author, published=False, title="Bản nháp")
    citizen = await person()
    servant = await person(Role.CIVIL_SERVANT)

    seen_by_citizen = [
        c["id"] for c in ok(await client.get(CATALOGUE, headers=citizen.headers))["items"]
    ]
    assert public["id"] in seen_by_citizen
    assert internal["id"] not in seen_by_citizen and draft["id"] not in seen_by_citizen
    seen_by_servant = [
        c["id"] for c in ok(await client.get(CATALOGUE, headers=servant.headers))["items"]
    ]
    assert {public["id"], internal["id"]} <= set(seen_by_servant)
    assert draft["id"] not in seen_by_servant

    response = await client.get(f"{CATALOGUE}/{internal['id']}", headers=citizen.headers)
    assert response.status_code == 404 and response.json()["code"] == "mooc_course_not_found"
    response = await client.post(enrolment_url(internal), headers=citizen.headers)
    assert response.status_code == 404
    enrolment = ok(await client.post(enrolment_url(public), headers=citizen.headers))
    assert enrolment["status"] == "active" and enrolment["required_total"] == 1
    row = await sql.fetchrow(
        "SELECT agency_code FROM mooc_enrolments WHERE id = $1", uuid.UUID(enrolment["id"])
    )
    assert row["agency_code"] is None  # citizens belong to no agency
    response = await client.get(CATALOGUE)
    assert response.status_code == 401


async def test_the_catalogue_finds_titles_without_diacritics_pages_and_revalidates(
    client: httpx.AsyncClient,
) -> None:
    author = await person(Role.COURSE_ADMIN)
    servant = await person(Role.CIVIL_SERVANT)
    marker = uuid.uuid4().hex[:6]
    titles = [f"Quản lý hồ sơ điện tử {marker} {n}" for n in range(3)]
    for title in titles:
        await reading_course(client, author, title=title)
    found = ok(
        await client.get(
            CATALOGUE, params={"q": f"QUAN LY HO SO DIEN TU {marker}"}, headers=servant.headers
        )
    )
    assert sorted(c["title"] for c in found["items"]) == titles
    first = ok(
        await client.get(CATALOGUE, params={"q": marker, "limit": 2}, headers=servant.headers)
    )
    assert [c["title"] for c in first["items"]] == titles[::-1][:2]  # newest first
    second = ok(
        await client.get(
            CATALOGUE,
            params={"q": marker, "limit": 2, "cursor": first["next_cursor"]},
            headers=servant.headers,
        )
    )
    assert [c["title"] for c in second["items"]] == [titles[0]] and second["next_cursor"] is None

    response = await client.get(CATALOGUE, headers=servant.headers)
    tag = response.headers["etag"]
    again = await client.get(CATALOGUE, headers={**servant.headers, "If-None-Match": tag})
    assert again.status_code == 304


async def test_enrolling_is_idempotent_and_leaving_keeps_progress_for_coming_back(
    client: httpx.AsyncClient,
) -> None:
    author = await person(Role.COURSE_ADMIN)
    course = await reading_course(client, author)
    learner = await person(Role.CIVIL_SERVANT, agency="SO-NOI-VU")
    first = ok(await client.post(enrolment_url(course), headers=learner.headers))
    again = ok(await client.post(enrolment_url(course), headers=learner.headers))
    assert first == again
    row = await sql.fetchrow(
        "SELECT agency_code FROM mooc_enrolments WHERE id = $1", uuid.UUID(first["id"])
    )
    assert row["agency_code"] == "SO-NOI-VU"
    left = ok(await client.delete(enrolment_url(course), headers=learner.headers))
    assert left["status"] == "unenrolled" and left["id"] == first["id"]
    mine = ok(await client.get("/api/v1/me/courses", headers=learner.headers))
    assert course["id"] not in [c["course_id"] for c in mine["items"]]
    lesson_id = course["published"]["sections"][0]["lessons"][0]["id"]
    response = await client.get(f"/api/v1/lessons/{lesson_id}", headers=learner.headers)
    assert response.status_code == 403 and response.json()["code"] == "mooc_not_enrolled"
    back = ok(await client.post(enrolment_url(course), headers=learner.headers))
    assert back["id"] == first["id"] and back["status"] == "active"
    stranger = await person(Role.CIVIL_SERVANT)
    response = await client.delete(enrolment_url(course), headers=stranger.headers)
    assert response.status_code == 404 and response.json()["code"] == "mooc_enrolment_not_found"


async def test_mandatory_training_cannot_be_left_while_its_assignment_is_in_force(
    client: httpx.AsyncClient,
) -> None:
    author = await person(Role.COURSE_ADMIN)
    course = await reading_course(client, author)
    learner = await person(Role.CIVIL_SERVANT)
    enrolment = ok(await client.post(enrolment_url(course), headers=learner.headers))
    assignment = uuid.uuid4()
    await sql.execute(
        "INSERT INTO mooc_assignments (id, course_id, target_kind, agency_code, due_at,"
        " remind_days_before, created_at) VALUES ($1, $2, 'agency', 'TEST-AGENCY', now(), '{}', now())",
        assignment,
        uuid.UUID(course["id"]),
    )
    await sql.execute(
        "UPDATE mooc_enrolments SET assignment_id = $2 WHERE id = $1",
        uuid.UUID(enrolment["id"]),
        assignment,
    )
    response = await client.delete(enrolment_url(course), headers=learner.headers)
    assert response.status_code == 409 and response.json()["code"] == "mooc_enrolment_mandatory"
    # Once the assignment is withdrawn, the course is no longer mandatory: it may be left.
    await sql.execute("UPDATE mooc_assignments SET active = false WHERE id = $1", assignment)
    left = ok(await client.delete(enrolment_url(course), headers=learner.headers))
    assert left["status"] == "unenrolled"


async def test_prerequisites_must_be_completed_first(client: httpx.AsyncClient) -> None:
    author = await person(Role.COURSE_ADMIN)
    basics = await reading_course(client, author, title="Cơ bản")
    advanced = await create_course(client, author, title="Nâng cao", prerequisites=[basics["id"]])
    advanced = await add_section(client, author, advanced["id"])
    advanced = await add_lesson(
        client,
        author,
        advanced["id"],
        section_id=draft_sections(advanced)[0]["id"],
        kind="reading",
        title="Đọc",
    )
    advanced = await publish(client, author, advanced["id"])
    learner = await person(Role.CIVIL_SERVANT)
    outline = ok(await client.get(f"{CATALOGUE}/{advanced['id']}", headers=learner.headers))
    assert outline["prerequisites"] == [{"id": basics["id"], "title": "Cơ bản", "completed": False}]
    response = await client.post(enrolment_url(advanced), headers=learner.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "mooc_prerequisite_missing"
    assert response.json()["missing"] == [{"id": basics["id"], "title": "Cơ bản"}]
    enrolment = ok(await client.post(enrolment_url(basics), headers=learner.headers))
    await sql.execute(
        "UPDATE mooc_enrolments SET completed_at = now(), status = 'completed' WHERE id = $1",
        uuid.UUID(enrolment["id"]),
    )
    ok(await client.post(enrolment_url(advanced), headers=learner.headers))


async def _progress(enrolment_id: str, lesson_id: str, **values: Any) -> None:
    columns = {"watched_ms": 0, "position_ms": 0, "completed_at": None, **values}
    await sql.execute(
        "INSERT INTO mooc_lesson_progress (enrolment_id, lesson_id, person_id, watched_ms,"
        " position_ms, completed_at, first_opened_at, updated_at)"
        " SELECT id, $2, person_id, $3, $4, $5, now(), now() FROM mooc_enrolments WHERE id = $1",
        uuid.UUID(enrolment_id),
        uuid.UUID(lesson_id),
        columns["watched_ms"],
        columns["position_ms"],
        columns["completed_at"],
    )


async def test_the_outline_and_my_learning_show_each_lesson_state_and_what_is_next(
    client: httpx.AsyncClient, settings: Any, tmp_path: Path
) -> None:
    author = await person(Role.COURSE_ADMIN)
    video = await course_video(settings, tmp_path, author.id)
    course = await create_course(client, author, title="Khoá học có tiến độ")
    course = await add_section(client, author, course["id"])
    section = draft_sections(course)[0]["id"]
    course = await add_lesson(
        client, author, course["id"], section_id=section, kind="reading", title="Đọc"
    )
    course = await add_lesson(
        client,
        author,
        course["id"],
        section_id=section,
        kind="video",
        title="Xem",
        asset_id=str(video),
    )
    course = await add_lesson(
        client,
        author,
        course["id"],
        section_id=section,
        kind="quiz",
        title="Kiểm tra",
        quiz={"draw": 1},
    )
    course = await add_lesson(
        client,
        author,
        course["id"],
        section_id=section,
        kind="reading",
        title="Thêm",
        required=False,
    )
    await add_questions(draft_lessons(course)[2]["id"], 1)
    course = await publish(client, author, course["id"])
    reading, watch, quiz, extra = (x["id"] for x in course["published"]["sections"][0]["lessons"])
    learner = await person(Role.CIVIL_SERVANT)
    enrolment = ok(await client.post(enrolment_url(course), headers=learner.headers))
    assert enrolment["required_total"] == 3

    await _progress(enrolment["id"], reading, completed_at=datetime.now(UTC))
    await _progress(enrolment["id"], watch, watched_ms=500, position_ms=800)
    await sql.execute(
        "INSERT INTO mooc_quiz_attempts (id, enrolment_id, lesson_id, person_id, number, status,"
        " questions, started_at, submitted_at, percent, passed)"
        " VALUES ($1, $2, $3, $4, 1, 'submitted', '[]', now(), now(), 50, false)",
        uuid.uuid4(),
        uuid.UUID(enrolment["id"]),
        uuid.UUID(quiz),
        learner.id,
    )
    due = datetime.now(UTC) - timedelta(days=1)
    await sql.execute(
        "UPDATE mooc_enrolments SET progress_percent = 33, required_done = 1, due_at = $2"
        " WHERE id = $1",
        uuid.UUID(enrolment["id"]),
        due,
    )
    outline = ok(await client.get(f"{CATALOGUE}/{course['id']}", headers=learner.headers))
    states = {x["id"]: x for x in outline["sections"][0]["lessons"]}
    assert states[reading]["state"] == "completed"
    assert states[watch]["state"] == "in_progress" and states[watch]["percent"] == 25
    assert states[quiz]["state"] == "in_progress" and states[quiz]["best_percent"] == 50.0
    assert states[extra]["state"] == "not_started"
    assert outline["next_lesson_id"] == watch
    assert outline["enrolment"]["progress_percent"] == 33

    other = await reading_course(client, author, title="Khoá khác")
    ok(await client.post(enrolment_url(other), headers=learner.headers))
    mine = ok(await client.get("/api/v1/me/courses", headers=learner.headers))["items"]
    assert [c["course_id"] for c in mine] == [course["id"], other["id"]]  # due date first
    first = mine[0]
    assert first["progress_percent"] == 33 and first["required_done"] == 1
    assert first["next_lesson"] == {"id": watch, "kind": "video", "title": "Xem"}
    assert first["overdue"] is True and first["status"] == "active"
    assert mine[1]["overdue"] is False and mine[1]["due_at"] is None

    # Completed, with a certificate: listed after the unfinished ones, with its code.
    await sql.execute(
        "UPDATE mooc_enrolments SET completed_at = now(), status = 'completed',"
        " progress_percent = 100 WHERE id = $1",
        uuid.UUID(enrolment["id"]),
    )
    await sql.execute(
        "INSERT INTO mooc_certificates (id, code, enrolment_id, person_id, course_id,"
        " learner_name, course_title, issued_at) VALUES ($1, 'MA-CHUNG-CHI-1', $2, $3, $4,"
        " 'Người thử nghiệm', 'Khoá học có tiến độ', now())",
        uuid.uuid4(),
        uuid.UUID(enrolment["id"]),
        learner.id,
        uuid.UUID(course["id"]),
    )
    mine = ok(await client.get("/api/v1/me/courses", headers=learner.headers))["items"]
    assert [c["course_id"] for c in mine] == [other["id"], course["id"]]
    assert mine[1]["certificate_code"] == "MA-CHUNG-CHI-1"
    assert mine[1]["overdue"] is False and mine[1]["next_lesson"] is None


async def test_opening_a_video_lesson_gives_the_low_ladder_captions_and_the_resume_point(
    client: httpx.AsyncClient, settings: Any, tmp_path: Path
) -> None:
    author = await person(Role.COURSE_ADMIN)
    video = await course_video(settings, tmp_path, author.id)
    course = await create_course(client, author)
    course = await add_section(client, author, course["id"])
    course = await add_lesson(
        client,
        author,
        course["id"],
        section_id=draft_sections(course)[0]["id"],
        kind="video",
        title="Video",
        asset_id=str(video),
    )
    course = await publish(client, author, course["id"])
    lesson = course["published"]["sections"][0]["lessons"][0]["id"]
    learner = await person(Role.CIVIL_SERVANT)
    response = await client.get(f"/api/v1/lessons/{lesson}", headers=learner.headers)
    assert response.status_code == 404  # not enrolled: the lesson tells nothing
    enrolment = ok(await client.post(enrolment_url(course), headers=learner.headers))
    await _progress(enrolment["id"], lesson, watched_ms=1000, position_ms=1200)
    opened = ok(await client.get(f"/api/v1/lessons/{lesson}", headers=learner.headers))
    assert opened["kind"] == "video" and opened["completed"] is False
    video_view = opened["video"]
    assert video_view["status"] == "ready"
    assert [r["height"] for r in video_view["mp4"]] == [240, 360]  # lowest first
    assert video_view["position_ms"] == 1200
    assert video_view["watched_percent"] == 50 and video_view["threshold_percent"] == 90
    assert video_view["duration_ms"] == lesson_duration(course)
    master = await client.get(video_view["hls_url"])
    assert master.status_code == 200
    lines = master.text.splitlines()
    assert "240p/index.m3u8" in lines and 'CODECS="mp4a.40.2"' in master.text
    audio_playlist = await client.get(video_view["audio_hls_url"])
    assert audio_playlist.status_code == 200 and "#EXTINF" in audio_playlist.text
    audio = await client.get(video_view["audio_url"])
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mp4"
    assert video_view["captions_url"] is None


def lesson_duration(course: dict[str, Any]) -> int:
    return int(course["published"]["sections"][0]["lessons"][0]["duration_ms"])


async def test_opening_a_reading_and_a_quiz_lesson(client: httpx.AsyncClient) -> None:
    author = await person(Role.COURSE_ADMIN)
    course = await create_course(client, author, reading_min_seconds=45)
    course = await add_section(client, author, course["id"])
    section = draft_sections(course)[0]["id"]
    course = await add_lesson(
        client,
        author,
        course["id"],
        section_id=section,
        kind="reading",
        title="Đọc",
        body="<h2>Quy trình</h2><p onclick='x()'>Bước 1</p>",
    )
    course = await add_lesson(
        client,
        author,
        course["id"],
        section_id=section,
        kind="quiz",
        title="Kiểm tra",
        quiz={"draw": 1, "max_attempts": 3, "pass_percent": 60, "time_limit_seconds": 120},
    )
    await add_questions(draft_lessons(course)[1]["id"], 1)
    course = await publish(client, author, course["id"])
    reading, quiz = (x["id"] for x in course["published"]["sections"][0]["lessons"])
    learner = await person(Role.CIVIL_SERVANT)
    enrolment = ok(await client.post(enrolment_url(course), headers=learner.headers))

    opened = ok(await client.get(f"/api/v1/lessons/{reading}", headers=learner.headers))
    assert opened["reading"]["body_html"] == "<h2>Quy trình</h2><p>Bước 1</p>"
    assert opened["reading"]["min_seconds"] == 45 and opened["reading"]["attachments"] == []
    assert opened["previous_lesson_id"] is None and opened["next_lesson_id"] == quiz
    assert opened["completed"] is False

    open_attempt = uuid.uuid4()
    for number, status, percent, passed in ((1, "submitted", 40, False), (2, "open", None, None)):
        await sql.execute(
            "INSERT INTO mooc_quiz_attempts (id, enrolment_id, lesson_id, person_id, number,"
            " status, questions, started_at, percent, passed)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, now(), $8, $9)",
            open_attempt if status == "open" else uuid.uuid4(),
            uuid.UUID(enrolment["id"]),
            uuid.UUID(quiz),
            learner.id,
            number,
            status,
            json.dumps([]),
            percent,
            passed,
        )
    opened = ok(await client.get(f"/api/v1/lessons/{quiz}", headers=learner.headers))
    assert opened["quiz"]["settings"] == {
        "draw": 1,
        "time_limit_seconds": 120,
        "max_attempts": 3,
        "pass_percent": 60,
        "show_answers": "after_submit",
    }
    assert opened["quiz"]["attempts_used"] == 2 and opened["quiz"]["attempts_left"] == 1
    assert opened["quiz"]["best_percent"] == 40.0 and opened["quiz"]["passed"] is False
    assert opened["quiz"]["open_attempt_id"] == str(open_attempt)
    assert opened["previous_lesson_id"] == reading


async def test_a_course_admin_reads_course_media_and_a_learner_of_another_course_does_not(
    client: httpx.AsyncClient, settings: Any, tmp_path: Path
) -> None:
    author = await person(Role.COURSE_ADMIN)
    video = await course_video(settings, tmp_path, author.id)
    course = await create_course(client, author, audience="civil_servants")
    course = await add_section(client, author, course["id"])
    course = await add_lesson(
        client,
        author,
        course["id"],
        section_id=draft_sections(course)[0]["id"],
        kind="video",
        title="Video",
        asset_id=str(video),
    )
    await publish(client, author, course["id"])
    other_admin = await person(Role.COURSE_ADMIN)
    assert (
        await client.get(f"/api/v1/media/{video}", headers=other_admin.headers)
    ).status_code == 200
    citizen = await person()
    assert (await client.get(f"/api/v1/media/{video}", headers=citizen.headers)).status_code == 404
    await client.get(f"{ADMIN}/{course['id']}", headers=author.headers)
