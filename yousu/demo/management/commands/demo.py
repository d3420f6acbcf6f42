"""`yousu demo`: build the demo city and print the demo accounts. Safe to run again."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from yousu.core.errors import DomainError
from yousu.core.tabular import ImportFailed, TableError
from yousu.demo.builder import build_demo
from yousu.demo.people import DEMO_PASSWORD


class Command(BaseCommand):
    help = "生成演示城市（区域、单位、网格、职责目录、准入清单、演示账号），可重复运行"

    def add_arguments(self, parser):
        parser.add_argument("--no-migrate", action="store_true", help="不先执行数据库迁移")

    def handle(self, no_migrate, **options):
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=0)
        try:
            summary = build_demo()
        except (DomainError, ImportFailed, TableError) as exc:
            raise CommandError(f"演示数据生成失败：{exc}") from None
        out = self.stdout
        out.write("演示城市已就绪（所有演示数据均标注“演示”）：")
        out.write(
            f"  区域 {summary.areas} 个，单位 {summary.units} 个，目录节点 {summary.catalog_nodes} 个"
            f"（三级事项 {summary.items} 项），准入清单 {summary.access_list_items} 项，"
            f"生效责任规则 {summary.rules_in_force} 条"
        )
        out.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, name, unit, roles in summary.people:
            out.write(f"  {username:<16} {roles:<14} {name}（{unit}）")
