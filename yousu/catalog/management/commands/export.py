"""`yousu export areas|units|catalog|rules FILE`: the same layouts the importer reads."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from yousu.catalog.io import export_catalog, export_rules
from yousu.core.tabular import TableError, write_table
from yousu.org.io import export_areas, export_units

SUBJECTS = ["areas", "units", "catalog", "rules"]


class Command(BaseCommand):
    help = "导出区域、单位、职责目录或责任规则为 CSV 或 XLSX（与导入格式相同）。"

    def add_arguments(self, parser):
        parser.add_argument("subject", choices=SUBJECTS, help="导出什么")
        parser.add_argument("file", help="输出文件（.csv 或 .xlsx）")
        parser.add_argument(
            "--at", help="导出某一时刻生效的责任规则，例如 2026-10-01T00:00:00+08:00（默认现在）"
        )

    def handle(self, subject, file, at, **options):
        moment = None
        if at and subject != "rules":
            raise CommandError("--at 只用于导出责任规则")
        if at:
            moment = parse_datetime(at)
            if moment is None:
                raise CommandError(f"--at：无法识别的时间 {at}（例如 2026-10-01T00:00:00+08:00）")
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        exporters = {
            "areas": export_areas,
            "units": export_units,
            "catalog": export_catalog,
            "rules": lambda: export_rules(moment),
        }
        header, rows = exporters[subject]()
        try:
            count = write_table(file, header, rows)
        except (TableError, OSError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已导出 {count} 行到 {file}")
