from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"

    def ready(self):
        # Claims point at researcher records: when works merges two, the
        # claims of the retired one move to the survivor (after profiles has
        # moved the owner rows: profiles is installed, so registers, first).
        from works.hooks import researcher_merge_handler_register

        from .services import researcher_merge_claims

        researcher_merge_handler_register(researcher_merge_claims)
