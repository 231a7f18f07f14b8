"""Articles in a real browser: a comms officer writes an article with a cover image (uploaded
through the media library here), a different person — an approver — reviews the diff and
publishes it, and an anonymous visitor reads it through the public API; the officer cannot
publish their own, nor can an approver who wrote one. The same flow with the keyboard only."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from PIL import Image
from playwright.async_api import Dialog, Page, expect

from tests.browser.conftest import (
    COMMS_APPROVER,
    COMMS_OFFICER,
    Browsing,
    Console,
    JobWorker,
    check_a11y,
    wait_for,
)

ARTICLE_PAGE = re.compile(r"/console/articles/(?P<slug>[a-z0-9-]+)$")


def an_article_page(url: str) -> bool:
    found = ARTICLE_PAGE.search(url)
    return found is not None and found["slug"] != "new"


def cover_file(tmp_path: Path, name: str = "anh-bia.png") -> Path:
    path = tmp_path / name
    Image.new("RGB", (800, 450), (200, 60, 40)).save(path, "PNG")
    return path


def accept_dialogs(page: Page) -> None:
    """`data-confirm` asks with window.confirm: say yes (what a person does with Enter)."""

    async def accept(dialog: Dialog) -> None:
        await dialog.accept()

    page.on("dialog", accept)


async def upload_cover(page: Page, worker: JobWorker, path: Path) -> None:
    """The officer uploads the cover in the media library and waits until it is ready."""
    await page.goto("/console/media/upload?purpose=article_image")
    await expect(page.get_by_label("Mục đích")).to_have_value("article_image")
    await page.locator("#media-file").set_input_files(path)
    await page.get_by_role("button", name="Tải lên").click()
    await page.wait_for_url(re.compile(r"/console/media/[0-9a-f-]{36}$"))

    async def ready() -> bool:
        return await page.locator("#media-status").get_attribute("data-status") == "ready"

    try:
        await wait_for(ready, "the cover image ready", timeout=60)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{worker.output()}") from None


async def anonymous_reads(console: Console, slug: str, title: str) -> None:
    """A visitor without an account: the public API lists and serves the article, and its
    cover image is served."""
    async with httpx.AsyncClient(base_url=console.url, timeout=20) as visitor:
        listed = (await visitor.get("/api/v1/articles")).json()["items"]
        assert slug in {a["slug"] for a in listed}
        article = await visitor.get(f"/api/v1/articles/{slug}")
        assert article.status_code == 200, article.text
        body = article.json()
        assert body["title"] == title
        assert "<strong>" in body["body_html"]
        assert body["cover"] is not None
        image = await visitor.get(body["cover"]["thumbnail_url"], follow_redirects=True)
        assert image.status_code == 200
        assert image.headers["content-type"].startswith("image/")


async def test_an_officer_writes_an_approver_publishes_and_anyone_reads_it(
    browsing: Browsing, console: Console, job_worker: JobWorker, tmp_path: Path
) -> None:
    title = "Thái Nguyên ra mắt bảng điều khiển cán bộ"
    officer = await browsing.signed_in(COMMS_OFFICER)
    await upload_cover(officer, job_worker, cover_file(tmp_path))

    await (
        officer.get_by_role("navigation", name="Trình đơn chính")
        .get_by_role("link", name="Bài viết")
        .click()
    )
    await officer.get_by_role("link", name="Viết bài mới").click()
    await expect(officer.get_by_role("heading", level=1)).to_have_text("Viết bài mới")
    await check_a11y(officer, "the article editor")
    await officer.get_by_label("Tiêu đề").fill(title)
    await officer.get_by_label("Tóm tắt").fill("Cán bộ làm việc trên trình duyệt.")
    await officer.get_by_label("Nội dung (Markdown)").fill(
        "Từ hôm nay, **cán bộ** dùng bảng điều khiển.\n\n- Bài viết\n- Thư viện media"
    )
    # The preview: the API's own Markdown rendering, as the person types.
    preview = officer.locator("#article-preview")
    await expect(preview.locator("strong")).to_have_text("cán bộ")
    await expect(preview.locator("li")).to_have_count(2)
    await officer.get_by_label("Đối tượng xem").select_option("public")
    await officer.get_by_label("Ảnh bìa (từ thư viện ảnh)").select_option(index=1)
    await officer.get_by_role("button", name="Lưu và gửi duyệt").click()

    await officer.wait_for_url(an_article_page)
    match = ARTICLE_PAGE.search(officer.url)
    assert match is not None
    slug = match["slug"]
    await expect(officer.get_by_role("heading", level=1)).to_have_text(title)
    await expect(officer.locator("main")).to_contain_text("Chờ duyệt")
    await expect(officer.locator("img.cover")).to_be_visible()
    await check_a11y(officer, "the article page")

    # The officer cannot publish their own: no review for them, the same 403 as the API.
    await expect(officer.get_by_role("link", name="Duyệt bài")).to_have_count(0)
    refused = await officer.goto(f"/console/articles/{slug}/review")
    assert refused is not None and refused.status == 403
    sent = await officer.evaluate(
        "async (slug) => (await window.ctnConsole.send(`/console/articles/${slug}/publish`,"
        " {body: new URLSearchParams()})).status",
        slug,
    )
    assert sent == 403

    # A different person, the approver: from the home page's card to the review.
    approver = await browsing.signed_in(COMMS_APPROVER)
    accept_dialogs(approver)
    card = approver.locator(".card", has_text="Bài viết chờ duyệt")
    await expect(card.locator(".card-count")).to_have_text("1")
    await card.get_by_role("link").click()
    await approver.get_by_role("link", name=title).click()
    await approver.get_by_role("link", name="Duyệt bài").click()
    await expect(approver.get_by_role("heading", level=1)).to_have_text(f"Duyệt bài: {title}")
    # Never approved before: the whole text is added.
    await expect(approver.locator(".article-diff ins").first).to_be_visible()
    await check_a11y(approver, "the review screen")
    await approver.get_by_role("button", name="Xuất bản").click()
    await approver.wait_for_url(re.compile(rf"/console/articles/{slug}$"))
    await expect(approver.locator("main")).to_contain_text("Đã xuất bản")

    await anonymous_reads(console, slug, title)

    # The officer's list of published articles has it.
    await officer.goto("/console/articles?status=published")
    await expect(officer.get_by_role("link", name=title)).to_be_visible()
    await check_a11y(officer, "the article list")


async def test_an_approver_who_wrote_an_article_may_not_publish_it(browsing: Browsing) -> None:
    approver = await browsing.signed_in(COMMS_APPROVER, to="/console/articles/new")
    accept_dialogs(approver)
    await approver.get_by_label("Tiêu đề").fill("Bài do người duyệt tự viết")
    await approver.get_by_label("Nội dung (Markdown)").fill("Nội dung.")
    await approver.get_by_role("button", name="Lưu và gửi duyệt").click()
    await approver.wait_for_url(an_article_page)
    await approver.get_by_role("link", name="Duyệt bài").click()
    actions = approver.locator("#review-actions")
    await expect(actions).to_contain_text("Bạn là tác giả bài này nên không được tự xuất bản")
    await actions.get_by_role("button", name="Xuất bản").click()
    await expect(actions.get_by_role("alert")).to_contain_text("Không thực hiện được")
    await check_a11y(approver, "the review screen with a refusal")
    await approver.reload()
    await expect(approver.locator("main")).to_contain_text("Chờ duyệt")


# --- the keyboard only ---------------------------------------------------------------------


async def tab_to(page: Page, selector: str, *, limit: int = 80, back: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the focused element matches `selector`: what a person
    does to reach a control without a mouse."""
    key = "Shift+Tab" if back else "Tab"
    for _ in range(limit):
        await page.keyboard.press(key)
        if await page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    focused = await page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
    raise AssertionError(f"{selector} not reached with {key} ({limit} presses); at {focused}")


async def test_the_article_flow_with_the_keyboard_only(
    browsing: Browsing, console: Console, job_worker: JobWorker, tmp_path: Path
) -> None:
    title = "Bài viết soạn bằng bàn phím"
    officer = await browsing.signed_in(COMMS_OFFICER)  # the address typed in the address bar
    keyboard = officer.keyboard

    # The cover image: the upload page through the menu, the file chooser opened with Space.
    await tab_to(officer, 'a[href="/console/media"]')
    await keyboard.press("Enter")
    await officer.wait_for_url(re.compile(r"/console/media$"))
    await tab_to(officer, 'a[href^="/console/media/upload"]')
    await keyboard.press("Enter")
    await officer.wait_for_url(re.compile(r"/console/media/upload"))
    await tab_to(officer, "#media-purpose")
    await keyboard.type("Ảnh bài")  # typing picks the option by its text
    await expect(officer.locator("#media-purpose")).to_have_value("article_image")
    await tab_to(officer, "#media-file")
    async with officer.expect_file_chooser() as chooser:
        await keyboard.press("Space")
    await (await chooser.value).set_files(cover_file(tmp_path, "bia-ban-phim.png"))
    await tab_to(officer, "#media-submit")
    await keyboard.press("Enter")
    await officer.wait_for_url(re.compile(r"/console/media/[0-9a-f-]{36}$"))

    async def ready() -> bool:
        return await officer.locator("#media-status").get_attribute("data-status") == "ready"

    await wait_for(ready, "the cover image ready", timeout=60)

    # The editor, from the menu.
    await tab_to(officer, 'a[href="/console/articles"]')
    await keyboard.press("Enter")
    await officer.wait_for_url(re.compile(r"/console/articles$"))
    await tab_to(officer, 'a[href="/console/articles/new"]')
    await keyboard.press("Enter")
    await officer.wait_for_url(re.compile(r"/console/articles/new$"))
    await tab_to(officer, "#f-title")
    await keyboard.type(title)
    await tab_to(officer, "#f-body")
    await keyboard.type("Soạn **hoàn toàn** bằng bàn phím.")
    await expect(officer.locator("#article-preview strong")).to_have_text("hoàn toàn")
    await tab_to(officer, "#f-cover_asset_id")
    await keyboard.press("ArrowDown")  # the first image of the library
    await expect(officer.locator("#f-cover_asset_id")).not_to_have_value("")
    await tab_to(officer, 'button[value="submit"]')
    await keyboard.press("Enter")
    await officer.wait_for_url(an_article_page)
    match = ARTICLE_PAGE.search(officer.url)
    assert match is not None
    slug = match["slug"]
    await expect(officer.locator("main")).to_contain_text("Chờ duyệt")

    # The approver: home card → list → article → review → publish, confirmed with Enter.
    approver = await browsing.signed_in(COMMS_APPROVER)
    accept_dialogs(approver)
    await tab_to(approver, 'a[href="/console/articles?status=in_review"]')
    await approver.keyboard.press("Enter")
    await approver.wait_for_url(re.compile(r"status=in_review"))
    await tab_to(approver, f'a[href="/console/articles/{slug}"]')
    await approver.keyboard.press("Enter")
    await approver.wait_for_url(re.compile(rf"/console/articles/{slug}$"))
    await tab_to(approver, f'a[href="/console/articles/{slug}/review"]')
    await approver.keyboard.press("Enter")
    await approver.wait_for_url(re.compile(rf"/console/articles/{slug}/review$"))
    await tab_to(approver, f'form[action$="/{slug}/publish"] button')
    await approver.keyboard.press("Enter")
    await approver.wait_for_url(re.compile(rf"/console/articles/{slug}$"))
    await expect(approver.locator("main")).to_contain_text("Đã xuất bản")

    await anonymous_reads_plain(console, slug, title)


async def anonymous_reads_plain(console: Console, slug: str, title: str) -> None:
    async with httpx.AsyncClient(base_url=console.url, timeout=20) as visitor:
        article = await visitor.get(f"/api/v1/articles/{slug}")
        assert article.status_code == 200, article.text
        assert article.json()["title"] == title
        assert article.json()["cover"] is not None
