"""The staff console in a real browser: Debian's headless Chromium driven by Playwright (async
API, on the suite's session event loop) against `ctn serve` with the development identity
provider, on this pytest-xdist worker's test database.

- one browser per worker process (session scope), a fresh context (cookies, storage) per
  signed-in person and per test;
- the demo people seeded with their roles before each test (`seed.identity:seed_people`), the
  database really written and emptied afterwards (`committed`);
- `ctn worker` beside the server only for the tests that need jobs run (media processing): a
  worker living the whole session would take the jobs other tests of this process enqueue;
- on failure, a full-page screenshot of every page the test opened, in artifacts/browser/;
- `check_a11y(page)`: axe-core, no serious or critical violation.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.conftest import ROOT, TEST_SECRET_KEY
from tests.identity.conftest import LiveServer, running_server

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts" / "browser"
# This machine has no network: without these, Chromium waits on services it cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}

# The demo people (backend/devidp/people.py) and the roles seed_people gives them.
CITIZEN = "019090001234"
COMMS_OFFICER = "019189031111"  # Lê Thị Oanh
COMMS_APPROVER = "019076032222"  # Trịnh Văn Phúc
WELFARE_OFFICER = "019184041111"
COURSE_ADMIN = "019092051111"  # Nông Văn Sơn
AUDITOR = "019180061111"  # Tạ Thị Thảo
SYSTEM_ADMIN = "019083071111"  # Dương Minh Tuấn
POLICE_OFFICER = "019086021111"
POLICE_SUPERVISOR = "019079022222"
CIVIL_SERVANT = "019088011111"

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without Chromium the browser tests are skipped on a developer's machine; in CI (`CI`
    set) they run, and fail."""
    if Path(CHROMIUM).exists() or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing (apt-get install chromium)")
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(skip)


# --- failure screenshots -----------------------------------------------------------------------


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    return any(
        getattr(request.node, f"report_{when}", None) is not None
        and getattr(request.node, f"report_{when}").failed
        for when in ("setup", "call")
    )


def _artifact_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.removeprefix("tests/browser/")).strip("_")


# --- the served app ----------------------------------------------------------------------------


@dataclass
class Console:
    """The served app, as the browser tests reach it."""

    server: LiveServer
    data_dir: Path
    env: dict[str, str]

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="session")
def console(
    server_url: str, database_name: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Console]:
    """`ctn serve --allow-dev-idp` for this worker's browser tests (its own process, its own
    data directory, this worker's database)."""
    tmp = tmp_path_factory.mktemp("browser")
    database_url = server_url.format(db=database_name)
    with running_server(tmp, database_url) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CTN_", "PYTEST_"))}
        env.update(
            DATABASE_URL=database_url,
            CTN_DATA_DIR=str(tmp / "data"),
            CTN_SECRET_KEY=TEST_SECRET_KEY,
            CTN_PUBLIC_URL=server.url,
            CTN_DB_POOL_MIN="0",
        )
        yield Console(server=server, data_dir=tmp / "data", env=env)


@dataclass
class JobWorker:
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture
def job_worker(console: Console, tmp_path: Path) -> Iterator[JobWorker]:
    """`ctn worker` beside the served app, same database and data directory, for one test."""
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "backend", "worker", "--concurrency", "2"],
            env=console.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield JobWorker(process, log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
async def demo_people(committed: None) -> AsyncIterator[None]:
    """The demo agencies, police units and people with their roles, really committed; the
    tables are emptied after the test (`committed`, and the content tables here)."""
    from backend.db import engine, unit_of_work
    from seed.identity import seed_people
    from tests.content.conftest import CONTENT_TABLES

    async with unit_of_work():
        await seed_people()
    yield
    connection = await engine().get_new_connection()
    try:
        await connection.execute(f"TRUNCATE {', '.join(CONTENT_TABLES)}")
    finally:
        await connection.close()


# --- the browser -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One headless Chromium per worker process, from Debian's package (no download)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@dataclass
class Browsing:
    """Opens pages for a test, each in a context of its own (a person at their own computer),
    and remembers them for the failure screenshots."""

    browser: Browser
    url: str
    contexts: list[BrowserContext] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)

    async def page(self, *, phone: bool = False, lang: str | None = None) -> Page:
        context = await self.browser.new_context(
            base_url=self.url,
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
            **(PHONE if phone else DESKTOP),
        )
        context.set_default_timeout(10_000)
        context.set_default_navigation_timeout(15_000)
        if lang:
            await context.add_cookies([{"name": "ctn_lang", "value": lang, "url": self.url}])
        self.contexts.append(context)
        page = await context.new_page()
        self.pages.append(page)
        return page

    async def signed_in(
        self,
        personal_id: str,
        *,
        phone: bool = False,
        lang: str | None = None,
        to: str = "/console/",
    ) -> Page:
        """A page of a person signed in through the web flow and the development provider
        (its `login_hint` skips the picker), landed on `to`."""
        page = await self.page(phone=phone, lang=lang)
        await sign_in(page, personal_id, to)
        return page


async def sign_in(page: Page, personal_id: str, to: str = "/console/") -> None:
    query = urlencode({"login_hint": personal_id, "return_to": to})
    response = await page.goto(f"/auth/login?{query}")
    assert response is not None
    path = to.split("?")[0]
    await page.wait_for_url(re.compile(re.escape(path)))


@pytest.fixture
async def browsing(
    browser: Browser, console: Console, demo_people: None, request: pytest.FixtureRequest
) -> AsyncIterator[Browsing]:
    opened = Browsing(browser, console.url)
    yield opened
    if _failed(request):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = _artifact_name(request.node.nodeid)
        for number, page in enumerate(opened.pages, start=1):
            if page.is_closed():
                continue
            suffix = "" if number == 1 else f"-{number}"
            try:
                await page.screenshot(path=str(ARTIFACTS / f"{name}{suffix}.png"), full_page=True)
            except Exception as exc:  # a crashed page must not hide the test's own failure
                print(f"screenshot of page {number} failed: {exc}")
    for context in opened.contexts:
        await context.close()


@pytest.fixture
async def page(browsing: Browsing) -> Page:
    """A desktop-sized page, signed out."""
    return await browsing.page()


# --- checks ------------------------------------------------------------------------------------

SERIOUS = ("serious", "critical")


async def check_a11y(page: Page, what: str = "") -> None:
    """axe-core on the page as it is: fails on serious or critical violations, naming each
    rule and the elements it found."""
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page)
    found = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
    if found:
        lines = [f"axe: {len(found)} serious/critical violation(s) on {what or page.url}"]
        for violation in found:
            targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:8])
            lines.append(f"- {violation['id']} ({violation['impact']}): {targets}")
            lines.append(f"  {violation['help']}")
        raise AssertionError("\n".join(lines))


async def no_horizontal_scroll(page: Page) -> None:
    widths = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways on {page.url}: {widths}"


async def wait_for(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached in {timeout} s")
        await asyncio.sleep(0.2)
