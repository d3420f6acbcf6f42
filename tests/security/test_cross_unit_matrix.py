"""The cross-unit access matrix: every API operation and every web page that takes the id or code of
an object, asked for an object of the east district by people who have no business with it. Reads
are not found, writes are refused and change nothing; the owner of each object can read it."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db(transaction=True)

# The other parties: who they are, from the scene. A new kind of outsider (a person of another
# jurisdiction, say) is one more entry here. None is the anonymous visitor.
OUTSIDERS = {
    "other district's department": lambda s: s.world.people.west_market_handler,
    "other district's street": lambda s: s.west_street_handler,
    "anonymous": lambda s: None,
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
}
API_NOT_OWNED = {
    "/api/v1/assessments/": "the monthly assessment of every unit, published to all staff",
    "/api/v1/public/cases/": "typical cases are public; withdrawing one is the publishers' (tests/public)",
    "/api/v1/intelligence/hot-issues/": "hot issues are the city platform's, across units",
}

# Web pages: URL name → (the scene's value of each parameter, the owner). Names under WEB_NOT_OWNED
# take a parameter that is not an object of one unit.
WEB_OBJECTS = {
    "dispatch-appeal": ({"code": lambda s: s.appeal.code}, "dispatcher"),
    "dispatch-dispatch": ({"code": lambda s: s.appeal.code}, "dispatcher"),
    "dispatch-forward": ({"code": lambda s: s.appeal.code}, "dispatcher"),
    "dispatch-link": ({"code": lambda s: s.appeal.code}, "dispatcher"),
    "dispatch-withdraw": ({"code": lambda s: s.appeal.code}, "dispatcher"),
    "dispatch-consult": ({"code": lambda s: s.appeal.code}, "dispatcher"),
    "dispatch-review-return": ({"pk": lambda s: s.return_request.pk}, "east_dispatcher"),
    "dispatch-review-extension": ({"pk": lambda s: s.extension_request.pk}, "east_dispatcher"),
    "dispatch-review-reply": ({"pk": lambda s: s.order.pk}, "east_dispatcher"),
    "dispatch-decide-consultation": ({"pk": lambda s: s.consultation.pk}, "dispatcher"),
    "unit-order": ({"order_id": lambda s: s.order.pk}, "east_eco_handler"),
    "unit-accept": ({"order_id": lambda s: s.order.pk}, "east_eco_handler"),
    "unit-return-request": ({"order_id": lambda s: s.order.pk}, "east_eco_handler"),
    "unit-assist": ({"order_id": lambda s: s.order.pk}, "east_eco_handler"),
    "unit-extension-request": ({"order_id": lambda s: s.order.pk}, "east_eco_handler"),
    "unit-reply": ({"order_id": lambda s: s.order.pk}, "east_eco_handler"),
    "unit-assist-part": ({"order_id": lambda s: s.order.pk}, "east_eco_handler"),
    "unit-pause": ({"order_id": lambda s: s.order.pk}, "east_eco_handler"),
    "unit-resume": ({"order_id": lambda s: s.order.pk}, "east_eco_handler"),
    "unit-forward": ({"order_id": lambda s: s.order.pk}, "east_eco_handler"),
    "unit-report-in": ({"whistle_id": lambda s: s.whistle.pk}, "east_eco_handler"),
    "supervision-urge": ({"order_id": lambda s: s.order.pk}, "supervisor"),
    "supervision-supervise": ({"order_id": lambda s: s.order.pk}, "supervisor"),
    "supervision-notice": ({"order_id": lambda s: s.order.pk}, "supervisor"),
    "callback-desk-record": ({"callback_id": lambda s: s.callback.pk}, "operator"),
    "callback-desk-unreachable": ({"callback_id": lambda s: s.callback.pk}, "operator"),
    "callback-desk-send-back": ({"callback_id": lambda s: s.callback.pk}, "operator"),
    "grid-study-decide": ({"problem_id": lambda s: s.problem.pk}, "street_leader"),
    "grid-district-dispatch": ({"problem_id": lambda s: s.problem.pk}, "east_dispatcher"),
    "grid-stationed-accept": ({"code": lambda s: s.appeal.code}, "east_eco_handler"),
    "inbox-read": ({"notification_id": lambda s: s.notification.pk}, "east_eco_handler"),
    "citizen-submitted": ({"code": lambda s: s.appeal.code}, "citizen"),
    "citizen-progress": ({"code": lambda s: s.appeal.code}, "citizen"),
    "citizen-rate": ({"code": lambda s: s.appeal.code}, "citizen"),
}
WEB_NOT_OWNED = {
    "catalog-access-list-propose": "the city's access list, edited by the city",
    "catalog-access-list-decide": "the city's access list, edited by the city",
    "catalog-access-list-exception": "the city's access list, edited by the city",
    "callback-answer": "the token in the link is the citizen's capability (tests/callbacks)",
    "dispatch-reviews": "a queue name, not an object",
    "dispatch-attachment": "attachments: tests/appeals/test_attachments.py",
    "unit-attachment": "attachments: tests/appeals/test_attachments.py",
    "grid-meeting": "joint meetings are the district's record (tests/grid/test_meetings.py)",
    "public-case": "typical cases are public",
    "public-case-withdraw": "withdrawing a public case is the publishers' (tests/public)",
}
SKIPPED_PREFIXES = ("admin/", "api/", "open311/", "i18n/")

# Tables whose rows a refused write must leave exactly as they were.
WATCHED = [
    "appeals.Appeal",
    "appeals.Event",
    "dispatch.Order",
    "dispatch.ReturnRequest",
    "dispatch.ExtensionRequest",
    "dispatch.Consultation",
    "dispatch.Whistle",
    "supervision.SupervisionOrder",
    "supervision.Urge",
    "callbacks.Callback",
    "grid.FoundProblem",
    "notifications.Notification",
]


def snapshot() -> dict:
    return {name: list(apps.get_model(name).objects.order_by("pk").values()) for name in WATCHED}


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


def web_routes():
    """(URL name, parameter names) of every web page that takes a parameter."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if not route.startswith(SKIPPED_PREFIXES):
                    yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and pattern.pattern.converters:
                yield pattern.name, set(pattern.pattern.converters)

    return list(walk(get_resolver().url_patterns))


def nowhere(path: str) -> str:
    """The same path for an object that does not exist."""
    return re.sub(r"/(YS\d+|\d+)/", "/999999/", path, count=1)


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
            answer = api.call(method, path, person, json_body={} if method != "GET" else None)
            if answer.status == 400 and method != "GET":
                # The body is checked before the object is looked up: allowed only if a missing
                # object gives the same answer, so a refusal reveals nothing about what exists.
                missing = api.call(method, nowhere(path), person, json_body={})
                if (missing.status, missing.body) == (answer.status, answer.body):
                    continue
            if answer.status not in expected:
                holes.append(f"{kind}: {method} {path} → {answer.status} {str(answer.body)[:200]}")
            if before is not None and snapshot() != before:
                holes.append(f"{kind}: {method} {path} changed the database")
    assert not holes, "\n".join(holes)
    assert owners_read >= 8  # the diagonal: without it a matrix of 404s would pass


def _client_as(scene, who):
    """A session of `who`: a person, the appeal's citizen (who proved it by code and phone), another
    citizen (who proved an appeal of their own), or nobody."""
    client = Client()
    if who == "citizen":
        from ..api.helpers import CITIZEN_PHONE

        client.post(reverse("citizen-track"), {"code": scene.appeal.code, "phone": CITIZEN_PHONE})
    elif who == "other citizen":
        client.post(
            reverse("citizen-track"), {"code": scene.other_citizens_appeal.code, "phone": "13900001111"}
        )
    elif who is not None:
        client.force_login(who)
    return client


def test_web_outsiders_find_nothing_and_change_nothing(scene):
    from ..api.helpers import make_appeal

    scene.other_citizens_appeal = make_appeal(scene.world, citizen_phone="13900001111", title="另一位市民")
    routes = web_routes()
    unmapped = sorted(name for name, _ in routes if name not in WEB_OBJECTS and name not in WEB_NOT_OWNED)
    assert unmapped == [], "web pages with an id that the matrix does not know"
    people = scene.world.people
    outsiders = {kind: outsider(scene) for kind, outsider in OUTSIDERS.items()}
    outsiders["a citizen who is not the appeal's"] = "other citizen"
    holes, cells, owners_read = [], 0, set()
    for name, _params in routes:
        if name not in WEB_OBJECTS:
            continue
        values, owner_name = WEB_OBJECTS[name]
        url = reverse(name, kwargs={param: value(scene) for param, value in values.items()})
        owner = owner_name if owner_name == "citizen" else getattr(people, owner_name)
        answer = _client_as(scene, owner).get(url)
        if answer.status_code == 200:
            owners_read.add(name)
        for kind, outsider in outsiders.items():
            for method in ("get", "post"):
                client = _client_as(scene, outsider)
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
