"""`yousu serve`: run the platform on http://127.0.0.1:8000 for one machine.

It is Django's development server with the project's defaults; a production deployment puts a
WSGI server (gunicorn) behind nginx instead. Without a job queue (no CELERY_BROKER_URL, the embedded
default) it also runs the periodic job — time nodes and notifications — in-process every
YOUSU_SWEEP_INTERVAL seconds; with a queue, Celery beat and workers do that.
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from yousu.core.jobs import queue_configured
from yousu.supervision.jobs import InProcessScheduler


class Command(BaseCommand):
    help = "启动有诉平台（默认 http://127.0.0.1:8000）"

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="地址和端口")
        parser.add_argument("--migrate", action="store_true", help="启动前先执行数据库迁移")
        parser.add_argument(
            "--no-sweep", action="store_true", help="不在本进程内执行督办扫描（已由 Celery 或其他进程执行时）"
        )

    def handle(self, addrport, migrate, no_sweep, **options):
        if migrate:
            call_command("migrate", interactive=False, verbosity=0)
        scheduler = None
        if not no_sweep and not queue_configured():
            scheduler = InProcessScheduler(settings.YOUSU_SWEEP_INTERVAL)
            scheduler.start()
            self.stdout.write(f"督办扫描在本进程内每 {settings.YOUSU_SWEEP_INTERVAL} 秒执行一次")
        self.stdout.write(f"有诉 Yousu 正在 http://{addrport}/ 运行（Ctrl+C 停止）")
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            if scheduler is not None:
                scheduler.stop()
