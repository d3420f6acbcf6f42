"""`yousu sweep`: run the periodic job once — fire due time nodes, send due notifications."""

import json

from django.core.management.base import BaseCommand

from yousu.supervision.jobs import run_periodic


class Command(BaseCommand):
    help = "执行一次督办扫描：触发到期的时间节点（预警、催办、督办、提级），发送待发通知"

    def handle(self, **options):
        self.stdout.write(json.dumps(run_periodic(), ensure_ascii=False))
