"""Attachments: allowed types are stored with their real size and type; anything else is refused with
field "attachments", and a bad file at intake leaves nothing behind (no appeal, no number, no file)."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from yousu.appeals.models import Appeal, Attachment, DailySequence, Event
from yousu.appeals.services import AttachmentIn, attachment_add
from yousu.core.errors import DomainError
from yousu.org.services import area_set_appeal_code_prefix

from .factories import new_appeal

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"x" * 64


def media_files() -> set[Path]:
    return {path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()}


def test_allowed_files_are_stored_with_size_and_detected_type(world):
    appeal = new_appeal(
        world,
        attachments=[
            AttachmentIn(name="现场.png", data=PNG),
            AttachmentIn(name="C:\\fakepath\\照片.JPG", data=JPEG),
        ],
    )
    stored = {a.name: a for a in appeal.attachments.all()}
    assert set(stored) == {"现场.png", "照片.JPG"}
    assert (stored["现场.png"].size, stored["现场.png"].content_type) == (len(PNG), "image/png")
    assert (stored["照片.JPG"].size, stored["照片.JPG"].content_type) == (len(JPEG), "image/jpeg")
    with stored["现场.png"].file.open("rb") as handle:
        assert handle.read() == PNG
    assert appeal.code in stored["现场.png"].file.name
    assert appeal.events.filter(action="attachment_added").count() == 2


def test_an_uploaded_file_can_be_added_later(world):
    appeal = new_appeal(world)
    upload = SimpleUploadedFile("报告.pdf", PDF, content_type="text/plain")
    stored = attachment_add(appeal=appeal, attachment=upload, by=world.people.operator)
    # The type comes from the bytes, not from what the browser claimed.
    assert (stored.content_type, stored.size, stored.uploaded_by) == (
        "application/pdf",
        len(PDF),
        world.people.operator,
    )


BAD_FILES = {
    "exe": AttachmentIn(name="run.exe", data=b"MZ" + b"\x00" * 64),
    "html": AttachmentIn(name="page.html", data=b"<script>alert(1)</script>"),
    "no extension": AttachmentIn(name="no-extension", data=PNG),
    "no name": AttachmentIn(name="", data=PNG),
    "text as png": AttachmentIn(name="photo.png", data=b"this is plain text pretending to be a picture"),
    "jpeg as png": AttachmentIn(name="photo.png", data=JPEG),
    "empty": AttachmentIn(name="empty.png", data=b""),
}


def test_bad_files_are_refused_naming_attachments(world):
    appeal = new_appeal(world)
    before = media_files()
    for case, attachment in BAD_FILES.items():
        with pytest.raises(DomainError) as refused:
            attachment_add(appeal=appeal, attachment=attachment, by=world.people.operator)
        assert refused.value.field == "attachments", case
    assert not Attachment.objects.exists()
    assert not appeal.events.filter(action="attachment_added").exists()
    assert media_files() == before


@override_settings(YOUSU_MAX_ATTACHMENT_BYTES=100)
def test_files_over_the_size_limit_are_refused(world):
    appeal = new_appeal(world)
    attachment_add(appeal=appeal, attachment=AttachmentIn(name="small.png", data=PNG[:100]), by=None)
    with pytest.raises(DomainError) as refused:
        attachment_add(
            appeal=appeal, attachment=AttachmentIn(name="big.png", data=PNG + b"\x00" * 100), by=None
        )
    assert refused.value.field == "attachments"
    assert list(Attachment.objects.values_list("name", flat=True)) == ["small.png"]


def test_a_bad_attachment_at_intake_rolls_the_whole_intake_back(world):
    area_set_appeal_code_prefix(world.areas.city, "XN")
    day = timezone.make_aware(dt.datetime(2026, 11, 22, 9, 0))
    before = media_files()
    with pytest.raises(DomainError) as refused:
        new_appeal(
            world,
            received_at=day,
            attachments=[
                AttachmentIn(name="good.png", data=PNG),
                AttachmentIn(name="bad.png", data=b"not an image at all"),
            ],
        )
    assert refused.value.field == "attachments"
    assert not Appeal.objects.exists()
    assert not Attachment.objects.exists()
    assert not Event.objects.exists()
    assert not DailySequence.objects.filter(last__gt=0).exists()
    assert media_files() == before  # the good file was not written either
    # The number the failed intake would have taken is given to the next one.
    assert new_appeal(world, received_at=day).code == "XN20261122000001"


@override_settings(YOUSU_MAX_ATTACHMENT_BYTES=50)
def test_an_oversized_attachment_at_intake_creates_no_appeal(world):
    with pytest.raises(DomainError) as refused:
        new_appeal(world, attachments=[AttachmentIn(name="big.pdf", data=PDF)])
    assert refused.value.field == "attachments"
    assert not Appeal.objects.exists()


def test_rollback_at_intake_holds_outside_a_test_transaction(transactional_db, world):
    # No surrounding test transaction here: appeal_create's own transaction must undo everything.
    with pytest.raises(DomainError):
        new_appeal(world, attachments=[AttachmentIn(name="bad.png", data=b"plain text")])
    assert not Appeal.objects.exists()
    assert not Event.objects.exists()
    assert not DailySequence.objects.filter(last__gt=0).exists()
