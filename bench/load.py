"""Load test (not a test of the suite): intake at a sustained rate while desks and the dashboard are in use,
against gunicorn + PostgreSQL + Redis + Celery on this machine (loopback only), for a bounded time.

    .venv/bin/python bench/load.py [--duration 120] [--intake-users 10 --intake-rate 3] [--workers 4]

It installs locust on demand (bench/requirements.txt), creates its own database (`yousu_load`, dropped
and made again), migrates it and builds the demo city (`yousu demo`), gives the demo's operator,
dispatcher, leader and department handlers API tokens, and starts gunicorn (production settings with a
bench secret), a Celery worker and Celery beat with Redis (databases 13 and 14) as cache and broker.
Then locust runs bench/locustfile.py headless: intake clients POST appeals with idempotency keys and
retry with the same key; dispatchers work the queue; department staff list, open and sign for orders;
leaders poll the dashboard. Afterwards it counts the appeals in the database by key against the
clients' log (lost and duplicated must be 0: exit status 1 otherwise), prints throughput and p50/p99 per
group of requests with the errors, writes the result as JSON, and tears everything down, also on failure.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_stack import BENCH, ROOT, VENV_BIN, Stack, create_database, drop_database, flush_redis, sql

PREPARE = """
from rest_framework.authtoken.models import Token
from yousu.catalog.models import CatalogItem
from yousu.org.choices import Level, RoleCode
from yousu.org.models import Area, Person

def token(username):
    return Token.objects.get_or_create(user=Person.objects.get(username=username))[0].key

tokens = {role: token(role) for role in ("operator", "dispatcher", "leader")}
for person in Person.objects.filter(roles__code=RoleCode.UNIT_HANDLER, is_active=True, unit__isnull=False).distinct():
    tokens["handler:" + person.username] = token(person.username)
areas = list(Area.objects.filter(level=Level.COMMUNITY, is_active=True).order_by("code").values_list("code", flat=True))
items = list(CatalogItem.objects.filter(level=3, is_active=True).order_by("code").values_list("code", flat=True))
print(json.dumps({"tokens": tokens, "areas": areas, "items": items}))
"""


def ensure_locust() -> None:
    try:
        import locust  # noqa: F401
    except ImportError:
        subprocess.run(
            [str(VENV_BIN / "pip"), "install", "--quiet", "-r", str(BENCH / "requirements.txt")], check=True
        )


def read_client_log(path: Path) -> dict:
    sent, done, gave_up = set(), {}, set()
    retried = 0
    for line in path.read_text().splitlines():
        record = json.loads(line)
        if record["event"] == "sent":
            sent.add(record["key"])
        elif record["event"] == "done":
            done[record["key"]] = record["code"]
            retried += record["attempts"] > 1
        else:
            gave_up.add(record["key"])
    return {"sent": sent, "done": done, "gave_up": gave_up, "retried": retried}


def check_appeals(database_url: str, run: str, log: dict) -> dict:
    """Every key the clients sent against the appeals in the database."""
    rows = sql(
        database_url,
        "SELECT idempotency_key, code FROM appeals_appeal WHERE idempotency_key LIKE %s",
        [f"{run}-%"],
    )
    by_key: dict[str, list[str]] = {}
    for key, code in rows:
        by_key.setdefault(key, []).append(code)
    # The body carries its key in the title too: an appeal made without the key would show here.
    titled = sql(
        database_url, "SELECT count(*) FROM appeals_appeal WHERE title LIKE %s", [f"%负载测试 {run}-%"]
    )[0][0]
    lost = [key for key, code in log["done"].items() if by_key.get(key) != [code]]
    duplicated = [key for key, codes in by_key.items() if len(codes) > 1]
    unknown = [key for key in by_key if key not in log["sent"]]
    in_flight = log["sent"] - set(log["done"]) - log["gave_up"]
    return {
        "keys_sent": len(log["sent"]),
        "acknowledged": len(log["done"]),
        "acknowledged_after_retry": log["retried"],
        "gave_up": len(log["gave_up"]),
        "in_flight_at_stop": len(in_flight),
        "in_flight_in_database": sum(1 for key in in_flight if key in by_key),
        "appeals_in_database": len(rows),
        "appeals_with_the_run_title": titled,
        "lost": len(lost),
        "duplicated": len(duplicated) + max(0, titled - len(by_key)),
        "unknown_keys": len(unknown),
        "examples": {"lost": lost[:5], "duplicated": duplicated[:5], "unknown": unknown[:5]},
    }


def read_stats(prefix: Path, duration: float) -> dict:
    groups = {}
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            name = row["Name"] if row["Name"] != "Aggregated" else "all"
            requests = int(row["Request Count"])
            groups[name] = {
                "requests": requests,
                "failures": int(row["Failure Count"]),
                "per_second": round(requests / duration, 1),
                "p50_ms": _number(row["50%"]),
                "p99_ms": _number(row["99%"]),
                "max_ms": round(float(row["Max Response Time"] or 0)),
            }
    errors = []
    failures_csv = Path(f"{prefix}_failures.csv")
    if failures_csv.exists():
        with open(failures_csv, newline="") as handle:
            errors = [
                {"name": row["Name"], "error": row["Error"][:200], "count": int(row["Occurrences"])}
                for row in csv.DictReader(handle)
            ]
    return {"groups": groups, "errors": errors}


def _number(value: str):
    return None if value in ("", "N/A") else round(float(value))


def wait_for_queue(stack: Stack, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout and stack.queue_depth():
        time.sleep(1)
    return round(time.monotonic() - started, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=120, help="seconds of load (default 120)")
    parser.add_argument("--intake-users", type=int, default=10, help="intake clients (default 10)")
    parser.add_argument(
        "--intake-rate", type=float, default=3, help="appeals per second per client (default 3)"
    )
    parser.add_argument("--dispatchers", type=int, default=4)
    parser.add_argument("--department-users", type=int, default=6)
    parser.add_argument("--leaders", type=int, default=4)
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn sync workers"
    )
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument("--sweep-interval", type=int, default=15, help="seconds between Celery beat's sweeps")
    parser.add_argument(
        "--demo-days", type=int, default=7, help="days of simulated activity in the demo city"
    )
    parser.add_argument("--database", default="yousu_load")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--result", default=None, help="JSON result file (default: in the run's directory)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    ensure_locust()
    stack = Stack(args.database, server=args.server, sweep_interval=args.sweep_interval)
    result_path = Path(args.result) if args.result else stack.workdir / "result.json"
    run = f"load{int(time.time())}"
    started_at = dt.datetime.now().astimezone()
    create_database(args.server, args.database)
    flush_redis(stack.cache_url)
    flush_redis(stack.broker_url)
    try:
        prepare_started = time.monotonic()
        stack.django("demo", "--days", str(args.demo_days))
        city = stack.python(PREPARE)
        (stack.workdir / "city.json").write_text(json.dumps(city))
        prepare_seconds = round(time.monotonic() - prepare_started, 1)
        port = stack.start_gunicorn(args.workers)
        stack.start_worker(concurrency=args.celery_concurrency)
        stack.start_beat()
        size_before = sql(stack.database_url, "SELECT pg_database_size(current_database())")[0][0]
        appeals_before = sql(stack.database_url, "SELECT count(*) FROM appeals_appeal")[0][0]
        users = args.intake_users + args.dispatchers + args.department_users + args.leaders
        client_log = stack.workdir / "clients.jsonl"
        prefix = stack.workdir / "locust"
        environment = dict(
            stack.environment,
            LOAD_CITY=str(stack.workdir / "city.json"),
            LOAD_CLIENT_LOG=str(client_log),
            LOAD_RUN=run,
            LOAD_INTAKE_USERS=str(args.intake_users),
            LOAD_INTAKE_RATE=str(args.intake_rate),
            LOAD_DISPATCHERS=str(args.dispatchers),
            LOAD_DEPARTMENT_USERS=str(args.department_users),
            LOAD_LEADERS=str(args.leaders),
        )
        load_at_start = os.getloadavg()[0]
        locust_started = time.monotonic()
        subprocess.run(
            [
                str(VENV_BIN / "locust"),
                "-f",
                str(BENCH / "locustfile.py"),
                "--headless",
                "--users",
                str(users),
                "--spawn-rate",
                str(users),
                "--run-time",
                f"{args.duration}s",
                "--stop-timeout",
                "60",  # let every intake client finish its retries
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            env=environment,
            cwd=ROOT,
            check=False,  # locust exits 1 when any request failed; the figures say which
            stdout=open(stack.workdir / "locust.log", "w"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
            timeout=args.duration + 180,
        )
        wall = time.monotonic() - locust_started
        load_at_end = os.getloadavg()[0]
        drained_seconds = wait_for_queue(stack, 120)
        stats = read_stats(prefix, args.duration)
        appeals = check_appeals(stack.database_url, run, read_client_log(client_log))
        size_after = sql(stack.database_url, "SELECT pg_database_size(current_database())")[0][0]
        notifications = dict(
            sql(
                stack.database_url,
                "SELECT status, count(*) FROM notifications_notification WHERE created_at >= %s GROUP BY status",
                [started_at],
            )
        )
        orders = sql(
            stack.database_url, "SELECT count(*) FROM dispatch_order WHERE dispatched_at >= %s", [started_at]
        )[0][0]
        new_appeals = sql(stack.database_url, "SELECT count(*) FROM appeals_appeal")[0][0] - appeals_before
    finally:
        stack.stop_all()
        if not args.keep:
            drop_database(args.server, args.database)
        flush_redis(stack.cache_url)
        flush_redis(stack.broker_url)

    intake = stats["groups"].get("intake POST /api/v1/appeals/", {})
    result = {
        "date": started_at.isoformat(timespec="seconds"),
        "duration_s": args.duration,
        "locust_wall_s": round(wall, 1),
        "cpus": os.cpu_count(),
        "setup": {
            "gunicorn_sync_workers": args.workers,
            "celery_worker_concurrency": args.celery_concurrency,
            "sweep_interval_s": args.sweep_interval,
            "users": {
                "intake": args.intake_users,
                "intake_rate_per_user": args.intake_rate,
                "dispatchers": args.dispatchers,
                "department": args.department_users,
                "leaders": args.leaders,
            },
            "demo_days": args.demo_days,
            "prepare_s": prepare_seconds,
            "settings": "yousu.settings.production, CONN_MAX_AGE 0, Redis cache db 13, broker db 14",
        },
        "appeals_per_second": round(appeals["acknowledged"] / args.duration, 1),
        "requests_per_second": stats["groups"].get("all", {}).get("per_second"),
        "groups": stats["groups"],
        "errors": stats["errors"],
        "appeals": appeals,
        "orders_dispatched": orders,
        "notifications_created": notifications,
        "queue_drained_after_s": drained_seconds,
        "database_bytes_per_new_appeal": round((size_after - size_before) / max(new_appeals, 1)),
        "load_average_1min": {"at_start": round(load_at_start, 2), "at_end": round(load_at_end, 2)},
        "intake_p99_ms": intake.get("p99_ms"),
    }
    result_path.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(json.dumps(result, ensure_ascii=False))
    print(f"result: {result_path}", file=sys.stderr)
    if (
        appeals["lost"]
        or appeals["duplicated"]
        or appeals["gave_up"]
        or appeals["unknown_keys"]
        or not appeals["acknowledged"]
    ):
        sys.exit("FAILED: lost, duplicated, abandoned or unknown appeals (see 'appeals')")


if __name__ == "__main__":
    main()
