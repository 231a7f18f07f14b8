"""Helpers of the courses part's tests: authors and learners with real tokens, a course built
through the authoring API, a real transcoded course video, questions written straight into a
quiz's bank (the quiz part owns their API)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx

from backend.access import Role
from content import service as media
from content.policy import Purpose
from content.tasks import run_processing
from mooc import sql
from tests.content.conftest import chunks_of, make_video
from tests.support.auth import bearer_for, create_person

ADMIN = "/api/v1/admin/courses"


class Person:
    def __init__(self, person_id: uuid.UUID, headers: dict[str, str]) -> None:
        self.id = person_id
        self.headers = headers


async def person(*roles: Role, agency: str = "TEST-AGENCY") -> Person:
    person_id = await create_person(*roles, agency=agency)
    return Person(person_id, await bearer_for(person_id))


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def create_course(client: httpx.AsyncClient, author: Person, **fields: Any) -> dict[str, Any]:
    body = {"code": f"C-{uuid.uuid4().hex[:8]}", "title": "Kỹ năng số cho cán bộ", **fields}
    return ok(await client.post(ADMIN, json=body, headers=author.headers), 201)  # type: ignore[no-any-return]


async def add_section(
    client: httpx.AsyncClient, author: Person, course_id: str, title: str = "Phần 1"
) -> dict[str, Any]:
    course = ok(
        await client.post(
            f"{ADMIN}/{course_id}/sections", json={"title": title}, headers=author.headers
        ),
        201,
    )
    return course  # type: ignore[no-any-return]


async def add_lesson(
    client: httpx.AsyncClient, author: Person, course_id: str, **lesson: Any
) -> dict[str, Any]:
    course = ok(
        await client.post(f"{ADMIN}/{course_id}/lessons", json=lesson, headers=author.headers),
        201,
    )
    return course  # type: ignore[no-any-return]


def draft_sections(course: dict[str, Any]) -> list[dict[str, Any]]:
    return course["draft"]["sections"]  # type: ignore[no-any-return]


def draft_lessons(course: dict[str, Any]) -> list[dict[str, Any]]:
    return [lesson for s in draft_sections(course) for lesson in s["lessons"]]


async def publish(client: httpx.AsyncClient, author: Person, course_id: str) -> dict[str, Any]:
    return ok(  # type: ignore[no-any-return]
        await client.post(f"{ADMIN}/{course_id}/publication", headers=author.headers)
    )


async def reading_course(
    client: httpx.AsyncClient, author: Person, *, published: bool = True, **fields: Any
) -> dict[str, Any]:
    """A course with one section holding one required reading lesson."""
    course = await create_course(client, author, **fields)
    course = await add_section(client, author, course["id"])
    section = draft_sections(course)[0]["id"]
    course = await add_lesson(
        client,
        author,
        course["id"],
        section_id=section,
        kind="reading",
        title="Đọc: an toàn thông tin",
        body="<p>Không chia sẻ mật khẩu.</p>",
    )
    if published:
        course = await publish(client, author, course["id"])
    return course


async def course_video(settings: Any, tmp_path: Path, uploader: uuid.UUID) -> uuid.UUID:
    """A real short course video, transcoded by content's pipeline (status ready)."""
    path = make_video(tmp_path / f"lesson-{uuid.uuid4().hex[:6]}.mp4", size="640x360")
    received = await media.receive_upload(
        settings,
        purpose=Purpose.COURSE_VIDEO,
        chunks=chunks_of(path.read_bytes()),
        filename=path.name,
    )
    row = await media.do_create_asset(received, created_by=uploader)
    assert await run_processing(row.id) == "ready"
    return row.id


async def uploaded_video(settings: Any, tmp_path: Path, uploader: uuid.UUID) -> uuid.UUID:
    """A course video uploaded but not processed yet."""
    path = make_video(tmp_path / f"raw-{uuid.uuid4().hex[:6]}.mp4", size="320x240", seconds=1)
    received = await media.receive_upload(
        settings,
        purpose=Purpose.COURSE_VIDEO,
        chunks=chunks_of(path.read_bytes()),
        filename=path.name,
    )
    row = await media.do_create_asset(received, created_by=uploader)
    return row.id


async def add_questions(lesson_id: str, count: int) -> None:
    for position in range(1, count + 1):
        await sql.execute(
            "INSERT INTO mooc_questions (id, lesson_id, position, kind, prompt, options, correct)"
            " VALUES ($1, $2, $3, 'true_false', $4, $5::jsonb, $6::jsonb)",
            uuid.uuid4(),
            uuid.UUID(lesson_id),
            position,
            f"Câu hỏi {position}",
            json.dumps([{"id": "true", "text": "Đúng"}, {"id": "false", "text": "Sai"}]),
            json.dumps(["true"]),
        )
