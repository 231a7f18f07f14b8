"""Cleaning against identity (flags and their resolution), payment periods and their
reconciliation against a hand-computed fixture, results recorded one by one and imported,
the citizen's own view (masking, nothing of anyone else, a friendly empty answer), commune
limits on reads, and the audit entries of reads and exports."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from backend.audit.repository import search
from tests.support.auth import auth_headers
from tests.welfare.conftest import (
    API,
    COMMUNE_A,
    COMMUNE_B,
    citizen,
    csv_bytes,
    officer,
    personal_id,
    programme,
    row,
    run,
    upload,
)

BIRTH = date(1950, 3, 12)


async def audited(action: str, object_id: str | None = None) -> int:
    entries = await search(
        actor_id=None,
        action=action,
        object_type=None,
        object_id=object_id,
        since=None,
        until=None,
        before_id=None,
        limit=50,
    )
    return len(entries)


@pytest.fixture
async def setup(client: httpx.AsyncClient) -> dict[str, str]:
    await programme()
    _, headers = await officer()
    return headers


async def test_a_mismatch_with_identity_is_flagged_and_resolved(
    client: httpx.AsyncClient, setup: dict[str, str]
) -> None:
    pid_name, pid_birth, pid_ok = (personal_id(BIRTH) for _ in range(3))
    await citizen(pid_name, "Nguyễn Văn Bình", BIRTH)
    await citizen(pid_birth, "Trần Văn Cường", date(1950, 4, 1))
    await citizen(pid_ok, "LÊ   văn  dũng", BIRTH)  # same name without case and spaces
    rows = [
        row(pid_name, name="Nguyễn Văn Binh Sai"),
        row(pid_birth, name="Trần Văn Cường"),
        row(pid_ok, name="Lê Văn Dũng"),
    ]
    done = await run((await upload(client, setup, csv_bytes(rows), "f.csv"))["id"])
    assert done["flagged"] == 2
    flags = (await client.get(f"{API}/flags", headers=setup)).json()["items"]
    by_field = {f["flag"]["field"]: f for f in flags}
    assert by_field["full_name"]["flag"]["list_value"] == "Nguyễn Văn Binh Sai"
    assert by_field["full_name"]["flag"]["identity_value"] == "Nguyễn Văn Bình"
    assert by_field["birth_date"]["flag"]["identity_value"] == "1950-04-01"
    # never applied silently: the list's value is in force, the record under review
    listed = (
        await client.get(f"{API}/beneficiaries", params={"q": pid_name}, headers=setup)
    ).json()
    assert listed["items"][0]["status"] == "review"
    assert listed["items"][0]["full_name"] == "Nguyễn Văn Binh Sai"

    name_flag = by_field["full_name"]["flag"]["id"]
    keep = await client.post(
        f"{API}/flags/{name_flag}/resolve", json={"resolution": "keep_list"}, headers=setup
    )
    assert keep.json()["code"] == "welfare_flag_reason_required"
    accept = await client.post(
        f"{API}/flags/{name_flag}/resolve", json={"resolution": "accept_identity"}, headers=setup
    )
    assert accept.status_code == 200 and accept.json()["resolution"] == "accept_identity"
    again = await client.post(
        f"{API}/flags/{name_flag}/resolve", json={"resolution": "reject"}, headers=setup
    )
    assert again.status_code == 409
    record = (
        await client.get(
            f"{API}/beneficiaries/{by_field['full_name']['flag']['beneficiary_id']}", headers=setup
        )
    ).json()
    assert (record["full_name"], record["list_full_name"], record["status"]) == (
        "Nguyễn Văn Bình",
        "Nguyễn Văn Binh Sai",
        "active",
    )
    birth_flag = by_field["birth_date"]["flag"]["id"]
    kept = await client.post(
        f"{API}/flags/{birth_flag}/resolve",
        json={"resolution": "keep_list", "reason": "Giấy khai sinh gốc ghi 12/03/1950"},
        headers=setup,
    )
    assert kept.json()["reason"] == "Giấy khai sinh gốc ghi 12/03/1950"
    assert await audited("welfare.flag.resolve", name_flag) == 1
    # the same list again: nothing changes, no new flag, the chosen values stay
    same = await run((await upload(client, setup, csv_bytes(rows) + b"\n", "f2.csv"))["id"])
    assert (same["unchanged"], same["flagged"]) == (3, 0)
    record = (await client.get(f"{API}/beneficiaries/{record['id']}", headers=setup)).json()
    assert record["full_name"] == "Nguyễn Văn Bình"


async def test_reject_keeps_the_beneficiary_out_of_payments(
    client: httpx.AsyncClient, setup: dict[str, str]
) -> None:
    pid = personal_id(BIRTH)
    await citizen(pid, "Phạm Thị Em", BIRTH)
    await run(
        (await upload(client, setup, csv_bytes([row(pid, name="Người Khác")]), "r.csv"))["id"]
    )
    flag = (await client.get(f"{API}/flags", headers=setup)).json()["items"][0]["flag"]
    await client.post(
        f"{API}/flags/{flag['id']}/resolve", json={"resolution": "reject"}, headers=setup
    )
    period = (await client.post(f"{API}/periods", json={"month": "2026-01"}, headers=setup)).json()
    generated = (await client.post(f"{API}/periods/{period['id']}/generate", headers=setup)).json()
    assert generated["progress"]["expected"] == 0


FIXTURE = [
    # commune, category, amount
    (COMMUNE_A, "NCT80", 500_000),
    (COMMUNE_A, "NCT80", 600_000),
    (COMMUNE_A, "KT", 750_000),
    (COMMUNE_B, "NCT80", 500_000),
    (COMMUNE_B, "KT", 750_000),
]


async def _period_with_payments(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> tuple[dict[str, Any], list[str], dict[str, dict[str, Any]]]:
    pids = [personal_id(BIRTH) for _ in FIXTURE]
    rows = [
        row(pid, commune=c, category=cat, amount=amount)
        for pid, (c, cat, amount) in zip(pids, FIXTURE, strict=True)
    ]
    await run((await upload(client, headers, csv_bytes(rows), "p.csv"))["id"])
    period = (
        await client.post(
            f"{API}/periods",
            json={"month": "2026-02", "payout_date": "2026-02-10"},
            headers=headers,
        )
    ).json()
    generated = (
        await client.post(f"{API}/periods/{period['id']}/generate", headers=headers)
    ).json()
    twice = (await client.post(f"{API}/periods/{period['id']}/generate", headers=headers)).json()
    assert generated["progress"] == twice["progress"]
    items = (
        await client.get(
            f"{API}/periods/{period['id']}/payments", params={"limit": 100}, headers=headers
        )
    ).json()["items"]
    by_pid = {}
    for item in items:
        detail = (
            await client.get(f"{API}/beneficiaries/{item['beneficiary_id']}", headers=headers)
        ).json()
        by_pid[detail["personal_id"]] = item
    return period, pids, by_pid


async def test_generation_results_and_reconciliation_match_a_hand_computed_table(
    client: httpx.AsyncClient, setup: dict[str, str]
) -> None:
    period, pids, payments = await _period_with_payments(client, setup)
    assert period["progress"]["expected"] == 0
    paid = {"status": "paid", "paid_on": "2026-02-10", "transaction_ref": "GD-0001"}
    assert (
        await client.put(
            f"{API}/payments/{payments[pids[0]]['id']}/result", json=paid, headers=setup
        )
    ).status_code == 200
    bad = await client.put(
        f"{API}/payments/{payments[pids[1]]['id']}/result", json={"status": "paid"}, headers=setup
    )
    assert bad.json()["code"] == "welfare_payment_result_invalid"
    # results of the rest imported from a file
    results = csv_bytes(
        [
            [pids[1], "BTXH", "Không thành công", "", "", "Tài khoản bị khóa"],
            [pids[3], "BTXH", "Đã chi", "10/02/2026", "GD-0004", ""],
            [pids[4], "BTXH", "Bị trả lại", "", "", "Sai số tài khoản"],
            [personal_id(BIRTH), "BTXH", "Đã chi", "10/02/2026", "GD-9", ""],
        ],
        header=[
            "Số định danh cá nhân",
            "Chương trình",
            "Kết quả",
            "Ngày chi trả",
            "Mã giao dịch",
            "Lý do",
        ],
    )
    imported = await run(
        (await upload(client, setup, results, "kq.csv", kind="payments", period_id=period["id"]))[
            "id"
        ]
    )
    assert (imported["updated"], imported["rejected"]) == (3, 1)
    again = await run(
        (
            await upload(
                client, setup, results + b"\n", "kq2.csv", kind="payments", period_id=period["id"]
            )
        )["id"]
    )
    assert (again["unchanged"], again["updated"]) == (3, 0)

    table = (await client.get(f"{API}/periods/{period['id']}/reconciliation", headers=setup)).json()
    lines = {(x["commune_code"], x["programme_code"]): x for x in table["lines"]}
    a, b = lines[(COMMUNE_A, "BTXH")], lines[(COMMUNE_B, "BTXH")]
    # commune A: 500k paid, 600k failed, 750k pending; commune B: 500k paid, 750k returned
    assert (a["expected"], a["paid"], a["failed"], a["returned"], a["pending"]) == (3, 1, 1, 0, 1)
    assert (a["amount_expected"], a["amount_paid"], a["amount_failed"], a["amount_pending"]) == (
        1_850_000,
        500_000,
        600_000,
        750_000,
    )
    assert (b["expected"], b["paid"], b["failed"], b["returned"], b["pending"]) == (2, 1, 0, 1, 0)
    assert (b["amount_paid"], b["amount_failed"]) == (500_000, 750_000)
    totals = table["totals"]
    assert (totals["expected"], totals["paid"], totals["amount_expected"]) == (5, 2, 3_100_000)

    _, limited = await officer((COMMUNE_B,))
    only_b = (
        await client.get(f"{API}/periods/{period['id']}/reconciliation", headers=limited)
    ).json()
    assert [x["commune_code"] for x in only_b["lines"]] == [COMMUNE_B]
    export = await client.get(
        f"{API}/periods/{period['id']}/reconciliation/export",
        params={"format": "csv"},
        headers=setup,
    )
    assert export.status_code == 200 and "Tiền đã chi" in export.content.decode("utf-8-sig")
    assert await audited("welfare.reconciliation.export", period["id"]) == 1


async def test_the_citizen_sees_only_their_own_record_masked_and_is_notified(
    client: httpx.AsyncClient, setup: dict[str, str]
) -> None:
    mine, other = personal_id(BIRTH), personal_id(BIRTH)
    _person, headers = await citizen(mine, "Nguyễn Văn An", BIRTH)
    await citizen(other, "Nguyễn Văn An", BIRTH)
    rows = [row(mine, account="9704221234567"), row(other, account="1111222233")]
    await run((await upload(client, setup, csv_bytes(rows), "c.csv"))["id"])
    period = (await client.post(f"{API}/periods", json={"month": "2026-03"}, headers=setup)).json()
    await client.post(f"{API}/periods/{period['id']}/generate", headers=setup)
    items = (await client.get(f"{API}/periods/{period['id']}/payments", headers=setup)).json()[
        "items"
    ]
    # officers read whom each payment is for (the list names them)
    assert sorted((i["personal_id"], i["full_name"]) for i in items) == sorted(
        [(mine, "Nguyễn Văn An"), (other, "Nguyễn Văn An")]
    )
    for item in items:
        await client.put(
            f"{API}/payments/{item['id']}/result",
            json={"status": "failed", "reason": "Tài khoản bị khóa"},
            headers=setup,
        )
    me = (await client.get(f"{API}/me", headers=headers)).json()
    assert me["status"] == "active" and len(me["programmes"]) == 1
    entry = me["programmes"][0]
    assert entry["account_masked"] == "•••••••••4567"
    assert "1111222233" not in str(me) and "9704221234567" not in str(me)
    assert entry["monthly_amount"] == 500_000
    history = entry["payments"]
    assert len(history) == 1 and history[0]["status"] == "failed"
    assert "UBND" in history[0]["what_to_do_vi"]
    inbox = await client.get("/api/v1/inbox", headers=headers)
    assert any("Chưa chi trả được" in i["title"] for i in inbox.json()["items"]), inbox.text

    nobody = (await client.get(f"{API}/me", headers=await auth_headers())).json()
    assert nobody["programmes"] == [] and nobody["status"] == "none"
    assert (await client.get(f"{API}/me")).status_code == 401
    assert (await client.get(f"{API}/beneficiaries", headers=headers)).status_code == 403


async def test_a_commune_limited_officer_reads_only_their_communes_and_reads_are_audited(
    client: httpx.AsyncClient, setup: dict[str, str]
) -> None:
    in_a, in_b = personal_id(BIRTH), personal_id(BIRTH)
    rows = [row(in_a, name="Hoàng Thị Gấm"), row(in_b, commune=COMMUNE_B, name="Hoàng Văn Hải")]
    await run((await upload(client, setup, csv_bytes(rows), "l.csv"))["id"])
    _, limited = await officer((COMMUNE_A,))
    found = (
        await client.get(f"{API}/beneficiaries", params={"q": "hoang"}, headers=limited)
    ).json()
    assert [b["personal_id"] for b in found["items"]] == [in_a]
    everyone = (
        await client.get(f"{API}/beneficiaries", params={"q": "HOÀNG"}, headers=setup)
    ).json()
    assert len(everyone["items"]) == 2
    other_id = next(b["id"] for b in everyone["items"] if b["personal_id"] == in_b)
    own_id = next(b["id"] for b in everyone["items"] if b["personal_id"] == in_a)
    assert (await client.get(f"{API}/beneficiaries/{other_id}", headers=limited)).status_code == 404
    assert (await client.get(f"{API}/beneficiaries/{own_id}", headers=limited)).status_code == 200
    assert await audited("welfare.beneficiary.read", own_id) == 1
    assert await audited("welfare.beneficiary.search") >= 2
    export = await client.get(
        f"{API}/beneficiaries/export", params={"format": "xlsx"}, headers=limited
    )
    assert export.status_code == 200 and export.content.startswith(b"PK")
    assert await audited("welfare.beneficiary.export") == 1


async def test_a_paid_result_imported_from_a_results_file_notifies_the_citizen(
    client: httpx.AsyncClient, setup: dict[str, str]
) -> None:
    mine = personal_id(BIRTH)
    _person, headers = await citizen(mine, "Nguyễn Văn An", BIRTH)
    await run((await upload(client, setup, csv_bytes([row(mine)]), "n.csv"))["id"])
    period = (
        await client.post(
            f"{API}/periods", json={"month": "2026-05", "payout_date": "2026-05-10"}, headers=setup
        )
    ).json()
    await client.post(f"{API}/periods/{period['id']}/generate", headers=setup)
    results = csv_bytes(
        [[mine, "BTXH", "Đã chi", "12/05/2026", "GD-0042", ""]],
        header=[
            "Số định danh cá nhân",
            "Chương trình",
            "Kết quả",
            "Ngày chi trả",
            "Mã giao dịch",
            "Lý do",
        ],
    )
    imported = await run(
        (await upload(client, setup, results, "kq.csv", kind="payments", period_id=period["id"]))[
            "id"
        ]
    )
    assert imported["updated"] == 1

    inbox = (await client.get("/api/v1/inbox", headers=headers)).json()["items"]
    made = [i for i in inbox if i["title"] == "Đã chi trả Trợ cấp xã hội hằng tháng"]
    assert len(made) == 1, inbox
    assert "500.000 đồng" in made[0]["body"] and "12/05/2026" in made[0]["body"]
    assert (made[0]["category"], made[0]["deep_link"]) == ("welfare", "ctn://welfare")
