"""Grading of each kind of question (pure): all or nothing for choices, accepted answers for
short text (case and spaces ignored, diacritics kept), the attempt's score, percentage and
pass mark; answers that do not fit their question are refused before they are saved."""

from __future__ import annotations

import unicodedata
import uuid
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mooc.grading import (
    BankQuestion,
    Option,
    check_answer,
    grade,
    is_correct,
    normalize_text,
)
from mooc.quiz_errors import AnswerInvalid


def question(
    kind: str, correct: tuple[str, ...], options: str = "abcd", points: int = 1
) -> BankQuestion:
    opts: tuple[Option, ...]
    if kind == "true_false":
        opts = (Option("true", "Đúng"), Option("false", "Sai"))
    elif kind == "text":
        opts = ()
    else:
        opts = tuple(Option(o, f"Phương án {o}") for o in options)
    return BankQuestion(uuid.uuid4(), kind, "Câu hỏi?", opts, correct, "Vì thế.", points, 1)


SINGLE = question("single", ("b",))
MULTIPLE = question("multiple", ("a", "c"))
TRUE_FALSE = question("true_false", ("false",))
TEXT = question("text", ("Thái Nguyên", "TN"))


def test_single_choice_is_right_only_with_the_correct_option() -> None:
    assert is_correct(SINGLE, "b")
    assert not is_correct(SINGLE, "a")
    assert not is_correct(SINGLE, None)
    assert not is_correct(SINGLE, ["b"])  # malformed: wrong, never an error


def test_multiple_choice_is_all_or_nothing() -> None:
    assert is_correct(MULTIPLE, ["a", "c"])
    assert is_correct(MULTIPLE, ["c", "a"])
    assert not is_correct(MULTIPLE, ["a"])  # one of two correct: nothing
    assert not is_correct(MULTIPLE, ["a", "c", "d"])  # one too many: nothing
    assert not is_correct(MULTIPLE, ["a", "b", "c", "d"])  # ticking every box: nothing
    assert not is_correct(MULTIPLE, [])


def test_true_false() -> None:
    assert is_correct(TRUE_FALSE, False)
    assert not is_correct(TRUE_FALSE, True)
    assert not is_correct(TRUE_FALSE, None)


def test_short_text_ignores_case_and_spaces_but_keeps_diacritics() -> None:
    assert is_correct(TEXT, "Thái Nguyên")
    assert is_correct(TEXT, "  thái   NGUYÊN ")
    assert is_correct(TEXT, "tn")
    assert not is_correct(TEXT, "Thai Nguyen")  # without diacritics: another word
    assert not is_correct(TEXT, "Thái Nguyên city")
    # A keyboard sending decomposed characters (e + combining marks) is the same text.
    assert is_correct(TEXT, unicodedata.normalize("NFD", "Thái Nguyên"))
    assert normalize_text("ĐÀ  Lạt ") == "đà lạt"


def test_an_attempt_is_scored_with_points_and_passes_on_the_exact_mark() -> None:
    heavy = question("single", ("a",), points=3)
    questions = [SINGLE, MULTIPLE, TRUE_FALSE, heavy]
    answers = {
        str(SINGLE.id): "b",
        str(MULTIPLE.id): ["a"],
        str(TRUE_FALSE.id): False,
        str(heavy.id): "a",
    }
    result = grade(questions, answers, pass_percent=80)
    assert (result.score, result.max_score) == (5, 6)
    assert result.percent == Decimal("83.33")
    assert result.passed
    assert result.results[str(MULTIPLE.id)].correct is False
    assert result.results[str(MULTIPLE.id)].points == 0
    assert result.results[str(heavy.id)].points == 3
    # 5/6 is 83.33…%: not enough for 84, exactly enough for 83.33… is compared exactly.
    assert not grade(questions, answers, pass_percent=84).passed
    four_of_five = [SINGLE, MULTIPLE, TRUE_FALSE, TEXT, question("single", ("a",))]
    answered = {
        str(q.id): a for q, a in zip(four_of_five, ["b", ["a", "c"], False, "TN", "b"], strict=True)
    }
    exact = grade(four_of_five, answered, pass_percent=80)
    assert exact.percent == Decimal("80.00") and exact.passed


def test_unanswered_questions_earn_nothing() -> None:
    result = grade([SINGLE, TEXT], {}, pass_percent=50)
    assert result.score == 0 and not result.passed
    assert not result.results[str(TEXT.id)].answered


def test_answers_are_checked_against_the_kind_of_question() -> None:
    assert check_answer(SINGLE, "a") == "a"
    assert check_answer(MULTIPLE, ["c", "a"]) == ["a", "c"]
    assert check_answer(TRUE_FALSE, "false") is False
    assert check_answer(TRUE_FALSE, True) is True
    assert check_answer(TEXT, "bất kỳ") == "bất kỳ"
    assert check_answer(SINGLE, None) is None
    for bad_question, bad in [
        (SINGLE, "z"),
        (SINGLE, ["a"]),
        (MULTIPLE, "a"),
        (MULTIPLE, ["a", "a"]),
        (MULTIPLE, ["z"]),
        (TRUE_FALSE, "có"),
        (TEXT, ["a"]),
        (TEXT, "x" * 501),
    ]:
        with pytest.raises(AnswerInvalid):
            check_answer(bad_question, bad)


@given(
    picks=st.lists(st.sets(st.sampled_from("abcd")), min_size=4, max_size=4),
    pass_percent=st.integers(min_value=0, max_value=100),
)
def test_a_grade_is_bounded_and_deterministic(picks: list[set[str]], pass_percent: int) -> None:
    questions = [question("multiple", ("a", "b"), points=p) for p in (1, 2, 3, 4)]
    answers = {str(q.id): sorted(p) for q, p in zip(questions, picks, strict=True)}
    first = grade(questions, answers, pass_percent)
    assert 0 <= first.score <= first.max_score == 10
    assert first == grade(questions, answers, pass_percent)
    assert first.score == sum(
        q.points for q, p in zip(questions, picks, strict=True) if p == {"a", "b"}
    )
    assert first.passed == (first.score * 100 >= pass_percent * 10)
