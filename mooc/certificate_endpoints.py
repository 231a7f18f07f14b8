"""Routes of certificates: the learner's own (`/api/v1/me/certificates`, the PDF), the public
verification page `/certificates/{code}` (HTML, or JSON for `Accept: application/json`; no
sign-in; only name, course, date and validity) and revocation by a course admin."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody, PathParameter
from litestar.response import Template
from litestar.status_codes import HTTP_200_OK

from backend.access import PUBLIC, SIGNED_IN, Role, access, caller, roles, signed_in
from backend.console.shell import render
from mooc import certificates
from mooc.certificate_pdf import certificate_pdf
from mooc.certificate_schemas import (
    CertificateOut,
    CertificateVerification,
    RevocationIn,
    RevocationOut,
)
from mooc.progress_errors import (
    CertificateAlreadyRevoked,
    CertificateNotFound,
    RevocationReasonRequired,
)

AnyRequest = Request[Any, Any, Any]
Code = Annotated[str, PathParameter(max_length=64, description="the verification code")]
PUBLIC_PAGE = {
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "Vary": "Accept, Cookie",
}


def certificate_out(row: certificates.CertificateRow) -> CertificateOut:
    return CertificateOut(
        id=row.id,
        code=row.code,
        course_id=row.course_id,
        course_title=row.course_title,
        learner_name=row.learner_name,
        issued_at=row.issued_at,
        revoked=row.revoked_at is not None,
        revoked_at=row.revoked_at,
        verification_url=certificates.verification_url(row.code),
        pdf_url=f"/api/v1/me/certificates/{row.id}/pdf",
    )


def pdf_response(row: certificates.CertificateRow) -> Response[bytes]:
    """The certificate's PDF as a download."""
    body = certificate_pdf(row, certificates.verification_url(row.code))
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="chung-chi-{row.code}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


class CertificateController(Controller):
    path = "/api/v1"
    tags = ["mooc (certificates)"]

    @get("/me/certificates", opt=access(SIGNED_IN, cache_control="private, no-store"))
    async def my_certificates(self, request: AnyRequest) -> list[CertificateOut]:
        """The caller's certificates, newest first (one per course completed at most)."""
        rows = await certificates.list_my_certificates(signed_in(request).id)
        return [certificate_out(row) for row in rows]

    @get(
        "/me/certificates/{certificate_id:uuid}/pdf",
        opt=access(SIGNED_IN, problems=(CertificateNotFound,)),
        response_description="application/pdf",
    )
    async def my_certificate_pdf(
        self, request: AnyRequest, certificate_id: FromPath[uuid.UUID]
    ) -> Response[bytes]:
        """The certificate as a PDF (the caller's own only: anyone else's is 404)."""
        row = await certificates.access_my_certificate(signed_in(request).id, certificate_id)
        return pdf_response(row)

    @post(
        "/admin/certificates/{code:str}/revocation",
        status_code=HTTP_200_OK,
        opt=access(
            roles(Role.COURSE_ADMIN),
            problems=(CertificateNotFound, CertificateAlreadyRevoked, RevocationReasonRequired),
        ),
    )
    async def revoke(
        self, request: AnyRequest, code: Code, data: JSONBody[RevocationIn]
    ) -> RevocationOut:
        """Revoke a certificate with a reason (audited). The public page then says revoked."""
        row = await certificates.do_revoke_certificate(signed_in(request).id, code, data.reason)
        assert row.revoked_at is not None
        return RevocationOut(code=row.code, revoked_at=row.revoked_at, reason=data.reason.strip())


def _public_headers(request: AnyRequest) -> dict[str, str]:
    """Not indexed; kept a minute by caches when asked anonymously (a QR code scanned by many:
    a revocation shows within that minute). A signed-in visitor's page (its menu) stays
    private (the edge marks it so)."""
    if caller(request) is None:
        return {**PUBLIC_PAGE, "Cache-Control": "public, max-age=60"}
    return PUBLIC_PAGE


def _wants_json(request: AnyRequest) -> bool:
    """JSON unless HTML is asked for by name (browsers do; `*/*` gets JSON)."""
    return request.accept.best_match(["application/json", "text/html"]) != "text/html"


@get(
    "/certificates/{code:str}",
    opt=access(
        PUBLIC,
        transaction="read",
        anonymous=True,
        problems=(CertificateNotFound,),
    ),
    tags=["mooc (certificates)"],
    response_description="text/html (a page), or application/json when asked",
)
async def verify_certificate(
    request: AnyRequest, code: Code
) -> Template | Response[CertificateVerification]:
    """Public verification of a certificate by its code (the QR code's link): the name
    printed on it, the course, the date and whether it is valid or revoked — nothing else
    about the person. An HTML page (not indexed) for browsers (`Accept: text/html`), JSON
    otherwise."""
    try:
        found = await certificates.verify_certificate(code)
    except CertificateNotFound:
        if _wants_json(request):
            raise
        return render(
            request,
            "mooc/certificate_verify.html",
            status=404,
            headers=_public_headers(request),
            found=None,
            code=code[:64],
        )
    if _wants_json(request):
        verification = CertificateVerification(
            code=found.code,
            learner_name=found.learner_name,
            course_title=found.course_title,
            issued_at=found.issued_at,
            valid=found.valid,
            revoked_at=found.revoked_at,
        )
        return Response(verification, headers=_public_headers(request))
    return render(
        request,
        "mooc/certificate_verify.html",
        headers=_public_headers(request),
        found=found,
        code=found.code,
    )


ROUTE_HANDLERS: list[Any] = [CertificateController, verify_certificate]
