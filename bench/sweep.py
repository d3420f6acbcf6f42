"""Benchmark (not a test): one supervision sweep over 1,000,000 open orders in PostgreSQL, 1% of them due.

    .venv/bin/python bench/sweep.py [--orders 1000000] [--due-share 0.01] [--keep]

It creates its own database (default `yousu_bench_sweep`, dropped and made again; the name must contain
"bench"), migrates it and builds the demo city, then makes one real appeal and order through the
services and copies them in SQL into `--orders` open orders spread over the demo's departments and
streets. Every order is accepted and waits for its next time node; for `--due-share` of them that node
has passed (a third each yellow, red and overdue), for the rest it lies 1–7 days ahead. It then runs
one sweep (`yousu.supervision.sweep.sweep_time_nodes`, the job Celery beat and `yousu serve` run every
minute) in this process and prints one JSON object: seconds, nodes fired, rows of `dispatch_order`
the sweep updated (from PostgreSQL's statistics), and the plan of the query that finds due orders.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"


def create_database(server_url: str, name: str) -> None:
    import psycopg

    if "bench" not in name:
        sys.exit(f"refusing to drop and create database {name!r}: its name must contain 'bench'")
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def columns(model) -> list[str]:
    return [field.column for field in model._meta.concrete_fields if field.column != "id"]


def template_order(content: str):
    """One demo appeal received by the operator and dispatched to a city department through the
    services: the rows the benchmarks copy in SQL, so every column holds what the services write."""
    from yousu.appeals.services import appeal_create
    from yousu.dispatch.services import appeal_dispatch
    from yousu.org.models import Area, Person, Unit

    operator = Person.objects.get(username="operator")
    dispatcher = Person.objects.get(username="dispatcher")
    department = Unit.objects.filter(kind="department", level="city").order_by("code").first()
    appeal = appeal_create(
        kind="complaint",
        channel="hotline",
        title="基准测试诉求",
        content=content,
        intake_unit=operator.unit,
        received_by=operator,
        area=Area.objects.filter(level="city").first(),
        item=None,
        citizen_name="演示群众",
        citizen_phone="13800000000",
    )
    return appeal, appeal_dispatch(appeal=appeal, by=dispatcher, unit=department, reason="基准测试")


def populate(orders: int, due_share: float, now) -> dict:
    """One appeal and order through the services, then `orders` copies of both in SQL."""
    from django.db import connection

    from yousu.appeals.models import Appeal
    from yousu.dispatch.models import Order
    from yousu.org.models import Unit

    template_appeal, template = template_order("用于督办扫描基准测试的诉求（演示数据）。")
    units = list(Unit.objects.filter(kind__in=("department", "street")).values_list("id", flat=True))
    due_every = round(1 / due_share)

    appeal_columns = columns(Appeal)
    appeal_select = [
        "a.code || '-' || g" if column == "code" else "''" if column == "idempotency_key" else f"a.{column}"
        for column in appeal_columns
    ]
    # A due order's node passed 0–50 minutes ago; the others' lies 1–7 days ahead. Due orders wait
    # for yellow, red or overdue in turn, each with the earlier nodes already fired.
    node_at = (
        f"CASE WHEN mod(n, {due_every}) = 0 THEN %(now)s - mod(n, 50) * interval '1 minute' "
        f"ELSE %(now)s + (1 + mod(n, 7)) * interval '1 day' END"
    )
    kind = f"CASE WHEN mod(n, {due_every}) <> 0 THEN 0 ELSE mod(n / {due_every}, 3) END"
    special = {
        "appeal_id": "a.id",
        "unit_id": f"(ARRAY{units})[1 + mod(n, {len(units)})]",
        "status": "'accepted'",
        "accepted_at": "%(now)s - interval '1 day'",
        "response_fired_at": "NULL",
        "yellow_at": f"{node_at}",
        "red_at": f"{node_at} + CASE WHEN {kind} = 0 THEN interval '1 day' ELSE interval '0' END",
        "completion_due": f"{node_at} + CASE WHEN {kind} = 2 THEN interval '0' ELSE interval '2 days' END",
        "yellow_fired_at": f"CASE WHEN {kind} > 0 THEN %(now)s - interval '2 days' END",
        "red_fired_at": f"CASE WHEN {kind} = 2 THEN %(now)s - interval '1 day' END",
        "overdue_fired_at": "NULL",
        "next_node": f"CASE {kind} WHEN 0 THEN 'yellow' WHEN 1 THEN 'red' ELSE 'overdue' END",
        "next_node_at": node_at,
        "parent_id": "NULL",
    }
    order_columns = columns(Order)
    order_select = [special.get(column, f"o.{column}") for column in order_columns]
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
            {"now": now, "like": f"{template_appeal.code}-%", "template": template.pk},
        )
        cursor.execute("ANALYZE appeals_appeal")
        cursor.execute("ANALYZE dispatch_order")
        loaded = time.perf_counter() - started
        cursor.execute(
            "SELECT count(*) FILTER (WHERE next_node_at IS NOT NULL), "
            "count(*) FILTER (WHERE next_node_at <= %s) FROM dispatch_order",
            [now],
        )
        open_orders, due = cursor.fetchone()
    return {"open_orders": open_orders, "due_orders": due, "load_seconds": round(loaded, 1)}


def updated_rows() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'dispatch_order'")
        return cursor.fetchone()[0]


def due_plan(now) -> list[str]:
    from django.db import connection

    from yousu.dispatch.models import Order

    query = Order.objects.filter(next_node_at__lte=now).order_by("next_node_at", "id")[:1000]
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return [row[0] for row in cursor.fetchall()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--due-share", type=float, default=0.01)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--database", default="yousu_bench_sweep")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--profile", action="store_true", help="print where the sweep spends its time (stderr)"
    )
    args = parser.parse_args()

    create_database(args.server, args.database)
    os.environ.update(
        DATABASE_URL=f"{args.server}/{args.database}",
        DJANGO_SETTINGS_MODULE="yousu.settings.development",
        DEBUG="0",
        LOG_LEVEL="ERROR",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from yousu.demo.builder import build_demo
    from yousu.supervision.sweep import sweep_time_nodes

    try:
        call_command("migrate", interactive=False, verbosity=0)
        build_demo()
        now = timezone.now()
        loaded = populate(args.orders, args.due_share, now)
        before = updated_rows()
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        result = sweep_time_nodes(now=now)
        seconds = time.perf_counter() - started
        if profiler is not None:
            import pstats

            profiler.disable()
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
        touched = updated_rows() - before
        again = time.perf_counter()
        second = sweep_time_nodes(now=now)
        second_seconds = time.perf_counter() - again
        print(
            json.dumps(
                {
                    **loaded,
                    "sweep_seconds": round(seconds, 2),
                    "fired": result.as_dict(),
                    "order_rows_updated": touched,
                    "second_sweep_seconds": round(second_seconds, 3),
                    "second_sweep_orders": second.orders,
                    "due_query_plan": due_plan(now),
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
