"""Intake and dispatch suggestions: what the model, the gazetteer and the duplicate finder say.

`suggestions/` answers as the operator types (catalog items with probabilities and units, the place,
possible duplicates); an appeal's own `suggestion/` is the one kept for it and measured; the
dispatcher withdraws an automatic dispatch; `accuracy/` is the platform's first-try accuracy.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from yousu.appeals.models import Appeal
from yousu.core.errors import DomainError, NotFound, PermissionRefused
from yousu.dispatch.auto import auto_dispatch_withdraw
from yousu.intelligence.api_hot import duplicates_as_data
from yousu.intelligence.classifier import TrainingDataError
from yousu.intelligence.duplicates import find_duplicates
from yousu.intelligence.places import grid_at, place_as_dict, resolve_place
from yousu.intelligence.suggestions import first_try_accuracy, suggest_items, suggestion_record
from yousu.knowledge.answers import suggest_entries
from yousu.org.models import Area, Person
from yousu.org.selectors import jurisdiction_of, scope_within

from .permissions import appeals_visible_to, is_jurisdiction_wide, is_unit_staff
from .views import ERRORS

logger = logging.getLogger(__name__)

MAX_TEXT = 4000
ACCURACY_MAX_DAYS = 366


class SuggestIn(serializers.Serializer):
    title = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    content = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")
    address = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    longitude = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    latitude = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    area = serializers.SlugRelatedField(
        slug_field="code", queryset=Area.objects.filter(is_active=True), required=False, allow_null=True
    )
    appeal = serializers.CharField(
        required=False, allow_blank=True, help_text="正在受理的诉求编号（查重时排除）"
    )

    def validate(self, data):
        if not (data.get("title", "").strip() or data.get("content", "").strip()):
            raise serializers.ValidationError({"content": "标题和内容不能都为空"})
        if (data.get("longitude") is None) != (data.get("latitude") is None):
            missing = "longitude" if data.get("longitude") is None else "latitude"
            raise serializers.ValidationError({missing: "经纬度须同时填写"})
        return data


class AutoDispatchWithdrawIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class AccuracyQuery(serializers.Serializer):
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)


def _staff(person: Person) -> None:
    if not is_unit_staff(person):
        raise PermissionRefused("没有所属单位的人员不能查看派单建议", field="by")


def _duplicates(person: Person, *, text: str, area: Area | None, exclude_id: int | None) -> list[dict]:
    return duplicates_as_data(person, find_duplicates(text=text, area=area, exclude_id=exclude_id))


def _where(
    person: Person, *, address: str, text: str, longitude, latitude, area: Area | None
) -> tuple[dict, Area | None]:
    """The place evidence and the area the catalog rules are looked up for (explicit > grid > text),
    within the caller's city, as the place endpoint resolves it."""
    city = jurisdiction_of(person)
    resolution = resolve_place(address=address, text=text, city=city)
    grid = grid_at(lat=latitude, lng=longitude, within=city) if longitude is not None else None
    chosen = area or grid or resolution.area
    return {
        "place": place_as_dict(resolution),
        "grid": {"code": grid.code, "name": grid.name} if grid else None,
        "area": {"code": chosen.code, "name": chosen.name, "level": chosen.level} if chosen else None,
    }, chosen


def _model_dict(model) -> dict | None:
    return {"version": model.version} if model else None


class Suggestions(APIView):
    """As the operator types: catalog items, units, the place and possible duplicates."""

    @extend_schema(
        summary="受理时的派单建议（事项、承办单位、地点、疑似重复）",
        request=SuggestIn,
        responses={200: dict, **ERRORS},
    )
    def post(self, request):
        return self._answer(request, request.data)

    @extend_schema(
        summary="受理时的派单建议（GET 形式）", parameters=[SuggestIn], responses={200: dict, **ERRORS}
    )
    def get(self, request):
        return self._answer(request, request.query_params)

    def _answer(self, request, data):
        started = time.perf_counter()
        _staff(request.user)
        query = SuggestIn(data=data)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        exclude = (
            Appeal.objects.filter(code=q["appeal"]).values_list("pk", flat=True).first()
            if q.get("appeal")
            else None
        )
        aids = intake_aids(
            request.user,
            title=q["title"],
            content=q["content"],
            address=q["address"],
            longitude=q.get("longitude"),
            latitude=q.get("latitude"),
            area=q.get("area"),
            exclude_id=exclude,
        )
        return Response({**aids, "took_ms": round((time.perf_counter() - started) * 1000, 1)})


def intake_aids(
    person: Person,
    *,
    title: str,
    content: str,
    address: str,
    longitude: float | None = None,
    latitude: float | None = None,
    area: Area | None = None,
    exclude_id: int | None = None,
) -> dict:
    """What intake shows beside the form as the operator types: the catalog items the model suggests
    with their units, the place, possible duplicates the person may open, and the knowledge base's
    entries that may answer it on the spot. The API endpoint and
    the operator's workbench both answer with this, so the two never disagree."""
    text = f"{title}\n{content}".strip()
    where, chosen = _where(
        person, address=address, text=text, longitude=longitude, latitude=latitude, area=area
    )
    try:
        made = suggest_items(text=text, area=chosen)
    except (TrainingDataError, OSError):
        # A model file lost or damaged on disk must not stop intake: the place and the duplicates
        # are still offered, and the operator is told why there are no items.
        logger.exception("no intake suggestion: the active model could not be loaded")
        made = None
    return {
        "model": _model_dict(made.model) if made else None,
        "model_error": "" if made else gettext("分类模型文件无法加载，暂无事项建议；请联系系统管理员"),
        "items": [entry.as_dict() for entry in made.items] if made else [],
        **where,
        "duplicates": _duplicates(person, text=text, area=chosen, exclude_id=exclude_id),
        # Most calls are questions: the knowledge base's answers come first on the workbench.
        "knowledge": suggest_entries(person, text),
    }


def _visible_appeal(person: Person, code: str) -> Appeal:
    appeal = appeals_visible_to(person).select_related("area", "item").filter(code=code).first()
    if appeal is None:
        raise NotFound("诉求不存在或无权查看", field="code")
    return appeal


class AppealSuggestion(APIView):
    """The suggestion kept for an appeal (made now if none was), with today's place and duplicates."""

    @extend_schema(summary="诉求的派单建议（保留并用于首派准确率）", responses={200: dict, **ERRORS})
    def get(self, request, code):
        _staff(request.user)
        appeal = _visible_appeal(request.user, code)
        kept = suggestion_record(appeal)
        text = f"{appeal.title}\n{appeal.content}"
        where, _area = _where(
            request.user,
            address=appeal.address,
            text=text,
            longitude=appeal.longitude,
            latitude=appeal.latitude,
            area=appeal.area,
        )
        return Response(
            {
                "appeal": appeal.code,
                "model": _model_dict(kept.model) if kept else None,
                "made_at": timezone.localtime(kept.made_at).isoformat() if kept else None,
                "items": kept.suggested if kept else [],
                "chosen": _chosen(kept),
                **where,
                "duplicates": _duplicates(request.user, text=text, area=appeal.area, exclude_id=appeal.pk),
            }
        )


def _chosen(kept) -> dict | None:
    if kept is None or kept.chosen_at is None:
        return None
    return {
        "item": kept.chosen_item.code if kept.chosen_item_id else None,
        "unit": kept.chosen_unit.code if kept.chosen_unit_id else None,
        "at": timezone.localtime(kept.chosen_at).isoformat(),
        "agreed": kept.agreed,
        "in_top3": kept.in_top3,
        "auto_dispatched": kept.auto_dispatched,
        "withdrawn_at": timezone.localtime(kept.withdrawn_at).isoformat() if kept.withdrawn_at else None,
    }


class WithdrawAutoDispatch(APIView):
    @extend_schema(
        summary="撤回自动派单（承办单位签收前）",
        request=AutoDispatchWithdrawIn,
        responses={200: dict, **ERRORS},
    )
    def post(self, request, code):
        appeal = _visible_appeal(request.user, code)
        body = AutoDispatchWithdrawIn(data=request.data)
        body.is_valid(raise_exception=True)
        appeal = auto_dispatch_withdraw(appeal=appeal, by=request.user, reason=body.validated_data["reason"])
        return Response({"appeal": appeal.code, "status": appeal.status}, status=status.HTTP_200_OK)


class Accuracy(APIView):
    @extend_schema(
        summary="首派准确率（按周、按领域）", parameters=[AccuracyQuery], responses={200: dict, **ERRORS}
    )
    def get(self, request):
        if not is_jurisdiction_wide(request.user):
            raise PermissionRefused("只有市级平台人员可以查看首派准确率", field="by")
        query = AccuracyQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        today = timezone.localdate()
        end = query.validated_data.get("end") or today
        start = query.validated_data.get("start") or end - dt.timedelta(weeks=12)
        if (end - start).days > ACCURACY_MAX_DAYS:
            raise DomainError(f"统计区间不能超过 {ACCURACY_MAX_DAYS} 天", field="start")
        return Response(
            first_try_accuracy(start=start, end=end, jurisdiction=scope_within(request.user, None))
        )


urlpatterns = [
    path("suggestions/", Suggestions.as_view(), name="intelligence-suggestions"),
    path("accuracy/", Accuracy.as_view(), name="intelligence-accuracy"),
    path("appeals/<str:code>/suggestion/", AppealSuggestion.as_view(), name="intelligence-appeal-suggestion"),
    path(
        "appeals/<str:code>/withdraw-auto-dispatch/",
        WithdrawAutoDispatch.as_view(),
        name="intelligence-withdraw-auto-dispatch",
    ),
]
