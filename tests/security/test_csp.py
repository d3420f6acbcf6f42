"""The Content-Security-Policy: every page answers with it, and no page holds what it would refuse (an
inline script without the response's nonce, an inline event handler, a style attribute or a <style>
element), as each kind of person sees the pages of the URL map and the admin. The policy's switch and
the map's tile host come from the environment."""

from __future__ import annotations

import json
import re

import pytest
from django.http import HttpResponse
from django.template import RequestContext, Template
from django.test import Client
from django.urls import path

from ..core.test_env import run_python
from .routes import Page, crawled_people, web_urls

EXPECTED = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
NONCE = re.compile(r"^'nonce-([A-Za-z0-9+/=]+)'$")
# Django's admin pages are rendered from its own templates and the platform's overrides.
ADMIN_PAGES = [
    "/admin/",
    "/admin/appeals/appeal/",
    "/admin/org/unit/",
    "/admin/catalog/catalogitem/",
    "/admin/org/workingcalendar/",
]


def policy_of(answer) -> tuple[dict[str, list[str]], str | None]:
    """The directives of the answer's policy without the nonce, and the nonce if there is one."""
    header = answer.get("Content-Security-Policy", "")
    directives, nonce = {}, None
    for part in filter(None, (p.strip() for p in header.split(";"))):
        name, *sources = part.split()
        for source in sources:
            if matched := NONCE.match(source):
                nonce = matched.group(1)
        directives[name] = [s for s in sources if not NONCE.match(s)]
    return directives, nonce


def refused_inline(page: Page, nonce: str | None) -> list[str]:
    """What on the page the policy would refuse."""
    problems = []
    for tag, attrs in page.elements:
        named = dict(attrs)
        problems += [
            f"<{tag} {name}=…>: an inline event handler" for name, _ in attrs if name.startswith("on")
        ]
        if "style" in named:
            problems.append(f'<{tag} style="{named["style"]}">: a style attribute')
        # A JSON data block is never run, so it needs no nonce.
        inline_script = tag == "script" and not named.get("src") and named.get("type") != "application/json"
        if inline_script and (not nonce or named.get("nonce") != nonce):
            problems.append(f"<script {named}>: an inline script without the response's nonce")
        if tag == "style" and (not nonce or named.get("nonce") != nonce):
            problems.append("<style>: a style element without the response's nonce")
        if named.get("href", "").lower().startswith("javascript:"):
            problems.append(f"<{tag} href=javascript:…>")
    return problems


def test_every_page_carries_the_policy_and_holds_nothing_it_refuses(scene):
    urls = web_urls(scene)
    checked, problems = 0, []
    for who, person in crawled_people(scene).items():
        client = Client()
        if person is not None:
            client.force_login(person)
        pages = list(urls.items())
        if person is not None and person.is_superuser:
            pages += [(url, url) for url in ADMIN_PAGES]
        for name, url in pages:
            answer = client.get(url)
            if answer.status_code != 200 or not answer["Content-Type"].startswith("text/html"):
                continue
            directives, nonce = policy_of(answer)
            if directives != EXPECTED:
                problems.append(f"{who} {name}: policy {answer.get('Content-Security-Policy')!r}")
            page = Page(url, answer.content.decode())
            problems += [f"{who} {name}: {problem}" for problem in refused_inline(page, nonce)]
            checked += 1
    assert not problems, "\n".join(problems)
    # Every desk and the admin, or the check proves little.
    assert checked >= 150, checked


def test_the_check_finds_what_the_policy_would_refuse():
    page = Page(
        "/",
        '<p style="color: red" onclick="go()">x</p><script>go()</script><style>p{}</style>'
        '<script type="application/json">{}</script><script nonce="abc">ok()</script><a href="javascript:go()">y</a>',
    )
    problems = refused_inline(page, "abc")
    assert len(problems) == 5, problems
    assert refused_inline(Page("/", '<script nonce="abc">ok()</script>'), "abc") == []
    assert refused_inline(Page("/", '<script nonce="abc">ok()</script>'), None) != []


def nonce_page(request):
    return HttpResponse(
        Template('<script nonce="{{ request.csp_nonce }}">ready()</script>').render(RequestContext(request))
    )


urlpatterns = [path("with-a-nonce/", nonce_page)]


@pytest.mark.urls(__name__)
def test_an_inline_script_runs_only_with_the_responses_own_nonce(client):
    """A template that needs an inline script writes request.csp_nonce on it; the header then admits that
    nonce (and only it) beside the platform's own files."""
    first, second = client.get("/with-a-nonce/"), client.get("/with-a-nonce/")
    directives, nonce = policy_of(first)
    assert directives == EXPECTED and nonce
    assert f'<script nonce="{nonce}">' in first.content.decode()
    assert policy_of(second)[1] not in (None, nonce)


def test_the_policy_switch_and_the_tile_host_come_from_the_environment():
    """YOUSU_CSP: enforce (the default), report-only or off; an absolute tile URL adds its host to img-src
    (yousu.env.csp_source_of, tests/core/test_env.py). Each a fresh process: settings are read once."""

    def policy_with(**environment):
        shown = run_python(
            "import json, django; from django.conf import settings; django.setup(); "
            "enforced, reported = settings.CONTENT_SECURITY_POLICY, settings.CONTENT_SECURITY_POLICY_REPORT_ONLY; "
            "print(json.dumps({'enforced': enforced and enforced['DIRECTIVES']['img-src'], "
            "'reported': reported and reported['DIRECTIVES']['img-src']}))",
            DJANGO_SETTINGS_MODULE="yousu.settings.test",
            **environment,
        )
        return json.loads(shown.stdout) if shown.returncode == 0 else shown.stderr

    assert policy_with() == {"enforced": ["'self'", "data:"], "reported": None}
    tiles = "https://{s}.tiles.gov.example/{z}/{x}/{y}.png"
    assert policy_with(YOUSU_CSP="report-only", YOUSU_CITIZEN_MAP_TILE_URL=tiles) == {
        "enforced": None,
        "reported": ["'self'", "data:", "https://*.tiles.gov.example"],
    }
    assert policy_with(YOUSU_CSP="off") == {"enforced": None, "reported": None}
    assert "YOUSU_CSP='strict'" in policy_with(YOUSU_CSP="strict")
