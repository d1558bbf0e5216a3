from django.apps import AppConfig


class CollaborationConfig(AppConfig):
    """Direct collaboration: invitations to a claimed profile's owner, the
    conversations they open, blocks and reports. Reads profiles (who owns a
    record, whether they are open to collaborate); profiles never imports
    it (the profile shows its section through collaboration's template
    tags)."""

    name = "collaboration"
