"""The province-level read-only role of a deployment serving several jurisdictions."""

from django.db import migrations


def create_provincial_role(apps, schema_editor):
    apps.get_model("org", "Role").objects.get_or_create(code="provincial")


class Migration(migrations.Migration):
    dependencies = [("org", "0005_place_name")]
    operations = [migrations.RunPython(create_provincial_role, migrations.RunPython.noop)]
