"""Locust users of bench/load.py: intake clients, dispatchers, department staff and leaders at once.

bench/load.py starts locust with this file and passes everything through the environment:
LOAD_CITY (a JSON file: tokens by role, the demo's communities and catalog items), LOAD_CLIENT_LOG
(where intake clients write one JSON line per key), LOAD_RUN (a prefix that makes the keys unique),
and the number of users of each class with the intake rate.

An intake client POSTs appeals to /api/v1/appeals/ at a constant rate, each with an idempotency key. On
an error or a timeout it sends the same body with the SAME key again (with back-off) until the server
answers 201 or 200 (the key was used: the first appeal), so a retry can never make a second appeal. It
logs "sent" before the first attempt and "done" with the code the server returned.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from pathlib import Path

import gevent
from locust import HttpUser, between, constant_throughput, task

CITY = json.loads(Path(os.environ["LOAD_CITY"]).read_text()) if os.environ.get("LOAD_CITY") else {}
RUN = os.environ.get("LOAD_RUN", "load")
LOG = open(os.environ.get("LOAD_CLIENT_LOG", os.devnull), "a", buffering=1)  # noqa: SIM115 - one per process
NUMBERS = itertools.count()
RETRIES = int(os.environ.get("LOAD_RETRIES", "30"))
TIMEOUT = float(os.environ.get("LOAD_TIMEOUT", "10"))
EXPECTED_CONFLICTS = {"dispatch": 0}


def _count(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _log(**record) -> None:
    LOG.write(json.dumps(record, ensure_ascii=False) + "\n")


def _headers(role: str) -> dict:
    # X-Forwarded-Proto as nginx sends it in front of gunicorn: the production settings redirect plain HTTP.
    return {
        "Authorization": f"Token {CITY['tokens'][role]}",
        "Accept": "application/json",
        "X-Forwarded-Proto": "https",
    }


class IntakeClient(HttpUser):
    """A channel (app, web) sending citizens' appeals at LOAD_INTAKE_RATE appeals per second each."""

    fixed_count = _count("LOAD_INTAKE_USERS", 10)
    wait_time = constant_throughput(float(os.environ.get("LOAD_INTAKE_RATE", "3")))

    @task
    def post_appeal(self):
        number = next(NUMBERS)
        key = f"{RUN}-{number}"
        areas, items = CITY["areas"], CITY["items"]
        body = {
            "kind": "complaint",
            "channel": "app",
            "title": f"市民反映的问题（负载测试 {key}）",
            "content": f"市民反映身边的问题，希望尽快解决。负载测试 {key}。",
            "area": areas[number % len(areas)],
            "item": items[(number * 7) % len(items)],
            "citizen_name": "张先生",
            "citizen_phone": f"139{number % 100_000_000:08d}",
            "idempotency_key": key,
        }
        _log(key=key, event="sent", at=time.time())
        statuses = []
        for attempt in range(1, RETRIES + 1):
            with self.client.post(
                "/api/v1/appeals/",
                json=body,
                headers=_headers("operator"),
                name="intake POST /api/v1/appeals/",
                timeout=TIMEOUT,
                catch_response=True,
            ) as response:
                statuses.append(response.status_code)
                if response.status_code in (200, 201):
                    code = response.json()["code"]
                    response.success()
                    _log(
                        key=key,
                        event="done",
                        code=code,
                        status=response.status_code,
                        attempts=attempt,
                        statuses=statuses,
                        at=time.time(),
                    )
                    return
                response.failure(f"{response.status_code}: {(response.text or '')[:120]}")
            # Back off (0.2 s, 0.4 s, ... at most 5 s) and send the same key again.
            gevent.sleep(min(0.2 * 2 ** (attempt - 1), 5))
        _log(key=key, event="gave_up", statuses=statuses, at=time.time())


class Dispatcher(HttpUser):
    """派单员: reads the queue of received appeals, opens one, dispatches it by the catalog."""

    fixed_count = _count("LOAD_DISPATCHERS", 4)
    wait_time = between(1, 3)

    @task
    def work_the_queue(self):
        response = self.client.get(
            "/api/v1/appeals/?status=received", headers=_headers("dispatcher"), name="dispatcher GET queue"
        )
        if response.status_code != 200:
            return
        results = response.json().get("results", [])
        if not results:
            return
        code = random.choice(results[:20])["code"]
        self.client.get(
            f"/api/v1/appeals/{code}/", headers=_headers("dispatcher"), name="dispatcher GET appeal"
        )
        with self.client.post(
            f"/api/v1/appeals/{code}/dispatch/",
            json={},
            headers=_headers("dispatcher"),
            name="dispatcher POST dispatch",
            catch_response=True,
        ) as answer:
            if answer.status_code == 201:
                answer.success()
            elif answer.status_code in (400, 409):
                # Another dispatcher took it first, or the catalog names no unit for it: a desk's
                # ordinary answer, not a failure of the platform.
                EXPECTED_CONFLICTS["dispatch"] += 1
                answer.success()
            else:
                answer.failure(f"{answer.status_code}: {answer.text[:120]}")


class DepartmentStaff(HttpUser):
    """承办单位: lists the unit's orders, opens one, signs for it if it is new."""

    fixed_count = _count("LOAD_DEPARTMENT_USERS", 6)
    wait_time = between(1, 3)

    def on_start(self):
        self.role = random.choice(sorted(role for role in CITY["tokens"] if role.startswith("handler:")))

    @task
    def work_the_orders(self):
        response = self.client.get(
            "/api/v1/orders/", headers=_headers(self.role), name="department GET orders"
        )
        if response.status_code != 200:
            return
        results = response.json().get("results", [])
        if not results:
            return
        order = random.choice(results)
        self.client.get(
            f"/api/v1/orders/{order['id']}/", headers=_headers(self.role), name="department GET order"
        )
        if order.get("status") == "dispatched":
            with self.client.post(
                f"/api/v1/orders/{order['id']}/accept/",
                json={},
                headers=_headers(self.role),
                name="department POST accept",
                catch_response=True,
            ) as answer:
                if answer.status_code in (200, 400, 409):  # signed, or a colleague signed first
                    answer.success()


class Leader(HttpUser):
    """领导看板: polls the dashboard's summary, as the page does every YOUSU_DASHBOARD_POLL_SECONDS."""

    fixed_count = _count("LOAD_LEADERS", 4)
    wait_time = between(2, 5)

    @task
    def poll(self):
        self.client.get("/api/v1/dashboard/summary/", headers=_headers("leader"), name="leader GET dashboard")
