"""Create the eight roles; they are fixed codes that the permission checks name."""

from django.db import migrations

ROLE_CODES = [
    "operator",
    "dispatcher",
    "unit_handler",
    "unit_leader",
    "supervisor",
    "grid_worker",
    "administrator",
    "leader",
]


def create_roles(apps, schema_editor):
    Role = apps.get_model("org", "Role")
    for code in ROLE_CODES:
        Role.objects.get_or_create(code=code)


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
