"""`yousu open311-key NAME`: issue an Open311 API key to a client application and print it, once;
`yousu open311-key NAME --revoke` revokes that client's key."""

from django.core.management.base import BaseCommand, CommandError

from yousu.core.errors import DomainError
from yousu.open311.models import ApiKey
from yousu.open311.services import api_key_issue, api_key_revoke


class Command(BaseCommand):
    help = "签发或吊销 Open311 客户端的 API 密钥（密钥只显示一次）。"

    def add_arguments(self, parser):
        parser.add_argument("name", help="客户端名称")
        parser.add_argument("--revoke", action="store_true", help="吊销该客户端的有效密钥")
        parser.add_argument("--rate-limit", type=int, default=None, help="每分钟请求上限（默认用设置值）")

    def handle(self, name, revoke, rate_limit, **options):
        try:
            if revoke:
                key = ApiKey.objects.filter(name=name.strip(), is_active=True).first()
                if key is None:
                    raise CommandError(f"客户端 {name} 没有有效的密钥")
                api_key_revoke(key=key)
                self.stdout.write(f"已吊销 {key.name} 的密钥 {key.prefix}…")
                return
            key, raw = api_key_issue(name=name, rate_limit=rate_limit)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stderr.write(f"已为 {key.name} 签发密钥（只显示这一次，平台只保存其摘要）：")
        # The key alone on stdout, so a script can capture it.
        self.stdout.write(raw)
