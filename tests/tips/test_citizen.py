"""The citizen's side over HTTP: filing confidential and anonymous reports, following them
up, messages and files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx

from backend.tips import challenge
from tests.support.auth import auth_headers, bearer_for, create_person
from tests.tips.conftest import (
    COMMUNE,
    SECRET_AUTHOR,
    SECRET_MAKER,
    media_with_metadata,
    pdf_with_metadata,
    photo_with_gps,
    proof,
    report,
    submit_anonymous,
    submit_confidential,
)

REFERENCE = re.compile(r"^TN-20\d\d-\d{6,}$")


async def test_a_confidential_report_is_filed_and_followed_by_its_reporter(
    tips_client: httpx.AsyncClient,
) -> None:
    await create_person("police_officer")  # the unit answering for the commune exists
    me = await auth_headers()
    submitted = await submit_confidential(tips_client, me)
    assert REFERENCE.match(submitted["reference"])
    assert submitted["kind"] == "confidential"
    assert "receipt" not in submitted
    assert "emergency" not in submitted

    mine = await tips_client.get("/api/v1/tips/mine", headers=me)
    assert [t["reference"] for t in mine.json()["items"]] == [submitted["reference"]]
    one = await tips_client.get(f"/api/v1/tips/mine/{submitted['reference']}", headers=me)
    assert one.status_code == 200
    view = one.json()
    assert view["content"]["description"].startswith("Có người bán ma túy")
    assert view["content"]["people"][0]["name"] == "Nguyễn Văn Bán"
    assert [o["label_vi"] for o in view["offences"]] == ["Ma túy", "Cờ bạc, cá độ"]
    assert one.headers["cache-control"] == "private, no-store"

    other = await auth_headers()
    refused = await tips_client.get(f"/api/v1/tips/mine/{submitted['reference']}", headers=other)
    assert refused.status_code == 404
    assert refused.json()["code"] == "tip_not_found"


async def test_a_confidential_report_needs_a_bearer_token(tips_client: httpx.AsyncClient) -> None:
    answer = await tips_client.post("/api/v1/tips", json=report(anonymous=False))
    assert answer.status_code == 401
    assert answer.json()["code"] == "tip_sign_in_required"
    forged = await tips_client.post(
        "/api/v1/tips", json=report(anonymous=False), headers={"Authorization": "Bearer x.y.z"}
    )
    assert forged.json()["code"] == "tip_sign_in_required"


async def test_a_confidential_retry_with_the_same_idempotency_key_files_one_report(
    tips_client: httpx.AsyncClient,
) -> None:
    me = await auth_headers()
    headers = {**me, "Idempotency-Key": "tip-retry-1"}
    body = report(anonymous=False)
    first = await tips_client.post("/api/v1/tips", json=body, headers=headers)
    again = await tips_client.post("/api/v1/tips", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["reference"] == again.json()["reference"]
    assert again.headers.get("idempotent-replayed") == "true"
    mine = await tips_client.get("/api/v1/tips/mine", headers=me)
    assert len(mine.json()["items"]) == 1


async def test_an_anonymous_report_gives_a_receipt_once_and_is_followed_with_it(
    tips_client: httpx.AsyncClient,
) -> None:
    submitted = await submit_anonymous(tips_client)
    receipt = submitted["receipt"]
    assert re.fullmatch(r"\d{20}", receipt)
    assert submitted["receipt_formatted"].replace(" ", "") == receipt
    assert REFERENCE.match(submitted["reference"])

    seen = await tips_client.get("/api/v1/tips/anonymous", headers={"X-Tip-Receipt": receipt})
    assert seen.status_code == 200, seen.text
    assert seen.json()["reference"] == submitted["reference"]
    assert seen.json()["status"] == "received"
    spaced = await tips_client.get(
        "/api/v1/tips/anonymous", headers={"X-Tip-Receipt": submitted["receipt_formatted"]}
    )
    assert spaced.status_code == 200

    reply = await tips_client.post(
        "/api/v1/tips/anonymous/messages",
        json={"body": "Tối nay họ lại bán."},
        headers={"X-Tip-Receipt": receipt},
    )
    assert reply.status_code == 201, reply.text
    thread = await tips_client.get("/api/v1/tips/anonymous", headers={"X-Tip-Receipt": receipt})
    assert [m["body"] for m in thread.json()["messages"]] == ["Tối nay họ lại bán."]


async def test_an_anonymous_report_from_a_signed_in_person_is_not_theirs(
    tips_client: httpx.AsyncClient,
) -> None:
    me = await auth_headers()
    submitted = await submit_anonymous(tips_client, headers=me)
    assert submitted["kind"] == "anonymous"
    mine = await tips_client.get("/api/v1/tips/mine", headers=me)
    assert mine.json()["items"] == []


async def test_ongoing_danger_reminds_to_call_113_in_every_answer(
    tips_client: httpx.AsyncClient,
) -> None:
    submitted = await submit_anonymous(tips_client, ongoing_danger=True)
    assert submitted["emergency"]["call"] == "113"
    assert "113" in submitted["emergency"]["message_vi"]
    refused = await tips_client.post(
        "/api/v1/tips", json=report(ongoing_danger=True, offences=["not-a-code"])
    )
    assert refused.status_code == 422
    assert refused.json()["emergency"]["call"] == "113"
    invalid = await tips_client.post("/api/v1/tips", json={"ongoing_danger": True})
    assert invalid.status_code == 422
    assert invalid.json()["emergency"]["call"] == "113"
    receipt = {"X-Tip-Receipt": submitted["receipt"]}
    followed = await tips_client.get("/api/v1/tips/anonymous", headers=receipt)
    assert followed.json()["emergency"]["call"] == "113"
    replied = await tips_client.post(
        "/api/v1/tips/anonymous/messages", json={"body": "Họ vẫn ở đây"}, headers=receipt
    )
    assert replied.json()["emergency"]["call"] == "113"
    uploaded = await tips_client.post(
        "/api/v1/tips/anonymous/attachments",
        files={"file": ("a.pdf", pdf_with_metadata())},
        headers=receipt,
    )
    assert uploaded.json()["emergency"]["call"] == "113"
    refused_file = await tips_client.post(
        "/api/v1/tips/anonymous/attachments",
        files={"file": ("a.exe", b"MZ" + b"\0" * 64)},
        headers=receipt,
    )
    assert refused_file.status_code == 415
    assert refused_file.json()["emergency"]["call"] == "113"


async def test_the_offence_list_has_vietnamese_labels(tips_client: httpx.AsyncClient) -> None:
    listed = (await tips_client.get("/api/v1/tips/offences")).json()
    labels = {o["code"]: o["label_vi"] for o in listed["items"]}
    assert labels["human_trafficking"] == "Mua bán người"
    assert listed["max_per_report"] == 3
    assert "VNeID" in listed["kinds_en"]


async def test_what_a_report_says_is_checked(tips_client: httpx.AsyncClient) -> None:
    async def code_of(**overrides: Any) -> str:
        body = report(**overrides)
        body["proof"] = await proof(tips_client)
        answer = await tips_client.post("/api/v1/tips", json=body)
        assert answer.status_code in (409, 422), answer.text
        return str(answer.json()["code"])

    assert await code_of(offences=["drugs", "theft", "fraud", "other"]) == "validation_failed"
    assert await code_of(offences=["bribery"]) == "tip_offence_unknown"
    assert await code_of(description="x" * 5001) == "validation_failed"
    hanoi = {"latitude": 21.0285, "longitude": 105.8542}
    assert await code_of(place=hanoi) == "tip_place_outside_province"
    assert await code_of(place={"commune_code": "00004"}) == "tip_commune_unknown"
    assert await code_of(place={}) == "tip_place_missing"
    assert await code_of(place={"unknown": True, "address": "x"}) == "tip_place_missing"
    assert (
        await code_of(incident_time={"kind": "exact", "at": "2999-01-01T00:00:00+07:00"})
        == "tip_incident_time_invalid"
    )
    outside = await tips_client.post("/api/v1/tips", json=report(place=hanoi))
    assert "Thái Nguyên" in outside.json()["detail"]


async def test_places_may_be_a_commune_only_or_unknown(tips_client: httpx.AsyncClient) -> None:
    by_commune = await submit_anonymous(tips_client, place={"commune_code": COMMUNE})
    unknown = await submit_anonymous(
        tips_client, place={"unknown": True}, incident_time={"kind": "unknown"}
    )
    assert by_commune["status"] == unknown["status"] == "received"


async def test_an_anonymous_report_needs_a_proof_of_work_that_holds(
    tips_client: httpx.AsyncClient,
) -> None:
    missing = await tips_client.post("/api/v1/tips", json=report())
    assert missing.json()["code"] == "tip_proof_of_work_required"

    issued = (await tips_client.get("/api/v1/tips/challenge")).json()
    assert issued["difficulty"] == 8
    nonce = challenge.solve(issued["challenge"], issued["difficulty"])
    wrong = str(int(nonce) + 1)
    while (
        challenge.leading_zero_bits(
            __import__("hashlib").sha256(f"{issued['challenge']}:{wrong}".encode()).digest()
        )
        >= issued["difficulty"]
    ):
        wrong = str(int(wrong) + 1)
    unsolved = await tips_client.post(
        "/api/v1/tips", json=report(proof={"challenge": issued["challenge"], "nonce": wrong})
    )
    assert unsolved.json()["code"] == "tip_proof_of_work_invalid"
    forged = issued["challenge"][:-2] + ("AA" if not issued["challenge"].endswith("AA") else "BB")
    tampered = await tips_client.post(
        "/api/v1/tips", json=report(proof={"challenge": forged, "nonce": nonce})
    )
    assert tampered.json()["code"] == "tip_proof_of_work_invalid"

    good = {"challenge": issued["challenge"], "nonce": nonce}
    first = await tips_client.post("/api/v1/tips", json=report(proof=good))
    assert first.status_code == 201
    again = await tips_client.post("/api/v1/tips", json=report(proof=good))
    assert again.status_code == 409
    assert again.json()["code"] == "tip_proof_of_work_spent"


async def test_a_challenge_past_its_time_or_easier_than_required_is_refused(
    tips_settings: Any,
) -> None:
    import msgspec
    import pytest

    from backend.tips.errors import ProofOfWorkInvalid

    old = challenge.issue(tips_settings, now=0)
    with pytest.raises(ProofOfWorkInvalid):
        challenge.check(
            tips_settings,
            challenge.Proof(challenge=old.challenge, nonce=challenge.solve(old.challenge, 8)),
        )
    easy = challenge.issue(msgspec.structs.replace(tips_settings, tips_pow_difficulty=1))
    with pytest.raises(ProofOfWorkInvalid):
        challenge.check(
            tips_settings,
            challenge.Proof(challenge=easy.challenge, nonce=challenge.solve(easy.challenge, 1)),
        )


async def test_files_of_a_confidential_report_keep_the_original_beside_a_stripped_copy(
    tips_client: httpx.AsyncClient, tips_settings: Any
) -> None:
    me = await auth_headers()
    submitted = await submit_confidential(tips_client, me)
    ref = submitted["reference"]
    photo = photo_with_gps()
    uploaded = await tips_client.post(
        f"/api/v1/tips/mine/{ref}/attachments",
        files={"file": ("IMG_0042 nhà ông Bán.jpg", photo, "image/jpeg")},
        headers=me,
    )
    assert uploaded.status_code == 201, uploaded.text
    attachment = uploaded.json()
    assert attachment["kind"] == "image"

    from backend.tips import attachments, repository

    row = await repository.get_attachment(__import__("uuid").UUID(attachment["id"]))
    assert row is not None and row.original_key and row.original_sha256
    assert row.filename == "" and row.sealed_filename is not None
    assert row.original_sha256 == __import__("hashlib").sha256(photo).hexdigest()
    original = b"".join(
        [c async for c in attachments.read_attachment(tips_settings, row.id, original=True)]
    )
    assert original == photo
    view = await tips_client.get(f"/api/v1/tips/mine/{ref}/attachments/{row.id}", headers=me)
    assert view.status_code == 200
    assert view.content.startswith(b"\xff\xd8")
    assert SECRET_MAKER.encode() not in view.content
    assert SECRET_AUTHOR.encode() not in view.content
    assert b"Exif" not in view.content
    ranged = await tips_client.get(
        f"/api/v1/tips/mine/{ref}/attachments/{row.id}",
        headers={**me, "Range": "bytes=10-99"},
    )
    assert ranged.status_code == 206
    assert ranged.content == view.content[10:100]
    listed = (await tips_client.get(f"/api/v1/tips/mine/{ref}", headers=me)).json()
    assert listed["attachments"][0]["filename"] == "IMG_0042 nhà ông Bán.jpg"


async def test_files_of_an_anonymous_report_lose_all_metadata_and_keep_no_original(
    tips_client: httpx.AsyncClient, tmp_path: Path
) -> None:
    submitted = await submit_anonymous(tips_client)
    receipt = {"X-Tip-Receipt": submitted["receipt"]}
    files = {
        "image": ("anh.jpg", photo_with_gps(), "image/jpeg"),
        "document": ("to-cao.pdf", pdf_with_metadata(), "application/pdf"),
        "video": ("clip.mp4", media_with_metadata(tmp_path, "video"), "video/mp4"),
        "audio": ("ghi-am.m4a", media_with_metadata(tmp_path, "audio"), "audio/mp4"),
    }
    ids = {}
    for kind, file in files.items():
        uploaded = await tips_client.post(
            "/api/v1/tips/anonymous/attachments", files={"file": file}, headers=receipt
        )
        assert uploaded.status_code == 201, f"{kind}: {uploaded.text}"
        assert uploaded.json()["kind"] == kind
        ids[kind] = uploaded.json()["id"]

    from backend.tips import repository

    for kind, attachment_id in ids.items():
        row = await repository.get_attachment(__import__("uuid").UUID(attachment_id))
        assert row is not None
        assert row.original_key is None and row.original_sha256 is None
        assert row.filename == "" and row.sealed_filename is None
        served = await tips_client.get(
            f"/api/v1/tips/anonymous/attachments/{attachment_id}", headers=receipt
        )
        assert served.status_code == 200, served.text
        body = served.content
        for secret in (SECRET_AUTHOR.encode(), SECRET_MAKER.encode(), b"+21.5928", b"2026-01-02"):
            assert secret not in body, (kind, secret)
        if kind in ("video", "audio"):
            probe = tmp_path / f"served-{kind}"
            probe.write_bytes(body)
            tags = _ffprobe_tags(probe)
            assert not {"artist", "comment", "location", "creation_time"} & set(tags), tags
    view = (await tips_client.get("/api/v1/tips/anonymous", headers=receipt)).json()
    assert {a["kind"] for a in view["attachments"]} == set(files)
    assert all("filename" not in a for a in view["attachments"])


def _ffprobe_tags(path: Path) -> dict[str, str]:
    import json
    import shutil
    import subprocess

    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        from backend.settings import get_settings
        from content.service import ffmpeg_binary

        out = subprocess.run(
            [
                ffmpeg_binary(get_settings()),
                "-hide_banner",
                "-i",
                str(path),
                "-f",
                "ffmetadata",
                "-",
            ],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return dict(
            line.split("=", 1)
            for line in out.splitlines()
            if "=" in line and not line.startswith(";")
        )
    data = json.loads(
        subprocess.run(
            [ffprobe, "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    tags = dict(data.get("format", {}).get("tags", {}))
    for stream in data.get("streams", []):
        tags.update(stream.get("tags", {}))
    return {k.lower(): v for k, v in tags.items()}


async def test_a_report_takes_a_bounded_number_of_files(
    tips_client: httpx.AsyncClient, tips_app: Any
) -> None:
    from backend.tips import attachments

    submitted = await submit_anonymous(tips_client)
    receipt = {"X-Tip-Receipt": submitted["receipt"]}
    limit = 10
    pdf = pdf_with_metadata()
    for _ in range(limit):
        ok = await tips_client.post(
            "/api/v1/tips/anonymous/attachments", files={"file": ("a.pdf", pdf)}, headers=receipt
        )
        assert ok.status_code == 201, ok.text
    refused = await tips_client.post(
        "/api/v1/tips/anonymous/attachments", files={"file": ("a.pdf", pdf)}, headers=receipt
    )
    assert refused.status_code == 413
    assert refused.json()["code"] == "tip_attachment_limit"
    assert attachments.MAX_BYTES["video"] == 300 * 1024 * 1024


async def test_files_of_another_type_are_refused(tips_client: httpx.AsyncClient) -> None:
    submitted = await submit_anonymous(tips_client)
    refused = await tips_client.post(
        "/api/v1/tips/anonymous/attachments",
        files={"file": ("a.exe", b"MZ\x90\x00" + b"\x00" * 100)},
        headers={"X-Tip-Receipt": submitted["receipt"]},
    )
    assert refused.status_code == 415
    assert refused.json()["code"] == "tip_attachment_type"


async def test_a_reporter_message_may_carry_a_file(tips_client: httpx.AsyncClient) -> None:
    person = await create_person()
    me = await bearer_for(person)
    ref = (await submit_confidential(tips_client, me))["reference"]
    message = await tips_client.post(
        f"/api/v1/tips/mine/{ref}/messages", json={"body": "Thêm ảnh"}, headers=me
    )
    assert message.status_code == 201
    message_id = message.json()["id"]
    uploaded = await tips_client.post(
        f"/api/v1/tips/mine/{ref}/attachments?message_id={message_id}",
        files={"file": ("a.jpg", photo_with_gps(), "image/jpeg")},
        headers=me,
    )
    assert uploaded.status_code == 201, uploaded.text
    view = (await tips_client.get(f"/api/v1/tips/mine/{ref}", headers=me)).json()
    assert view["attachments"] == []
    assert view["messages"][0]["attachments"][0]["id"] == uploaded.json()["id"]
