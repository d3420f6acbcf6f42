"""The deployment that bench/load.py and bench/faults.py run against, on this machine and loopback only:
a PostgreSQL database of their own, gunicorn with the production settings, Celery workers and beat with
Redis as broker and cache, each a child process this module starts and stops.

Nothing here touches anything it did not create: the database name must start with `yousu_load` or
`yousu_faults`, and the Redis databases (13: cache, 14: broker by default) are emptied at the start.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = Path(sys.executable).parent
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
# A bench-only secret: the production settings refuse the development default and short ones.
BENCH_SECRET = "bench-only-secret-not-for-any-deployment-0123456789abcdef"
OWN_DATABASES = ("yousu_load", "yousu_faults")


# ---------------------------------------------------------------- database


def _check_name(name: str) -> None:
    if not name.startswith(OWN_DATABASES):
        sys.exit(
            f"refusing to drop or create database {name!r}: it must start with {' or '.join(OWN_DATABASES)}"
        )


def create_database(server: str, name: str) -> None:
    import psycopg

    _check_name(name)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_database(server: str, name: str) -> None:
    import psycopg

    _check_name(name)
    for _attempt in range(10):  # the server may be restarting (bench/faults.py restarts it)
        try:
            with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except psycopg.OperationalError:
            time.sleep(1)


def sql(database_url: str, statement: str, params=None) -> list[tuple]:
    """Rows of one statement in a connection of its own (none is kept across a server restart)."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        cursor = connection.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Stack:
    """The processes of one deployment. `environment` is what every one of them (and the Django
    children that prepare and inspect the database) runs with."""

    def __init__(
        self,
        database: str,
        *,
        server: str = DEFAULT_SERVER,
        redis: str = "redis://127.0.0.1:6379",
        cache_db: int = 13,
        broker_db: int = 14,
        sweep_interval: int = 60,
        extra_env: dict | None = None,
    ):
        self.server = server
        self.database = database
        self.database_url = f"{server}/{database}"
        self.cache_url = f"{redis}/{cache_db}"
        self.broker_url = f"{redis}/{broker_db}"
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{database}-"))
        self.processes: dict[str, subprocess.Popen] = {}
        self.port: int | None = None
        self.environment = dict(os.environ)
        self.environment.update(
            DJANGO_SETTINGS_MODULE="yousu.settings.production",
            SECRET_KEY=BENCH_SECRET,
            DEBUG="0",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_COOKIES="0",
            DATABASE_URL=self.database_url,
            REDIS_URL=self.cache_url,
            CELERY_BROKER_URL=self.broker_url,
            YOUSU_SWEEP_INTERVAL=str(sweep_interval),
            YOUSU_VAR_DIR=str(self.workdir / "var"),
            # Mail is handed to Django's in-memory backend: delivered as far as the platform can tell.
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            LOG_LEVEL="WARNING",
            PYTHONPATH=os.pathsep.join(filter(None, [str(BENCH), os.environ.get("PYTHONPATH", "")])),
        )
        self.environment.update(extra_env or {})

    # -- Django children

    def django(self, *arguments: str, timeout: float = 900) -> str:
        """`yousu <arguments>` with this deployment's settings; its standard output."""
        result = subprocess.run(
            [str(VENV_BIN / "yousu"), *arguments],
            env=self.environment,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode:
            raise RuntimeError(f"yousu {' '.join(arguments)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def python(self, code: str, timeout: float = 900):
        """Run `code` in a Django child (django.setup() done); it prints one JSON line, returned parsed."""
        program = "import django, json\ndjango.setup()\n" + code
        result = subprocess.run(
            [sys.executable, "-c", program],
            env=self.environment,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode:
            raise RuntimeError(f"Django child failed:\n{result.stderr[-3000:]}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    # -- services

    def _start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            command,
            env=self.environment,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with its children, by id
        )
        self.processes[name] = process
        return process

    def start_gunicorn(self, workers: int, timeout: int = 30, healthy: tuple[int, ...] = (200,)) -> int:
        """Start gunicorn and wait until /healthz answers with one of `healthy` (a deployment started
        with its Redis down answers 503, and is serving)."""
        self.port = free_port()
        self._start(
            "gunicorn",
            [
                str(VENV_BIN / "gunicorn"),
                "yousu.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--timeout",
                str(timeout),
                "--graceful-timeout",
                "5",
                "--backlog",
                "2048",
                "--log-level",
                "warning",
                "--no-control-socket",  # not needed, and one per user by default
            ],
        )
        self.wait_until_serving(healthy=healthy)
        return self.port

    def wait_until_serving(self, timeout: float = 60, healthy: tuple[int, ...] = (200,)) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes["gunicorn"].poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.workdir / 'gunicorn.log'}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5) as answer:
                    if answer.status in healthy:
                        return
            except urllib.error.HTTPError as exc:
                if exc.code in healthy:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer /healthz in time")

    def start_worker(
        self, name: str = "worker", concurrency: int = 2, pool: str = "prefork"
    ) -> subprocess.Popen:
        return self._start(
            name,
            [
                str(VENV_BIN / "celery"),
                "-A",
                "yousu",
                "worker",
                "--loglevel",
                "WARNING",
                "--concurrency",
                str(concurrency),
                "--pool",
                pool,
                "--hostname",
                f"{name}-{os.getpid()}@%h",
                "--without-gossip",
                "--without-mingle",
            ],
        )

    def start_beat(self) -> subprocess.Popen:
        return self._start(
            "beat",
            [
                str(VENV_BIN / "celery"),
                "-A",
                "yousu",
                "beat",
                "--loglevel",
                "WARNING",
                "--schedule",
                str(self.workdir / "beat-schedule"),
                "--pidfile",
                "",
            ],
        )

    def stop(self, name: str, sig: int = signal.SIGTERM, wait: float = 20) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
            process.wait(wait)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def queue_depth(self) -> int:
        import redis

        return redis.Redis.from_url(self.broker_url).llen("celery")


def pending_notifications(stack: Stack) -> dict:
    rows = sql(
        stack.database_url,
        "SELECT channel, status, count(*) FROM notifications_notification GROUP BY channel, status",
    )
    return {f"{channel}:{status}": count for channel, status, count in rows}
