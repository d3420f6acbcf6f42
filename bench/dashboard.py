"""Benchmark (not a test): the live dashboard's summary endpoint with 10,000,000 appeals in PostgreSQL.

    .venv/bin/python bench/dashboard.py [--appeals 10000000] [--requests 200] [--keep] [--measure-only]

It creates its own database (default `yousu_bench_dashboard`, dropped and made again; the name must
contain "bench"), migrates it and builds the demo city, makes one appeal and order through the
services and copies them in SQL (INSERT … SELECT over generate_series) into `--appeals` appeals
received evenly over the year up to now — across the demo's communities, its catalog items, every
channel (half of them by hotline) and kind — each with the appeal-level events its life would have
written, in time order:
received; answered at intake (a third of the inquiries); dispatched; completed (older than a week:
all but 0.1%; in the last three days more the older it is); closed after the callback (40% of the
completed); reopened after an unsatisfied callback and completed again (1% of the older ones); the
catalog item corrected half an hour after intake (2%, an `item_set` from another item). Every appeal
still in handling gets a running lead order whose deadline is three days after intake, so those
older than three days are overdue (about 0.1% of the year, as on a platform that keeps up).

Then it counts the event log into the dashboard's counters as an installation would after a bulk
import, `yousu tally --rebuild` (here up to a day before the end), runs the periodic consumer once
to catch up on the last day (the last minutes, within its horizon, stay for the live part), reports
the throughput of both, serves the
application with gunicorn (2 sync workers, DEBUG off, persistent connections) and requests
`GET /api/v1/dashboard/summary/` as the demo leader, over HTTP, `--requests` times for each period
(today, 7d, month, year) and for the month with a district filter, one client, one request at a
time, alternating between two servers: one reading the counters on every request ("uncached"), one
as deployed, with the counters' rows cached until the consumer changes them ("cached"; the events
after the watermark, the overdue list and the ranking are read every time). It prints one JSON
object with the generation, rebuild and consumer times and p50/p95/max latency per case, and drops
the database unless `--keep`; `--measure-only` measures again on a kept database.

Order events (accepted, replied, …) are not generated: the consumer skips them in SQL, and the
summary never reads them, so they change the disk size rather than what is measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sweep import DEFAULT_SERVER, columns, create_database, drop_database, template_order  # noqa: E402

CASES = [("today", ""), ("7d", ""), ("month", ""), ("year", ""), ("month", "district")]


def environment(database_url: str) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="yousu.settings.development",
        DEBUG="0",
        LOG_LEVEL="ERROR",
    )
    return env


def populate(appeals: int) -> tuple[dict, object]:
    """One appeal and order through the services, then `appeals` copies with their events in SQL;
    returns the figures and the moment the year of appeals ends."""
    from django.db import connection
    from django.utils import timezone

    from yousu.appeals.choices import Channel
    from yousu.appeals.models import Appeal, Event
    from yousu.catalog.choices import AppealKind
    from yousu.catalog.models import CatalogItem
    from yousu.dispatch.models import Order
    from yousu.org.models import Area, Unit

    now = timezone.now()
    # The template is received a year and a day ago: its events must not be the youngest, or the
    # consumer, which stops at the first event within its horizon, would stop at them.
    with mock.patch("django.utils.timezone.now", return_value=now - dt.timedelta(days=366)):
        template_appeal, template = template_order("用于数据看板基准测试的诉求（演示数据）。")
    communities = list(Area.objects.filter(level="community").order_by("code").values_list("id", flat=True))
    items = list(CatalogItem.objects.filter(level=3).order_by("code").values_list("id", "code"))
    item_ids = [pk for pk, _code in items]
    item_codes = [code for _pk, code in items]
    units = list(Unit.objects.filter(kind__in=("department", "street")).values_list("id", flat=True))
    # Half by hotline, the rest spread over the other channels.
    channels = [Channel.HOTLINE.value] * (len(Channel) - 1) + [
        c.value for c in Channel if c != Channel.HOTLINE
    ]
    kinds = [k.value for k in AppealKind]
    seconds_in_year = 365 * 24 * 3600

    def sql_array(values) -> str:
        return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]"

    age_days = "extract(epoch FROM (%(now)s - received_at)) / 86400"
    numbered = (
        # n: the copy's number; received evenly over the year up to now, so ids follow time.
        f"SELECT g AS n, %(now)s - interval '1 second' * ((%(count)s - g)::float8 * {seconds_in_year} / %(count)s) "
        "AS received_at FROM generate_series(1, %(count)s) g"
    )
    kind = f"({sql_array(kinds)})[1 + mod(n * 7, {len(kinds)})]"
    life = (
        # The appeal's fate: answered at intake, reopened (older than a week, 1%), completed, or open.
        f"CASE WHEN {kind} = 'inquiry' AND mod(n, 3) = 0 THEN 'answered' "
        f"WHEN {age_days} > 7 AND mod(n, 100) = 99 THEN 'reopened' "
        f"WHEN {age_days} > 7 AND mod(n, 1000) <> 998 THEN 'completed' "
        f"WHEN {age_days} <= 7 AND mod(n, 100) + 1 < {age_days} * 30 THEN 'completed' "
        "ELSE 'open' END"
    )
    appeal_columns = columns(Appeal)
    special = {
        "code": "a.code || '-' || x.n",
        "idempotency_key": "''",
        "kind": kind,
        "channel": f"({sql_array(channels)})[1 + mod(n * 13, {len(channels)})]",
        "area_id": f"(ARRAY{communities})[1 + mod(n * 31, {len(communities)})]",
        "item_id": f"(ARRAY{item_ids})[1 + mod(n * 17, {len(item_ids)})]",
        "received_at": "x.received_at",
        "status": (
            "CASE WHEN x.life = 'answered' THEN 'answered' WHEN x.life IN ('completed', 'reopened') THEN "
            "CASE WHEN mod(n, 10) < 4 THEN 'closed' ELSE 'completed' END ELSE 'dispatched' END"
        ),
    }
    appeal_select = [special.get(column, f"a.{column}") for column in appeal_columns]
    timings = {}
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            f"CREATE UNLOGGED TABLE bench_life AS SELECT n, received_at, {life} AS life FROM ({numbered}) x",
            {"now": now, "count": appeals},
        )
        cursor.execute(
            f"INSERT INTO appeals_appeal ({', '.join(appeal_columns)}) "
            f"SELECT {', '.join(appeal_select)} FROM appeals_appeal a, bench_life x WHERE a.id = %s ORDER BY x.n",
            [template_appeal.pk],
        )
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_appeal AS SELECT x.n, x.received_at, x.life, p.id AS appeal_id, "
            "p.status, p.kind, p.channel FROM bench_life x JOIN appeals_appeal p ON p.code = %s || '-' || x.n",
            [template_appeal.code],
        )
        timings["appeals_seconds"] = round(time.perf_counter() - started, 1)

        started = time.perf_counter()
        event_columns = columns(Event)
        base = {column: "NULL" for column in event_columns}
        # Typed, since a NULL in a UNION ALL is text otherwise.
        base.update(
            order_id="NULL::bigint", actor_id="NULL::bigint", actor_unit_id="NULL::bigint", reason="''"
        )
        # Older appeals are completed 1–5 days after intake; one received in the last week, if its
        # n drew it, before now (the later in the week, the fewer: see `life`).
        completed_at = (
            f"received_at + CASE WHEN {age_days} > 7 THEN (1 + mod(n, 5)) * interval '1 day' "
            "ELSE (mod(n, 100) + 1) * interval '48 minutes' END"
        )
        # (action, moment, from, to, condition, payload)
        lives = [
            (
                "received",
                "received_at",
                "''",
                "'received'",
                "true",
                "jsonb_build_object('channel', channel, 'kind', kind)",
            ),
            (
                "answered_at_intake",
                "received_at + interval '5 minutes'",
                "'received'",
                "'answered'",
                "life = 'answered'",
                "jsonb_build_object('answer', '演示答复')",
            ),
            (
                "item_set",
                "received_at + interval '30 minutes'",
                "''",
                "''",
                "mod(n, 50) = 1 AND received_at + interval '30 minutes' < %(now)s",
                f"jsonb_build_object('from', ({sql_array(item_codes)})[1 + mod(n * 17 + 5, {len(item_codes)})], "
                f"'to', ({sql_array(item_codes)})[1 + mod(n * 17, {len(item_codes)})])",
            ),
            (
                "appeal_dispatched",
                "received_at + interval '1 hour'",
                "'received'",
                "'dispatched'",
                "life <> 'answered' AND received_at + interval '1 hour' < %(now)s",
                "'{}'::jsonb",
            ),
            (
                "appeal_completed",
                completed_at,
                "'dispatched'",
                "'completed'",
                "life IN ('completed', 'reopened')",
                "'{}'::jsonb",
            ),
            (
                "appeal_reopened",
                "received_at + interval '6 days'",
                "'completed'",
                "'dispatched'",
                "life = 'reopened'",
                "'{}'::jsonb",
            ),
            (
                "appeal_completed",
                "received_at + interval '7 days'",
                "'dispatched'",
                "'completed'",
                "life = 'reopened'",
                "'{}'::jsonb",
            ),
            (
                "appeal_closed",
                f"CASE life WHEN 'reopened' THEN received_at + interval '7 days' ELSE {completed_at} END "
                "+ interval '30 seconds'",
                "'completed'",
                "'closed'",
                "status = 'closed'",
                "'{}'::jsonb",
            ),
        ]
        selects = []
        for action, moment, before, after, condition, payload in lives:
            values = {
                **base,
                "appeal_id": "appeal_id",
                "at": moment,
                "action": f"'{action}'",
                "from_state": before,
                "to_state": after,
                "payload": payload,
            }
            selects.append(
                f"SELECT {', '.join(f'{values[column]} AS {column}' for column in event_columns)} "
                f"FROM bench_appeal WHERE {condition}"
            )
        # In time order, as a live platform writes them: the consumer reads by id up to the horizon.
        cursor.execute(
            f"INSERT INTO appeals_event ({', '.join(event_columns)}) "
            f"SELECT * FROM ({' UNION ALL '.join(selects)}) e ORDER BY at",
            {"now": now},
        )
        timings["events_seconds"] = round(time.perf_counter() - started, 1)

        started = time.perf_counter()
        intake = "x.received_at"
        order_special = {
            "appeal_id": "x.appeal_id",
            "unit_id": f"(ARRAY{units})[1 + mod(x.n, {len(units)})]",
            "status": "'accepted'",
            "parent_id": "NULL",
            "dispatched_at": f"{intake} + interval '1 hour'",
            "clock_start": f"{intake} + interval '1 hour'",
            "accepted_at": f"{intake} + interval '2 hours'",
            "response_due": f"{intake} + interval '1 day'",
            "completion_due": f"{intake} + interval '3 days'",
            "yellow_at": f"{intake} + interval '2 days'",
            "red_at": f"{intake} + interval '2 days 12 hours'",
            "response_fired_at": "NULL",
            "yellow_fired_at": "NULL",
            "red_fired_at": "NULL",
            "overdue_fired_at": "NULL",
            "next_node": "'overdue'",
            "next_node_at": f"{intake} + interval '3 days'",
            "paused_at": "NULL",
            "completed_at": "NULL",
        }
        order_columns = columns(Order)
        order_select = [order_special.get(column, f"o.{column}") for column in order_columns]
        cursor.execute(
            f"INSERT INTO dispatch_order ({', '.join(order_columns)}) "
            f"SELECT {', '.join(order_select)} FROM dispatch_order o, bench_appeal x "
            f"WHERE o.id = %s AND x.status = 'dispatched' AND x.received_at + interval '1 hour' < %s",
            [template.pk, now],
        )
        cursor.execute("DROP TABLE bench_appeal")
        cursor.execute("DROP TABLE bench_life")
        for table in ("appeals_appeal", "appeals_event", "dispatch_order"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        timings["orders_seconds"] = round(time.perf_counter() - started, 1)
        cursor.execute("SELECT count(*) FROM appeals_appeal")
        timings["appeals"] = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM appeals_event")
        timings["events"] = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM dispatch_order WHERE status = 'accepted'")
        timings["running_orders"] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM dispatch_order WHERE status IN ('dispatched', 'accepted') "
            "AND paused_at IS NULL AND completion_due <= %s",
            [now],
        )
        timings["overdue_orders"] = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        timings["database_size"] = cursor.fetchone()[0]
    return timings, now


def serve(fd: int, workers: int) -> None:
    """The gunicorn master, in a child process, on the socket the parent opened: sync workers, each
    loading the application after the fork as `gunicorn yousu.wsgi` does, with persistent database
    connections as a deployment configures them."""
    from gunicorn.app.base import BaseApplication

    class BenchServer(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", [f"fd://{fd}"])
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "sync")
            self.cfg.set("loglevel", "warning")
            self.cfg.set("control_socket_disable", True)
            self.cfg.set("proc_name", "yousu-bench-dashboard")

        def load(self):
            import django
            from django.conf import settings

            django.setup()
            settings.DATABASES["default"]["CONN_MAX_AGE"] = None
            settings.YOUSU_DASHBOARD_CACHE_SECONDS = int(os.environ["YOUSU_BENCH_CACHE_SECONDS"])
            from django.core.wsgi import get_wsgi_application

            return get_wsgi_application()

    BenchServer().run()


def request(port: int, path: str, token: str) -> tuple[int, float, bytes]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path, headers={"Authorization": f"Token {token}", "Accept": "application/json"})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, (time.perf_counter() - started) * 1000, body


def _stats(times: list[float]) -> dict:
    times = sorted(times)
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
        "max_ms": round(times[-1], 1),
    }


def measure(ports: dict[str, int], token: str, district: str, requests: int) -> dict:
    """Each case on every server, a request to each in turn, so that whatever else the machine is
    doing meanwhile weighs on both alike."""
    results = {label: {} for label in ports}
    for period, filtered in CASES:
        path = f"/api/v1/dashboard/summary/?period={period}" + (f"&district={district}" if filtered else "")
        case = f"{period}{'+district' if filtered else ''}"
        times = {label: [] for label in ports}
        errors = dict.fromkeys(ports, 0)
        bodies = {}
        for _warmup in range(3):
            for port in ports.values():
                request(port, path, token)
        for _n in range(requests):
            for label, port in ports.items():
                status, ms, bodies[label] = request(port, path, token)
                times[label].append(ms)
                errors[label] += status != 200
        for label in ports:
            figures = json.loads(bodies[label]) if bodies[label] else {}
            results[label][case] = {
                **_stats(times[label]),
                "errors": errors[label],
                "received": figures.get("totals", {}).get("received"),
                "overdue": figures.get("overdue", {}).get("count"),
            }
    return results


def start_server(database_url: str, workers: int, cache_seconds: str):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    master = subprocess.Popen(
        [sys.executable, __file__, "--serve-fd", str(listener.fileno()), "--workers", str(workers)],
        pass_fds=[listener.fileno()],
        env={**environment(database_url), "YOUSU_BENCH_CACHE_SECONDS": cache_seconds},
        cwd=ROOT,
    )
    return listener, master


def wait_until_serving(port: int, token: str) -> None:
    for _attempt in range(120):
        try:
            if request(port, "/api/v1/dashboard/summary/", token)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    sys.exit("the server did not answer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--appeals", type=int, default=10_000_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per case")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--database", default="yousu_bench_dashboard")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--measure-only", action="store_true", help="only measure, on a database an earlier --keep left"
    )
    parser.add_argument("--serve-fd", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    database_url = f"{args.server}/{args.database}"
    if args.serve_fd is not None:
        serve(args.serve_fd, args.workers)
        return

    if not args.measure_only:
        create_database(args.server, args.database)
    os.environ.update(environment(database_url))
    import django

    django.setup()
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from yousu.appeals.models import Event
    from yousu.demo.builder import build_demo
    from yousu.org.models import Area, Person
    from yousu.reports.models import Tally
    from yousu.reports.tallies import tally_events

    servers = {}
    loaded, consumer = {}, {}
    try:
        if not args.measure_only:
            call_command("migrate", interactive=False, verbosity=0)
            build_demo()
            started = time.perf_counter()
            loaded, now = populate(args.appeals)
            loaded["generation_seconds"] = round(time.perf_counter() - started, 1)
            # `yousu tally --rebuild` as after a bulk import, up to a day before the end; then the
            # periodic consumer catches up on the last day, leaving the minutes within its horizon.
            rebuilt = tally_events(now=now - dt.timedelta(days=1), rebuild=True)
            consumed = tally_events(now=now)
            consumer = {
                "rebuild_events": rebuilt["events"],
                "rebuild_seconds": rebuilt["seconds"],
                "rebuild_events_per_second": round(rebuilt["events"] / rebuilt["seconds"]),
                "consumer_events": consumed["events"],
                "consumer_seconds": consumed["seconds"],
                "consumer_events_per_second": round(consumed["events"] / consumed["seconds"]),
                "tally_rows": Tally.objects.count(),
                "events_after_watermark": Event.objects.filter(id__gt=consumed["watermark"]).count(),
            }
        token = Token.objects.get_or_create(user=Person.objects.get(username="leader"))[0].key
        district = Area.objects.filter(level="district").order_by("code").first().code
        from django.db import connections

        connections.close_all()

        for label, seconds in (("uncached", "0"), ("cached", "300")):
            servers[label] = start_server(database_url, args.workers, seconds)
        ports = {label: listener.getsockname()[1] for label, (listener, _master) in servers.items()}
        for port in ports.values():
            wait_until_serving(port, token)
        latency = measure(ports, token, district, args.requests)
        print(
            json.dumps(
                {
                    **loaded,
                    "consumer": consumer,
                    "summary": latency,
                    "load_average_1min": os.getloadavg()[0],
                    "district": district,
                    "requests_per_case": args.requests,
                    "server": f"gunicorn, {args.workers} sync workers",
                    "cpus": os.cpu_count(),
                },
                ensure_ascii=False,
            )
        )
    finally:
        for listener, master in servers.values():
            master.terminate()
            master.wait(timeout=30)
            listener.close()
        from django.db import connections

        connections.close_all()
        if not args.keep and not args.measure_only:
            drop_database(args.server, args.database)


if __name__ == "__main__":
    main()
