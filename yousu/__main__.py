"""`python -m yousu` is the same as the `yousu` command."""

import sys

from yousu.cli import main

sys.exit(main())
