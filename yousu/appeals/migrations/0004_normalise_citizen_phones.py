"""Existing appeals' phone numbers in the one stored form of yousu.core.phones (+86…, 0086… and spaces
made one number several, past the per-phone limit and the tracking look-up). A number that cannot be
read is kept as it was entered: a number is never lost."""

from django.db import migrations

BATCH = 1000


def normalise_phones(apps, schema_editor):
    # The function of the code base, not a copy: it only reads its argument and the phone region setting.
    from yousu.core.errors import DomainError
    from yousu.core.phones import normalise_phone

    Appeal = apps.get_model("appeals", "Appeal")
    rows = Appeal.objects.exclude(citizen_phone="").only("pk", "citizen_phone").order_by("pk")
    last = 0
    # Page by primary key, not with one open cursor: the updates go to the table being read.
    while batch := list(rows.filter(pk__gt=last)[:BATCH]):
        last = batch[-1].pk
        changed = []
        for appeal in batch:
            try:
                normal = normalise_phone(appeal.citizen_phone)
            except DomainError:
                continue  # kept as entered
            if normal and normal != appeal.citizen_phone:
                appeal.citizen_phone = normal
                changed.append(appeal)
        Appeal.objects.bulk_update(changed, ["citizen_phone"])


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0003_appeal_jurisdiction"),
    ]

    operations = [
        # Backwards nothing to undo: the normalised form is as good a number as the one typed.
        migrations.RunPython(normalise_phones, migrations.RunPython.noop),
    ]
