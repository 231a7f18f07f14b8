"""The crime-report demo data: reports in the three demo units' queues (the provincial one
included), anonymous and confidential, in every status, with messages both ways, a photo, a
transfer and a duplicate — filed and handled through the services, loaded once."""

from __future__ import annotations

from collections import Counter
from typing import Any

from backend.http.pagination import PageRequest
from backend.tips import police
from backend.tips.police_schemas import TipFilters
from backend.tips.workflow import Status
from seed.identity import seed_people
from seed.tips import LONG, NAM, QUAN, REPORTS, _People, seed_tips

EVERY_STATUS = tuple(Status)


async def queue_of(people: _People, personal_id: str) -> dict[str, Any]:
    page = await police.list_queue(
        people.principal(personal_id),
        TipFilters(statuses=EVERY_STATUS),
        PageRequest(limit=100),
    )
    return {item.reference: item for item in page.items}


async def test_the_demo_reports_fill_every_queue_and_status_and_load_once(
    db: None, settings: Any
) -> None:
    await seed_people(settings)
    assert await seed_tips(settings) == len(REPORTS)
    assert await seed_tips(settings) == 0  # a second run files nothing

    people = _People()
    await people.load([LONG, NAM, QUAN])
    ward, commune, province = (
        await queue_of(people, LONG),
        await queue_of(people, NAM),
        await queue_of(people, QUAN),
    )
    assert (len(ward), len(commune), len(province)) == (5, 3, 2)
    everything = [*ward.values(), *commune.values(), *province.values()]
    assert len({item.reference for item in everything}) == len(REPORTS)
    assert set(Counter(item.status for item in everything)) == set(Status)
    assert Counter(item.kind for item in everything) == {"anonymous": 6, "confidential": 4}
    assert {item.unit_code for item in province.values()} == {None}
    assert {item.commune_code for item in ward.values()} <= {"05443", "05455", "05467"}

    # The transferred report left the ward's queue for the commune's.
    transferred = [i for i in commune.values() if i.offences == ["fraud"]]
    assert len(transferred) == 1 and transferred[0].status == Status.RECEIVED

    # The first report: a photo without metadata, the reporter's message, untriaged.
    lane = next(i for i in ward.values() if i.attachments)
    assert lane.status == Status.RECEIVED and lane.urgency is None and lane.kind == "anonymous"
    detail = await police.get_report(people.principal(LONG), lane.id, settings=settings)
    assert detail.content is not None and "ngõ 12" in detail.content.description
    assert detail.reporter is None
    assert [m.sender for m in detail.messages] == ["reporter"]
    (photo,) = detail.attachments
    assert (photo.kind, photo.status, photo.original_url) == ("image", "ready", None)
    read = await police.read_attachment(settings, people.principal(LONG), lane.id, photo.id)
    data = b"".join([chunk async for chunk in read.chunks])
    assert data[:2] == b"\xff\xd8" and b"Exif" not in data

    # The duplicate names the first report; the closed ones say why.
    closed = {i.outcome for i in ward.values() if i.status == Status.CLOSED}
    assert closed == {"unfounded", "duplicate"}
    duplicate = next(i for i in ward.values() if i.outcome == "duplicate")
    duplicate_detail = await police.get_report(people.principal(LONG), duplicate.id)
    assert duplicate_detail.duplicate_of_reference == lane.reference

    # A confidential report investigated, with messages both ways, names its reporter.
    theft = next(i for i in ward.values() if i.status == Status.INVESTIGATING)
    theft_detail = await police.get_report(people.principal(LONG), theft.id)
    assert theft_detail.reporter is not None
    assert theft_detail.reporter.full_name == "Nguyễn Văn An"
    assert [m.sender for m in theft_detail.messages] == ["police", "reporter"]
