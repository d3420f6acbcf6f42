"""Text a database cannot store, found once at the door of each interface (the REST API's parsers and
path, Open311's parameters, an attachment's name) so that it is refused as bad input naming the field
instead of failing deep inside a query as a server error.

Two kinds: the NUL character, which PostgreSQL refuses in any text (SQLite stores it, so a test on
SQLite alone never sees the failure), and a lone UTF-16 surrogate (a JSON body may spell one as
"\\ud800"), which cannot be encoded as UTF-8 at all: not stored, not logged, not even echoed back in
an error message.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> bool:
    return UNSTORABLE.search(text) is None


def shown(text: str) -> str:
    """`text` safe to echo in a message: every unstorable character replaced by U+FFFD."""
    return UNSTORABLE.sub("\ufffd", text)


def first_unstorable(data, path: str = "") -> str | None:
    """The dotted path ("parties.1.name") of the first text in `data` (nested dicts and lists, a
    QueryDict's lists included) that holds an unstorable character, in a key or a value; None if none.
    The path is built from the keys, each shown safely."""
    if isinstance(data, str):
        return path if not storable(data) else None
    if hasattr(data, "lists"):  # a QueryDict: a parameter is named alone, whichever of its values it was
        for key, values in data.lists():
            if not storable(key) or any(isinstance(v, str) and not storable(v) for v in values):
                return ".".join(part for part in (path, shown(key)) if part)
        return None
    if isinstance(data, dict):
        for key, value in data.items():
            name = ".".join(part for part in (path, shown(str(key))) if part)
            if isinstance(key, str) and not storable(key):
                return name
            found = first_unstorable(value, name)
            if found is not None:
                return found
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            found = first_unstorable(value, ".".join(part for part in (path, str(index)) if part))
            if found is not None:
                return found
    return None


def message() -> str:
    return _("含有无法保存的字符（空字符或不成对的代理字符），请删除后重试")
