"""`yousu demo`: build the demo city, simulate a few weeks of appeals in it, print the demo accounts.
Safe to run again: the city is brought up to date and the activity is added only to a database
without appeals."""

import argparse

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from yousu.appeals.choices import AppealStatus, Channel
from yousu.callbacks.choices import CallbackStatus
from yousu.catalog.choices import AppealKind
from yousu.core.errors import DomainError
from yousu.core.tabular import ImportFailed, TableError
from yousu.demo.activity import MAX_DAYS, MAX_PER_DAY, ActivitySummary, build_activity
from yousu.demo.builder import build_demo
from yousu.demo.classifier import train_demo_classifier
from yousu.demo.people import DEMO_PASSWORD
from yousu.dispatch.choices import OrderStatus, RequestStatus
from yousu.org.models import Person


def _count(limit: int):
    """An option's type: a whole number from 1 to `limit`. argparse names the option in front of the
    message ("argument --days: 应为 1 到 366 之间的整数……")."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = 0
        if not 1 <= number <= limit:
            raise argparse.ArgumentTypeError(f"应为 1 到 {limit} 之间的整数，而不是“{value}”")
        return number

    return parse


class Command(BaseCommand):
    help = "生成演示城市（区域、单位、网格、职责目录、准入清单、演示账号）和数周的模拟诉求办理，可重复运行"

    def add_arguments(self, parser):
        parser.add_argument("--no-migrate", action="store_true", help="不先执行数据库迁移")
        parser.add_argument("--no-activity", action="store_true", help="不生成模拟诉求办理数据")
        parser.add_argument("--days", type=_count(MAX_DAYS), default=30, help="模拟最近多少天（默认 30）")
        parser.add_argument(
            "--per-day",
            type=_count(MAX_PER_DAY),
            default=10,
            help="每个工作日大约受理多少件诉求（默认 10，周末较少）",
        )

    def handle(self, no_migrate, no_activity, days, per_day, **options):
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
        model = train_demo_classifier()
        if model is not None:
            labels = len(model.training_summary["labels"])
            out.write(f"  派单建议模型 v{model.version}（演示：由演示诉求样本训练，{labels} 个事项）已启用")
        if not no_activity:
            # Not caught: every step is a service call the simulation expects to succeed, so an error
            # here is a bug in the simulation and its traceback is what one needs to fix it.
            self._activity(build_activity(days=days, per_day=per_day))
        # The simulation's actors are demo people too, but have no password: only accounts are listed.
        login = {
            person.username for person in Person.objects.filter(is_demo=True) if person.has_usable_password()
        }
        out.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, name, unit, roles in summary.people:
            if username in login:
                out.write(f"  {username:<16} {roles:<14} {name}（{unit}）")

    def _activity(self, activity: ActivitySummary) -> None:
        out = self.stdout
        if activity.skipped:
            out.write(f"数据库中已有 {activity.existing_appeals} 件诉求，未再生成模拟诉求。")
            return

        def listed(counts: dict, labels: dict) -> str:
            return "，".join(f"{labels.get(key, key)} {n}" for key, n in counts.items()) or "无"

        def labels(choices) -> dict:
            return {value: str(label) for value, label in choices.choices}

        total = sum(activity.appeals_by_kind.values())
        out.write(
            f"模拟诉求（{activity.first_day} 至 {activity.last_day}，均经真实业务规则办理，用时 {activity.seconds} 秒）："
        )
        out.write(f"  诉求 {total} 件；按类型：{listed(activity.appeals_by_kind, labels(AppealKind))}")
        out.write(f"  按渠道：{listed(activity.appeals_by_channel, labels(Channel))}")
        out.write(f"  按状态：{listed(activity.appeals_by_status, labels(AppealStatus))}")
        out.write(f"  工单：{listed(activity.orders_by_status, labels(OrderStatus))}")
        out.write(
            f"  回访：{listed(activity.callbacks_by_status, labels(CallbackStatus))}；"
            f"退回重办工单 {activity.sent_back_orders} 件"
        )
        out.write(
            f"  退单申请：{listed(activity.return_requests, labels(RequestStatus))}；"
            f"延期申请：{listed(activity.extension_requests, labels(RequestStatus))}"
        )
        out.write(
            f"  协办工单 {activity.assisting_orders} 件，挂起 {activity.clock_pauses} 次，"
            f"催办 {activity.urges} 次，督办单 {activity.supervision_orders} 份，吹哨 {activity.whistles} 次，"
            f"通报批评 {activity.criticism_notices} 次"
        )
        out.write(f"  在办诉求 {activity.open_appeals} 件，超期未办结工单 {activity.overdue_orders} 件")
        extra = []
        if activity.assessed_month:
            extra.append(f"已计算 {activity.assessed_month} 月度考评")
        if activity.typical_cases:
            extra.append(f"督办员发布典型案例 {activity.typical_cases} 件")
        if activity.tallies is not None:
            extra.append(f"看板计数已追平事件日志（至第 {activity.tallies.get('watermark', 0)} 条事件）")
        extra.append(f"模拟人员 {activity.actors_created} 名（演示，不能登录）")
        out.write("  " + "；".join(extra))
