"""`yousu backup FILE`: every table and every attachment in one .tar.gz (see docs/backup.md)."""

from django.core.management.base import BaseCommand

from yousu.core.backup import backup_write


class Command(BaseCommand):
    help = "备份：把全部数据表和附件写入一个 .tar.gz 文件（PostgreSQL 与 SQLite 通用）"

    def add_arguments(self, parser):
        parser.add_argument("file", help="备份文件（.tar.gz）")

    def handle(self, **options):
        manifest = backup_write(options["file"])
        rows = sum(manifest.rows.values())
        line = (
            f"已备份 {len(manifest.tables)} 张表、{rows} 行、{len(manifest.media)} 个附件到 {options['file']}"
        )
        if manifest.missing_media:
            line += f"（{len(manifest.missing_media)} 个附件文件缺失，未写入）"
        self.stdout.write(line)
