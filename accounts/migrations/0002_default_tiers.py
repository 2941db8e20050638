from django.db import migrations

LADDER = [
    ("New Member", 0, "plain"),
    ("Member", 10, "plain"),
    ("Senior Member", 100, "bronze"),
    ("Gold Member", 500, "gold"),
    ("Platinum Member", 2000, "platinum"),
]


def create_ladder(apps, schema_editor):
    Tier = apps.get_model("accounts", "Tier")
    for order, (name, min_posts, style) in enumerate(LADDER):
        Tier.objects.get_or_create(
            name=name, defaults={"min_posts": min_posts, "style": style, "order": order}
        )


def remove_ladder(apps, schema_editor):
    Tier = apps.get_model("accounts", "Tier")
    Tier.objects.filter(name__in=[name for name, _, _ in LADDER]).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create_ladder, remove_ladder)]
