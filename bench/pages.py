"""Benchmark (not a test): the server time of every web page with the demo data.

    .venv/bin/python bench/pages.py [--days 30] [--repeat 20] [--database-url URL] [--measure-only]

It builds the demo city with `--days` days of simulated activity (`yousu demo`, the data `make run`
shows) into a fresh database — by default an SQLite file in a temporary folder, the embedded default;
`--database-url postgres://…/yousu_bench_pages` for PostgreSQL (the name must contain "bench"; it is
dropped and made again) — then loads the application in this process with DEBUG off and requests each
page as the person it is for, through Django's test client: the time measured is the time Django
takes to answer (middleware, view, queries, template), without a network. Each page is requested
twice to warm up, then `--repeat` times; the script prints a table and one JSON object with the
median, 95th percentile and maximum per page, its status and its number of SQL queries, and says
which pages are over the 300 ms budget (exit code 1 if any page's p95 is).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUDGET_MS = 300

# (demo username or None for an anonymous visitor, path, method). {…} are filled from the data.
PAGES = [
    (None, "/", "get"),
    (None, "/public/", "get"),
    (None, "/catalog/", "get"),
    (None, "/catalog/access-list/", "get"),
    (None, "/h5/", "get"),
    (None, "/h5/track/", "get"),
    ("operator", "/", "get"),
    ("operator", "/intake/", "get"),
    ("operator", "/intake/aids/", "aids"),
    ("operator", "/inbox/", "get"),
    ("operator", "/callbacks/desk/", "get"),
    ("dispatcher", "/dispatch/", "get"),
    ("dispatcher", "/dispatch/appeals/{waiting_appeal}/", "get"),
    ("czq_dispatcher", "/dispatch/", "get"),
    ("czq_sthj", "/unit/", "get"),
    ("czq_sthj", "/unit/orders/{eco_order}/", "get"),
    ("ymj_handler", "/unit/", "get"),
    ("ddj_community", "/unit/", "get"),
    ("supervisor", "/supervision/", "get"),
    ("leader", "/dashboard/", "get"),
    ("leader", "/api/v1/dashboard/summary/", "get"),
    ("leader", "/assessment/", "get"),
    ("leader", "/assessment/burden/", "get"),
    ("leader", "/reports/", "get"),
    ("leader", "/api/v1/grid/figures/", "get"),
    ("ddj_grid", "/grid/report/", "get"),
    ("ddj_community", "/grid/daily/", "get"),
    ("ymj_street", "/grid/study/", "get"),
    ("czq_dispatcher", "/grid/district/", "get"),
    ("czq_dispatcher", "/grid/meetings/", "get"),
    ("czq_dispatcher", "/grid/meetings/{meeting}/", "get"),
    ("czq_cg", "/grid/stationed/", "get"),
    ("ymj_street", "/catalog/access-list/", "get"),
]

AIDS_FORM = {
    "title": "饭店油烟扰民",
    "content": "城中区饮马街东大街社区楼下饭店油烟直排，熏得开不了窗，多次反映无果",
    "address": "城中区东大街",
}


def build(database_url: str, var_dir: str, days: int) -> float:
    env = {**os.environ, "DATABASE_URL": database_url, "YOUSU_VAR_DIR": var_dir, "DEBUG": "0"}
    started = time.perf_counter()
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "yousu"), "demo", "--days", str(days)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def recreate_postgres(database_url: str) -> None:
    from bench.sweep import create_database, drop_database

    server, name = database_url.rsplit("/", 1)
    if "bench" not in name:
        sys.exit(f"the database name must contain 'bench' (it is dropped): {name}")
    drop_database(server, name)
    create_database(server, name)


def samples(data: list[float]) -> dict:
    data = sorted(data)
    return {
        "p50_ms": round(statistics.median(data), 1),
        "p95_ms": round(data[max(0, int(len(data) * 0.95) - 1)], 1),
        "max_ms": round(data[-1], 1),
    }


def fill(path: str) -> str:
    from yousu.appeals.choices import AppealStatus
    from yousu.appeals.models import Appeal
    from yousu.dispatch.models import Order

    values = {}
    if "{waiting_appeal}" in path:
        waiting = Appeal.objects.filter(status=AppealStatus.RECEIVED).order_by("received_at").first()
        waiting = waiting or Appeal.objects.order_by("-received_at").first()
        values["waiting_appeal"] = waiting.code
    if "{eco_order}" in path:
        order = Order.objects.filter(unit__code="630103-ecology_environment").order_by("-id").first()
        values["eco_order"] = order.pk
    if "{meeting}" in path:
        from yousu.grid.models import JointMeeting

        values["meeting"] = JointMeeting.objects.order_by("-id").first().pk
    return path.format(**values)


def measure(repeat: int) -> list[dict]:
    import logging

    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from yousu.org.models import Person

    # One connection for the whole run, as a deployment with persistent connections keeps it (and
    # as Django's own test runner does).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    rows = []
    for username, template, method in PAGES:
        client = Client(HTTP_HOST="127.0.0.1")
        if username:
            client.force_login(Person.objects.get(username=username))
        path = fill(template)

        def request(client=client, path=path, method=method):
            if method == "aids":
                return client.post(path, AIDS_FORM)
            return client.get(path)

        for _ in range(2):
            request()
        with CaptureQueriesContext(connection) as queries:
            response = request()
        # Counted now: the log is emptied at the start of the next request.
        query_count = len(queries)
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            request()
            times.append((time.perf_counter() - started) * 1000)
        rows.append(
            {
                "who": username or "anonymous",
                "path": path,
                "status": response.status_code,
                "queries": query_count,
                **samples(times),
            }
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--measure-only", action="store_true", help="measure a database built before")
    args = parser.parse_args()

    var_dir = tempfile.mkdtemp(prefix="yousu-bench-pages-")
    database_url = args.database_url or f"sqlite:///{var_dir}/yousu.sqlite3"
    build_seconds = None
    if not args.measure_only:
        if database_url.startswith("postgres"):
            recreate_postgres(database_url)
        build_seconds = round(build(database_url, var_dir, args.days), 1)

    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "YOUSU_VAR_DIR": var_dir,
            "DEBUG": "0",
            "DJANGO_SETTINGS_MODULE": "yousu.settings.development",
        }
    )
    import django

    django.setup()
    from django.db import connection

    from yousu.appeals.models import Appeal
    from yousu.dispatch.models import Order

    rows = measure(args.repeat)
    over = [row for row in rows if row["p95_ms"] > BUDGET_MS or row["status"] != 200]
    print(f"{'who':<16}{'path':<44}{'status':>7}{'queries':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for row in rows:
        print(
            f"{row['who']:<16}{row['path']:<44}{row['status']:>7}{row['queries']:>9}"
            f"{row['p50_ms']:>9}{row['p95_ms']:>9}{row['max_ms']:>9}"
        )
    print(
        json.dumps(
            {
                "database": connection.vendor,
                "demo_days": args.days,
                "appeals": Appeal.objects.count(),
                "orders": Order.objects.count(),
                "build_seconds": build_seconds,
                "repeat": args.repeat,
                "budget_ms": BUDGET_MS,
                "over_budget_or_failed": [f"{r['who']} {r['path']}" for r in over],
                "pages": rows,
            },
            ensure_ascii=False,
        )
    )
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
