"""The four default time-limit classes; a city edits them as data afterwards."""

from django.db import migrations

DEFAULT_CLASSES = [
    # code, name, response, response unit, completion, completion unit, clock, urgency
    ("urgent", "紧急", 30, "minute", 2, "hour", "calendar", 30),
    ("quick", "快办", 2, "hour", 1, "day", "working", 20),
    ("normal", "一般", 1, "day", 3, "day", "working", 10),
    ("complex", "复杂", 1, "day", 7, "day", "working", 0),
]


def create_classes(apps, schema_editor):
    TimeLimitClass = apps.get_model("catalog", "TimeLimitClass")
    for code, name, r, ru, c, cu, clock, urgency in DEFAULT_CLASSES:
        TimeLimitClass.objects.get_or_create(
            code=code,
            defaults=dict(
                name=name,
                response_amount=r,
                response_unit=ru,
                completion_amount=c,
                completion_unit=cu,
                clock=clock,
                urgency=urgency,
            ),
        )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_initial")]
    operations = [migrations.RunPython(create_classes, migrations.RunPython.noop)]
