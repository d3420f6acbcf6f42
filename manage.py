#!/usr/bin/env python
"""Django's manage.py, kept for habit; `yousu` is the same command with one-line errors."""

import sys

from yousu.cli import main

if __name__ == "__main__":
    sys.exit(main())
