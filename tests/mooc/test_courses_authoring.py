"""Authoring through the API: a course built and published, the checks that stop
publication, frozen versions (a learner on v1 keeps v1 when v2 is published), optimistic
concurrency, archiving, and who may author."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.access import Role
from mooc import sql
from mooc.context import learner_lesson
from mooc.errors import CourseClosed
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
    uploaded_video,
)


async def test_an_author_builds_a_course_of_each_lesson_kind_and_publishes_it(
    client: httpx.AsyncClient, settings: Any, tmp_path: Path
) -> None:
    author = await person(Role.COURSE_ADMIN)
    video = await course_video(settings, tmp_path, author.id)
    course = await create_course(
        client, author, title="Chuyển đổi số", estimated_hours=1.5, audience="public"
    )
    assert course["status"] == "draft"
    assert course["draft"]["number"] == 1 and course["draft"]["estimated_minutes"] == 90
    assert course["published"] is None
    assert [p["code"] for p in course["problems"]] == ["no_lessons"]

    course = await add_section(client, author, course["id"], "Giới thiệu")
    course = await add_section(client, author, course["id"], "Thực hành")
    first, second = (s["id"] for s in draft_sections(course))
    course = await add_lesson(
        client,
        author,
        course["id"],
        section_id=first,
        kind="video",
        title="Xem",
        asset_id=str(video),
    )
    course = await add_lesson(
        client,
        author,
        course["id"],
        section_id=first,
        kind="reading",
        title="Đọc",
        body="**Quan trọng**\n\n<script>alert(1)</script><a href='javascript:x()'>x</a>",
        body_format="markdown",
        required=False,
    )
    course = await add_lesson(
        client,
        author,
        course["id"],
        section_id=second,
        kind="quiz",
        title="Kiểm tra",
        quiz={"draw": 2, "time_limit_seconds": 300, "max_attempts": 2, "pass_percent": 80},
    )
    lessons = draft_lessons(course)
    assert [(lesson["kind"], lesson["position"]) for lesson in lessons] == [
        ("video", 1),
        ("reading", 2),
        ("quiz", 1),
    ]
    reading = lessons[1]
    assert "<strong>Quan trọng</strong>" in reading["body_html"]
    assert "script" not in reading["body_html"] and "javascript" not in reading["body_html"]
    assert lessons[0]["video_status"] == "ready"
    assert lessons[2]["quiz"]["show_answers"] == "after_submit"
    assert [p["code"] for p in course["problems"]] == ["quiz_too_few_questions"]

    await add_questions(lessons[2]["id"], 2)
    course = await publish(client, author, course["id"])
    assert course["status"] == "published"
    assert course["draft"] is None
    assert course["published"]["published_at"] is not None
    assert course["current_version_id"] == course["published"]["id"]
    video_lesson = course["published"]["sections"][0]["lessons"][0]
    assert video_lesson["duration_ms"] == pytest.approx(2000, abs=200)  # from the probed asset
    assert [v["number"] for v in course["versions"]] == [1]

    listed = ok(await client.get(ADMIN, params={"status": "published"}, headers=author.headers))
    assert course["id"] in [item["id"] for item in listed["items"]]


async def test_publishing_is_refused_with_every_problem_listed(
    client: httpx.AsyncClient, settings: Any, tmp_path: Path
) -> None:
    author = await person(Role.COURSE_ADMIN)
    course = await create_course(client, author)
    response = await client.post(f"{ADMIN}/{course['id']}/publication", headers=author.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "mooc_publish_blocked"
    assert [p["code"] for p in response.json()["problems"]] == ["no_lessons"]

    raw = await uploaded_video(settings, tmp_path, author.id)
    course = await add_section(client, author, course["id"])
    course = await add_section(client, author, course["id"], "Trống")
    section = draft_sections(course)[0]["id"]
    course = await add_lesson(
        client,
        author,
        course["id"],
        section_id=section,
        kind="video",
        title="Chưa xử lý",
        asset_id=str(raw),
    )
    course = await add_lesson(
        client, author, course["id"], section_id=section, kind="video", title="Không video"
    )
    course = await add_lesson(
        client,
        author,
        course["id"],
        section_id=section,
        kind="quiz",
        title="Ít câu",
        quiz={"draw": 5},
    )
    response = await client.post(
        f"{ADMIN}/{course['id']}/publication",
        headers={**author.headers, "Accept-Language": "en"},
    )
    assert response.status_code == 409
    problems = response.json()["problems"]
    assert sorted(p["code"] for p in problems) == [
        "quiz_too_few_questions",
        "section_empty",
        "video_missing",
        "video_not_ready",
    ]
    assert any("needs at least 5" in p["message_en"] for p in problems)
    assert (await client.get(f"{ADMIN}/{course['id']}", headers=author.headers)).json()[
        "status"
    ] == "draft"


async def test_a_lesson_video_must_be_a_course_video(
    client: httpx.AsyncClient,
) -> None:
    author = await person(Role.COURSE_ADMIN)
    course = await create_course(client, author)
    course = await add_section(client, author, course["id"])
    section = draft_sections(course)[0]["id"]
    response = await client.post(
        f"{ADMIN}/{course['id']}/lessons",
        json={"section_id": section, "kind": "video", "title": "x", "asset_id": str(uuid.uuid4())},
        headers=author.headers,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "mooc_lesson_video_invalid"
    response = await client.post(
        f"{ADMIN}/{course['id']}/lessons",
        json={"section_id": section, "kind": "reading", "title": "x", "quiz": {"draw": 1}},
        headers=author.headers,
    )
    assert response.json()["code"] == "mooc_lesson_invalid"


async def test_editing_a_published_course_makes_a_draft_and_never_changes_version_1(
    client: httpx.AsyncClient,
) -> None:
    author = await person(Role.COURSE_ADMIN)
    course = await create_course(client, author, title="Phiên bản một")
    course = await add_section(client, author, course["id"])
    section = draft_sections(course)[0]["id"]
    course = await add_lesson(
        client,
        author,
        course["id"],
        section_id=section,
        kind="quiz",
        title="Kiểm tra",
        quiz={"draw": 1},
    )
    await add_questions(draft_lessons(course)[0]["id"], 2)
    course = await add_lesson(
        client,
        author,
        course["id"],
        section_id=section,
        kind="reading",
        title="Đọc 1",
        body="<p>v1</p>",
    )
    course = await publish(client, author, course["id"])
    v1 = course["published"]
    v1_rows = await sql.fetch(
        "SELECT * FROM mooc_lessons WHERE version_id = $1 ORDER BY position", uuid.UUID(v1["id"])
    )
    v1_questions = await sql.fetch(
        "SELECT q.* FROM mooc_questions q JOIN mooc_lessons l ON l.id = q.lesson_id"
        " WHERE l.version_id = $1 ORDER BY q.position",
        uuid.UUID(v1["id"]),
    )

    early = await person(Role.CIVIL_SERVANT)
    ok(await client.post(f"/api/v1/courses/{course['id']}/enrolment", headers=early.headers))
    v1_reading = v1["sections"][0]["lessons"][1]
    await sql.execute(
        "INSERT INTO mooc_lesson_progress (enrolment_id, lesson_id, person_id, first_opened_at,"
        " updated_at, completed_at) SELECT id, $2, person_id, now(), now(), now()"
        " FROM mooc_enrolments WHERE person_id = $1",
        early.id,
        uuid.UUID(v1_reading["id"]),
    )

    # An edit addressed by a published lesson's id goes to its copy in the new draft.
    course = ok(
        await client.patch(
            f"{ADMIN}/{course['id']}/lessons/{v1_reading['id']}",
            json={"title": "Đọc 1 (sửa)", "body": "<p>v2</p>"},
            headers=author.headers,
        )
    )
    draft = course["draft"]
    assert draft["number"] == 2 and draft["editable"] is True
    copied = draft_lessons(course)
    assert {lesson["key"] for lesson in copied} == {
        lesson["key"] for lesson in v1["sections"][0]["lessons"]
    }
    assert not {lesson["id"] for lesson in copied} & {
        lesson["id"] for lesson in v1["sections"][0]["lessons"]
    }
    assert copied[1]["title"] == "Đọc 1 (sửa)" and copied[1]["body_html"] == "<p>v2</p>"
    assert copied[0]["question_count"] == 2  # the bank was copied
    course = ok(
        await client.patch(
            f"{ADMIN}/{course['id']}", json={"title": "Phiên bản hai"}, headers=author.headers
        )
    )
    assert course["draft"]["number"] == 2  # one draft, however many edits
    course = await publish(client, author, course["id"])
    assert [(v["number"], v["current"], v["learners"]) for v in course["versions"]] == [
        (2, True, 0),
        (1, False, 1),
    ]

    assert (
        await sql.fetch(
            "SELECT * FROM mooc_lessons WHERE version_id = $1 ORDER BY position",
            uuid.UUID(v1["id"]),
        )
        == v1_rows
    )
    assert (
        await sql.fetch(
            "SELECT q.* FROM mooc_questions q JOIN mooc_lessons l ON l.id = q.lesson_id"
            " WHERE l.version_id = $1 ORDER BY q.position",
            uuid.UUID(v1["id"]),
        )
        == v1_questions
    )

    # The early learner keeps version 1 and its progress; a new learner gets version 2.
    outline = ok(await client.get(f"/api/v1/courses/{course['id']}", headers=early.headers))
    assert outline["version_number"] == 1 and outline["title"] == "Phiên bản một"
    assert outline["newer_version"] is True
    lessons = outline["sections"][0]["lessons"]
    assert lessons[1]["id"] == v1_reading["id"] and lessons[1]["state"] == "completed"
    opened = ok(await client.get(f"/api/v1/lessons/{v1_reading['id']}", headers=early.headers))
    assert opened["reading"]["body_html"] == "<p>v1</p>" and opened["completed"] is True

    late = await person(Role.CIVIL_SERVANT)
    enrolment = ok(
        await client.post(f"/api/v1/courses/{course['id']}/enrolment", headers=late.headers)
    )
    assert enrolment["version_id"] == course["published"]["id"]
    outline = ok(await client.get(f"/api/v1/courses/{course['id']}", headers=late.headers))
    assert outline["title"] == "Phiên bản hai" and outline["newer_version"] is False
    new_reading = outline["sections"][0]["lessons"][1]
    assert new_reading["state"] == "not_started"
    response = await client.get(f"/api/v1/lessons/{v1_reading['id']}", headers=late.headers)
    assert response.status_code == 404  # another version's lesson tells nothing


async def test_a_stale_revision_is_refused_instead_of_overwriting(
    client: httpx.AsyncClient,
) -> None:
    author = await person(Role.COURSE_ADMIN)
    other = await person(Role.COURSE_ADMIN)
    course = await create_course(client, author)
    seen = course["revision"]
    changed = ok(
        await client.patch(
            f"{ADMIN}/{course['id']}",
            json={"title": "Sửa bởi người khác"},
            headers={**other.headers, "If-Match": f'"{seen}"'},
        )
    )
    assert changed["revision"] != seen
    response = await client.patch(
        f"{ADMIN}/{course['id']}",
        json={"title": "Sửa của tôi"},
        headers={**author.headers, "If-Match": seen},
    )
    assert response.status_code == 412
    assert response.json()["code"] == "mooc_course_edited_concurrently"
    assert response.json()["revision"] == changed["revision"]
    now = ok(await client.get(f"{ADMIN}/{course['id']}", headers=author.headers))
    assert now["draft"]["title"] == "Sửa bởi người khác"


async def test_sections_and_lessons_move_and_an_empty_section_is_deleted(
    client: httpx.AsyncClient,
) -> None:
    author = await person(Role.COURSE_ADMIN)
    course = await create_course(client, author)
    for title in ("A", "B", "C"):
        course = await add_section(client, author, course["id"], title)
    a, b, c = (s["id"] for s in draft_sections(course))
    course = ok(
        await client.patch(
            f"{ADMIN}/{course['id']}/sections/{c}", json={"position": 1}, headers=author.headers
        )
    )
    assert [s["title"] for s in draft_sections(course)] == ["C", "A", "B"]
    for title in ("r1", "r2"):
        course = await add_lesson(
            client, author, course["id"], section_id=a, kind="reading", title=title
        )
    r1, r2 = (lesson["id"] for lesson in draft_lessons(course))
    course = ok(
        await client.patch(
            f"{ADMIN}/{course['id']}/lessons/{r2}",
            json={"section_id": c, "position": 1},
            headers=author.headers,
        )
    )
    by_title = {s["title"]: [x["title"] for x in s["lessons"]] for s in draft_sections(course)}
    assert by_title == {"C": ["r2"], "A": ["r1"], "B": []}
    response = await client.delete(f"{ADMIN}/{course['id']}/sections/{a}", headers=author.headers)
    assert response.json()["code"] == "mooc_section_not_empty"
    course = ok(await client.delete(f"{ADMIN}/{course['id']}/sections/{b}", headers=author.headers))
    assert [(s["title"], s["position"]) for s in draft_sections(course)] == [("C", 1), ("A", 2)]
    course = ok(await client.delete(f"{ADMIN}/{course['id']}/lessons/{r1}", headers=author.headers))
    assert [x["title"] for x in draft_lessons(course)] == ["r2"]


async def test_an_archived_course_leaves_the_catalogue_and_takes_no_enrolment_or_progress(
    client: httpx.AsyncClient,
) -> None:
    author = await person(Role.COURSE_ADMIN)
    learner = await person(Role.CIVIL_SERVANT)
    course = await reading_course(client, author)
    ok(await client.post(f"/api/v1/courses/{course['id']}/enrolment", headers=learner.headers))
    course = ok(await client.post(f"{ADMIN}/{course['id']}/archival", headers=author.headers))
    assert course["status"] == "archived"
    newcomer = await person(Role.CIVIL_SERVANT)
    catalogue = ok(await client.get("/api/v1/courses", headers=newcomer.headers))
    assert course["id"] not in [c["id"] for c in catalogue["items"]]
    response = await client.post(
        f"/api/v1/courses/{course['id']}/enrolment", headers=newcomer.headers
    )
    assert response.status_code == 409 and response.json()["code"] == "mooc_course_closed"
    # The enrolled learner still reads it, but records no progress.
    outline = ok(await client.get(f"/api/v1/courses/{course['id']}", headers=learner.headers))
    assert outline["status"] == "archived"
    lesson_id = uuid.UUID(outline["sections"][0]["lessons"][0]["id"])
    opened = ok(await client.get(f"/api/v1/lessons/{lesson_id}", headers=learner.headers))
    assert opened["course_closed"] is True
    with pytest.raises(CourseClosed):
        await learner_lesson(learner.id, lesson_id, writing=True)
    response = await client.patch(
        f"{ADMIN}/{course['id']}", json={"title": "x"}, headers=author.headers
    )
    assert response.json()["code"] == "mooc_course_archived"


async def test_only_course_admins_author(client: httpx.AsyncClient) -> None:
    author = await person(Role.COURSE_ADMIN)
    course = await reading_course(client, author)
    for role in ((), (Role.CIVIL_SERVANT,), (Role.COMMS_OFFICER,)):
        someone = await person(*role)
        for method, url in (
            ("GET", ADMIN),
            ("POST", ADMIN),
            ("GET", f"{ADMIN}/{course['id']}"),
            ("PATCH", f"{ADMIN}/{course['id']}"),
            ("POST", f"{ADMIN}/{course['id']}/publication"),
        ):
            response = await client.request(method, url, json={}, headers=someone.headers)
            assert response.status_code == 403, (role, method, url)


async def test_a_code_is_unique_and_prerequisites_must_exist(client: httpx.AsyncClient) -> None:
    author = await person(Role.COURSE_ADMIN)
    course = await create_course(client, author, code="TRUNG-MA")
    response = await client.post(
        ADMIN, json={"code": "TRUNG-MA", "title": "x"}, headers=author.headers
    )
    assert response.status_code == 409 and response.json()["code"] == "mooc_course_code_taken"
    response = await client.patch(
        f"{ADMIN}/{course['id']}",
        json={"prerequisites": [course["id"]]},
        headers=author.headers,
    )
    assert response.json()["code"] == "mooc_prerequisite_invalid"
    response = await client.post(ADMIN, json={"code": "x y", "title": ""}, headers=author.headers)
    assert response.status_code in (400, 422)


async def test_captions_are_webvtt_and_a_video_lesson_serves_them(
    client: httpx.AsyncClient, settings: Any, tmp_path: Path
) -> None:
    author = await person(Role.COURSE_ADMIN)
    response = await client.post(
        "/api/v1/admin/captions",
        json={"vtt": "1\n00:00.000 --> 00:01.000\nhi"},
        headers=author.headers,
    )
    assert response.status_code == 422 and response.json()["code"] == "mooc_captions_invalid"
    captions = ok(
        await client.post(
            "/api/v1/admin/captions",
            json={"vtt": "WEBVTT\n\n00:00.000 --> 00:01.500\nXin chào các bạn\n"},
            headers=author.headers,
        ),
        201,
    )
    video = await course_video(settings, tmp_path, author.id)
    course = await create_course(client, author)
    course = await add_section(client, author, course["id"])
    course = await add_lesson(
        client,
        author,
        course["id"],
        section_id=draft_sections(course)[0]["id"],
        kind="video",
        title="Có phụ đề",
        asset_id=str(video),
        captions_asset_id=captions["id"],
    )
    course = await publish(client, author, course["id"])
    learner = await person(Role.CIVIL_SERVANT)
    ok(await client.post(f"/api/v1/courses/{course['id']}/enrolment", headers=learner.headers))
    lesson = course["published"]["sections"][0]["lessons"][0]
    opened = ok(await client.get(f"/api/v1/lessons/{lesson['id']}", headers=learner.headers))
    vtt = await client.get(opened["video"]["captions_url"])
    assert vtt.status_code == 200
    assert vtt.headers["content-type"].startswith("text/vtt")
    assert "Xin chào các bạn" in vtt.text


async def test_two_authors_editing_a_published_course_at_once_make_one_draft(
    committed: None, settings: Any
) -> None:
    """Each edit takes the course's row lock: the second waits for the first's draft and
    edits it, instead of copying the published version a second time."""
    import asyncio

    from backend.access import Principal
    from backend.db import unit_of_work
    from mooc import courses
    from mooc.course_schemas import CourseUpdate
    from tests.mooc.factories import LessonSpec, make_course

    async with unit_of_work():
        made = await make_course(LessonSpec(kind="reading", duration_ms=None))
    actor = Principal(id=uuid.uuid4(), roles=frozenset({"course_admin"}))

    async def edit(title: str) -> None:
        async with unit_of_work():
            await courses.do_update_course(
                settings, actor, made.course_id, CourseUpdate(title=title)
            )
            await asyncio.sleep(0.2)  # hold the lock a while: the other edit must wait

    await asyncio.gather(edit("Sửa A"), edit("Sửa B"))
    async with unit_of_work():
        drafts = await sql.fetch(
            "SELECT number, title FROM mooc_course_versions"
            " WHERE course_id = $1 AND published_at IS NULL",
            made.course_id,
        )
        assert len(drafts) == 1 and drafts[0]["number"] == 2
        assert drafts[0]["title"] in ("Sửa A", "Sửa B")
        lessons = await sql.fetchval(
            "SELECT count(*) FROM mooc_lessons l JOIN mooc_course_versions v"
            " ON v.id = l.version_id WHERE v.course_id = $1",
            made.course_id,
        )
        assert lessons == 2  # version 1's lesson and its one copy
