"""The person a sign-in's claims name: created, refreshed from the claims, or bound to the
staff member provisioned ahead by identification number."""

from __future__ import annotations

from datetime import date
from typing import Any

from backend.identity import repository
from backend.identity.service import do_provision_person
from backend.identity.signin import do_sign_in_person
from backend.settings import Settings

ISSUER = "https://idp.test"


def claims(subject: str, **values: Any) -> dict[str, Any]:
    return {"iss": ISSUER, "sub": subject, **values}


async def test_a_claim_the_provider_leaves_out_keeps_what_is_stored(
    db: None, settings: Settings
) -> None:
    person_id = await do_sign_in_person(
        settings,
        claims(
            "s-1",
            SoDinhDanh="019090001111",
            HoVaTen=" Trần Thị Bình ",
            NgayThangNamSinh="19900215",
            GioiTinh="Nữ",
            DiaChi={"xa": "Phường Phan Đình Phùng", "tinh": "Thái Nguyên"},
        ),
    )
    again = await do_sign_in_person(
        settings, claims("s-1", HoVaTen="", GioiTinh=7, NgayThangNamSinh="not a date")
    )
    assert again == person_id
    person = await repository.person_by_id(person_id)
    assert person is not None
    assert person.personal_id == "019090001111"
    assert person.full_name == "Trần Thị Bình"  # an empty name is no name: kept
    assert person.gender == "Nữ"  # a value of the wrong type is dropped: kept
    assert person.address == "Phường Phan Đình Phùng, Thái Nguyên"
    assert person.birth_date is None  # sent but unreadable: no longer vouched for
    assert person.last_sign_in_at is not None


async def test_a_first_sign_in_binds_the_person_provisioned_by_identification_number(
    db: None, settings: Settings
) -> None:
    provisioned = await do_provision_person("019090002222", "Lê Văn Cường")
    person_id = await do_sign_in_person(
        settings, claims("s-2", SoDinhDanh="019090002222", NgayThangNamSinh="1985-03-04")
    )
    assert person_id == provisioned.id
    person = await repository.person_by_id(person_id)
    assert person is not None
    assert (person.issuer, person.subject) == (ISSUER, "s-2")
    assert person.full_name == "Lê Văn Cường"
    assert person.birth_date == date(1985, 3, 4)
