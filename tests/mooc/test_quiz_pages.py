"""The quiz pages of the console (in process, the learner's and the admin's own tokens): a
learner's quiz page with the pass mark and attempts, the take page with every drawn question
and its timer's data but never an answer, the form's submission graded (also past the
deadline, which the result says), the result's review as configured; another learner's
attempt is the same 404 as the API's; the question bank editor for course admins, read only
for a published version, and its forms."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlencode

import httpx

from backend.access import Role
from mooc import sql
from tests.mooc.quiz_fixtures import learner, quiz_course, right_answer, wrong_answer
from tests.support.auth import auth_headers

PAGES = "/console"
HX = {"HX-Request": "true"}


async def post_form(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    data: list[tuple[str, str]] | dict[str, str] | None = None,
) -> httpx.Response:
    """A form as console.js sends it (pairs: a field may repeat)."""
    pairs = list(data.items()) if isinstance(data, dict) else (data or [])
    return await client.post(
        url,
        content=urlencode(pairs),
        headers=headers | HX | {"Content-Type": "application/x-www-form-urlencoded"},
    )


async def test_a_learner_takes_a_quiz_in_the_pages(client: httpx.AsyncClient) -> None:
    made = await quiz_course(time_limit_seconds=900, max_attempts=3)
    _, _, headers = await learner(made)
    page = await client.get(f"{PAGES}/learn/quizzes/{made.lesson_id}", headers=headers)
    assert page.status_code == 200, page.text
    assert "Bài kiểm tra cuối khoá" in page.text
    assert "15 phút" in page.text and "80%" in page.text and "0 / 3" in page.text
    assert "Bắt đầu làm bài" in page.text

    started = await post_form(client, f"{PAGES}/learn/quizzes/{made.lesson_id}/attempts", headers)
    assert started.status_code == 204, started.text
    location = started.headers["HX-Redirect"]
    attempt_id = location.rsplit("/", 1)[1]
    take = await client.get(location, headers=headers)
    assert take.status_code == 200
    assert 'id="quiz-form"' in take.text and "data-deadline=" in take.text
    assert 'role="timer"' in take.text and "/console/static/mooc-quiz.js" in take.text
    for question_id, data in made.questions.items():
        assert f'id="question-{question_id}"' in take.text
        assert data.explanation not in take.text  # nothing of the answers
    # Wrong answers for two questions, right for the others, sent as the form does.
    form: list[tuple[str, str]] = []
    for n, (question_id, data) in enumerate(made.questions.items()):
        value = wrong_answer(data) if n < 2 else right_answer(data)
        if isinstance(value, bool):
            value = "true" if value else "false"
        for item in value if isinstance(value, list) else [value]:
            form.append((f"q-{question_id}", item))
    sent = await post_form(
        client, f"{PAGES}/learn/quiz-attempts/{attempt_id}/submission", headers, form
    )
    assert sent.status_code == 204, sent.text
    result = await client.get(sent.headers["HX-Redirect"], headers=headers)
    assert result.status_code == 200
    assert "Bạn chưa đạt" in result.text and "2 / 4 (50%)" in result.text
    assert result.text.count("quiz-reviewed wrong") == 2
    assert "Đáp án đúng" in result.text and "Vé máy bay không phải giấy tờ tuỳ thân." in result.text
    assert "Làm lại" in result.text

    summary = await client.get(f"{PAGES}/learn/quizzes/{made.lesson_id}", headers=headers)
    assert "1 / 3" in summary.text and "Làm lại bài kiểm tra" in summary.text
    assert f"/console/learn/quiz-attempts/{attempt_id}" in summary.text

    other = await learner(made)
    hidden = await client.get(f"{PAGES}/learn/quiz-attempts/{attempt_id}", headers=other[2])
    assert hidden.status_code == 404


async def test_a_page_submitted_after_the_deadline_says_the_time_was_over(
    client: httpx.AsyncClient,
) -> None:
    made = await quiz_course(time_limit_seconds=60, show_answers="never")
    _, _, headers = await learner(made)
    started = await post_form(client, f"{PAGES}/learn/quizzes/{made.lesson_id}/attempts", headers)
    attempt_id = started.headers["HX-Redirect"].rsplit("/", 1)[1]
    question_id, data = next(iter(made.questions.items()))
    saved = await client.put(
        f"/api/v1/attempts/{attempt_id}/answers/{question_id}",
        headers=headers,
        json={"value": right_answer(data)},
    )
    assert saved.status_code == 200
    await sql.execute(
        "UPDATE mooc_quiz_attempts SET deadline_at = now() - interval '10 seconds' WHERE id = $1",
        uuid.UUID(attempt_id),
    )
    late = await post_form(
        client,
        f"{PAGES}/learn/quiz-attempts/{attempt_id}/submission",
        headers,
        {f"q-{q}": "a" for q in made.questions},
    )
    assert late.status_code == 204
    result = await client.get(late.headers["HX-Redirect"], headers=headers)
    assert "Đã hết giờ làm bài" in result.text
    assert "1 / 4 (25%)" in result.text  # only what was saved in time
    assert "không được hiển thị" in result.text and "Đáp án đúng:" not in result.text


async def test_the_question_bank_pages(client: httpx.AsyncClient) -> None:
    admin = await auth_headers(Role.COURSE_ADMIN)
    published = await quiz_course()
    page = await client.get(
        f"{PAGES}/courses/lessons/{published.lesson_id}/questions", headers=admin
    )
    assert page.status_code == 200, page.text
    assert 'id="frozen-note"' in page.text and "Thêm câu hỏi" not in page.text
    assert (
        "Thủ phủ của tỉnh Thái Nguyên là?" in page.text and "✓ Thành phố Thái Nguyên" in page.text
    )

    draft = await quiz_course(status="draft")
    url = f"{PAGES}/courses/lessons/{draft.lesson_id}/questions"
    page = await client.get(url, headers=admin)
    assert 'id="frozen-note"' not in page.text and "Thêm câu hỏi" in page.text
    added = await post_form(
        client,
        url,
        admin,
        [
            ("kind", "multiple"),
            ("prompt", "Chọn các xã của huyện Định Hóa"),
            ("option_text_1", "Trung Hội"),
            ("option_text_2", "Phú Đình"),
            ("option_text_3", "Phổ Yên"),
            ("option_correct", "1"),
            ("option_correct", "2"),
            ("accepted", "bị bỏ qua"),
            ("points", "2"),
        ],
    )
    assert added.status_code == 204, added.text
    question_id = re.search(r"\?saved=([0-9a-f-]{36})", added.headers["HX-Redirect"]).group(1)  # type: ignore[union-attr]  # asserted by the test
    bank = (
        await client.get(f"/api/v1/admin/lessons/{draft.lesson_id}/questions", headers=admin)
    ).json()
    made = next(q for q in bank["questions"] if q["id"] == question_id)
    assert made["correct"] == ["a", "b"] and made["points"] == 2 and made["position"] == 5

    changed = await post_form(
        client,
        f"{url}/{question_id}",
        admin,
        {
            "kind": "text",
            "prompt": "Tên xã?",
            "accepted": "Trung Hội\nTrung Hoi xã",
            "position": "1",
        },
    )
    assert changed.status_code == 204, changed.text
    bank = (
        await client.get(f"/api/v1/admin/lessons/{draft.lesson_id}/questions", headers=admin)
    ).json()
    assert bank["questions"][0]["id"] == question_id
    assert bank["questions"][0]["correct"] == ["Trung Hội", "Trung Hoi xã"]

    refused = await post_form(
        client,
        url,
        admin,
        {
            "kind": "single",
            "prompt": "Thiếu đáp án",
            "option_text_1": "A",
            "option_text_2": "B",
        },
    )
    assert refused.status_code == 422
    assert "đúng một đáp án đúng" in refused.text  # shown in the page's status region

    deleted = await post_form(client, f"{url}/{question_id}/deletion", admin)
    assert deleted.status_code == 204
    assert question_id not in (await client.get(url, headers=admin)).text

    learner_headers = (await learner(draft))[2]
    assert (await client.get(url, headers=learner_headers)).status_code == 403
