"""`yousu serve`: run the platform on http://127.0.0.1:8000 for one machine.

It is Django's development server with the project's defaults; a production deployment puts a
WSGI server (gunicorn) behind nginx instead. Without a job queue (no CELERY_BROKER_URL, the embedded
default) it also runs the periodic job — time nodes and notifications — in-process every
YOUSU_SWEEP_INTERVAL seconds; with a queue, Celery beat and workers do that.

DEBUG is off unless asked for (`--debug` or DEBUG=1): the demo holds citizens' names, phones and
photos, and Django's debug pages show the URL map, settings and local variables to whoever asks for
a page that fails. Static files come from WhiteNoise either way (no collectstatic); attachments only
ever through the views that check who may see the appeal (yousu/urls.py has no media route).
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
        parser.add_argument(
            "--debug",
            action="store_true",
            help="开启调试模式（出错时显示调试页面，仅限本机开发；也可设置环境变量 DEBUG=1）",
        )

    def handle(self, addrport, migrate, no_sweep, debug, **options):
        if debug:
            # Before anything reads it: the handler, WhiteNoise's refresh and the template engine are
            # built when runserver starts, below.
            settings.DEBUG = True
        if migrate:
            call_command("migrate", interactive=False, verbosity=0)
        scheduler = None
        if not no_sweep and not queue_configured():
            scheduler = InProcessScheduler(settings.YOUSU_SWEEP_INTERVAL)
            scheduler.start()
            self.stdout.write(f"督办扫描在本进程内每 {settings.YOUSU_SWEEP_INTERVAL} 秒执行一次")
        if settings.DEBUG:
            self.stdout.write("调试模式已开启：出错页面会显示代码和设置，切勿在他人可访问的网络上使用")
        self.stdout.write(f"有诉 Yousu 正在 http://{addrport}/ 运行（Ctrl+C 停止）")
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            if scheduler is not None:
                scheduler.stop()
