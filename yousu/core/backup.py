"""Backup and restore: one archive format for PostgreSQL and SQLite alike.

An archive is a gzip-compressed tar file:

- ``manifest.json`` (the first member): format version, Yousu version, database vendor, when it was
  made, the applied migrations of every app, the rows of every table and the sha256 of every other
  member;
- ``data/NNN-app_label.model_name.jsonl``: every row of one table in primary-key order, one JSON
  object a line (Django's "jsonl" serializer, no natural keys); auto-created many-to-many tables are
  tables of their own, so their ids come back too;
- ``media/PATH``: every file under MEDIA_ROOT that a file field refers to.

A backup of SQLite restores into PostgreSQL and back. A restore goes only into an empty database at
the same migrations, verifies every member first, and loads everything in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.core import serializers
from django.core.files.storage import default_storage
from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.core.serializers import sort_dependencies
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder

import yousu

FORMAT = "yousu-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"

# Not kept: a session is a login on one server, meaningless after a restore.
SKIPPED = {"sessions.session"}
# Rows a freshly migrated database already has (post_migrate and data migrations); a restore replaces
# them, and they do not make a database "not empty".
SEEDED = {
    "contenttypes.contenttype",
    "auth.permission",
    "org.role",
    "catalog.timelimitclass",
    "evaluation.assessmentscheme",
    "grid.reportkind",
    "reports.tallymark",
}


class ExactEncoder(DjangoJSONEncoder):
    """Django's encoder cuts times to milliseconds; a backup keeps every microsecond."""

    def default(self, o):
        if isinstance(o, dt.datetime | dt.time):
            if isinstance(o, dt.time) and o.utcoffset() is not None:
                return super().default(o)
            text = o.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return super().default(o)


class BackupError(CommandError):
    """A backup or restore that cannot go ahead; the message is one line for the operator."""


@dataclass
class Manifest:
    format: str = FORMAT
    format_version: int = FORMAT_VERSION
    yousu_version: str = ""
    vendor: str = ""
    created_at: str = ""
    migrations: dict[str, list[str]] = field(default_factory=dict)
    tables: list[dict] = field(default_factory=list)  # {"model", "member", "rows"} in load order
    media: list[str] = field(default_factory=list)
    missing_media: list[str] = field(default_factory=list)
    sha256: dict[str, str] = field(default_factory=dict)

    @property
    def rows(self) -> dict[str, int]:
        return {table["model"]: table["rows"] for table in self.tables}

    def to_json(self) -> bytes:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise BackupError(f"not a Yousu backup: the manifest is not JSON ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BackupError("not a Yousu backup: the manifest names another format")
        if data.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                f"backup format version {data.get('format_version')} is not {FORMAT_VERSION}, "
                "the one this Yousu reads"
            )
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)


def _label(model) -> str:
    return model._meta.label_lower


def dumped_models() -> list[type[models.Model]]:
    """Every table of every installed app, in an order that loads (dependencies first): concrete,
    managed models as dumpdata takes them, then the auto-created many-to-many tables."""
    app_list = []
    for app_config in apps.get_app_configs():
        chosen = [
            model
            for model in app_config.get_models()
            if not model._meta.proxy and model._meta.managed and _label(model) not in SKIPPED
        ]
        if chosen:
            app_list.append((app_config, chosen))
    ordered = sort_dependencies(app_list, allow_cycles=True)
    through = []
    for model in ordered:
        for m2m in model._meta.local_many_to_many:
            table = m2m.remote_field.through
            if table._meta.auto_created and table not in through:
                through.append(table)
    return ordered + through


def _fields(model) -> list[str]:
    # The model's own columns only: many-to-many rows travel in their own tables, with their ids.
    return [f.name for f in model._meta.local_fields if f.serialize and not f.primary_key]


def applied_migrations(using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder(connections[using]).applied_migrations():
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def _file_fields(model) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if isinstance(f, models.FileField)]


def _chunks(handle, size: int = 1 << 20):
    while chunk := handle.read(size):
        yield chunk


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in _chunks(handle):
            digest.update(chunk)
    return digest.hexdigest()


def _check_archive_name(path: Path) -> None:
    if not (path.name.endswith(".tar.gz") or path.name.endswith(".tgz")):
        raise BackupError(f"{path}: a backup is a .tar.gz (or .tgz) file")


def backup_write(path, using: str = DEFAULT_DB_ALIAS) -> Manifest:
    """Write every table and every referenced media file to the archive at ``path``."""
    path = Path(path)
    _check_archive_name(path)
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent}: no such directory")
    connection = connections[using]
    manifest = Manifest(
        yousu_version=yousu.__version__,
        vendor=connection.vendor,
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    with tempfile.TemporaryDirectory(prefix="yousu-backup-") as scratch:
        scratch_dir = Path(scratch)
        media: set[str] = set()
        with transaction.atomic(using=using):
            if connection.vendor == "postgresql" and len(connection.atomic_blocks) == 1:
                # One snapshot for every table (SQLite: the read transaction is one already).
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            manifest.migrations = applied_migrations(using)
            for number, model in enumerate(dumped_models(), start=1):
                label = _label(model)
                member = f"data/{number:03d}-{label}.jsonl"
                queryset = model._default_manager.using(using).order_by("pk")
                counter = _Counter()
                with open(scratch_dir / f"{number:03d}.jsonl", "w", encoding="utf-8") as handle:
                    serializers.serialize(
                        "jsonl",
                        counter.count(queryset.iterator(chunk_size=2000)),
                        stream=handle,
                        fields=_fields(model),
                        use_natural_foreign_keys=False,
                        use_natural_primary_keys=False,
                        cls=ExactEncoder,
                    )
                manifest.tables.append({"model": label, "member": member, "rows": counter.n})
                for name in _file_fields(model):
                    media.update(
                        value
                        for value in queryset.exclude(**{name: ""}).values_list(name, flat=True).iterator()
                        if value
                    )
        for name in sorted(media):
            source = Path(default_storage.path(name))
            if source.is_file():
                manifest.media.append(name)
            else:
                manifest.missing_media.append(name)

        for number, table in enumerate(manifest.tables, start=1):
            manifest.sha256[table["member"]] = _sha256_file(scratch_dir / f"{number:03d}.jsonl")
        for name in manifest.media:
            manifest.sha256[f"media/{name}"] = _sha256_file(Path(default_storage.path(name)))

        partial = path.with_name(path.name + ".partial")
        try:
            with tarfile.open(partial, "w:gz") as archive:
                raw = manifest.to_json()
                info = tarfile.TarInfo(MANIFEST)
                info.size = len(raw)
                info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
                archive.addfile(info, io.BytesIO(raw))
                for number, table in enumerate(manifest.tables, start=1):
                    archive.add(scratch_dir / f"{number:03d}.jsonl", arcname=table["member"])
                for name in manifest.media:
                    archive.add(default_storage.path(name), arcname=f"media/{name}")
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    return manifest


class _Counter:
    def __init__(self):
        self.n = 0

    def count(self, iterable):
        for item in iterable:
            self.n += 1
            yield item


def read_manifest(path) -> Manifest:
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        with tarfile.open(path, "r:gz") as archive:
            first = archive.next()
            if first is None or first.name != MANIFEST or not first.isfile():
                raise BackupError(f"{path}: not a Yousu backup (no manifest first)")
            return Manifest.from_json(archive.extractfile(first).read())
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"{path}: not a readable backup ({exc})") from None


def _verify(path: Path, manifest: Manifest) -> None:
    """Every member the manifest lists is there once with its sha256, and nothing else is."""
    seen: set[str] = set()
    try:
        with tarfile.open(path, "r:gz") as archive:
            for info in archive:
                if info.name == MANIFEST:
                    continue
                if info.name not in manifest.sha256 or info.name in seen or not info.isfile():
                    raise BackupError(f"{path}: unexpected member {info.name}; the archive was altered")
                digest = hashlib.sha256()
                for chunk in _chunks(archive.extractfile(info)):
                    digest.update(chunk)
                if digest.hexdigest() != manifest.sha256[info.name]:
                    raise BackupError(
                        f"{path}: {info.name} does not match its sha256; the archive is damaged"
                    )
                seen.add(info.name)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"{path}: not a readable backup ({exc})") from None
    missing = sorted(set(manifest.sha256) - seen)
    if missing:
        raise BackupError(f"{path}: {len(missing)} member(s) missing, first {missing[0]}")
    listed = {table["member"] for table in manifest.tables} | {f"media/{n}" for n in manifest.media}
    if listed != set(manifest.sha256):
        raise BackupError(f"{path}: the manifest's tables and media do not match its checksums")


def _check_migrations(manifest: Manifest, using: str) -> None:
    here = applied_migrations(using)
    if here == manifest.migrations:
        return
    theirs = {(app, name) for app, names in manifest.migrations.items() for name in names}
    ours = {(app, name) for app, names in here.items() for name in names}
    only_theirs, only_ours = sorted(theirs - ours), sorted(ours - theirs)
    detail = []
    if only_theirs:
        detail.append(f"{len(only_theirs)} not applied here (first {'.'.join(only_theirs[0])})")
    if only_ours:
        detail.append(f"{len(only_ours)} applied here but not in the backup (first {'.'.join(only_ours[0])})")
    raise BackupError(
        "the backup was made at other migrations: "
        + "; ".join(detail)
        + " — run `yousu migrate` to the backup's migrations first"
    )


def _check_empty(using: str) -> None:
    for model in dumped_models():
        label = _label(model)
        if label in SEEDED or model._meta.auto_created:
            continue
        if model._default_manager.using(using).exists():
            raise BackupError(
                f"the database is not empty ({label} has rows); restore only into a freshly migrated database"
            )


def _media_target(name: str) -> Path:
    # FileSystemStorage.path refuses a name that leaves MEDIA_ROOT.
    return Path(default_storage.path(name))


def backup_restore(path, using: str = DEFAULT_DB_ALIAS) -> Manifest:
    """Load the archive at ``path`` into an empty database at the same migrations."""
    path = Path(path)
    manifest = read_manifest(path)
    _verify(path, manifest)
    _check_migrations(manifest, using)
    _check_empty(using)

    here = dumped_models()
    by_label = {_label(model): model for model in here}
    unknown = [table["model"] for table in manifest.tables if table["model"] not in by_label]
    if unknown:
        raise BackupError(f"the backup has tables this Yousu does not know: {', '.join(unknown[:3])}")
    members = {table["member"]: table for table in manifest.tables}
    for name in manifest.media:
        _media_target(name)

    connection = connections[using]
    with transaction.atomic(using=using):
        tables = [model._meta.db_table for model in here]
        tables += [apps.get_model("sessions", "Session")._meta.db_table]
        for sql in connection.ops.sql_flush(no_style(), tables, reset_sequences=False, allow_cascade=True):
            with connection.cursor() as cursor:
                cursor.execute(sql)
        with tarfile.open(path, "r:gz") as archive:
            with connection.constraint_checks_disabled():
                for info in archive:
                    if info.name in members:
                        stream = io.TextIOWrapper(archive.extractfile(info), encoding="utf-8")
                        for obj in serializers.deserialize(
                            "jsonl",
                            stream,
                            using=using,
                            ignorenonexistent=False,
                            handle_forward_references=False,
                        ):
                            obj.save(using=using)
                    elif info.name.startswith("media/"):
                        target = _media_target(info.name.removeprefix("media/"))
                        target.parent.mkdir(parents=True, exist_ok=True)
                        with open(target, "wb") as out:
                            for chunk in _chunks(archive.extractfile(info)):
                                out.write(chunk)
            connection.check_constraints(table_names=tables)
        sequences = connection.ops.sequence_reset_sql(no_style(), here)
        if sequences:
            with connection.cursor() as cursor:
                for sql in sequences:
                    cursor.execute(sql)
        for table in manifest.tables:
            count = by_label[table["model"]]._default_manager.using(using).count()
            if count != table["rows"]:
                raise BackupError(
                    f"{table['model']}: {count} rows after the restore, the backup has {table['rows']}"
                )
    apps.get_model("contenttypes", "ContentType").objects.clear_cache()
    return manifest
