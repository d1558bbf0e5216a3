"""The "Moderators" group with exactly what moderating needs: see and decide
claims, see their events, and read researcher records, works and
authorships (read-only in the admin). A frozen copy of
claims.moderators.MODERATOR_PERMISSIONS, as migrations must be."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Moderators"
PERMISSIONS = (
    ("claims", "view_claim"),
    ("claims", "change_claim"),
    ("claims", "view_claimevent"),
    ("profiles", "view_researcher"),
    ("works", "view_work"),
    ("works", "view_authorship"),
)


def moderators_create(apps, schema_editor):
    # Permissions are made after migrations by default; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.set(
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in PERMISSIONS
    )


def moderators_delete(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("profiles", "0009_researcher_owner"),
        ("works", "0005_importrun_source_choices"),
    ]

    operations = [migrations.RunPython(moderators_create, moderators_delete)]
