"""The URL map as data for the security tests: an entry for every URL pattern outside the admin (which
object of the scene a page or an endpoint takes and who owns it, or who may open one that takes none,
or why a parameter is no unit's object), every page of the URL map, and a snapshot of the tables a
refused write must not touch. `test_every_url_pattern_has_an_entry` fails on a pattern without one."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

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
    "dispatch-reopen-return": ({"pk": lambda s: s.return_request.pk}, "east_dispatcher"),
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
    "supervision-close": ({"supervision_id": lambda s: s.supervision_order.pk}, "supervisor"),
    "callback-desk-record": ({"callback_id": lambda s: s.callback.pk}, "operator"),
    "callback-desk-unreachable": ({"callback_id": lambda s: s.callback.pk}, "operator"),
    "callback-desk-send-back": ({"callback_id": lambda s: s.callback.pk}, "operator"),
    "callback-desk-answer-check": ({"record_id": lambda s: s.intake_answer.pk}, "operator"),
    "callback-desk-answer-unreachable": ({"record_id": lambda s: s.intake_answer.pk}, "operator"),
    "knowledge-proposal-detail": ({"proposal_id": lambda s: s.proposal.pk}, "east_eco_handler"),
    "knowledge-proposal-accept": ({"proposal_id": lambda s: s.proposal.pk}, "east_eco_handler"),
    "knowledge-proposal-decline": ({"proposal_id": lambda s: s.proposal.pk}, "east_eco_handler"),
    "grid-study-decide": ({"problem_id": lambda s: s.problem.pk}, "street_leader"),
    "grid-district-dispatch": ({"problem_id": lambda s: s.problem.pk}, "east_dispatcher"),
    "grid-stationed-accept": ({"code": lambda s: s.appeal.code}, "east_eco_handler"),
    "inbox-read": ({"notification_id": lambda s: s.notification.pk}, "east_eco_handler"),
    "knowledge-entry": ({"entry_id": lambda s: s.entry.pk}, "east_eco_handler"),
    "knowledge-edit": ({"entry_id": lambda s: s.entry.pk}, "east_eco_handler"),
    "knowledge-review": ({"entry_id": lambda s: s.entry.pk}, "east_eco_handler"),
    "knowledge-withdraw": ({"entry_id": lambda s: s.entry.pk}, "east_eco_handler"),
    "knowledge-restore": ({"entry_id": lambda s: s.entry.pk}, "east_eco_handler"),
    "knowledge-version": ({"entry_id": lambda s: s.entry.pk, "version": lambda s: 1}, "east_eco_handler"),
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

# What an id or code in an API path stands for: the path up to the parameter → (the object's key in
# the scene, the person who owns it). Every API path with a parameter is here or in API_NOT_OWNED.
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
    # A hot issue is seen inside the jurisdiction of its appeals, acted on by who reaches them (issue 21).
    "/api/v1/intelligence/hot-issues/": (lambda s: s.hot_issue.pk, lambda s: s.world.people.dispatcher),
    "/api/v1/knowledge/entries/": (lambda s: s.entry.pk, lambda s: s.world.people.east_eco_handler),
    "/api/v1/knowledge/answers/": (lambda s: s.intake_answer.pk, lambda s: s.world.people.operator),
}
API_NOT_OWNED = {
    "/api/v1/assessments/": "the monthly assessment of every unit, published to all staff",
    "/api/v1/public/cases/": "typical cases are public; withdrawing one is the publishers' (tests/public)",
    "/api/": "any other path under /api/: a JSON 404 (tests/api)",
    "/open311/v2/services/": "GeoReport v2: the service list is public",
    "/open311/v2/requests/": "GeoReport v2: a service request is public, personal data removed (tests/open311)",
    "/open311/v2/tokens/": "GeoReport v2: the token of one's own post (tests/open311)",
}

# Pages and endpoints that take no parameter: URL name → who may open them. PUBLIC ones answer anyone;
# SIGNED_IN ones send an anonymous visitor to the sign-in page (a page) or answer 401/403 (the API),
# and list only what the person reaches (`test_lists_show_outsiders_nothing_of_the_scene`).
# MONITOR: answered from the configured addresses or with the metrics token (yousu.core.metrics).
PUBLIC, SIGNED_IN, MONITOR = "public", "signed in", "monitor"
OPEN_ROUTES = {
    "start": PUBLIC,
    "healthz": PUBLIC,
    "metrics": MONITOR,
    # The responsibility catalog and the access list are published (权责清单, 指导目录).
    "catalog-tree": PUBLIC,
    "catalog-lookup": PUBLIC,
    "catalog-access-list": PUBLIC,
    "inbox": SIGNED_IN,
    "supervision-desk": SIGNED_IN,
    "intake-desk": SIGNED_IN,
    "intake-aids": SIGNED_IN,
    "dispatch-desk": SIGNED_IN,
    "unit-desk": SIGNED_IN,
    "unit-whistles": SIGNED_IN,
    "unit-whistle-blow": SIGNED_IN,
    "grid-report": SIGNED_IN,
    "grid-daily": SIGNED_IN,
    "grid-study": SIGNED_IN,
    "grid-district": SIGNED_IN,
    "grid-meetings": SIGNED_IN,
    "grid-meeting-new": SIGNED_IN,
    "grid-stationed": SIGNED_IN,
    "citizen-home": PUBLIC,
    "citizen-submit": PUBLIC,
    "citizen-track": PUBLIC,
    "citizen-areas": PUBLIC,
    "dashboard": SIGNED_IN,
    "dashboard-areas": SIGNED_IN,
    "knowledge-proposal-list": SIGNED_IN,
    "knowledge-search": SIGNED_IN,
    "knowledge-results": SIGNED_IN,
    "knowledge-create": SIGNED_IN,
    "knowledge-reviews": SIGNED_IN,
    "knowledge-import": SIGNED_IN,
    "knowledge-import-template": SIGNED_IN,
    "reports-index": SIGNED_IN,
    "reports-daily": SIGNED_IN,
    "reports-monthly": SIGNED_IN,
    "reports-unit": SIGNED_IN,
    "public-home": PUBLIC,
    "public-cases": PUBLIC,
    "public-case-new": SIGNED_IN,
    "assessment": SIGNED_IN,
    "burden": SIGNED_IN,
    "callback-desk": SIGNED_IN,
    "login": PUBLIC,
    "logout": PUBLIC,
    "set_language": PUBLIC,
    "api-dashboard-summary": SIGNED_IN,
    "api-reports-daily": SIGNED_IN,
    "api-reports-monthly": SIGNED_IN,
    "api-reports-unit": SIGNED_IN,
    "public-api-cases": PUBLIC,
    "public-api-ranking": PUBLIC,
    "api-intelligence-place": SIGNED_IN,
    "api-intelligence-duplicates": SIGNED_IN,
    "api-intelligence-hot-issues": SIGNED_IN,
    "intelligence-suggestions": SIGNED_IN,
    "intelligence-accuracy": SIGNED_IN,
    "api-grid-kinds": SIGNED_IN,
    "api-grid-reports": SIGNED_IN,
    "api-grid-daily-reports": SIGNED_IN,
    "api-grid-figures": SIGNED_IN,
    "appeal-list": SIGNED_IN,
    "order-list": SIGNED_IN,
    "consultation-list": SIGNED_IN,
    "whistle-list": SIGNED_IN,
    "criticism-notice-list": SIGNED_IN,
    "supervision-units": SIGNED_IN,
    "supervision-watchlist": SIGNED_IN,
    "supervision-order-list": SIGNED_IN,
    "notification-list": SIGNED_IN,
    "callback-list": SIGNED_IN,
    "assessment-list": SIGNED_IN,
    "api-knowledge-answer-list": SIGNED_IN,
    "api-knowledge-entry-list": SIGNED_IN,
    "api-knowledge-import": SIGNED_IN,
    "api-knowledge-search": SIGNED_IN,
    "api-root": SIGNED_IN,
    # The API's description: what it offers, not what it holds.
    "api-schema": PUBLIC,
    "api-docs": PUBLIC,
    "discovery": PUBLIC,
    "services": PUBLIC,
    "requests": PUBLIC,
}
# Those of OPEN_ROUTES that show an outsider words or codes of the scene, and why that is right.
SHOWN_ACROSS = {}
# Objects that some outsiders of the matrix read by design (GET only; they never write them): the URL
# name of a page or the path of an API object → the kinds of outsider (test_cross_unit_matrix.OUTSIDERS)
# and why.
KNOWLEDGE_READERS = (
    {"other district's dispatcher"},
    "a city's dispatchers read its knowledge base as its operators do (yousu.api.knowledge)",
)
READ_ACROSS = {
    "knowledge-entry": KNOWLEDGE_READERS,
    "knowledge-version": KNOWLEDGE_READERS,
    "/api/v1/knowledge/entries/": KNOWLEDGE_READERS,
}

# Left out of the matrix, with the reason: the admin has its own permission system (is_staff and each
# ModelAdmin's permissions, scoped per city by yousu.core.admin; tests/admin), and static files are the
# same for everyone. Media is not left out: no pattern may serve it (yousu/urls.py), and one that did
# would fail for want of an entry.
EXCLUDED_PREFIXES = {
    "admin/": "Django's admin: staff only, its own permissions per model and city (tests/admin)",
    "static/": "the stylesheets and scripts, the same for everyone",
}


def url_patterns(urlconf=None) -> list[tuple[str, str | None, URLPattern]]:
    """(route, URL name, pattern) of every URL pattern of the URL conf (the project's unless another
    is given) outside EXCLUDED_PREFIXES; the route is the
    pattern's text from the root, e.g. `api/v1/^orders/(?P<id>[^/.]+)/accept/$`. A DRF router's
    `.json`-style variant of a route is the same view and left out."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if route.startswith(tuple(EXCLUDED_PREFIXES)):
                continue
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif "format" not in pattern.pattern.regex.groupindex:
                yield route, pattern.name, pattern

    return list(walk(get_resolver(urlconf).url_patterns))


FORMAT = re.compile(r"\(\?P<fmt>[^)]*\)")
PARAMETER = re.compile(r"\(\?P<\w+>[^)]*\)|<[^>]+>")


def route_path(route: str) -> str:
    """The URL path of a route, with `{}` for each parameter (Open311's format is json):
    `/api/v1/orders/{}/accept/`, `/open311/v2/requests/{}.json`."""
    path = PARAMETER.sub("{}", FORMAT.sub("json", route))
    return "/" + path.replace("^", "").replace("$", "").replace("\\.", ".")


def route_entry(route: str, name: str | None, pattern: URLPattern):
    """The entry of a URL pattern in this module, or None when it has none."""
    path = route_path(route)
    if "{}" not in path:
        return OPEN_ROUTES.get(name or route)
    if name in WEB_OBJECTS or name in WEB_NOT_OWNED:
        return WEB_OBJECTS.get(name) or WEB_NOT_OWNED[name]
    prefix = path[: path.index("{}")]
    return API_OBJECTS.get(prefix) or API_NOT_OWNED.get(prefix)


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
    "knowledge.KnowledgeEntry",
    "knowledge.KnowledgeEntryVersion",
    "knowledge.IntakeAnswer",
    "knowledge.KnowledgeProposal",
]


def web_routes():
    """(URL name, parameter names) of every named web page outside the admin, the API and Open311."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if not route.startswith(SKIPPED_PREFIXES):
                    yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield pattern.name, set(pattern.pattern.regex.groupindex)

    return list(walk(get_resolver().url_patterns))


def web_urls(scene) -> dict[str, str]:
    """URL name → a URL of every web page that can be drawn for the scene: those without a parameter,
    and those whose parameter is an object of the scene."""
    urls = {}
    for name, params in web_routes():
        if not params:
            urls[name] = reverse(name)
        elif name in WEB_OBJECTS:
            values, _owner = WEB_OBJECTS[name]
            urls[name] = reverse(name, kwargs={param: value(scene) for param, value in values.items()})
    for name, kwargs in MORE_PAGES:
        arguments = kwargs(scene)
        urls[f"{name} {arguments}"] = reverse(name, kwargs=arguments)
    return urls


# Pages the crawl opens besides one per URL name: the same page for an object in another state, and
# each review queue.
MORE_PAGES = [
    ("dispatch-appeal", lambda s: {"code": s.received.code}),
    ("unit-order", lambda s: {"order_id": s.fresh_order.pk}),
    ("unit-order", lambda s: {"order_id": s.replied.pk}),
    *[
        ("dispatch-reviews", lambda s, q=queue: {"queue": q})
        for queue in ("returns", "extensions", "replies", "consultations")
    ],
]


def snapshot() -> dict:
    return {name: list(apps.get_model(name).objects.order_by("pk").values()) for name in WATCHED}


class Form:
    """A <form> of a page: its method, its action (absolute path) and its fields with their defaults."""

    def __init__(self, method: str, action: str):
        self.method, self.action, self.fields = method, action, {}


class Page(HTMLParser):
    """The forms of an HTML page, every element with its attributes and every script with its type (for
    the XSS checks)."""

    def __init__(self, url: str, html: str):
        super().__init__(convert_charrefs=True)
        self.url, self.html, self.forms, self.elements, self._form, self._script = (
            url,
            html,
            [],
            [],
            None,
            None,
        )
        self.scripts = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = [(name, value or "") for name, value in attrs]
        self.elements.append((tag, attrs))
        named = dict(attrs)
        if tag == "form":
            action = urljoin(self.url, named.get("action") or self.url)
            self._form = Form((named.get("method") or "get").lower(), urlsplit(action).path)
            self.forms.append(self._form)
        elif tag in ("input", "textarea", "select") and self._form is not None and named.get("name"):
            if named.get("type") not in ("checkbox", "radio") or "checked" in named:
                self._form.fields.setdefault(named["name"], named.get("value", ""))
        elif tag == "script":
            self._script, self._script_type = [], named.get("type", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "script" and self._script is not None:
            self.scripts.append((self._script_type, "".join(self._script)))
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)


def crawl(scene, people: dict) -> dict[tuple[str, str], Page]:
    """(who, URL name) → the page, for every page of `web_urls` that each person (None: an anonymous
    visitor) may see: a 200 answer in HTML."""
    pages = {}
    urls = web_urls(scene)
    for who, person in people.items():
        client = Client()
        if person is not None:
            client.force_login(person)
        for name, url in urls.items():
            answer = client.get(url)
            if answer.status_code == 200 and answer["Content-Type"].startswith("text/html"):
                pages[who, name] = Page(url, answer.content.decode())
    return pages


def crawled_people(scene) -> dict:
    """One person of each kind of desk, and the anonymous visitor."""
    p = scene.world.people
    return {
        "operator": p.operator,
        "dispatcher": p.dispatcher,
        "district dispatcher": p.east_dispatcher,
        "department handler": p.east_eco_handler,
        "street leader": p.street_leader,
        "community handler": p.east_community_handler,
        "grid worker": scene.grid.worker,
        "supervisor": p.supervisor,
        "administrator": p.admin,
        "anonymous": None,
    }
