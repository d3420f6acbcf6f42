"""The Celery application: background jobs (the supervision sweep, notification delivery) when a broker is
configured. Workers: `celery -A yousu worker`; the schedule: `celery -A yousu beat`.

Without `CELERY_BROKER_URL` (the embedded default) nothing here runs: `yousu serve` runs the same jobs
in-process and `yousu sweep` runs them once.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yousu.settings.development")

app = Celery("yousu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
