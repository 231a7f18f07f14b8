"""Demo data of crime reports: reports in the three demo police units' queues — Công an
phường Phan Đình Phùng, Công an xã Định Hóa and the provincial queue of Công an tỉnh
(`CTN_TIPS_PROVINCIAL_UNIT`, whose people the identity seed creates) — anonymous and
confidential, in several communes and every status of the workflow, with messages both ways,
a photo, a transfer and a duplicate, so that the police console shows a working day.

Everything goes through the services, as the app and the console do: reports are filed by
`citizen.do_submit_tip` (anonymous ones with a solved proof of work, their files and
messages through the receipt, as the app sends them; confidential ones by the demo citizens),
and handled by the demo officers and supervisors through `police` (triage, assignment,
investigation, messages, closing, transfer), each change with the version it saw. The proof
of work is made trivial for the seed only (its cost protects the public route, not the data).

Loaded once: a mark in the system state (`demo_tips`) says it was; `ctn seed` again leaves
the reports alone (filing them twice would double the queue).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from backend.access import Principal, Role
from backend.devidp.people import BY_PERSONAL_ID
from backend.identity.service import do_provision_person
from backend.settings import Settings
from backend.system.service import do_set_state, get_state
from backend.tips import attachments, challenge, citizen, police
from backend.tips.citizen_schemas import TipCreate
from backend.tips.police_schemas import TipWorkflow
from backend.tips.workflow import Outcome, Urgency
from content.service import UploadBody

STATE_KEY = "demo_tips"
ROUTE = "seed"

# The demo people (backend/devidp/people.py).
AN = "019090001234"  # citizen, Phan Đình Phùng
BINH = "019185004321"  # citizen, Định Hóa
CUONG = "019072005678"  # citizen, Tân Cương
DUNG = "019198007777"  # citizen, Quyết Thắng
KHANG = "019086021111"  # officer, CA-PDP
LONG = "019079022222"  # supervisor, CA-PDP
MAI = "019193023333"  # officer, CA-DH
NAM = "019081024444"  # supervisor, CA-DH
QUAN = "019077025555"  # supervisor, CA-TINH (the provincial queue)
NGOC = "019195026666"  # officer, CA-TINH

CITY = (21.5942, 105.8480)
"""Near the centre of Phan Đình Phùng ward (coordinates inside the province)."""


@dataclass
class Step:
    """One thing done to a report after it is filed, by whom."""

    who: str
    action: str
    """triage, assign, start, close, transfer, message (police) or reply (the reporter)."""
    value: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class DemoReport:
    key: str
    anonymous: bool
    offences: list[str]
    description: str
    commune: str | None
    address: str | None = None
    coordinates: tuple[float, float] | None = None
    reporter: str | None = None
    """A confidential report's reporter."""
    ongoing_danger: bool = False
    incident: str = "approximate"
    days_ago: int = 2
    people: list[dict[str, str]] = field(default_factory=list)
    victims: list[dict[str, str]] = field(default_factory=list)
    organisation: dict[str, str] | None = None
    photo: bool = False
    steps: list[Step] = field(default_factory=list)


REPORTS: tuple[DemoReport, ...] = (
    DemoReport(
        key="drugs-lane",
        anonymous=True,
        offences=["drugs"],
        description=(
            "Có một nhóm thanh niên thường tụ tập ở quán nước cuối ngõ 12, tối nào cũng có"
            " người lạ đi xe máy đến đưa gói nhỏ rồi đi ngay. Tôi nghi là mua bán ma túy."
        ),
        commune="05443",
        address="Cuối ngõ 12, tổ 7",
        coordinates=CITY,
        people=[{"description": "Nam, khoảng 25 tuổi, tóc nhuộm vàng, đi xe Exciter xanh"}],
        photo=True,
        steps=[Step("reporter", "reply", "Tối nay (khoảng 21 giờ) nhóm đó lại tụ tập đông.")],
    ),
    DemoReport(
        key="bike-theft",
        anonymous=False,
        reporter=AN,
        offences=["theft"],
        description=(
            "Xe máy Honda Vision màu trắng của tôi bị lấy trộm trước cửa nhà trong đêm."
            " Khóa cổ bị phá. Camera nhà hàng xóm có thể đã quay được."
        ),
        commune="05455",
        address="Số 34, đường Hoàng Văn Thụ",
        incident="exact",
        days_ago=3,
        steps=[
            Step(LONG, "triage", Urgency.NORMAL),
            Step(LONG, "assign", KHANG),
            Step(KHANG, "start"),
            Step(
                KHANG,
                "message",
                "Chào anh, tôi là cán bộ thụ lý. Anh cho biết biển số xe và số khung để tra"
                " cứu; nhà hàng xóm có camera là số nhà nào?",
            ),
            Step(
                "reporter",
                "reply",
                "Biển số 20B1-123.45, số khung in trong giấy đăng ký. Camera ở nhà số 36.",
            ),
        ],
    ),
    DemoReport(
        key="online-scam",
        anonymous=True,
        offences=["fraud"],
        description=(
            "Một tài khoản mạng xã hội mạo danh cán bộ ngân hàng nhắn tin cho nhiều người ở"
            " tổ dân phố, đề nghị cài ứng dụng lạ để 'cập nhật sinh trắc học'. Mẹ tôi suýt"
            " bị lừa chuyển tiền."
        ),
        commune="05467",
        incident="unknown",
        victims=[{"description": "Nhiều người cao tuổi trong tổ dân phố"}],
        steps=[
            Step(KHANG, "triage", Urgency.HIGH),
            Step(KHANG, "assign", KHANG),
            Step(
                KHANG,
                "message",
                "Cảm ơn bạn. Nếu còn giữ, bạn gửi giúp ảnh chụp màn hình tin nhắn và tên tài"
                " khoản mạo danh. Tuyệt đối không cài ứng dụng hay chuyển tiền theo yêu cầu.",
            ),
        ],
    ),
    DemoReport(
        key="gambling-dh",
        anonymous=False,
        reporter=BINH,
        offences=["gambling"],
        description=(
            "Tối thứ Bảy hằng tuần có tụ tập đánh bạc ở lán trại gần bãi keo, xóm Làng Mới,"
            " khoảng 10 người."
        ),
        commune="05569",
        address="Lán trại gần bãi keo, xóm Làng Mới",
        days_ago=9,
        steps=[
            Step(NAM, "triage", Urgency.LOW),
            Step(NAM, "assign", MAI),
            Step(MAI, "start"),
            Step(MAI, "message", "Cảm ơn chị. Công an xã đã kiểm tra, lập biên bản và giải tán."),
            Step(
                MAI,
                "close",
                Outcome.RESOLVED,
                {"note": "Kiểm tra lúc 21 giờ thứ Bảy, lập biên bản 8 người."},
            ),
        ],
    ),
    DemoReport(
        key="violence-now",
        anonymous=True,
        ongoing_danger=True,
        offences=["violence", "weapons"],
        description=(
            "Đang có hai nhóm đánh nhau ở bãi đất trống cạnh chợ, có người cầm dao. Tôi đã"
            " gọi 113 nhưng báo thêm ở đây."
        ),
        commune="05581",
        incident="exact",
        days_ago=0,
        steps=[Step(NAM, "triage", Urgency.EMERGENCY), Step(NAM, "assign", MAI)],
    ),
    DemoReport(
        key="river-dumping",
        anonymous=True,
        offences=["environment"],
        description=(
            "Có xe bồn xả nước thải màu đen xuống suối vào ban đêm, mùi rất hôi. Tôi không"
            " nhớ chính xác địa điểm, chỉ biết là trên đường đi làm về."
        ),
        commune=None,
        incident="approximate",
        days_ago=4,
    ),
    DemoReport(
        key="reckless-truck",
        anonymous=False,
        reporter=CUONG,
        offences=["traffic"],
        description=(
            "Xe tải chở đất không che phủ chạy quá tốc độ qua đường liên xóm, rơi vãi đất"
            " đá, suýt gây tai nạn cho học sinh."
        ),
        commune="05503",
        address="Đường liên xóm Đồng Kết",
        days_ago=1,
        steps=[Step(QUAN, "triage", Urgency.NORMAL)],
    ),
    DemoReport(
        key="false-alarm",
        anonymous=True,
        offences=["theft"],
        description="Thấy người lạ bê đồ từ nhà bên cạnh ra xe lúc sáng sớm.",
        commune="05443",
        days_ago=6,
        steps=[
            Step(LONG, "triage", Urgency.LOW),
            Step(
                LONG,
                "close",
                Outcome.UNFOUNDED,
                {"note": "Gia đình chuyển nhà, đã xác minh với chủ nhà."},
            ),
        ],
    ),
    DemoReport(
        key="drugs-again",
        anonymous=True,
        offences=["drugs"],
        description="Quán nước cuối ngõ 12 có người bán ma túy, tối nào cũng thấy.",
        commune="05443",
        days_ago=1,
        steps=[
            Step(KHANG, "triage", Urgency.NORMAL),
            Step(KHANG, "close", Outcome.DUPLICATE, {"duplicate_of": "drugs-lane"}),
        ],
    ),
    DemoReport(
        key="shop-fraud",
        anonymous=False,
        reporter=DUNG,
        offences=["fraud"],
        description=(
            "Cửa hàng điện thoại bán máy cũ dán tem mới, bán như hàng mới. Tôi mua ở chi"
            " nhánh thị trấn Chợ Chu (Định Hóa), không phải ở phường."
        ),
        commune="05455",
        organisation={"name": "Hội Bảo vệ người tiêu dùng phường", "tax_code": "4600123456"},
        steps=[
            Step(
                LONG,
                "transfer",
                "CA-DH",
                {"reason": "Cửa hàng ở địa bàn xã Định Hóa, chuyển Công an xã thụ lý."},
            )
        ],
    ),
)


# --- the people ----------------------------------------------------------------------------------


class _People:
    def __init__(self) -> None:
        self.ids: dict[str, uuid.UUID] = {}

    async def load(self, personal_ids: Sequence[str]) -> None:
        for personal_id in personal_ids:
            person = BY_PERSONAL_ID[personal_id]
            summary = await do_provision_person(personal_id, person.full_name)
            self.ids[personal_id] = summary.id

    def principal(self, personal_id: str) -> Principal:
        person = BY_PERSONAL_ID[personal_id]
        return Principal(
            id=self.ids[personal_id],
            roles=frozenset({Role.CITIZEN.value, *person.roles}),
            police_units=frozenset({person.police_unit} if person.police_unit else set()),
        )


# --- a photo -------------------------------------------------------------------------------------


def demo_photo() -> bytes:
    """A small JPEG of a lane at night (drawn, no camera): what a reporter's photo looks like
    on the report page."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 427), (24, 30, 48))
    draw = ImageDraw.Draw(image)
    draw.polygon([(0, 427), (250, 230), (390, 230), (640, 427)], fill=(70, 70, 78))
    draw.rectangle((0, 120, 210, 330), fill=(96, 78, 60))
    draw.rectangle((430, 100, 640, 340), fill=(88, 92, 104))
    draw.rectangle((40, 180, 120, 260), fill=(236, 196, 96))
    draw.ellipse((292, 60, 348, 116), fill=(250, 240, 200))
    draw.rectangle((270, 280, 330, 320), fill=(30, 120, 60))
    draw.ellipse((268, 312, 290, 334), fill=(10, 10, 10))
    draw.ellipse((312, 312, 334, 334), fill=(10, 10, 10))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


async def _once(data: bytes) -> Any:
    yield data


# --- filing and handling -------------------------------------------------------------------------


def _create(spec: DemoReport, now: datetime, proof: dict[str, str] | None) -> TipCreate:
    happened = now - timedelta(days=spec.days_ago, hours=3)
    if spec.incident == "exact":
        incident: dict[str, Any] = {"kind": "exact", "at": happened.isoformat()}
    elif spec.incident == "approximate":
        incident = {
            "kind": "approximate",
            "start": (happened - timedelta(hours=6)).isoformat(),
            "end": happened.isoformat(),
        }
    else:
        incident = {"kind": "unknown"}
    place: dict[str, Any] = {"unknown": True}
    if spec.commune is not None:
        place = {"commune_code": spec.commune, "address": spec.address}
        if spec.coordinates is not None:
            place |= {"latitude": spec.coordinates[0], "longitude": spec.coordinates[1]}
    body: dict[str, Any] = {
        "anonymous": spec.anonymous,
        "offences": spec.offences,
        "description": spec.description,
        "incident_time": incident,
        "place": place,
        "ongoing_danger": spec.ongoing_danger,
        "people": spec.people,
        "victims": spec.victims,
        "organisation": spec.organisation,
        "proof": proof,
    }
    return msgspec.convert(body, TipCreate)


@dataclass
class Filed:
    reference: str
    caller: citizen.Caller
    version: int = 1


async def _file(settings: Settings, people: _People, spec: DemoReport, now: datetime) -> Filed:
    proof = None
    if spec.anonymous:
        issued = challenge.issue(settings)
        proof = {
            "challenge": issued.challenge,
            "nonce": challenge.solve(issued.challenge, issued.difficulty),
        }
    reporter = None if spec.anonymous or spec.reporter is None else people.principal(spec.reporter)
    submitted = await citizen.do_submit_tip(
        settings, _create(spec, now, proof), reporter=reporter, client_address=None
    )
    if spec.anonymous:
        assert submitted.receipt is not None
        found = await citizen.access_tip_by_receipt(
            settings, submitted.receipt, client_address=None, route=ROUTE
        )
    else:
        assert reporter is not None
        found = await citizen.access_own_tip(reporter, submitted.reference)
    if spec.photo:
        photo = demo_photo()
        await attachments.do_receive_attachment(
            settings,
            found.tip,
            UploadBody(
                content_type="image/jpeg",
                content_disposition='attachment; filename="ngo-12.jpg"',
                length=len(photo),
                chunks=_once(photo),
            ),
        )
    return Filed(reference=submitted.reference, caller=found)


async def _handle(
    settings: Settings,
    people: _People,
    filed: Filed,
    steps: list[Step],
    references: dict[str, str],
) -> None:
    tip_id = filed.caller.tip.id
    for step in steps:
        if step.action == "reply":
            await citizen.do_post_reporter_message(settings, filed.caller, str(step.value))
            continue
        who = people.principal(step.who)
        if step.action == "message":
            await police.do_post_message(who, tip_id, str(step.value))
            continue
        done: TipWorkflow
        if step.action == "triage":
            done = await police.do_triage(
                who, tip_id, Urgency(step.value), expected_version=filed.version
            )
        elif step.action == "assign":
            done = await police.do_assign(
                who, tip_id, people.ids[str(step.value)], expected_version=filed.version
            )
        elif step.action == "start":
            done = await police.do_start_investigation(who, tip_id, expected_version=filed.version)
        elif step.action == "close":
            duplicate = step.extra.get("duplicate_of")
            done = await police.do_close(
                who,
                tip_id,
                Outcome(step.value),
                duplicate_of=references[duplicate] if duplicate else None,
                note=step.extra.get("note"),
                expected_version=filed.version,
            )
        elif step.action == "transfer":
            done = await police.do_transfer(
                who,
                tip_id,
                str(step.value),
                reason=step.extra.get("reason"),
                expected_version=filed.version,
            )
        else:  # pragma: no cover - a typo in REPORTS
            raise ValueError(step.action)
        filed.version = done.version


async def seed_tips(settings: Settings) -> int:
    """File and handle the demo reports (once); the number filed by this run."""
    if await get_state(STATE_KEY):
        return 0
    # The seed solves its own challenges: a trivial proof of work, and no submission limit
    # (they protect the public route; the seed is not a client).
    local = msgspec.structs.replace(
        settings, tips_pow_difficulty=0, tips_anonymous_per_address=10_000
    )
    people = _People()
    await people.load([AN, BINH, CUONG, DUNG, KHANG, LONG, MAI, NAM, QUAN, NGOC])
    now = datetime.now(UTC)
    references: dict[str, str] = {}
    for spec in REPORTS:
        filed = await _file(local, people, spec, now)
        references[spec.key] = filed.reference
        await _handle(local, people, filed, spec.steps, references)
    await do_set_state(STATE_KEY, {"reports": references})
    return len(REPORTS)
