"""The cross-unit access matrix: every API operation and every web page that takes the id or code of
an object, asked for an object of the east district by people who have no business with it. Reads
are not found, writes are refused and change nothing; the owner of each object can read it."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from .routes import WEB_NOT_OWNED, WEB_OBJECTS, snapshot, web_routes

pytestmark = pytest.mark.django_db(transaction=True)

# The other parties: who they are, from the scene. A new kind of outsider (a person of another
# jurisdiction, say) is one more entry here. None is the anonymous visitor.
OUTSIDERS = {
    "other district's department": lambda s: s.world.people.west_market_handler,
    "other district's street": lambda s: s.west_street_handler,
    "anonymous": lambda s: None,
    # City-wide roles of another city on the same deployment (docs/jurisdictions.md): they read
    # everything of their own city and nothing of this one.
    "another city's supervisor": lambda s: s.north.supervisor,
    "another city's dispatcher": lambda s: s.north.dispatcher,
    "another city's operator": lambda s: s.north.operator,
}

# What an id or code in an API path stands for: the path up to the parameter → (the object's key in
# the scene, the person who owns it). Every path with a parameter is here or in API_NOT_OWNED.
API_OBJECTS = {
    "/api/v1/appeals/": (lambda s: s.appeal.code, lambda s: s.world.people.east_eco_handler),
    "/api/v1/orders/": (lambda s: s.order.pk, lambda s: s.world.people.east_eco_handler),
    "/api/v1/return-requests/": (lambda s: s.return_request.pk, lambda s: s.world.people.east_eco_handler),
    "/api/v1/extension-requests/": (
        lambda s: s.extension_request.pk,
        lambda s: s.world.people.east_eco_handler,
    ),
    "/api/v1/consultations/": (lambda s: s.consultation.pk, lambda s: s.world.people.east_market_handler),
    "/api/v1/whistles/": (lambda s: s.whistle.pk, lambda s: s.world.people.east_eco_handler),
    "/api/v1/supervision-orders/": (
        lambda s: s.supervision_order.pk,
        lambda s: s.world.people.east_eco_handler,
    ),
    "/api/v1/callbacks/": (lambda s: s.callback.pk, lambda s: s.world.people.operator),
    "/api/v1/notifications/": (lambda s: s.notification.pk, lambda s: s.world.people.east_eco_handler),
    "/api/v1/grid/problems/": (lambda s: s.problem.pk, lambda s: s.world.people.street_leader),
    "/api/v1/intelligence/appeals/": (lambda s: s.appeal.code, lambda s: s.world.people.dispatcher),
    "/api/v1/knowledge/entries/": (lambda s: s.entry.pk, lambda s: s.world.people.east_eco_handler),
    "/api/v1/knowledge/answers/": (lambda s: s.intake_answer.pk, lambda s: s.world.people.operator),
}
API_NOT_OWNED = {
    "/api/v1/assessments/": "the monthly assessment of every unit, published to all staff",
    "/api/v1/public/cases/": "typical cases are public; withdrawing one is the publishers' (tests/public)",
    "/api/v1/intelligence/hot-issues/": "hot issues are the city platform's, across units",
}


def schema_paths() -> dict[str, list[str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        path: [m.upper() for m in ops if m in ("get", "post", "put", "patch", "delete")]
        for path, ops in schema["paths"].items()
        if "{" in path
    }


def api_cells(scene):
    """(method, concrete path, owner) of every API operation on an object of the scene."""
    cells, unmapped = [], []
    for template, methods in schema_paths().items():
        prefix = template[: template.index("{")]
        if any(prefix.startswith(p) for p in API_NOT_OWNED):
            continue
        if prefix not in API_OBJECTS:
            unmapped.append(template)
            continue
        key, owner = API_OBJECTS[prefix]
        path = re.sub(r"\{[^}]+\}", str(key(scene)), template)
        cells += [(method, path, owner(scene)) for method in methods]
    assert unmapped == [], "API paths with an id that the matrix does not know"
    return cells


def test_api_outsiders_find_nothing_and_change_nothing(api, scene):
    cells = api_cells(scene)
    assert len(cells) >= 35
    holes, owners_read = [], 0
    for method, path, owner in cells:
        if method == "GET":
            answer = api.get(path, owner)
            assert answer.status == 200, (path, owner, answer.status, answer.body)
            owners_read += 1
        for kind, outsider in OUTSIDERS.items():
            person = outsider(scene)
            expected = (401, 403) if person is None else ((404,) if method == "GET" else (403, 404))
            before = snapshot() if method != "GET" else None
            # An empty body: every endpoint looks the object up before it reads the body, so an
            # outsider is refused for the object (403/404), never told what the body should hold.
            answer = api.call(method, path, person, json_body={} if method != "GET" else None)
            if answer.status not in expected:
                holes.append(f"{kind}: {method} {path} → {answer.status} {str(answer.body)[:200]}")
            if before is not None and snapshot() != before:
                holes.append(f"{kind}: {method} {path} changed the database")
    assert not holes, "\n".join(holes)
    assert owners_read >= 8  # the diagonal: without it a matrix of 404s would pass


def _clients(scene, people):
    """A session of each of `people`: a person, the appeal's citizen (who proved it by code and phone),
    another citizen (who proved an appeal of their own), or nobody (None)."""
    from ..api.helpers import CITIZEN_PHONE

    clients = {}
    for who in people:
        client = clients[who] = Client()
        if who == "citizen":
            answer = client.post(
                reverse("citizen-track"), {"code": scene.appeal.code, "phone": CITIZEN_PHONE}
            )
            assert answer.status_code == 302
        elif who == "other citizen":
            answer = client.post(
                reverse("citizen-track"), {"code": scene.other_citizens_appeal.code, "phone": "13900001111"}
            )
            assert answer.status_code == 302
        elif who is not None:
            client.force_login(who)
    return clients


def test_web_outsiders_find_nothing_and_change_nothing(scene):
    from ..api.helpers import make_appeal

    scene.other_citizens_appeal = make_appeal(scene.world, citizen_phone="13900001111", title="另一位市民")
    routes = web_routes()
    unmapped = sorted(
        name for name, params in routes if params and name not in WEB_OBJECTS and name not in WEB_NOT_OWNED
    )
    assert unmapped == [], "web pages with an id that the matrix does not know"
    people = scene.world.people
    outsiders = {kind: outsider(scene) for kind, outsider in OUTSIDERS.items()}
    outsiders["a citizen who is not the appeal's"] = "other citizen"
    owners = {"citizen" if o == "citizen" else getattr(people, o) for _values, o in WEB_OBJECTS.values()}
    clients = _clients(scene, [*owners, *outsiders.values()])
    holes, cells, owners_read = [], 0, set()
    for name, _params in routes:
        if name not in WEB_OBJECTS:
            continue
        values, owner_name = WEB_OBJECTS[name]
        url = reverse(name, kwargs={param: value(scene) for param, value in values.items()})
        owner = owner_name if owner_name == "citizen" else getattr(people, owner_name)
        answer = clients[owner].get(url)
        if answer.status_code == 200:
            owners_read.add(name)
        for kind, outsider in outsiders.items():
            for method in ("get", "post"):
                client = clients[outsider]
                before = snapshot()
                answer = getattr(client, method)(url)
                cells += 1
                status = answer.status_code
                location = answer.get("Location", "") if status == 302 else ""
                signed_in = outsider is not None and outsider != "other citizen"
                refused = status in (403, 404, 405)
                to_login = not signed_in and location.startswith(reverse("login"))
                # A citizen page not proven in this browser: back to the look-up form, nothing shown.
                to_lookup = name.startswith("citizen-") and location.startswith(reverse("citizen-track"))
                if not (refused or to_login or to_lookup):
                    holes.append(f"{kind}: {method.upper()} {url} → {status}")
                if snapshot() != before:
                    holes.append(f"{kind}: {method.upper()} {url} changed the database")
    assert not holes, "\n".join(holes)
    assert cells >= 200
    # The diagonal (most actions are POST only; these are the pages of one object).
    assert owners_read >= {"dispatch-appeal", "unit-order"}, owners_read
