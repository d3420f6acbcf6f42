"""The counters in the admin: readable, never edited by hand (`yousu tally --rebuild` corrects them)."""

from __future__ import annotations

from django.urls import reverse

from tests.appeals.factories import staff
from yousu.reports.models import Tally
from yousu.reports.tallies import tally_events

from .conftest import LATER


def test_the_counters_are_shown_but_cannot_be_added_changed_or_deleted(client, world, month):
    root = staff(world.units.platform, "root", "administrator")
    root.is_staff = root.is_superuser = True
    root.save()
    client.force_login(root)
    tally_events(now=LATER)
    row = Tally.objects.filter(dim="all").first()
    assert client.get(reverse("admin:reports_tally_changelist")).status_code == 200
    assert client.get(reverse("admin:reports_tallymark_changelist")).status_code == 200
    assert client.get(reverse("admin:reports_tally_add")).status_code == 403
    change = client.post(reverse("admin:reports_tally_change", args=[row.pk]), {"received": 999})
    assert change.status_code == 403
    assert (
        client.post(reverse("admin:reports_tally_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    )
    row.refresh_from_db()
    assert row.received != 999
