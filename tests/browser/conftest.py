"""Browser tests: Playwright's Python package driving Debian's chromium against the live server.

CI installs /usr/bin/chromium (.ci/run); on a developer machine without it these tests skip and say
why. Each test gets a fresh browser context signed in as someone (the session cookie of a real login),
refuses any request to a host other than the platform's and fails if there was one, a script error or
a Content-Security-Policy violation, and leaves a screenshot in var/browser-failures/ when it fails.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import sync_playwright

from .helpers import CHROMIUM

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "browser-failures"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_failed = report.failed
    return report


@pytest.fixture(scope="module")
def browser(django_db_setup):
    # Playwright's sync API keeps an asyncio loop running in this thread while it is started, so Django
    # takes the tests' own ORM calls (plain synchronous calls between browser steps) for async code and
    # refuses them. The permission lasts as long as the loop: one test module, not the rest of the suite.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        # Root in a container: no sandbox. The machine's network is closed, so chromium's own
        # background connections (updates, sync, Google lookups) are switched off.
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def open_as(browser, live_server, request):
    """open_as(person, path, viewport=..., mobile=...) → a page of a new context signed in as the person (or of an
    anonymous visitor for None).

    Requests to any other host are aborted and recorded in page.foreign_requests: the platform must work
    on an intranet."""
    contexts = []
    pages = []
    host = urlsplit(live_server.url).netloc

    def open_page(person, path, *, viewport=(1366, 768), mobile=False):
        """person None: an anonymous visitor (a citizen, the public); mobile: a phone's touch screen."""
        context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]},
            has_touch=mobile,
            is_mobile=mobile,
            locale="zh-CN",
            base_url=live_server.url,
        )
        if person is not None:
            client = Client()
            client.force_login(person)
            context.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                        "url": live_server.url,
                    }
                ]
            )
        contexts.append(context)
        page = context.new_page()
        page.foreign_requests = []

        def guard(route):
            if urlsplit(route.request.url).netloc == host:
                route.continue_()
            else:
                page.foreign_requests.append(route.request.url)
                route.abort()

        page.route(re.compile(r".*"), guard)
        page.console_errors = []
        page.on("pageerror", lambda error: page.console_errors.append(str(error)))
        # Chromium reports each thing the Content-Security-Policy refused (an inline script, handler or
        # style, a foreign image) as a console error: the pages must work under the policy, not around it.
        # The policy refuses eval too: page.wait_for_function takes a function ("() => …"), which
        # Playwright evaluates once, not a bare expression, which it evals again on every poll.
        page.csp_violations = []
        page.on(
            "console",
            lambda message: (
                page.csp_violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        page.goto_response = page.goto(path)
        pages.append(page)
        return page

    yield open_page
    if getattr(request.node, "browser_failed", False):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for n, page in enumerate(pages):
            page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}-{n}.png"), full_page=True)
    for context in contexts:
        context.close()
    # Every page of every browser test: nothing fetched from another host, no script error, nothing
    # refused by the Content-Security-Policy.
    assert [url for page in pages for url in page.foreign_requests] == []
    assert [error for page in pages for error in page.console_errors] == []
    assert [violation for page in pages for violation in page.csp_violations] == []
