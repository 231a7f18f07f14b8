"""The question bank through the API: a course admin adds, changes, moves and deletes questions
of each kind in a draft quiz; bad questions are refused with a stable code; a published
version's bank is read only (`mooc_version_frozen`); learners cannot author."""

from __future__ import annotations

from typing import Any

import httpx

from backend.access import Role
from mooc.quiz import settings_of
from mooc.quiz_schemas import QuizSettings
from tests.mooc.factories import LessonSpec, make_course
from tests.mooc.quiz_fixtures import quiz_course
from tests.support.auth import auth_headers

API = "/api/v1/admin"


async def draft_quiz() -> Any:
    return await quiz_course(status="draft")


async def test_an_admin_builds_a_bank_of_every_kind(client: httpx.AsyncClient) -> None:
    admin = await auth_headers(Role.COURSE_ADMIN)
    quiz = await quiz_course(status="draft")
    lesson = quiz.lesson_id
    url = f"{API}/lessons/{lesson}/questions"

    made = await client.post(
        url,
        headers=admin,
        json={
            "kind": "single",
            "prompt": "  Cơ quan nào cấp căn cước?  ",
            "options": [{"text": "Công an"}, {"text": "Ủy ban nhân dân"}, {"text": "Tòa án"}],
            "correct": ["a"],
            "explanation": "Cơ quan quản lý căn cước của Bộ Công an.",
            "points": 2,
        },
    )
    assert made.status_code == 201, made.text
    question = made.json()
    assert question["prompt"] == "Cơ quan nào cấp căn cước?"
    assert [o["id"] for o in question["options"]] == ["a", "b", "c"]  # ids given in order
    assert question["position"] == 5 and question["points"] == 2

    true_false = await client.post(
        url,
        headers=admin,
        json={"kind": "true_false", "prompt": "Đúng hay sai?", "correct": ["false"]},
    )
    assert true_false.status_code == 201, true_false.text
    assert true_false.json()["options"] == [
        {"id": "true", "text": "Đúng"},
        {"id": "false", "text": "Sai"},
    ]
    text = await client.post(
        url,
        headers=admin,
        json={"kind": "text", "prompt": "Tên ứng dụng?", "correct": ["VNeID", " vneid ", "V NeID"]},
    )
    assert text.status_code == 201, text.text
    assert text.json()["correct"] == ["VNeID", "V NeID"]  # the same answer once

    bank = await client.get(url, headers=admin)
    assert bank.status_code == 200
    assert bank.json()["frozen"] is False
    assert len(bank.json()["questions"]) == 7
    assert bank.json()["settings"]["pass_percent"] == 80

    # Options keep their ids through an edit; a new option gets the first free letter.
    changed = await client.patch(
        f"{API}/questions/{question['id']}",
        headers=admin,
        json={
            "options": [
                {"id": "c", "text": "Tòa án nhân dân"},
                {"id": "a", "text": "Công an"},
                {"text": "Bộ Tư pháp"},
            ],
            "correct": ["a"],
            "position": 1,
        },
    )
    assert changed.status_code == 200, changed.text
    assert [o["id"] for o in changed.json()["options"]] == ["c", "a", "b"]
    assert changed.json()["position"] == 1
    order = [q["id"] for q in (await client.get(url, headers=admin)).json()["questions"]]
    assert order[0] == question["id"] and len(order) == 7

    # A kind changed without the answers it needs is refused.
    to_true_false = await client.patch(
        f"{API}/questions/{question['id']}", headers=admin, json={"kind": "true_false"}
    )
    assert to_true_false.status_code == 422
    assert to_true_false.json()["code"] == "mooc_question_correct_invalid"

    deleted = await client.delete(f"{API}/questions/{question['id']}", headers=admin)
    assert deleted.status_code == 204
    assert len((await client.get(url, headers=admin)).json()["questions"]) == 6
    gone = await client.delete(f"{API}/questions/{question['id']}", headers=admin)
    assert gone.status_code == 404 and gone.json()["code"] == "mooc_question_not_found"


async def test_bad_questions_are_refused_with_a_code_each(client: httpx.AsyncClient) -> None:
    admin = await auth_headers(Role.COURSE_ADMIN)
    quiz = await quiz_course(status="draft")
    url = f"{API}/lessons/{quiz.lesson_id}/questions"
    two = [{"text": "Một"}, {"text": "Hai"}]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"kind": "single", "options": two, "correct": ["a", "b"]}, "mooc_question_correct_invalid"),
        ({"kind": "single", "options": two, "correct": []}, "mooc_question_correct_invalid"),
        ({"kind": "single", "options": two, "correct": ["z"]}, "mooc_question_correct_invalid"),
        ({"kind": "multiple", "options": two, "correct": []}, "mooc_question_correct_invalid"),
        ({"kind": "single", "options": two[:1], "correct": ["a"]}, "mooc_question_options_invalid"),
        (
            {"kind": "single", "options": [{"id": "a", "text": "X"}, {"id": "a", "text": "Y"}],
             "correct": ["a"]},
            "mooc_question_options_invalid",
        ),
        ({"kind": "single", "options": [{"text": " "}, *two], "correct": ["b"]}, "mooc_question_options_invalid"),
        ({"kind": "text", "options": two, "correct": ["x"]}, "mooc_question_options_invalid"),
        ({"kind": "text", "correct": []}, "mooc_question_correct_invalid"),
        ({"kind": "text", "correct": ["  "]}, "mooc_question_correct_invalid"),
        ({"kind": "true_false", "correct": ["yes"]}, "mooc_question_correct_invalid"),
        ({"kind": "single", "options": [{"text": str(n)} for n in range(9)], "correct": ["a"]},
         "validation_failed"),
        ({"kind": "essay", "correct": []}, "validation_failed"),
        ({"kind": "text", "correct": ["x"], "points": 0}, "validation_failed"),
    ]  # fmt: skip
    for body, code in cases:
        answer = await client.post(url, headers=admin, json={"prompt": "Câu hỏi?", **body})
        assert answer.status_code == 422, body
        assert answer.json()["code"] == code, (body, answer.json())
    assert (await client.get(url, headers=admin)).json()["questions"].__len__() == 4


async def test_a_published_bank_is_frozen_and_learners_cannot_author(
    client: httpx.AsyncClient,
) -> None:
    admin = await auth_headers(Role.COURSE_ADMIN)
    quiz = await quiz_course()
    url = f"{API}/lessons/{quiz.lesson_id}/questions"
    bank = await client.get(url, headers=admin)
    assert bank.status_code == 200 and bank.json()["frozen"] is True
    question_id = bank.json()["questions"][0]["id"]
    body = {"kind": "text", "prompt": "Mới?", "correct": ["x"]}
    for response in (
        await client.post(url, headers=admin, json=body),
        await client.patch(f"{API}/questions/{question_id}", headers=admin, json={"points": 5}),
        await client.delete(f"{API}/questions/{question_id}", headers=admin),
    ):
        assert response.status_code == 409
        problem = response.json()
        assert problem["code"] == "mooc_version_frozen"
        assert problem["course_id"] == str(quiz.course.course_id)
        assert "bản nháp" in problem["detail"]

    learner = await auth_headers(Role.CIVIL_SERVANT)
    assert (await client.get(url, headers=learner)).status_code == 403
    assert (await client.post(url, headers=learner, json=body)).status_code == 403

    video = await make_course(LessonSpec(), status="draft")
    not_quiz = await client.get(f"{API}/lessons/{video.lesson_ids[0]}/questions", headers=admin)
    assert not_quiz.status_code == 409 and not_quiz.json()["code"] == "mooc_lesson_not_quiz"


def test_quiz_settings_missing_or_unreadable_take_the_courses_defaults() -> None:
    assert settings_of({}) == QuizSettings(
        draw=10, time_limit_seconds=0, max_attempts=3, pass_percent=70, show_answers="after_submit"
    )
    odd = settings_of({"draw": "mười", "max_attempts": 2, "show_answers": "sometimes"})
    assert (odd.draw, odd.max_attempts, odd.show_answers) == (10, 2, "after_submit")
