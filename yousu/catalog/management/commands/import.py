"""`yousu import areas|units|catalog|rules FILE`: all rows or none, errors by row number."""

from django.core.management.base import BaseCommand, CommandError

from yousu.catalog.io import import_catalog, import_rules
from yousu.core.tabular import ImportFailed, TableError, read_table
from yousu.org.io import import_areas, import_units
from yousu.org.models import Person

SUBJECTS = ["areas", "units", "catalog", "rules"]


class Command(BaseCommand):
    help = "导入区域、单位、职责目录或责任规则（CSV 或 XLSX，列格式见 README）。出错时不写入任何数据。"

    def add_arguments(self, parser):
        parser.add_argument("subject", choices=SUBJECTS, help="导入什么")
        parser.add_argument("file", help="CSV 或 XLSX 文件")
        parser.add_argument("--by", help="责任规则变更记在谁的名下（用户名；导入 rules 时必填）")
        parser.add_argument(
            "--time-limit-class",
            default="normal",
            help="三列分类表格式导入时，三级事项的默认时限类别（默认 normal）",
        )

    def handle(self, subject, file, by, time_limit_class, **options):
        actor = None
        if subject == "rules":
            if not by:
                raise CommandError("导入责任规则必须用 --by 指明变更人（用户名）")
            actor = Person.objects.filter(username=by, is_active=True).first()
            if actor is None:
                raise CommandError(f"--by：用户 {by} 不存在或已停用")
        try:
            table = read_table(file)
            if subject == "areas":
                count = import_areas(table)
            elif subject == "units":
                count = import_units(table)
            elif subject == "catalog":
                count = import_catalog(table, default_time_limit_class=time_limit_class)
            else:
                count = import_rules(table, by=actor)
        except (TableError, ImportFailed) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已导入 {count} 行（{subject}）")
