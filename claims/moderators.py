"""The "Moderators" group: exactly what moderating needs. A data migration
made it (claims/migrations/0002); ``moderators_group_ensure`` makes it again
where it went missing (a flushed database) with the same rights."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

MODERATORS = "Moderators"
MODERATOR_PERMISSIONS = (
    ("claims", "view_claim"),
    ("claims", "change_claim"),
    ("claims", "view_claimevent"),
    ("profiles", "view_researcher"),
    ("works", "view_work"),
    ("works", "view_authorship"),
    # Reported conversations (collaboration/migrations/0002 grants these).
    ("collaboration", "view_report"),
    ("collaboration", "change_report"),
    ("collaboration", "view_conversation"),
    ("collaboration", "view_message"),
)


def moderators_group_ensure() -> Group:
    """The Moderators group with exactly ``MODERATOR_PERMISSIONS``."""
    group, _ = Group.objects.get_or_create(name=MODERATORS)
    group.permissions.set(
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in MODERATOR_PERMISSIONS
    )
    return group
