"""The stored-XSS corpus, how each text field a citizen or staff member can fill is given a payload,
and how a rendered page is checked for anything of a payload that became markup."""

from __future__ import annotations

import datetime as dt
import html

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from yousu.appeals.models import Appeal
from yousu.callbacks.models import Callback
from yousu.callbacks.services import callbacks_create_due
from yousu.dispatch.models import Consultation, ExtensionRequest, Order, ReportIn, ReturnRequest, Whistle
from yousu.dispatch.services import order_forward
from yousu.grid.models import FoundProblem
from yousu.supervision.models import SupervisionOrder, Urge

from ..api.helpers import CITIZEN_PHONE
from ..callbacks.helpers import completed_order
from .conftest import east_order
from .routes import Page

# Every payload sets window.__xss if it runs; MARK finds what is left of one in a page.
MARK = "__xss"
# None longer than 60 characters: the citizen's name takes no more.
PAYLOADS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    '"><svg onload=window.__xss=1>',
    "'><img src=x onerror=window.__xss=1 x='",
    '" autofocus onfocus="window.__xss=1" x="',
    "javascript:window.__xss=1//",
    "</textarea></title><script>window.__xss=1</script>",
    "</script><script>window.__xss=1</script>",
    '{{"tmplxss"|upper}}{%if 1%}TMPL{%endif%}${window.__xss=1}',
    # Right-to-left override, a zero-width space in a tag name, full-width brackets (the name field
    # takes at most 60 characters).
    "\u202e<scr\u200bipt>window.__xss=1</script>\uff1cscript\uff1e",
]
# What a template engine would make of the template-ish payload if it evaluated citizen text.
EVALUATED = ("TMPLXSS", "TMPL$")


def expect(answer, *statuses):
    assert answer.status in (statuses or (200, 201)), (answer.status, answer.body)
    return answer.body


def submit_everywhere(api, world, grid, payload: str, phone: str) -> dict:
    """Put `payload` in every text field, each through the way people fill it (the citizen page, the
    REST API as operator, unit, supervisor, street, grid worker); `phone` is the citizen's, one per
    payload as the citizen page limits submissions per number. Returns the objects, and the stored
    value of each field that must equal the payload (nothing a person wrote is silently changed)."""
    p, u, a, i = world.people, world.units, world.areas, world.items
    made = {}
    # The citizen's page (/h5/), anonymous.
    citizen = Client()
    form = Page(reverse("citizen-submit"), citizen.get(reverse("citizen-submit")).content.decode()).forms
    [fields] = [f.fields for f in form if f.action == reverse("citizen-submit")]
    fields.update(
        kind="complaint",
        title=payload,
        content=payload,
        citizen_phone=phone,
        citizen_name=payload,
        address=payload,
        longitude="101.3",
        latitude="31.3",
    )
    answer = citizen.post(reverse("citizen-submit"), fields)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    made["citizen appeal"] = Appeal.objects.get(code=answer["Location"].rstrip("/").rsplit("/", 1)[-1])
    made["citizen"] = citizen
    # The operator's intake, through the API.
    body = expect(
        api.post(
            "/api/v1/appeals/",
            p.operator,
            {
                "kind": "complaint",
                "channel": "hotline",
                "title": payload,
                "content": payload,
                "address": payload,
                "citizen_name": payload,
                "citizen_phone": CITIZEN_PHONE,
                "area": a.grid.code,
                "item": i.fumes.code,
            },
        )
    )
    appeal = made["appeal"] = Appeal.objects.get(code=body["code"])
    inquiry = expect(
        api.post(
            "/api/v1/appeals/",
            p.operator,
            {
                "kind": "inquiry",
                "channel": "hotline",
                "title": "咨询",
                "content": payload,
                "citizen_phone": CITIZEN_PHONE,
            },
        )
    )["code"]
    expect(api.post(f"/api/v1/appeals/{inquiry}/answer/", p.operator, {"answer": payload}))
    # Dispatch and handling: the unit asks for time, the supervisor urges and supervises, the unit replies.
    expect(api.post(f"/api/v1/appeals/{appeal.code}/dispatch/", p.dispatcher, {}))
    order = order_forward(order=appeal.orders.get(unit=u.east_platform), by=p.east_dispatcher)
    made["order"] = order
    path = f"/api/v1/orders/{order.pk}"
    expect(api.post(f"{path}/accept/", p.east_eco_handler))
    until = (timezone.localtime(order.completion_due) + dt.timedelta(days=3)).isoformat()
    expect(api.post(f"{path}/extension-request/", p.east_eco_handler, {"until": until, "reason": payload}))
    expect(api.post(f"{path}/urge/", p.supervisor, {"text": payload}))
    expect(api.post(f"{path}/supervision-order/", p.supervisor, {"reason": payload}))
    expect(api.post(f"{path}/reply/", p.east_eco_handler, {"text": payload, "result": "solved"}))
    # A return request of another order.
    returning = east_order(world, title="退单", content="退单")
    expect(
        api.post(
            f"/api/v1/orders/{returning.pk}/return-request/",
            p.east_eco_handler,
            {
                "reason": "wrong_area",
                "explanation": payload,
                "suggested_unit": u.west_eco.code,
                "basis_item": world.items.fumes.code,
                "basis_note": payload,
            },
        )
    )
    made["returning"] = returning
    # The street's whistle and the department's report-in; the platform's consultation.
    whistle = expect(
        api.post("/api/v1/whistles/", p.street_leader, {"problem": payload, "departments": [u.east_eco.code]})
    )["id"]
    expect(
        api.post(
            f"/api/v1/whistles/{whistle}/report-in/",
            p.east_eco_handler,
            {"on_site": payload, "note": payload},
        )
    )
    consultation = expect(
        api.post(
            "/api/v1/consultations/",
            p.dispatcher,
            {"item": i.parking.code, "topic": payload, "parties": [u.east_street.code, u.east_market.code]},
        )
    )["id"]
    # A grid worker's report, and the operator's callback of a completed appeal.
    problem = expect(
        api.post(
            "/api/v1/grid/reports/",
            grid.worker,
            {"kind": grid.pollution.code, "text": payload, "mode": "assisted", "grid": a.grid.code},
        )
    )
    completed = completed_order(world, title="回访", content="回访")
    callbacks_create_due(now=timezone.now() + dt.timedelta(days=2))
    callback = Callback.objects.get(order=completed)
    expect(
        api.post(
            f"/api/v1/callbacks/{callback.pk}/record/",
            p.operator,
            {"solved": True, "satisfaction": "satisfied", "comment": payload},
        )
    )
    appeal.refresh_from_db()
    order = Order.objects.get(pk=order.pk)
    made["stored"] = {
        "citizen page: title": made["citizen appeal"].title,
        "citizen page: content": made["citizen appeal"].content,
        "citizen page: name": made["citizen appeal"].citizen_name,
        "citizen page: address": made["citizen appeal"].address,
        "intake: title": appeal.title,
        "intake: content": appeal.content,
        "intake: address": appeal.address,
        "intake: citizen name": appeal.citizen_name,
        "intake answer": Appeal.objects.get(code=inquiry).intake_answer,
        "extension reason": ExtensionRequest.objects.get(order=order).reason,
        "urge": Urge.objects.get(order=order).text,
        "supervision order": SupervisionOrder.objects.get(order=order).reason,
        "reply": order.reply_text,
        "return explanation": ReturnRequest.objects.get(order=returning).explanation,
        "whistle problem": Whistle.objects.get(pk=whistle).problem,
        "report-in on site": ReportIn.objects.get(whistle_id=whistle).on_site,
        "report-in note": ReportIn.objects.get(whistle_id=whistle).note,
        "consultation topic": Consultation.objects.get(pk=consultation).topic,
        "grid report": FoundProblem.objects.get(pk=problem["id"]).text,
        "callback comment": Callback.objects.get(pk=callback.pk).comment,
    }
    return made


def inert_problems(page, payload: str) -> list[str]:
    """What of `payload` became markup on the page: an element or attribute of it, a script with it,
    a javascript: link, evaluated template syntax, or the payload's own text unescaped."""
    problems = []
    for tag, attrs in page.elements:
        for name, value in attrs:
            if name.startswith("on") and MARK in value:
                problems.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction") and value.strip().lower().startswith(
                "javascript:"
            ):
                problems.append(f"<{tag} {name}={value!r}>")
    for kind, text in page.scripts:
        if MARK in text and "json" not in kind:
            problems.append(f"<script> with {text[:80]!r}")
    problems += [f"evaluated: {word}" for word in EVALUATED if word in page.html]
    if "<" in payload and payload in page.html:
        problems.append("the payload unescaped")
    return problems


def shows(page, payload: str) -> bool:
    """The page shows the payload's text (escaped), or its start where a page shortens text."""
    return payload[:24] in html.unescape(page.html)
