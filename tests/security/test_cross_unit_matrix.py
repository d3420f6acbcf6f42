"""The cross-unit access matrix, generated from the URL conf: every URL pattern outside the admin has an
entry in routes.py (a new one without one fails). Every API operation and every web page that takes the
id or code of an object is asked for an object of the east district by people who have no business with
it: reads are not found (answered as for an object that does not exist), writes are refused and change
nothing; the owner of each object can read it. Every page and endpoint that takes no parameter answers
an anonymous visitor only if it is public, and shows none of the east district's objects to the
outsiders."""

from __future__ import annotations

import types

import pytest
from django.test import Client
from django.urls import path, reverse

from .routes import (
    API_NOT_OWNED,
    API_OBJECTS,
    EXCLUDED_PREFIXES,
    MONITOR,
    OPEN_ROUTES,
    PUBLIC,
    READ_ACROSS,
    SHOWN_ACROSS,
    WEB_NOT_OWNED,
    WEB_OBJECTS,
    route_entry,
    route_path,
    snapshot,
    url_patterns,
    web_routes,
)

pytestmark = pytest.mark.django_db(transaction=True)

# The other parties: who they are, from the scene. A new kind of outsider is one more entry here.
# None is the anonymous visitor.
OUTSIDERS = {
    "other district's department": lambda s: s.world.people.west_market_handler,
    "other district's street": lambda s: s.west_street_handler,
    # The other district platform's dispatcher dispatches, links and sees the hot issues of its own
    # district: the role that acted on the east side through a hot issue (issue 21, item 1).
    "other district's dispatcher": lambda s: s.west_dispatcher,
    "anonymous": lambda s: None,
    # City-wide roles of another city on the same deployment (docs/jurisdictions.md): they read
    # everything of their own city and nothing of this one.
    "another city's supervisor": lambda s: s.north.supervisor,
    "another city's dispatcher": lambda s: s.north.dispatcher,
    "another city's operator": lambda s: s.north.operator,
    "another city's leader": lambda s: s.north.leader,
    "another city's department": lambda s: s.north.market_handler,
}

# An id and a code that no object has: an outsider's answer for the scene's object must be the one for
# these (else the answer tells that the object exists).
MISSING = {int: 987654321, str: "XX209912310001"}


def _methods(pattern) -> list[str]:
    """The HTTP methods a URL pattern's view answers: a viewset route's actions, an API view's
    handlers; a plain Django view is asked with GET and POST."""
    callback = pattern.callback
    if getattr(callback, "actions", None):
        return sorted(m.upper() for m in callback.actions)
    view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view is not None:
        return sorted(
            m.upper()
            for m in view.http_method_names
            if m not in ("options", "head", "trace") and hasattr(view, m)
        )
    return ["GET", "POST"]


def unmapped_patterns(urlconf=None) -> list[str]:
    """The URL patterns of the URL conf that routes.py has no entry for."""
    return [
        f"{route_path(route)} ({name or 'no name'})"
        for route, name, pattern in url_patterns(urlconf)
        if route_entry(route, name, pattern) is None
    ]


def test_every_url_pattern_has_an_entry():
    assert unmapped_patterns() == [], "URL patterns that the security matrix has no entry for"
    # And no entry outlives its page: an entry for a name or a path the URL conf no longer has is a
    # check that checks nothing.
    patterns = url_patterns()
    names = {name for _route, name, _pattern in patterns} | {route for route, _name, _pattern in patterns}
    prefixes = {
        route_path(route)[: route_path(route).index("{}")]
        for route, _n, _p in patterns
        if "{}" in route_path(route)
    }
    stale = sorted(
        [name for name in (*OPEN_ROUTES, *WEB_OBJECTS, *WEB_NOT_OWNED, *SHOWN_ACROSS) if name not in names]
        + [prefix for prefix in (*API_OBJECTS, *API_NOT_OWNED) if prefix not in prefixes]
        + [key for key in READ_ACROSS if key not in names and key not in prefixes]
    )
    assert stale == [], "entries of routes.py that name no URL pattern"
    assert "admin/" in EXCLUDED_PREFIXES and len(patterns) >= 190


def test_a_new_pattern_without_an_entry_fails(settings):
    """The check above on a URL conf with two more patterns: a page that takes an id and an endpoint that
    takes none. Both are named, and nothing else is."""
    from yousu import urls

    def view(request, **kwargs):
        raise AssertionError("never called")

    conf = types.ModuleType("matrix_urls")
    conf.urlpatterns = [
        *urls.urlpatterns,
        path("unit/things/<int:thing_id>/", view, name="unit-thing"),
        path("api/v1/things/", view, name="api-things"),
    ]
    assert unmapped_patterns(conf) == ["/unit/things/{}/ (unit-thing)", "/api/v1/things/ (api-things)"]


def api_cells(scene):
    """(method, concrete path, path of a missing object, owner, outsiders who read it) of every API
    operation on an object of the scene, from the URL conf."""
    cells = []
    for route, _name, pattern in url_patterns():
        template = route_path(route)
        if "{}" not in template or not template.startswith("/api/v1/"):
            continue
        prefix = template[: template.index("{}")]
        if prefix not in API_OBJECTS:
            assert prefix in API_NOT_OWNED, template
            continue
        key, owner = API_OBJECTS[prefix]
        value = key(scene)
        readers = READ_ACROSS.get(prefix, (set(), ""))[0]
        for method in _methods(pattern):
            cells.append(
                (
                    method,
                    template.format(value),
                    template.format(MISSING[type(value)]),
                    owner(scene),
                    readers,
                )
            )
    return cells


def test_api_outsiders_find_nothing_and_change_nothing(api, scene):
    cells = api_cells(scene)
    assert len(cells) >= 45
    holes, owners_read, asked = [], 0, 0
    for method, url, missing, owner, readers in cells:
        # HEAD is GET without the body: a read, asked and judged as one.
        reads = method in ("GET", "HEAD")
        if method == "GET":
            answer = api.get(url, owner)
            assert answer.status == 200, (url, owner, answer.status, answer.body)
            owners_read += 1
        for kind, outsider in OUTSIDERS.items():
            person = outsider(scene)
            before = snapshot() if not reads else None
            # An empty body: every endpoint looks the object up before it reads the body, so an
            # outsider is refused for the object (403/404), never told what the body should hold.
            body = {} if not reads else None
            answer = api.call(method, url, person, json_body=body)
            asked += 1
            if person is None:
                expected = {401, 403}
            elif reads and kind in readers:
                expected = {200}
            elif kind in readers:
                # A reader by design may be told what the body lacks; with one or without, nothing is
                # written (the keepers' rule: tests/knowledge).
                expected = {400, 403, 404}
            elif reads:
                # Not found, exactly as an object that is not there: nothing tells that it exists.
                expected = {api.call(method, missing, person).status} & {403, 404}
            else:
                expected = {403, 404}
            if answer.status not in expected:
                holes.append(f"{kind}: {method} {url} → {answer.status} {str(answer.body)[:200]}")
            if before is not None and snapshot() != before:
                holes.append(f"{kind}: {method} {url} changed the database")
    print(f"API matrix: {asked} operation × outsider cases over {len(cells)} operations")
    assert not holes, "\n".join(holes)
    assert owners_read >= 9  # the diagonal: without it a matrix of 404s would pass


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
                if method == "get" and kind in READ_ACROSS.get(name, (set(), ""))[0]:
                    refused = status == 200  # a reader by design: answered, and only by GET
                to_login = not signed_in and location.startswith(reverse("login"))
                # A citizen page not proven in this browser: back to the look-up form, nothing shown.
                to_lookup = name.startswith("citizen-") and location.startswith(reverse("citizen-track"))
                if not (refused or to_login or to_lookup):
                    holes.append(f"{kind}: {method.upper()} {url} → {status}")
                if snapshot() != before:
                    holes.append(f"{kind}: {method.upper()} {url} changed the database")
    print(f"web matrix: {cells} page × outsider × method cases over {len(owners_read)} owned pages read")
    assert not holes, "\n".join(holes)
    assert cells >= 900
    # The diagonal (most actions are POST only; these are the pages of one object).
    assert owners_read >= {"dispatch-appeal", "unit-order"}, owners_read


def open_urls() -> list[tuple[str, str, str]]:
    """(URL name, path, audience) of every page and endpoint that takes no parameter."""
    found = {}
    for route, name, _pattern in url_patterns():
        url = route_path(route)
        if "{}" not in url:
            found[url] = (name or route, url, OPEN_ROUTES[name or route])
    return sorted(found.values())


def test_lists_show_outsiders_nothing_of_the_scene(scene):
    """Every page and endpoint without a parameter, asked by each outsider with GET: none shows a code
    or the words of the east district's objects (a list of appeals, orders, hot issues, a desk's
    queue, a figure's drill-down); and the anonymous visitor is answered only where that is public
    (signed-in pages send him to sign in, the API answers 401/403, and a POST of his changes nothing)."""
    urls = open_urls()
    assert len(urls) >= 80
    outsiders = {kind: outsider(scene) for kind, outsider in OUTSIDERS.items()}
    clients = {}
    for kind, person in outsiders.items():
        clients[kind] = Client(raise_request_exception=False)
        if person is not None:
            clients[kind].force_login(person)
    holes, cells = [], 0
    # The diagonal: the city platform's dispatcher is shown the scene in its lists, so the secrets are
    # ones a list would show.
    insider = Client()
    insider.force_login(scene.world.people.dispatcher)
    shown_to_insider = {
        name
        for name, url, _audience in urls
        if any(secret in insider.get(url).content.decode("utf-8", "replace") for secret in scene.secrets)
    }
    assert {"dispatch-desk", "appeal-list", "api-intelligence-hot-issues"} <= shown_to_insider, (
        shown_to_insider
    )
    for name, url, audience in urls:
        for kind, person in outsiders.items():
            answer = clients[kind].get(url)
            cells += 1
            if answer.status_code >= 500:
                holes.append(f"{kind}: GET {url} → {answer.status_code}")
                continue
            body = b"".join(answer.streaming_content) if answer.streaming else answer.content
            text = body.decode("utf-8", "replace")
            shown = [secret for secret in scene.secrets if secret in text]
            if shown and name not in SHOWN_ACROSS:
                holes.append(f"{kind}: GET {url} shows {shown[:3]}")
            if person is None and audience not in (PUBLIC, MONITOR):
                to_login = answer.status_code == 302 and answer["Location"].startswith(reverse("login"))
                if not (to_login or answer.status_code in (401, 403)):
                    holes.append(f"anonymous: GET {url} ({audience}) → {answer.status_code}")
                before = snapshot()
                answer = clients[kind].post(url)
                cells += 1
                to_login = answer.status_code == 302 and answer["Location"].startswith(reverse("login"))
                if not (to_login or answer.status_code in (401, 403, 405)):
                    holes.append(f"anonymous: POST {url} ({audience}) → {answer.status_code}")
                if snapshot() != before:
                    holes.append(f"anonymous: POST {url} changed the database")
    print(f"lists: {cells} page × outsider cases over {len(urls)} pages and endpoints")
    assert not holes, "\n".join(holes)
