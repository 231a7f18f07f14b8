"""Staff console pages of identity: people and their roles (grant, revoke, with a reason),
agencies and police units. They call the same service functions as `/api/v1/people`,
`/api/v1/agencies` and `/api/v1/police-units`, so every change is audited the same way."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from backend.access import STAFF_ROLES, Principal, Role, roles, signed_in
from backend.console.shell import STAFF, Attention, MenuEntry, access, is_partial, redirect, render
from backend.console.shell import url as console_url
from backend.errors import AppError
from backend.http.pagination import (
    DEFAULT_LIMIT,
    PageRequest,
    decode_cursor,
    encode_cursor,
    page_request,
)
from backend.identity import service
from backend.identity.errors import PersonNotFound
from backend.identity.schemas import Agency, GrantRequest, PoliceUnit
from backend.web import read_form

ADMIN = roles(Role.SYSTEM_ADMIN)
Query = Annotated[str | None, QueryParameter(max_length=100)]
Message = tuple[str, str]
"""A text in Vietnamese and English, for `t(*message)` in a template."""

ROLE_NAMES: dict[str, Message] = {
    Role.CITIZEN: ("Công dân", "Citizen"),
    Role.CIVIL_SERVANT: ("Công chức", "Civil servant"),
    Role.POLICE_OFFICER: ("Cán bộ công an", "Police officer"),
    Role.POLICE_SUPERVISOR: ("Chỉ huy công an", "Police supervisor"),
    Role.COMMS_OFFICER: ("Cán bộ truyền thông", "Communications officer"),
    Role.COMMS_APPROVER: ("Người duyệt tin bài", "Communications approver"),
    Role.WELFARE_OFFICER: ("Cán bộ an sinh xã hội", "Welfare officer"),
    Role.COURSE_ADMIN: ("Quản trị khóa học", "Course administrator"),
    Role.AUDITOR: ("Kiểm toán viên", "Auditor"),
    Role.SYSTEM_ADMIN: ("Quản trị hệ thống", "System administrator"),
}
GRANTABLE = [role for role in Role if role != Role.CITIZEN]

REASON_MISSING: Message = (
    "Hãy ghi lý do (từ 3 đến 500 ký tự).",
    "Give a reason (3 to 500 characters).",
)
INVALID: Message = ("Giá trị không hợp lệ.", "This value is not valid.")
REQUIRED: Message = ("Trường này là bắt buộc.", "This field is required.")


def _limit(page: PageRequest) -> int | None:
    """The page size to keep in the URL (left out when it is the default)."""
    return page.limit if page.limit != DEFAULT_LIMIT else None


def _error(exc: AppError) -> Message:
    return (exc.detail_vi, exc.detail_en)


def _codes(text: str) -> list[str]:
    """Commune codes typed one after another (commas or spaces between them)."""
    return [code for code in re.split(r"[\s,;]+", text) if code]


def _field_errors(exc: msgspec.ValidationError) -> dict[str, Message]:
    """The field a msgspec error names (`… - at $.agency`), with a generic message."""
    found = re.search(r"at `\$\.(\w+)", str(exc))
    return {found.group(1) if found else "form": INVALID}


def _blank(value: str | None) -> str | None:
    return value.strip() or None if value else None


# --- people -------------------------------------------------------------------------------------


class PeoplePages(Controller):
    """People and their roles (system administrators), as `/api/v1/people`."""

    path = "/people"
    dependencies = {"page": Provide(page_request, sync_to_thread=False)}

    @get("/", opt=access(ADMIN))
    async def people(
        self,
        request: Request[Any, Any, Any],
        page: NamedDependency[PageRequest],
        q: Query = None,
        role: Query = None,
    ) -> Template:
        """Search by identification number (exact) or name, filter by role (audited)."""
        chosen = Role(role) if role in ROLE_NAMES else None
        after = decode_cursor(page.cursor, "people", (uuid.UUID,))[0] if page.cursor else None
        items = await service.access_people(
            signed_in(request), q=_blank(q), role=chosen, after=after, limit=page.limit + 1
        )
        more = len(items) > page.limit
        items = items[: page.limit]
        return render(
            request,
            "identity/people.html",
            items=items,
            next_cursor=encode_cursor("people", (str(items[-1].id),)) if more else None,
            params={
                "q": _blank(q),
                "role": chosen.value if chosen else None,
                "cursor": page.cursor,
                "limit": _limit(page),
            },
            role_names=ROLE_NAMES,
            grantable=GRANTABLE,
        )

    @get("/{person_id:uuid}", opt=access(ADMIN))
    async def person(
        self, request: Request[Any, Any, Any], person_id: FromPath[uuid.UUID], done: Query = None
    ) -> Template:
        """A person, their roles and memberships, and the forms to grant and revoke."""
        return await _person_page(request, person_id, done=done)

    @post("/{person_id:uuid}/roles", opt=access(ADMIN))
    async def grant(
        self, request: Request[Any, Any, Any], person_id: FromPath[uuid.UUID]
    ) -> Template | Response[Any]:
        """Grant a role with its agency (a civil servant's department and manager flag),
        police unit or communes, and a reason (audited by `do_grant_role`, as the API's
        grant)."""
        fields = await read_form(request)
        values = {
            key: fields.get(key, "").strip()
            for key in ("role", "agency", "police_unit", "communes", "department", "reason")
        }
        values["manager"] = "on" if fields.get("manager") else ""
        errors: dict[str, Message] = {}
        if values["role"] not in {r.value for r in GRANTABLE}:
            errors["role"] = REQUIRED
        if not 3 <= len(values["reason"]) <= 500:
            errors["reason"] = REASON_MISSING
        data: GrantRequest | None = None
        if not errors:
            try:
                data = msgspec.convert(
                    {
                        "role": values["role"],
                        "agency": values["agency"] or None,
                        "police_unit": values["police_unit"] or None,
                        "communes": _codes(values["communes"]),
                        "department": values["department"] or None,
                        "manager": bool(values["manager"]),
                        "reason": values["reason"],
                    },
                    GrantRequest,
                )
            except msgspec.ValidationError as exc:
                errors = _field_errors(exc)
        status = 422
        if data is not None:
            try:
                await service.do_grant_role(
                    person_id,
                    data.role,
                    granted_by=signed_in(request).id,
                    reason=data.reason,
                    agency=data.agency,
                    police_unit=data.police_unit,
                    communes=data.communes,
                    department=data.department,
                    manager=data.manager,
                )
            except PersonNotFound:
                raise
            except AppError as exc:
                errors, status = {"form": _error(exc)}, exc.status
            else:
                return redirect(request, console_url(f"/people/{person_id}", done="granted"))
        grant_form = {"values": values, "errors": errors}
        if is_partial(request):
            return render(
                request,
                "identity/_grant_form.html",
                status=status,
                person_id=person_id,
                form=grant_form,
                **await _choices(),
            )
        return await _person_page(request, person_id, grant_form=grant_form, status=status)

    @post("/{person_id:uuid}/roles/{role:str}/revoke", opt=access(ADMIN))
    async def revoke(
        self, request: Request[Any, Any, Any], person_id: FromPath[uuid.UUID], role: FromPath[str]
    ) -> Template | Response[Any]:
        """Revoke a role with a reason (audited by `do_revoke_role`, as the API's revoke)."""
        if role not in ROLE_NAMES:
            raise PersonNotFound()
        reason = (await read_form(request)).get("reason", "").strip()
        error: Message | None = None
        status = 422
        if not 3 <= len(reason) <= 500:
            error = REASON_MISSING
        else:
            try:
                await service.do_revoke_role(
                    person_id, Role(role), revoked_by=signed_in(request).id, reason=reason
                )
            except PersonNotFound:
                raise
            except AppError as exc:
                error, status = _error(exc), exc.status
            else:
                return redirect(request, console_url(f"/people/{person_id}", done="revoked"))
        revoke_form = {
            "role": role,
            "reason": reason,
            "error": error,
            "invalid": error is REASON_MISSING,
        }
        if is_partial(request):
            return render(
                request,
                "identity/_revoke_form.html",
                status=status,
                person_id=person_id,
                grant=next(
                    (g for g in await service.get_person_roles(person_id) if g.role == role),
                    {"role": role},
                ),
                revoke=revoke_form,
                role_names=ROLE_NAMES,
            )
        return await _person_page(request, person_id, revoke_form=revoke_form, status=status)


async def _choices() -> dict[str, Any]:
    return {
        "agencies": await service.list_agencies(),
        "police_units": await service.list_police_units(),
        "departments": await service.list_departments(),
        "role_names": ROLE_NAMES,
        "grantable": GRANTABLE,
    }


async def _person_page(
    request: Request[Any, Any, Any],
    person_id: uuid.UUID,
    *,
    done: str | None = None,
    grant_form: dict[str, Any] | None = None,
    revoke_form: dict[str, Any] | None = None,
    status: int = 200,
) -> Template:
    person = await service.access_person(signed_in(request), person_id)
    return render(
        request,
        "identity/person.html",
        status=status,
        person=person,
        person_id=person_id,
        grants=await service.get_person_roles(person_id),
        done=done if done in ("granted", "revoked") else None,
        form=grant_form or {"values": {}, "errors": {}},
        revoke=revoke_form or {"role": None, "reason": "", "error": None, "invalid": False},
        **await _choices(),
    )


# --- agencies and police units ---------------------------------------------------------------


class UnitPages(Controller):
    """Agencies and police units: everyone with a console reads them (the API lets any
    signed-in person); system administrators create and change them."""

    path = "/"

    @get("/agencies", opt=access(STAFF))
    async def agencies(self, request: Request[Any, Any, Any], done: Query = None) -> Template:
        return await _agencies_page(request, done=done)

    @post("/agencies", opt=access(ADMIN))
    async def save_agency(self, request: Request[Any, Any, Any]) -> Template | Response[Any]:
        """Create or rename an agency (by code), through `do_upsert_agency` (audited)."""
        fields = await read_form(request)
        values = {k: fields.get(k, "").strip() for k in ("code", "name", "commune_code")}
        errors: dict[str, Message] = {}
        try:
            agency = msgspec.convert(
                {
                    "code": values["code"],
                    "name": values["name"],
                    "commune_code": values["commune_code"] or None,
                },
                Agency,
            )
        except msgspec.ValidationError as exc:
            errors = _field_errors(exc)
        else:
            await service.do_upsert_agency(agency, actor=signed_in(request).id)
            return redirect(request, console_url("/agencies", done=agency.code))
        form = {"values": values, "errors": errors}
        if is_partial(request):
            return render(request, "identity/_agency_form.html", status=422, form=form)
        return await _agencies_page(request, form=form, status=422)

    @get("/police-units", opt=access(STAFF))
    async def police_units(self, request: Request[Any, Any, Any], done: Query = None) -> Template:
        return await _police_units_page(request, done=done)

    @post("/police-units", opt=access(ADMIN))
    async def save_police_unit(self, request: Request[Any, Any, Any]) -> Template | Response[Any]:
        """Create or change a police unit and its communes, through `do_upsert_police_unit`
        (audited)."""
        fields = await read_form(request)
        values = {k: fields.get(k, "").strip() for k in ("code", "name", "communes")}
        errors: dict[str, Message] = {}
        try:
            unit = msgspec.convert(
                {
                    "code": values["code"],
                    "name": values["name"],
                    "communes": _codes(values["communes"]),
                },
                PoliceUnit,
            )
        except msgspec.ValidationError as exc:
            errors = _field_errors(exc)
        else:
            await service.do_upsert_police_unit(unit, actor=signed_in(request).id)
            return redirect(request, console_url("/police-units", done=unit.code))
        form = {"values": values, "errors": errors}
        if is_partial(request):
            return render(request, "identity/_police_unit_form.html", status=422, form=form)
        return await _police_units_page(request, form=form, status=422)


def _can_edit(request: Request[Any, Any, Any]) -> bool:
    return ADMIN.admits(signed_in(request))


async def _agencies_page(
    request: Request[Any, Any, Any],
    *,
    done: str | None = None,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> Template:
    return render(
        request,
        "identity/agencies.html",
        status=status,
        agencies=await service.list_agencies(),
        can_edit=_can_edit(request),
        done=done,
        form=form or {"values": {}, "errors": {}},
    )


async def _police_units_page(
    request: Request[Any, Any, Any],
    *,
    done: str | None = None,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> Template:
    return render(
        request,
        "identity/police_units.html",
        status=status,
        units=await service.list_police_units(),
        can_edit=_can_edit(request),
        done=done,
        form=form or {"values": {}, "errors": {}},
    )


# --- menu and home ----------------------------------------------------------------------------

PAGES: list[Any] = [PeoplePages, UnitPages]
MENU: list[MenuEntry] = [
    MenuEntry(
        "/people", "Người dùng và vai trò", "People and roles", ADMIN, "Quản trị", "Administration"
    ),
    MenuEntry("/agencies", "Cơ quan", "Agencies", STAFF, "Quản trị", "Administration"),
    MenuEntry(
        "/police-units", "Đơn vị công an", "Police units", STAFF, "Quản trị", "Administration"
    ),
]


async def attention(principal: Principal) -> list[Attention]:
    """For system administrators: how many people hold a staff role."""
    if not ADMIN.admits(principal):
        return []
    count = await service.count_staff_people()
    return [
        Attention(
            title_vi="Người có vai trò cán bộ",
            title_en="People with staff roles",
            href=console_url("/people"),
            count=count,
            detail_vi=f"{len(STAFF_ROLES)} loại vai trò cán bộ",
            detail_en=f"{len(STAFF_ROLES)} kinds of staff role",
            tone="info",
        )
    ]
