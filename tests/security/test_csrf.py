"""CSRF on every form: every POST form of every page that each kind of person can open carries the
token, and the same POST without it is refused (403) and changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from .routes import crawl, crawled_people, snapshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_form_needs_the_csrf_token(scene):
    people = crawled_people(scene)
    pages = crawl(scene, people)
    forms = {}  # action → (who, fields): each action is posted once, by the first person who has it
    missing_token = []
    for (who, name), page in pages.items():
        for form in page.forms:
            if form.method != "post":
                continue
            if "csrfmiddlewaretoken" not in form.fields:
                missing_token.append(f"{who}: {name} → {form.action}")
            forms.setdefault(form.action, (who, form.fields))
    assert missing_token == []
    s = scene
    # The crawl must find the forms known to exist, or it proves nothing.
    assert set(forms) >= {
        reverse("logout"),
        reverse("intake-desk"),
        reverse("citizen-submit"),
        reverse("unit-accept", args=[s.fresh_order.pk]),
        reverse("unit-reply", args=[s.order.pk]),
        reverse("dispatch-dispatch", args=[s.received.code]),
        reverse("callback-desk-record", args=[s.callback.pk]),
        reverse("grid-report"),
    }, "\n".join(sorted(forms))
    assert len(forms) >= 25
    accepted = []
    for action, (who, fields) in forms.items():
        client = Client(enforce_csrf_checks=True)
        if people[who] is not None:
            client.force_login(people[who])
        data = {key: value for key, value in fields.items() if key != "csrfmiddlewaretoken"}
        before = snapshot()
        answer = client.post(action, data)
        if answer.status_code != 403:
            accepted.append(f"{who}: POST {action} → {answer.status_code}")
        if snapshot() != before:
            accepted.append(f"{who}: POST {action} changed the database")
    assert not accepted, "\n".join(accepted)
