"""Server-rendered pages: the start page, the published catalog, the responsibility lookup."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import render

from yousu.catalog.models import AccessList, AccessListEntry, CatalogItem, ResponsibilityRule
from yousu.catalog.selectors import responsible_unit, rules_in_force
from yousu.core.errors import DomainError
from yousu.core.metrics import health
from yousu.demo.people import DEMO_PASSWORD
from yousu.org.calendar import calendar_notices
from yousu.org.choices import Level
from yousu.org.models import Area, Person, Unit

from .forms import ResponsibilityLookupForm
from .home import my_work

logger = logging.getLogger(__name__)


def start(request):
    """Say what the platform is, show what this installation holds, and link to its parts; a signed-in
    person first sees their desks and what waits at each."""
    areas_by_level = dict(Area.objects.values_list("level").annotate(n=Count("id")))
    items_by_level = dict(CatalogItem.objects.values_list("level").annotate(n=Count("id")))
    demo_people = []
    if settings.YOUSU_SHOW_DEMO_ACCOUNTS:
        # Only on one machine (development settings): newcomers need the demo accounts to look around.
        demo_people = list(
            Person.objects.filter(is_demo=True, is_active=True)
            # The demo activity's simulated actors have no usable password ("!…"): not accounts to offer.
            .exclude(password__startswith="!")
            .select_related("unit")
            .prefetch_related("roles")
            .order_by("id")[:40]
        )
    context = {
        "areas": [(Level(level).label, areas_by_level.get(level, 0)) for level in Level.values],
        "unit_count": Unit.objects.count(),
        "domain_count": items_by_level.get(1, 0),
        "category_count": items_by_level.get(2, 0),
        "item_count": items_by_level.get(3, 0),
        "rule_count": ResponsibilityRule.objects.filter(valid_until__isnull=True).count(),
        "access_lists": AccessList.objects.annotate(n=Count("entries")).select_related("area"),
        "demo_people": demo_people,
        "my_work": my_work(request.user) if request.user.is_authenticated else [],
        "demo_password": DEMO_PASSWORD if demo_people else None,
    }
    return render(request, "web/start.html", context)


def healthz(request):
    """Health of the web process and what it depends on: database, cache, queue and the last sweep's
    age (yousu.core.metrics.health). 200 when every check passes, else 503 with the failed ones named.
    No sign-in and no personal data: a monitor or load balancer polls it.

    The working calendar and the cache are reported beside them (city codes and years only) and named
    under `warnings`, never `failed`: a year missing from the calendar is for an administrator to enter,
    the platform works on without its cache, and a 503 would only make a load balancer take every
    server out."""
    report, ok = health()
    try:
        notices = calendar_notices()
    except Exception as exc:  # the database is down: `database` already says so
        logger.warning("working calendar health failed", exc_info=exc)
        report["working_calendar"] = f"error: {type(exc).__name__}"
    else:
        report["working_calendar"] = [
            {"city": notice.city.code, "year": notice.year, "state": notice.state} for notice in notices
        ] or "ok"
    if report["working_calendar"] != "ok":
        report.setdefault("warnings", []).append("working_calendar")
    response = JsonResponse(report, status=200 if ok else 503)
    response["Cache-Control"] = "no-store"
    return response


def catalog_tree(request):
    """The responsibility catalog as published: every item, its time limit and who answers for it."""
    nodes = list(
        CatalogItem.objects.filter(is_active=True).select_related("time_limit_class").order_by("path")
    )
    rules = {}
    for rule in rules_in_force().select_related("sector", "unit", "area"):
        rules.setdefault(rule.item_id, []).append(rule)
    on_list = set(AccessListEntry.objects.values_list("item_id", flat=True))
    query = request.GET.get("q", "").strip()
    if query:
        matched = {n.pk for n in nodes if query in n.name or query in n.keywords or query == n.code}
        keep = {code for n in nodes if n.pk in matched for code in n.path.strip("/").split("/")}
        nodes = [n for n in nodes if n.code in keep]
    rows = [
        {
            "node": n,
            "rules": rules.get(n.pk, []),
            "on_access_list": n.pk in on_list,
        }
        for n in nodes
    ]
    return render(request, "web/catalog_tree.html", {"rows": rows, "query": query})


def responsibility_lookup(request):
    """Ask the catalog: who is responsible for item X at place Y (now, or at a past moment)?"""
    form = ResponsibilityLookupForm(request.GET or None)
    answer = error = None
    if form.is_bound and form.is_valid():
        try:
            answer = responsible_unit(
                item=form.cleaned_data["item"], area=form.cleaned_data["area"], at=form.cleaned_data["at"]
            )
        except DomainError as exc:
            error = exc.message
    return render(request, "web/lookup.html", {"form": form, "answer": answer, "error": error})
