from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"

    def ready(self):
        # Claims point at researcher records: when works merges two, the
        # claims of the retired one move to the survivor (after profiles has
        # moved the owner rows: profiles is installed, so registers, first).
        # After every import, approvals that rested on an ORCID iD the
        # record no longer carries go back to moderators.
        from profiles.admin import researcher_admin_inlines
        from profiles.hooks import claim_evidence_provider_register
        from works.hooks import (
            import_run_finished_handler_register,
            researcher_merge_handler_register,
        )

        from .admin import ResearcherClaimInline
        from .selectors import claim_evidence_for_researchers
        from .services import claims_orcid_changed_demote, researcher_merge_claims

        researcher_merge_handler_register(researcher_merge_claims)
        import_run_finished_handler_register(claims_orcid_changed_demote)
        # The trust model reads what the claims say (profiles.hooks).
        claim_evidence_provider_register(claim_evidence_for_researchers)
        # The researcher's admin page lists its claims.
        if ResearcherClaimInline not in researcher_admin_inlines:
            researcher_admin_inlines.append(ResearcherClaimInline)
