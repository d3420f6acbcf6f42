"""Files written inside a database transaction, deleted again when that transaction does not commit.

A stored file is written before its row is saved (the row keeps the name the storage chose). When the
transaction is then rolled back (a later check refuses, a constraint is violated, two submissions
race, the database goes away) the row is gone but the file would stay: in an appeal's folder, which
the next appeal numbered that day reuses, since a rolled-back intake gives its number back.

Django runs code after a commit (on_commit), never after a rollback. So each file stays pending until
its transaction commits; whatever is still pending once the connection is outside every transaction
was rolled back, and is deleted: when the request finishes (a signal connected by CoreConfig) and when
a service that wrote files fails (`discard_uncommitted`).
"""

from __future__ import annotations

import functools
import logging
import threading

from django.core.files.base import File
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.fields.files import FieldFile

logger = logging.getLogger(__name__)

# Per thread, as Django's connections are: (database alias, storage, name) of each file written in a
# transaction that has not committed yet.
_local = threading.local()


def _pending() -> list[tuple[str, object, str]]:
    if not hasattr(_local, "files"):
        _local.files = []
    return _local.files


def save_in_transaction(field_file: FieldFile, name: str, content: File, *, using: str = DEFAULT_DB_ALIAS):
    """`field_file.save(name, content, save=False)`, deleted again unless the current transaction
    commits. Call it inside the atomic block that saves the row."""
    field_file.save(name, content, save=False)
    entry = (using, field_file.storage, field_file.name)
    _pending().append(entry)
    # Outside any transaction this runs at once: nothing can roll back the file's row any more.
    transaction.on_commit(functools.partial(_committed, entry), using=using)


def _committed(entry) -> None:
    pending = _pending()
    if entry in pending:
        pending.remove(entry)


def discard_uncommitted(**_signal) -> int:
    """Delete the files of transactions that did not commit (pending, and their connection is outside
    every transaction); returns how many. A receiver of request_finished, hence the keywords."""
    pending = _pending()
    kept = []
    discarded = 0
    for entry in pending:
        using, storage, name = entry
        if transaction.get_connection(using).in_atomic_block:
            kept.append(entry)  # its transaction is still open: it may yet commit
            continue
        try:
            storage.delete(name)
            discarded += 1
        except OSError:
            logger.warning("could not delete %s, written in a transaction that was rolled back", name)
    pending[:] = kept
    return discarded
