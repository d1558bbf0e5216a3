from django.apps import AppConfig


class CollaborationConfig(AppConfig):
    """Direct collaboration: invitations to a claimed profile's owner, the
    conversations they open, blocks and reports. Reads profiles (who owns a
    record, whether they are open to collaborate); profiles never imports
    it (the profile shows its section through collaboration's template
    tags)."""

    name = "collaboration"

    def ready(self):
        # Conversations point at a researcher record and a work: when works
        # merges two, they follow the survivor.
        from works.hooks import (
            researcher_merge_handler_register,
            work_merge_handler_register,
        )

        from .services import (
            researcher_merge_conversations,
            work_merge_conversations,
        )

        researcher_merge_handler_register(researcher_merge_conversations)
        work_merge_handler_register(work_merge_conversations)
