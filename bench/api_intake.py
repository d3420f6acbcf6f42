"""Benchmark (not a test): appeals received per second through the real HTTP API on PostgreSQL.

    .venv/bin/python bench/api_intake.py [--n 3000] [--workers 4] [--worker-class sync|gthread]

It creates its own database (default `yousu_bench`, dropped and made again; the name must contain
"bench"), migrates it, builds the demo city, gives the demo operator a token, and serves the Django
application with gunicorn: `--workers` worker processes (two per CPU), sync (one request at a time
each) or gthread (`--threads` threads each). `--concurrency` client threads in this process (as many
as workers) then POST appeals to /api/v1/appeals/ with a token, as a web or app channel would. It
prints one JSON object: appeals_per_second, p50_ms, p99_ms, n, concurrency, database, what it ran
with, and the CPU time the server, PostgreSQL and the clients spent per appeal.

The clients run on the same machine as the server and take some of its CPU; the figure is for the
whole machine, clients included.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import gunicorn

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
# What the clients POST to: the intake, or a view that authenticates the token and does nothing.
ENDPOINTS = {"appeals": "/api/v1/appeals/", "floor": "/bench/floor/"}


def django_environment(database_url: str, persistent: bool) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="yousu.settings.development",
        DEBUG="0",  # DEBUG keeps every query in memory; a server does not run that way
        LOG_LEVEL="ERROR",
        YOUSU_BENCH_PERSISTENT_CONNECTIONS="1" if persistent else "0",
    )
    return env


def setup_django(persistent: bool) -> None:
    import django
    from django.conf import settings

    django.setup()
    if persistent:
        # What a production deployment does (CONN_MAX_AGE, or a pooler): keep the connection per thread
        # instead of opening one to PostgreSQL for every request.
        settings.DATABASES["default"]["CONN_MAX_AGE"] = None


# ---------------------------------------------------------------- database


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


def prepare(database_url: str) -> dict:
    """Migrate, build the demo city; the operator's API token and the places and matters appeals are
    about (runs in a child process, so this one never holds Django's state)."""
    result = subprocess.run(
        [sys.executable, __file__, "--prepare"],
        env=django_environment(database_url, persistent=False),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def prepare_here() -> None:
    setup_django(persistent=False)
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from yousu.catalog.models import CatalogItem
    from yousu.demo.builder import build_demo
    from yousu.org.choices import Level
    from yousu.org.models import Area, Person

    call_command("migrate", interactive=False, verbosity=0)
    build_demo()
    token, _created = Token.objects.get_or_create(user=Person.objects.get(username="operator"))
    communities = Area.objects.filter(level=Level.COMMUNITY).order_by("code").values_list("code", flat=True)
    items = CatalogItem.objects.filter(level=3).order_by("code").values_list("code", flat=True)
    print(json.dumps({"token": token.key, "areas": list(communities), "items": list(items)}))


def backend_pids(database_url: str, database: str) -> list[int]:
    import psycopg

    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [database]
        ).fetchall()
    return [pid for (pid,) in rows]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes, from /proc (0 where it cannot be read)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def count_appeals(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url) as connection:
        return connection.execute("SELECT count(*) FROM appeals_appeal").fetchone()[0]


# ---------------------------------------------------------------- server


def serve(fd: int, args: argparse.Namespace) -> None:
    """The gunicorn master, in this child process, on the listening socket inherited from the parent.

    Each worker loads the Django application itself after the fork (no preloading), as `gunicorn
    yousu.wsgi` would; the application is loaded here rather than from yousu.wsgi only so that the
    benchmark's settings (DEBUG off, persistent connections or not) apply."""
    from gunicorn.app.base import BaseApplication

    persistent = os.environ.get("YOUSU_BENCH_PERSISTENT_CONNECTIONS") == "1"

    class BenchServer(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", [f"fd://{fd}"])
            self.cfg.set("workers", args.workers)
            self.cfg.set("worker_class", args.worker_class)
            self.cfg.set("threads", args.threads if args.worker_class == "gthread" else 1)
            # Longer than any pause between the warm-up and the measured run, so that a kept-alive
            # connection is never closed under a client.
            self.cfg.set("keepalive", 75)
            self.cfg.set("graceful_timeout", 5)
            self.cfg.set("loglevel", "warning")
            self.cfg.set("control_socket_disable", True)  # not needed, and one per user by default
            self.cfg.set("proc_name", "yousu-bench")

        def load(self):
            setup_django(persistent=persistent)
            from django.conf import settings
            from django.core.wsgi import get_wsgi_application

            if args.endpoint == "floor":
                settings.ROOT_URLCONF = "floor_urls"  # bench/floor_urls.py; bench/ is on sys.path

            return get_wsgi_application()

    BenchServer().run()


def start_server(args: argparse.Namespace, database_url: str, persistent: bool):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(2048)
    command = [
        sys.executable,
        __file__,
        "--serve-fd",
        str(listener.fileno()),
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--threads",
        str(args.threads),
        "--endpoint",
        args.endpoint,
    ]
    master = subprocess.Popen(
        command, pass_fds=[listener.fileno()], env=django_environment(database_url, persistent), cwd=ROOT
    )
    return listener, master


def worker_pids(master_pid: int) -> list[int]:
    """The gunicorn master's children: its workers."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:
            children.append(int(entry.name))
    return children


# ---------------------------------------------------------------- clients


def appeal_body(number: int, run: str, city: dict) -> bytes:
    """The number-th appeal: the catalog's items and the city's communities in turn, as a day's
    appeals spread over matters and places; each a new appeal with its own idempotency key."""
    areas, items = city["areas"], city["items"]
    return json.dumps(
        {
            "kind": "complaint",
            "channel": "app",
            "title": f"市民反映的问题（压测第 {number} 条）",
            "content": f"市民来电反映身边的问题，希望尽快解决。第 {number} 条。",
            "area": areas[number % len(areas)],
            "item": items[(number * 7) % len(items)],
            "citizen_name": "张先生",
            "citizen_phone": f"139{number % 100_000_000:08d}",
            "idempotency_key": f"bench-{run}-{number}",
        },
        ensure_ascii=False,
    ).encode()


def run_clients(connections, city: dict, n: int, run: str, path: str, first: int = 0):
    """POST n appeals, one client thread per connection; (latencies in seconds, errors, wall time).

    A sync worker closes the connection after each answer (gunicorn's sync workers do not keep
    connections alive; in a deployment nginx talks to them), and the client opens a new one for
    the next request, inside the measured time. A gthread worker keeps it alive."""
    counter = iter(range(first, first + n))
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    headers = {
        "Authorization": f"Token {city['token']}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }

    def client(connection):
        while True:
            with lock:
                number = next(counter, None)
            if number is None:
                break
            body = appeal_body(number, run, city)
            started = time.perf_counter()
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if response.status != 201:
                    errors.append(f"{response.status} {data[:200]!r}")

    threads = [threading.Thread(target=client, args=(connection,)) for connection in connections]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - started


def wait_until_serving(port: int, master, workers: int, timeout: float = 60) -> None:
    """Until every worker has booted and the application answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if master.poll() is not None:
            sys.exit("the gunicorn master exited while starting")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            ok = connection.getresponse().status == 200
            connection.close()
            if ok and len(worker_pids(master.pid)) >= workers:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=3000, help="appeals to create (measured)")
    parser.add_argument("--warmup", type=int, default=200, help="appeals created first, not measured")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="client threads, one connection each (default: as many as workers)",
    )
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn workers (2 per CPU)"
    )
    parser.add_argument(
        "--worker-class",
        choices=("sync", "gthread"),
        default="sync",
        help="gunicorn worker class: sync (one request at a time per process; the connection is closed "
        "after each answer) or gthread (--threads threads per process, keep-alive)",
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--threaded", action="store_true", help="the same as --worker-class gthread")
    parser.add_argument(
        "--endpoint",
        choices=tuple(ENDPOINTS),
        default="appeals",
        help="appeals: the intake; floor: the same requests to a view that authenticates and does "
        "nothing, the least any API call costs (bench/floor_urls.py)",
    )
    parser.add_argument("--server", default=DEFAULT_SERVER, help="PostgreSQL server URL, without database")
    parser.add_argument(
        "--database", default="yousu_bench", help="database to create (name contains 'bench')"
    )
    parser.add_argument(
        "--no-persistent-connections",
        action="store_true",
        help="open a new database connection for every request (Django's default CONN_MAX_AGE=0)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-fd", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threaded:
        args.worker_class = "gthread"
    if args.prepare:
        return prepare_here()
    if args.serve_fd is not None:
        return serve(args.serve_fd, args)

    if args.concurrency is None:
        args.concurrency = args.workers
    database_url = f"{args.server}/{args.database}"
    persistent = not args.no_persistent_connections
    load_at_start = os.getloadavg()[0]
    create_database(args.server, args.database)
    master = None
    try:
        city = prepare(database_url)
        listener, master = start_server(args, database_url, persistent)
        port = listener.getsockname()[1]
        wait_until_serving(port, master, args.workers)
        run = str(int(time.time()))
        connections = [
            http.client.HTTPConnection("127.0.0.1", port, timeout=60) for _ in range(args.concurrency)
        ]
        path = ENDPOINTS[args.endpoint]
        _latencies, warm_errors, _wall = run_clients(connections, city, args.warmup, run, path)
        # CPU spent per appeal by the gunicorn master and workers, the PostgreSQL backends serving
        # them, and the clients: what the machine has to find per appeal, whatever else runs on it.
        backends = backend_pids(database_url, args.database)
        server_pids = [master.pid, *worker_pids(master.pid)]
        before = (cpu_seconds(server_pids), cpu_seconds(backends), time.process_time())
        latencies, errors, wall = run_clients(connections, city, args.n, run, path, first=args.warmup)
        after = (cpu_seconds(server_pids), cpu_seconds(backends), time.process_time())
        for connection in connections:
            connection.close()
        created = count_appeals(database_url)
    finally:
        if master is not None:
            master.terminate()
            master.wait(30)
        if not args.keep:
            drop_database(args.server, args.database)
    result = {
        ("appeals_per_second" if args.endpoint == "appeals" else "requests_per_second"): round(
            len(latencies) / wall, 1
        ),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(statistics.quantiles(latencies, n=100)[98] * 1000, 1),
        "n": len(latencies),
        "endpoint": path,
        "concurrency": args.concurrency,
        "database": f"PostgreSQL {urlsplit(args.server).hostname}/{args.database}",
        "server": f"gunicorn {gunicorn.__version__}",
        "workers": args.workers,
        "worker_class": args.worker_class,
        **({"threads": args.threads} if args.worker_class == "gthread" else {}),
        "persistent_connections": persistent,
        "cpus": os.cpu_count(),
        ("cpu_ms_per_appeal" if args.endpoint == "appeals" else "cpu_ms_per_request"): {
            name: round((end - start) * 1000 / max(len(latencies), 1), 2)
            for name, start, end in zip(("server", "postgresql", "clients"), before, after, strict=True)
            # Without persistent connections every request has its own short-lived backend.
            if name != "postgresql" or backends
        },
        # At the start (what else was running) and at the end (that, plus the benchmark itself).
        "load_average_1min": {"at_start": round(load_at_start, 2), "at_end": round(os.getloadavg()[0], 2)},
        "errors": len(errors) + len(warm_errors),
        "appeals_in_database": created,
    }
    if errors or warm_errors:
        result["first_error"] = (errors or warm_errors)[0]
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
