"""A real Celery worker for integration tests: a separate process started the documented way
(`celery -A yousu worker`), reading the test database through DATABASE_URL, so it needs a database
another process can open: PostgreSQL. It consumes a queue of its own, so other test runs sharing the
Redis cannot take its messages. Mark a module with `pytestmark = needs_worker` and use the fixture.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.parse
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings

from yousu.celery import app

BROKER = os.environ.get("REDIS_URL", "")
needs_worker = [
    pytest.mark.skipif(not BROKER, reason="needs a real Redis for the broker: set REDIS_URL"),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the worker is another process and cannot open an in-memory SQLite test database: "
        "runs on PostgreSQL (DATABASE_URL)",
    ),
]
ROOT = Path(__file__).resolve().parents[1]


def database_url() -> str:
    db = connection.settings_dict
    user = urllib.parse.quote(db["USER"] or "", safe="")
    password = f":{urllib.parse.quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{urllib.parse.quote(db['NAME'], safe='')}"


class Worker:
    def __init__(self, queue: str, log: Path):
        self.queue = queue
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def worker(transactional_db, tmp_path):
    """A worker process on a queue of its own; this process sends its tasks there."""
    queue = f"yousu-test-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "yousu.settings.test",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER,
        # The worker's mail goes to its output: pytest's in-memory outbox lives in this process only.
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "yousu",
        "worker",
        "--pool=solo",
        "--loglevel=INFO",
        "--without-heartbeat",
        "--without-mingle",
        "--without-gossip",
        "-Q",
        queue,
        "-n",
        f"{queue}@%h",
    ]
    previous = {"broker_url": app.conf.broker_url, "task_default_queue": app.conf.task_default_queue}
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    app.conf.update(broker_url=BROKER, task_default_queue=queue)
    try:
        with override_settings(CELERY_BROKER_URL=BROKER):
            yield Worker(queue, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        with app.connection_for_write() as conn:
            # Declared on this channel so that deleting it also removes its binding from Redis.
            declared = app.amqp.queues[queue](conn.default_channel)
            declared.declare()
            declared.delete()
        app.close()  # drop the pooled broker connections made for this queue
        app.conf.update(previous)
