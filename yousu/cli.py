"""The `yousu` command line: Django's management commands with one-line errors.

`yousu serve`, `yousu demo`, `yousu migrate`, `yousu import units FILE` and every other management
command run through here. A failure prints one line and exits non-zero; `--traceback` shows the
full stack for a developer.
"""

from __future__ import annotations

import os
import sys


def _one_line_usage_error(parser, message: str):
    # argparse prints the whole usage block before the error; a person at a terminal needs the
    # reason in one line and where to look for the rest.
    if getattr(parser, "called_from_command_line", False):
        parser.exit(2, f"{parser.prog}: error: {message} (see: {parser.prog} --help)\n")
    from django.core.management.base import CommandError

    raise CommandError(f"Error: {message}")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yousu.settings.development")
    want_traceback = "--traceback" in argv
    try:
        from django.core.management import execute_from_command_line
        from django.core.management.base import CommandParser

        CommandParser.error = _one_line_usage_error

        execute_from_command_line(["yousu", *argv])
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if want_traceback:
            raise
        message = " ".join(str(exc).split()) or exc.__class__.__name__
        print(f"yousu: error: {exc.__class__.__name__}: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
