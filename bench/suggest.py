"""Benchmark (not a test): the intake suggestion endpoint, as the operator types, over HTTP.

    .venv/bin/python bench/suggest.py [--open-appeals 3000] [--requests 300] [--keep]

It creates its own PostgreSQL database (default `yousu_bench_suggest`, dropped and made again; the
name must contain "bench"), migrates it, builds the demo city (its catalog, rules and gazetteer)
and trains two models, each measured in turn as the active one:

- "demo": the demo's own model (its labels are the demo catalog's items, so each suggestion also
  looks up the responsible unit through the catalog rules — the full path of an intake);
- "tipdm": trained on ../shared/data/tipdm2020c/labelled_messages.csv when present (6,089 real
  messages, 7 fields: a realistic vocabulary; its labels are not the demo catalog's, so no unit).

It then adds `--open-appeals` open appeals received over the last 7 days across the demo's
communities (texts from the shared data when present, else the demo's scenarios), so the duplicate
finder has a full window to search, serves the application with gunicorn (2 sync workers, DEBUG
off, persistent connections) and POSTs `/api/v1/intelligence/suggestions/` as the demo operator,
`--requests` times per model, one request at a time, each with another message's title and text
(and its address when the data has none: the demo community's name). It prints one JSON object
with p50/p95/max latency per model, the server-side `took_ms`, and errors.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import http.client
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dashboard import _stats, environment, start_server  # noqa: E402
from bench.sweep import DEFAULT_SERVER, create_database, drop_database  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "tipdm2020c" / "labelled_messages.csv"
PATH = "/api/v1/intelligence/suggestions/"


def shared_texts() -> list[tuple[str, str]]:
    if not SHARED.exists():
        return []
    with SHARED.open(encoding="utf-8-sig", newline="") as handle:
        return [(row["text"], row["label"]) for row in csv.DictReader(handle)]


def post(port: int, token: str, body: dict) -> tuple[int, float, dict]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request(
        "POST",
        PATH,
        body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
    )
    response = connection.getresponse()
    raw = response.read()
    connection.close()
    elapsed = (time.perf_counter() - started) * 1000
    return response.status, elapsed, json.loads(raw) if raw else {}


def populate_open_appeals(count: int, texts: list[str], rng: random.Random) -> int:
    from django.utils import timezone

    from yousu.appeals.choices import AppealStatus
    from yousu.appeals.models import Appeal
    from yousu.org.models import Area, Unit

    communities = list(Area.objects.filter(level="community"))
    platform = Unit.objects.get(code="CITY-PLATFORM")
    now = timezone.now()
    rows = []
    for n in range(count):
        text = texts[n % len(texts)]
        rows.append(
            Appeal(
                code=f"BENCH{n:09d}",
                kind="complaint",
                channel="web",
                title=text[:30],
                content=text[:4000],
                area=rng.choice(communities),
                status=AppealStatus.RECEIVED,
                received_at=now - dt.timedelta(seconds=rng.uniform(60, 7 * 86400 - 60)),
                intake_unit=platform,
                citizen_phone="10000000000",
            )
        )
    Appeal.objects.bulk_create(rows, batch_size=1000)
    return count


def measure(port: int, token: str, queries: list[dict], requests: int) -> dict:
    for body in queries[:5]:  # warm-up: each worker loads the model and the gazetteer once
        post(port, token, body)
    times, took, errors, with_unit = [], [], 0, 0
    for n in range(requests):
        status, ms, answer = post(port, token, queries[n % len(queries)])
        times.append(ms)
        errors += status != 200
        if status == 200:
            took.append(answer["took_ms"])
            with_unit += bool(answer["items"] and answer["items"][0]["unit"])
    return {
        **_stats(times),
        "server_took_p50_ms": _stats(took)["p50_ms"] if took else None,
        "errors": errors,
        "answers_with_unit": with_unit,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--open-appeals", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--database", default="yousu_bench_suggest")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    database_url = f"{args.server}/{args.database}"
    create_database(args.server, args.database)
    # Model files go to a throwaway directory, not the checkout's var/.
    os.environ["YOUSU_VAR_DIR"] = tempfile.mkdtemp(prefix="yousu-bench-suggest-")
    os.environ.update(environment(database_url))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections
    from rest_framework.authtoken.models import Token

    from yousu.demo.builder import build_demo
    from yousu.demo.classifier import demo_examples
    from yousu.intelligence.classifier import Examples
    from yousu.intelligence.services import model_activate, model_train
    from yousu.org.models import Area, Person

    rng = random.Random(2026)
    listener = master = None
    try:
        call_command("migrate", interactive=False, verbosity=0)
        build_demo()
        demo = demo_examples()
        models = {"demo": model_train(examples=demo)}
        shared = shared_texts()
        if shared:
            models["tipdm"] = model_train(
                examples=Examples(
                    texts=[t for t, _ in shared], labels=[label for _, label in shared], source="tipdm"
                )
            )
        texts = [t for t, _ in shared] or demo.texts
        opened = populate_open_appeals(args.open_appeals, texts, rng)
        communities = list(Area.objects.filter(level="community").values_list("name", flat=True))
        queries = []
        for text in rng.sample(texts, min(len(texts), 500)):
            title, _, content = text.partition("\n")
            queries.append(
                {
                    "title": title[:200],
                    "content": (content or text)[:4000],
                    "address": rng.choice(communities),
                }
            )
        token = Token.objects.get_or_create(user=Person.objects.get(username="operator"))[0].key
        results = {}
        for label, model in models.items():
            model_activate(model=model)
            connections.close_all()
            # The dashboard benchmark's server: the same application under gunicorn; the cache setting
            # it takes is the dashboard's and plays no part here.
            listener, master = start_server(database_url, args.workers, "300")
            port = listener.getsockname()[1]
            for _attempt in range(120):
                try:
                    if post(port, token, queries[0])[0] == 200:
                        break
                except OSError:
                    time.sleep(0.5)
            results[label] = {
                **measure(port, token, queries, args.requests),
                "labels": len(model.training_summary["labels"]),
                "training_rows": model.training_summary["rows"],
            }
            master.terminate()
            master.wait(timeout=30)
            listener.close()
            listener = master = None
        print(
            json.dumps(
                {
                    "open_appeals_in_window": opened,
                    "requests_per_model": args.requests,
                    "server": f"gunicorn, {args.workers} sync workers, PostgreSQL",
                    "models": results,
                    "duplicate_window_days": settings.YOUSU_DUPLICATE_WINDOW_DAYS,
                    "load_average_1min": os.getloadavg()[0],
                    "cpus": os.cpu_count(),
                },
                ensure_ascii=False,
            )
        )
    finally:
        if master is not None:
            master.terminate()
            master.wait(timeout=30)
            listener.close()
        connections.close_all()
        if not args.keep:
            drop_database(args.server, args.database)


if __name__ == "__main__":
    main()
