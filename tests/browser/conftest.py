"""Debian's Chromium, headless, driven by Playwright (which never downloads a browser of its own
here), against the app served on a loopback port. Screenshots go to `test-artifacts/`."""

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, Request, Route, async_playwright

from app.settings import Settings
from app.web import create_app
from tests.live_server import live_server

CHROMIUM = os.environ.get("EVENTFOLD_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:
    with live_server(create_app(settings)) as address:
        yield address


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[BrowserContext]:
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"no Chromium at {CHROMIUM}: `apt-get install chromium` (or set EVENTFOLD_TEST_CHROMIUM)")
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            tmp_path / "profile",  # a fresh, empty profile for each test
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1400, "height": 900},
        )
        try:
            yield context
        finally:
            await context.close()


@pytest.fixture
async def page(browser: BrowserContext, server: str) -> AsyncIterator[Page]:
    """A page that may reach this server only: any other request is refused and recorded, so a page
    that needed a CDN would fail here as it would on an air-gapped machine."""
    elsewhere: list[str] = []

    async def only_this_server(route: Route, request: Request) -> None:
        if request.url.startswith((f"http://{server}/", f"ws://{server}/", "data:")):
            await route.continue_()
        else:
            elsewhere.append(request.url)
            await route.abort()

    await browser.route("**/*", only_this_server)
    opened = browser.pages[0] if browser.pages else await browser.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    assert not elsewhere, f"the page asked for something beyond this server: {elsewhere}"
    assert not errors, f"the page raised: {errors}"


async def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
