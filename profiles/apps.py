from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "profiles"
    verbose_name = "Researcher profiles"

    def ready(self):
        # profiles is built on the catalog: it moves its own rows when works
        # merges two researchers, and recomputes trust after every import.
        from works.hooks import (
            import_run_finished_handler_register,
            researcher_merge_handler_register,
            work_merge_handler_register,
        )

        from .curation import researcher_merge_curation, work_merge_hidden
        from .services import researcher_merge_follows, researcher_merge_owners
        from .tasks import import_run_trust_refresh

        researcher_merge_handler_register(researcher_merge_follows)
        researcher_merge_handler_register(researcher_merge_owners)
        researcher_merge_handler_register(researcher_merge_curation)
        work_merge_handler_register(work_merge_hidden)
        import_run_finished_handler_register(import_run_trust_refresh)
