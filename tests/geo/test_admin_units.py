"""Administrative units: loaded from vietnam-provinces, listed with cursors and ETags."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
from vietnam_provinces import ProvinceCode, Ward

from backend.geo import repository
from backend.geo.repository import UnitRow
from backend.geo.service import packaged_units
from backend.http.pagination import encode_cursor

THAI_NGUYEN = ProvinceCode(19)


def expected_units() -> list[Ward]:
    return list(Ward.iter_by_province(THAI_NGUYEN))


async def walk(
    client: httpx.AsyncClient, url: str, limit: int, during: object = None
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = await client.get(url, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= limit
        items.extend(body["items"])
        pages += 1
        if during is not None:
            await during(pages)  # type: ignore[operator]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


async def test_units_of_thai_nguyen_are_loaded_with_the_package_counts(
    client: httpx.AsyncClient,
) -> None:
    units = await walk(client, "/api/v1/admin-units", limit=100)
    wards = expected_units()
    assert len(units) == len(wards) == 92
    assert {u["code"] for u in units} == {f"{int(w.code):05d}" for w in wards}
    by_type = {t: sum(u["division_type"] == t for u in units) for t in ("xã", "phường")}
    assert by_type == {
        "xã": sum(w.division_type.value == "xã" for w in wards),
        "phường": sum(w.division_type.value == "phường" for w in wards),
    }
    assert all(u["province_name"] == "Thái Nguyên" for u in units)


async def test_search_ignores_diacritics_and_case(client: httpx.AsyncClient) -> None:
    for query in ("Phan Đình Phùng", "phan dinh phung", "PHAN DINH", "đình phùng"):
        response = await client.get("/api/v1/admin-units", params={"q": query})
        names = [u["name"] for u in response.json()["items"]]
        assert names == ["Phường Phan Đình Phùng"], query


async def test_filter_by_type(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/admin-units", params={"type": "phường", "limit": 100})
    items = response.json()["items"]
    assert items
    assert {u["division_type"] for u in items} == {"phường"}


async def test_get_one_unit(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/admin-units/05443")
    assert response.json()["name"] == "Phường Phan Đình Phùng"


async def test_pagination_has_no_gaps_or_repeats_while_rows_are_inserted(
    client: httpx.AsyncClient,
) -> None:
    original = {f"{int(w.code):05d}" for w in expected_units()}
    inserted: list[str] = []

    async def insert_some(page: int) -> None:
        # Rows land before and after the cursor while the client walks the list.
        rows = []
        for code in (f"{page:05d}"[:-1] + "0", f"9{page:04d}"):
            if code not in original and code not in inserted:
                inserted.append(code)
                rows.append(
                    UnitRow(
                        code=code,
                        name=f"Xã Thử {code}",
                        name_folded=f"xa thu {code}",
                        division_type="xã",
                        codename=f"xa_thu_{code}",
                        province_code="19",
                        province_name="Thái Nguyên",
                    )
                )
        await repository.upsert(rows, datetime.now(UTC))

    seen = [
        u["code"] for u in await walk(client, "/api/v1/admin-units", limit=7, during=insert_some)
    ]
    assert len(seen) == len(set(seen)), "a unit was repeated"
    assert original <= set(seen), "a unit that existed before the walk was skipped"
    assert seen == sorted(seen)


async def test_page_size_is_bounded(client: httpx.AsyncClient) -> None:
    too_big = await client.get("/api/v1/admin-units", params={"limit": 101})
    assert too_big.status_code == 422
    assert too_big.json()["errors"][0]["field"] == "limit"
    default = await client.get("/api/v1/admin-units")
    assert len(default.json()["items"]) == 20


async def test_a_cursor_from_another_list_is_refused(client: httpx.AsyncClient) -> None:
    foreign = encode_cursor("articles", ("05443",))
    response = await client.get("/api/v1/admin-units", params={"cursor": foreign})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


async def test_etag_and_if_none_match_give_304(client: httpx.AsyncClient) -> None:
    first = await client.get("/api/v1/admin-units/05443")
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert first.headers["cache-control"] == "public, max-age=3600"
    cached = await client.get("/api/v1/admin-units/05443", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == etag
    weak = await client.get(
        "/api/v1/admin-units/05443", headers={"If-None-Match": f'"x", W/{etag}'}
    )
    assert weak.status_code == 304
    other = await client.get("/api/v1/admin-units/05518", headers={"If-None-Match": etag})
    assert other.status_code == 200
    assert other.headers["etag"] != etag


async def test_etag_changes_when_the_data_changes(client: httpx.AsyncClient) -> None:
    before = await client.get("/api/v1/admin-units/05443")
    rows = [
        msgspec.structs.replace(r, name="Phường Đổi Tên")
        for r in packaged_units("19")
        if r.code == "05443"
    ]
    await repository.upsert(rows, datetime.now(UTC))
    # A change made outside the service (another process) is seen once the process's cached
    # version expires (a minute); the service's own syncs forget it at once.
    from backend.geo import service

    await service._version.forget()  # the expiry, without waiting a minute
    after = await client.get(
        "/api/v1/admin-units/05443", headers={"If-None-Match": before.headers["etag"]}
    )
    assert after.status_code == 200
    assert after.json()["name"] == "Phường Đổi Tên"


async def test_a_sync_is_audited_as_done_by_the_system(db: None) -> None:
    from backend.audit.repository import search
    from backend.db import unit_of_work
    from backend.geo.service import do_sync_units

    async with unit_of_work():
        report = await do_sync_units("19")
        trail = await search(
            actor_id=None,
            action="admin_units.sync",
            object_type="province",
            object_id="19",
            since=None,
            until=None,
            before_id=None,
            limit=1,
        )
    assert trail[0].actor_id is None
    assert trail[0].details["units"] == report.units == 92
    assert trail[0].details["removed"] == []
    assert trail[0].details["package"].startswith("vietnam-provinces ")
