"""`yousu restore FILE`: load a backup into an empty, migrated database (see docs/backup.md)."""

from django.core.management.base import BaseCommand

from yousu.core.backup import backup_restore


class Command(BaseCommand):
    help = "恢复：把备份文件载入一个空的、已迁移的数据库，并写回附件"

    def add_arguments(self, parser):
        parser.add_argument("file", help="备份文件（.tar.gz）")

    def handle(self, **options):
        manifest = backup_restore(options["file"])
        rows = sum(manifest.rows.values())
        self.stdout.write(
            f"已恢复 {len(manifest.tables)} 张表、{rows} 行、{len(manifest.media)} 个附件"
            f"（备份于 {manifest.created_at}，来自 {manifest.vendor}）"
        )
