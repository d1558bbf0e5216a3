"""The "Moderators" group (made by claims/migrations/0002) also reads
reported conversations and decides reports in the admin: it gains these
permissions, the group made when missing. A frozen list, as migrations must
hold; claims.moderators.MODERATOR_PERMISSIONS should name them too, or
``moderators_group_ensure`` takes them away again."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Moderators"
PERMISSIONS = (
    ("collaboration", "view_report"),
    ("collaboration", "change_report"),
    ("collaboration", "view_conversation"),
    ("collaboration", "view_message"),
)


def moderators_permissions_add(apps, schema_editor):
    # Permissions are made after migrations by default; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *(
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in PERMISSIONS
        )
    )


def moderators_permissions_remove(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is None:
        return
    group.permissions.remove(
        *Permission.objects.filter(
            content_type__app_label="collaboration",
            codename__in=[codename for _, codename in PERMISSIONS],
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("collaboration", "0001_initial"),
        ("claims", "0002_moderators_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(moderators_permissions_add, moderators_permissions_remove)
    ]
