"""Browser fixtures: Debian's Chromium, the page on the local stack, its console errors."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Page

from infra.local_stack import Stack

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Chrome reports every non-2xx fetch as a console error; tests that expect one name its status.
HTTP_STATUS_LINE = re.compile(
    r"Failed to load resource: the server responded with a status of (\d+)"
)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Launch Debian's Chromium (playwright cannot download its own browser here)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium. Run `make test` "
            "(it installs it) or `apt-get install -y chromium`.",
            pytrace=False,
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def base_url(local_stack: Stack) -> str:
    """Point playwright's base_url at the local site.

    This also replaces pytest-playwright's fallback fixture, which pytest 9 deprecates (a
    session fixture on a plugin instance) and filterwarnings=error would turn into an error.
    """
    return local_stack.site_url


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Return the folder screenshots go to (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@dataclass
class Site:
    """The page under test, with what its console said."""

    page: Page
    stack: Stack
    artifacts: Path
    console_errors: list[str] = field(default_factory=list)
    function_calls: list[str] = field(default_factory=list)

    def open(self) -> Site:
        """Load the page (its modules have run when goto returns, on the load event)."""
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.console_errors.append(f"pageerror: {error}"))
        self.page.on("request", self._on_request)
        self.page.goto(self.stack.site_url)
        return self

    def _on_request(self, request) -> None:
        if request.url.startswith(self.stack.function_url):
            path = request.url.removeprefix(self.stack.function_url)
            self.function_calls.append(f"{request.method} {path}")

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def errors(self, *expected_statuses: int) -> list[str]:
        """Return the console errors, leaving out HTTP answers with an expected status."""
        allowed = {str(s) for s in expected_statuses}
        return [
            e
            for e in self.console_errors
            if not ((m := HTTP_STATUS_LINE.search(e)) and m.group(1) in allowed)
        ]

    def labels(self, key: str) -> list[dict]:
        """Return the labels the function stored for the image ``key``, oldest first.

        Each is its own object, ``labels/<key without "images/">/<UTC time>-<random>.json``.
        """
        s3 = self.stack.s3_client()
        prefix = f"labels/{key.removeprefix('images/')}/"
        listed = s3.list_objects_v2(Bucket=self.stack.bucket, Prefix=prefix)
        names = sorted(item["Key"] for item in listed.get("Contents", []))
        return [
            json.loads(s3.get_object(Bucket=self.stack.bucket, Key=name)["Body"].read())
            for name in names
        ]

    def screenshot(self, name: str) -> Path:
        """Save a full-page screenshot as a test artifact."""
        path = self.artifacts / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def open_site(local_stack: Stack, artifacts: Path) -> Callable[..., Site]:
    """Return a function that opens the page (served by `on`, default the session's stack)."""
    return lambda page, on=local_stack: Site(page, on, artifacts).open()


@pytest.fixture
def site(page: Page, open_site: Callable[..., Site]) -> Site:
    """Open the page in a desktop-sized browser."""
    page.set_viewport_size({"width": 1280, "height": 900})
    return open_site(page)
