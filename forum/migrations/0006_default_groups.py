from django.db import migrations

# Two groups every forum starts with; guests and registered members are audiences
# of their own (forum/access.py), not groups.
DEFAULT_GROUPS = ("Moderators", "Administrators")


def create_default_groups(apps, schema_editor):
    """Groups whose members moderate every board, for staff to fill in the admin."""
    Group = apps.get_model("auth", "Group")
    BoardPermission = apps.get_model("forum", "BoardPermission")
    for name in DEFAULT_GROUPS:
        group, _ = Group.objects.get_or_create(name=name)
        BoardPermission.objects.get_or_create(
            board=None, audience="group", group=group, defaults={"moderate": True}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("forum", "0005_approval"),
    ]

    operations = [
        migrations.RunPython(create_default_groups, migrations.RunPython.noop),
    ]
