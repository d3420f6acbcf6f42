"""`yousu assess --month 2026-10 [--note …] [--by USERNAME]`: compute a month's assessment as a new
version and print a summary (the monthly job does the same for the month just ended).
`yousu assess --definitions` prints what every figure means, as docs/assessment.md holds it."""

from django.core.management.base import BaseCommand, CommandError

from yousu.core.errors import DomainError
from yousu.evaluation import definitions
from yousu.evaluation.assessment import assessment_changes, parse_month
from yousu.evaluation.models import AssessmentRun
from yousu.evaluation.publication import assess_and_publish
from yousu.org.models import Person


class Command(BaseCommand):
    help = "计算某月的考评（各单位三率、得分、排名、红黄蓝区和基层减负数据），存为新版本"

    def add_arguments(self, parser):
        parser.add_argument("--month", help="月份，例如 2026-10")
        parser.add_argument(
            "--definitions",
            action="store_true",
            help="只输出各项指标的定义（Markdown，即 docs/assessment.md）",
        )
        parser.add_argument("--note", default="", help="本次计算的说明，例如重算原因")
        parser.add_argument("--by", default="", help="计算人的用户名")

    def handle(self, **options):
        if options["definitions"]:
            self.stdout.write(definitions.as_markdown(), ending="")
            return
        if not options["month"]:
            raise CommandError("请用 --month 指定月份，例如 --month 2026-10")
        try:
            month = parse_month(options["month"])
            by = None
            if options["by"]:
                by = Person.objects.filter(username=options["by"]).first()
                if by is None:
                    raise DomainError(f"没有用户 {options['by']}", field="by")
            previous = AssessmentRun.objects.filter(month=month, is_current=True).first()
            run = assess_and_publish(month=month, by=by, note=options["note"])
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        results = run.results.all()
        scored = [result for result in results if result.score is not None]
        zones = {
            zone: sum(1 for result in scored if result.zone == zone) for zone in ("blue", "yellow", "red")
        }
        self.stdout.write(
            f"{run.month_label} 第 {run.version} 版：{len(results)} 个单位，{len(scored)} 个计分；"
            f"蓝区 {zones['blue']}、黄区 {zones['yellow']}、红区 {zones['red']}；"
            f"基层减负 {run.burden.count()} 个街道和社区；用时 {run.seconds:.2f} 秒"
        )
        if previous is not None:
            changed = assessment_changes(previous, run)
            self.stdout.write(f"与第 {previous.version} 版相比，{len(changed)} 个单位的数据有变化")
