"""Benchmark (not a test): the monthly assessment of a month with 2,000,000 orders in PostgreSQL.

    .venv/bin/python bench/assess.py [--orders 2000000] [--month 2026-10] [--keep]

It creates its own database (default `yousu_bench_assess`, dropped and made again; the name must
contain "bench"), migrates it and builds the demo city, makes one appeal and order through the services
and copies them in SQL (INSERT … SELECT over generate_series) into `--orders` lead orders dispatched in
the month, spread over the demo's departments, enterprises, streets and communities, each with the
events its life would have written: dispatched; accepted (90% on time, 97% at all); replied and
completed (88%, one in seven of them late); a callback (`callback_done`, 75%; a mix of solved and of
satisfied, basically satisfied and unsatisfied) or an unreachable attempt (3%); an overdue time node
(6%); a send-back (2%). Then it runs the assessment (`yousu.evaluation.assessment.assess_month`, what
`yousu assess` and the monthly job run) in this process and prints one JSON object with the seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sweep import DEFAULT_SERVER, columns, create_database, drop_database, template_order  # noqa: E402


def populate(orders: int, month) -> dict:
    """One appeal and order through the services, then `orders` copies of both and their events."""
    from django.db import connection

    from yousu.appeals.models import Appeal, Event
    from yousu.dispatch.models import Order
    from yousu.evaluation.assessment import month_bounds
    from yousu.org.models import Unit

    template_appeal, template = template_order("用于月度考评基准测试的诉求（演示数据）。")
    units = list(
        Unit.objects.filter(kind__in=("department", "enterprise", "street", "community")).values_list(
            "id", flat=True
        )
    )
    start, end = month_bounds(month)
    seconds_in_month = int((end - start).total_seconds())

    appeal_columns = columns(Appeal)
    appeal_select = [
        "a.code || '-' || g" if column == "code" else "''" if column == "idempotency_key" else f"a.{column}"
        for column in appeal_columns
    ]
    # Orders are dispatched evenly over the month; n is the copy's number.
    dispatched_at = f"%(start)s + mod(n::bigint * 7919, {seconds_in_month}) * interval '1 second'"
    special = {
        "appeal_id": "a.id",
        "unit_id": f"(ARRAY{units})[1 + mod(n, {len(units)})]",
        "status": "'completed'",
        "dispatched_at": dispatched_at,
        "clock_start": dispatched_at,
        "response_due": f"{dispatched_at} + interval '1 day'",
        "completion_due": f"{dispatched_at} + interval '3 days'",
        "next_node": "''",
        "next_node_at": "NULL",
        "parent_id": "NULL",
    }
    order_columns = columns(Order)
    order_select = [special.get(column, f"o.{column}") for column in order_columns]
    event_columns = [c for c in columns(Event)]
    base = {column: "NULL" for column in event_columns}
    base.update(
        appeal_id="o.appeal_id",
        order_id="o.id",
        actor_id="NULL",
        actor_unit_id="NULL",
        from_state="''",
        to_state="''",
        reason="''",
    )
    # (action, moment, condition on n, payload) of each event an order's life writes.
    lives = [
        (
            "dispatched",
            "o.dispatched_at",
            "true",
            "jsonb_build_object('unit', u.code, 'from', 'P', 'role', 'lead', 'proposed', u.code, "
            "'completion_due', o.completion_due)",
        ),
        (
            "accepted",
            "o.dispatched_at + interval '30 minutes'",
            "mod(o.n, 100) >= 3",
            "jsonb_build_object('unit', u.code, 'on_time', mod(o.n, 10) <> 0)",
        ),
        (
            "replied",
            "o.dispatched_at + interval '1 day'",
            "mod(o.n, 100) >= 12",
            "jsonb_build_object('unit', u.code, 'result', 'solved')",
        ),
        (
            "completed",
            "o.dispatched_at + interval '1 day 2 hours'",
            "mod(o.n, 100) >= 12",
            "jsonb_build_object('unit', u.code, 'on_time', mod(o.n, 7) <> 0)",
        ),
        (
            "callback_done",
            "o.dispatched_at + interval '2 days'",
            "mod(o.n, 100) >= 25",
            "jsonb_build_object('unit', u.code, 'solved', mod(o.n, 5) <> 0, 'satisfaction', "
            "(ARRAY['satisfied', 'basically_satisfied', 'satisfied', 'unsatisfied'])[1 + mod(o.n, 4)], "
            "'unit_caused', mod(o.n, 3) <> 0, 'channel', 'hotline', 'round', 1)",
        ),
        (
            "callback_unreachable",
            "o.dispatched_at + interval '2 days'",
            "mod(o.n, 100) BETWEEN 12 AND 14",
            "jsonb_build_object('unit', u.code, 'attempts', 3)",
        ),
        (
            "time_node",
            "o.dispatched_at + interval '3 days'",
            "mod(o.n, 100) BETWEEN 3 AND 8",
            "jsonb_build_object('node', 'overdue', 'unit', u.code)",
        ),
        (
            "sent_back",
            "o.dispatched_at + interval '3 days'",
            "mod(o.n, 100) BETWEEN 40 AND 41",
            "jsonb_build_object('unit', u.code)",
        ),
    ]
    timings = {}
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            f"INSERT INTO appeals_appeal ({', '.join(appeal_columns)}) "
            f"SELECT {', '.join(appeal_select)} FROM appeals_appeal a, generate_series(1, %s) g "
            f"WHERE a.id = %s",
            [orders, template_appeal.pk],
        )
        cursor.execute(
            f"INSERT INTO dispatch_order ({', '.join(order_columns)}) "
            f"SELECT {', '.join(order_select)} FROM dispatch_order o, "
            f"(SELECT id, split_part(code, '-', 2)::int AS n FROM appeals_appeal WHERE code LIKE %(like)s) a "
            f"WHERE o.id = %(template)s",
            {"start": start, "like": f"{template_appeal.code}-%", "template": template.pk},
        )
        timings["orders_seconds"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        numbered = (
            "(SELECT o.id, o.appeal_id, o.unit_id, o.dispatched_at, o.completion_due, "
            "row_number() OVER (ORDER BY o.id) AS n FROM dispatch_order o WHERE o.id <> %(template)s) o"
        )
        for action, moment, condition, payload in lives:
            values = {**base, "at": moment, "action": f"'{action}'", "payload": payload}
            cursor.execute(
                f"INSERT INTO appeals_event ({', '.join(event_columns)}) "
                f"SELECT {', '.join(values[column] for column in event_columns)} "
                f"FROM {numbered} JOIN org_unit u ON u.id = o.unit_id WHERE {condition}",
                {"template": template.pk},
            )
        cursor.execute("ANALYZE appeals_appeal")
        cursor.execute("ANALYZE dispatch_order")
        cursor.execute("ANALYZE appeals_event")
        timings["events_seconds"] = round(time.perf_counter() - started, 1)
        cursor.execute("SELECT count(*) FROM dispatch_order")
        order_count = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM appeals_event")
        event_count = cursor.fetchone()[0]
    return {"orders": order_count, "events": event_count, **timings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2_000_000)
    parser.add_argument("--month", default="2026-10", help="a month that has ended")
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--database", default="yousu_bench_assess")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    create_database(args.server, args.database)
    os.environ.update(
        DATABASE_URL=f"{args.server}/{args.database}",
        DJANGO_SETTINGS_MODULE="yousu.settings.development",
        DEBUG="0",
        LOG_LEVEL="ERROR",
    )
    import django

    django.setup()
    from django.core.management import call_command

    from yousu.demo.builder import build_demo
    from yousu.evaluation.assessment import assess_month, parse_month

    try:
        call_command("migrate", interactive=False, verbosity=0)
        build_demo()
        month = parse_month(args.month)
        loaded = populate(args.orders, month)
        started = time.perf_counter()
        run = assess_month(month=month, note="基准测试")
        seconds = time.perf_counter() - started
        results = run.results.all()
        print(
            json.dumps(
                {
                    **loaded,
                    "month": run.month_label,
                    "assess_seconds": round(seconds, 2),
                    "units": results.count(),
                    "received": sum(result.received for result in results),
                    "completed": sum(result.completed for result in results),
                    "called_back": sum(result.called_back for result in results),
                    "burden_rows": run.burden.count(),
                    "cpus": os.cpu_count(),
                },
                ensure_ascii=False,
            )
        )
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(args.server, args.database)


if __name__ == "__main__":
    main()
