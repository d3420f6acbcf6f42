"""Stored XSS: every payload of the corpus goes into every text field people fill, is stored as it
was sent, and renders inert on every page: as each kind of person sees the desks and lists, the
pages of the objects that carry it, and the citizen's own progress page."""

from __future__ import annotations

import html

import pytest
from django.test import Client
from django.urls import reverse

from .routes import Page, crawl, crawled_people
from .xss import PAYLOADS, inert_problems, shows, submit_everywhere

pytestmark = pytest.mark.django_db(transaction=True)


def test_payloads_are_stored_unchanged_and_render_inert(api, scene):
    world, people = scene.world, scene.world.people
    submitted = [
        (payload, submit_everywhere(api, world, scene.grid, payload, phone=f"1390000{n:04d}"))
        for n, payload in enumerate(PAYLOADS)
    ]
    changed = [
        f"{field}: {stored!r} ≠ {payload!r}"
        for payload, made in submitted
        for field, stored in made["stored"].items()
        if stored != payload
    ]
    assert changed == []

    pages = crawl(scene, crawled_people(scene))
    # The pages of the objects that carry each payload, as the people who open them.
    for n, (_payload, made) in enumerate(submitted):
        for who, person, name, kwargs in (
            ("dispatcher", people.dispatcher, "dispatch-appeal", {"code": made["appeal"].code}),
            ("dispatcher", people.dispatcher, "dispatch-appeal", {"code": made["citizen appeal"].code}),
            ("department handler", people.east_eco_handler, "unit-order", {"order_id": made["order"].pk}),
            ("department handler", people.east_eco_handler, "unit-order", {"order_id": made["returning"].pk}),
        ):
            client = Client()
            client.force_login(person)
            url = reverse(name, kwargs=kwargs)
            answer = client.get(url)
            assert answer.status_code == 200, url
            pages[who, f"{name} {n}"] = Page(url, answer.content.decode())
        url = reverse("citizen-progress", args=[made["citizen appeal"].code])
        answer = made["citizen"].get(url)
        assert answer.status_code == 200, url
        pages["citizen", f"citizen-progress {n}"] = Page(url, answer.content.decode())

    problems, shown = [], 0
    for (who, name), page in pages.items():
        for payload in PAYLOADS:
            problems += [f"{who} {name}: {problem}" for problem in inert_problems(page, payload)]
            shown += shows(page, payload)
    assert not problems, "\n".join(problems)
    # Every payload must reach the pages, or the check proves nothing.
    for payload in PAYLOADS:
        assert sum(shows(page, payload) for page in pages.values()) >= 10, payload
    assert shown >= 10 * len(PAYLOADS)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_check_finds_a_payload_that_became_markup(payload):
    """The check itself: each payload pasted into a page unescaped (as `|safe` would) is found, the
    template-ish one once a template engine has evaluated it; escaped, nothing is found."""
    raw = "TMPLXSSTMPL" if "{{" in payload else payload
    pasted = Page("/", f'<html><body><p>{raw}</p><a href="{raw}">x</a></body></html>')
    assert inert_problems(pasted, payload) != []
    escaped = Page("/", f"<p>{html.escape(payload)}</p>")
    assert inert_problems(escaped, payload) == []
    assert shows(escaped, payload)
