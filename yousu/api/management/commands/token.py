"""`yousu token USERNAME`: print the person's API token, creating it the first time."""

from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from yousu.org.models import Person


class Command(BaseCommand):
    help = "打印某人的 API 令牌（没有则创建）；请求时放在 Authorization: Token <令牌> 头中"

    def add_arguments(self, parser):
        parser.add_argument("username", help="用户名")

    def handle(self, username, **options):
        person = Person.objects.filter(username=username).first()
        if person is None:
            raise CommandError(f"没有用户名为 {username} 的人员")
        if not person.is_active:
            raise CommandError(f"{username} 已停用，不能发放令牌")
        token, _created = Token.objects.get_or_create(user=person)
        self.stdout.write(token.key)
