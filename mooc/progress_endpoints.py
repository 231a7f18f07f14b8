"""Routes of progress: the heartbeat (`PUT /api/v1/lessons/{id}/progress`), "done" for a
reading lesson and the offline batch. Thin: the rules are in `mooc.progress`."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, post, put
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from backend.access import SIGNED_IN, access, signed_in
from mooc import progress
from mooc.errors import CourseClosed, LessonNotFound, NotEnrolled
from mooc.progress_errors import ProgressInvalid, ProgressNotTracked, VideoNotReady
from mooc.progress_schemas import BatchIn, BatchOut, BeatIn, LessonProgressOut

AnyRequest = Request[Any, Any, Any]
LESSON_PROBLEMS = (LessonNotFound, NotEnrolled, CourseClosed, ProgressNotTracked)


class ProgressController(Controller):
    path = "/api/v1"
    tags = ["mooc (progress)"]

    @put(
        "/lessons/{lesson_id:uuid}/progress",
        opt=access(
            SIGNED_IN,
            cache_control="private, no-store",
            problems=(*LESSON_PROBLEMS, ProgressInvalid, VideoNotReady),
        ),
    )
    async def put_progress(
        self, request: AnyRequest, lesson_id: FromPath[uuid.UUID], data: JSONBody[BeatIn]
    ) -> LessonProgressOut:
        """A heartbeat: the intervals watched (video) or open (reading) since the previous
        beat, and the position. Idempotent and commutative: a late, repeated or reordered
        beat never lowers progress. A video completes at 90 % of its duration really watched
        (the union of intervals: seeking to the end earns nothing); a reading lesson after
        its minimum open time. At most 50 intervals and 120 s of new time per beat."""
        return await progress.do_beat(signed_in(request).id, lesson_id, data)

    @post(
        "/lessons/{lesson_id:uuid}/done",
        status_code=HTTP_200_OK,
        opt=access(SIGNED_IN, problems=LESSON_PROBLEMS),
    )
    async def mark_done(
        self, request: AnyRequest, lesson_id: FromPath[uuid.UUID]
    ) -> LessonProgressOut:
        """The learner has read a reading lesson: it completes (once)."""
        return await progress.do_mark_done(signed_in(request).id, lesson_id)

    @post(
        "/progress/batch",
        status_code=HTTP_200_OK,
        request_max_body_size=1024 * 1024,
        opt=access(SIGNED_IN),
    )
    async def post_batch(self, request: AnyRequest, data: JSONBody[BatchIn]) -> BatchOut:
        """Beats queued while offline (up to 500, any order, duplicates welcome), merged per
        lesson. Each beat's item says whether it was applied, or the code of the problem
        that kept it out (e.g. `mooc_not_enrolled`); the others are applied all the same."""
        return await progress.do_batch(signed_in(request).id, data.beats)


ROUTE_HANDLERS: list[Any] = [ProgressController]
