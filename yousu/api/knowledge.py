"""The knowledge base (知识库) over the API: search as operators see it, the entries with their
versions, and the owning unit's writes (create, edit with an optimistic version check, review,
withdraw, restore, import).

Also who reads which entry (`entries_visible_to`), which the web pages (yousu.web.knowledge) share;
the optimistic version check is entry_update's `expected_version`. As everywhere in the API, the views read the request,
find the entry among those the caller may read (everything else is 404), pass the caller as `by` and
let yousu.knowledge.services refuse (403, 400 naming the field).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from yousu.catalog.models import CatalogItem
from yousu.knowledge import services
from yousu.knowledge.models import EntryStatus, KnowledgeEntry, KnowledgeEntryVersion
from yousu.knowledge.search import search
from yousu.knowledge.selectors import entries_for_operators, entry_history
from yousu.knowledge.services import (
    UNCHANGED,
    entry_create,
    entry_restore,
    entry_review,
    entry_update,
    entry_withdraw,
)
from yousu.org.choices import RoleCode
from yousu.org.models import Area, Person, Unit
from yousu.org.selectors import (
    in_jurisdiction_of,
    is_jurisdiction_wide,
    jurisdiction_of,
    sees_every_jurisdiction,
)

from .exceptions import error_response
from .serializers import Code, Flag, Text, choice, units
from .views import CONFLICT, ERRORS, ApiViewSet

# ---------------------------------------------------------------- who reads which entry


def _active(person) -> bool:
    return bool(person.is_authenticated and person.is_active)


def is_knowledge_reader(person: Person) -> bool:
    """Reads the base as operators see it: the city-wide roles (operators first) and dispatchers."""
    return _active(person) and (is_jurisdiction_wide(person) or person.has_role(RoleCode.DISPATCHER))


def reader_jurisdiction(person: Person) -> Area | None:
    """The city whose entries the person searches; None for those who read every city."""
    return None if sees_every_jurisdiction(person) else jurisdiction_of(person)


def kept_by(person: Person) -> Q:
    """Entries the person keeps (yousu.knowledge.services.may_keep as a filter): their unit's, and
    for a unit leader those of the units below."""
    kept = Q(pk__in=[])
    if person.unit_id is None:
        return kept
    if person.has_role(*services.KEEPER_ROLES):
        kept |= Q(owning_unit_id=person.unit_id)
    if person.has_role(RoleCode.UNIT_LEADER):
        kept |= Q(owning_unit__path__startswith=person.unit.path)
    return kept


def entries_visible_to(person: Person) -> QuerySet[KnowledgeEntry]:
    """The entries a person may open. The people who keep an entry, and the platform's
    administrators of its city, read it in every state (withdrawn, expired, flagged); the city's
    operators, other city-wide roles and dispatchers read what operators may use today. Everyone
    else reads none: another city's entries are not found."""
    entries = KnowledgeEntry.objects.select_related("owning_unit")
    if not _active(person):
        return entries.none()
    if sees_every_jurisdiction(person):
        return entries
    seen = kept_by(person)
    if person.has_role(RoleCode.ADMINISTRATOR):
        seen |= in_jurisdiction_of(person, "owning_unit__area__path")
    if is_knowledge_reader(person):
        city = jurisdiction_of(person)
        if city is not None:
            seen |= Q(pk__in=entries_for_operators(jurisdiction=city).values("pk"))
    return entries.filter(seen)


def may_edit(person: Person, entry: KnowledgeEntry) -> bool:
    """Whether to offer edit, withdraw and restore: the services' own rule."""
    return _active(person) and services.may_edit(person, entry.owning_unit)


def may_review(person: Person, entry: KnowledgeEntry) -> bool:
    return _active(person) and services.may_keep(person, entry.owning_unit)


def entries_kept(person: Person) -> QuerySet[KnowledgeEntry]:
    return (
        KnowledgeEntry.objects.filter(kept_by(person)) if _active(person) else KnowledgeEntry.objects.none()
    )


def units_to_keep(person: Person) -> QuerySet[Unit]:
    """The units a person may create entries for (the services' may_edit as a filter): an
    administrator every unit of their city, a unit leader their unit and those below, a unit's
    other keepers their own unit, anyone else none."""
    found = Unit.objects.filter(is_active=True).select_related("area").order_by("path")
    if not _active(person):
        return found.none()
    if person.has_role(RoleCode.ADMINISTRATOR):
        city = jurisdiction_of(person)
        return found.filter(area__path__startswith=city.path) if city is not None else found.none()
    if person.unit_id is None:
        return found.none()
    if person.has_role(RoleCode.UNIT_LEADER):
        return found.filter(path__startswith=person.unit.path)
    if person.has_role(*services.KEEPER_ROLES):
        return found.filter(pk=person.unit_id)
    return found.none()


def items_for(person: Person) -> QuerySet[CatalogItem]:
    """The catalog items an entry may name: active items (level 3) of the shared catalog or the
    person's city."""
    items = CatalogItem.objects.filter(is_active=True, level=3).order_by("code")
    if sees_every_jurisdiction(person):
        return items
    city = jurisdiction_of(person) if _active(person) else None
    if city is None:
        return items.filter(jurisdiction__isnull=True)
    return items.filter(Q(jurisdiction__isnull=True) | Q(jurisdiction=city))


def search_entries(person: Person, query: str, k: int = 10) -> list[tuple[KnowledgeEntry, float]]:
    """The best `k` entries for `query` as operators of the person's city see them (never a hidden
    entry, not even to its own unit: the search shows what operators are offered), best first."""
    if not _active(person) or not query.strip():
        return []
    city = reader_jurisdiction(person)
    if city is None and not sees_every_jurisdiction(person):
        return []
    hits = search(query, k=k, jurisdiction=city)
    offered = entries_for_operators(jurisdiction=city) & entries_visible_to(person)
    found = offered.in_bulk([hit.entry_id for hit in hits])
    return [(found[hit.entry_id], hit.score) for hit in hits if hit.entry_id in found]


# ---------------------------------------------------------------- state and history


def hidden_reasons(entry: KnowledgeEntry, day: dt.date | None = None) -> list[str]:
    """Why operators are not offered the entry today (empty: they are)."""
    day = day or timezone.localdate()
    reasons = []
    if entry.status == EntryStatus.WITHDRAWN:
        reasons.append(_("已撤下"))
    if entry.flagged_at is not None:
        reasons.append(
            _("群众反映答复无帮助，已标记待审核：%(reason)s") % {"reason": entry.flag_reason or "—"}
        )
    if entry.valid_until is not None and entry.valid_until < day:
        reasons.append(_("已于 %(day)s 失效") % {"day": entry.valid_until.isoformat()})
    if entry.valid_from > day:
        reasons.append(_("%(day)s 起生效") % {"day": entry.valid_from.isoformat()})
    if entry.review_due < day:
        reasons.append(_("自 %(day)s 起逾期未审核") % {"day": entry.review_due.isoformat()})
    return reasons


# The fields of a snapshot compared between versions, in the order a person reads them.
SNAPSHOT_FIELDS = (
    "question",
    "answer",
    "owning_unit",
    "item_codes",
    "keywords",
    "source_title",
    "source_number",
    "source_url",
    "valid_from",
    "valid_until",
    "review_due",
    "status",
)


def field_label(name: str) -> str:
    return str(KnowledgeEntryVersion._meta.get_field(name).verbose_name)


def history(entry: KnowledgeEntry) -> list[KnowledgeEntryVersion]:
    """The entry's versions, oldest first, each with `changed` (the fields that differ from the
    version before; empty for the first) and `changed_labels`."""
    versions = list(entry_history(entry))
    previous = None
    for version in versions:
        version.changed = (
            []
            if previous is None
            else [
                name
                for name in SNAPSHOT_FIELDS
                if getattr(version, _column(name)) != getattr(previous, _column(name))
            ]
        )
        version.changed_labels = [field_label(name) for name in version.changed]
        previous = version
    return versions


def _column(name: str) -> str:
    return "owning_unit_id" if name == "owning_unit" else name


# ---------------------------------------------------------------- serializers


class ItemCode(Code):
    """A catalog item code among the active items of the shared catalog and the caller's city."""

    def get_queryset(self):
        return items_for(self.context["request"].user)


class KnowledgeEntryOut(serializers.ModelSerializer):
    owning_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    owning_unit_name = serializers.CharField(source="owning_unit.name", read_only=True)
    items = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    status = serializers.CharField(help_text="active 在用 / withdrawn 已撤下")
    status_label = serializers.CharField(source="get_status_display")
    last_reviewed_by = serializers.CharField(
        source="last_reviewed_by.full_name", allow_null=True, default=None, read_only=True
    )
    offered = serializers.SerializerMethodField(
        help_text="今天是否向接线员提供（在用、已生效、未失效、未逾期审核、未标记）"
    )

    class Meta:
        model = KnowledgeEntry
        fields = [
            "id",
            "question",
            "answer",
            "owning_unit",
            "owning_unit_name",
            "items",
            "keywords",
            "source_title",
            "source_number",
            "source_url",
            "valid_from",
            "valid_until",
            "review_due",
            "status",
            "status_label",
            "flagged_at",
            "flag_reason",
            "last_reviewed_at",
            "last_reviewed_by",
            "version",
            "offered",
            "created",
            "updated",
        ]

    def get_offered(self, entry) -> bool:
        return entry.is_visible_on(timezone.localdate())


class KnowledgeVersionOut(serializers.ModelSerializer):
    owning_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    item_codes = serializers.ListField(child=serializers.CharField())
    status = serializers.CharField(help_text="active 在用 / withdrawn 已撤下")
    changed_by = serializers.CharField(source="changed_by.full_name")
    changed = serializers.ListField(
        child=serializers.CharField(), help_text="与上一版相比改动的字段（第一版为空）", default=list
    )

    class Meta:
        model = KnowledgeEntryVersion
        fields = ["version", *SNAPSHOT_FIELDS, "changed_by", "changed_at", "note", "changed"]


class KnowledgeEntryDetailOut(KnowledgeEntryOut):
    versions = serializers.SerializerMethodField(help_text="全部版本，从第 1 版起，每版为完整快照")

    class Meta(KnowledgeEntryOut.Meta):
        fields = [*KnowledgeEntryOut.Meta.fields, "versions"]

    @extend_schema_field(KnowledgeVersionOut(many=True))
    def get_versions(self, entry) -> list[dict]:
        return KnowledgeVersionOut(history(entry), many=True).data


class KnowledgeHitOut(serializers.Serializer):
    id = serializers.IntegerField(source="entry.id", help_text="知识条目编号")
    score = serializers.FloatField(help_text="相关度（TF-IDF 余弦，0 到 1），越大越相关")
    question = serializers.CharField(source="entry.question")
    answer = serializers.CharField(source="entry.answer")
    owning_unit = serializers.CharField(source="entry.owning_unit.code")
    owning_unit_name = serializers.CharField(source="entry.owning_unit.name")
    source_title = serializers.CharField(source="entry.source_title")
    source_number = serializers.CharField(source="entry.source_number")
    source_url = serializers.CharField(source="entry.source_url")
    valid_until = serializers.DateField(source="entry.valid_until", allow_null=True)
    version = serializers.IntegerField(source="entry.version")


@dataclass
class _Hit:
    entry: KnowledgeEntry
    score: float


class KnowledgeSearchQuery(serializers.Serializer):
    q = Text(help_text="群众的问题或关键词")
    k = serializers.IntegerField(
        required=False, min_value=1, max_value=50, default=10, help_text="最多返回条数"
    )


class KnowledgeEntryQuery(serializers.Serializer):
    unit = Code(queryset=units(), required=False, help_text="维护单位编码")
    status = choice(EntryStatus.choices, required=False)
    flagged = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="只看已标记（true）或未标记（false）的条目"
    )
    page = serializers.IntegerField(required=False, min_value=1)


class KnowledgeEntryIn(serializers.Serializer):
    question = Text()
    answer = Text(help_text="答复口径")
    owning_unit = Code(queryset=units(), help_text="维护单位编码")
    items = serializers.ListField(
        child=ItemCode(queryset=CatalogItem.objects.none()), required=False, help_text="相关事项编码"
    )
    keywords = Text(required=False)
    source_title = Text(required=False)
    source_number = Text(required=False)
    source_url = Text(required=False)
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(required=False, allow_null=True, help_text="留空为长期有效")
    review_due = serializers.DateField(help_text="下次审核日期")
    note = Text(required=False, help_text="修改说明")


class KnowledgeEntryPatchIn(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, help_text="修改所依据的版本号；条目已被他人修改时返回 409"
    )
    question = Text(required=False)
    answer = Text(required=False)
    owning_unit = Code(queryset=units(), required=False)
    items = serializers.ListField(child=ItemCode(queryset=CatalogItem.objects.none()), required=False)
    keywords = Text(required=False)
    source_title = Text(required=False)
    source_number = Text(required=False)
    source_url = Text(required=False)
    valid_from = serializers.DateField(required=False)
    valid_until = serializers.DateField(required=False, allow_null=True)
    review_due = serializers.DateField(required=False)
    note = Text(required=False, help_text="修改说明")


class KnowledgeReviewIn(serializers.Serializer):
    next_review_due = serializers.DateField(help_text="下次审核日期，须晚于今天")
    valid_until = serializers.DateField(
        required=False, allow_null=True, help_text="新的失效日期；null 为长期有效；不传则不变"
    )
    note = Text(required=False)


class KnowledgeWithdrawIn(serializers.Serializer):
    reason = Text(help_text="撤下原因")


class KnowledgeRestoreIn(serializers.Serializer):
    note = Text(required=False)


class KnowledgeImportIn(serializers.Serializer):
    file = serializers.FileField(help_text="CSV（UTF-8 或 GBK）或 XLSX 文件")
    dry_run = Flag(required=False, default=False, help_text="true：只检查，不导入")


class KnowledgeImportProblemOut(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="Excel 中的行号（表头为第 1 行）；空为整个文件")
    column = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class KnowledgeImportOut(serializers.Serializer):
    ok = serializers.BooleanField()
    dry_run = serializers.BooleanField()
    written = serializers.BooleanField(help_text="是否已写入（检查时和有错时为 false）")
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    entry_ids = serializers.ListField(child=serializers.IntegerField())
    skipped_rows = serializers.ListField(child=serializers.IntegerField())
    errors = KnowledgeImportProblemOut(many=True)


# ---------------------------------------------------------------- views


ENTRY_RELATED = ("owning_unit", "last_reviewed_by")


class KnowledgeViewSet(ApiViewSet):
    """知识库：检索、导入。"""

    serializer_class = KnowledgeHitOut
    inputs = {"import_entries": KnowledgeImportIn}

    @extend_schema(
        summary="检索知识库（接线员可见的本市条目）",
        parameters=[KnowledgeSearchQuery],
        responses={200: KnowledgeHitOut(many=True), **ERRORS},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def search(self, request):
        query = self.read_query(KnowledgeSearchQuery)
        hits = [_Hit(entry, score) for entry, score in search_entries(request.user, query["q"], query["k"])]
        return Response(KnowledgeHitOut(hits, many=True).data)

    @extend_schema(
        summary="导入知识条目（CSV 或 XLSX）",
        description="multipart：file 为文件，dry_run=true 只检查。任何一行有错则整个文件不导入，"
        "400 的 error.rows 列出每个错误的行号（表头为第 1 行）、列名和原因。",
        request={"multipart/form-data": KnowledgeImportIn},
        responses={
            200: KnowledgeImportOut,
            400: OpenApiResponse(
                description="输入有误：error.field 指出字段；文件有错时 error.rows 列出各行错误"
            ),
            403: ERRORS[403],
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_entries(self, request):
        from yousu.knowledge.imports import entries_import

        data = self.read()
        upload = data["file"]
        result = entries_import(
            file_name=upload.name or "", data=upload.read(), by=request.user, dry_run=data["dry_run"]
        )
        body = result.as_dict()
        if result.ok:
            return Response(KnowledgeImportOut(body).data)
        first = result.errors[0]
        response = error_response(
            code="invalid_rows",
            message=str(first),
            field="file",
            status_code=status.HTTP_400_BAD_REQUEST,
        )
        response.data["error"]["rows"] = body["errors"]
        response.data["error"]["result"] = KnowledgeImportOut(body).data
        return response


class KnowledgeEntryViewSet(ApiViewSet):
    """知识条目：查看（含版本历史）、新建、修改、审核、撤下、恢复。"""

    serializer_class = KnowledgeEntryOut
    lookup_url_kwarg = "id"
    lookup_value_regex = "[0-9]+"
    inputs = {
        "create": KnowledgeEntryIn,
        "partial_update": KnowledgeEntryPatchIn,
        "review": KnowledgeReviewIn,
        "withdraw": KnowledgeWithdrawIn,
        "restore": KnowledgeRestoreIn,
    }

    def get_queryset(self):
        return entries_visible_to(self.request.user).select_related(*ENTRY_RELATED).prefetch_related("items")

    def written(self, entry: KnowledgeEntry, code: int = status.HTTP_200_OK) -> Response:
        """The entry as a write left it (its author may act on it, so it is theirs to read)."""
        entry = (
            KnowledgeEntry.objects.select_related(*ENTRY_RELATED).prefetch_related("items").get(pk=entry.pk)
        )
        return self.respond(KnowledgeEntryDetailOut, entry, code)

    @extend_schema(
        summary="知识条目列表（最近更新在前）",
        parameters=[KnowledgeEntryQuery],
        responses={200: KnowledgeEntryOut(many=True), **ERRORS},
    )
    def list(self, request):
        query = self.read_query(KnowledgeEntryQuery)
        entries = self.get_queryset().order_by("-updated", "-id")
        if "unit" in query:
            entries = entries.filter(owning_unit=query["unit"])
        if "status" in query:
            entries = entries.filter(status=query["status"])
        if query.get("flagged") is not None:
            entries = entries.filter(flagged_at__isnull=not query["flagged"])
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(KnowledgeEntryOut(page, many=True).data)

    @extend_schema(summary="知识条目详情（含全部版本）", responses={200: KnowledgeEntryDetailOut, **ERRORS})
    def retrieve(self, request, id=None):
        return self.respond(KnowledgeEntryDetailOut, self.get_object())

    @extend_schema(
        summary="新建知识条目（第 1 版）",
        request=KnowledgeEntryIn,
        responses={201: KnowledgeEntryDetailOut, **ERRORS},
    )
    def create(self, request):
        data = dict(self.read())
        entry = entry_create(by=request.user, **data)
        return self.written(entry, status.HTTP_201_CREATED)

    @extend_schema(
        summary="修改知识条目（生成新版本）",
        description="version 为修改所依据的版本号；条目已被他人修改时返回 409，不覆盖。",
        request=KnowledgeEntryPatchIn,
        responses={200: KnowledgeEntryDetailOut, **ERRORS, **CONFLICT},
    )
    def partial_update(self, request, id=None):
        entry = self.get_object()
        data = dict(self.read())
        expected = data.pop("version")
        entry = entry_update(entry=entry, by=request.user, expected_version=expected, **data)
        return self.written(entry)

    @extend_schema(
        summary="审核知识条目（确认无误并定下次审核日期；解除标记）",
        request=KnowledgeReviewIn,
        responses={200: KnowledgeEntryDetailOut, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def review(self, request, id=None):
        entry = self.get_object()
        data = self.read()
        entry = entry_review(
            entry=entry,
            by=request.user,
            next_review_due=data["next_review_due"],
            note=data.get("note", ""),
            valid_until=data.get("valid_until", UNCHANGED),
        )
        return self.written(entry)

    @extend_schema(
        summary="撤下知识条目",
        request=KnowledgeWithdrawIn,
        responses={200: KnowledgeEntryDetailOut, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, id=None):
        entry = self.get_object()
        entry = entry_withdraw(entry=entry, by=request.user, reason=self.read()["reason"])
        return self.written(entry)

    @extend_schema(
        summary="恢复已撤下的知识条目",
        request=KnowledgeRestoreIn,
        responses={200: KnowledgeEntryDetailOut, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def restore(self, request, id=None):
        entry = self.get_object()
        entry = entry_restore(entry=entry, by=request.user, note=self.read().get("note", ""))
        return self.written(entry)
