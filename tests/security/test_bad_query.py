"""A NUL character in any query parameter a page reads is bad input, not a server error (PostgreSQL
refuses NUL in a query; SQLite does not, so this finds something only there). The parameters are
those the web code reads from request.GET and the fields of every GET form the crawl finds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

import yousu

from .routes import crawl, crawled_people, web_urls

pytestmark = pytest.mark.django_db(transaction=True)

READ = re.compile(r"""request\.GET(?:\.get|\.getlist)?[\(\[]["']([a-z_]+)["']""")


def query_names(pages) -> set[str]:
    names = {
        name for path in Path(yousu.__file__).parent.rglob("*.py") for name in READ.findall(path.read_text())
    }
    names |= {
        field
        for page in pages.values()
        for form in page.forms
        if form.method == "get"
        for field in form.fields
    }
    return names


def test_a_nul_in_any_query_parameter_is_not_a_server_error(scene):
    people = crawled_people(scene)
    pages = crawl(scene, people)
    names = query_names(pages)
    assert {"q", "district", "month", "unit"} <= names
    failed = []
    for who, person in people.items():
        client = Client(raise_request_exception=False)
        if person is not None:
            client.force_login(person)
        for name, url in web_urls(scene).items():
            answer = client.get(url, dict.fromkeys(names, "\x00"))
            if answer.status_code >= 500:
                failed.append(f"{who}: {name} → {answer.status_code}")
    assert not failed, "\n".join(failed)
