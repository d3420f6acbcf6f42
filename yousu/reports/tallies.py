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
(`tally_rows`), so its figures are exact without waiting for the consumer. A rebuild on PostgreSQL
computes the same deltas in one SQL statement (`_rebuild_in_sql`); the tests hold the two equal.
"""

from __future__ import annotations

import bisect
import datetime as dt
import time
import uuid
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
COUNTERS = ("received", "settled", "answered", "completed")
HOT_SEPARATOR = "|"
DIM_ALL, DIM_CHANNEL, DIM_KIND, DIM_CATEGORY, DIM_AREA, DIM_HOT = (
    str(dim.value) for dim in (Dim.ALL, Dim.CHANNEL, Dim.KIND, Dim.CATEGORY, Dim.AREA, Dim.HOT)
)

# (day, district id, dim, key) → [received, settled, answered, completed]
Rows = dict[tuple[dt.date, int, str, str], list[int]]


def horizon() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "YOUSU_TALLY_HORIZON_SECONDS", DEFAULT_HORIZON_SECONDS))


def appeal_level_events():
    """The events the counters read: appeal status changes and changes of the catalog item."""
    return Event.objects.filter(order_id__isnull=True).filter(Q(to_state__gt="") | Q(action="item_set"))


class Places:
    """Area id → (district Area id, or the city's for an area above any district; street code or "")
    and catalog codes → level-2 category code, read once per run: both trees are small next to the event log."""

    def __init__(self):
        areas = list(Area.objects.values_list("id", "code", "level", "path"))
        by_code = {code: (pk, level) for pk, code, level, _path in areas}
        self.area: dict[int, tuple[int, str]] = {}
        for pk, _code, _level, path in areas:
            district, street = 0, ""
            for code in path.strip("/").split("/"):
                node_pk, node_level = by_code.get(code, (0, ""))
                if node_level == Level.CITY:
                    # Placed no finer than the city: counted under the city (its jurisdiction), so a
                    # deployment of several cities can still tell whose figure it is.
                    district = node_pk
                elif node_level == Level.DISTRICT:
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
        self._key_cache: dict[tuple, tuple] = {}
        self.zone = timezone.get_current_timezone()

    def _item_at(self, appeal_id: int, event_id: int, current: str) -> str:
        changes = self.later_item_sets.get(appeal_id)
        if changes:
            index = bisect.bisect_right(changes, (event_id, "\uffff"))
            if index < len(changes):
                return changes[index][1]
        return current

    def _keys(self, district: int, street: str, channel: str, kind: str, category: str) -> tuple:
        """The (district, dim, key) rows an event of such an appeal counts in; the same few hundred
        combinations recur millions of times in a rebuild, so they are built once."""
        found = self._key_cache.get((district, street, channel, kind, category))
        if found is None:
            keys = [(DIM_ALL, ""), (DIM_CHANNEL, channel), (DIM_KIND, kind), (DIM_CATEGORY, category)]
            if street:
                keys.append((DIM_AREA, street))
                if category:
                    keys.append((DIM_HOT, f"{category}{HOT_SEPARATOR}{street}"))
            found = tuple((district, dim, key) for dim, key in keys)
            self._key_cache[(district, street, channel, kind, category)] = found
        return found

    def _add(
        self, day: dt.date, keys: tuple, received: int, settled: int, answered: int, completed: int
    ) -> None:
        rows = self.rows
        for district, dim, key in keys:
            row = rows[(day, district, dim, key)]
            row[0] += received
            row[1] += settled
            row[2] += answered
            row[3] += completed

    def feed(self, events: Iterable[tuple], appeals: dict[int, tuple]) -> None:
        """events: (id, appeal id, at, action, from_state, to_state, item before, item after);
        appeals: id → (received day, district, street, channel, kind, current item code)."""
        category_of, zone = self.places.category_of, self.zone
        for event_id, appeal_id, at, action, before, after, item_from, item_to in events:
            self.events += 1
            day, district, street, channel, kind, current = appeals[appeal_id]
            tracked = appeal_id in self.later_item_sets
            if action == "item_set" and not after:
                old, new = category_of(item_from), category_of(item_to)
                status = self.status.get(appeal_id) if tracked else None
                if status is None:
                    status = status_before(appeal_id, event_id)
                if old == new or status is None:
                    continue
                settled, answered = int(status in SETTLED), int(status == ANSWERED)
                self._add(day, self._keys(district, street, channel, kind, old), -1, -settled, -answered, 0)
                self._add(day, self._keys(district, street, channel, kind, new), 1, settled, answered, 0)
                continue
            if tracked:
                self.status[appeal_id] = after
                item = self._item_at(appeal_id, event_id, current)
            else:
                item = current
            settled = (after in SETTLED) - (before in SETTLED)
            answered = (after == ANSWERED) - (before == ANSWERED)
            received = 0 if before else 1
            if not (received or settled or answered):
                continue
            keys = self._keys(district, street, channel, kind, category_of(item))
            self._add(day, keys, received, settled, answered, 0)
            if settled > 0:
                self._add(at.astimezone(zone).date(), keys, 0, 0, 0, 1)


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
        "id", "received_at", "area_id", "channel", "kind", "item_id", "jurisdiction_id"
    )
    zone = timezone.get_current_timezone()
    for pk, received_at, area_id, channel, kind, item_id, jurisdiction_id in rows:
        day = received_at.astimezone(zone).date()
        district, street = places.area.get(area_id, (jurisdiction_id, ""))
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
    conflict = f"ON CONFLICT ({', '.join(q(k) for k in keys)}) DO UPDATE SET {updates}"
    values = [(*key, *counters) for key, counters in merged.items()]
    width = len(keys) + len(COUNTERS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(values) > 1000:
            # A rebuild writes a million rows: COPY them into a scratch table, then add them in one
            # statement (row-by-row statements spend minutes in the client alone).
            cursor.execute(
                f"CREATE TEMPORARY TABLE tally_delta (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP"
            )
            cursor.execute("ALTER TABLE tally_delta DROP COLUMN id")
            with cursor.cursor.copy(f"COPY tally_delta ({names}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
            cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM tally_delta {conflict}")
            cursor.execute("DROP TABLE tally_delta")
            return len(merged)
        # Many rows a statement; SQLite may allow only 999 parameters.
        chunk = max(1, min(1000, (connection.features.max_query_params or 100_000) // width))
        for first in range(0, len(values), chunk):
            part = values[first : first + chunk]
            placeholders = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(part))
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {placeholders} {conflict}",
                [value for row in part for value in row],
            )
    return len(merged)


def _rebuild_in_sql(up_to: int) -> tuple[int, int]:
    """The rebuild on PostgreSQL: the same deltas as `Tallier`, computed and grouped in the database
    in one pass over the event log (tens of millions of events; Python would take an hour).
    The counters must already be empty. Returns (events read, rows written)."""
    places = Places()
    zone = str(timezone.get_current_timezone())
    settled = tuple(str(status) for status in SETTLED)
    with connection.cursor() as cursor:
        # Room to hash and group tens of millions of rows in memory, for this transaction only.
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute(
            "CREATE TEMPORARY TABLE tally_area (area_id bigint PRIMARY KEY, district bigint, street text)"
        )
        cursor.execute("CREATE TEMPORARY TABLE tally_item (code text PRIMARY KEY, category text)")
        cursor.executemany(
            "INSERT INTO tally_area VALUES (%s, %s, %s)",
            [(pk, district, street) for pk, (district, street) in places.area.items()],
        )
        cursor.executemany("INSERT INTO tally_item VALUES (%s, %s)", list(places.category.items()))
        cursor.execute("ANALYZE tally_area")
        cursor.execute("ANALYZE tally_item")
        params = {"up_to": up_to, "zone": zone, "settled": list(settled), "answered": str(ANSWERED)}
        in_settled = "= ANY(%(settled)s)"
        appeal_events = "e.order_id IS NULL AND e.id <= %(up_to)s"
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE tally_grouped AS
            WITH changed AS (
                SELECT DISTINCT appeal_id FROM appeals_event WHERE order_id IS NULL AND action = 'item_set'
            ),
            status AS (
                SELECT e.at, e.from_state, e.to_state,
                    (a.received_at AT TIME ZONE %(zone)s)::date AS cohort_day,
                    COALESCE(m.district, a.jurisdiction_id) AS district, COALESCE(m.street, '') AS street,
                    a.channel, a.kind,
                    -- The item as of the event: the "from" of the appeal's next item change, if any.
                    CASE WHEN c.appeal_id IS NOT NULL THEN COALESCE(
                        (SELECT s.payload ->> 'from' FROM appeals_event s
                         WHERE s.appeal_id = e.appeal_id AND s.order_id IS NULL AND s.action = 'item_set'
                           AND s.id > e.id ORDER BY s.id LIMIT 1),
                        ci.code) ELSE ci.code END AS item_code
                FROM appeals_event e
                JOIN appeals_appeal a ON a.id = e.appeal_id
                LEFT JOIN changed c ON c.appeal_id = a.id
                LEFT JOIN catalog_catalogitem ci ON ci.id = a.item_id
                LEFT JOIN tally_area m ON m.area_id = a.area_id
                WHERE {appeal_events} AND e.to_state <> ''
            ),
            moves AS (
                SELECT (a.received_at AT TIME ZONE %(zone)s)::date AS cohort_day,
                    COALESCE(m.district, a.jurisdiction_id) AS district, COALESCE(m.street, '') AS street, a.channel, a.kind,
                    COALESCE(old.category, '') AS old_category, COALESCE(new.category, '') AS new_category,
                    (SELECT p.to_state FROM appeals_event p
                     WHERE p.appeal_id = e.appeal_id AND p.order_id IS NULL AND p.to_state <> '' AND p.id < e.id
                     ORDER BY p.id DESC LIMIT 1) AS status
                FROM appeals_event e
                JOIN appeals_appeal a ON a.id = e.appeal_id
                LEFT JOIN tally_area m ON m.area_id = a.area_id
                LEFT JOIN tally_item old ON old.code = e.payload ->> 'from'
                LEFT JOIN tally_item new ON new.code = e.payload ->> 'to'
                WHERE {appeal_events} AND e.action = 'item_set' AND e.to_state = ''
            ),
            flat AS (
                SELECT v.* FROM status
                LEFT JOIN tally_item t ON t.code = status.item_code
                CROSS JOIN LATERAL (VALUES
                    (cohort_day, district, street, channel, kind, COALESCE(t.category, ''),
                     (from_state = '')::int,
                     (to_state {in_settled})::int - (from_state {in_settled})::int,
                     (to_state = %(answered)s)::int - (from_state = %(answered)s)::int, 0),
                    (CASE WHEN to_state {in_settled} AND NOT from_state {in_settled}
                          THEN (at AT TIME ZONE %(zone)s)::date END,
                     district, street, channel, kind, COALESCE(t.category, ''), 0, 0, 0, 1)
                ) v(day, district, street, channel, kind, category, received, settled, answered, completed)
                WHERE v.day IS NOT NULL
                UNION ALL
                SELECT v.* FROM moves
                CROSS JOIN LATERAL (VALUES
                    (cohort_day, district, street, channel, kind, old_category, -1,
                     -(status {in_settled})::int, -(status = %(answered)s)::int, 0),
                    (cohort_day, district, street, channel, kind, new_category, 1,
                     (status {in_settled})::int, (status = %(answered)s)::int, 0)
                ) v(day, district, street, channel, kind, category, received, settled, answered, completed)
                WHERE moves.status IS NOT NULL AND old_category <> new_category
            ),
            grouped AS (
                SELECT day, district, channel, kind, category, street,
                    GROUPING(channel, kind, category, street) AS g,
                    SUM(received) AS received, SUM(settled) AS settled,
                    SUM(answered) AS answered, SUM(completed) AS completed
                FROM flat
                GROUP BY GROUPING SETS ((day, district), (day, district, channel), (day, district, kind),
                    (day, district, category), (day, district, street), (day, district, category, street))
            )
            SELECT day, district,
                CASE g WHEN 15 THEN 'all' WHEN 7 THEN 'channel' WHEN 11 THEN 'kind' WHEN 13 THEN 'category'
                    WHEN 14 THEN 'area' ELSE 'hot' END AS dim,
                CASE g WHEN 15 THEN '' WHEN 7 THEN channel WHEN 11 THEN kind WHEN 13 THEN category
                    WHEN 14 THEN street ELSE category || '{HOT_SEPARATOR}' || street END AS key,
                received, settled, answered, completed
            FROM grouped
            WHERE (received <> 0 OR settled <> 0 OR answered <> 0 OR completed <> 0)
              AND NOT (g = 14 AND street = '') AND NOT (g = 12 AND (street = '' OR category = ''))
            """,
            params,
        )
        cursor.execute(
            "INSERT INTO reports_tally (grain, period, district, dim, key, received, settled, answered, completed) "
            "SELECT 'day', day, district, dim, key, received, settled, answered, completed FROM tally_grouped "
            "UNION ALL SELECT 'month', date_trunc('month', day)::date, district, dim, key, SUM(received), "
            "SUM(settled), SUM(answered), SUM(completed) FROM tally_grouped "
            "GROUP BY date_trunc('month', day)::date, district, dim, key"
        )
        written = cursor.rowcount
        cursor.execute(
            "SELECT count(*) FROM appeals_event e WHERE "
            + appeal_events
            + " AND (e.to_state <> '' OR e.action = 'item_set')",
            params,
        )
        events = cursor.fetchone()[0]
        for table in ("tally_grouped", "tally_area", "tally_item"):
            cursor.execute(f"DROP TABLE {table}")
    return events, written


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
                if rebuild:
                    mark.generation, mark.tallied_at = uuid.uuid4().hex, now
                    mark.save()
                return {"events": 0, "rows": 0, "watermark": mark.event_id, "seconds": 0.0}
            if rebuild and connection.vendor == "postgresql":
                events, written = _rebuild_in_sql(up_to)
            else:
                rows, events = _consume(mark, up_to)
                written = _upsert(rows)
            mark.event_id = up_to
            mark.events += events
            mark.tallied_at = now
            mark.generation = uuid.uuid4().hex
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
