"""Dispatch suggestions (派单建议): the catalog item and responsible unit from an appeal's own words.

The active classifier model gives the three likeliest labels; a label is a catalog item's code, or the
name of a first-level field (领域) when the model was trained on fields only. From an item and the
appeal's place, the catalog's responsibility rules give the unit. A suggestion never decides: the
dispatcher's choice is recorded beside it, and the two together measure the platform's own
first-try accuracy (首派准确率) per week and per field.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yousu.appeals.models import Appeal, Event
from yousu.catalog.models import CatalogItem
from yousu.catalog.selectors import responsible_unit
from yousu.core.errors import DomainError
from yousu.intelligence.models import ClassifierModel, DispatchSuggestion
from yousu.org.models import Area, Unit

logger = logging.getLogger(__name__)

# The loaded pipeline of the active model, kept per process; a switch of the active model (another
# id or file) is seen on the next call, since the one-row query that checks it costs well under 1 ms.
_loaded: dict = {"key": None, "record": None, "pipeline": None}
_lock = threading.Lock()
# A unit is looked up (a dozen queries of the catalog's rules) for the first choice and for any other
# a dispatcher might take; the unlikely ones are shown without, which keeps the endpoint under 50 ms.
UNIT_LOOKUP_MIN_PROBABILITY = 0.1


def active_model() -> tuple[ClassifierModel, object] | None:
    """The active model record and its pipeline, or None when no model is active."""
    from yousu.intelligence.services import model_load  # services import this module's models

    record = ClassifierModel.objects.filter(is_active=True).first()
    if record is None:
        return None
    key = (record.pk, record.sha256)
    if _loaded["key"] != key:
        with _lock:
            if _loaded["key"] != key:
                pipeline = model_load(record)
                from yousu.intelligence.classifier import top_labels

                # One throwaway prediction loads jieba's dictionary (about a second) with the model,
                # not inside the first operator's keystroke.
                top_labels(pipeline, "预热")
                _loaded.update(key=key, record=record, pipeline=pipeline)
    return record, _loaded["pipeline"]


@dataclass
class ItemSuggestion:
    label: str
    probability: float
    item: CatalogItem | None = None
    unit: Unit | None = None
    unit_note: str = ""

    def as_dict(self) -> dict:
        return {
            "label": self.label,
            "probability": self.probability,
            "item": _item_dict(self.item),
            "unit": {"code": self.unit.code, "name": self.unit.name} if self.unit else None,
            "unit_note": self.unit_note,
        }


@dataclass
class Suggestions:
    model: ClassifierModel | None
    items: list[ItemSuggestion] = field(default_factory=list)

    @property
    def top(self) -> ItemSuggestion | None:
        return self.items[0] if self.items else None


def _item_dict(item: CatalogItem | None) -> dict | None:
    if item is None:
        return None
    return {"code": item.code, "name": item.name, "level": item.level}


def label_items(labels: list[str]) -> dict[str, CatalogItem]:
    """The catalog item each label names: an active item by code, else a first-level field by name."""
    found: dict[str, CatalogItem] = {}
    rows = CatalogItem.objects.filter(
        Q(code__in=labels) | Q(name__in=labels, parent__isnull=True), is_active=True
    )
    by_code = {item.code: item for item in rows}
    by_name = {item.name: item for item in rows if item.parent_id is None}
    for label in labels:
        item = by_code.get(label) or by_name.get(label)
        if item is not None:
            found[label] = item
    return found


def _unit_for(item: CatalogItem | None, area: Area | None) -> tuple[Unit | None, str]:
    if item is None:
        return None, _("模型类别不对应职责目录中的事项")
    if area is None:
        return None, _("地点未定，无法按职责目录确定承办单位")
    try:
        return responsible_unit(item=item, area=area).unit, ""
    except DomainError as refusal:  # no rule for the place, or a rule that would push it down
        return None, refusal.message


def suggest_items(*, text: str, area: Area | None = None) -> Suggestions:
    """Top 3 labels with calibrated probabilities, each with its catalog item and responsible unit."""
    loaded = active_model()
    if loaded is None:
        return Suggestions(model=None)
    record, pipeline = loaded
    from yousu.intelligence.classifier import top_labels  # scikit-learn loads only when a model is used

    ranked = top_labels(pipeline, text)
    items = label_items([s.label for s in ranked])
    result = Suggestions(model=record)
    for rank, suggestion in enumerate(ranked):
        item = items.get(suggestion.label)
        if rank == 0 or suggestion.probability >= UNIT_LOOKUP_MIN_PROBABILITY:
            unit, note = _unit_for(item, area)
        else:
            unit, note = None, _("可能性低，未查承办单位")
        result.items.append(
            ItemSuggestion(
                label=suggestion.label,
                probability=suggestion.probability,
                item=item,
                unit=unit,
                unit_note=note,
            )
        )
    return result


def appeal_text(appeal: Appeal) -> str:
    return f"{appeal.title}\n{appeal.content}"


def suggestion_record(appeal: Appeal) -> DispatchSuggestion | None:
    """The suggestion made for `appeal` (made and kept now if there is none yet and a model is active).

    The first one is kept: it is what the operator and the dispatcher saw, and what the platform's
    first-try accuracy is measured on."""
    existing = DispatchSuggestion.objects.filter(appeal=appeal).first()
    if existing is not None:
        return existing
    from yousu.intelligence.classifier import TrainingDataError

    try:
        made = suggest_items(text=appeal_text(appeal), area=appeal.area)
    except (TrainingDataError, OSError):
        # A missing or altered model file must not stop a dispatch; the dispatcher decides alone.
        logger.exception("no suggestion for %s: the active model could not be loaded", appeal.code)
        return None
    if made.model is None or made.top is None:
        return None
    with transaction.atomic():
        suggestion, _created = DispatchSuggestion.objects.get_or_create(
            appeal=appeal,
            defaults={
                "model": made.model,
                "suggested": [entry.as_dict() for entry in made.items],
                "top_label": made.top.label,
                "top_probability": made.top.probability,
                "top_item": made.top.item,
            },
        )
    return suggestion


def _agrees(label_item: CatalogItem | None, chosen: CatalogItem | None) -> bool:
    """A suggestion is right when it names the chosen item or a field/category containing it."""
    if label_item is None or chosen is None:
        return False
    return chosen.pk == label_item.pk or chosen.is_within(label_item)


def suggestion_settle(
    *, appeal: Appeal, item: CatalogItem | None, unit: Unit | None, by, auto: bool = False, order_id=None
) -> DispatchSuggestion | None:
    """Record what was decided at the first dispatch beside what was suggested.

    A human's choice after an automatic dispatch was withdrawn replaces the machine's: the measure
    is of the suggestion against the people who dispatch."""
    suggestion = suggestion_record(appeal)
    if suggestion is None:
        return None
    suggestion = DispatchSuggestion.objects.select_for_update().get(pk=suggestion.pk)
    if suggestion.chosen_at is not None and not suggestion.withdrawn_at:
        return suggestion
    labels = [entry["label"] for entry in suggestion.suggested]
    mapped = label_items(labels)
    suggestion.chosen_item = item
    suggestion.chosen_unit = unit
    suggestion.chosen_by = by
    suggestion.chosen_at = timezone.now()
    suggestion.agreed = _agrees(mapped.get(labels[0]) if labels else None, item)
    suggestion.in_top3 = any(_agrees(mapped.get(label), item) for label in labels)
    if auto:
        suggestion.auto_dispatched = True
        suggestion.auto_order_id = order_id
    suggestion.save()
    return suggestion


# ---------------------------------------------------------------- the platform's own accuracy


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _bucket() -> dict:
    return {
        "dispatched": 0,
        "agreed": 0,
        "in_top3": 0,
        "agreed_final": 0,
        "auto": 0,
        "withdrawn": 0,
        "first_try": 0,
    }


def _finish(bucket: dict) -> dict:
    n = bucket["dispatched"]
    return {
        **bucket,
        "agreed_rate": _rate(bucket["agreed"], n),
        "top3_rate": _rate(bucket["in_top3"], n),
        "agreed_final_rate": _rate(bucket["agreed_final"], n),
        "first_try_rate": _rate(bucket["first_try"], n),
    }


def first_try_of(appeal_ids: list[int]) -> dict[int, bool]:
    """Whether each appeal's first dispatch stood: the platform that received it dispatched it once,
    and that order was not sent back (returned, or an automatic dispatch withdrawn). A district
    platform re-dispatching within its district is its own decision, not the first try's.

    Read from the event log, as every later stage's work is learned of here."""
    intake = dict(Appeal.objects.filter(pk__in=appeal_ids).values_list("pk", "intake_unit__code"))
    events = Event.objects.filter(
        appeal_id__in=appeal_ids, action__in=("dispatched", "returned", "dispatch_withdrawn")
    ).values_list("appeal_id", "action", "order_id", "payload")
    first_orders: dict[int, set] = defaultdict(set)
    sent_back: set = set()
    for appeal_id, action, order_id, payload in events:
        if action == "dispatched":
            if (payload or {}).get("from") == intake.get(appeal_id) and (payload or {}).get("role") == "lead":
                first_orders[appeal_id].add(order_id)
        else:
            sent_back.add(order_id)
    return {
        appeal_id: len(orders) == 1 and not (orders & sent_back) for appeal_id, orders in first_orders.items()
    }


def first_try_accuracy(*, start: dt.date, end: dt.date, jurisdiction: Area | None = None) -> dict:
    """Suggestions against the dispatchers' first choices, for appeals first dispatched in [start, end].

    - agreed: the top suggestion named the item the dispatcher chose (or a field containing it);
    - in_top3: one of the three did;
    - agreed_final: the top suggestion names the item the appeal carries now (after any return);
    - first_try: the first dispatch stood (see `first_try_of`);
    grouped by ISO week (local time) and by first-level field of the chosen item; of one
    jurisdiction's appeals when given."""
    if start > end:
        raise DomainError(_("开始日期不能晚于结束日期"), field="start")
    zone = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    rows = list(
        DispatchSuggestion.objects.filter(chosen_at__gte=since, chosen_at__lt=until)
        .filter(**({"appeal__jurisdiction": jurisdiction} if jurisdiction is not None else {}))
        .select_related("chosen_item", "top_item", "appeal__item")
        .order_by("chosen_at")
    )
    stood = first_try_of([row.appeal_id for row in rows])
    roots = {item.code: item for item in CatalogItem.objects.filter(parent__isnull=True)}
    overall, weeks, fields = _bucket(), defaultdict(_bucket), defaultdict(_bucket)
    for row in rows:
        year, week, _day = timezone.localtime(row.chosen_at, zone).isocalendar()
        root = roots.get(row.chosen_item.path_codes()[0]) if row.chosen_item else None
        field_key = (root.code, root.name) if root else ("", _("（未定事项）"))
        for bucket in (overall, weeks[f"{year}-W{week:02d}"], fields[field_key]):
            bucket["dispatched"] += 1
            bucket["agreed"] += bool(row.agreed)
            bucket["in_top3"] += bool(row.in_top3)
            bucket["agreed_final"] += _agrees(row.top_item, row.appeal.item)
            bucket["auto"] += row.auto_dispatched
            bucket["withdrawn"] += row.withdrawn_at is not None
            bucket["first_try"] += bool(stood.get(row.appeal_id))
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "overall": _finish(overall),
        "weeks": [{"week": week, **_finish(bucket)} for week, bucket in sorted(weeks.items())],
        "fields": [
            {"code": code, "name": name, **_finish(bucket)}
            for (code, name), bucket in sorted(fields.items(), key=lambda pair: -pair[1]["dispatched"])
        ],
    }
