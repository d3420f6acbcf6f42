"""Turning the event log into the dashboard's counters (看板计数).

Appeal-level status events (`order_id IS NULL`, a `to_state`) and `item_set` events become deltas:
- `received` +1 on an appeal's first status (from_state ""), on its received day;
- `settled` ±1 on a transition into / out of the settled statuses, on its received day (a cohort);
- `answered` ±1 on a transition into / out of 直接办结, on its received day;
- `completed` +1 on a transition into the settled statuses, on the day it happened;
- an `item_set` moves the appeal's cohort counters from the old category to the new one.

Every event is counted under the catalog item the appeal had *at that event*: the `from` of the
appeal's next later `item_set`, or its current item when there is none. So a batch holding an
appeal's `received` and a later `item_set` counts it once, under the new category, whether the
consumer saw the two events in one run or in two.

The consumer (`tally_events`) reads the events after its watermark that are older than a horizon
(on PostgreSQL ids are taken before commit, so a transaction committing late could otherwise be
skipped), adds their deltas to `Tally` rows of both grains and moves the watermark, in one
transaction. The dashboard adds the deltas of the few events after the watermark in memory
(`live_rows`), so its figures are exact without waiting for the consumer.
"""

from __future__ import annotations

import bisect
import datetime as dt
import time
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import Max, Min, Q
from django.db.models.fields.json import KT
from django.utils import timezone

from yousu.appeals.choices import AppealStatus
from yousu.appeals.models import Appeal, Event
from yousu.catalog.models import CatalogItem
from yousu.org.choices import Level
from yousu.org.models import Area

from .models import Dim, Grain, Tally, TallyMark

SETTLED = frozenset({AppealStatus.ANSWERED_AT_INTAKE, AppealStatus.COMPLETED, AppealStatus.CLOSED})
ANSWERED = AppealStatus.ANSWERED_AT_INTAKE
DEFAULT_HORIZON_SECONDS = 300
BATCH = 10_000
# Counter positions in a row's list.
RECEIVED, SETTLED_AT, ANSWERED_AT, COMPLETED = range(4)
COUNTERS = ("received", "settled", "answered", "completed")
HOT_SEPARATOR = "|"

# (day, district id, dim, key) → [received, settled, answered, completed]
Rows = dict[tuple[dt.date, int, str, str], list[int]]


def horizon() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "YOUSU_TALLY_HORIZON_SECONDS", DEFAULT_HORIZON_SECONDS))


def appeal_level_events():
    """The events the counters read: appeal status changes and changes of the catalog item."""
    return Event.objects.filter(order_id__isnull=True).filter(Q(to_state__gt="") | Q(action="item_set"))


class Places:
    """Area id → (district Area id or 0, street code or "") and catalog codes → level-2 category code,
    read once per run: both trees are small next to the event log."""

    def __init__(self):
        areas = list(Area.objects.values_list("id", "code", "level", "path"))
        by_code = {code: (pk, level) for pk, code, level, _path in areas}
        self.area: dict[int, tuple[int, str]] = {}
        for pk, _code, _level, path in areas:
            district, street = 0, ""
            for code in path.strip("/").split("/"):
                node_pk, node_level = by_code.get(code, (0, ""))
                if node_level == Level.DISTRICT:
                    district = node_pk
                elif node_level == Level.STREET:
                    street = code
            self.area[pk] = (district, street)
        items = list(CatalogItem.objects.values_list("id", "code", "level", "path"))
        self.item_code = {pk: code for pk, code, _level, _path in items}
        self.category: dict[str, str] = {}
        for _pk, code, level, path in items:
            codes = path.strip("/").split("/")
            self.category[code] = codes[1] if level >= 2 and len(codes) >= 2 else ""

    def category_of(self, item_code: str | None) -> str:
        return self.category.get(item_code or "", "")


class Tallier:
    """Accumulates the deltas of events fed in id order."""

    def __init__(self, places: Places, later_item_sets: dict[int, list[tuple[int, str]]]):
        self.places = places
        # appeal id → [(event id, item code before it)] of its item_set events, in id order.
        self.later_item_sets = later_item_sets
        self.rows: Rows = defaultdict(lambda: [0, 0, 0, 0])
        # The status an appeal with item changes had after its last event fed here.
        self.status: dict[int, str] = {}
        self.events = 0

    def _item_at(self, appeal_id: int, event_id: int, current: str) -> str:
        changes = self.later_item_sets.get(appeal_id)
        if changes:
            index = bisect.bisect_right(changes, (event_id, "\uffff"))
            if index < len(changes):
                return changes[index][1]
        return current

    def _add(self, day, district, street, channel, kind, category, deltas: dict[int, int]) -> None:
        keys = [(Dim.ALL, ""), (Dim.CHANNEL, channel), (Dim.KIND, kind), (Dim.CATEGORY, category)]
        if street:
            keys.append((Dim.AREA, street))
            if category:
                keys.append((Dim.HOT, f"{category}{HOT_SEPARATOR}{street}"))
        for dim, key in keys:
            row = self.rows[(day, district, str(dim), key)]
            for position, value in deltas.items():
                row[position] += value

    def feed(self, events: Iterable[tuple], appeals: dict[int, tuple]) -> None:
        """events: (id, appeal id, at, action, from_state, to_state, item before, item after);
        appeals: id → (received day, district, street, channel, kind, current item code)."""
        for event_id, appeal_id, at, action, before, after, item_from, item_to in events:
            self.events += 1
            day, district, street, channel, kind, current = appeals[appeal_id]
            tracked = appeal_id in self.later_item_sets
            if action == "item_set" and not after:
                old, new = self.places.category_of(item_from), self.places.category_of(item_to)
                status = self.status.get(appeal_id) if tracked else None
                if status is None:
                    status = status_before(appeal_id, event_id)
                if old == new or status is None:
                    continue
                moved = {
                    RECEIVED: 1,
                    SETTLED_AT: int(status in SETTLED),
                    ANSWERED_AT: int(status == ANSWERED),
                }
                self._add(day, district, street, channel, kind, old, {k: -v for k, v in moved.items()})
                self._add(day, district, street, channel, kind, new, moved)
                continue
            if tracked:
                self.status[appeal_id] = after
            category = self.places.category_of(self._item_at(appeal_id, event_id, current))
            cohort = {}
            if not before:
                cohort[RECEIVED] = 1
            settled = int(after in SETTLED) - int(before in SETTLED)
            if settled:
                cohort[SETTLED_AT] = settled
            answered = int(after == ANSWERED) - int(before == ANSWERED)
            if answered:
                cohort[ANSWERED_AT] = answered
            if cohort:
                self._add(day, district, street, channel, kind, category, cohort)
            if settled > 0:
                self._add(
                    timezone.localtime(at).date(), district, street, channel, kind, category, {COMPLETED: 1}
                )


def status_before(appeal_id: int, event_id: int) -> str | None:
    """The appeal's status just before the event (None before it was received)."""
    return (
        Event.objects.filter(appeal_id=appeal_id, order_id__isnull=True, to_state__gt="", id__lt=event_id)
        .order_by("-id")
        .values_list("to_state", flat=True)
        .first()
    )


def _item_sets_after(event_id: int) -> dict[int, list[tuple[int, str]]]:
    changes: dict[int, list[tuple[int, str]]] = defaultdict(list)
    rows = (
        Event.objects.filter(order_id__isnull=True, action="item_set", id__gt=event_id)
        .annotate(item_from=KT("payload__from"))
        .order_by("id")
        .values_list("appeal_id", "id", "item_from")
    )
    for appeal_id, pk, item_from in rows.iterator(chunk_size=BATCH):
        changes[appeal_id].append((pk, item_from or ""))
    return changes


def _appeals(ids: set[int], places: Places) -> dict[int, tuple]:
    found = {}
    rows = Appeal.objects.filter(pk__in=ids).values_list(
        "id", "received_at", "area_id", "channel", "kind", "item_id"
    )
    days: dict[dt.datetime, dt.date] = {}
    for pk, received_at, area_id, channel, kind, item_id in rows:
        day = days.get(received_at)
        if day is None:
            day = days[received_at] = timezone.localtime(received_at).date()
        district, street = places.area.get(area_id, (0, ""))
        found[pk] = (day, district, street, channel, kind, places.item_code.get(item_id, ""))
    return found


def _event_batches(after_id: int, up_to: int | None):
    """Appeal-level events with after_id < id ≤ up_to, in id order, a batch at a time."""
    events = appeal_level_events().annotate(item_from=KT("payload__from"), item_to=KT("payload__to"))
    cursor = after_id
    while True:
        batch = events.filter(id__gt=cursor)
        if up_to is not None:
            batch = batch.filter(id__lte=up_to)
        rows = list(
            batch.order_by("id").values_list(
                "id", "appeal_id", "at", "action", "from_state", "to_state", "item_from", "item_to"
            )[:BATCH]
        )
        if not rows:
            return
        yield rows
        cursor = rows[-1][0]


def tally_rows(after_id: int, up_to: int | None) -> tuple[Rows, int]:
    """The deltas of the events after `after_id` (up to `up_to`, or all): (rows, events read).

    Read in this order: the later item changes first would miss one committing meanwhile while the
    appeal row read after it already shows the new item; read after the events and the appeals, a
    change committed meanwhile only makes the item "as of" the earlier events the old one, as it was.
    """
    places = Places()
    batches = []
    ids: set[int] = set()
    for rows in _event_batches(after_id, up_to):
        batches.append(rows)
        ids.update(row[1] for row in rows)
    appeals = _appeals(ids, places)
    tallier = Tallier(places, _item_sets_after(after_id))
    for rows in batches:
        tallier.feed(rows, appeals)
    return tallier.rows, tallier.events


def _consume(mark: TallyMark, rows_up_to: int) -> tuple[Rows, int]:
    """Like tally_rows, a batch at a time, for long runs: one snapshot (see tally_events) keeps the
    item changes read first consistent with the appeals read batch by batch."""
    places = Places()
    tallier = Tallier(places, _item_sets_after(mark.event_id))
    for rows in _event_batches(mark.event_id, rows_up_to):
        tallier.feed(rows, _appeals({row[1] for row in rows}, places))
    return tallier.rows, tallier.events


def _upsert(rows: Rows) -> int:
    """Add the deltas to both grains with INSERT … ON CONFLICT DO UPDATE (PostgreSQL and SQLite)."""
    merged: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (day, district, dim, key), counters in rows.items():
        if not any(counters):
            continue
        for grain, period in ((Grain.DAY, day), (Grain.MONTH, day.replace(day=1))):
            target = merged[(str(grain), period, district, dim, key)]
            for position, value in enumerate(counters):
                target[position] += value
    if not merged:
        return 0
    q = connection.ops.quote_name
    table = q(Tally._meta.db_table)
    keys = ["grain", "period", "district", "dim", "key"]
    names = ", ".join(q(name) for name in (*keys, *COUNTERS))
    updates = ", ".join(f"{q(c)} = {table}.{q(c)} + excluded.{q(c)}" for c in COUNTERS)
    sql = (
        f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * (len(keys) + len(COUNTERS)))}) "
        f"ON CONFLICT ({', '.join(q(k) for k in keys)}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(*key, *counters) for key, counters in merged.items()])
    return len(merged)


def tally_events(now: dt.datetime | None = None, *, rebuild: bool = False) -> dict:
    """Count the events older than the horizon that are not counted yet; with rebuild, throw the
    counters away and count the whole event log again. One transaction either way."""
    now = now or timezone.now()
    started = time.perf_counter()
    own_transaction = not connection.in_atomic_block
    try:
        with transaction.atomic():
            if own_transaction and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            TallyMark.objects.get_or_create(pk=1)
            mark = TallyMark.objects.select_for_update().get(pk=1)
            if rebuild:
                Tally.objects.all().delete()
                mark.event_id, mark.events = 0, 0
            cutoff = now - horizon()
            # The first event too young to count; everything before it is committed (the horizon is
            # longer than any transaction), so the watermark may move up to the newest event below it.
            young = Event.objects.filter(id__gt=mark.event_id, at__gt=cutoff).aggregate(first=Min("id"))[
                "first"
            ]
            older = Event.objects.filter(id__gt=mark.event_id)
            if young is not None:
                older = older.filter(id__lt=young)
            up_to = older.aggregate(last=Max("id"))["last"]
            if up_to is None:
                return {"events": 0, "rows": 0, "watermark": mark.event_id, "seconds": 0.0}
            rows, events = _consume(mark, up_to)
            written = _upsert(rows)
            mark.event_id = up_to
            mark.events += events
            mark.tallied_at = now
            mark.save()
    except OperationalError as exc:
        # Another run (the other scheduler) moved the watermark after this run's snapshot was
        # taken; it has counted these events, and the next run carries on from there.
        if "could not serialize" not in str(exc):
            raise
        return {"events": 0, "rows": 0, "busy": True}
    seconds = time.perf_counter() - started
    return {"events": events, "rows": written, "watermark": up_to, "seconds": round(seconds, 3)}


def tallies_periodic(now: dt.datetime | None = None) -> dict:
    """The periodic hook: count what the horizon has let through since the last run."""
    return tally_events(now=now)
