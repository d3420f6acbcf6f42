"""The leader's dashboard (数据看板): a page that polls the dashboard summary of the API and draws it with
ECharts, and the area boundaries its map is drawn on (GeoJSON built from Area.boundary).

The figures come only from the summary endpoint; this module shows who may look, which districts can be
chosen, the words the script shows (so they are translated with the page) and the map's shapes.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from yousu.evaluation.choices import Zone
from yousu.org.choices import Level, UnitKind
from yousu.org.models import Area
from yousu.org.selectors import in_jurisdiction_of, jurisdictions_visible_to
from yousu.reports.summary import may_read_dashboard

# Seconds between two polls of the summary; a wall screen needs no more than this, and the summary is
# read by every open screen.
DEFAULT_POLL_SECONDS = 30


def _words() -> dict:
    """Everything the script writes that a person reads, in the page's language."""
    return {
        "updated_at": _("更新于 %(time)s"),
        "failed": _("更新失败（%(reason)s），显示的是上次成功读取的数据，将自动重试。"),
        "network": _("无法连接服务器"),
        "no_data": _("暂无数据"),
        "no_boundaries": _("尚未录入这些区域的边界，按区域列出受理量。"),
        "received": _("受理量"),
        "settled": _("已办结"),
        "pieces": _("件"),
        "hours": _("小时"),
        "no_overdue": _("当前没有超期工单。"),
        "no_hot_issues": _("近期没有热点问题。"),
        "no_ranking": _("尚无考评结果。"),
        "ranking_of": _("%(month)s 考评（第 %(version)s 版）"),
        "provisional": _("（暂定）"),
        "all_city": _("全市"),
        "proactive_by_street": _("各街道"),
        "proactive_by_community": _("各社区"),
        "proactive_modes": {"self": _("自办"), "assisted": _("协办"), "joint": _("联办")},
        "no_proactive": _("统计期内没有发现问题、日报告或吹哨。"),
        "no_on_spot": _("统计期内没有现场签收。"),
        "proactive_mean": _("平均 %(hours)s"),
        "period_custom": _("%(start)s 至 %(end)s"),
        "zones": {zone.value: str(zone.label) for zone in Zone},
        "levels": {level.value: str(level.label) for level in Level},
        "unit_kinds": {kind.value: str(kind.label) for kind in UnitKind},
    }


def _districts(person):
    """The districts the person may choose: their city's (every city's for the provincial role)."""
    districts = Area.objects.filter(level=Level.DISTRICT, is_active=True).order_by("path")
    return districts.filter(in_jurisdiction_of(person, "path"))


def _choices(person) -> list[dict]:
    """The scopes of the page's selector: each district of the person's city; with several cities
    (the provincial role), each city (its whole figures) followed by its districts."""
    cities = list(jurisdictions_visible_to(person))
    districts = list(_districts(person))
    if len(cities) <= 1:
        return [{"code": d.code, "name": d.name} for d in districts]
    choices = []
    for city in cities:
        choices.append({"code": city.code, "name": city.name})
        choices += [
            {"code": d.code, "name": f"· {d.name}"} for d in districts if d.path.startswith(city.path)
        ]
    return choices


def _refuse_json(message: str, *, field: str | None, code: str, status: int) -> JsonResponse:
    # The same error shape as the REST API, so the page's script reads both the same way.
    return JsonResponse({"error": {"code": code, "message": message, "field": field}}, status=status)


@login_required
@require_GET
def page(request):
    if not may_read_dashboard(request.user):
        return render(request, "web/dashboard.html", {"refused": True}, status=403)
    context = {
        "districts": _choices(request.user),
        "summary_url": reverse("api-dashboard-summary"),
        "areas_url": reverse("dashboard-areas"),
        "poll_seconds": getattr(settings, "YOUSU_DASHBOARD_POLL_SECONDS", DEFAULT_POLL_SECONDS),
        "words": _words(),
        "zones": Zone.choices,
    }
    return render(request, "web/dashboard.html", context)


@login_required
@require_GET
def areas_geojson(request):
    """The districts of the city, or the streets of one district (?district=CODE), as a GeoJSON
    FeatureCollection; only areas with a boundary are drawn. Features carry the area's code and name,
    and the map joins them with the summary's by_area on the code."""
    if not may_read_dashboard(request.user):
        return _refuse_json(_("无权查看数据看板"), field=None, code="permission_denied", status=403)
    code = request.GET.get("district", "").strip()
    if code:
        # A district (or a city, for the provincial role), as the summary endpoint accepts it, so
        # the map and the figures agree; another city's area is not there for this reader.
        # No code has a NUL character, and PostgreSQL refuses one in a query (a 500, not this 400).
        district = (
            None
            if "\x00" in code
            else Area.objects.filter(code=code, level__in=(Level.DISTRICT, Level.CITY)).first()
        )
        if district is None or not _districts(request.user).filter(path__startswith=district.path).exists():
            return _refuse_json(
                _("未知的区县编码：%(code)s") % {"code": code[:40]},
                field="district",
                code="invalid",
                status=400,
            )
        level = Level.STREET if district.level == Level.DISTRICT else Level.DISTRICT
        areas = Area.objects.filter(parent=district, level=level, is_active=True)
    else:
        areas = _districts(request.user)
    features = [
        {
            "type": "Feature",
            "id": area.code,
            "properties": {"code": area.code, "name": area.name},
            "geometry": area.boundary,
        }
        for area in areas.filter(boundary__isnull=False).order_by("path").only("code", "name", "boundary")
    ]
    response = JsonResponse({"type": "FeatureCollection", "features": features})
    # Boundaries change rarely; the page asks again only when the district changes.
    response["Cache-Control"] = "private, max-age=300"
    return response
