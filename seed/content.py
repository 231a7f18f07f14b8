"""Demo data of the content domain: one short generated video, processed, and published
Vietnamese articles for each audience (public, internal, agencies).

The video is uploaded by the demo course administrator, so they find it in their media
(`GET /api/v1/media`); the cover image, the articles' author and approver are the demo
communications officer and approver of `backend.devidp.people`; the agency-targeted
articles name the demo agencies, which must exist first (the identity demo data is loaded
before this)."""

from __future__ import annotations

import asyncio
import io
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from backend.access import Principal, Role
from backend.db import unit_of_work
from backend.identity.service import do_provision_person
from backend.settings import Settings
from content import service
from content.articles import service as articles
from content.articles.schemas import ArticleCreate, Audience
from content.policy import Purpose
from content.tasks import run_processing
from content.video import ffmpeg_binary

DEMO_FILENAME = "gioi-thieu-c-thainguyen.mp4"
COURSE_ADMIN = ("019092051111", "Nông Văn Sơn")


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            yield chunk


async def seed_content(settings: Settings) -> None:
    """The demo video and the demo articles, each once: a second run finds them (by file
    name, by slug) and does nothing."""
    await seed_video(settings)
    await seed_articles(settings)


async def seed_video(settings: Settings) -> None:
    """A 3-second 640×360 test video, uploaded by the demo course administrator and
    transcoded through the service (HLS and MP4)."""
    if await service.find_asset_by_filename(DEMO_FILENAME) is not None:
        return
    async with unit_of_work():
        uploader = await do_provision_person(*COURSE_ADMIN)
    with tempfile.TemporaryDirectory(prefix="ctn-seed-") as work:
        path = Path(work) / DEMO_FILENAME
        await asyncio.to_thread(
            subprocess.run,
            [
                ffmpeg_binary(settings),
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc=duration=3:size=640x360:rate=25",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:duration=3",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p",
                "-c:a",
                "aac",
                "-shortest",
                str(path),
            ],
            check=True,
        )
        received = await service.receive_upload(
            settings, purpose=Purpose.COURSE_VIDEO, chunks=_chunks(path), filename=path.name
        )
    async with unit_of_work():
        row = await service.do_create_asset(received, created_by=uploader.id, enqueue=False)
    await run_processing(row.id)


# --- articles ---------------------------------------------------------------------------------

COMMS_OFFICER = ("019189031111", "Lê Thị Oanh")
COMMS_APPROVER = ("019076032222", "Trịnh Văn Phúc")
COVER_FILENAME = "anh-bia-de-an-06.jpg"

ARTICLES: tuple[dict[str, Any], ...] = (
    {
        "slug": "trien-khai-de-an-06-tren-dia-ban-tinh",
        "title": "Triển khai Đề án 06 trên địa bàn tỉnh Thái Nguyên",
        "summary": "Người dân có thể làm thủ tục hành chính bằng tài khoản định danh điện tử.",
        "topic": "chuyen-doi-so",
        "byline": "Sở Văn hóa, Thể thao và Du lịch",
        "audience": Audience.PUBLIC,
        "cover": True,
        "body": (
            "Ứng dụng **C-ThaiNguyen** giúp người dân:\n\n"
            "- đăng nhập bằng tài khoản **VNeID** mức 2;\n"
            "- tra cứu chế độ an sinh xã hội;\n"
            "- phản ánh về an ninh, trật tự kèm ảnh, video.\n\n"
            "Xem thêm tại [Cổng Dịch vụ công quốc gia](https://dichvucong.gov.vn)."
        ),
    },
    {
        "slug": "an-ninh-trat-tu-dip-cuoi-nam",
        "title": "An ninh trật tự dịp cuối năm: những điều cần biết",
        "summary": "Công an tỉnh khuyến cáo người dân chủ động phòng ngừa trộm cắp tài sản.",
        "topic": "an-ninh-trat-tu",
        "byline": "Công an tỉnh Thái Nguyên",
        "audience": Audience.PUBLIC,
        "body": (
            "## Khuyến cáo\n\n"
            "1. Khóa cửa, tắt điện khi ra khỏi nhà.\n"
            "2. Không để tài sản có giá trị trên xe máy.\n"
            "3. Phản ánh ngay qua ứng dụng khi thấy dấu hiệu nghi vấn."
        ),
    },
    {
        "slug": "canh-giac-lua-dao-qua-mang",
        "title": "Cảnh giác với thủ đoạn lừa đảo qua mạng",
        "summary": "Không cung cấp mã OTP, không cài ứng dụng lạ theo yêu cầu qua điện thoại.",
        "topic": "an-ninh-trat-tu",
        "byline": "Công an tỉnh Thái Nguyên",
        "audience": Audience.PUBLIC,
        "body": (
            "Đối tượng thường giả danh **cơ quan công an** hoặc nhân viên ngân hàng.\n\n"
            "> Cơ quan công an không làm việc qua điện thoại và không yêu cầu chuyển tiền."
        ),
    },
    {
        "slug": "huong-dan-ky-so-cho-can-bo",
        "title": "Hướng dẫn sử dụng chữ ký số cho cán bộ, công chức",
        "summary": "Quy trình ký số văn bản trên hệ thống quản lý văn bản của tỉnh.",
        "topic": "chuyen-doi-so",
        "byline": "Văn phòng UBND tỉnh",
        "audience": Audience.INTERNAL,
        "body": (
            "Cán bộ, công chức dùng chứng thư số do Ban Cơ yếu Chính phủ cấp.\n\n"
            "| Bước | Việc cần làm |\n|---|---|\n"
            "| 1 | Cắm thiết bị ký số |\n| 2 | Chọn văn bản, bấm **Ký số** |"
        ),
    },
    {
        "slug": "tap-huan-cap-nhat-du-lieu-dan-cu-cap-xa",
        "title": "Tập huấn cập nhật dữ liệu dân cư cấp xã",
        "summary": "Lịch tập huấn dành cho công chức UBND phường Phan Đình Phùng và xã Định Hóa.",
        "topic": "de-an-06",
        "byline": "Sở Nội vụ",
        "audience": Audience.AGENCIES,
        "agencies": ["UBND-05443", "UBND-05569"],
        "body": (
            "Thời gian: **8 giờ sáng thứ Năm** hằng tuần trong tháng.\n\n"
            "Địa điểm: hội trường UBND xã, phường."
        ),
    },
    {
        "slug": "khoa-hoc-ky-nang-so-cho-cong-chuc",
        "title": "Kế hoạch khóa học kỹ năng số cho công chức Sở Nội vụ",
        "summary": "Khóa học trực tuyến bắt buộc, hoàn thành trước cuối quý.",
        "topic": "dao-tao",
        "byline": "Sở Nội vụ",
        "audience": Audience.AGENCIES,
        "agencies": ["SO-NOIVU"],
        "body": "Mỗi công chức hoàn thành **5 bài học** và bài kiểm tra cuối khóa.",
    },
)


async def _cover_image(settings: Settings, uploader: uuid.UUID) -> uuid.UUID:
    """A generated 1280×720 image, uploaded for articles (once)."""
    existing = await service.find_asset_by_filename(COVER_FILENAME)
    if existing is not None:
        return existing
    image = Image.new("RGB", (1280, 720), (0, 82, 155))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 560, 1280, 720), fill=(218, 37, 29))
    draw.ellipse((540, 180, 740, 380), fill=(255, 205, 0))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)

    async def chunks() -> AsyncIterator[bytes]:
        yield buffer.getvalue()

    received = await service.receive_upload(
        settings, purpose=Purpose.ARTICLE_IMAGE, chunks=chunks(), filename=COVER_FILENAME
    )
    async with unit_of_work():
        row = await service.do_create_asset(received, created_by=uploader)
    return row.id


async def seed_articles(settings: Settings) -> None:
    """The demo articles, written by the demo communications officer and published by the
    demo approver through the article service."""
    async with unit_of_work():
        officer = await do_provision_person(*COMMS_OFFICER)
        approver = await do_provision_person(*COMMS_APPROVER)
    writer = Principal(id=officer.id, roles=frozenset({Role.COMMS_OFFICER}))
    publisher = Principal(id=approver.id, roles=frozenset({Role.COMMS_APPROVER}))
    cover: uuid.UUID | None = None
    for spec in ARTICLES:
        async with unit_of_work():
            if await articles.find_article_slug(spec["slug"]):
                continue
            if spec.get("cover") and cover is None:
                cover = await _cover_image(settings, officer.id)
            draft = ArticleCreate(
                title=spec["title"],
                summary=spec["summary"],
                body=spec["body"],
                slug=spec["slug"],
                topic=spec["topic"],
                byline=spec["byline"],
                audience=spec["audience"],
                agencies=spec.get("agencies", []),
                cover_asset_id=cover if spec.get("cover") else None,
            )
            await articles.do_create_article(settings, writer, draft)
            await articles.do_submit_article(writer, spec["slug"])
            await articles.do_publish_article(settings, publisher, spec["slug"])
