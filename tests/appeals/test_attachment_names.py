"""An attachment's name: one longer than the row keeps is shortened with its extension (before issue 21
it failed the insert on PostgreSQL after the file was written), one with a NUL or a lone surrogate is
refused naming the field; and a file whose transaction does not commit is deleted, so nothing is left
in the folder that the next appeal, given the same code back, would use."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from tests.api.helpers import make_appeal
from yousu.appeals import services
from yousu.appeals.models import Appeal, Attachment
from yousu.appeals.services import MAX_ATTACHMENT_NAME, AttachmentIn, attachment_add
from yousu.core.errors import DomainError

from .test_attachments import PNG

PHONE = "13912340000"
LONG = "长" * 250 + ".PNG"


@pytest.fixture(autouse=True)
def own_media_root(settings, tmp_path):
    # The suite's media folder holds every test's files: these tests count what is left on disk.
    settings.MEDIA_ROOT = tmp_path


def files_under(folder: str) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / folder
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def appeal_folder(appeal: Appeal) -> str:
    return f"attachments/{appeal.received_at:%Y/%m}/{appeal.code}"


def test_a_long_name_is_shortened_to_what_the_row_keeps_with_its_extension(world):
    appeal = make_appeal(world, attachments=[AttachmentIn(name=LONG, data=PNG)])
    stored = Attachment.objects.get(appeal=appeal)
    assert len(stored.name) == MAX_ATTACHMENT_NAME == 200
    assert stored.name == "长" * 196 + ".PNG"
    assert stored.file.read() == PNG
    assert files_under(appeal_folder(appeal)) == [Path(stored.file.path)]


@pytest.mark.parametrize("name", ["照\x00片.png", "照\ud800片.png"])
def test_a_name_with_a_character_no_database_stores_is_refused_naming_the_field(world, name):
    with pytest.raises(DomainError) as refused:
        make_appeal(world, attachments=[AttachmentIn(name=name, data=PNG)])
    assert refused.value.field == "attachments" and "无法保存的字符" in refused.value.message
    assert not Appeal.objects.exists() and not Attachment.objects.exists()
    assert files_under("attachments") == []


def test_the_anonymous_portal_takes_a_photo_with_a_long_name(world):
    citizen = Client()
    page = citizen.get("/h5/submit/")
    answer = citizen.post(
        "/h5/submit/",
        {
            "kind": "complaint",
            "content": "小区门口的餐馆油烟直排，晚上窗户都不敢开。",
            "citizen_phone": PHONE,
            "address": "东一社区幸福路 8 号",
            "idempotency_key": page.context["form"]["idempotency_key"].value(),
            "attachments": [SimpleUploadedFile(LONG, PNG, content_type="image/png")],
        },
    )
    assert answer.status_code == 302, answer.content.decode()
    assert len(Attachment.objects.get(appeal__channel="web").name) == 200


@pytest.mark.django_db(transaction=True)
def test_a_file_whose_transaction_rolls_back_is_deleted(world):
    appeal = make_appeal(world)
    with pytest.raises(RuntimeError), transaction.atomic():
        attachment_add(appeal=appeal, attachment=AttachmentIn(name="a.png", data=PNG), by=None)
        assert len(files_under(appeal_folder(appeal))) == 1
        raise RuntimeError("a later step of the same transaction fails")
    assert not Attachment.objects.exists()
    # attachment_add had returned: the file goes when the request that wrote it finishes.
    from django.core.signals import request_finished

    request_finished.send(sender=None)
    assert files_under(appeal_folder(appeal)) == []


@pytest.mark.django_db(transaction=True)
def test_a_file_of_a_committed_transaction_stays_even_if_a_savepoint_around_another_rolled_back(world):
    appeal = make_appeal(world)
    with transaction.atomic():
        kept = attachment_add(appeal=appeal, attachment=AttachmentIn(name="kept.png", data=PNG), by=None)
        with pytest.raises(RuntimeError), transaction.atomic():
            attachment_add(appeal=appeal, attachment=AttachmentIn(name="lost.png", data=PNG), by=None)
            raise RuntimeError("the savepoint rolls back")
    services.discard_uncommitted()
    assert [path.name for path in files_under(appeal_folder(appeal))] == [os.path.basename(kept.file.name)]
    assert list(Attachment.objects.values_list("name", flat=True)) == ["kept.png"]


@pytest.mark.django_db(transaction=True)
def test_a_failed_intake_leaves_no_file_in_the_folder_the_next_appeal_reuses(world, monkeypatch):
    recorded = services.record_event

    def failing(appeal, action, **kwargs):
        if action == "attachment_added":
            raise DomainError("附件登记失败", field="attachments")
        return recorded(appeal, action, **kwargs)

    monkeypatch.setattr(services, "record_event", failing)
    with pytest.raises(DomainError):
        make_appeal(world, attachments=[AttachmentIn(name="first.png", data=PNG)])
    assert not Appeal.objects.exists()
    monkeypatch.setattr(services, "record_event", recorded)
    # The number was given back: the next appeal has the same code, and its folder holds its own file.
    appeal = make_appeal(world, attachments=[AttachmentIn(name="second.png", data=PNG)])
    assert [path.name for path in files_under(appeal_folder(appeal))] == ["second.png"]
