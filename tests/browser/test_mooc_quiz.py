"""Quizzes in a real browser: the demo civil servant opens a timed quiz, starts it, watches the
countdown run, answers every kind of question (each answer saved by the page as it is given),
submits, passes and reads the review with the correct answers; a second attempt left to run
out is submitted by the page itself when its timer reaches zero. The demo course admin edits
a draft quiz's question bank (the form shows the fields of the kind chosen). axe on every page."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any

from playwright.async_api import Page, expect

from backend.db import unit_of_work
from mooc import sql
from tests.browser.conftest import CIVIL_SERVANT, COURSE_ADMIN, Browsing, check_a11y, wait_for
from tests.mooc.factories import enrol
from tests.mooc.quiz_fixtures import multiple, quiz_course, single, text, true_false

ATTEMPT_PAGE = re.compile(r"/console/learn/quiz-attempts/(?P<id>[0-9a-f-]{36})$")


async def query(statement: str, *args: Any) -> Any:
    async with unit_of_work():
        return await sql.fetchrow(statement, *args)


async def answer(page: Page, prompt: str, *labels: str, fill: str | None = None) -> None:
    """Answer the question whose legend holds `prompt`, and wait until the page saved it."""
    question = page.locator("fieldset.quiz-question").filter(has_text=prompt)
    if fill is not None:
        await question.get_by_label("Câu trả lời của bạn").fill(fill)
    for label in labels:
        await question.get_by_label(label, exact=True).check()
    await expect(question.locator(".quiz-state")).to_have_text("Đã lưu", timeout=10_000)


async def test_a_learner_takes_a_timed_quiz_passes_and_the_timer_submits_the_next(
    browsing: Browsing,
) -> None:
    async with unit_of_work():
        made = await quiz_course(
            single(), multiple(), true_false(), text(), time_limit_seconds=300, pass_percent=75
        )
        person = await sql.fetchval("SELECT id FROM persons WHERE personal_id = $1", CIVIL_SERVANT)
        await enrol(person, made.course)

    page = await browsing.signed_in(CIVIL_SERVANT, to=f"/console/learn/quizzes/{made.lesson_id}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Bài kiểm tra cuối khoá")
    await expect(page.locator('[data-fact="time"]')).to_have_text("5 phút")
    await expect(page.locator('[data-fact="pass"]')).to_have_text("75%")
    await check_a11y(page, "the quiz's page")
    await page.get_by_role("button", name="Bắt đầu làm bài").click()
    await page.wait_for_url(ATTEMPT_PAGE)
    found = ATTEMPT_PAGE.search(page.url)
    assert found is not None
    attempt_id = uuid.UUID(found.group("id"))

    # The countdown starts at five minutes and runs.
    remaining = page.locator("#quiz-remaining")
    await expect(remaining).to_have_text(re.compile(r"^0[45]:\d\d$"))
    first = await remaining.inner_text()
    await expect(remaining).not_to_have_text(first, timeout=3_000)
    await check_a11y(page, "taking the quiz")

    await answer(page, "Thủ phủ của tỉnh Thái Nguyên", "Thành phố Thái Nguyên")
    await answer(page, "giấy tờ nào", "Giấy phép lái xe", "Thẻ bảo hiểm y tế")
    await answer(page, "Đề án 06", "Đúng")
    await answer(page, "định danh điện tử quốc gia", fill="  vneid ")
    saved = await query("SELECT answers FROM mooc_quiz_attempts WHERE id = $1", attempt_id)
    answers = saved["answers"]
    assert len(json.loads(answers) if isinstance(answers, str) else answers) == 4  # as given

    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.get_by_role("button", name="Nộp bài").click()
    await expect(
        page.get_by_role("heading", level=2, name="Chúc mừng, bạn đã đạt!")
    ).to_be_visible()
    await expect(page.locator("#quiz-score")).to_contain_text("4 / 4 (100%)")
    review = page.locator(".quiz-reviewed")
    await expect(review).to_have_count(4)
    await expect(review.filter(has_text="giấy tờ nào")).to_contain_text(
        # In the order the attempt showed the options.
        re.compile(
            "Đáp án đúng: (Giấy phép lái xe; Thẻ bảo hiểm y tế|Thẻ bảo hiểm y tế; Giấy phép lái xe)"
        )
    )
    await expect(review.filter(has_text="định danh điện tử quốc gia")).to_contain_text(
        "VNeID do Bộ Công an phát triển."
    )
    await check_a11y(page, "the result and its review")

    # A passed quiz may be tried again; this attempt is left to run out: the page submits it.
    await page.get_by_role("link", name="« Về bài kiểm tra").click()
    await expect(page.locator('[data-fact="passed"]')).to_contain_text("Đã đạt")
    await page.get_by_role("button", name="Làm lại bài kiểm tra").click()
    await page.wait_for_url(ATTEMPT_PAGE)
    second = ATTEMPT_PAGE.search(page.url)
    assert second is not None and second.group("id") != str(attempt_id)
    await answer(page, "Thủ phủ của tỉnh Thái Nguyên", "Sông Công")
    async with unit_of_work():
        await sql.execute(
            "UPDATE mooc_quiz_attempts SET deadline_at = now() + interval '3 seconds'"
            " WHERE id = $1",
            uuid.UUID(second.group("id")),
        )
    await page.reload()
    await expect(page.get_by_role("heading", level=2, name="Bạn chưa đạt")).to_be_visible(
        timeout=15_000
    )
    await expect(page.locator("#quiz-score")).to_contain_text("0 / 4 (0%)")

    async def graded() -> bool:
        row = await query(
            "SELECT status FROM mooc_quiz_attempts WHERE id = $1", uuid.UUID(second.group("id"))
        )
        return bool(row["status"] != "open")

    await wait_for(graded, "the attempt submitted by the timer")
    summary = await query(
        "SELECT best_score, status FROM mooc_enrolments WHERE person_id = $1", person
    )
    assert summary["status"] == "completed" and summary["best_score"] == 100


async def test_a_course_admin_edits_a_draft_question_bank(browsing: Browsing) -> None:
    async with unit_of_work():
        draft = await quiz_course(status="draft")
    page = await browsing.signed_in(
        COURSE_ADMIN, to=f"/console/courses/lessons/{draft.lesson_id}/questions"
    )
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Ngân hàng câu hỏi")
    await expect(page.locator("ol.quiz-bank > li")).to_have_count(4)
    await check_a11y(page, "the question bank")

    form = page.locator("section").filter(has_text="Thêm câu hỏi").locator("form")
    await form.get_by_label("Loại câu hỏi").select_option("true_false")
    await expect(form.get_by_label("Phương án 1")).to_be_hidden()
    await form.locator("textarea[name=prompt]").fill("Công chức phải hoàn thành khoá học bắt buộc.")
    await form.get_by_label("Sai").check()
    await form.get_by_label("Giải thích (hiện khi xem lại, nếu được phép)").fill(
        "Bắt buộc là bắt buộc."
    )
    await form.get_by_role("button", name="Thêm câu hỏi").click()
    await expect(page.locator("ol.quiz-bank > li")).to_have_count(5)
    added = page.locator("ol.quiz-bank > li").last
    await expect(added).to_contain_text("Công chức phải hoàn thành khoá học bắt buộc.")
    await expect(added).to_contain_text("✓ Sai")
    await check_a11y(page, "the question bank after adding")
