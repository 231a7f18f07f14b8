"""Console pages of progress and certificates (see backend.console.shell):

- `/console/learn/lessons/{id}`: a video lesson's player or a reading lesson. The player
  (`mooc-player.js`) plays the HLS master where the browser plays HLS itself and the MP4
  rendition elsewhere (Chromium), with captions, resumes at the saved position, records the
  intervals really played (an interval ends at a seek) and sends them as heartbeats to
  `PUT /api/v1/lessons/{id}/progress` every 15 s, on pause, at the end and when the page is
  left; it shows the watched share and the completion. A reading lesson sends its visible
  open time the same way and has a "done" form. Quizzes have their own page.
- `/console/learn/certificates`: the learner's certificates, each with its PDF and the public
  verification link.

Pages call the same services as the API (`mooc.courses.open_lesson`, `mooc.progress`,
`mooc.certificates`)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from backend.access import Role, roles, signed_in
from backend.console.shell import MenuEntry, access, redirect, render
from backend.settings import Settings
from mooc import certificates, courses, progress
from mooc.certificate_endpoints import certificate_out, pdf_response
from mooc.intervals import MAX_BEAT_MS

AnyRequest = Request[Any, Any, Any]
LEARNERS = roles(Role.CIVIL_SERVANT)
LEARN = "/console/learn"
BEAT_SECONDS = 15
"""How often the page sends a heartbeat while playing (well under a beat's bound)."""


class LearningPages(Controller):
    path = "/learn"

    @get("/lessons/{lesson_id:uuid}", opt=access(LEARNERS))
    async def lesson(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        lesson_id: FromPath[uuid.UUID],
    ) -> Template | Redirect:
        """The lesson for its learner: a video in the player, or a reading."""
        person = signed_in(request).id
        lesson = await courses.open_lesson(settings, person, lesson_id)
        if lesson.kind == "quiz":
            return Redirect(f"{LEARN}/quizzes/{lesson_id}", status_code=HTTP_303_SEE_OTHER)
        outline = await courses.get_outline(signed_in(request), lesson.course_id)
        # Where the browser does not play the HLS master (Chromium), the first MP4 it can play
        # is used: the desk's usual rung (near 480p) first, then the others.
        mp4 = (
            sorted(lesson.video.mp4, key=lambda r: abs((r.height or 0) - 480))
            if lesson.video
            else []
        )
        return render(
            request,
            "mooc/learning_lesson.html",
            lesson=lesson,
            course=outline,
            beat_seconds=BEAT_SECONDS,
            beat_max_ms=MAX_BEAT_MS // 2,
            mp4_sources=mp4,
        )

    @post("/lessons/{lesson_id:uuid}/done", opt=access(LEARNERS))
    async def done(self, request: AnyRequest, lesson_id: FromPath[uuid.UUID]) -> Response[Any]:
        """A reading lesson marked as read."""
        await progress.do_mark_done(signed_in(request).id, lesson_id)
        return redirect(request, f"{LEARN}/lessons/{lesson_id}")

    @get("/certificates", opt=access(LEARNERS))
    async def certificates_page(self, request: AnyRequest) -> Template:
        """The learner's certificates with their PDFs and verification links."""
        rows = await certificates.list_my_certificates(signed_in(request).id)
        return render(
            request,
            "mooc/certificate_list.html",
            items=[certificate_out(row) for row in rows],
        )

    @get("/certificates/{certificate_id:uuid}/pdf", opt=access(LEARNERS))
    async def certificate_pdf(
        self, request: AnyRequest, certificate_id: FromPath[uuid.UUID]
    ) -> Response[bytes]:
        """The certificate's PDF (the learner's own; anyone else's is the 404 page)."""
        row = await certificates.access_my_certificate(signed_in(request).id, certificate_id)
        return pdf_response(row)


PAGES: list[Any] = [LearningPages]
MENU: list[MenuEntry] = [
    MenuEntry("/learn/certificates", "Chứng chỉ", "Certificates", LEARNERS, "Đào tạo", "Training"),
]
