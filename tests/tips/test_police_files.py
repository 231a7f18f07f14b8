"""Files of a report read by the police (the stripped copy, the confidential original as
evidence, byte ranges; every read audited), and files an officer adds to a message."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from tests.tips.conftest import SECRET_AUTHOR, pdf_with_metadata, photo_with_gps
from tests.tips.police_fixtures import (
    COMMUNE_A,
    POLICE_API,
    audit_trail,
    file_anonymous,
    file_confidential,
    tip_id_of,
    two_units,
)


async def test_the_police_read_a_reports_photo_and_its_original_and_each_read_is_audited(
    tips_client: httpx.AsyncClient,
) -> None:
    units = await two_units()
    filed, reporter = await file_confidential(tips_client, COMMUNE_A)
    photo = photo_with_gps()
    uploaded = await tips_client.post(
        f"/api/v1/tips/mine/{filed['reference']}/attachments",
        files={"file": ("IMG_0042.jpg", photo, "image/jpeg")},
        headers=reporter,
    )
    assert uploaded.status_code == 201, uploaded.text
    tip_id = await tip_id_of(tips_client, units.a_officer, filed["reference"])
    report = (
        await tips_client.get(f"{POLICE_API}/{tip_id}", headers=units.a_officer.headers)
    ).json()
    [attachment] = report["attachments"]
    assert attachment["filename"] == "IMG_0042.jpg"
    assert attachment["original_sha256"] == hashlib.sha256(photo).hexdigest()

    view = await tips_client.get(attachment["url"], headers=units.a_officer.headers)
    assert view.status_code == 200
    assert view.headers["content-type"] == "image/jpeg"
    assert view.content.startswith(b"\xff\xd8")
    assert SECRET_AUTHOR.encode() not in view.content
    assert view.headers["cache-control"] == "private, no-store"
    ranged = await tips_client.get(
        attachment["url"], headers={**units.a_officer.headers, "Range": "bytes=5-54"}
    )
    assert ranged.status_code == 206
    assert ranged.content == view.content[5:55]
    assert ranged.headers["content-range"] == f"bytes 5-54/{len(view.content)}"
    past = await tips_client.get(
        attachment["url"],
        headers={**units.a_officer.headers, "Range": f"bytes={len(view.content)}-"},
    )
    assert past.status_code == 416
    original = await tips_client.get(attachment["original_url"], headers=units.a_supervisor.headers)
    assert original.content == photo

    outsider = await tips_client.get(attachment["url"], headers=units.b_officer.headers)
    assert (outsider.status_code, outsider.json()["code"]) == (404, "tip_not_found")
    reads = await audit_trail("tip.attachment_read", tip_id)
    assert [(r.actor_id, r.details["original"]) for r in reads] == [
        (str(units.a_officer.id), False),
        (str(units.a_officer.id), False),
        (str(units.a_supervisor.id), True),
    ]
    assert reads[1].details["range"] == [5, 54]


async def test_an_anonymous_reports_file_has_no_original_and_no_name(
    tips_client: httpx.AsyncClient,
) -> None:
    units = await two_units()
    filed = await file_anonymous(tips_client, COMMUNE_A)
    uploaded = await tips_client.post(
        "/api/v1/tips/anonymous/attachments",
        files={"file": ("to-cao.pdf", pdf_with_metadata(), "application/pdf")},
        headers={"X-Tip-Receipt": filed["receipt"]},
    )
    assert uploaded.status_code == 201, uploaded.text
    tip_id = await tip_id_of(tips_client, units.a_officer, filed["reference"])
    report = (
        await tips_client.get(f"{POLICE_API}/{tip_id}", headers=units.a_officer.headers)
    ).json()
    [attachment] = report["attachments"]
    assert (attachment["filename"], attachment["original_url"]) == (None, None)
    refused = await tips_client.get(
        f"{POLICE_API}/{tip_id}/attachments/{attachment['id']}?original=true",
        headers=units.a_officer.headers,
    )
    assert refused.status_code == 404
    view = await tips_client.get(attachment["url"], headers=units.a_officer.headers)
    assert view.content.startswith(b"%PDF-")
    assert SECRET_AUTHOR.encode() not in view.content


async def test_an_officer_adds_a_file_to_their_message_and_the_reporter_reads_it(
    tips_client: httpx.AsyncClient,
) -> None:
    units = await two_units()
    filed, reporter = await file_confidential(tips_client, COMMUNE_A)
    tip_id = await tip_id_of(tips_client, units.a_officer, filed["reference"])
    sent = await tips_client.post(
        f"{POLICE_API}/{tip_id}/messages",
        json={"body": "Đây có phải người bạn thấy không?"},
        headers=units.a_officer.headers,
    )
    message_id = sent.json()["id"]
    url = f"{POLICE_API}/{tip_id}/messages/{message_id}/attachments"
    photo: Any = ("nghi-pham.jpg", photo_with_gps(), "image/jpeg")
    not_theirs = await tips_client.post(
        url, files={"file": photo}, headers=units.a_supervisor.headers
    )
    assert (not_theirs.status_code, not_theirs.json()["code"]) == (404, "tip_message_not_found")
    added = await tips_client.post(url, files={"file": photo}, headers=units.a_officer.headers)
    assert added.status_code == 201, added.text
    assert added.json()["message_id"] == message_id

    mine = (
        await tips_client.get(f"/api/v1/tips/mine/{filed['reference']}", headers=reporter)
    ).json()
    [message] = mine["messages"]
    assert message["sender"] == "police"
    assert [a["id"] for a in message["attachments"]] == [added.json()["id"]]
    report = (
        await tips_client.get(f"{POLICE_API}/{tip_id}", headers=units.a_officer.headers)
    ).json()
    assert report["messages"][0]["attachments"] == [added.json()["id"]]
    trail = await audit_trail("tip.message_attachment", tip_id)
    assert [e.details["attachment"] for e in trail] == [added.json()["id"]]
