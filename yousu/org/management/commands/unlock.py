"""`yousu unlock USERNAME [--address ADDR]`: lift a login lock-out (django-axes) before its cool-off
ends, e.g. for an operator who mistyped their password at the start of a shift. Forgets the failed
logins of that username (from every address, or only from ADDR), so the next login is counted afresh.
The lock-outs themselves are listed in the admin (访问尝试); axes' own `yousu axes_reset_username`
does the same for several names at once."""

from axes.utils import reset
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "解除登录锁定：清除某用户名的登录失败记录（可只清除来自某一地址的），使其可以立即重新登录"

    def add_arguments(self, parser):
        parser.add_argument("username", help="用户名（被锁定时输入的用户名）")
        parser.add_argument("--address", help="只解除来自该网络地址的锁定")

    def handle(self, username, address=None, **options):
        # Not checked against the people: a name nobody has (an attacker's guess) is locked out too.
        count = reset(username=username, ip=address) if address else reset(username=username)
        if count:
            self.stdout.write(
                _("已解除 %(username)s 的登录锁定（清除 %(count)d 条失败记录）")
                % {"username": username, "count": count}
            )
        else:
            self.stdout.write(_("%(username)s 没有登录失败记录，无需解锁") % {"username": username})
