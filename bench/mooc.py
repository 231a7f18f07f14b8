"""MOOC benchmark (issue 15): learners' steady mix at a constant arrival rate, then the quiz
deadline burst, against a real `ctn serve` on this machine, with the generator's own ceiling
measured in the same run.

    python -m bench.mooc [--learners 5000|50000] [--quick] [--seconds 60] [--online 0.2]
                         [--workers 2] [--burst-learners 5000] [--skip-steady] [--skip-burst]
                         [--json results.json]

Set-up: a scratch database `ctn_bench_mooc` (bench/upload.py's `database`: DATABASE_URL if
set, else 127.0.0.1:5432, else a private PostgreSQL; migrated, dropped at the end) is loaded by
`ctn seed --no-demo --mooc-learners N` (seed/mooc_load.py: 20 published courses of 10 lessons
with question banks, N synthetic civil servants in 3 courses each at every stage, COPY), timed.
Then `ctn serve --workers 2` (both cores, as production would run on this 2-core machine; the
generator and PostgreSQL share them: the figures include the generator's own CPU, so they are
pessimistic). Learners' access tokens are minted as the token endpoint would (a refresh family
each), 60-minute access tokens.

The generator (bench/mooc_client.py) is an open model: every request has a scheduled time,
leaves then whatever the earlier ones are doing, and its latency runs from the schedule (no
coordinated omission); the send lag (how late the generator itself sent) is reported too.

1. Ceiling: the same generator against `GET /health/live` at 1×, 2×, 4× and 8× the steady mix's
   rate (achieved rate, p50/p99, send lag, the generator's CPU); and wrk (closed-loop, 32
   connections) for the trivial endpoint's saturating rate, when wrk is installed.
2. Steady mix, from an explicit model (printed): `--online` of the learners are online at peak
   (default 20 %); of those 60 % watch a video (a heartbeat `PUT /api/v1/lessons/{id}/progress`
   every 30 s, each carrying the 30 s watched since the last, position moving on; another
   lesson when one ends), 15 % read (the same beat with open time), 10 % take a practice quiz
   (start, an answer saved every 20 s, submit after the 5 drawn), and every online learner
   browses: my courses every 5 min, the catalogue every 10 min, a course outline every 3 min,
   a lesson open every 5 min (Poisson arrivals). A warm-up (not counted) precedes the
   measured seconds.
3. Deadline burst: `--burst-learners` (default 5,000, at most N) learners each start the final
   quiz of a course they have not completed within 10 s (uniformly: the quiz-start spike),
   save every answer (spread over `--answer-seconds`), then all submit within 10 s
   (uniformly; `--wave-seconds`: longer waves find the rate the server holds). 70 % answer
   right: their course completes (a certificate each) when the quiz was the last lesson left.
   Afterwards the database is checked: one graded attempt per learner, nothing lost.

Printed per endpoint: requests, rate, p50/p95/p99 (ms, from the schedule), errors (statuses
other than the expected 2xx, transport errors, timeouts at 10 s). Targets, PASS/FAIL: the steady
mix at 50,000 learners p99 < 200 ms with zero errors; the 5,000-learner burst (start and
submit waves) zero errors and p99 < 1 s. The machine's load average and CPU use per phase are
printed: the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import upload as common
from bench.common import base_env, cpu_seconds, free_port, process_tree, run_wrk, wrk_script
from bench.mooc_client import (
    Client,
    Event,
    Recorder,
    Series,
    call,
    cpu_busy,
    percentile,
    run_timetable,
)

STEADY_P99_MS = 200
BURST_P99_MS = 1000
BEAT_SECONDS = 30
ANSWER_EVERY = 20
TOKEN_MINUTES = 60


@dataclass(frozen=True)
class Model:
    """The steady mix: shares of the online learners and per-learner rates (per second)."""

    online: float = 0.20
    watching: float = 0.60
    reading: float = 0.15
    quiz: float = 0.10
    my_courses: float = 1 / 300
    catalogue: float = 1 / 600
    outline: float = 1 / 180
    lesson_open: float = 1 / 300

    def rates(self, learners: int) -> dict[str, float]:
        online = learners * self.online
        practice = online * self.quiz
        # One practice round: start, 5 answers (one per 20 s), submit: 140 s.
        return {
            "PUT /lessons/{id}/progress (video)": online * self.watching / BEAT_SECONDS,
            "PUT /lessons/{id}/progress (reading)": online * self.reading / BEAT_SECONDS,
            "PUT /attempts/{id}/answers/{q}": practice / ANSWER_EVERY * 5 / 7,
            "POST /lessons/{id}/attempts": practice / (7 * ANSWER_EVERY),
            "POST /attempts/{id}/submission": practice / (7 * ANSWER_EVERY),
            "GET /me/courses": online * self.my_courses,
            "GET /courses": online * self.catalogue,
            "GET /courses/{id}": online * self.outline,
            "GET /lessons/{id}": online * self.lesson_open,
        }

    def describe(self, learners: int) -> str:
        online = int(learners * self.online)
        rates = self.rates(learners)
        lines = [
            f"model: {learners:,} learners, {self.online:.0%} online at peak = {online:,};"
            f" of them {self.watching:.0%} watching (a beat every {BEAT_SECONDS} s),"
            f" {self.reading:.0%} reading (same beat), {self.quiz:.0%} in a practice quiz (an"
            f" answer every {ANSWER_EVERY} s); each online learner opens my courses every"
            f" {1 / self.my_courses:.0f} s, the catalogue every {1 / self.catalogue:.0f} s,"
            f" an outline every {1 / self.outline:.0f} s, a lesson every"
            f" {1 / self.lesson_open:.0f} s",
        ]
        for label, rate in rates.items():
            lines.append(f"  {label:40} {rate:8.1f} req/s")
        lines.append(f"  {'total':40} {sum(rates.values()):8.1f} req/s")
        return "\n".join(lines)


# --- the learners' data ------------------------------------------------------------------


@dataclass
class Video:
    lesson_id: uuid.UUID
    duration_ms: int
    position_ms: int


@dataclass
class Learner:
    person_id: uuid.UUID
    courses: list[uuid.UUID] = field(default_factory=list)
    lessons: list[uuid.UUID] = field(default_factory=list)
    videos: list[Video] = field(default_factory=list)
    readings: list[uuid.UUID] = field(default_factory=list)
    practice: list[uuid.UUID] = field(default_factory=list)
    finals: list[uuid.UUID] = field(default_factory=list)
    """Final quizzes not passed, attempts left, of courses not completed (mandatory first)."""
    token: str = ""


LEARNER_QUERY = """
SELECT e.person_id, e.course_id, l.id AS lesson_id, l.kind, l.required, l.duration_ms,
       (l.quiz->>'max_attempts')::int AS max_attempts,
       coalesce(p.position_ms, 0) AS position_ms, p.completed_at IS NOT NULL AS done,
       coalesce(a.used, 0) AS used, coalesce(a.passed, false) AS passed
FROM mooc_enrolments e
JOIN mooc_lessons l ON l.version_id = e.version_id
LEFT JOIN mooc_lesson_progress p ON p.enrolment_id = e.id AND p.lesson_id = l.id
LEFT JOIN LATERAL (
    SELECT count(*) AS used, bool_or(q.passed) AS passed FROM mooc_quiz_attempts q
    WHERE q.enrolment_id = e.id AND q.lesson_id = l.id
) a ON l.kind = 'quiz'
WHERE e.person_id = ANY($1::uuid[]) AND e.status = 'active'
ORDER BY e.person_id, e.assignment_id IS NULL, e.course_id, l.position
"""


async def pick_learners(count: int, salt: str) -> list[uuid.UUID]:
    """`count` loaded learners, a pseudo-random sample (the same for the same salt)."""
    from backend.db import unit_of_work
    from mooc import sql
    from seed.mooc_load import catalogue

    async with unit_of_work():
        rows = await sql.fetch(
            "SELECT person_id FROM mooc_enrolments WHERE course_id = ANY($1::uuid[])"
            " GROUP BY person_id ORDER BY md5(person_id::text || $2) LIMIT $3",
            [c.id for c in catalogue()],
            salt,
            count,
        )
    return [row["person_id"] for row in rows]


async def learners_of(person_ids: list[uuid.UUID]) -> list[Learner]:
    from backend.db import unit_of_work
    from mooc import sql

    found: dict[uuid.UUID, Learner] = {p: Learner(p) for p in person_ids}
    async with unit_of_work():
        rows = await sql.fetch(LEARNER_QUERY, person_ids)
    for row in rows:
        learner = found[row["person_id"]]
        if row["course_id"] not in learner.courses:
            learner.courses.append(row["course_id"])
        learner.lessons.append(row["lesson_id"])
        if row["done"]:
            continue
        if row["kind"] == "video":
            learner.videos.append(Video(row["lesson_id"], row["duration_ms"], row["position_ms"]))
        elif row["kind"] == "reading":
            learner.readings.append(row["lesson_id"])
        elif row["passed"] or row["used"] >= (row["max_attempts"] or 10**6):
            continue
        elif row["required"]:
            learner.finals.append(row["lesson_id"])
        else:
            learner.practice.append(row["lesson_id"])
    return list(found.values())


async def mint_tokens(learners: list[Learner], public_url: str) -> float:
    """An access token per learner (a refresh family each, as the token endpoint makes them);
    seconds taken."""
    import msgspec

    from backend.db import unit_of_work
    from backend.identity import keys
    from backend.identity.service import do_issue_tokens
    from backend.settings import load_settings

    settings = msgspec.structs.replace(load_settings(), public_url=public_url)
    keys.forget_cached_keys()
    started = time.perf_counter()
    todo = [learner for learner in learners if not learner.token]
    for first in range(0, len(todo), 1000):
        async with unit_of_work():
            for learner in todo[first : first + 1000]:
                pair = await do_issue_tokens(settings, learner.person_id)
                learner.token = pair.access_token
    return time.perf_counter() - started


# --- phases ------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    recorder: Recorder
    seconds: float
    generator_cpu: float
    server_cpu: float
    machine_busy: float
    """Share of both CPUs busy during the phase (everything on the machine)."""
    load: str
    max_in_flight: int
    offered: float = 0.0
    notes: list[str] = field(default_factory=list)


class Target:
    def __init__(self, host: str, port: int, pid: int) -> None:
        self.host, self.port, self.pid = host, port, pid
        self.connections = 4000
        """At most this many connections at once (a proxy's upstream pool when small)."""

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


async def run_phase(
    name: str, target: Target, build: Callable[[Client, Recorder], list[Event]], *, drain: float
) -> Phase:
    client = Client(target.host, target.port, max_connections=target.connections)
    recorder = Recorder()
    events = build(client, recorder)
    tree = process_tree(target.pid)
    server_before = cpu_seconds(tree)
    busy_before, total_before = cpu_busy()
    load = os.getloadavg()
    stats = await run_timetable(events, drain=drain)
    busy_after, total_after = cpu_busy()
    client.close()
    return Phase(
        name=name,
        recorder=recorder,
        seconds=stats.seconds,
        generator_cpu=stats.generator_cpu,
        server_cpu=cpu_seconds(tree) - server_before,
        machine_busy=(busy_after - busy_before) / max(1.0, total_after - total_before),
        load=" ".join(f"{x:.2f}" for x in load),
        max_in_flight=stats.max_in_flight,
    )


def ceiling_events(rate: float, seconds: float) -> Callable[[Client, Recorder], list[Event]]:
    def build(client: Client, recorder: Recorder) -> list[Event]:
        async def live(due: float) -> None:
            await call(client, recorder, "GET /health/live", due, "GET", "/health/live")

        n = int(rate * seconds)
        return [(i / rate, live) for i in range(n)]

    return build


def warm_up_marker(recorder: Recorder, warmup: float) -> Event:
    async def mark(due: float) -> None:
        recorder.since = due

    recorder.since = float("inf")
    return (warmup, mark)


def steady_events(
    learners: list[Learner], model: Model, seconds: float, warmup: float, rng: random.Random
) -> Callable[[Client, Recorder], list[Event]]:
    """The steady mix's timetable over `warmup + seconds`."""
    total = warmup + seconds
    api = "/api/v1"

    def build(client: Client, recorder: Recorder) -> list[Event]:
        events: list[Event] = [warm_up_marker(recorder, warmup)]
        people = list(learners)
        rng.shuffle(people)
        n = len(people)
        watchers = people[: int(n * model.watching)]
        readers = people[len(watchers) : len(watchers) + int(n * model.reading)]
        takers = people[len(watchers) + len(readers) :][: int(n * model.quiz)]

        def beat_body(start: int, end: int, position: int) -> dict[str, Any]:
            return {
                "intervals": [[start, end]] if end > start else [],
                "position_ms": position,
                "client_at": datetime.now(UTC).isoformat(),
                "beat_id": uuid.uuid4().hex,
            }

        for learner in watchers:
            if not learner.videos:
                continue
            state = {"video": 0}

            async def watch(
                due: float, learner: Learner = learner, state: dict[str, int] = state
            ) -> None:
                video = learner.videos[state["video"] % len(learner.videos)]
                if video.position_ms >= video.duration_ms:
                    state["video"] += 1
                    video = learner.videos[state["video"] % len(learner.videos)]
                    if video.position_ms >= video.duration_ms:
                        video.position_ms = 0
                start = video.position_ms
                end = min(video.duration_ms, start + BEAT_SECONDS * 1000)
                video.position_ms = end
                await call(
                    client,
                    recorder,
                    "PUT /lessons/{id}/progress (video)",
                    due,
                    "PUT",
                    f"{api}/lessons/{video.lesson_id}/progress",
                    token=learner.token,
                    body=beat_body(start, end, end),
                )

            phase = rng.uniform(0, BEAT_SECONDS)
            events += [(t, watch) for t in _every(phase, BEAT_SECONDS, total)]

        for learner in readers:
            if not learner.readings:
                continue
            lesson = rng.choice(learner.readings)
            opened = {"ms": 0}

            async def read(
                due: float,
                learner: Learner = learner,
                lesson: uuid.UUID = lesson,
                opened: dict[str, int] = opened,
            ) -> None:
                start = opened["ms"]
                opened["ms"] += BEAT_SECONDS * 1000
                await call(
                    client,
                    recorder,
                    "PUT /lessons/{id}/progress (reading)",
                    due,
                    "PUT",
                    f"{api}/lessons/{lesson}/progress",
                    token=learner.token,
                    body=beat_body(start, opened["ms"], 0),
                )

            phase = rng.uniform(0, BEAT_SECONDS)
            events += [(t, read) for t in _every(phase, BEAT_SECONDS, total)]

        for learner in takers:
            if not learner.practice:
                continue
            lesson = rng.choice(learner.practice)
            t = rng.uniform(0, 7 * ANSWER_EVERY)
            while t < total:
                events += quiz_round(client, recorder, learner, lesson, t, right=0.6, rng=rng)
                t += 7 * ANSWER_EVERY

        reads: list[tuple[str, float, Callable[[Learner], str]]] = [
            ("GET /me/courses", model.my_courses, lambda _: f"{api}/me/courses"),
            ("GET /courses", model.catalogue, lambda _: f"{api}/courses"),
            (
                "GET /courses/{id}",
                model.outline,
                lambda learner: f"{api}/courses/{rng.choice(learner.courses)}",
            ),
            (
                "GET /lessons/{id}",
                model.lesson_open,
                lambda learner: f"{api}/lessons/{rng.choice(learner.lessons)}",
            ),
        ]
        for label, per_learner, path_of in reads:
            rate = per_learner * n
            t = rng.expovariate(rate)
            while t < total:
                learner = rng.choice(people)
                if learner.courses:
                    path = path_of(learner)

                    async def read_page(
                        due: float, label: str = label, path: str = path, token: str = learner.token
                    ) -> None:
                        await call(client, recorder, label, due, "GET", path, token=token)

                    events.append((t, read_page))
                t += rng.expovariate(rate)
        return events

    return build


def _every(first: float, period: float, until: float) -> list[float]:
    times, t = [], first
    while t < until:
        times.append(t)
        t += period
    return times


def quiz_round(
    client: Client,
    recorder: Recorder,
    learner: Learner,
    lesson: uuid.UUID,
    t: float,
    *,
    right: float,
    rng: random.Random,
) -> list[Event]:
    """Start an attempt at `t`, answer each drawn question (one every `ANSWER_EVERY` s), then
    submit. A step whose attempt did not start is recorded as an error ("no attempt")."""
    taker = Taker(learner, lesson, knows=rng.random() < right)
    started: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def start(due: float) -> None:
        try:
            await start_attempt(client, recorder, taker, due, "POST /lessons/{id}/attempts")
        finally:
            started.set_result(None)

    def answer_step(index: int) -> Callable[[float], Awaitable[None]]:
        async def save(due: float) -> None:
            await started
            await save_answer(client, recorder, taker, index, due, "PUT /attempts/{id}/answers/{q}")

        return save

    async def submit(due: float) -> None:
        await started
        await submit_attempt(client, recorder, taker, due, "POST /attempts/{id}/submission")

    times = [t + ANSWER_EVERY * (i + 1) for i in range(_draw(lesson))]
    events: list[Event] = [(t, start)]
    events += [(at, answer_step(i)) for i, at in enumerate(times)]
    events.append((times[-1] + ANSWER_EVERY, submit))
    return events


@dataclass
class Taker:
    """A learner taking a quiz: the attempt once started (its id and drawn questions)."""

    learner: Learner
    lesson: uuid.UUID
    knows: bool
    attempt: dict[str, Any] | None = None


async def start_attempt(
    client: Client, recorder: Recorder, taker: Taker, due: float, label: str
) -> None:
    answer = await call(
        client,
        recorder,
        label,
        due,
        "POST",
        f"/api/v1/lessons/{taker.lesson}/attempts",
        token=taker.learner.token,
        body={},
        expect=(200, 201),
    )
    if answer is not None and answer.status in (200, 201):
        with contextlib.suppress(ValueError, KeyError):
            taker.attempt = answer.json()


async def save_answer(
    client: Client, recorder: Recorder, taker: Taker, index: int, due: float, label: str
) -> None:
    from seed.mooc_load import answer_for, catalogue

    attempt = taker.attempt
    if attempt is None or index >= len(attempt.get("questions", [])):
        recorder.add(label, due, due, "no attempt", False, time.monotonic())
        return
    qid = attempt["questions"][index]["id"]
    await call(
        client,
        recorder,
        label,
        due,
        "PUT",
        f"/api/v1/attempts/{attempt['id']}/answers/{qid}",
        token=taker.learner.token,
        body={"value": answer_for(_bank(catalogue)[qid], right=taker.knows)},
        expect=(200, 204),
    )


async def submit_attempt(
    client: Client, recorder: Recorder, taker: Taker, due: float, label: str
) -> None:
    if taker.attempt is None:
        recorder.add(label, due, due, "no attempt", False, time.monotonic())
        return
    await call(
        client,
        recorder,
        label,
        due,
        "POST",
        f"/api/v1/attempts/{taker.attempt['id']}/submission",
        token=taker.learner.token,
        body={},
        expect=(200, 201),
    )


_BANK: dict[str, Any] = {}
_DRAW: dict[uuid.UUID, int] = {}


def _bank(catalogue: Callable[[], list[Any]]) -> dict[str, Any]:
    if not _BANK:
        for course in catalogue():
            for lesson in course.lessons:
                _DRAW[lesson.id] = int(lesson.quiz.get("draw", 0))
                for question in lesson.questions:
                    _BANK[str(question.id)] = question
    return _BANK


def _draw(lesson: uuid.UUID) -> int:
    from seed.mooc_load import catalogue

    _bank(catalogue)
    return _DRAW[lesson]


START_LABEL = "burst: POST /lessons/{id}/attempts (start wave)"
ANSWER_LABEL = "burst: PUT /attempts/{id}/answers/{q}"
SUBMIT_LABEL = "burst: POST /attempts/{id}/submission (submit wave)"


def start_wave(
    takers: list[Taker], wave: float, rng: random.Random
) -> Callable[[Client, Recorder], list[Event]]:
    """Every taker starts the quiz at a uniformly random time within `wave` s."""

    def build(client: Client, recorder: Recorder) -> list[Event]:
        def step(taker: Taker) -> Callable[[float], Awaitable[None]]:
            async def start(due: float) -> None:
                await start_attempt(client, recorder, taker, due, START_LABEL)

            return start

        return [(rng.uniform(0, wave), step(taker)) for taker in takers]

    return build


def answer_phase(
    takers: list[Taker], seconds: float, rng: random.Random
) -> Callable[[Client, Recorder], list[Event]]:
    """Every taker saves an answer to each drawn question, at random times over `seconds`."""

    def build(client: Client, recorder: Recorder) -> list[Event]:
        def step(taker: Taker, index: int) -> Callable[[float], Awaitable[None]]:
            async def save(due: float) -> None:
                await save_answer(client, recorder, taker, index, due, ANSWER_LABEL)

            return save

        return [
            (rng.uniform(0, seconds), step(taker, index))
            for taker in takers
            for index in range(_draw(taker.lesson))
        ]

    return build


def submit_wave(
    takers: list[Taker], wave: float, rng: random.Random
) -> Callable[[Client, Recorder], list[Event]]:
    """Every taker submits at a uniformly random time within `wave` s."""

    def build(client: Client, recorder: Recorder) -> list[Event]:
        def step(taker: Taker) -> Callable[[float], Awaitable[None]]:
            async def submit(due: float) -> None:
                await submit_attempt(client, recorder, taker, due, SUBMIT_LABEL)

            return submit

        return [(rng.uniform(0, wave), step(taker)) for taker in takers]

    return build


async def check_burst(takers: list[Taker], since: datetime) -> list[str]:
    """What the database says the burst left: graded attempts, certificates."""
    from backend.db import unit_of_work
    from mooc import sql

    async with unit_of_work():
        row = await sql.fetchrow(
            "SELECT count(*) FILTER (WHERE a.submitted_at >= $3) AS graded,"
            " count(*) FILTER (WHERE a.status = 'open') AS open,"
            " count(*) FILTER (WHERE a.submitted_at >= $3 AND a.passed) AS passed,"
            " count(DISTINCT a.person_id) FILTER (WHERE a.submitted_at >= $3) AS people"
            " FROM mooc_quiz_attempts a"
            " JOIN unnest($1::uuid[], $2::uuid[]) AS b(person_id, lesson_id)"
            "   ON b.person_id = a.person_id AND b.lesson_id = a.lesson_id",
            [taker.learner.person_id for taker in takers],
            [taker.lesson for taker in takers],
            since,
        )
        certificates = await sql.fetchval(
            "SELECT count(*) FROM mooc_certificates WHERE issued_at >= $1", since
        )
    return [
        f"database after the burst: {row['people']:,} of {len(takers):,} learners have an"
        f" attempt graded in it ({row['graded']:,} graded, {row['passed']:,} passed),"
        f" {row['open']:,} attempts still open; {certificates:,} certificates issued",
    ]


# --- the server --------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def serving(
    directory: Path, database_url: str, workers: int, extra_env: dict[str, str]
) -> AsyncIterator[Target]:
    """`python -m backend serve --workers N` on a free port until the block ends."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **base_env(),
        "DATABASE_URL": database_url,
        "CTN_SECRET_KEY": common.SECRET_KEY,
        "CTN_PUBLIC_URL": url,
        "CTN_DATA_DIR": str(directory / "data"),
        "CTN_MEDIA_DIR": str(directory / "media"),
        "CTN_DB_POOL_MIN": "1",
        "CTN_ACCESS_TOKEN_MINUTES": str(TOKEN_MINUTES),
        "CTN_OIDC_ISSUER": "http://127.0.0.1:9/no-provider",
        **extra_env,
    }
    log_path = directory / f"serve-{port}.log"
    with log_path.open("w") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "backend",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        client = Client("127.0.0.1", port, timeout=2)
        deadline = time.monotonic() + 90
        while True:
            with contextlib.suppress(Exception):
                if (await client.request("GET", "/health/ready")).status == 200:
                    break
            if process.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ctn serve did not start:\n{log_path.read_text()[-4000:]}")
            await asyncio.sleep(0.3)
        client.close()
        yield Target("127.0.0.1", port, process.pid)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


def seed(database_url: str, learners: int, agencies: int) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "backend",
            "seed",
            "--no-demo",
            "--mooc-learners",
            str(learners),
            "--agencies",
            str(agencies),
        ],
        env={**base_env(), "DATABASE_URL": database_url, "CTN_SECRET_KEY": common.SECRET_KEY},
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"ctn seed failed:\n{done.stdout}{done.stderr}")
    # The whole database's statistics, as after any bulk load (the synthetic people and role
    # grants too; the loader analyzes the MOOC's tables itself): this machine's PostgreSQL
    # runs with autovacuum off, and stale statistics turn lookups by person into scans.
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    lines = [line for line in done.stdout.splitlines() if "MOOC:" in line]
    return time.perf_counter() - started, lines[-1].strip() if lines else ""


# --- report ------------------------------------------------------------------------------


def series_row(label: str, series: Series, seconds: float) -> str:
    ms = [x * 1000 for x in series.latencies]
    errors = {s: n for s, n in series.statuses.items() if not s.startswith("2")}
    shown = f" {dict(sorted(errors.items()))}" if errors else ""
    return (
        f"{label:52} {series.requests:8,} {series.requests / max(seconds, 1e-9):8.1f}"
        f" {percentile(ms, 0.5):8.1f} {percentile(ms, 0.95):8.1f} {percentile(ms, 0.99):8.1f}"
        f" {series.errors:7,}{shown}"
    )


HEADER = (
    f"{'endpoint':52} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    f" {'errors':>7}"
)


def print_phase(phase: Phase, measured: float) -> None:
    print()
    print(f"== {phase.name}")
    print(
        f"   load average before {phase.load}; machine CPU busy {phase.machine_busy:.0%} of 2"
        f" cores; server {phase.server_cpu / phase.seconds:.2f} cores; generator"
        f" {phase.generator_cpu / phase.seconds:.2f} cores; at most {phase.max_in_flight:,}"
        " requests in flight"
    )
    print(HEADER)
    print("-" * len(HEADER))
    for label, series in sorted(phase.recorder.series.items()):
        print(series_row(label, series, measured))
    total = phase.recorder.total()
    print(series_row("all", total, measured))
    lags = [x * 1000 for x in total.lags]
    print(
        f"   generator send lag (scheduled → sent): p50 {percentile(lags, 0.5):.1f} ms, p99"
        f" {percentile(lags, 0.99):.1f} ms, max {max(lags, default=0):.1f} ms"
    )
    for note in phase.notes:
        print(f"   {note}")


def summary(series: Series) -> dict[str, Any]:
    ms = [x * 1000 for x in series.latencies]
    return {
        "requests": series.requests,
        "errors": series.errors,
        "statuses": series.statuses,
        "p50_ms": round(percentile(ms, 0.5), 2),
        "p95_ms": round(percentile(ms, 0.95), 2),
        "p99_ms": round(percentile(ms, 0.99), 2),
        "lag_p99_ms": round(percentile([x * 1000 for x in series.lags], 0.99), 2),
    }


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# --- the run -----------------------------------------------------------------------------


async def run(args: argparse.Namespace, directory: Path, database_url: str) -> dict[str, Any]:
    import msgspec

    from backend.db import close_pool, open_pool
    from backend.settings import load_settings

    results: dict[str, Any] = {"learners": args.learners, "started": datetime.now(UTC).isoformat()}
    model = Model(online=args.online)
    seconds, loaded = seed(database_url, args.learners, args.agencies)
    print(f"seeded {args.learners:,} learners with `ctn seed --mooc-learners` in {seconds:.1f} s")
    print(f"  {loaded}")
    results["seed_seconds"] = round(seconds, 1)
    settings = msgspec.structs.replace(load_settings(), db_pool_min=1, db_pool_max=4)
    await open_pool(settings)
    rng = random.Random(15)  # the load's randomness, not a secret
    phases: list[Phase] = []
    try:
        extra = dict(item.split("=", 1) for item in args.server_env)
        async with serving(directory, database_url, args.workers, extra) as target:
            print(f"ctn serve --workers {args.workers} at {target.url} {extra or ''}")
            target.connections = args.connections
            if args.connections < 4000:
                print(
                    f"at most {args.connections} connections (as a proxy's upstream pool):"
                    " requests beyond wait for one, and the wait is latency"
                )
            online = max(1, int(args.learners * model.online))
            learners = await learners_of(await pick_learners(online, "steady"))
            rate = sum(model.rates(args.learners).values())
            print(model.describe(args.learners))

            # 1. The generator's ceiling against a trivial endpoint.
            ceiling_rows = []
            for factor in args.ceiling:
                offered = max(rate, 100.0) * factor
                phase = await run_phase(
                    f"ceiling: GET /health/live at {offered:.0f} req/s",
                    target,
                    ceiling_events(offered, args.ceiling_seconds),
                    drain=10,
                )
                series = phase.recorder.total()
                ceiling_rows.append((offered, phase, series))
            print()
            print("== generator ceiling: the same open-model generator, GET /health/live")
            print(
                f"{'offered req/s':>14} {'achieved':>9} {'p50 ms':>8} {'p99 ms':>8} {'lag p99':>8}"
                f" {'errors':>7} {'gen cores':>9} {'server cores':>12}"
            )
            for offered, phase, series in ceiling_rows:
                ms = [x * 1000 for x in series.latencies]
                lags = [x * 1000 for x in series.lags]
                print(
                    f"{offered:14.0f} {series.requests / args.ceiling_seconds:9.0f}"
                    f" {percentile(ms, 0.5):8.1f} {percentile(ms, 0.99):8.1f}"
                    f" {percentile(lags, 0.99):8.1f} {series.errors:7}"
                    f" {phase.generator_cpu / phase.seconds:9.2f}"
                    f" {phase.server_cpu / phase.seconds:12.2f}"
                )
            results["ceiling"] = [
                {"offered": o, **summary(s), "generator_cores": p.generator_cpu / p.seconds}
                for o, p, s in ceiling_rows
            ]
            if shutil.which("wrk"):
                script = directory / "live.lua"
                script.write_text(wrk_script())
                found = run_wrk(
                    f"{target.url}/health/live",
                    script,
                    connections=32,
                    seconds=int(args.ceiling_seconds),
                    cpus=None,
                )
                print(
                    f"wrk -t1 -c32 (closed loop) GET /health/live: {found.rate:.0f} req/s,"
                    f" p50 {found.p50_us / 1000:.1f} ms, p99 {found.p99_us / 1000:.1f} ms,"
                    f" errors {sum(found.errors.values())}"
                )
                results["wrk_live"] = {"rate": found.rate, "p99_ms": found.p99_us / 1000}

            # 2. The steady mix.
            if not args.skip_steady:
                minted = await mint_tokens(learners, target.url)
                print(f"\nminted {len(learners):,} access tokens in {minted:.1f} s")
                phase = await run_phase(
                    f"steady mix: {args.learners:,} learners, {online:,} online,"
                    f" {rate:.0f} req/s offered, {args.seconds:g} s measured"
                    f" after {args.warmup:g} s warm-up",
                    target,
                    steady_events(learners, model, args.seconds, args.warmup, rng),
                    drain=15,
                )
                phase.offered = rate
                print_phase(phase, args.seconds)
                phases.append(phase)
                results["steady"] = {
                    "offered_rate": rate,
                    "seconds": args.seconds,
                    "total": summary(phase.recorder.total()),
                    "endpoints": {k: summary(v) for k, v in phase.recorder.series.items()},
                    "machine_busy": phase.machine_busy,
                    "load": phase.load,
                }

            # 3. The deadline burst.
            if not args.skip_burst:
                results["burst"] = await run_burst(args, target, rng)
            results["server_log_problems"] = log_problems(directory)
    finally:
        await close_pool()
    print_targets(args, results)
    return results


async def run_burst(args: argparse.Namespace, target: Target, rng: random.Random) -> dict[str, Any]:
    count = min(args.burst_learners, args.learners)
    chosen = await learners_of(await pick_learners(count, "burst"))
    takers = [
        Taker(learner, learner.finals[0], knows=rng.random() < 0.7)
        for learner in chosen
        if learner.finals
    ]
    minted = await mint_tokens([taker.learner for taker in takers], target.url)
    print(f"\nminted {len(takers):,} access tokens for the burst in {minted:.1f} s")
    if len(takers) < count:
        print(f"  {count - len(takers):,} learners had no final quiz left to take")
    since = datetime.now(UTC)
    wave = args.wave_seconds
    found: dict[str, Any] = {"learners": len(takers), "endpoints": {}, "phases": {}}
    steps = [
        (
            "start",
            f"deadline burst 1/3: {len(takers):,} learners start the final quiz within {wave:g} s",
            start_wave(takers, wave, rng),
            wave,
        ),
        (
            "answers",
            f"deadline burst 2/3: they save every answer over {args.answer_seconds:g} s"
            " (not a target: the exam's answers, compressed in time)",
            answer_phase(takers, args.answer_seconds, rng),
            args.answer_seconds,
        ),
        (
            "submit",
            f"deadline burst 3/3: {len(takers):,} learners submit within {wave:g} s",
            submit_wave(takers, wave, rng),
            wave,
        ),
    ]
    for key, name, build, seconds in steps:
        phase = await run_phase(name, target, build, drain=30)
        if key == "submit":
            phase.notes += await check_burst(takers, since)
        print_phase(phase, seconds)
        found["endpoints"].update({k: summary(v) for k, v in phase.recorder.series.items()})
        found["phases"][key] = {"machine_busy": phase.machine_busy, "load": phase.load}
        found.setdefault("notes", []).extend(phase.notes)
    return found


def log_problems(directory: Path) -> dict[str, int]:
    """Counts of 5xx answers and tracebacks in the server's log."""
    counts = {"5xx": 0, "tracebacks": 0}
    for log in directory.glob("serve-*.log"):
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("Traceback"):
                counts["tracebacks"] += 1
            if '"status": 5' in line or '"status":5' in line:
                counts["5xx"] += 1
    return counts


def print_targets(args: argparse.Namespace, results: dict[str, Any]) -> None:
    print()
    print("== targets")
    rows = []
    if "steady" in results:
        total = results["steady"]["total"]
        ok = total["p99_ms"] < STEADY_P99_MS and total["errors"] == 0
        scope = "" if args.learners >= 50_000 else " (target set for 50,000)"
        rows.append(
            (
                f"steady mix, {args.learners:,} learners{scope}: p99 < {STEADY_P99_MS} ms,"
                " zero errors",
                f"p99 {total['p99_ms']:.1f} ms, {total['errors']} errors of {total['requests']:,}",
                verdict(ok),
            )
        )
    if "burst" in results:
        for key, name in (("start wave", "start"), ("submit wave", "submit")):
            for label, found in results["burst"]["endpoints"].items():
                if key in label:
                    ok = found["p99_ms"] < BURST_P99_MS and found["errors"] == 0
                    rows.append(
                        (
                            f"burst, {results['burst']['learners']:,} learners, {name}"
                            f" in {args.wave_seconds:g} s:"
                            f" p99 < {BURST_P99_MS} ms, zero errors",
                            f"p99 {found['p99_ms']:.1f} ms, {found['errors']} errors of"
                            f" {found['requests']:,}",
                            verdict(ok),
                        )
                    )
    for what, found, result in rows:
        print(f"{what:72} {found:40} {result}")
    problems = results.get("server_log_problems")
    if problems:
        print(f"server log: {problems['5xx']} answers 5xx, {problems['tracebacks']} tracebacks")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=5000)
    parser.add_argument("--agencies", type=int, default=50)
    parser.add_argument("--online", type=float, default=0.20, help="share online at peak")
    parser.add_argument("--seconds", type=float, default=60.0, help="steady mix, measured")
    parser.add_argument("--warmup", type=float, default=10.0, help="steady mix, not counted")
    parser.add_argument("--workers", type=int, default=2, help="ctn serve --workers")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for the served app (repeatable), e.g. CTN_DB_POOL_MAX=40",
    )
    parser.add_argument("--burst-learners", type=int, default=5000)
    parser.add_argument("--answer-seconds", type=float, default=60.0)
    parser.add_argument(
        "--wave-seconds",
        type=float,
        default=10.0,
        help="the start and submit waves' length (10: the target; longer: the rate that holds)",
    )
    parser.add_argument("--ceiling-seconds", type=float, default=5.0)
    parser.add_argument(
        "--ceiling", type=lambda s: [float(x) for x in s.split(",")], default=[1, 2, 4, 8]
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=4000,
        help="connections at most (default: one per request in flight, as direct clients;"
        " e.g. 64: a reverse proxy's upstream pool in front of the server)",
    )
    parser.add_argument("--skip-steady", action="store_true")
    parser.add_argument("--skip-burst", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="300 learners, 5 s measured after 2 s, a burst of 300 with 10 s of answers",
    )
    args = parser.parse_args()
    if args.quick:
        args.learners, args.seconds, args.warmup = min(args.learners, 300), 5.0, 2.0
        args.burst_learners, args.answer_seconds = min(args.burst_learners, 300), 10.0
        args.ceiling_seconds, args.ceiling = 2.0, [1, 4]
    common.SCRATCH_DB = "ctn_bench_mooc"
    base = os.environ.get("BENCH_DIR") or None
    with tempfile.TemporaryDirectory(prefix="ctn-bench-mooc-", dir=base) as work:
        directory = Path(work)
        with common.database(directory) as (url, _scratch):
            os.environ["DATABASE_URL"] = url
            os.environ["CTN_SECRET_KEY"] = common.SECRET_KEY
            os.environ["CTN_ACCESS_TOKEN_MINUTES"] = str(TOKEN_MINUTES)
            os.environ["CTN_MEDIA_DIR"] = str(directory / "media")
            with contextlib.suppress(KeyboardInterrupt):
                results = asyncio.run(run(args, directory, url))
                if args.json:
                    args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
