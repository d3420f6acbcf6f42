"""`yousu backup` and `yousu restore`: a restore into an empty database gives back every row of every
table (compared row by row, ids included), every attachment byte for byte, and the same figures.

The suite runs on SQLite and on PostgreSQL (DATABASE_URL); the round trip runs on whichever is set."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import tarfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tests.appeals.factories import at_eco, new_appeal
from yousu.appeals.models import Appeal, Attachment, Event
from yousu.appeals.services import AttachmentIn
from yousu.cli import main
from yousu.core.backup import SEEDED, BackupError, backup_restore, backup_write, dumped_models, read_manifest
from yousu.dispatch.models import Order
from yousu.dispatch.services import order_accept, order_reply, order_review
from yousu.reports.models import Tally
from yousu.reports.tallies import tally_events

LATER = timezone.now() + dt.timedelta(days=1)  # past the tally horizon of every event made here
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def keep_test_connection(monkeypatch):
    # A command run from the command line closes every connection when it ends (see test_cli).
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)


def city_at_work(world) -> None:
    """A few appeals through the services: with photos, dispatched, accepted, replied, reviewed."""
    p = world.people
    done = new_appeal(world, attachments=[AttachmentIn(name="现场.png", data=PNG)])
    _city, order = at_eco(world, done)
    order_accept(order=order, by=p.east_eco_handler)
    order_reply(
        order=order,
        by=p.east_eco_handler,
        text="已整改，油烟净化器已安装",
        result="solved",
        attachments=[AttachmentIn(name="整改后.png", data=PNG + b"after")],
    )
    order_review(order=order, by=p.east_dispatcher, approve=True, confirm_low_score=True)
    _city, waiting = at_eco(world, new_appeal(world, title="夜间施工噪音"))
    order_accept(order=waiting, by=p.east_eco_handler)
    new_appeal(world, title="路灯不亮", content="小区门口路灯坏了一周。")
    tally_events(now=LATER)


def snapshot() -> dict[str, list[tuple]]:
    return {
        model._meta.label_lower: [tuple(row) for row in model._default_manager.order_by("pk").values_list()]
        for model in dumped_models()
    }


def tally_figures() -> list[tuple]:
    fields = ["grain", "period", "district", "dim", "key", "received", "settled", "answered", "completed"]
    return sorted(Tally.objects.values_list(*fields))


def media_files() -> dict[str, bytes]:
    return {a.file.name: default_storage.open(a.file.name).read() for a in Attachment.objects.all()}


def empty_database() -> None:
    call_command("flush", "--no-input", verbosity=0)


def rewrite(source: Path, target: Path, change) -> None:
    """Copy the archive, passing every member's (name, bytes) through ``change``."""
    with tarfile.open(source, "r:gz") as old, tarfile.open(target, "w:gz") as new:
        for info in old:
            name, data = change(info.name, old.extractfile(info).read())
            copy = tarfile.TarInfo(name)
            copy.size = len(data)
            new.addfile(copy, io.BytesIO(data))


def test_round_trip_on_postgresql_compared_row_by_row(world, tmp_path):
    """On PostgreSQL in CI (DATABASE_URL), on SQLite locally: the same round trip, row by row."""
    city_at_work(world)
    before, files = snapshot(), media_files()
    figures = tally_figures()
    assert Appeal.objects.count() == 3 and Order.objects.count() >= 4 and Event.objects.exists()
    assert len(files) == 2 and Tally.objects.exists()

    archive = tmp_path / "yousu.tar.gz"
    manifest = backup_write(archive)
    assert manifest.vendor == connection.vendor
    assert manifest.rows["appeals.appeal"] == 3
    assert sorted(manifest.media) == sorted(files)
    # The many-to-many tables travel as tables of their own, ids and all.
    assert manifest.rows["org.person_roles"] > 0

    empty_database()
    for name in files:
        default_storage.delete(name)
    assert not Appeal.objects.exists()

    backup_restore(archive)
    after = snapshot()
    assert after.keys() == before.keys()
    for label in before:
        assert after[label] == before[label], label
    assert media_files() == files

    # The figures come back, and counting the restored event log again gives the same figures.
    assert tally_figures() == figures
    tally_events(now=LATER, rebuild=True)
    assert tally_figures() == figures

    # New rows get fresh ids (the sequences were reset), and the restored appeals carry on.
    fresh = new_appeal(world, title="恢复后的新诉求")
    assert fresh.pk > max(row[0] for row in before["appeals.appeal"])


def test_restore_refuses_a_database_that_is_not_empty(world, tmp_path):
    city_at_work(world)
    archive = tmp_path / "b.tar.gz"
    backup_write(archive)
    before = snapshot()
    with pytest.raises(BackupError, match="not empty"):
        backup_restore(archive)
    assert snapshot() == before


def test_restore_into_a_freshly_migrated_database_replaces_the_seeded_rows(world, tmp_path):
    archive = tmp_path / "b.tar.gz"
    backup_write(archive)
    before = snapshot()
    empty_database()
    # What a fresh `yousu migrate` leaves: roles, time-limit classes and so on.
    from django.apps import apps

    from tests.conftest import _migration

    _migration("org", "0002_roles").create_roles(apps, None)
    _migration("org", "0006_provincial_role").create_provincial_role(apps, None)
    _migration("catalog", "0003_time_limit_classes").create_classes(apps, None)
    backup_restore(archive)
    assert snapshot() == before


def test_every_row_a_migration_creates_counts_as_seeded():
    """A new data migration that creates rows must add its table to SEEDED, or a restore would refuse
    every freshly migrated database. (The others only change rows already there.)"""
    changes_existing_rows = {
        "catalog.accesslistchange",
        "catalog.accesslistapproval",
        "dispatch.order",
        # dispatch 0004 gives existing report-ins their warning time and puts the open ones on the queue.
        "dispatch.reportin",
        # appeals 0003 gives existing appeals their jurisdiction, reading units and areas.
        "appeals.appeal",
        "org.unit",
        "org.area",
        # knowledge 0003 recomputes existing entries' search terms and moves an existing generation.
        "knowledge.knowledgeentry",
        "knowledge.searchgeneration",
    }
    root = Path(__file__).resolve().parents[2] / "yousu"
    touched = set()
    for path in root.glob("*/migrations/*.py"):
        for app, model in re.findall(r"get_model\(\s*\"(\w+)\",\s*\"(\w+)\"", path.read_text()):
            touched.add(f"{app}.{model.lower()}")
    assert touched
    assert touched - changes_existing_rows <= SEEDED


def test_a_tampered_archive_is_refused_before_anything_changes(world, tmp_path):
    city_at_work(world)
    archive, tampered = tmp_path / "b.tar.gz", tmp_path / "t.tar.gz"
    backup_write(archive)

    def change(name, data):
        if name.endswith("appeals.appeal.jsonl"):
            data = data.replace("油烟".encode(), "噪音".encode())
        return name, data

    rewrite(archive, tampered, change)
    empty_database()
    with pytest.raises(BackupError, match="sha256"):
        backup_restore(tampered)
    assert not Appeal.objects.exists()


def test_other_migrations_are_refused_with_the_way_out(world, tmp_path):
    archive, other = tmp_path / "b.tar.gz", tmp_path / "o.tar.gz"
    backup_write(archive)

    def change(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["migrations"]["appeals"].append("9999_from_the_future")
            data = json.dumps(manifest).encode()
        return name, data

    rewrite(archive, other, change)
    empty_database()
    with pytest.raises(BackupError, match="yousu migrate"):
        backup_restore(other)


def test_not_a_backup(tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar file")
    with pytest.raises(BackupError):
        read_manifest(junk)
    with pytest.raises(BackupError, match="no such file"):
        backup_restore(tmp_path / "missing.tar.gz")


def test_the_commands_exit_zero_or_with_one_line(world, tmp_path, capsys):
    city_at_work(world)
    archive = tmp_path / "cli.tar.gz"
    assert main(["backup", str(archive)]) == 0
    assert "已备份" in capsys.readouterr().out

    assert main(["restore", str(archive)]) != 0
    err = capsys.readouterr().err
    assert len([line for line in err.splitlines() if line.strip()]) == 1 and "not empty" in err

    assert main(["backup", str(tmp_path / "wrong.zip")]) != 0
    assert len(capsys.readouterr().err.strip().splitlines()) == 1

    empty_database()
    assert main(["restore", str(archive)]) == 0
    assert "已恢复" in capsys.readouterr().out
    assert Appeal.objects.count() == 3
