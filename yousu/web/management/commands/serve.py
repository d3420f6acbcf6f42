"""`yousu serve`: run the platform on http://127.0.0.1:8000 for one machine.

It is Django's development server with the project's defaults; a production deployment puts a
WSGI server (gunicorn) behind nginx instead.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "启动有诉平台（默认 http://127.0.0.1:8000）"

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="地址和端口")
        parser.add_argument("--migrate", action="store_true", help="启动前先执行数据库迁移")

    def handle(self, addrport, migrate, **options):
        if migrate:
            call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(f"有诉 Yousu 正在 http://{addrport}/ 运行（Ctrl+C 停止）")
        call_command("runserver", addrport, use_reloader=False)
