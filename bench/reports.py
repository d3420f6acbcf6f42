"""Benchmark (not a test): the three reports on a month of N orders in PostgreSQL.

    .venv/bin/python bench/reports.py [--orders 1000000] [--keep]

Builds the month as bench/assess.py does (its `populate`), then makes the copied appeals look like a
real month: received 10 minutes before their order, spread over channels, kinds and catalog items,
completed (with an `appeal_completed` event and the order's completed_at) when their order's life
says so. Then times the daily brief of 30 October (a 'yesterday') and of 15 October (two weeks
back), the monthly report and a unit's sheet, as data and as .xlsx.
"""

import argparse
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.assess import populate  # noqa: E402
from bench.sweep import DEFAULT_SERVER, create_database, drop_database  # noqa: E402


def realistic(template_appeal_code_like: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT array_agg(id) FROM catalog_catalogitem WHERE level = 3")
        items = cursor.fetchone()[0][:60]
        cursor.execute(
            """
            WITH o AS (
                SELECT id, appeal_id, dispatched_at, row_number() OVER (ORDER BY id) AS n
                FROM dispatch_order WHERE appeal_id IN (SELECT id FROM appeals_appeal WHERE code LIKE %(like)s)
            )
            UPDATE dispatch_order d SET
                status = CASE WHEN mod(o.n, 100) >= 12 THEN 'completed' ELSE 'accepted' END,
                completed_at = CASE WHEN mod(o.n, 100) >= 12 THEN o.dispatched_at + interval '1 day 2 hours' END
            FROM o WHERE d.id = o.id
            """,
            {"like": template_appeal_code_like},
        )
        cursor.execute(
            f"""
            WITH o AS (
                SELECT appeal_id, dispatched_at, row_number() OVER (ORDER BY id) AS n
                FROM dispatch_order WHERE appeal_id IN (SELECT id FROM appeals_appeal WHERE code LIKE %(like)s)
            )
            UPDATE appeals_appeal a SET
                received_at = o.dispatched_at - interval '10 minutes',
                status = CASE WHEN mod(o.n, 100) >= 12 THEN 'completed' ELSE 'dispatched' END,
                channel = (ARRAY['hotline', 'web', 'app', 'mini_program'])[1 + mod(o.n, 4)],
                kind = (ARRAY['complaint', 'inquiry', 'help', 'report', 'suggestion'])[1 + mod(o.n, 5)],
                item_id = (ARRAY{items})[1 + mod(o.n * 31, {len(items)})]
            FROM o WHERE a.id = o.appeal_id
            """,
            {"like": template_appeal_code_like},
        )
        cursor.execute(
            """
            INSERT INTO appeals_event (appeal_id, order_id, actor_id, actor_unit_id, at, action, from_state,
                                       to_state, reason, payload)
            SELECT d.appeal_id, NULL, NULL, NULL, d.completed_at, 'appeal_completed', 'dispatched', 'completed',
                   '', '{}'::jsonb
            FROM dispatch_order d JOIN appeals_appeal a ON a.id = d.appeal_id
            WHERE a.code LIKE %(like)s AND d.completed_at IS NOT NULL
            """,
            {"like": template_appeal_code_like},
        )
        for table in ("appeals_appeal", "dispatch_order", "appeals_event"):
            cursor.execute(f"ANALYZE {table}")


def timed(function, runs=3):
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - started)
    return round(statistics.median(seconds) * 1000, 1), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--database", default="yousu_bench_reports")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    create_database(DEFAULT_SERVER, args.database)
    os.environ.update(
        DATABASE_URL=f"{DEFAULT_SERVER}/{args.database}",
        DJANGO_SETTINGS_MODULE="yousu.settings.development",
        DEBUG="0",
        LOG_LEVEL="ERROR",
    )
    import django

    django.setup()
    import datetime as dt

    from django.core.management import call_command
    from django.db.models import Count

    from yousu.appeals.models import Appeal
    from yousu.demo.builder import build_demo
    from yousu.dispatch.models import Order
    from yousu.evaluation.assessment import assess_month, parse_month
    from yousu.reports import documents, xlsx

    try:
        call_command("migrate", interactive=False, verbosity=0)
        build_demo()
        month = parse_month("2026-10")
        loaded = populate(args.orders, month)
        started = time.perf_counter()
        template = Appeal.objects.order_by("id").filter(code__contains="-").first()
        realistic(template.code.split("-")[0] + "-%")
        loaded["realistic_seconds"] = round(time.perf_counter() - started, 1)
        run = assess_month(month=month, note="基准测试")
        out = {**loaded, "appeals": Appeal.objects.count()}

        def save(workbook):
            buffer = io.BytesIO()
            workbook.save(buffer)
            return len(buffer.getvalue())

        for label, day in (
            ("daily_2026-10-30", dt.date(2026, 10, 30)),
            ("daily_2026-10-15", dt.date(2026, 10, 15)),
        ):
            ms, brief = timed(lambda day=day: documents.daily_brief(day))
            xms, size = timed(lambda brief=brief: save(xlsx.daily_workbook(brief)))
            out[label] = {
                "data_ms": ms,
                "xlsx_ms": xms,
                "xlsx_bytes": size,
                "received": brief["received"]["total"],
                "open_at_end": brief["open_at_end"],
                "overdue": brief["overdue"]["count"],
                "completed": brief["completed"],
            }
        ms, report = timed(lambda: documents.monthly_report(run))
        xms, size = timed(lambda: save(xlsx.monthly_workbook(report)))
        out["monthly"] = {
            "data_ms": ms,
            "xlsx_ms": xms,
            "xlsx_bytes": size,
            "units": sum(len(g["rows"]) for g in report["groups"]),
        }
        busiest = Order.objects.values("unit_id").annotate(n=Count("id")).order_by("-n").first()
        from yousu.org.models import Unit

        unit = Unit.objects.get(pk=busiest["unit_id"])
        ms, sheet = timed(lambda: documents.unit_sheet(run, unit))
        xms, size = timed(lambda: save(xlsx.unit_workbook(sheet)))
        out["unit_sheet"] = {
            "data_ms": ms,
            "xlsx_ms": xms,
            "xlsx_bytes": size,
            "orders": len(sheet["orders"]),
        }
        end = dt.datetime(2026, 10, 31, tzinfo=dt.UTC)
        plan = Appeal.objects.filter(status__in=("received", "dispatched"), received_at__lt=end).explain()
        out["plan_open_now"] = plan.splitlines()[:3]
        out["cpus"] = os.cpu_count()
        print(json.dumps(out, ensure_ascii=False))
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(DEFAULT_SERVER, args.database)


if __name__ == "__main__":
    main()
