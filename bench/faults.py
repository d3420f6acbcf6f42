"""Fault tests (run on demand, not by the suite): the invariants hold when a Celery worker is killed
mid-sweep, when PostgreSQL restarts during intake and when the Redis broker and cache are full.

    .venv/bin/python bench/faults.py                      # all three
    .venv/bin/python bench/faults.py --only worker-kill   # or postgres-restart, redis-full

Each scenario builds its own deployment with bench/load_stack.py (database `yousu_faults`, gunicorn with
the production settings, a Celery worker and beat), breaks one thing, lets the system recover and then
counts rows in the database: every appeal present exactly once per idempotency key, every due time node
fired exactly once (one `time_node` event per order and node, no second urge or supervision order),
every notification present once and delivered or still pending for a retry. Notifications go to the
inbox and to webhooks that point at a receiver in this process, so a delivery is also counted where
it arrives. It prints one JSON line per scenario and exits 1 if any invariant failed.

`worker-kill` kills (SIGKILL, the worker and its pool children) the worker running a sweep once the
sweep's first batch has committed, starts another and beat, kills that one too while it delivers the
notifications, and starts a third; the rows the dead worker had claimed are retried when their lease
ends, which the script brings forward by running the delivery as if five minutes had passed.

`postgres-restart` restarts the whole local PostgreSQL cluster (`pg_ctlcluster`): everyone's
connections drop for a few seconds. `redis-full` starts its own redis-server on port 6390 with
`--maxmemory 2mb --maxmemory-policy noeviction`, so the shared Redis is never touched.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_stack import Stack, create_database, drop_database, flush_redis, free_port, sql

DATABASE = "yousu_faults"


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
        DATABASE,
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
    timeout the same body and key are sent again (back-off 0.2 s doubling to 2 s) until 201 or 200."""

    def __init__(self, port: int, token: str, city: dict, run: str, rate: float, threads: int = 4):
        self.port, self.token, self.city, self.run = port, token, city, run
        self.interval = threads / rate
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.numbers = iter(range(10**9))
        self.done: dict[str, str] = {}
        self.gave_up: list[str] = []
        self.statuses: Counter = Counter()
        self.timeline: list[tuple[float, int]] = []  # (time, status) of every attempt; 0 for no answer
        self.threads = [threading.Thread(target=self.client) for _ in range(threads)]

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
                status, data = self.post(body)
                with self.lock:
                    self.statuses[status] += 1
                    self.timeline.append((time.monotonic(), status))
                if status in (200, 201):
                    with self.lock:
                        self.done[key] = data["code"]
                    break
                time.sleep(min(0.2 * 2**attempt, 2))
            else:
                with self.lock:
                    self.gave_up.append(key)
            time.sleep(max(0, self.interval - (time.monotonic() - started)))


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
    lost = [key for key, code in clients.done.items() if in_database.get(key) != (1, code)]
    return {
        "acknowledged": len(clients.done),
        "appeals_in_database": sum(count for count, _code in in_database.values()),
        "lost": len(lost),
        "duplicated": sum(1 for count, _code in in_database.values() if count > 1)
        + max(0, titled - len(in_database)),
        "unacknowledged_in_database": len(set(in_database) - set(clients.done)),
        "gave_up": len(clients.gave_up),
        "answers": {str(status): count for status, count in sorted(clients.statuses.items())},
    }


# ---------------------------------------------------------------- b. PostgreSQL restart during intake


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
        version = os.listdir("/etc/postgresql")[0]
        restart_started = time.monotonic()
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
            check=True,
            timeout=120,
        )
        restart_seconds = round(time.monotonic() - restart_started, 1)
        time.sleep(args.after)
        clients.stop()
        errors = [(at, status) for at, status in clients.timeline if status not in (200, 201)]
        last_error = max((at for at, _s in errors), default=restart_started)
        # After the last error: how many answers in a row were good (the server recovered by itself).
        good_after = sum(1 for at, status in clients.timeline if at > last_error and status in (200, 201))
        last_sweep = stack.python(
            "from yousu.supervision.jobs import last_sweep\nprint(json.dumps(str(last_sweep())))"
        )
        appeals = appeal_invariants(stack, clients)
        result = {
            "scenario": "postgres-restart",
            "restart_seconds": restart_seconds,
            "rate_per_second": args.rate,
            "appeals": appeals,
            "error_answers": len(errors),
            "errors_from_s_after_restart_began": round(
                min((at for at, _s in errors), default=0) - restart_started, 1
            )
            if errors
            else None,
            "last_error_s_after_restart_began": round(last_error - restart_started, 1) if errors else None,
            "good_answers_after_last_error": good_after,
            "gunicorn_restarted": False,
            "last_sweep_after": last_sweep,
        }
        result["ok"] = bool(
            appeals["lost"] == 0
            and appeals["duplicated"] == 0
            and appeals["gave_up"] == 0
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
    redis_port = 6390
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
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
            return {"status": answer.status, **json.loads(answer.read())}
    except urllib.error.HTTPError as exc:
        return {"status": exc.code, **json.loads(exc.read() or b"{}")}


SCENARIOS = {"worker-kill": worker_kill, "postgres-restart": postgres_restart, "redis-full": redis_full}


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
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
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
