"""`yousu knowledge-import FILE --by USERNAME [--dry-run]` (also `knowledge_import`): import knowledge
entries from CSV or XLSX, all rows or none, every error with its row number and column."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from yousu.knowledge.imports import MAX_BYTES, entries_import
from yousu.org.models import Person


class Command(BaseCommand):
    help = "导入知识条目（CSV 或 XLSX，列格式见 yousu.knowledge.imports）。任何一行出错时不写入任何数据。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV 或 XLSX 文件")
        parser.add_argument(
            "--by", required=True, help="以谁的名义导入（用户名）：其权限决定可维护哪些单位的条目"
        )
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")

    def handle(self, file, by, dry_run, **options):
        person = Person.objects.filter(username=by, is_active=True).first()
        if person is None:
            raise CommandError(_("--by：用户 %(user)s 不存在或已停用") % {"user": by})
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("找不到文件：%(path)s") % {"path": path})
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)  # one byte more is enough for the import to refuse it
        result = entries_import(file_name=path.name, data=data, by=person, dry_run=dry_run)
        if not result.ok:
            # One line per error, so a long list can be read and fixed row by row; the failure
            # itself stays one line, like every other command's.
            for problem in result.errors:
                self.stderr.write(str(problem))
            raise CommandError(
                _("导入失败，未写入任何数据：共 %(count)d 处错误，见上") % {"count": len(result.errors)}
            )
        counts = {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
        if dry_run:
            summary = (
                _("检查通过（未写入）：将新建 %(created)d 条，更新 %(updated)d 条，%(unchanged)d 条无变化")
                % counts
            )
        else:
            summary = _("已导入：新建 %(created)d 条，更新 %(updated)d 条，%(unchanged)d 条无变化") % counts
        if result.skipped_rows:
            summary += _("；已跳过示例行：第 %(rows)s 行") % {
                "rows": "、".join(map(str, result.skipped_rows))
            }
        self.stdout.write(summary)
