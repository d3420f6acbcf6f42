"""Fault tests (run on demand, not by the suite): the invariants hold when a Celery worker is killed
mid-sweep, when PostgreSQL restarts during intake, when the Redis broker and cache are full and when
Redis cannot be reached at all.

    .venv/bin/python bench/faults.py                      # all four
    .venv/bin/python bench/faults.py --only worker-kill   # or postgres-restart, redis-full, redis-down

Each scenario builds its own deployment with bench/load_stack.py (database `yousu_faults` or the name
given with --database, gunicorn with the production settings, a Celery worker and beat), breaks one
thing, lets the system recover and then counts rows in the database: every appeal present exactly once
per idempotency key, every due time node fired exactly once (one `time_node` event per order and node,
no second urge or supervision order), every notification present once and delivered or still pending
for a retry. Notifications go to the inbox and to webhooks that point at a receiver in this process,
so a delivery is also counted where it arrives. It prints one JSON line per scenario and exits 1 if any
invariant failed.

Appeals are counted twice over: in the database, and by the clients' own log of what they were told.
Every acknowledgement (the first answer 201 and each replay of a key answered 200) is logged with the
key and the code it gave; an appeal is duplicated if one submission (one key) was acknowledged with two
codes or one code was acknowledged for two submissions, as well as if the database holds two rows for a
key. Some keys are sent again after their acknowledgement on purpose, so replays are exercised.

`worker-kill` kills (SIGKILL, the worker and its pool children) the worker running a sweep once the
sweep's first batch has committed, starts another and beat, kills that one too while it delivers the
notifications, and starts a third; the rows the dead worker had claimed are retried when their lease
ends, which the script brings forward by running the delivery as if five minutes had passed.

`postgres-restart` restarts the PostgreSQL server (`pg_ctlcluster` on the whole local cluster unless
--restart-command names another, e.g. a private cluster's `pg_ctl restart`): every connection drops for
a few seconds. The requests in flight while it restarts are counted from the clients' timestamps, and
gunicorn's master and workers are watched (a worker that dies is replaced by the master; the master
itself must not exit). `redis-full` starts its own redis-server on port 6390 (--redis-full-port) with
`--maxmemory 2mb --maxmemory-policy noeviction`, so the shared Redis is never touched. `redis-down`
points the cache and broker of gunicorn at a port where nothing listens and sends intakes, dispatches,
the citizen portal's submit and look-up, Open311's post and reads, the dashboard, /metrics and /healthz.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_stack import (
    DEFAULT_SERVER,
    Stack,
    create_database,
    drop_database,
    flush_redis,
    free_port,
    sql,
)

DATABASE = "yousu_faults"
# Each scenario's settings of the command line (--database, --server, --redis): set by main().
OPTIONS = argparse.Namespace(
    database=DATABASE, server=DEFAULT_SERVER, redis="redis://127.0.0.1:6379", restart_command=""
)


# ---------------------------------------------------------------- the webhook receiver


class Receiver:
    """Where the units' webhooks point: counts each notification id it receives."""

    def __init__(self):
        self.received: Counter = Counter()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.received[int(json.loads(body)["id"])] += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


# ---------------------------------------------------------------- setting up


def deployment(receiver: Receiver, **options) -> Stack:
    stack = Stack(
        OPTIONS.database,
        server=OPTIONS.server,
        redis=options.pop("redis", OPTIONS.redis),
        sweep_interval=options.pop("sweep_interval", 5),
        extra_env={"YOUSU_NOTIFY_CHANNELS": "inbox,webhook", **options.pop("extra_env", {})},
        **options,
    )
    create_database(stack.server, stack.database)
    flush_redis(stack.cache_url)
    flush_redis(stack.broker_url)
    stack.django("demo", "--no-activity")
    stack.python(
        "from yousu.notifications.models import WebhookEndpoint\n"
        "from yousu.org.models import Unit\n"
        f"WebhookEndpoint.objects.bulk_create([WebhookEndpoint(unit=u, url={receiver.url!r}) for u in Unit.objects.all()])\n"
        "print(json.dumps(WebhookEndpoint.objects.count()))"
    )
    return stack


def due_orders(stack: Stack, count: int) -> dict:
    """`count` accepted orders whose next time node (yellow, red or overdue in turn) has passed, copied
    in SQL from one made through the services (bench/sweep.py)."""
    return stack.python(
        "from django.utils import timezone\n"
        "import sweep\n"
        f"print(json.dumps(sweep.populate({count}, 1.0, timezone.now())))"
    )


def tokens(stack: Stack, *usernames: str) -> dict:
    return stack.python(
        "from rest_framework.authtoken.models import Token\n"
        "from yousu.org.models import Area, Person\n"
        "from yousu.catalog.models import CatalogItem\n"
        f"t = {{u: Token.objects.get_or_create(user=Person.objects.get(username=u))[0].key for u in {usernames!r}}}\n"
        "t['areas'] = list(Area.objects.filter(level='community').order_by('code').values_list('code', flat=True))\n"
        "t['items'] = list(CatalogItem.objects.filter(level=3).order_by('code').values_list('code', flat=True))\n"
        "print(json.dumps(t))"
    )


def wait_for(condition, timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


def due_nodes(stack: Stack) -> int:
    """Orders whose next time node has passed and not yet fired."""
    return sql(stack.database_url, "SELECT count(*) FROM dispatch_order WHERE next_node_at <= now()")[0][0]


# ---------------------------------------------------------------- the invariants


def time_node_invariants(stack: Stack, template_code: str) -> dict:
    """For the orders copied by due_orders(): each fired its node exactly once."""
    like = f"{template_code}-%"
    url = stack.database_url
    [(orders, still_due)] = sql(
        url,
        "SELECT count(*), count(*) FILTER (WHERE o.next_node_at <= now()) FROM dispatch_order o "
        "JOIN appeals_appeal a ON a.id = o.appeal_id WHERE a.code LIKE %s",
        [like],
    )
    per_order = sql(
        url,
        "SELECT c, count(*) FROM (SELECT o.id, count(e.id) AS c FROM dispatch_order o "
        "JOIN appeals_appeal a ON a.id = o.appeal_id "
        "LEFT JOIN appeals_event e ON e.order_id = o.id AND e.action = 'time_node' "
        "WHERE a.code LIKE %s GROUP BY o.id) per GROUP BY c ORDER BY c",
        [like],
    )
    twice = lambda table, key: sql(  # noqa: E731
        url,
        f"SELECT count(*) FROM (SELECT 1 FROM {table} t JOIN dispatch_order o ON o.id = t.order_id "
        f"JOIN appeals_appeal a ON a.id = o.appeal_id WHERE a.code LIKE %s GROUP BY {key} HAVING count(*) > 1) d",
        [like],
    )[0][0]
    return {
        "due_orders": orders,
        "still_due": still_due,
        "orders_by_time_node_events": {str(c): n for c, n in per_order},
        "urges_twice": twice("supervision_urge", "t.order_id, t.node"),
        "supervision_orders_twice": twice("supervision_supervisionorder", "t.order_id, t.node"),
        "notifications_twice": twice(
            "notifications_notification",
            "t.order_id, t.kind, t.channel, t.recipient_unit_id, t.recipient_person_id, t.endpoint_id",
        ),
    }


def notification_invariants(stack: Stack, receiver: Receiver) -> dict:
    rows = sql(stack.database_url, "SELECT id, channel, status, attempts FROM notifications_notification")
    statuses = Counter(f"{channel}:{status}" for _id, channel, status, _attempts in rows)
    webhook = {nid: (status, attempts) for nid, channel, status, attempts in rows if channel == "webhook"}
    with receiver.lock:
        received = dict(receiver.received)
    never_received = [
        nid for nid, (status, _a) in webhook.items() if status == "sent" and nid not in received
    ]
    unknown = [nid for nid in received if nid not in webhook]
    # A row whose send reached the receiver but whose worker died before recording it is sent again
    # when its lease ends (at least once; X-Yousu-Delivery lets the receiver see it). More receipts
    # than attempts would be a real double send.
    more_than_attempts = [
        nid for nid, count in received.items() if nid in webhook and count > webhook[nid][1]
    ]
    return {
        "notifications": dict(sorted(statuses.items())),
        "webhook_rows": len(webhook),
        "webhooks_received": sum(received.values()),
        "webhooks_received_twice": sum(1 for count in received.values() if count > 1),
        "sent_but_never_received": len(never_received),
        "received_more_often_than_attempted": len(more_than_attempts),
        "received_without_a_row": len(unknown),
        "failed": statuses.get("webhook:failed", 0),
    }


def run_periodic_after_leases(stack: Stack) -> dict:
    """Run the periodic job as if the notification lease (5 minutes) had passed: what a killed
    worker held is then retried, without waiting five minutes."""
    return stack.python(
        "from django.utils import timezone\n"
        "from yousu.notifications.services import LEASE, deliver_due\n"
        "later = timezone.now() + LEASE + timezone.timedelta(seconds=1)\n"
        "total = 0\n"
        "while True:\n"
        "    n = deliver_due(now=later)\n"
        "    total += n\n"
        "    if n < 500: break\n"
        "print(json.dumps(total))"
    )


def drain(stack: Stack, timeout: float = 180) -> bool:
    """Until the queue is empty and no notification is pending and due."""
    return wait_for(
        lambda: (
            stack.queue_depth() == 0
            and sql(
                stack.database_url,
                "SELECT count(*) FROM notifications_notification WHERE status = 'pending' AND next_attempt_at <= now()",
            )[0][0]
            == 0
        ),
        timeout,
        1,
    )


# ---------------------------------------------------------------- a. SIGKILL a worker mid-sweep


def worker_kill(args) -> dict:
    receiver = Receiver()
    # Beat stays off until after the kill, so the one sweep running is the one sent here.
    stack = deployment(receiver, sweep_interval=5)
    try:
        loaded = due_orders(stack, args.due)
        [(template_code,)] = sql(
            stack.database_url,
            "SELECT code FROM appeals_appeal WHERE title = '基准测试诉求' AND code NOT LIKE '%%-%%'",
        )
        stack.start_worker("worker", concurrency=2)
        fired = lambda: sql(  # noqa: E731
            stack.database_url, "SELECT count(*) FROM appeals_event WHERE action = 'time_node'"
        )[0][0]
        stack.python("from yousu.supervision.tasks import sweep\nsweep.delay()\nprint(json.dumps(1))")
        sent_at = time.monotonic()
        # Mid-sweep: the first batch (1,000 orders) has committed, the last has not.
        mid = wait_for(lambda: 0 < fired() < loaded["due_orders"], 120, 0.05)
        fired_at_kill = fired()
        worker = stack.processes["worker"]
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its pool children, as the OOM killer would
        worker.wait(10)
        stack.processes.pop("worker")
        killed_after = round(time.monotonic() - sent_at, 2)
        time.sleep(1)
        import redis

        broker = redis.Redis.from_url(stack.broker_url)
        unacked_after_kill = broker.hlen("unacked")
        # A new worker, and beat: its next sweep finds what the killed one left.
        recovery_started = time.monotonic()
        stack.start_worker("worker2", concurrency=2)
        stack.start_beat()
        # Kill the new worker too while it delivers (some webhooks sent, many still pending), so that
        # rows are held under a claim by a worker that is gone; a third worker carries on.
        webhooks = lambda: dict(  # noqa: E731
            sql(
                stack.database_url,
                "SELECT status, count(*) FROM notifications_notification WHERE channel = 'webhook' GROUP BY status",
            )
        )
        mid_delivery = wait_for(
            lambda: webhooks().get("sent", 0) > 100 and webhooks().get("pending", 0) > 100, 120, 0.05
        )
        second = stack.processes.pop("worker2")
        os.killpg(second.pid, signal.SIGKILL)
        second.wait(10)
        [(held_at_second_kill,)] = sql(
            stack.database_url,
            "SELECT count(*) FROM notifications_notification WHERE status = 'pending' AND attempts > 0",
        )
        webhooks_at_second_kill = webhooks()
        stack.start_worker("worker3", concurrency=2)
        recovered = wait_for(
            lambda: due_nodes(stack) == 0,
            180,
        )
        sweep_done_after = round(time.monotonic() - recovery_started, 1)
        drained = drain(stack)
        before_leases = notification_invariants(stack, receiver)
        retried_after_lease = run_periodic_after_leases(stack)
        nodes = time_node_invariants(stack, template_code)
        notes = notification_invariants(stack, receiver)
        result = {
            "scenario": "worker-kill",
            "loaded": loaded,
            "mid_sweep": mid,
            "time_node_events_at_kill": fired_at_kill,
            "killed_after_s": killed_after,
            "unacked_messages_after_kill": unacked_after_kill,
            "second_kill_mid_delivery": mid_delivery,
            "webhooks_at_second_kill": webhooks_at_second_kill,
            "claimed_by_the_killed_worker": held_at_second_kill,
            "all_nodes_fired_after_s": sweep_done_after,
            "queue_drained": drained,
            "before_lease_expiry": before_leases,
            "retried_after_lease_expiry": retried_after_lease,
            "time_nodes": nodes,
            "delivery": notes,
        }
        result["ok"] = bool(
            mid
            and mid_delivery
            and recovered
            and nodes["still_due"] == 0
            and nodes["orders_by_time_node_events"] == {"1": nodes["due_orders"]}
            and not (
                nodes["urges_twice"] or nodes["supervision_orders_twice"] or nodes["notifications_twice"]
            )
            and _delivered(notes)
        )
        return result
    finally:
        stack.stop_all()
        receiver.close()
        _teardown(stack, args)


def _delivered(notes: dict) -> bool:
    pending = notes["notifications"].get("webhook:pending", 0)
    return not (
        notes["sent_but_never_received"]
        or notes["received_more_often_than_attempted"]
        or notes["received_without_a_row"]
        or notes["failed"]
        or pending
    )


def _teardown(stack: Stack, args) -> None:
    if not args.keep:
        drop_database(stack.server, stack.database)
    try:
        flush_redis(stack.cache_url)
        flush_redis(stack.broker_url)
    except Exception:
        pass


# ---------------------------------------------------------------- intake clients


class IntakeClients:
    """Threads POSTing appeals with idempotency keys at `rate` per second in all; on any error or
    timeout the same body and key are sent again (back-off 0.2 s doubling to 2 s) until 201 or 200.
    Every `replay_every`-th key is sent once more after its acknowledgement, as a client that never saw
    the answer would, and that answer is logged too.

    The log: `attempts` holds (sent, answered, status, key) of every request on the monotonic clock
    (status 0 for no answer), `acks` (key, code, status) of every acknowledgement."""

    def __init__(
        self,
        port: int,
        token: str,
        city: dict,
        run: str,
        rate: float,
        threads: int = 4,
        replay_every: int = 5,
    ):
        self.port, self.token, self.city, self.run = port, token, city, run
        self.interval = threads / rate
        self.replay_every = replay_every
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.numbers = iter(range(10**9))
        self.done: dict[str, str] = {}
        self.acks: list[tuple[str, str, int]] = []
        self.gave_up: list[str] = []
        self.statuses: Counter = Counter()
        self.attempts: list[tuple[float, float, int, str]] = []
        self.threads = [threading.Thread(target=self.client) for _ in range(threads)]

    @property
    def timeline(self) -> list[tuple[float, int]]:
        """(answered, status) of every attempt."""
        return [(answered, status) for _sent, answered, status, _key in self.attempts]

    def start(self):
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(120)

    def post(self, body: bytes) -> tuple[int, dict | None]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/v1/appeals/",
            data=body,
            method="POST",
            headers={
                "Authorization": f"Token {self.token}",
                "Content-Type": "application/json",
                "X-Forwarded-Proto": "https",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            exc.read()
            return exc.code, None
        except OSError:
            return 0, None

    def send(self, key: str, body: bytes) -> tuple[int, dict | None]:
        sent = time.monotonic()
        status, data = self.post(body)
        with self.lock:
            self.statuses[status] += 1
            self.attempts.append((sent, time.monotonic(), status, key))
            if status in (200, 201):
                self.acks.append((key, data["code"], status))
        return status, data

    def client(self):
        while not self.stopping.is_set():
            started = time.monotonic()
            with self.lock:
                number = next(self.numbers)
            key = f"{self.run}-{number}"
            body = json.dumps(
                {
                    "kind": "complaint",
                    "channel": "app",
                    "title": f"故障测试 {key}",
                    "content": f"市民反映的问题，故障测试 {key}。",
                    "area": self.city["areas"][number % len(self.city["areas"])],
                    "item": self.city["items"][(number * 7) % len(self.city["items"])],
                    "idempotency_key": key,
                },
                ensure_ascii=False,
            ).encode()
            for attempt in range(60):
                status, data = self.send(key, body)
                if status in (200, 201):
                    with self.lock:
                        self.done[key] = data["code"]
                    if number % self.replay_every == 0:
                        self.send(key, body)
                    break
                time.sleep(min(0.2 * 2**attempt, 2))
            else:
                with self.lock:
                    self.gave_up.append(key)
            time.sleep(max(0, self.interval - (time.monotonic() - started)))


def duplicates_in_log(acks) -> dict:
    """From the clients' log of acknowledgements (key, code, ...): submissions acknowledged with more
    than one code, and codes acknowledged for more than one submission. Each is a duplicate."""
    codes_of: dict[str, set] = {}
    keys_of: dict[str, set] = {}
    for key, code, *_rest in acks:
        codes_of.setdefault(key, set()).add(code)
        keys_of.setdefault(code, set()).add(key)
    return {
        "one_submission_two_codes": sum(1 for codes in codes_of.values() if len(codes) > 1),
        "one_code_two_submissions": sum(1 for keys in keys_of.values() if len(keys) > 1),
    }


def check_duplicate_count() -> None:
    """The count can fail: a log with one of each kind of duplicate counts both, a clean one none."""
    clean = [("k1", "A", 201), ("k1", "A", 200), ("k2", "B", 201)]
    dirty = [*clean, ("k3", "C", 201), ("k3", "D", 200), ("k4", "B", 201)]
    assert duplicates_in_log(clean) == {"one_submission_two_codes": 0, "one_code_two_submissions": 0}
    assert duplicates_in_log(dirty) == {"one_submission_two_codes": 1, "one_code_two_submissions": 1}


def appeal_invariants(stack: Stack, clients: IntakeClients) -> dict:
    rows = sql(
        stack.database_url,
        "SELECT idempotency_key, count(*), min(code) FROM appeals_appeal WHERE idempotency_key LIKE %s "
        "GROUP BY idempotency_key",
        [f"{clients.run}-%"],
    )
    in_database = {key: (count, code) for key, count, code in rows}
    titled = sql(
        stack.database_url,
        "SELECT count(*) FROM appeals_appeal WHERE title LIKE %s",
        [f"故障测试 {clients.run}-%"],
    )[0][0]
    with clients.lock:
        acks = list(clients.acks)
    lost = [key for key, code in clients.done.items() if in_database.get(key) != (1, code)]
    by_log = duplicates_in_log(acks)
    duplicated_by = {
        **by_log,
        "rows_for_one_key": sum(1 for count, _code in in_database.values() if count > 1),
        "rows_without_their_key": max(0, titled - len(in_database)),
    }
    return {
        "acknowledged": len(clients.done),
        "acknowledgements_logged": len(acks),
        "answered_200_to_a_known_key": sum(1 for _key, _code, status in acks if status == 200),
        "appeals_in_database": sum(count for count, _code in in_database.values()),
        "lost": len(lost),
        "duplicated": sum(duplicated_by.values()),
        "duplicated_by": duplicated_by,
        "unacknowledged_in_database": len(set(in_database) - set(clients.done)),
        "gave_up": len(clients.gave_up),
        "answers": {str(status): count for status, count in sorted(clients.statuses.items())},
    }


# ---------------------------------------------------------------- b. PostgreSQL restart during intake


def gunicorn_processes(stack: Stack) -> tuple[int | None, set[int]]:
    """The master's pid (None once it has exited) and its workers' pids, from /proc."""
    master = stack.processes.get("gunicorn")
    if master is None or master.poll() is not None:
        return None, set()
    children = set()
    for task in Path(f"/proc/{master.pid}/task").iterdir():
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            children |= {int(pid) for pid in (task / "children").read_text().split()}
    return master.pid, children


def restart_command(version: str) -> list[str]:
    if OPTIONS.restart_command:
        return shlex.split(OPTIONS.restart_command)
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"]


def postgres_restart(args) -> dict:
    receiver = Receiver()
    stack = deployment(receiver)
    try:
        city = tokens(stack, "operator")
        port = stack.start_gunicorn(args.workers)
        stack.start_worker("worker", concurrency=1)
        stack.start_beat()
        clients = IntakeClients(port, city["operator"], city, f"pg{int(time.time())}", args.rate)
        clients.start()
        time.sleep(args.before)
        master_before, workers_before = gunicorn_processes(stack)
        version = os.listdir("/etc/postgresql")[0] if os.path.isdir("/etc/postgresql") else ""
        restart_started = time.monotonic()
        subprocess.run(restart_command(version), check=True, timeout=120)
        restart_ended = time.monotonic()
        restart_seconds = round(restart_ended - restart_started, 1)
        time.sleep(args.after)
        clients.stop()
        master_after, workers_after = gunicorn_processes(stack)
        attempts = list(clients.attempts)
        errors = [
            (answered, status) for _sent, answered, status, _key in attempts if status not in (200, 201)
        ]
        last_error = max((at for at, _s in errors), default=restart_started)
        # After the last error: how many answers in a row were good (the server recovered by itself).
        good_after = sum(
            1 for _sent, answered, status, _k in attempts if answered > last_error and status in (200, 201)
        )
        # In flight during the restart: sent before the server was back and answered after it began to
        # go down. Their keys must each be acknowledged exactly once like every other.
        in_flight = [a for a in attempts if a[0] < restart_ended and a[1] > restart_started]
        spanning = [a for a in in_flight if a[0] < restart_started and a[1] > restart_ended]
        in_flight_keys = {key for *_times, key in in_flight}
        last_sweep = stack.python(
            "from yousu.supervision.jobs import last_sweep\nprint(json.dumps(str(last_sweep())))"
        )
        appeals = appeal_invariants(stack, clients)
        in_flight_acknowledged_once = sum(
            1 for key in in_flight_keys if len({code for k, code, _status in clients.acks if k == key}) == 1
        )
        result = {
            "scenario": "postgres-restart",
            "restart_command": " ".join(restart_command(version)),
            "restart_seconds": restart_seconds,
            "rate_per_second": args.rate,
            "appeals": appeals,
            "in_flight_during_restart": {
                "requests": len(in_flight),
                "sent_before_and_answered_after_the_whole_restart": len(spanning),
                "answers": dict(Counter(str(status) for _s, _a, status, _k in in_flight)),
                "first_sent_s_before_restart": round(restart_started - min(a[0] for a in in_flight), 2)
                if in_flight
                else None,
                "last_answered_s_after_restart_began": round(
                    max(a[1] for a in in_flight) - restart_started, 2
                )
                if in_flight
                else None,
                "their_keys": len(in_flight_keys),
                "their_keys_acknowledged_once": in_flight_acknowledged_once,
            },
            "error_answers": len(errors),
            "errors_from_s_after_restart_began": round(min(at for at, _s in errors) - restart_started, 1)
            if errors
            else None,
            "last_error_s_after_restart_began": round(last_error - restart_started, 1) if errors else None,
            "good_answers_after_last_error": good_after,
            # Measured: the master is the process the script started, still running; a worker that
            # died (a crash, a timeout) would have been replaced by a new pid.
            "gunicorn_restarted": master_after is None or master_after != master_before,
            "gunicorn_workers_replaced": len(workers_before - workers_after),
            "last_sweep_after": last_sweep,
        }
        result["ok"] = bool(
            appeals["lost"] == 0
            and appeals["duplicated"] == 0
            and appeals["gave_up"] == 0
            and in_flight
            and in_flight_acknowledged_once == len(in_flight_keys)
            and not result["gunicorn_restarted"]
            and good_after >= args.rate * (args.after - 5)  # answering normally for the rest of the run
        )
        return result
    finally:
        stack.stop_all()
        receiver.close()
        _teardown(stack, args)


# ---------------------------------------------------------------- c. Redis full


def redis_full(args) -> dict:
    receiver = Receiver()
    redis_port = args.redis_full_port
    redis_process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--maxmemory",
            "2mb",
            "--maxmemory-policy",
            "noeviction",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    import redis

    own = redis.Redis(port=redis_port, db=15)
    wait_for(lambda: _pings(own), 10, 0.1)
    stack = None
    try:
        stack = deployment(receiver, redis=f"redis://127.0.0.1:{redis_port}", sweep_interval=5)
        city = tokens(stack, "operator", "supervisor")
        port = stack.start_gunicorn(args.workers)
        # Worker and beat run before Redis fills, as in a deployment; a worker that exits is started
        # again after 5 s, as systemd does (deploy/yousu-worker.service: Restart=on-failure, RestartSec=5).
        stack.start_worker("worker", concurrency=2)
        stack.start_beat()
        supervisor = Supervisor(stack, "worker")
        # Fill it: keys of 64 kB in a database nobody else uses, until Redis refuses writes.
        filled = 0
        while True:
            try:
                own.set(f"filler:{filled}", b"x" * 65536)
                filled += 1
            except redis.exceptions.ResponseError as exc:
                refusal = str(exc)
                break
        # The orders come due while Redis is full (copied in SQL after one made through the services,
        # whose own notifications cannot be queued either).
        loaded = due_orders(stack, args.due_full)
        [(template_code,)] = sql(
            stack.database_url,
            "SELECT code FROM appeals_appeal WHERE title = '基准测试诉求' AND code NOT LIKE '%%-%%'",
        )
        clients = IntakeClients(port, city["operator"], city, f"full{int(time.time())}", args.rate)
        clients.start()
        # While it is full: an urge by a supervisor (a notification that cannot be queued) on some orders.
        orders = [
            order_id
            for (order_id,) in sql(
                stack.database_url,
                "SELECT o.id FROM dispatch_order o JOIN appeals_appeal a ON a.id = o.appeal_id "
                "WHERE a.code LIKE %s ORDER BY o.id LIMIT %s",
                [f"{template_code}-%", args.urges],
            )
        ]
        urge_answers = Counter(_urge(port, city["supervisor"], order_id) for order_id in orders)
        time.sleep(args.full_for)
        healthz_when_full = _get(port, "/healthz")
        still_due_when_full = due_nodes(stack)
        [(pending_when_full,)] = sql(
            stack.database_url, "SELECT count(*) FROM notifications_notification WHERE status = 'pending'"
        )
        clients.stop()
        appeals_when_full = appeal_invariants(stack, clients)
        # Room again: the filler goes; beat's next sweep fires the nodes and sends what is pending.
        own.flushdb()
        freed = time.monotonic()
        recovered = wait_for(
            lambda: due_nodes(stack) == 0,
            180,
        )
        nodes_fired_after = round(time.monotonic() - freed, 1)
        drained = drain(stack)
        drained_after = round(time.monotonic() - freed, 1)
        healthz_after_room = _get(port, "/healthz")
        supervisor.stop()
        nodes = time_node_invariants(stack, template_code)
        notes = notification_invariants(stack, receiver)
        urge_rows = sql(
            stack.database_url,
            "SELECT channel, status, count(*) FROM notifications_notification WHERE kind = 'urge' "
            "GROUP BY channel, status",
        )
        result = {
            "scenario": "redis-full",
            "redis": f"127.0.0.1:{redis_port} maxmemory 2mb noeviction, {filled} × 64 kB filler, then: {refusal[:60]}",
            "loaded": loaded,
            "appeals_while_full": appeals_when_full,
            "urges_while_full": {str(status): count for status, count in urge_answers.items()},
            "healthz_while_full": healthz_when_full,
            "healthz_after_room": healthz_after_room,
            "still_due_while_full": still_due_when_full,
            "pending_notifications_while_full": pending_when_full,
            "nodes_fired_after_room_s": nodes_fired_after,
            "drained_after_room_s": drained_after,
            "queue_drained": drained,
            "urge_notifications": {f"{c}:{s}": n for c, s, n in urge_rows},
            "worker_exits": supervisor.exits,
            "time_nodes": nodes,
            "delivery": notes,
        }
        result["ok"] = bool(
            appeals_when_full["lost"] == 0
            and appeals_when_full["duplicated"] == 0
            and appeals_when_full["gave_up"] == 0
            # Every urge is recorded while Redis is full (its notification waits for the periodic job).
            and orders
            and set(urge_answers) <= {200, 201}
            # A monitor is told: /healthz answers (200 or 503, never a crash) and names the cache as not
            # ok while it is full, and as ok again once there is room.
            and healthz_when_full["http"] in (200, 503)
            and healthz_when_full.get("cache") not in (None, "ok")
            and healthz_after_room.get("cache") == "ok"
            and recovered
            and nodes["orders_by_time_node_events"] == {"1": nodes["due_orders"]}
            and not (
                nodes["urges_twice"] or nodes["supervision_orders_twice"] or nodes["notifications_twice"]
            )
            and _delivered(notes)
        )
        return result
    finally:
        if stack is not None:
            stack.stop_all()
        receiver.close()
        if stack is not None:
            _teardown(stack, args)
        redis_process.terminate()
        redis_process.wait(10)


class Supervisor:
    """Starts a Celery worker again 5 s after it exits, as systemd's Restart=on-failure would."""

    def __init__(self, stack: Stack, name: str, delay: float = 5):
        self.stack, self.name, self.delay = stack, name, delay
        self.exits: list[int] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.watch, daemon=True)
        self.thread.start()

    def watch(self):
        while not self.stopping.wait(0.5):
            process = self.stack.processes.get(self.name)
            if process is not None and process.poll() is not None:
                self.exits.append(process.returncode)
                self.stack.processes.pop(self.name)
                if not self.stopping.wait(self.delay):
                    self.stack.start_worker(self.name, concurrency=2)

    def stop(self):
        self.stopping.set()
        self.thread.join(10)


def _pings(client) -> bool:
    try:
        return client.ping()
    except Exception:
        return False


def _urge(port: int, token: str, order_id: int) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/orders/{order_id}/urge/",
        data=json.dumps({"text": "请尽快办理（故障测试）"}).encode(),
        method="POST",
        headers={
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "X-Forwarded-Proto": "https",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _get(port: int, path: str) -> dict:
    """The JSON document at `path` with the answer's HTTP status under "http" (the health document
    has a "status" of its own: ok or error)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
            status, body = answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    try:
        return {"http": status, **json.loads(body or b"{}")}
    except ValueError:  # a server error's page, not the health document
        return {"http": status, "body": body[:200].decode("utf-8", "replace")}


# ---------------------------------------------------------------- d. Redis unreachable


class Browser:
    """An HTTP client with its own cookies (a citizen's browser, a monitor): behind the platform's
    TLS-terminating proxy as production sees it (X-Forwarded-Proto), with the Origin a browser sends."""

    def __init__(self, port: int, token: str | None = None):
        self.base = f"http://127.0.0.1:{port}"
        self.token = token
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def call(self, method: str, path: str, *, data: dict | None = None, json_body=None, headers=None):
        headers = {"X-Forwarded-Proto": "https", **(headers or {})}
        body = None
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        elif data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers.update(
                Origin=f"https://127.0.0.1:{self.base.rsplit(':', 1)[1]}",
                Referer=f"https://127.0.0.1:{self.base.rsplit(':', 1)[1]}{path}",
            )
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)
        try:
            with self.opener.open(request, timeout=30) as answer:
                return answer.status, answer.read(), dict(answer.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), dict(exc.headers)
        except OSError:
            return 0, b"", {}

    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer to count (302 after a submit), not something to follow."""

    def redirect_request(self, *args, **kwargs):
        return None


def redis_down(args) -> dict:
    """The demo city served by gunicorn whose REDIS_URL and broker point at a port where nothing
    listens (no worker or beat: they need the broker). Each operation a few times; every answer's
    status is counted, and a 5xx anywhere fails the scenario."""
    receiver = Receiver()
    stack = deployment(receiver)
    try:
        city = tokens(stack, "operator", "dispatcher", "supervisor")
        open311 = stack.python(
            "from yousu.open311.services import api_key_issue\n"
            "from yousu.catalog.models import CatalogItem\n"
            "key, raw = api_key_issue(name='故障测试客户端')\n"
            "print(json.dumps(raw))"
        )
        closed = free_port()  # bound and released: nothing listens there
        stack.environment.update(
            REDIS_URL=f"redis://127.0.0.1:{closed}/0", CELERY_BROKER_URL=f"redis://127.0.0.1:{closed}/1"
        )
        port = stack.start_gunicorn(args.workers, healthy=(200, 503))
        answers: dict[str, Counter] = {}

        def count(operation: str, status: int) -> int:
            answers.setdefault(operation, Counter())[str(status)] += 1
            return status

        operator = Browser(port, city["operator"])
        dispatcher = Browser(port, city["dispatcher"])
        supervisor = Browser(port, city["supervisor"])
        run = f"down{int(time.time())}"
        codes = []
        for number in range(args.down_count):
            body = {
                "kind": "complaint",
                "channel": "app",
                "title": f"故障测试 {run}-{number}",
                "content": f"市民反映的问题，故障测试 {run}-{number}。",
                "area": city["areas"][number % len(city["areas"])],
                "item": city["items"][(number * 7) % len(city["items"])],
                "idempotency_key": f"{run}-{number}",
            }
            status, raw, _h = operator.call("POST", "/api/v1/appeals/", json_body=body)
            if count("intake (API POST appeal)", status) == 201:
                codes.append(json.loads(raw)["code"])
        for code in codes:
            status, _raw, _h = dispatcher.call("POST", f"/api/v1/appeals/{code}/dispatch/", json_body={})
            count("dispatch (API POST dispatch)", status)
        portal_codes = []
        for number in range(args.down_count):
            citizen = Browser(port)
            count("portal GET submit", citizen.call("GET", "/h5/submit/")[0])
            phone = f"139{number:04d}{int(time.time()) % 10000:04d}"
            status, _raw, headers = citizen.call(
                "POST",
                "/h5/submit/",
                data={
                    "csrfmiddlewaretoken": citizen.csrf(),
                    "kind": "suggestion",
                    "content": f"建议在小区门口增加路灯，故障测试 {run}-h5-{number}。",
                    "citizen_phone": phone,
                    "address": "城中区某街道 12 号",
                    "idempotency_key": f"{run}-h5-{number}",
                },
            )
            count("portal POST submit", status)
            found = re.search(r"/h5/submitted/([^/]+)/", headers.get("Location", ""))
            if status == 302 and found:
                portal_codes.append((found.group(1), phone))
        for code, phone in portal_codes:
            citizen = Browser(port)
            count("portal GET track", citizen.call("GET", "/h5/track/")[0])
            status, _raw, _h = citizen.call(
                "POST",
                "/h5/track/",
                data={"csrfmiddlewaretoken": citizen.csrf(), "code": code, "phone": phone},
            )
            count("portal POST track", status)
            count("portal GET progress", citizen.call("GET", f"/h5/track/{code}/")[0])
        client = Browser(port)
        status, raw, _h = client.call("GET", "/open311/v2/services.json")
        count("Open311 GET services", status)
        services = [row["service_code"] for row in json.loads(raw)] if status == 200 else city["items"][:1]
        requests = []
        for number in range(args.down_count):
            status, raw, _h = client.call(
                "POST",
                "/open311/v2/requests.json",
                data={
                    "api_key": open311,
                    "service_code": services[number % len(services)],
                    "address_string": "城中区某街道 12 号",
                    "description": f"路灯不亮，故障测试 {run}-311-{number}。",
                },
            )
            count("Open311 POST request", status)
            if status in (200, 201):
                requests.append(json.loads(raw)[0].get("service_request_id"))
            count("Open311 GET requests", client.call("GET", "/open311/v2/requests.json")[0])
        for request_id in filter(None, requests):
            count("Open311 GET request", client.call("GET", f"/open311/v2/requests/{request_id}.json")[0])
        for _ in range(3):
            count("dashboard API", supervisor.call("GET", "/api/v1/dashboard/summary/")[0])
            count("metrics", client.call("GET", "/metrics")[0])
        # /healthz is a report, not a request served: its 503 (the broker, a required check, is down)
        # is what a load balancer and a monitor must be told, so it is not counted as a server error.
        healthz = _get(port, "/healthz")
        in_database = sql(
            stack.database_url,
            "SELECT count(*) FROM appeals_appeal WHERE title LIKE %s OR content LIKE %s OR content LIKE %s",
            [f"故障测试 {run}-%", f"%故障测试 {run}-h5-%", f"%故障测试 {run}-311-%"],
        )[0][0]
        server_errors = {
            operation: sum(n for status, n in statuses.items() if status.startswith("5"))
            for operation, statuses in answers.items()
        }
        result = {
            "scenario": "redis-down",
            "redis": f"cache and broker at 127.0.0.1:{closed}, where nothing listens; no worker or beat",
            "answers": {operation: dict(statuses) for operation, statuses in answers.items()},
            "requests": sum(sum(statuses.values()) for statuses in answers.values()),
            "server_errors": server_errors,
            "appeals_acknowledged": len(codes) + len(portal_codes) + len(requests),
            "appeals_in_database": in_database,
            "healthz": healthz,
        }
        result["ok"] = bool(
            not any(server_errors.values())
            and len(codes) == len(portal_codes) == len(requests) == args.down_count
            and in_database == result["appeals_acknowledged"]
            and healthz["http"] in (200, 503)
            and healthz.get("cache") not in (None, "ok")
        )
        return result
    finally:
        stack.stop_all()
        receiver.close()
        _teardown(stack, args)


SCENARIOS = {
    "worker-kill": worker_kill,
    "postgres-restart": postgres_restart,
    "redis-full": redis_full,
    "redis-down": redis_down,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", choices=tuple(SCENARIOS), action="append", help="run this scenario (repeatable)"
    )
    parser.add_argument("--due", type=int, default=3000, help="due time nodes for worker-kill (default 3000)")
    parser.add_argument(
        "--due-full", type=int, default=300, help="due time nodes for redis-full (default 300)"
    )
    parser.add_argument("--urges", type=int, default=20, help="urges sent while Redis is full (default 20)")
    parser.add_argument(
        "--rate", type=float, default=20, help="appeals per second during the faults (default 20)"
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--before", type=float, default=5, help="seconds of intake before the restart")
    parser.add_argument("--after", type=float, default=15, help="seconds of intake after the restart")
    parser.add_argument("--full-for", type=float, default=10, help="seconds of intake while Redis is full")
    parser.add_argument(
        "--down-count", type=int, default=20, help="each operation's count for redis-down (default 20)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--database", default=DATABASE, help=f"the scenarios' database (must start with {DATABASE})"
    )
    parser.add_argument(
        "--server", default=DEFAULT_SERVER, help="the PostgreSQL server's URL, without a database"
    )
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379", help="the Redis for cache (db 13) and broker (db 14)"
    )
    parser.add_argument(
        "--redis-full-port", type=int, default=6390, help="the port of redis-full's own Redis"
    )
    parser.add_argument(
        "--restart-command",
        default="",
        help="how postgres-restart restarts the server (default: pg_ctlcluster on the local cluster)",
    )
    args = parser.parse_args()
    OPTIONS.database, OPTIONS.server, OPTIONS.redis = args.database, args.server, args.redis
    OPTIONS.restart_command = args.restart_command
    check_duplicate_count()
    failed = []
    for name in args.only or SCENARIOS:
        started = time.monotonic()
        try:
            result = SCENARIOS[name](args)
        except Exception as exc:
            result = {"scenario": name, "ok": False, "error": f"{type(exc).__name__}: {exc}"}
        result["seconds"] = round(time.monotonic() - started, 1)
        print(json.dumps(result, ensure_ascii=False), flush=True)
        if not result["ok"]:
            failed.append(name)
    if failed:
        sys.exit(f"FAILED: {', '.join(failed)}")


if __name__ == "__main__":
    main()
