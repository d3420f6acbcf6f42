"""The web pages as data for the security tests: which pages take which object of the scene and who
owns it, every page of the URL map, and a snapshot of the tables a refused write must not touch."""

from __future__ import annotations

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
