"""Benchmark (not a test): appeals received per second through the real HTTP API on PostgreSQL.

    .venv/bin/python bench/api_intake.py [--n 3000] [--workers 4] [--concurrency 4] [--threaded]

It creates its own database (default `yousu_bench`, dropped and made again; the name must contain
"bench"), migrates it, builds the demo city, gives the demo operator a token, and starts `--workers`
server processes (two per CPU) that share one listening socket. Each serves the Django WSGI
application with a small HTTP/1.1 keep-alive server from the standard library (gunicorn is not
installed): one connection at a time, like gunicorn's sync workers, or a thread per connection with
`--threaded`. `--concurrency` client threads in this process (as many as workers) then POST appeals
to /api/v1/appeals/ over keep-alive connections with a token, as a web or app channel would. It
prints one JSON object: appeals_per_second, p50_ms, p99_ms, n, concurrency, database, what it ran
with, and the CPU time the server, PostgreSQL and the clients spent per appeal.

The clients run on the same machine as the server and take some of its CPU; the figure is for the
whole machine, clients included.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"


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


class WsgiHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive in front of a WSGI application; enough for a benchmark, not a server
    to deploy (no chunked requests, no streaming)."""

    protocol_version = "HTTP/1.1"
    application = None

    def do_GET(self):
        self.run_wsgi()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def run_wsgi(self):
        path, _sep, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        environ = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(length),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        for name, value in self.headers.items():
            key = "HTTP_" + name.upper().replace("-", "_")
            if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                environ[key] = value
        started = {}

        def start_response(status, headers, exc_info=None):
            started["status"], started["headers"] = status, headers

        result = self.application(environ, start_response)
        try:
            payload = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        code, _sep, reason = started["status"].partition(" ")
        self.send_response(int(code), reason)
        for name, value in started["headers"]:
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def log_message(self, format, *args):  # the benchmark measures; it does not log every request
        pass


def serve(fd: int, threaded: bool) -> None:
    """One worker: serve the WSGI application on the listening socket inherited from the parent,
    with a thread per connection, or (sync) one connection at a time like a gunicorn sync worker."""
    setup_django(persistent=os.environ.get("YOUSU_BENCH_PERSISTENT_CONNECTIONS") == "1")
    from django.core.wsgi import get_wsgi_application

    WsgiHandler.application = staticmethod(get_wsgi_application())
    listener = socket.socket(fileno=fd)
    server_class = ThreadingHTTPServer if threaded else HTTPServer
    server = server_class(listener.getsockname(), WsgiHandler, bind_and_activate=False)
    server.socket.close()
    server.socket = listener
    server.daemon_threads = True
    server.serve_forever()


def start_workers(count: int, database_url: str, persistent: bool, threaded: bool):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    env = django_environment(database_url, persistent)
    workers = [
        subprocess.Popen(
            [sys.executable, __file__, "--serve-fd", str(listener.fileno())]
            + (["--threaded"] if threaded else []),
            pass_fds=[listener.fileno()],
            env=env,
            cwd=ROOT,
        )
        for _ in range(count)
    ]
    return listener, workers


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


def run_clients(connections, city: dict, n: int, run: str, first: int = 0):
    """POST n appeals, one client thread per keep-alive connection; (latencies in seconds, errors, wall time).

    The same connections serve the warm-up and the measured run, so the server threads and their
    database connections are the same ones in both."""
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
            connection.request("POST", "/api/v1/appeals/", body=body, headers=headers)
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


def wait_until_serving(port: int, workers, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(worker.poll() is not None for worker in workers):
            sys.exit("a server worker exited while starting")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            ok = connection.getresponse().status == 200
            connection.close()
            if ok:
                return
        except OSError:
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
        help="client threads, one keep-alive connection each (= workers)",
    )
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1), help="server processes (2 per CPU)"
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
    parser.add_argument(
        "--threaded",
        action="store_true",
        help="workers take a thread per connection (default: one connection at a time, like gunicorn's "
        "sync workers, with --workers >= --concurrency)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-fd", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        return prepare_here()
    if args.serve_fd is not None:
        return serve(args.serve_fd, threaded=args.threaded)

    if args.concurrency is None:
        args.concurrency = args.workers
    if not args.threaded and args.concurrency > args.workers:
        sys.exit("sync workers serve one connection each: use --workers >= --concurrency, or --threaded")
    database_url = f"{args.server}/{args.database}"
    persistent = not args.no_persistent_connections
    create_database(args.server, args.database)
    workers = []
    try:
        city = prepare(database_url)
        listener, workers = start_workers(args.workers, database_url, persistent, threaded=args.threaded)
        port = listener.getsockname()[1]
        wait_until_serving(port, workers)
        run = str(int(time.time()))
        connections = [
            http.client.HTTPConnection("127.0.0.1", port, timeout=60) for _ in range(args.concurrency)
        ]
        _latencies, warm_errors, _wall = run_clients(connections, city, args.warmup, run)
        # CPU spent per appeal by the server workers, the PostgreSQL backends serving them, and the
        # clients: what the machine has to find per appeal, whatever else is running on it.
        backends = backend_pids(database_url, args.database)
        server_pids = [worker.pid for worker in workers]
        before = (cpu_seconds(server_pids), cpu_seconds(backends), time.process_time())
        latencies, errors, wall = run_clients(connections, city, args.n, run, first=args.warmup)
        after = (cpu_seconds(server_pids), cpu_seconds(backends), time.process_time())
        for connection in connections:
            connection.close()
        created = count_appeals(database_url)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(10)
        if not args.keep:
            drop_database(args.server, args.database)
    result = {
        "appeals_per_second": round(len(latencies) / wall, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(statistics.quantiles(latencies, n=100)[98] * 1000, 1),
        "n": len(latencies),
        "concurrency": args.concurrency,
        "database": f"PostgreSQL {urlsplit(args.server).hostname}/{args.database}",
        "workers": args.workers,
        "worker_model": "threaded" if args.threaded else "sync",
        "persistent_connections": persistent,
        "cpus": os.cpu_count(),
        "cpu_ms_per_appeal": {
            name: round((end - start) * 1000 / max(len(latencies), 1), 2)
            for name, start, end in zip(("server", "postgresql", "clients"), before, after, strict=True)
            # Without persistent connections every request has its own short-lived backend.
            if name != "postgresql" or backends
        },
        "load_average_1min": round(os.getloadavg()[0], 2),
        "errors": len(errors) + len(warm_errors),
        "appeals_in_database": created,
    }
    if errors:
        result["first_error"] = errors[0]
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
